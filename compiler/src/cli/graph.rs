//! `gitopsc graph`: not written yet.

/// Arguments of `gitopsc graph`.
#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    /// Files or folders.
    pub paths: Vec<std::path::PathBuf>,
}

/// Runs the command; returns the exit status.
pub fn run(_args: &GraphArgs) -> i32 {
    eprintln!("error: `gitopsc graph` is not available yet");
    2
}
