//! The command line: the only module that reads and writes files, reads the environment and
//! looks at the terminal. Exit status: 0 clean, 1 the program has errors (or `--check` found
//! changes), 2 usage or I/O trouble.

use crate::diagnostics::{self, Diagnostic, MessageFormat};
use crate::{emit, Compilation, Source};
use clap::{Parser, Subcommand};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

mod diff;
mod fmt;
mod graph;
mod init;
mod write;

pub use graph::{dot as graph_dot, mermaid as graph_mermaid};
pub use write::{plan_writes, Plan};

/// The gitopsc command line.
#[derive(Debug, Parser)]
#[command(
    name = "gitopsc",
    version,
    about = "Compile a .gitops program into GitHub Actions, Tekton, Argo CD and Kustomize files"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a program and report problems; writes nothing.
    Check(CheckArgs),
    /// Check a program and write the files it generates.
    Build(BuildCmd),
    /// Print the documentation page of a diagnostic code (e.g. `gitopsc explain E0008`).
    Explain {
        /// The code, such as E0008.
        code: String,
    },
    /// Print programs in the canonical layout (comments kept).
    Fmt(fmt::FmtArgs),
    /// Show, as a unified diff, what `build` would change.
    Diff(BuildArgs),
    /// Print the pipeline DAGs and the promotion graph as Mermaid or DOT.
    Graph(graph::GraphArgs),
    /// Scaffold a starter program by detecting the services of a repository.
    Init(init::InitArgs),
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// `.gitops` files, or folders whose `.gitops` files form one program (default: `.`).
    pub paths: Vec<PathBuf>,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value = "human")]
    pub message_format: MessageFormat,
}

#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub check: CheckArgs,
    /// Write into this folder (one sub-folder per repository when the application and GitOps
    /// repositories differ) instead of the current folder.
    #[arg(short = 'o', long = "out")]
    pub out: Option<PathBuf>,
    /// Write nothing; list the files that would change and exit 1 if any would.
    #[arg(long = "check")]
    pub check_only: bool,
    /// Validate every generated document against the bundled JSON Schemas.
    #[arg(long)]
    pub validate: bool,
}

/// `gitopsc build`: the build arguments and where the files go.
#[derive(clap::Args, Debug)]
pub struct BuildCmd {
    #[command(flatten)]
    pub build: BuildArgs,
    /// Print every generated file to standard output as one YAML stream (each file after a
    /// `# file: PATH` line) instead of writing files.
    #[arg(long, conflicts_with_all = ["out", "check_only"])]
    pub stdout: bool,
}

/// Runs the command line with the process arguments; returns the exit status.
pub fn main() -> i32 {
    let cli = match Cli::try_parse_from(std::env::args_os()) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    match cli.command {
        Command::Check(a) => check(&a),
        Command::Build(a) => build(&a),
        Command::Explain { code } => explain(&code),
        Command::Fmt(a) => fmt::run(&a),
        Command::Diff(a) => diff::run(&a),
        Command::Graph(a) => graph::run(&a),
        Command::Init(a) => init::run(&a),
    }
}

fn color() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
}

/// Reads the program's sources: files as given, folders as their `.gitops` files in name order.
pub fn read_sources(paths: &[PathBuf]) -> Result<Vec<Source>, String> {
    let default = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("cannot read {}: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "gitops") && f.is_file())
                .collect();
            files.sort();
            if files.is_empty() {
                return Err(format!("{} holds no .gitops file", p.display()));
            }
            for f in files {
                out.push(read_one(&f)?);
            }
        } else {
            out.push(read_one(p)?);
        }
    }
    Ok(out)
}

fn read_one(p: &Path) -> Result<Source, String> {
    let bytes = std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
    let text =
        String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8 text", p.display()))?;
    Ok(Source::new(p.display().to_string(), text))
}

