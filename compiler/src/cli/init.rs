//! `gitopsc init`: scaffolds a starter program by finding the services of a repository.
//!
//! The repository root and each folder directly under it are looked at; a folder is a service
//! when it holds a build file (the first match wins, in this order): `pom.xml` (maven),
//! `build.gradle` or `build.gradle.kts` (gradle), `go.mod` (go), `package.json` (npm),
//! `pyproject.toml` or `requirements.txt` (python), or only a `Dockerfile` (docker). The root
//! counts as a service when it has a build file and either no sub-folder is a service or it has
//! its own Dockerfile (a root `package.json` next to service folders is usually workspace
//! tooling). The project name comes from `--name`, else the `origin` remote in `.git/config`,
//! else the folder's name.
//!
//! The program is rendered from the handlebars template in `templates/`, laid out by the
//! formatter, checked in memory, and written to `<DIR>/<NAME>.gitops` only if it checks clean;
//! an existing file is kept unless `--force` is given.

use crate::ir::ToolchainKind;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The template of the generated program.
const TEMPLATE: &str = include_str!("templates/program.gitops.hbs");

/// Build files in the order they are tried, with the toolchain each one means.
const BUILD_FILES: &[(&str, ToolchainKind)] = &[
    ("pom.xml", ToolchainKind::Maven),
    ("build.gradle", ToolchainKind::Gradle),
    ("build.gradle.kts", ToolchainKind::Gradle),
    ("go.mod", ToolchainKind::Go),
    ("package.json", ToolchainKind::Npm),
    ("pyproject.toml", ToolchainKind::Python),
    ("requirements.txt", ToolchainKind::Python),
    ("Dockerfile", ToolchainKind::Docker),
];

/// Folders that hold dependencies or build output, never a service.
const SKIPPED: &[&str] = &[
    "node_modules",
    "target",
    "vendor",
    "dist",
    "venv",
    "__pycache__",
];

/// Names a service cannot take: the program's other declarations, the generated jobs and the
/// names the language gives a meaning to.
const RESERVED: &[&str] = &[
    "dev",
    "staging",
    "prod",
    "ghcr",
    "ci",
    "promote",
    "image",
    "deploy",
    "test",
    "to-staging",
    "to-prod",
    "changes",
    "std",
    "git",
    "services",
    "secrets",
    "images",
    "inputs",
    "event",
    "run",
    "matrix",
    "project",
    "svc",
    "true",
    "false",
    "none",
    "changed",
    "succeeded",
    "failed",
    "skipped",
    "always",
    "success",
    "failure",
];

/// Arguments of `gitopsc init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The repository folder to scan and write the program into (default: `.`).
    pub dir: Option<PathBuf>,
    /// The project name (default: the `origin` remote's repository name, else the folder name).
    #[arg(long)]
    pub name: Option<String>,
    /// Overwrite `<DIR>/<NAME>.gitops` if it already exists.
    #[arg(long)]
    pub force: bool,
}

/// A service found in the repository, as the template sees it.
#[derive(Debug, Clone, Serialize)]
struct Found {
    name: String,
    /// Folder relative to the repository root (`.` for the root).
    path: String,
    /// The build file that gave the service away.
    found: &'static str,
    toolchain: &'static str,
    /// Language version; empty for `docker`.
    version: String,
    port: u16,
    /// The stdlib task that tests the service, if its toolchain has one.
    test: Option<&'static str>,
    /// Sentences for the comment above the service.
    notes: Vec<&'static str>,
}

/// What init learnt from `.git`.
#[derive(Debug, Default)]
struct Remote {
    /// `https://host/owner/repo`.
    url: Option<String>,
    /// The GitHub owner, when the remote is on github.com.
    owner: Option<String>,
    /// The repository name.
    repo: Option<String>,
    /// The default branch, from `refs/remotes/origin/HEAD`.
    branch: Option<String>,
}

