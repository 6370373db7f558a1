//! The formatter (`gitopsc fmt`): idempotent on every `.gitops` text of the repository, keeps
//! every comment in order, never changes what a program emits or which diagnostics it gets,
//! lays out small programs exactly as pinned here, and leaves a file with a syntax error alone.
//! The command line is run as users run it: in place, `--check`, standard input, exit statuses.

#[path = "common/run.rs"]
mod run;
use run::gitopsc;

use gitopsc::fmt::format;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Every `.gitops` file under `dir`, in name order (none when `dir` does not exist).
fn gitops_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "gitops") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The ```gitops blocks (with or without a code, as in ```gitops,E0008) of the book.
fn book_blocks() -> Vec<(String, String)> {
    let mut pages = Vec::new();
    let mut stack = vec![PathBuf::from("book/src")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "md") {
                pages.push(p);
            }
        }
    }
    pages.sort();
    let mut out = Vec::new();
    for page in pages {
        let text = std::fs::read_to_string(&page).unwrap();
        let mut rest = text.as_str();
        while let Some(i) = rest.find("```gitops") {
            let Some(nl) = rest[i..].find('\n') else {
                break;
            };
            let body = &rest[i + nl + 1..];
            let Some(end) = body.find("```") else { break };
            out.push((
                format!("{}#{}", page.display(), out.len()),
                body[..end].to_string(),
            ));
            rest = &body[end..];
        }
    }
    out
}

/// Every `.gitops` text of the repository: examples, test cases, negative cases, the standard
/// library and the book's programs. Files that disappear while being listed are skipped.
fn corpus() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for dir in ["examples", "tests/cases", "tests/diagnostics", "stdlib"] {
        for p in gitops_files(Path::new(dir)) {
            if let Ok(text) = std::fs::read_to_string(&p) {
                out.push((p.display().to_string(), text));
            }
        }
    }
    out.extend(book_blocks());
    assert!(out.len() >= 100, "only {} .gitops texts found", out.len());
    out
}

fn parses(text: &str) -> bool {
    gitopsc::syntax::parse(0, text).is_ok()
}

fn comment_texts(text: &str) -> Vec<String> {
    gitopsc::syntax::collect_comments(0, text)
        .into_iter()
        .map(|c| c.text)
        .collect()
}

/// Formats a text that parses; a failure here is a formatter bug, reported with the file name.
fn formatted(name: &str, text: &str) -> String {
    format(text).unwrap_or_else(|d| panic!("{name}: {} ({})", d.message, d.code.as_str()))
}

#[test]
fn formatting_is_idempotent_on_every_gitops_text() {
    let mut checked = 0;
    for (name, text) in corpus() {
        if !parses(&text) {
            continue;
        }
        let once = formatted(&name, &text);
        let twice = formatted(&name, &once);
        assert_eq!(once, twice, "{name}: formatting twice differs from once");
        checked += 1;
    }
    assert!(checked >= 100, "only {checked} texts checked");
}

#[test]
fn formatting_keeps_every_comment_in_order() {
    for (name, text) in corpus() {
        if parses(&text) {
            let out = formatted(&name, &text);
            assert_eq!(comment_texts(&out), comment_texts(&text), "{name}");
        }
    }
}

/// `text` with a comment inserted before each of `slots` (byte offsets of a space or a line
/// break): a `//` comment before a line break when `line` is set, else a block comment.
fn with_comments(text: &str, slots: &[usize], line: bool) -> String {
    let mut out = String::with_capacity(text.len() + 16 * slots.len());
    let mut from = 0;
    for (n, &at) in slots.iter().enumerate() {
        out.push_str(&text[from..at]);
        if line && text[at..].starts_with('\n') {
            out.push_str(&format!(" // c{n}"));
        } else {
            out.push_str(&format!(" /* c{n} */"));
        }
        from = at;
    }
    out.push_str(&text[from..]);
    out
}

