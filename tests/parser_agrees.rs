//! The parser agrees with the grammar. `compiler/src/syntax/gitops.pest` is the language's
//! specification; here pest runs it as an oracle (`tests/oracle/`) beside the compiler's own
//! parser, on every real program and on generated ones, and the two must agree: both accept or
//! both reject, an accepted text gives equal trees (spans included), and a text that matches the
//! grammar but cannot be read (a number too large, an expression too deep) gives the same
//! diagnostic.

mod oracle;

use gitopsc::diagnostics::{Code, Diagnostic};
use oracle::Verdict;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::path::{Path, PathBuf};

fn gitops_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            gitops_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "gitops") {
            out.push(p);
        }
    }
}

/// Every example, every standard-library module and every `.gitops` file under `tests/`.
fn real_files() -> Vec<(String, String)> {
    let mut paths = Vec::new();
    for dir in ["examples", "stdlib", "tests"] {
        gitops_files(Path::new(dir), &mut paths);
    }
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p.display().to_string(), text)
        })
        .collect()
}

/// What both made of a text, when they agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Agreed {
    Parsed,
    NoMatch,
    Invalid,
}

/// Messages of problems found in text that matches the grammar.
fn is_reading_problem(d: &Diagnostic) -> bool {
    d.code != Code::Syntax
        || d.message.starts_with("unknown escape")
        || d.message == "a field name cannot interpolate"
}

/// The first line where two trees' debug forms differ, with a little context.
fn first_difference(a: &impl std::fmt::Debug, b: &impl std::fmt::Debug) -> String {
    let a = format!("{a:#?}");
    let b = format!("{b:#?}");
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let at = (0..a.len().max(b.len()))
        .find(|&i| a.get(i) != b.get(i))
        .unwrap_or(0);
    let from = at.saturating_sub(12);
    format!(
        "parser:\n{}\n--- grammar:\n{}",
        a[from.min(a.len())..(at + 3).min(a.len())].join("\n"),
        b[from.min(b.len())..(at + 3).min(b.len())].join("\n")
    )
}

/// The grammar's verdict. pest and the pair lowering recurse deeply for deeply nested text
/// (an unoptimised build overflows a test thread's stack near the nesting limit), so such text
/// is read on a thread with a large stack.
fn oracle_parse(text: &str) -> Verdict {
    if gitopsc::syntax::nesting_depth(text, 16).is_none() {
        return oracle::parse(0, text);
    }
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn_scoped(s, || oracle::parse(0, text))
            .unwrap()
            .join()
            .unwrap()
    })
}

fn compare(text: &str) -> Result<Agreed, String> {
    let ours = gitopsc::syntax::parse(0, text);
    let theirs = oracle_parse(text);
    match (ours, theirs) {
        (Ok(a), Verdict::Parsed(b)) if a == b => Ok(Agreed::Parsed),
        (Ok(a), Verdict::Parsed(b)) => {
            Err(format!("the trees differ\n{}", first_difference(&a, &b)))
        }
        (Err(d), Verdict::NoMatch) if !is_reading_problem(&d) => Ok(Agreed::NoMatch),
        (Err(a), Verdict::Invalid(b)) if a == b => Ok(Agreed::Invalid),
        (ours, theirs) => Err(format!(
            "they disagree\nparser: {:?}\ngrammar: {:?}",
            ours.map(|_| "parsed"),
            match theirs {
                Verdict::Parsed(_) => "parsed".to_string(),
                other => format!("{other:?}"),
            }
        )),
    }
}

#[test]
fn every_real_program_parses_alike() {
    let files = real_files();
    assert!(files.len() >= 100, "only {} files", files.len());
    let mut parsed = 0;
    for (name, text) in &files {
        match compare(text) {
            Ok(Agreed::Parsed) => parsed += 1,
            Ok(_) => {}
            Err(e) => panic!("{name}: {e}"),
        }
    }
    assert!(parsed + 5 >= files.len(), "only {parsed} files parse");
}