/// Runs the command; returns the exit status.
pub fn run(args: &InitArgs) -> i32 {
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    if !dir.is_dir() {
        return super::usage(&format!("{} is not a folder", dir.display()));
    }
    let remote = read_remote(&dir);
    let name = match project_name(args.name.as_deref(), &remote, &dir) {
        Ok(n) => n,
        Err(e) => return super::usage(&e),
    };
    let services = match scan(&dir) {
        Ok(s) if s.is_empty() => return super::usage(&nothing_found(&dir)),
        Ok(s) => s,
        Err(e) => return super::usage(&e),
    };
    let target = dir.join(format!("{name}.gitops"));
    if target.exists() && !args.force {
        return super::usage(&format!(
            "{} already exists; pass --force to overwrite it",
            target.display()
        ));
    }
    let text = match render(&name, &remote, &services) {
        Ok(t) => t,
        Err(e) => return super::usage(&format!("cannot render the starter program: {e}")),
    };
    write(&target, &text, &services)
}

fn nothing_found(dir: &Path) -> String {
    let files: Vec<&str> = BUILD_FILES.iter().map(|(f, _)| *f).collect();
    format!(
        "found no service in {} or the folders under it (looked for {})",
        dir.display(),
        files.join(", ")
    )
}

/// Checks the program in memory and writes it if it is clean.
fn write(target: &Path, text: &str, services: &[Found]) -> i32 {
    let source = crate::Source::new(target.display().to_string(), text);
    let c = crate::check(std::slice::from_ref(&source));
    if c.has_errors() {
        super::report(&c, crate::diagnostics::MessageFormat::Human);
        eprintln!("error: internal compiler error: the starter program does not check; nothing was written");
        return 1;
    }
    if let Err(e) = super::write::write_atomic(target, text) {
        return super::usage(&format!("cannot write {}: {e}", target.display()));
    }
    eprintln!(
        "wrote {} with {} service(s):",
        target.display(),
        services.len()
    );
    for s in services {
        eprintln!("  {:<20} {:<8} {}", s.name, s.toolchain, s.path);
    }
    eprintln!(
        "next: `gitopsc check {0}`, then `gitopsc diff {0}` and `gitopsc build {0}`",
        target.display()
    );
    0
}

/// Renders the template for the project `name` with `services`.
fn render(name: &str, remote: &Remote, services: &[Found]) -> Result<String, String> {
    let mut hb = handlebars::Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_escape_fn(gitops_string);
    hb.register_template_string("program", TEMPLATE)
        .map_err(|e| e.to_string())?;
    let text = hb
        .render("program", &template_data(name, remote, services))
        .map_err(|e| e.to_string())?;
    // The canonical layout, so that `gitopsc fmt --check` (and its pre-commit hook) accepts the
    // program as written; the check before writing catches a program that does not parse.
    Ok(crate::fmt::format(&text).unwrap_or(text))
}

/// The values the template reads.
fn template_data(name: &str, remote: &Remote, services: &[Found]) -> serde_json::Value {
    let tests: Vec<Option<&str>> = services.iter().map(|s| s.test).collect();
    let shared = tests
        .first()
        .copied()
        .flatten()
        .filter(|first| tests.iter().all(|t| *t == Some(*first)));
    let per_service: Vec<serde_json::Value> = match shared {
        Some(_) => Vec::new(),
        None => services
            .iter()
            .filter_map(|s| Some(serde_json::json!({ "service": s.name, "task": s.test? })))
            .collect(),
    };
    let owner = remote.owner.clone();
    let app_repo = remote
        .url
        .clone()
        .unwrap_or_else(|| format!("https://github.com/your-org/{name}"));
    serde_json::json!({
        "project": name,
        "app_repo": app_repo,
        "repo_known": remote.url.is_some(),
        "owner": owner.clone().unwrap_or_else(|| "your-org".into()),
        "owner_known": owner.is_some(),
        "branch": remote.branch.clone().unwrap_or_else(|| "main".into()),
        "services": services,
        "tests": per_service,
        "loop_test": shared.unwrap_or(""),
    })
}

