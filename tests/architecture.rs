//! Architecture invariants that the compiler cannot check by itself.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Backends read only the IR: never the AST, the syntax module, semantic analysis or pest.
#[test]
fn backends_do_not_reach_the_front_end() {
    let files = rust_files(Path::new("compiler/src/backends"));
    assert!(files.len() >= 5);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for banned in [
            "crate::ast",
            "crate::syntax",
            "crate::sema",
            "pest::",
            "pest_derive",
            "super::super::ast",
            "gitopsc::ast",
        ] {
            assert!(
                !text.contains(banned),
                "{} mentions `{banned}`",
                f.display()
            );
        }
    }
}

/// Only `emit` serialises YAML; backends build typed documents.
#[test]
fn only_emit_writes_yaml() {
    for f in rust_files(Path::new("compiler/src")) {
        if f.starts_with("compiler/src/emit") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(
            !text.contains("serde_yaml"),
            "{} uses serde_yaml",
            f.display()
        );
    }
}

/// Every module starts with a `//!` comment saying what it owns.
#[test]
fn every_module_has_a_doc_comment() {
    for f in rust_files(Path::new("compiler/src")) {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(
            text.trim_start().starts_with("//!"),
            "{} has no `//!` module comment",
            f.display()
        );
    }
}
