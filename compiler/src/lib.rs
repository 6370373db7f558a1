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
    let mut map = SourceMap::default();
    let mut files = Vec::new();
    let mut diagnostics = Vec::new();
    for s in sources {
        let id = map.add(s.name.clone(), s.text.as_str());
        match syntax::parse(id, &s.text) {
            Ok(f) => files.push(f),
            Err(d) => diagnostics.push(d),
        }
    }
    let wanted = stdlib::modules_for(sources.iter().map(|s| s.text.as_str()));
    let mut std_files = Vec::new();
    for (name, text) in wanted {
        let id = map.add(format!("<std>/{name}.gitops"), text);
        match syntax::parse(id, text) {
            Ok(f) => std_files.push((name, f)),
            Err(d) => diagnostics.push(Diagnostic::internal(
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
    let analysis = sema::analyze(root, &file_refs, &std_refs);
    Compilation {
        sources: map,
        program: analysis.program,
        diagnostics: analysis.diagnostics,
    }
}

/// Checks a program and runs every backend over it.
pub fn build(sources: &[Source]) -> (Compilation, Vec<emit::OutputFile>) {
    let c = check(sources);
    let outputs = match &c.program {
        Some(p) => backends::all().iter().flat_map(|b| b.emit(p)).collect(),
        None => Vec::new(),
    };
    (c, outputs)
}

/// Checks a program, then runs the backends on up to `threads` threads, each rendering its
/// files as soon as they are built so typed documents never outlive their backend. The files
/// are the same, in the same order, as [`emit::render`] of [`build`]'s output.
pub fn build_rendered(
    sources: &[Source],
    threads: usize,
) -> (Compilation, Result<Vec<emit::RenderedFile>, String>) {
    let c = check(sources);
    let Some(program) = &c.program else {
        return (c, Ok(Vec::new()));
    };
    if c.has_errors() {
        return (c, Ok(Vec::new()));
    }
    let backends = backends::all();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let run = || -> Result<Vec<emit::RenderedFile>, String> {
        let mut out = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(b) = backends.get(i) else {
                return Ok(out);
            };
            let files = b.emit(program);
            out.extend(emit::render_unsorted(&program.source_name, &files)?);
        }
    };
    let threads = threads.clamp(1, backends.len());
    let parts: Vec<Result<Vec<emit::RenderedFile>, String>> = if threads == 1 {
        vec![run()]
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads).map(|_| s.spawn(run)).collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err("a backend thread panicked".to_string()))
                })
                .collect()
        })
    };
    let mut all = Vec::new();
    for p in parts {
        match p {
            Ok(files) => all.extend(files),
            Err(e) => return (c, Err(e)),
        }
    }
    let sorted = emit::sort_files(all);
    (c, sorted)
}