/// Escapes a value for the inside of a `.gitops` string literal.
fn gitops_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\\' | '"' | '$' => {
                out.push('\\');
                out.push(ch);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The project name: `--name`, else the remote's repository, else the folder's name.
fn project_name(given: Option<&str>, remote: &Remote, dir: &Path) -> Result<String, String> {
    if let Some(n) = given {
        return label(n, 50).ok_or_else(|| {
            format!("`{n}` cannot be made into a project name (letters, digits and `-`)")
        });
    }
    let folder = std::fs::canonicalize(dir)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
    remote
        .repo
        .iter()
        .chain(folder.iter())
        .find_map(|n| label(n, 50))
        .ok_or_else(|| "cannot guess a project name; pass --name".to_string())
}

/// `s` as a DNS-1123 label of at most `max` characters, if anything of it is left.
fn label(s: &str, max: usize) -> Option<String> {
    let mut out = String::new();
    for ch in s.trim().chars() {
        let c = ch.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "svc-");
    }
    out.truncate(max);
    let out = out.trim_end_matches('-').to_string();
    (!out.is_empty()).then_some(out)
}

/// Every service in `dir` (the root first, then sub-folders in name order), with unique names.
fn scan(dir: &Path) -> Result<Vec<Found>, String> {
    let mut found = Vec::new();
    for sub in subfolders(dir)? {
        if let Some(s) = detect(&dir.join(&sub), &sub) {
            found.push(s);
        }
    }
    if let Some(root) = detect(dir, ".") {
        if found.is_empty() || dir.join("Dockerfile").is_file() {
            found.insert(0, root);
        }
    }
    let mut taken: Vec<String> = Vec::new();
    for s in &mut found {
        s.name = unique_name(&s.name, &taken);
        taken.push(s.name.clone());
    }
    Ok(found)
}

/// Folders directly under `dir` that may hold a service, in name order.
fn subfolders(dir: &Path) -> Result<Vec<String>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut out: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().to_str().map(String::from))
        .filter(|n| !n.starts_with('.') && !SKIPPED.contains(&n.as_str()))
        .filter(|n| {
            n.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        })
        .collect();
    out.sort();
    Ok(out)
}

/// A unique service name for `wanted`, given the names already `taken`.
fn unique_name(wanted: &str, taken: &[String]) -> String {
    let clash = |n: &str| {
        RESERVED.contains(&n)
            || taken.iter().any(|t| t == n)
            || taken
                .iter()
                .any(|t| format!("test-{t}") == n || format!("test-{n}") == *t)
    };
    let base = if RESERVED.contains(&wanted) {
        format!("{wanted}-svc")
    } else {
        wanted.to_string()
    };
    let mut name = base.clone();
    let mut n = 2;
    while clash(&name) {
        name = format!("{base}-{n}");
        n += 1;
    }
    name
}

/// The service in `folder` (shown as `path`), if it has a build file.
fn detect(folder: &Path, path: &str) -> Option<Found> {
    let (file, kind) = BUILD_FILES
        .iter()
        .find(|(f, _)| folder.join(f).is_file())
        .copied()?;
    let name = if path == "." {
        std::fs::canonicalize(folder)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "app".into())
    } else {
        path.to_string()
    };
    let dockerfile = folder.join("Dockerfile").is_file();
    let python_tests = folder.join("requirements.txt").is_file();
    Some(Found {
        name: label(&name, 63).unwrap_or_else(|| "app".into()),
        path: path.to_string(),
        found: file,
        toolchain: kind.as_str(),
        version: version(folder, kind),
        port: exposed_port(folder).unwrap_or_else(|| default_port(kind)),
        test: test_task(kind, python_tests),
        notes: notes(dockerfile, kind, python_tests),
    })
}

/// The sentences of the comment above a service.
fn notes(dockerfile: bool, kind: ToolchainKind, python_tests: bool) -> Vec<&'static str> {
    let mut parts = Vec::new();
    if !dockerfile {
        parts.push("It has no Dockerfile yet: add one before the image job runs.");
    }
    if kind == ToolchainKind::Python && !python_tests {
        parts.push("Without a requirements.txt, CI lints it instead of running pytest.");
    }
    parts
}