/// About forty blank positions of `text` where an inserted comment is a comment of its own: not
/// inside a string or another comment (found by inserting one at every candidate and keeping
/// those the comment scanner sees whole).
fn comment_slots(text: &str) -> Vec<usize> {
    let existing = gitopsc::syntax::collect_comments(0, text);
    let inside_comment = |at: usize| {
        existing
            .iter()
            .any(|c| (c.span.start as usize) <= at && at < c.span.end as usize)
    };
    let blanks: Vec<usize> = text
        .char_indices()
        .filter(|&(i, c)| (c == ' ' || c == '\n') && !text[..i].ends_with('\\'))
        .map(|(i, _)| i)
        .filter(|&i| !inside_comment(i))
        .collect();
    let candidates: Vec<usize> = blanks
        .iter()
        .copied()
        .step_by((blanks.len() / 40).max(1))
        .collect();
    let seen = comment_texts(&with_comments(text, &candidates, false));
    candidates
        .iter()
        .enumerate()
        .filter(|(n, _)| seen.contains(&format!("/* c{n} */")))
        .map(|(_, &at)| at)
        .collect()
}

#[test]
fn comments_anywhere_are_kept_in_order_and_formatting_stays_idempotent() {
    let mut mutants = 0;
    let mut inserted = 0;
    for (name, text) in corpus() {
        if !parses(&text) {
            continue;
        }
        let slots = comment_slots(&text);
        for (r, line) in [(0, true), (1, false), (2, true)] {
            let chosen: Vec<usize> = slots.iter().copied().skip(r).step_by(3).collect();
            inserted += chosen.len();
            let input = with_comments(&text, &chosen, line);
            let once = formatted(&format!("{name} with comments {r}"), &input);
            assert_eq!(
                comment_texts(&once),
                comment_texts(&input),
                "{name} {r}:\n{once}"
            );
            let twice = formatted(&format!("{name} with comments {r}, again"), &once);
            assert_eq!(twice, once, "{name} {r}: not idempotent\n{input}");
            mutants += 1;
        }
    }
    assert!(mutants >= 300, "only {mutants} programs checked");
    assert!(inserted >= 3000, "only {inserted} comments inserted");
}

#[test]
fn formatted_lines_end_without_spaces_except_inside_literals() {
    for (name, text) in corpus() {
        if !parses(&text) {
            continue;
        }
        let out = formatted(&name, &text);
        assert!(
            out.is_empty() || out.ends_with('\n'),
            "{name}: no final newline"
        );
        assert!(!out.ends_with("\n\n"), "{name}: blank lines at the end");
        for line in out.lines().filter(|l| l.ends_with([' ', '\t'])) {
            assert!(
                text.lines().any(|l| l == line),
                "{name}: trailing space added on {line:?}"
            );
        }
    }
}

/// What a program emits: every rendered file, and its sorted diagnostic codes.
fn emitted(sources: &[gitopsc::Source]) -> (Vec<gitopsc::emit::RenderedFile>, Vec<String>) {
    let c = gitopsc::check(sources);
    let outputs = gitopsc::outputs(&c);
    let mut codes: Vec<String> = c
        .diagnostics
        .iter()
        .map(|d| d.code.as_str().to_string())
        .collect();
    codes.sort();
    let rendered = match &c.program {
        Some(p) => gitopsc::emit::render(&p.source_name, &outputs).unwrap_or_default(),
        None => Vec::new(),
    };
    (rendered, codes)
}

/// The programs whose output must not change: each folder of `examples/` (its files form one
/// program) and each test case.
fn programs() -> Vec<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("examples")
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for d in dirs {
        let files: Vec<PathBuf> = gitops_files(&d)
            .into_iter()
            .filter(|f| f.parent() == Some(d.as_path()))
            .collect();
        if !files.is_empty() {
            out.push(files);
        }
    }
    out.extend(
        gitops_files(Path::new("tests/cases"))
            .into_iter()
            .map(|f| vec![f]),
    );
    out
}

#[test]
fn formatting_never_changes_what_a_program_emits() {
    let mut checked = 0;
    for files in programs() {
        let Ok(texts) = files
            .iter()
            .map(std::fs::read_to_string)
            .collect::<Result<Vec<_>, _>>()
        else {
            continue;
        };
        if !texts.iter().all(|t| parses(t)) {
            continue;
        }
        let name = |f: &PathBuf| f.file_name().unwrap().to_string_lossy().into_owned();
        let before: Vec<_> = files
            .iter()
            .zip(&texts)
            .map(|(f, t)| gitopsc::Source::new(name(f), t.clone()))
            .collect();
        let after: Vec<_> = before
            .iter()
            .map(|s| gitopsc::Source::new(s.name.clone(), formatted(&s.name, &s.text)))
            .collect();
        let (want, want_codes) = emitted(&before);
        let (got, got_codes) = emitted(&after);
        assert_eq!(got_codes, want_codes, "{files:?}: diagnostics changed");
        assert_eq!(got.len(), want.len(), "{files:?}: another set of files");
        for (g, w) in got.iter().zip(&want) {
            assert!(g == w, "{files:?}: {} changed", w.path);
        }
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} programs checked");
}

