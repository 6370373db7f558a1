//! Where the time of `gitopsc build` goes, phase by phase, and the serialisation floors.
//!
//! For each program given, runs every phase `RUNS` times in-process and prints one JSON object
//! per program with the median milliseconds of: `check` (parse and semantic analysis),
//! `backends` (IR to typed documents), `render` (gitopsc's YAML writer over those documents),
//! `serde_yaml` and `serde_json` (the same typed documents serialised by those libraries: the
//! floors), and the output size in bytes of each serialisation.
//!
//! usage: cargo bench --features bench-floors --bench phases -- PROGRAM.gitops ...
//! (benches/bench.py runs it; see book/src/contributing/performance.md)

use gitopsc::emit::{self, OutputFile};
use std::time::Instant;

const RUNS: usize = 5;

fn median_ms<T>(mut f: impl FnMut() -> T) -> (f64, T) {
    let mut times = Vec::with_capacity(RUNS);
    let mut last = None;
    for _ in 0..RUNS {
        let start = Instant::now();
        let out = f();
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        last = Some(out);
    }
    times.sort_by(f64::total_cmp);
    (times[RUNS / 2], last.expect("RUNS > 0"))
}

fn serialise(files: &[OutputFile], doc: impl Fn(&dyn emit::DocBody) -> String) -> usize {
    let mut total = 0;
    for f in files {
        for d in &f.docs {
            total += doc(d.as_ref()).len();
        }
    }
    total
}

fn main() {
    let paths: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if paths.is_empty() {
        eprintln!("usage: phases PROGRAM.gitops ...");
        std::process::exit(2);
    }
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let sources = [gitopsc::Source::new(path.clone(), text)];
        let (check, c) = median_ms(|| gitopsc::check(&sources));
        let Some(program) = c.program.as_ref() else {
            eprintln!("{path} does not compile");
            std::process::exit(1);
        };
        if let Ok(only) = std::env::var("PHASES_PROFILE") {
            // Repeats one backend (or `check`) so a profiler sees only it.
            for _ in 0..20 {
                if only == "check" {
                    std::hint::black_box(gitopsc::check(&sources));
                }
                for b in gitopsc::backends::all().iter().filter(|b| b.name() == only) {
                    std::hint::black_box(b.emit(program));
                }
            }
            continue;
        }
        let (backends, files) = median_ms(|| {
            gitopsc::backends::all()
                .iter()
                .flat_map(|b| b.emit(program))
                .collect::<Vec<_>>()
        });
        let per_backend: Vec<String> = gitopsc::backends::all()
            .iter()
            .map(|b| format!("\"{}\":{:.3}", b.name(), median_ms(|| b.emit(program)).0))
            .collect();
        let (render, rendered) =
            median_ms(|| emit::render(&program.source_name, &files).expect("renders"));
        let own_bytes: usize = rendered.iter().map(|f| f.text.len()).sum();
        let (serde_yaml, yaml_bytes) = median_ms(|| serialise(&files, |d| d.to_serde_yaml()));
        let (serde_json, json_bytes) = median_ms(|| serialise(&files, |d| d.to_json_text()));
        let docs: usize = files.iter().map(|f| f.docs.len()).sum();
        println!(
            "{{\"program\":{path:?},\"files\":{},\"documents\":{docs},\"check\":{check:.3},\"backends\":{backends:.3},\"per_backend\":{{{}}},\"render\":{render:.3},\"serde_yaml\":{serde_yaml:.3},\"serde_json\":{serde_json:.3},\"bytes\":{own_bytes},\"serde_yaml_bytes\":{yaml_bytes},\"serde_json_bytes\":{json_bytes}}}",
            files.len(),
            per_backend.join(",")
        );
    }
}