/// The stdlib task that tests a service built with `kind`.
fn test_task(kind: ToolchainKind, python_tests: bool) -> Option<&'static str> {
    match kind {
        ToolchainKind::Maven => Some("std.maven.test"),
        ToolchainKind::Gradle => Some("std.gradle.test"),
        ToolchainKind::Npm => Some("std.npm.test"),
        ToolchainKind::Go => Some("std.go.test"),
        ToolchainKind::Python if python_tests => Some("std.python.test"),
        ToolchainKind::Python => Some("std.python.lint"),
        ToolchainKind::Docker => None,
    }
}

fn default_port(kind: ToolchainKind) -> u16 {
    match kind {
        ToolchainKind::Npm => 3000,
        ToolchainKind::Python => 8000,
        _ => 8080,
    }
}

/// The first port the Dockerfile exposes.
fn exposed_port(folder: &Path) -> Option<u16> {
    let text = std::fs::read_to_string(folder.join("Dockerfile")).ok()?;
    text.lines().find_map(|l| {
        let mut words = l.split_whitespace();
        let first = words.next()?;
        if !first.eq_ignore_ascii_case("EXPOSE") {
            return None;
        }
        let port = words.next()?.split('/').next()?;
        port.parse::<u16>().ok().filter(|p| *p > 0)
    })
}

/// The language version the build files ask for, else the compiler's default.
fn version(folder: &Path, kind: ToolchainKind) -> String {
    let read = |f: &str| std::fs::read_to_string(folder.join(f)).unwrap_or_default();
    let found = match kind {
        ToolchainKind::Go => go_version(&read("go.mod")),
        ToolchainKind::Maven => java_version_pom(&read("pom.xml")),
        ToolchainKind::Gradle => {
            java_version_gradle(&(read("build.gradle") + &read("build.gradle.kts")))
        }
        ToolchainKind::Npm => node_version(&read("package.json")),
        ToolchainKind::Python => python_version(&read("pyproject.toml")),
        ToolchainKind::Docker => return String::new(),
    };
    found.unwrap_or_else(|| {
        match kind {
            ToolchainKind::Maven | ToolchainKind::Gradle => "17",
            ToolchainKind::Npm => "24",
            ToolchainKind::Python => "3.12",
            _ => "1.26",
        }
        .to_string()
    })
}

/// The leading `digits[.digits]` of `s`.
fn leading_version(s: &str, parts: usize) -> Option<String> {
    let s = s.trim_start_matches(|c: char| !c.is_ascii_digit());
    let v: Vec<&str> = s
        .split(|c: char| !c.is_ascii_digit() && c != '.')
        .next()?
        .split('.')
        .filter(|p| !p.is_empty())
        .take(parts)
        .collect();
    (!v.is_empty()).then(|| v.join("."))
}

/// `go 1.22.3` in go.mod gives `1.22`.
fn go_version(go_mod: &str) -> Option<String> {
    let line = go_mod.lines().find_map(|l| l.trim().strip_prefix("go "))?;
    leading_version(line, 2).filter(|v| v.contains('.'))
}

/// `<java.version>`, `<maven.compiler.release>` or `<maven.compiler.source>` in a pom.
fn java_version_pom(pom: &str) -> Option<String> {
    [
        "java.version",
        "maven.compiler.release",
        "maven.compiler.source",
    ]
    .iter()
    .find_map(|tag| {
        let start = pom.find(&format!("<{tag}>"))? + tag.len() + 2;
        let value = &pom[start..];
        leading_version(&value[..value.find('<')?], 1)
    })
}

/// `JavaLanguageVersion.of(21)` or `VERSION_21` in a Gradle build.
fn java_version_gradle(build: &str) -> Option<String> {
    ["JavaLanguageVersion.of(", "JavaVersion.VERSION_"]
        .iter()
        .find_map(|marker| {
            let start = build.find(marker)? + marker.len();
            leading_version(&build[start..], 1)
        })
}