#[test]
fn formatting_never_changes_diagnostic_codes() {
    let mut checked = 0;
    for f in gitops_files(Path::new("tests/diagnostics")) {
        let text = std::fs::read_to_string(&f).unwrap();
        if !parses(&text) {
            continue;
        }
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let out = formatted(&name, &text);
        let (_, want) = emitted(&[gitopsc::Source::new(name.clone(), text)]);
        let (_, got) = emitted(&[gitopsc::Source::new(name.clone(), out)]);
        assert_eq!(got, want, "{name}");
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} negative cases checked");
}

/// Asserts the exact output for `input`, and that it is a fixed point.
fn pins(input: &str, expected: &str) {
    let out = format(input).unwrap_or_else(|d| panic!("{}", d.message));
    assert_eq!(
        out, expected,
        "\n--- got ---\n{out}--- expected ---\n{expected}"
    );
    assert_eq!(format(&out).unwrap(), out, "not a fixed point");
}

#[test]
fn layout_comments_in_odd_places() {
    pins(
        "// head\n\n\nuse std.maven as /* alias */ mvn ; use std.image\n\
         project shop { app_repo = \"x\" ; branch = \"main\" }   // trailing   \n\
         /* block\n   comment */\n\
         task t { // after open\n\
         \x20 param level: enum(\"a\", /* mid */ \"b\") = \"a\"\n\n\
         \x20 step s { run = \"echo\" } // after step\n\n\n\
         \x20 // end of body\n}\n\
         pipeline ci {\n\
         \x20 job a = t(level = \"a\" /* in args */)\n\
         \x20 job b = t( // open\n    level = \"b\",\n    // before close\n  ) { needs = [a] }\n\
         \x20 y = /* before value */ foo\n\
         \x20 z = !(a && /* inside */ b)\n}\n",
        r#"// head

use std.maven as /* alias */ mvn
use std.image
project shop {
  app_repo = "x"
  branch = "main"
} // trailing
/* block
   comment */
task t { // after open
  param level: enum(
    "a",
    /* mid */ "b",
  ) = "a"

  step s {
    run = "echo"
  } // after step

  // end of body
}
pipeline ci {
  job a = t(
    level = "a", /* in args */
  )
  job b = t( // open
    level = "b",
    // before close
  ) {
    needs = [a]
  }
  y = /* before value */ foo
  z = !(a && /* inside */ b)
}
"#,
    );
}

#[test]
fn layout_long_lists_and_calls_break_one_item_per_line() {
    pins(
        "pipeline ci {\n  on push { paths = [\"services/api/**\", \"services/web/**\", \
         \"libs/common/**\", \"libs/proto/**\", \"docs/**\", \"charts/**\"] }\n  \
         job push = std.image.push_dockerhub(frontend, username = secrets.DOCKERHUB_USERNAME, \
         token = secrets.DOCKERHUB_TOKEN) { needs = [test] }\n  \
         job short = f(a, b) ; steps = [10%,25%,\n100%]\n}\n",
        r#"pipeline ci {
  on push {
    paths = [
      "services/api/**",
      "services/web/**",
      "libs/common/**",
      "libs/proto/**",
      "docs/**",
      "charts/**",
    ]
  }
  job push = std.image.push_dockerhub(
    frontend,
    username = secrets.DOCKERHUB_USERNAME,
    token = secrets.DOCKERHUB_TOKEN,
  ) {
    needs = [test]
  }
  job short = f(a, b)
  steps = [10%, 25%, 100%]
}
"#,
    );
}