/// Texts picked for the corners of the grammar.
const EDGE_CASES: &[&str] = &[
    "",
    "\u{feff}x = 1",
    "x = 1 // trailing\n\n// more\ny = 2",
    "a = x || y && z == w.v",
    "a = x || y && z == w.v  // end\n",
    "a = x || y && z == w  ",
    "job a = x || y && z == w.v { }",
    "job a = x || y && z == w.v\n{ }",
    "job a: t = x || y && z == w.v  { }",
    "job a = x || y && z == w.v ; b = 1",
    "a = f(x || y && z == w.v , b)",
    "a = [x || y && z == w.v ]",
    "a = \"${x || y && z == w.v }\"",
    "a = x || y && z == w.v || q",
    "a = x && z == w.v  ",
    "a = z == w.v  ",
    "a = f( a , b = 2 ,)",
    "a = f(a == b)",
    "param p: list( map( string ) , \"x\" ,) = [] // t\nq = 1",
    "param p: string\n\n/* c */ next = 1",
    "param p: list(x = 1",
    "use std . maven as   mvn\nuse a\n\nx = 1",
    "use a as\n= 1",
    "use a.\nb = 1",
    "for x in \"abc\" { }",
    "for x in y\nz = 1",
    "for x in y { a = 1 }",
    "for x in true {}",
    "for x in [1, 2] { }",
    "for x in (a) .b ( c ) { }",
    "for x in : string = 1",
    "for = 1",
    "for {}",
    "use = 1",
    "use {}",
    "x = none { a = 1 }",
    "x: int = none { a = 1 }",
    "x = t { a = 1 } . b",
    "x = 1 { }",
    "x = a == b == c",
    "x = !!a.b",
    "x = ! ! a",
    "x = !=b",
    "x = a != b",
    "x = [,]",
    "x = [;]",
    "x = [1,,2]",
    "x = [1 2]",
    "x = f(,)",
    "a { ; }",
    "a { b; ; c, }",
    "; a = 1",
    "x = 5.x",
    "x = 5.5",
    "x = 1h30m + 5",
    "x = 1h30",
    "x = 5m-",
    "x = -5",
    "x = - 5",
    "x = 10%%",
    "x = 4294967296%",
    "x = 99999999999999999999",
    "x = -9223372036854775808",
    "x = 9223372036854775808",
    "x = 99999999999999999999d",
    "x = true-x",
    "x = true-",
    "x = trueish",
    "x = none-x",
    "x = a-",
    "x = a-b-c",
    "x = a--b",
    "x = \"\\q\"",
    "x = \"a\\\nb\"",
    "x = \"${ a /* c */ }\"",
    "x = \"${a // c }\"\n}\"",
    "x = \"a\u{0}b\"",
    "x = \"\\\u{0}\"",
    "x = \"\"\"\n  a\n   b\n\n  c\n  \"\"\"",
    "x = \"\"\"\r\n\ta\r\n\t\"\"\"",
    "x = \"\"\"a\"\"\"\"",
    "x = \"\"\"\\\"\"\"\"",
    "x = \"\"\"${a}\n  b ${ c }\n  \"\"\"",
    "x = \"\"\"abc\" = 1",
    "x = \"\"\"a\" = 1 // ${ 99999999999999999999 }",
    "x = \"\"\"",
    "x = \"abc",
    "x = \"abc\n\"",
    "\"key\" = 1",
    "\"key${x}\" = 1",
    "\"key${99999999999999999999}\" = 1",
    "\"\\q${x}\" = 1",
    "job \"a-${x}\" { }",
    "job \"a\" \"b\"",
    "job a: string\nb = 1",
    "job a b = 1",
    "x == 1",
    "x = = 1",
    "x =\n= 1",
    "job a = = 1",
    "x",
    "x = ",
    "x = a.",
    "x = a.*.b",
    "x = a . * ",
    "x = (1",
    "x = f(a, b",
    "service api {\n  path = \"api\"\n",
    "x = 1 /* unclosed",
    "x = 1 /*/ */",
    "@",
    "x = é",
    "é = 1",
    "x = [99999999999999999999, \"\\q\"]",
    "x = [\"\\q\", 99999999999999999999]",
    "x = \"\\q${99999999999999999999}\"",
];