/// The major version in `engines.node` of package.json.
fn node_version(package: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(package).ok()?;
    leading_version(v.get("engines")?.get("node")?.as_str()?, 1)
}

/// The lowest version in `requires-python` of pyproject.toml.
fn python_version(pyproject: &str) -> Option<String> {
    let line = pyproject
        .lines()
        .find(|l| l.trim_start().starts_with("requires-python"))?;
    leading_version(line.split_once('=')?.1, 2).filter(|v| v.contains('.'))
}

/// The `origin` remote and default branch recorded in `dir/.git`.
fn read_remote(dir: &Path) -> Remote {
    let Some(git) = git_dir(dir) else {
        return Remote::default();
    };
    let config = std::fs::read_to_string(git.join("config"))
        .or_else(|_| std::fs::read_to_string(git.join("../../config")))
        .unwrap_or_default();
    let mut remote = origin_url(&config)
        .map(|u| parse_remote(&u))
        .unwrap_or_default();
    remote.branch = std::fs::read_to_string(git.join("refs/remotes/origin/HEAD"))
        .ok()
        .and_then(|h| {
            h.trim()
                .strip_prefix("ref: refs/remotes/origin/")
                .map(String::from)
        })
        .filter(|b| !b.is_empty() && !b.contains(['"', '\\', '$']));
    remote
}

/// `dir/.git`, or the folder a `.git` file points to (a worktree).
fn git_dir(dir: &Path) -> Option<PathBuf> {
    let dot = dir.join(".git");
    if dot.is_dir() {
        return Some(dot);
    }
    let text = std::fs::read_to_string(&dot).ok()?;
    let target = PathBuf::from(text.trim().strip_prefix("gitdir:")?.trim());
    Some(if target.is_absolute() {
        target
    } else {
        dir.join(target)
    })
}

/// The `url` of `[remote "origin"]` in a git config.
fn origin_url(config: &str) -> Option<String> {
    let mut in_origin = false;
    for line in config.lines().map(str::trim) {
        if line.starts_with('[') {
            in_origin = line.replace(char::is_whitespace, "") == "[remote\"origin\"]";
        } else if let (true, Some((k, v))) = (in_origin, line.split_once('=')) {
            if k.trim() == "url" {
                return Some(v.trim().trim_matches('"').to_string());
            }
        }
    }
    None
}

/// An https URL, owner and repository from a remote URL; credentials are dropped.
fn parse_remote(url: &str) -> Remote {
    let rest = match url.split_once("://") {
        Some((_, r)) => r.to_string(),
        // `git@host:owner/repo`: scp-like syntax.
        None if url.contains(':') && !url.starts_with(['/', '.']) => url.replacen(':', "/", 1),
        // A local path: only the repository name means anything.
        None => {
            let repo = url.trim_end_matches('/').rsplit('/').next();
            return Remote {
                repo: repo.map(|r| r.trim_end_matches(".git").to_string()),
                ..Remote::default()
            };
        }
    };
    let rest = rest.rsplit_once('@').map_or(rest.as_str(), |(_, r)| r);
    let mut parts = rest.split('/').filter(|p| !p.is_empty());
    let Some(host) = parts.next().map(|h| h.split(':').next().unwrap_or(h)) else {
        return Remote::default();
    };
    let segs: Vec<String> = parts
        .map(|p| p.trim_end_matches(".git").to_string())
        .collect();
    if segs.is_empty() || host.is_empty() {
        return Remote::default();
    }
    let owner = (host == "github.com" && segs.len() == 2)
        .then(|| segs[0].to_ascii_lowercase())
        .filter(|o| label(o, 63).as_deref() == Some(o.as_str()));
    Remote {
        url: Some(format!("https://{host}/{}", segs.join("/"))),
        owner,
        repo: segs.last().cloned(),
        branch: None,
    }
}
