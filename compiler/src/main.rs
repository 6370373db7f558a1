//! The `gitopsc` binary: parses arguments and hands over to [`gitopsc::cli`].

fn main() {
    std::process::exit(gitopsc::cli::main());
}
