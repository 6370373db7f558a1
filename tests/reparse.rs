//! Every document gitopsc emits re-parses, with an independent YAML parser, to exactly the
//! value its backend built: over every example and feature case, and over a generated corpus
//! that puts awkward strings (YAML 1.1 booleans, octal-looking numbers, indicators, comment
//! marks, multi-line scripts, unicode) everywhere a program can put free text.

#[path = "common/awkward.rs"]
mod awkward;
mod common;

use gitopsc::emit::OutputFile;
use gitopsc::{Compilation, Source};
use serde_json::Value;

/// `s` as a `.gitops` string literal.
fn lit(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The awkward strings, alone and as parts of longer text.
fn corpus_strings() -> Vec<String> {
    let mut all = Vec::new();
    // Program text cannot hold NUL; every other awkward string can be written.
    for s in awkward::AWKWARD.iter().filter(|s| !s.contains('\0')) {
        all.push((*s).to_string());
        all.push(format!("x {s} y"));
        all.push(format!("{s}\nsecond line {s}\n"));
    }
    all
}

/// One program that writes every corpus string into service env values, task and step env
/// values, run scripts, step names, descriptions and dispatch input defaults, for both engines.
fn corpus_program() -> String {
    let strings = corpus_strings();
    let env = |prefix: &str| -> String {
        strings
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{prefix}_{i} = {}", lit(s)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut p = String::from(
        "project corpus {\n  app_repo = \"https://github.com/example/corpus.git\"\n}\n\
         registry ghcr = ghcr { owner = \"example\" }\n",
    );
    p.push_str(&format!(
        "service api {{ path = \"services/api\", build = docker, port = 8080, env = {{ {} }} }}\n",
        env("SVC")
    ));
    p.push_str("environment dev { sync = auto { prune = true, self_heal = true } }\n");
    p.push_str("deployment corpus { }\n");
    p.push_str("task awkward {\n  param note: string = \"\"\n  step note { run = \"echo \\\"$NOTE\\\"\", env = { NOTE = note } }\n");
    p.push_str(&format!("  description = {}\n", lit(&strings.join(" | "))));
    for (i, s) in strings.iter().enumerate() {
        p.push_str(&format!(
            "  step s{i} {{ name = {}, run = {}, env = {{ V = {} }} }}\n",
            lit(&format!("step {}", s.replace('\n', " "))),
            lit(&format!("echo {i}\n{s}")),
            lit(s)
        ));
    }
    p.push_str("}\n");
    p.push_str(
        "pipeline ci {\n  targets = [github, tekton]\n  on push { branches = [\"main\"] }\n",
    );
    p.push_str(&format!(
        "  job run = awkward(note = {})\n}}\n",
        lit(&strings.join("\n"))
    ));
    p.push_str("pipeline manual {\n  on dispatch {\n");
    for (i, s) in strings.iter().enumerate().take(40) {
        p.push_str(&format!(
            "    input in{i}: string = {} {{ description = {} }}\n",
            lit(s),
            lit(s)
        ));
    }
    p.push_str("  }\n  job run = awkward()\n}\n");
    p
}

/// Checks a program that must compile.
fn checked(name: &str, sources: &[Source]) -> Compilation {
    let c = gitopsc::check(sources);
    assert!(
        !c.has_errors(),
        "{name} does not compile: {:#?}",
        c.diagnostics
            .iter()
            .map(|d| format!("{:?} {}", d.code, d.message))
            .collect::<Vec<_>>()
    );
    c
}

/// Every file the program's backends emit; at least one.
fn built<'c>(name: &str, c: &'c Compilation) -> Vec<OutputFile<'c>> {
    let files = gitopsc::outputs(c);
    assert!(!files.is_empty(), "{name} emits nothing");
    files
}

/// Re-parses every document of `files`; returns how many documents and strings it checked.
fn check_reparse(name: &str, files: &[OutputFile]) -> (usize, usize) {
    let mut docs = 0;
    let mut strings = 0;
    for f in files {
        for d in &f.docs {
            let mut text = String::new();
            d.write_yaml(&mut text)
                .unwrap_or_else(|e| panic!("{name}: {}: {e}", f.path));
            let parsed: Value = serde_yaml::from_str(&text).unwrap_or_else(|e| {
                panic!("{name}: {} does not parse as YAML: {e}\n{text}", f.path)
            });
            let built = d.to_json();
            assert_eq!(
                parsed, built,
                "{name}: {} re-parses to another value\n--- YAML ---\n{text}",
                f.path
            );
            docs += 1;
            strings += count_strings(&built);
        }
    }
    (docs, strings)
}

fn count_strings(v: &Value) -> usize {
    match v {
        Value::String(_) => 1,
        Value::Array(a) => a.iter().map(count_strings).sum(),
        Value::Object(m) => m.len() + m.values().map(count_strings).sum::<usize>(),
        _ => 0,
    }
}

#[test]
fn every_document_of_every_example_and_case_reparses_to_its_value() {
    let mut total = 0;
    for (name, sources) in common::programs(&[]) {
        let c = checked(&name, &sources);
        let (docs, _) = check_reparse(&name, &built(&name, &c));
        total += docs;
    }
    assert!(total > 500, "only {total} documents were checked");
}

#[test]
fn the_awkward_string_corpus_reparses_to_its_value() {
    let program = corpus_program();
    let c = checked("corpus", &[Source::new("corpus.gitops", program)]);
    let files = built("corpus", &c);
    let (docs, strings) = check_reparse("corpus", &files);
    assert!(docs >= 5, "only {docs} corpus documents");
    // Every corpus string must have reached the output, or the corpus tests nothing.
    let all: Vec<Value> = files
        .iter()
        .flat_map(|f| f.docs.iter().map(|d| d.to_json()))
        .collect();
    let mut texts = Vec::new();
    collect_text(&Value::Array(all), &mut texts);
    let joined = texts.join("\u{1}");
    for s in corpus_strings() {
        assert!(
            joined.contains(s.as_str()),
            "the corpus string {s:?} never reached the output"
        );
    }
    assert!(strings > 1000, "only {strings} strings were checked");
}

fn collect_text(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| collect_text(x, out)),
        Value::Object(m) => m.iter().for_each(|(k, x)| {
            out.push(k.clone());
            collect_text(x, out)
        }),
        _ => {}
    }
}
