//! gitopsc: the compiler for the `.gitops` language.
//!
//! The pipeline is strict (see `book/src/contributing/architecture.md`):
//! `syntax` (text to [`ast`]) -> `sema` (resolve and check, lowering to [`ir`]) ->
//! `backends` (IR to typed documents) -> `emit` (documents to bytes). The core is pure: it takes
//! source texts and returns outputs and diagnostics; only the CLI (`main.rs`, [`cli`]) touches
//! disk, the clock and the environment.

pub mod ast;
pub mod backends;
pub mod cli;
pub mod diagnostics;
pub mod emit;
pub mod fmt;
pub mod fxhash;
pub mod ir;
pub mod sema;
pub mod stdlib;
pub mod syntax;
pub mod validate;

use diagnostics::{Diagnostic, SourceMap};

/// One source file given to the compiler.
#[derive(Debug, Clone)]
pub struct Source {
    /// Display name (a path relative to where the user ran gitopsc).
    pub name: String,
    pub text: String,
}

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Source {
        Source {
            name: name.into(),
            text: text.into(),
        }
    }
}

/// The result of checking a program.
pub struct Compilation {
    pub sources: SourceMap,
    /// The lowered program, when there were no errors.
    pub program: Option<ir::Program>,
    /// Errors and warnings, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses and checks a program made of `sources` (one program, several files allowed).
pub fn check(sources: &[Source]) -> Compilation {
    check_with(sources, threads())
}

/// How many threads the compiler uses: one per core the process may use. Asked of the system
/// once per process: the answer reads the CPU affinity and the cgroup's CPU quota (about twenty
/// system calls), and a build asks several times.
pub fn threads() -> usize {
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// Makes the calling thread one of a pool of [`threads`] threads, the others started now, so
/// that later parallel work ([`parallel_map`], [`emit::Split`]) runs on threads that are
/// already up and shares the cores by work stealing. For a process that builds: the other
/// threads start while the program is parsed and checked, instead of while the backends
/// allocate, when starting a thread was measured to take up to 3 ms on the benchmark machine
/// (book/src/contributing/decisions/threads.md). Without it, parallel
/// work runs on a pool of its own, started on first use. Fails (and changes nothing) if the
/// thread is already in a pool or a thread cannot be started.
pub fn join_thread_pool() -> Option<rayon_core::ThreadPool> {
    rayon_core::ThreadPoolBuilder::new()
        .num_threads(threads())
        .use_current_thread()
        .build()
        .ok()
}

/// Runs `f` over `items` on up to `threads` threads of the pool; results in the order of
/// `items`. Items are taken in order, one at a time, by whichever thread is free, and a thread
/// that runs out of items helps with what the others have left to share (the slices of a
/// large file).
pub fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = threads.clamp(1, items.len().max(1));
    if threads == 1 {
        return items.iter().map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<R>>> =
        items.iter().map(|_| std::sync::Mutex::new(None)).collect();
    let work = || loop {
        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let Some(item) = items.get(i) else { return };
        let r = f(item);
        *results[i]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(r);
    };
    // A panic in `f` is passed on by the scope as it is.
    rayon_core::scope(|s| {
        for _ in 1..threads {
            s.spawn(|_| work());
        }
        work();
    });
    results
        .into_iter()
        .filter_map(|r| {
            r.into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        })
        .collect()
}

/// Bytes of program text, besides the largest file, below which parsing stays on one thread.
const PARALLEL_PARSE_MIN: usize = 256 * 1024;

/// [`check`] on up to `threads` threads: the files of the program and the standard library
/// modules it uses are parsed in parallel when there is enough text to share.
pub fn check_with(sources: &[Source], threads: usize) -> Compilation {
    check_with_delivery(sources, threads, &mut |_| {})
}

/// [`check_with`], handing `delivery` the program's delivery part as soon as it is settled
/// (see [`sema::analyze_with`]).
pub fn check_with_delivery(
    sources: &[Source],
    threads: usize,
    delivery: &mut dyn FnMut(ir::Program),
) -> Compilation {
    let mut map = SourceMap::default();
    let mut diagnostics = Vec::new();
    let wanted = stdlib::modules_for(sources.iter().map(|s| s.text.as_str()));
    // (file id, text, standard library module name)
    let mut jobs: Vec<(diagnostics::FileId, &str, Option<&'static str>)> = Vec::new();
    for s in sources {
        jobs.push((map.add(s.name.clone(), s.text.as_str()), &s.text, None));
    }
    for (name, text) in wanted {
        jobs.push((
            map.add(format!("<std>/{name}.gitops"), text),
            text,
            Some(name),
        ));
    }
    // Starting a thread costs more than parsing a few small files takes (a second parsing
    // thread made `check` of an example 0.3 to 0.7 ms slower), and one file is parsed on one
    // thread: the files are parsed in parallel only when, besides the largest, there is enough
    // text to share.
    let total: usize = jobs.iter().map(|(_, text, _)| text.len()).sum();
    let largest = jobs
        .iter()
        .map(|(_, text, _)| text.len())
        .max()
        .unwrap_or(0);
    let parse_threads = if total - largest >= PARALLEL_PARSE_MIN {
        threads
    } else {
        1
    };
    let parsed = parallel_map(&jobs, parse_threads, |(id, text, _)| {
        syntax::parse(*id, text)
    });
    let mut files = Vec::new();
    let mut std_files = Vec::new();
    for ((_, _, module), result) in jobs.iter().zip(parsed) {
        match (result, module) {
            (Ok(f), None) => files.push(f),
            (Ok(f), Some(name)) => std_files.push((*name, f)),
            (Err(d), None) => diagnostics.push(d),
            (Err(d), Some(_)) => diagnostics.push(Diagnostic::internal(
                d.primary.span,
                format!("the standard library does not parse: {}", d.message),
            )),
        }
    }
    if !diagnostics.is_empty() {
        diagnostics::sort(&mut diagnostics);
        return Compilation {
            sources: map,
            program: None,
            diagnostics,
        };
    }
    let file_refs: Vec<&ast::File> = files.iter().collect();
    let std_refs: Vec<(&str, &ast::File)> = std_files.iter().map(|(n, f)| (*n, f)).collect();
    let root = sources
        .first()
        .map_or("program.gitops", |s| s.name.as_str());
    let analysis = sema::analyze_with(root, &file_refs, &std_refs, delivery);
    Compilation {
        sources: map,
        program: analysis.program,
        diagnostics: analysis.diagnostics,
    }
}

/// Every backend's files for a checked program, or none if it did not check. The files'
/// documents may borrow from the program.
pub fn outputs(c: &Compilation) -> Vec<emit::OutputFile<'_>> {
    match &c.program {
        Some(p) => backends::all().iter().flat_map(|b| b.emit(p)).collect(),
        None => Vec::new(),
    }
}

/// Checks a program, then runs the backends on up to `threads` threads, each rendering its
/// files as soon as they are built so typed documents never outlive their backend. The files
/// are the same, in the same order, as [`emit::render`] of [`outputs`].
pub fn build_rendered(
    sources: &[Source],
    threads: usize,
) -> (Compilation, Result<Vec<emit::RenderedFile>, String>) {
    let (c, files) = build_rendered_with(sources, threads, Teardown::Free);
    (c, files.map(emit::Files::into_vec))
}

/// A rendered file larger than this counts as large for [`Teardown::Exit`].
const LARGE_FILE: usize = 64 * 1024;

/// What becomes of the typed documents once they are rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Teardown {
    /// Freed, piece by piece.
    Free,
    /// Those of large files given up without freeing: for a process that exits right after
    /// the build, where the operating system takes the memory back at once.
    Exit,
}

/// [`build_rendered`], choosing what becomes of the typed documents.
///
/// On several threads, the backends that read no pipeline (Argo CD, Kustomize, Rollouts) start
/// on the program's delivery part while the pipelines are still being checked, and the others
/// once the whole program is checked. Should the pipelines' checks find an error, what the
/// first ones rendered is dropped.
pub fn build_rendered_with(
    sources: &[Source],
    threads: usize,
    teardown: Teardown,
) -> (Compilation, Result<emit::Files, String>) {
    let mut backends = backends::all();
    // A backend that writes in slices (GitHub's workflows) starts last, so a core that has
    // finished the other backends helps with its slices. The files are sorted below, so the
    // order in which backends run does not change the output.
    backends.sort_by_key(|b| b.writes_in_slices());
    let (early, late): (Vec<_>, Vec<_>) = backends
        .into_iter()
        .partition(|b| threads > 1 && !b.reads_pipelines());
    let early_runs = std::sync::Mutex::new(None);
    let cancelled = std::sync::atomic::AtomicBool::new(false);
    let mut started = false;
    let (c, late_runs) = rayon_core::in_place_scope(|s| {
        let c = check_with_delivery(sources, threads, &mut |delivery| {
            if early.is_empty() || started {
                return;
            }
            started = true;
            let (early, early_runs, cancelled) = (&early, &early_runs, &cancelled);
            s.spawn(move |_| {
                let early: Vec<&dyn backends::Backend> = early.iter().map(AsRef::as_ref).collect();
                let runs = render_backends(&early, &delivery, threads, teardown, cancelled);
                *early_runs
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(runs);
            });
        });
        let program = match &c.program {
            Some(p) if !c.has_errors() => p,
            _ => {
                cancelled.store(true, std::sync::atomic::Ordering::Relaxed);
                return (c, None);
            }
        };
        // Those that did not start on the delivery part run with the others.
        let waiting: Vec<&dyn backends::Backend> = early
            .iter()
            .filter(|_| !started)
            .chain(&late)
            .map(AsRef::as_ref)
            .collect();
        let runs = render_backends(&waiting, program, threads, teardown, &cancelled);
        (c, Some(runs))
    });
    let Some(late_runs) = late_runs else {
        return (c, Ok(emit::Files::default()));
    };
    let early_runs = early_runs
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .unwrap_or(Ok(Vec::new()));
    let runs = match (late_runs, early_runs) {
        (Ok(mut late), Ok(early)) => {
            late.extend(early);
            late
        }
        (Err(e), _) | (_, Err(e)) => return (c, Err(e)),
    };
    let sorted = emit::merge_runs(runs);
    (c, sorted)
}

/// Runs `backends` on `program` on up to `threads` threads, each rendering its files as they
/// come and putting them in order: one sorted run of files per backend. Once `cancelled` is
/// set, files are no longer rendered (the build's result is being dropped).
fn render_backends(
    backends: &[&dyn backends::Backend],
    program: &ir::Program,
    threads: usize,
    teardown: Teardown,
    cancelled: &std::sync::atomic::AtomicBool,
) -> Result<Vec<Vec<emit::RenderedFile>>, String> {
    let parts = parallel_map(backends, threads, |b| {
        let mut rendered = Vec::new();
        let mut failed = None;
        b.emit_each(program, &mut |mut file| {
            let mut size = 0;
            if failed.is_none() && !cancelled.load(std::sync::atomic::Ordering::Relaxed) {
                let path = std::mem::take(&mut file.path);
                match emit::render_file_at(&program.source_name, &file, path) {
                    Ok(r) => {
                        size = r.text.len();
                        rendered.push(r);
                    }
                    Err(e) => failed = Some(e),
                }
            }
            // A small file's documents are freed at once, while still in cache, and their
            // memory serves the next file; a large file's are many allocations spread over
            // memory, slower to free one by one than to leave to the exit.
            if teardown == Teardown::Exit && size > LARGE_FILE {
                std::mem::forget(file);
            }
        });
        // Each backend's files are put in order and checked here, on its own thread, so the
        // runs only need putting one after the other (or, should they interleave, merging).
        emit::sort_run(&mut rendered);
        match failed {
            Some(e) => Err(e),
            None => emit::no_two_in_run(&rendered).map(|()| rendered),
        }
    });
    parts.into_iter().collect()
}