#[test]
fn layout_nested_records() {
    pins(
        "environment prod { sync = auto { prune = true, self_heal = false, retry = { limit = 5, \
         backoff = 5s, factor = 2, max_backoff = 3m } }\n  resources = {\n cpu = \"1\"\n }\n\
         roles = [{ name = \"ci\", policies = [\"p, proj:shop:ci, applications, sync, shop/*, \
         allow\"], groups = [\"platform\"] }, { name = \"ro\" }] }\n",
        r#"environment prod {
  sync = auto {
    prune = true,
    self_heal = false,
    retry = { limit = 5, backoff = 5s, factor = 2, max_backoff = 3m },
  }
  resources = { cpu = "1" }
  roles = [
    {
      name = "ci",
      policies = ["p, proj:shop:ci, applications, sync, shop/*, allow"],
      groups = ["platform"],
    },
    { name = "ro" },
  ]
}
"#,
    );
}

#[test]
fn layout_triple_quoted_scripts_are_copied_verbatim() {
    let script = "\"\"\"\n      echo \"${greeting}\" \\$HOME   \n        indented\n      \"\"\"";
    let input = r#"task t { step s { name = "a \"b\" ${x}", run = SCRIPT } }"#;
    let expected =
        "task t {\n  step s {\n    name = \"a \\\"b\\\" ${x}\"\n    run = SCRIPT\n  }\n}\n";
    pins(
        &input.replace("SCRIPT", script),
        &expected.replace("SCRIPT", script),
    );
    pins(
        &format!("x = {{ script = {script} }}\n"),
        &format!("x = {{\n  script = {script},\n}}\n"),
    );
}

#[test]
fn layout_top_level_for() {
    pins(
        "for name in [\"users\", \"orders\"] { service \"${name}\" { path = \"services/${name}\", \
         build = go, port = 8080 } }\n",
        r#"for name in ["users", "orders"] {
  service "${name}" {
    path = "services/${name}"
    build = go
    port = 8080
  }
}
"#,
    );
}

#[test]
fn layout_empty_bodies_separators_and_blank_lines() {
    pins(
        "\n\nproject p{ }\ndeployment d {\n\n}\npipeline ci { on pull_request {}; job a = f(), \
         job b = g() {   }\n\n\n\n  job c = h()\n\n}\nx = { }\ny = [ ]\n\n\n",
        "project p {}\ndeployment d {}\npipeline ci {\n  on pull_request {}\n  job a = f()\n  \
         job b = g() {}\n\n  job c = h()\n}\nx = {}\ny = []\n",
    );
    pins("", "");
    pins("\n  // only a comment  \n\n", "// only a comment\n");
}

#[test]
fn the_book_example_is_the_formatters_output() {
    let page = std::fs::read_to_string("book/src/reference/fmt.md").unwrap();
    let block = |marker: &str| {
        let at = page.find(marker).unwrap_or_else(|| panic!("no {marker}"));
        let body = &page[at..];
        let start = body.find("```text\n").unwrap() + "```text\n".len();
        let end = body[start..].find("```").unwrap();
        body[start..start + end].to_string()
    };
    pins(&block("<!-- fmt:before -->"), &block("<!-- fmt:after -->"));
}

#[test]
fn a_syntax_error_is_reported_with_its_code() {
    let d = format("service api { port = }\n").unwrap_err();
    assert_eq!(d.code.as_str(), "E0001");
    let d = format("service api { path = \"api }\n").unwrap_err();
    assert_eq!(d.code.as_str(), "E0001");
}

fn temp(name: &str) -> PathBuf {
    run::scratch("fmt", name)
}

const MESSY: &str = "service api { path = \"api\"; port = 8080 }\n";
const TIDY: &str = "service api {\n  path = \"api\"\n  port = 8080\n}\n";

#[test]
fn cli_rewrites_files_in_place_and_prints_nothing() {
    let dir = temp("inplace");
    std::fs::create_dir_all(dir.join("ci/deep")).unwrap();
    std::fs::create_dir_all(dir.join(".hidden")).unwrap();
    for f in [
        "a.gitops",
        "ci/deep/b.gitops",
        ".hidden/c.gitops",
        "notes.txt",
    ] {
        std::fs::write(dir.join(f), MESSY).unwrap();
    }
    let out = gitopsc(&["fmt", "."], &dir);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    assert_eq!(read("a.gitops"), TIDY);
    assert_eq!(read("ci/deep/b.gitops"), TIDY);
    assert_eq!(
        read(".hidden/c.gitops"),
        MESSY,
        "hidden folders are skipped"
    );
    assert_eq!(read("notes.txt"), MESSY, "only .gitops files are formatted");
    let names: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    assert_eq!(names.len(), 4, "a temporary file was left behind");
}

