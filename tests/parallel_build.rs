//! The fast build path (backends on several threads, each rendering its own files) gives
//! byte for byte the files of the plain path (every backend, then one render), for every
//! example and feature case and any number of threads.

mod common;

#[test]
fn threaded_builds_render_the_same_files_as_the_plain_path() {
    let mut compared = 0;
    for (name, sources) in common::programs(&[]) {
        let c = gitopsc::check(&sources);
        let files = gitopsc::outputs(&c);
        let program = c.program.as_ref().expect("compiles");
        let plain = gitopsc::emit::render(&program.source_name, &files).unwrap();
        assert!(!plain.is_empty(), "{name} emits nothing");
        for threads in [1, 2, 3, 8] {
            let (_, fast) = gitopsc::build_rendered(&sources, threads);
            let fast = fast.unwrap();
            assert_eq!(
                fast.len(),
                plain.len(),
                "{name}: {threads} thread(s) give another number of files"
            );
            for (a, b) in fast.iter().zip(&plain) {
                assert_eq!(
                    (a.repo, &a.path, &a.text),
                    (b.repo, &b.path, &b.text),
                    "{name}: {threads} thread(s)"
                );
            }
        }
        compared += plain.len();
    }
    assert!(compared > 500, "only {compared} files compared");
}

#[test]
fn a_program_with_errors_renders_nothing() {
    let sources = [gitopsc::Source::new(
        "bad.gitops",
        "project p { app_repo = \"https://github.com/example/p\" }\nservice api { port = \"x\" }\n",
    )];
    let (c, files) = gitopsc::build_rendered(&sources, 2);
    assert!(c.has_errors());
    assert!(files.unwrap().is_empty());
}

/// A program of several large files: enough text besides the largest for the files to be
/// parsed on several threads.
fn large_program(error_in_last: bool) -> Vec<gitopsc::Source> {
    let mut sources = vec![gitopsc::Source::new(
        "main.gitops",
        "project big { app_repo = \"https://github.com/example/big.git\" }\n\
         registry ghcr = ghcr { owner = \"example\" }\n\
         environment dev { }\n\
         deployment big { project = \"default\" }\n",
    )];
    for part in 0..5 {
        let mut text = String::new();
        for i in 0..1500 {
            text.push_str(&format!(
                "service \"s{part}-{i}\" {{ path = \"services/s{part}-{i}\", port = 8080, \
                 manifests = existing {{ path = \"base/s{part}-{i}\" }} }}\n"
            ));
        }
        if error_in_last && part == 4 {
            text.push_str("service broken { port = }\n");
        }
        sources.push(gitopsc::Source::new(format!("part{part}.gitops"), text));
    }
    let besides_largest: usize = sources.iter().skip(1).map(|s| s.text.len()).sum::<usize>()
        - sources.iter().map(|s| s.text.len()).max().unwrap_or(0);
    assert!(besides_largest > 300_000, "{besides_largest} bytes");
    sources
}

#[test]
fn large_programs_parsed_on_several_threads_check_as_on_one() {
    let sources = large_program(false);
    let (c1, one) = gitopsc::build_rendered(&sources, 1);
    let (c2, two) = gitopsc::build_rendered(&sources, 2);
    assert!(!c1.has_errors(), "{:?}", c1.diagnostics.first());
    let (one, two) = (one.unwrap(), two.unwrap());
    assert!(one.len() > 7_000, "{} files", one.len());
    assert_eq!(one, two);
    assert_eq!(
        format!("{:?}", c1.diagnostics),
        format!("{:?}", c2.diagnostics)
    );

    let broken = large_program(true);
    let (c1, _) = gitopsc::build_rendered(&broken, 1);
    let (c2, _) = gitopsc::build_rendered(&broken, 2);
    assert!(c1.has_errors());
    assert_eq!(
        format!("{:?}", c1.diagnostics),
        format!("{:?}", c2.diagnostics)
    );
}
