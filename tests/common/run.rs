//! Running the `gitopsc` binary from integration tests, in scratch folders of their own.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the binary with `args` in `dir`, without colour.
pub fn gitopsc(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gitopsc"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// An empty folder for one test (`suite` and `name` keep tests and processes apart).
pub fn scratch(suite: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gitopsc-{suite}-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
