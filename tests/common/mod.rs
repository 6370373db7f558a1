//! Helpers shared by integration tests: the programs of the repository, in a stable order.

use gitopsc::Source;
use std::path::PathBuf;

fn sorted(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

/// Every feature case in the given `tests/cases` folders (all folders when empty), then every
/// example, each with its display name and sources.
pub fn programs(case_dirs: &[&str]) -> Vec<(String, Vec<Source>)> {
    let dirs: Vec<PathBuf> = if case_dirs.is_empty() {
        sorted("tests/cases")
            .into_iter()
            .filter(|p| p.is_dir())
            .collect()
    } else {
        case_dirs.iter().map(PathBuf::from).collect()
    };
    let mut out = Vec::new();
    for d in dirs {
        for f in sorted(&d.display().to_string())
            .into_iter()
            .filter(|f| f.extension().is_some_and(|x| x == "gitops"))
        {
            out.push((
                f.display().to_string(),
                gitopsc::cli::read_sources(std::slice::from_ref(&f)).unwrap(),
            ));
        }
    }
    for d in sorted("examples").into_iter().filter(|p| p.is_dir()) {
        out.push((
            d.display().to_string(),
            gitopsc::cli::read_sources(std::slice::from_ref(&d)).unwrap(),
        ));
    }
    out
}
