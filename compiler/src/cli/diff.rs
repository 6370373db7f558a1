//! `gitopsc diff`: not written yet.

/// Runs the command; returns the exit status.
pub fn run(_args: &super::BuildArgs) -> i32 {
    eprintln!("error: `gitopsc diff` is not available yet");
    2
}