#[test]
fn cli_check_lists_files_that_would_change_and_writes_nothing() {
    let dir = temp("check");
    std::fs::write(dir.join("messy.gitops"), MESSY).unwrap();
    std::fs::write(dir.join("tidy.gitops"), TIDY).unwrap();
    let out = gitopsc(&["fmt", "--check", "messy.gitops", "tidy.gitops"], &dir);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "messy.gitops\n");
    assert_eq!(
        std::fs::read_to_string(dir.join("messy.gitops")).unwrap(),
        MESSY
    );
    let out = gitopsc(&["fmt", "--check", "tidy.gitops"], &dir);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(out.stdout.is_empty());
}

#[test]
fn cli_does_not_rewrite_a_formatted_file() {
    let dir = temp("untouched");
    let path = dir.join("tidy.gitops");
    std::fs::write(&path, TIDY).unwrap();
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let out = gitopsc(&["fmt", "tidy.gitops"], &dir);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    assert_eq!(modified, old, "a formatted file was written again");
}

#[test]
fn cli_formats_standard_input_to_standard_output() {
    let dir = temp("stdin");
    let run = |args: &[&str], input: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gitopsc"))
            .args(args)
            .current_dir(&dir)
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let out = run(&["fmt", "-"], MESSY);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), TIDY);
    let out = run(&["fmt", "--check", "-"], MESSY);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let out = run(&["fmt", "-"], "service api {\n");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(out.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("E0001"),
        "{out:?}"
    );
}

#[test]
fn cli_leaves_a_file_with_a_syntax_error_unchanged() {
    let dir = temp("syntax");
    let broken = "service api { path = \"api\"; port = }\n";
    std::fs::write(dir.join("broken.gitops"), broken).unwrap();
    std::fs::write(dir.join("messy.gitops"), MESSY).unwrap();
    let out = gitopsc(&["fmt", "."], &dir);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("E0001") && err.contains("broken.gitops"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("broken.gitops")).unwrap(),
        broken
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("messy.gitops")).unwrap(),
        TIDY
    );
}

#[test]
fn cli_reports_a_missing_path_with_status_2() {
    let dir = temp("missing");
    let out = gitopsc(&["fmt", "nowhere.gitops"], &dir);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("nowhere.gitops"));
}

/// A small deterministic generator, so a failure names a reproducible seed.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

const PIECES: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    ";",
    "\n",
    " ",
    "!",
    ".",
    "=",
    "a",
    "f(x)",
    "/* c */",
    "// c\n",
    "\"s\"",
    "1",
    "{}",
    "x = 1",
    "job j = f()",
];

/// `text` with a few pieces inserted or removed at random places (on character boundaries).
fn mutate(text: &str, rng: &mut Lcg) -> String {
    let mut s = text.to_string();
    for _ in 0..1 + rng.below(3) {
        let mut at = rng.below(s.len() + 1);
        while !s.is_char_boundary(at) {
            at -= 1;
        }
        if rng.below(2) == 0 {
            s.insert_str(at, PIECES[rng.below(PIECES.len())]);
        } else {
            let mut end = (at + 1 + rng.below(8)).min(s.len());
            while !s.is_char_boundary(end) {
                end += 1;
            }
            s.replace_range(at..end, "");
        }
    }
    s
}

#[test]
fn mutated_programs_that_parse_format_idempotently() {
    let texts: Vec<(String, String)> = corpus().into_iter().filter(|(_, t)| parses(t)).collect();
    let mut rng = Lcg(0x5eed);
    let mut checked = 0;
    for i in 0..1200 {
        let (name, text) = &texts[i % texts.len()];
        let input = mutate(text, &mut rng);
        if !parses(&input) {
            continue;
        }
        let once = formatted(&format!("{name} mutant {i}"), &input);
        assert_eq!(
            comment_texts(&once),
            comment_texts(&input),
            "{name} mutant {i}"
        );
        let twice = formatted(&format!("{name} mutant {i}, again"), &once);
        assert_eq!(twice, once, "{name} mutant {i}: not idempotent\n{input}");
        checked += 1;
    }
    assert!(checked >= 200, "only {checked} mutants parsed");
}
