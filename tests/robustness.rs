//! No input makes the compiler panic or overflow its stack: mutated programs and pathological
//! nesting always end in a clean result or diagnostics.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn corpus() -> Vec<String> {
    let mut out = Vec::new();
    for dir in [
        "tests/diagnostics",
        "tests/cases/github",
        "tests/cases/tekton",
        "tests/cases/argocd",
        "tests/cases/kustomize",
        "examples",
    ] {
        collect(std::path::Path::new(dir), &mut out);
    }
    assert!(out.len() >= 20, "the corpus is too small: {}", out.len());
    out
}

fn collect(dir: &std::path::Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "gitops") {
            out.push(std::fs::read_to_string(&p).unwrap());
        }
    }
}

const TOKENS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "\"",
    "\"\"\"",
    "${",
    "=",
    "==",
    "!",
    "&&",
    "||",
    ".",
    ".*",
    ",",
    ";",
    "\n",
    "//",
    "/*",
    "job",
    "for",
    "in",
    "use std.",
    "secrets.",
    "event.",
    "git.sha",
    "services.changed",
    "needs = [",
    "step { run = \"",
    "10%",
    "5m",
    "-1",
    "99999999999999999999",
    "true",
    "none",
    "é",
    "\u{0}",
    "\\",
    "task",
    "pipeline p {",
    "on push {",
];

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, usize),
    Duplicate(usize, usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0usize..40).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (any::<usize>(), 0usize..TOKENS.len()).prop_map(|(a, t)| Mutation::Insert(a, t)),
        (any::<usize>(), 0usize..80, any::<usize>())
            .prop_map(|(a, n, b)| Mutation::Duplicate(a, n, b)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn boundary(s: &str, i: usize) -> usize {
    let mut i = i % (s.len() + 1);
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(src: &str, m: &Mutation) -> String {
    let mut s = src.to_string();
    match *m {
        Mutation::Delete(a, n) => {
            let a = boundary(&s, a);
            let b = boundary(&s, a + n);
            s.replace_range(a..b.max(a), "");
        }
        Mutation::Insert(a, t) => {
            let a = boundary(&s, a);
            s.insert_str(a, TOKENS[t]);
        }
        Mutation::Duplicate(a, n, at) => {
            let a = boundary(&s, a);
            let b = boundary(&s, a + n).max(a);
            let piece = s[a..b].to_string();
            let at = boundary(&s, at);
            s.insert_str(at, &piece);
        }
        Mutation::Truncate(a) => {
            let a = boundary(&s, a);
            s.truncate(a);
        }
    }
    s
}

#[test]
fn ten_thousand_mutated_programs_never_panic() {
    let corpus = corpus();
    let mut runner = TestRunner::new(Config {
        cases: 10_000,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (0..corpus.len(), proptest::collection::vec(mutation(), 1..4));
    runner
        .run(&strategy, |(i, ms)| {
            let mut text = corpus[i].clone();
            for m in &ms {
                text = apply(&text, m);
            }
            let c = gitopsc::check(&[gitopsc::Source::new("fuzz.gitops", text)]);
            // Either a program or at least one error; every diagnostic renders.
            prop_assert!(c.program.is_some() || c.has_errors());
            for d in &c.diagnostics {
                prop_assert!(
                    d.code != gitopsc::diagnostics::Code::Internal,
                    "internal error: {}",
                    d.message
                );
            }
            let _ = gitopsc::diagnostics::render(
                &c.diagnostics,
                &c.sources,
                gitopsc::diagnostics::MessageFormat::Json,
                false,
            );
            Ok(())
        })
        .unwrap();
}

fn codes(text: String) -> Vec<&'static str> {
    let c = gitopsc::check(&[gitopsc::Source::new("deep.gitops", text)]);
    c.diagnostics.iter().map(|d| d.code.as_str()).collect()
}

#[test]
fn ten_thousand_deep_nesting_is_a_diagnostic() {
    let p = "project p { app_repo = \"https://github.com/e/p\" }\n";
    let records = format!(
        "{p}environment dev {{ labels = {}\"x\"{} }}\n",
        "{ a = ".repeat(10_000),
        " }".repeat(10_000)
    );
    assert_eq!(codes(records), ["E0024"]);
    let lists = format!(
        "{p}environment dev {{ labels = {}{} }}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    assert_eq!(codes(lists), ["E0024"]);
    let interps = format!(
        "{p}environment dev {{ namespace = {}\"x\"{} }}\n",
        "\"${".repeat(10_000),
        "}\"".repeat(10_000)
    );
    assert_eq!(codes(interps), ["E0024"]);
    let nots = format!(
        "{p}environment dev {{ namespace = {}true }}\n",
        "!".repeat(10_000)
    );
    assert_eq!(codes(nots), ["E0024"]);
    let chain = format!(
        "{p}environment dev {{ namespace = a{} }}\n",
        ".b".repeat(10_000)
    );
    assert_eq!(codes(chain), ["E0024"]);
    let ors = format!(
        "{p}environment dev {{ namespace = a{} }}\n",
        " || a".repeat(10_000)
    );
    assert_eq!(codes(ors), ["E0024"]);
}

/// Nesting just under the limit parses (or is refused with a diagnostic) even when the caller
/// has little stack: a deeply nested file is parsed on a thread of its own.
#[test]
fn nesting_up_to_the_limit_needs_little_stack() {
    let n = gitopsc::syntax::MAX_DEPTH - 1;
    let texts = [
        format!("x = {}1{}", "{ a = ".repeat(n), " }".repeat(n)),
        format!("x = {}1{}", "t { a = ".repeat(n), " }".repeat(n)),
        format!("x = {}1{}", "[".repeat(n), "]".repeat(n)),
        format!("x = {}1{}", "(".repeat(n), ")".repeat(n)),
        format!("x = {}1{}", "f(a = ".repeat(n), ")".repeat(n)),
        format!("x = {}x{}", "\"${".repeat(n / 2), "}\"".repeat(n / 2)),
        format!("p x: {}string{}", "list(".repeat(n), ")".repeat(n)),
        format!("{}{}", "job a { ".repeat(n), " }".repeat(n)),
        format!("{}{}", "for a in b { ".repeat(n), " }".repeat(n)),
    ];
    for text in texts {
        let parsed = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || gitopsc::syntax::parse(0, &text).map(|_| ()))
            .unwrap()
            .join()
            .unwrap();
        if let Err(d) = parsed {
            assert_eq!(d.code.as_str(), "E0024", "{}", d.message);
        }
    }
}

/// A block that fails inside many nested loops is one syntax error. (Each loop that fails is
/// read again as two declarations, `for a` and `in b { … }`; the failed block is not parsed
/// again.)
#[test]
fn a_failing_block_in_nested_loops_is_one_syntax_error() {
    let n = gitopsc::syntax::MAX_DEPTH - 1;
    let text = format!("{}@{}", "for a in b { ".repeat(n), " }".repeat(n));
    let d = gitopsc::syntax::parse(0, &text).unwrap_err();
    assert_eq!(d.code.as_str(), "E0001");
    assert_eq!(d.primary.span.start as usize, text.find('@').unwrap());
}