#[test]
fn edge_cases_parse_alike() {
    let mut failures = Vec::new();
    for text in EDGE_CASES {
        if let Err(e) = compare(text) {
            failures.push(format!("{text:?}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Depth limits: around the bound on expression depth, and on nesting.
#[test]
fn depth_limits_parse_alike() {
    let mut texts = Vec::new();
    for n in 95..=110 {
        texts.push(format!("x = {}1{}", "{ a = ".repeat(n), " }".repeat(n)));
        texts.push(format!("x = {}1{}", "[".repeat(n), "]".repeat(n)));
    }
    for n in [100, 126, 127, 128, 129, 140] {
        texts.push(format!("x = {}1{}", "(".repeat(n), ")".repeat(n)));
        texts.push(format!(
            "x = {}x{}",
            "\"${".repeat(n / 2),
            "}\"".repeat(n / 2)
        ));
        texts.push(format!("x = f{}", "(g".repeat(n) + &")".repeat(n)));
    }
    for n in 500..=515 {
        texts.push(format!("x = a{}", ".b".repeat(n)));
        texts.push(format!("x = a{}  // c\n", "()".repeat(n)));
        texts.push(format!("x = {}a", "!".repeat(n)));
        texts.push(format!("x = a{}", " || a".repeat(n)));
        texts.push(format!("x = a{}", " && a".repeat(n)));
        texts.push(format!("for v in a{} {{ }}", ".b".repeat(n)));
        texts.push(format!("x = 99999999999999999999{}", ".b".repeat(n)));
        texts.push(format!("x = [99999999999999999999, a{}]", ".b".repeat(n)));
        texts.push(format!("x = \"\\q${{a{}}}\"", ".b".repeat(n)));
        texts.push(format!("\"${{a{}}}\" = 1", ".b".repeat(n)));
        texts.push(format!("x = {{ a = a{} }} ", ".b".repeat(n - 5)));
    }
    let mut failures = Vec::new();
    for text in &texts {
        if let Err(e) = compare(text) {
            failures.push(format!("{:?}: {e}", &text[..text.len().min(80)]));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Builds a program from a sequence of choices; a shorter sequence, or smaller choices, give a
/// smaller program, so a failing case shrinks to a small one.
struct Gen<'a> {
    choices: &'a [u8],
    next: usize,
    out: String,
    depth: usize,
}

const NAMES: &[&str] = &[
    "a", "b", "job", "service", "use", "for", "in", "as", "true", "false", "none", "x-y", "_z",
    "step", "on", "in-x", "use_", "trueish", "a1",
];

const TEXTS: &[&str] = &[
    "abc", " ", "é", "$", "{", "}", "'", "x y", "\t", "//", "/*", "\\n", "\\t", "\\r", "\\\\",
    "\\\"", "\\$", "\\\n", "\\q",
];

impl Gen<'_> {
    fn pick(&mut self, n: usize) -> usize {
        let c = self.choices.get(self.next).copied().unwrap_or(0);
        self.next += 1;
        usize::from(c) % n
    }

    fn push(&mut self, s: &str) {
        self.out.push_str(s);
    }

    fn one_of(&mut self, options: &[&str]) {
        let i = self.pick(options.len());
        self.push(options[i]);
    }

    fn space(&mut self) {
        self.one_of(&[
            " ",
            " ",
            " ",
            " ",
            " ",
            " ",
            "\n",
            "\n  ",
            " // note\n",
            " /* c */ ",
            "\t",
            "",
            "\r\n",
            "\u{feff}",
            "/**/",
            "\n\n",
        ]);
    }

    fn ident(&mut self) {
        self.one_of(NAMES);
    }

    fn program(mut self) -> String {
        self.stmts();
        self.out
    }

    fn stmts(&mut self) {
        let n = self.pick(if self.depth > 3 { 2 } else { 4 });
        for _ in 0..n {
            self.stmt();
            self.one_of(&["", "", "", ";", ",", " ;; "]);
            self.space();
        }
    }

    fn stmt(&mut self) {
        match self.pick(8) {
            0 | 1 => {
                self.key();
                self.space();
                self.push("=");
                self.space();
                self.expr();
            }
            2 | 3 => {
                self.ident();
                self.space();
                self.name();
                if self.pick(3) == 1 {
                    self.space();
                    self.push(":");
                    self.space();
                    self.type_expr();
                }
                if self.pick(2) == 1 {
                    self.space();
                    self.push("=");
                    self.space();
                    self.expr();
                }
                if self.pick(2) == 1 {
                    self.space();
                    self.body();
                }
            }
            4 => {
                self.ident();
                if self.pick(2) == 1 {
                    self.space();
                    self.push(":");
                    self.space();
                    self.type_expr();
                }
                self.space();
                self.push("=");
                self.space();
                self.expr();
                if self.pick(2) == 1 {
                    self.space();
                    self.body();
                }
            }
            5 => {
                self.ident();
                self.space();
                self.body();
            }
            6 => {
                self.push("use");
                self.space();
                self.ident();
                for _ in 0..self.pick(3) {
                    self.one_of(&[".", " . ", "\n."]);
                    self.ident();
                }
                if self.pick(2) == 1 {
                    self.space();
                    self.push("as");
                    self.space();
                    self.ident();
                }
            }
            _ => {
                self.push("for");
                self.space();
                self.ident();
                self.space();
                self.push("in");
                self.space();
                match self.pick(8) {
                    0..=2 => self.ident(),
                    3 => self.list(),
                    4 => self.paren(),
                    _ => self.primary(),
                }
                self.postfix_ops();
                self.space();
                self.body();
            }
        }
    }

    fn key(&mut self) {
        if self.pick(4) == 3 {
            self.string();
        } else {
            self.ident();
        }
    }

    fn name(&mut self) {
        if self.pick(3) == 2 {
            self.string();
        } else {
            self.ident();
        }
    }

    fn type_expr(&mut self) {
        self.ident();
        if self.depth < 4 && self.pick(3) == 2 {
            self.depth += 1;
            self.push("(");
            let n = 1 + self.pick(3);
            for i in 0..n {
                if i > 0 {
                    self.one_of(&[",", ", ", " ,"]);
                }
                if self.pick(3) == 2 {
                    self.string();
                } else {
                    self.type_expr();
                }
            }
            self.one_of(&["", "", ",", " "]);
            self.push(")");
            self.depth -= 1;
        }
    }

    fn body(&mut self) {
        self.depth += 1;
        self.push("{");
        self.space();
        self.stmts();
        self.push("}");
        self.depth -= 1;
    }

    fn expr(&mut self) {
        if self.depth < 4 && self.pick(4) == 3 {
            self.exact_expr();
            return;
        }
        self.depth += 1;
        let n = 1 + if self.depth > 4 { 0 } else { self.pick(3) };
        for i in 0..n {
            if i > 0 {
                self.space();
                self.one_of(&["||", "&&", "==", "!="]);
                self.space();
            }
            for _ in 0..self.pick(4).saturating_sub(2) {
                self.one_of(&["!", "! ", "!"]);
            }
            self.primary();
            self.postfix_ops();
        }
        self.depth -= 1;
    }

    /// `a || b && c == d.e`: the one shape of value whose span (and so its statement's,
    /// argument's or type's) ends exactly where its text does, not after the trivia that
    /// follows it.
    fn exact_expr(&mut self) {
        self.depth += 1;
        for (i, op) in ["", "||", "&&", "=="].iter().enumerate() {
            if i > 0 && (i == 3 || self.pick(4) != 0) {
                self.space();
                self.push(op);
                self.space();
            } else if i > 0 {
                continue;
            }
            self.primary();
            if i == 3 {
                self.one_of(&[".e", "()", ".*", " . e", "(a)"]);
            }
        }
        self.depth -= 1;
    }

    fn postfix_ops(&mut self) {
        for _ in 0..self.pick(4).saturating_sub(1) {
            match self.pick(4) {
                0 | 1 => {
                    self.one_of(&[".", " .", ". "]);
                    self.ident();
                }
                2 => self.push(".*"),
                _ => self.args(),
            }
        }
    }

    fn args(&mut self) {
        self.depth += 1;
        self.push("(");
        let n = self.pick(if self.depth > 4 { 1 } else { 4 });
        for i in 0..n {
            if i > 0 {
                self.one_of(&[",", ", ", ";", " ,\n"]);
            }
            if self.pick(3) == 2 {
                self.ident();
                self.one_of(&["=", " = ", " =\n"]);
            }
            self.expr();
        }
        self.one_of(&["", "", ",", " "]);
        self.push(")");
        self.depth -= 1;
    }

    fn list(&mut self) {
        self.depth += 1;
        self.push("[");
        let n = self.pick(if self.depth > 4 { 1 } else { 4 });
        for i in 0..n {
            if i > 0 {
                self.one_of(&[",", ", ", ";", "\n,"]);
            }
            self.expr();
        }
        self.one_of(&["", "", ",", " ", ";"]);
        self.push("]");
        self.depth -= 1;
    }

    fn paren(&mut self) {
        self.push("(");
        self.expr();
        self.push(")");
    }

    fn primary(&mut self) {
        let leaf = self.depth > 6;
        match self.pick(if leaf { 11 } else { 16 }) {
            0 => self.ident(),
            1 => self.one_of(&["0", "1", "42", "007"]),
            2 => self.one_of(&["-5", "-0", "- 5"]),
            3 => self.one_of(&["99999999999999999999", "9223372036854775807"]),
            4 => self.one_of(&["10%", "0%", "100%"]),
            5 => self.one_of(&["4294967296%", "5%%"]),
            6 => self.one_of(&["5m", "1h30m", "500ms", "2d", "10s", "1m5s"]),
            7 => self.one_of(&["99999999999999999999d", "1h30", "10mx", "5ms1"]),
            8 => self.one_of(&["true", "false"]),
            9 => self.push("none"),
            10 => self.string(),
            11 => self.list(),
            12 => {
                self.ident();
                self.space();
                self.body();
            }
            13 => self.body(),
            14 => self.paren(),
            _ => self.string(),
        }
    }

    fn string(&mut self) {
        self.depth += 1;
        if self.pick(4) == 3 {
            self.push("\"\"\"");
            self.one_of(&["\n", "\n", "", " "]);
            let indent = ["", "  ", "    ", "\t"][self.pick(4)];
            for _ in 0..self.pick(4) {
                self.push(indent);
                if self.pick(4) == 3 {
                    self.push("  ");
                }
                self.pieces();
                self.one_of(&["\n", "\n", "\n\n", "\r\n", "\n  \n"]);
            }
            self.push(indent);
            self.push("\"\"\"");
        } else {
            self.push("\"");
            self.pieces();
            self.push("\"");
        }
        self.depth -= 1;
    }

    fn pieces(&mut self) {
        for _ in 0..self.pick(4) {
            if self.depth < 5 && self.pick(4) == 3 {
                self.push("${");
                self.one_of(&["", " "]);
                self.expr();
                self.one_of(&["", " "]);
                self.push("}");
            } else {
                let i = self.pick(TEXTS.len() * 3);
                // Unknown escapes are rare, so most strings can be read.
                let text = TEXTS[i % TEXTS.len()];
                if text != "\\q" || i < TEXTS.len() {
                    self.push(text);
                }
            }
        }
    }
}

fn generated(choices: &[u8]) -> String {
    Gen {
        choices,
        next: 0,
        out: String::new(),
        depth: 0,
    }
    .program()
}

fn run(cases: u32, strategy: impl Strategy<Value = String>) -> [usize; 3] {
    // A fixed seed: the counts asserted below are of the same texts on every run, so a thin
    // draw cannot fail the build.
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    );
    let counts = std::cell::RefCell::new([0usize; 3]);
    runner
        .run(&strategy, |text| {
            match compare(&text) {
                Ok(agreed) => counts.borrow_mut()[agreed as usize] += 1,
                Err(e) => prop_assert!(false, "{text:?}\n{e}"),
            }
            Ok(())
        })
        .unwrap();
    let counts = counts.into_inner();
    eprintln!("parsed, rejected, unreadable: {counts:?}");
    counts
}

#[test]
fn generated_programs_parse_alike() {
    let [parsed, no_match, invalid] = run(
        3000,
        proptest::collection::vec(any::<u8>(), 0..500).prop_map(|c| generated(&c)),
    );
    // The generator mostly writes programs the grammar accepts, and some it does not.
    assert!(parsed > 1000, "{parsed} parsed");
    assert!(no_match > 50, "{no_match} rejected");
    assert!(invalid > 10, "{invalid} unreadable");
}

/// Pieces from which random, mostly ill-formed, texts are put together.
const TOKENS: &[&str] = &[
    "{", "}", "(", ")", "[", "]", "\"", "\"\"\"", "${", "=", "==", "!=", "!", "&&", "||", ".",
    ".*", ",", ";", ":", "\n", "//", "/*", "*/", "job", "for", "in", "as", "use", "a", "b-c",
    "true", "none", "10%", "5m", "-1", "1", "\\", "é", "x = 1", "\"s\"", "\"${a}\"", "a { }",
    "f(x)", "-", "%",
];

#[test]
fn token_soup_parses_alike() {
    let soup = proptest::collection::vec((0..TOKENS.len(), 0usize..4), 0..40).prop_map(|v| {
        v.into_iter()
            .map(|(t, s)| format!("{}{}", TOKENS[t], ["", " ", "\n", " "][s]))
            .collect::<String>()
    });
    let [parsed, no_match, _] = run(4000, soup);
    assert!(
        parsed > 100 && no_match > 1000,
        "{parsed} parsed, {no_match} rejected"
    );
}

fn boundary(s: &str, i: usize) -> usize {
    let mut i = i % (s.len() + 1);
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[test]
fn mutated_programs_parse_alike() {
    let files: Vec<String> = real_files()
        .into_iter()
        .map(|(_, text)| text)
        .filter(|t| t.len() < 20_000)
        .collect();
    let mutated = (
        0..files.len(),
        any::<usize>(),
        0usize..30,
        0..TOKENS.len(),
        0..3u8,
    )
        .prop_map(move |(f, at, n, token, how)| {
            let mut s = files[f].clone();
            let a = boundary(&s, at);
            match how {
                0 => {
                    let b = boundary(&s, a + n).max(a);
                    s.replace_range(a..b, "");
                }
                1 => s.insert_str(a, TOKENS[token]),
                _ => s.truncate(a),
            }
            s
        });
    let [parsed, no_match, _] = run(1500, mutated);
    assert!(
        parsed > 100 && no_match > 100,
        "{parsed} parsed, {no_match} rejected"
    );
}
