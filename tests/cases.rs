//! Feature cases: every `tests/cases/<target>/*.gitops` compiles without diagnostics, every
//! emitted document matches its JSON Schema, and the snapshot holds the source and every
//! emitted file together (files in path order), so a reviewer reads input and output side by
//! side.

use std::path::PathBuf;

fn cases() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in std::fs::read_dir("tests/cases").unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|x| x == "gitops") {
                out.push(f);
            }
        }
    }
    out.sort();
    out
}

fn snapshot_name(p: &std::path::Path) -> String {
    let target = p
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    format!("{target}__{}", p.file_stem().unwrap().to_string_lossy())
}

#[test]
fn every_case_compiles_validates_and_matches_its_snapshot() {
    let cases = cases();
    assert!(cases.len() >= 25, "only {} cases", cases.len());
    for path in cases {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let c = gitopsc::check(&[gitopsc::Source::new(name.clone(), text.clone())]);
        let files = gitopsc::outputs(&c);
        let rendered = gitopsc::diagnostics::render(
            &c.diagnostics,
            &c.sources,
            gitopsc::diagnostics::MessageFormat::Human,
            false,
        );
        assert!(c.diagnostics.is_empty(), "{}:\n{rendered}", path.display());
        let problems = gitopsc::validate::validate_outputs(&files);
        assert!(problems.is_empty(), "{}: {problems:#?}", path.display());
        let out = gitopsc::emit::render(&name, &files).unwrap();
        assert!(!out.is_empty(), "{} emits nothing", path.display());
        let mut snap = format!("{text}\n");
        for f in &out {
            snap.push_str(&format!("----- {:?} {} -----\n{}", f.repo, f.path, f.text));
        }
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("snapshots/cases");
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| insta::assert_snapshot!(snapshot_name(&path), snap));
    }
}

#[test]
fn no_orphaned_case_snapshots() {
    let names: std::collections::BTreeSet<String> =
        cases().iter().map(|p| snapshot_name(p)).collect();
    let Ok(dir) = std::fs::read_dir("tests/snapshots/cases") else {
        return;
    };
    for e in dir {
        let file = e.unwrap().file_name().to_string_lossy().into_owned();
        let stem = file.trim_end_matches(".new").trim_end_matches(".snap");
        assert!(names.contains(stem), "snapshot {file} has no case");
    }
}

#[test]
fn every_example_compiles_cleanly_and_validates() {
    let mut count = 0;
    for dir in std::fs::read_dir("examples").unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let sources = gitopsc::cli::read_sources(std::slice::from_ref(&dir)).unwrap();
        let c = gitopsc::check(&sources);
        let files = gitopsc::outputs(&c);
        let rendered = gitopsc::diagnostics::render(
            &c.diagnostics,
            &c.sources,
            gitopsc::diagnostics::MessageFormat::Human,
            false,
        );
        assert!(c.diagnostics.is_empty(), "{}:\n{rendered}", dir.display());
        let problems = gitopsc::validate::validate_outputs(&files);
        assert!(problems.is_empty(), "{}: {problems:#?}", dir.display());
        assert!(
            gitopsc::validate::checked_count(&files) >= 5,
            "{}: few documents were checked",
            dir.display()
        );
        count += 1;
    }
    assert!(count >= 5, "only {count} examples");
}
