//! `gitopsc fmt`: rewrites `.gitops` files in the canonical layout of [`crate::fmt`].
//!
//! Invariants: a file is written only when its formatted text differs, through a temporary file
//! in the same folder and a rename (so a reader never sees half a file, and the file keeps its
//! permissions); a file with a syntax error is reported and never touched; `--check` writes
//! nothing. Exit status: 0 when everything is (now) formatted, 1 when a file has a syntax error
//! or `--check` found a file to change, 2 on an I/O error (the worst status wins).

use crate::diagnostics::{self, MessageFormat, SourceMap};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Arguments of `gitopsc fmt`.
#[derive(Debug, clap::Args)]
pub struct FmtArgs {
    /// Files, or folders meaning every `.gitops` file under them (hidden folders skipped);
    /// `-` formats standard input to standard output (default: `.`).
    pub paths: Vec<PathBuf>,
    /// Write nothing; print the files that would change and exit 1 if any would.
    #[arg(long)]
    pub check: bool,
}

/// Runs the command; returns the exit status.
pub fn run(args: &FmtArgs) -> i32 {
    let default = [PathBuf::from(".")];
    let paths = if args.paths.is_empty() {
        &default[..]
    } else {
        &args.paths[..]
    };
    let mut status = 0;
    let mut seen: Vec<PathBuf> = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            status = status.max(stdin(args.check));
            continue;
        }
        let files = match gitops_files(p) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("error: {e}");
                status = 2;
                continue;
            }
        };
        for f in files {
            if !seen.contains(&f) {
                status = status.max(one_file(&f, args.check));
                seen.push(f);
            }
        }
    }
    status
}

/// Formats standard input to standard output (or, with `--check`, only says whether it would
/// change).
fn stdin(check: bool) -> i32 {
    let mut text = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut text) {
        eprintln!("error: cannot read standard input: {e}");
        return 2;
    }
    let Some(formatted) = formatted("<stdin>", &text) else {
        return 1;
    };
    if check {
        if formatted == text {
            return 0;
        }
        println!("-");
        return 1;
    }
    match std::io::stdout().write_all(formatted.as_bytes()) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: cannot write standard output: {e}");
            2
        }
    }
}

/// Formats one file in place (or, with `--check`, prints its path if it would change).
fn one_file(path: &Path, check: bool) -> i32 {
    let text = match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(_) => {
                eprintln!("error: {} is not UTF-8 text", path.display());
                return 2;
            }
        },
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", path.display());
            return 2;
        }
    };
    let Some(formatted) = formatted(&path.display().to_string(), &text) else {
        return 1;
    };
    if formatted == text {
        return 0;
    }
    if check {
        println!("{}", path.display());
        return 1;
    }
    match write_atomic(path, &formatted) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", path.display());
            2
        }
    }
}

/// The formatted text, or `None` after printing the diagnostic of a file that does not parse.
fn formatted(name: &str, text: &str) -> Option<String> {
    match crate::fmt::format(text) {
        Ok(t) => Some(t),
        Err(d) => {
            let mut map = SourceMap::default();
            let id = map.add(name, text);
            debug_assert_eq!(id, crate::fmt::FILE);
            let shown = diagnostics::render(&[d], &map, MessageFormat::Human, super::color());
            let _ = std::io::stderr().write_all(shown.as_bytes());
            None
        }
    }
}

/// A path as given when it is a file; every `.gitops` file below it, in name order, when it is
/// a folder.
fn gitops_files(path: &Path) -> Result<Vec<PathBuf>, String> {
    let meta =
        std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    walk(path, &mut out)?;
    out.sort();
    Ok(out)
}

/// Collects the `.gitops` files under `dir`, skipping hidden folders and symbolic links to
/// folders (so a link cycle cannot loop).
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let p = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        let kind = entry
            .file_type()
            .map_err(|e| format!("cannot read {}: {e}", p.display()))?;
        if kind.is_dir() {
            if !hidden {
                walk(&p, out)?;
            }
        } else if p.extension().is_some_and(|x| x == "gitops") && p.is_file() {
            out.push(p);
        }
    }
    Ok(())
}

/// Replaces the file at `path` (or, for a symbolic link, the file it points to) with `text`
/// through a temporary file in the same folder, keeping the file's permissions.
fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let target = if path.is_symlink() {
        std::fs::canonicalize(path)?
    } else {
        path.to_path_buf()
    };
    let permissions = std::fs::metadata(&target)?.permissions();
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = target.with_file_name(format!(".{name}.gitopsc-fmt-{}", std::process::id()));
    let result = std::fs::write(&tmp, text)
        .and_then(|()| std::fs::set_permissions(&tmp, permissions))
        .and_then(|()| std::fs::rename(&tmp, &target));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