fn report(c: &Compilation, format: MessageFormat) {
    let text = diagnostics::render(&c.diagnostics, &c.sources, format, color());
    match format {
        MessageFormat::Human => {
            let _ = std::io::stderr().write_all(text.as_bytes());
            let errors = c.diagnostics.iter().filter(|d| d.is_error()).count();
            let warnings = c.diagnostics.len() - errors;
            if errors + warnings > 0 {
                eprintln!("{}", summary(errors, warnings));
            }
        }
        _ => {
            let _ = std::io::stdout().write_all(text.as_bytes());
        }
    }
}

fn summary(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    match (errors, warnings) {
        (0, w) => plural(w, "warning"),
        (e, 0) => plural(e, "error"),
        (e, w) => format!("{}, {}", plural(e, "error"), plural(w, "warning")),
    }
}

fn check(a: &CheckArgs) -> i32 {
    let sources = match read_sources(&a.paths) {
        Ok(s) => s,
        Err(e) => return usage(&e),
    };
    let c = crate::check(&sources);
    report(&c, a.message_format);
    let code = i32::from(c.has_errors());
    exit_soon(c);
    code
}

fn usage(msg: &str) -> i32 {
    eprintln!("error: {msg}");
    2
}

fn build(cmd: &BuildCmd) -> i32 {
    // The pool's other threads start now, while the program is read, parsed and checked.
    let _pool = crate::join_thread_pool();
    let a = &cmd.build;
    let sources = match read_sources(&a.check.paths) {
        Ok(s) => s,
        Err(e) => return usage(&e),
    };
    let (c, rendered) = if a.validate {
        let c = crate::check(&sources);
        let files = crate::outputs(&c);
        report(&c, a.check.message_format);
        let Some(program) = c.program.as_ref().filter(|_| !c.has_errors()) else {
            return 1;
        };
        let problems = crate::validate::validate_outputs(&files);
        if !problems.is_empty() {
            for p in &problems {
                eprintln!("error: {p}");
            }
            eprintln!(
                "{} generated document(s) do not match their schema",
                problems.len()
            );
            return 1;
        }
        let rendered = emit::render(&program.source_name, &files).map(emit::Files::from);
        drop(files);
        (c, rendered)
    } else {
        let (c, rendered) =
            crate::build_rendered_with(&sources, crate::threads(), crate::Teardown::Exit);
        report(&c, a.check.message_format);
        (c, rendered)
    };
    let Some(program) = c.program.as_ref().filter(|_| !c.has_errors()) else {
        return 1;
    };
    let rendered = match rendered {
        Ok(r) => r,
        Err(e) => {
            let d = Diagnostic::internal(Default::default(), e);
            eprintln!("error: {}", d.message);
            return 2;
        }
    };
    if cmd.stdout {
        let code = write::print_stream(&program.project, &rendered);
        exit_soon((c, rendered));
        return code;
    }
    let root = a.out.clone().unwrap_or_else(|| PathBuf::from("."));
    let plan = match plan_writes(&root, &program.project, &rendered, crate::threads()) {
        Ok(p) => p,
        Err(e) => return usage(&e),
    };
    let code = if a.check_only {
        plan.report_check()
    } else {
        plan.apply(crate::threads())
    };
    // The plan borrows the files' texts: it goes first.
    exit_soon(plan);
    exit_soon((c, rendered));
    code
}

/// Gives up the memory of a finished build without freeing it piece by piece: the process
/// exits right after, and the operating system takes the memory back at once.
fn exit_soon<T>(value: T) {
    std::mem::forget(value);
}

fn explain(code: &str) -> i32 {
    match diagnostics::Code::parse(code) {
        Some(c) => {
            print!("{}", diagnostics::page(c));
            0
        }
        None => {
            let known: Vec<&str> = diagnostics::ALL_CODES.iter().map(|c| c.as_str()).collect();
            let mut msg = format!("`{code}` is not a gitopsc diagnostic code");
            if let Some(best) = diagnostics::closest(code, known.iter().copied()) {
                msg.push_str(&format!(" (did you mean {best}?)"));
            }
            usage(&msg)
        }
    }
}
