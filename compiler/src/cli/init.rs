//! `gitopsc init`: not written yet.

/// Arguments of `gitopsc init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Files or folders.
    pub paths: Vec<std::path::PathBuf>,
}

/// Runs the command; returns the exit status.
pub fn run(_args: &InitArgs) -> i32 {
    eprintln!("error: `gitopsc init` is not available yet");
    2
}
