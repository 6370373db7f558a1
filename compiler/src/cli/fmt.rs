//! `gitopsc fmt`: not written yet.

/// Arguments of `gitopsc fmt`.
#[derive(Debug, clap::Args)]
pub struct FmtArgs {
    /// Files or folders.
    pub paths: Vec<std::path::PathBuf>,
}

/// Runs the command; returns the exit status.
pub fn run(_args: &FmtArgs) -> i32 {
    eprintln!("error: `gitopsc fmt` is not available yet");
    2
}
