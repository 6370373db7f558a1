//! Negative cases: each `tests/diagnostics/*.gitops` file is one program whose first line says
//! which codes it must produce (`// expect: E0008`). The snapshot holds the source and the
//! rendered diagnostics together, so a reviewer sees the span each label points at.

use std::collections::BTreeSet;
use std::path::Path;

fn cases() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir("tests/diagnostics")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "gitops"))
        .collect();
    v.sort();
    v
}

fn expected(text: &str) -> BTreeSet<String> {
    let first = text.lines().next().unwrap_or_default();
    let list = first
        .strip_prefix("// expect:")
        .expect("first line must be `// expect: CODE...`");
    list.split([' ', ','])
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn every_negative_case_reports_its_codes_and_matches_its_snapshot() {
    let cases = cases();
    assert!(cases.len() >= 30, "only {} negative cases", cases.len());
    for path in cases {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let c = gitopsc::check(&[gitopsc::Source::new(format!("{name}.gitops"), text.clone())]);
        let found: BTreeSet<String> = c
            .diagnostics
            .iter()
            .map(|d| d.code.as_str().to_string())
            .collect();
        let rendered = gitopsc::diagnostics::render(
            &c.diagnostics,
            &c.sources,
            gitopsc::diagnostics::MessageFormat::Human,
            false,
        );
        assert_eq!(found, expected(&text), "{name}:\n{rendered}");
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("snapshots/diagnostics");
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| {
            insta::assert_snapshot!(name, format!("{text}\n----- diagnostics -----\n{rendered}"))
        });
    }
}

#[test]
fn every_code_but_the_internal_one_has_a_negative_case() {
    let mut covered = BTreeSet::new();
    for path in cases() {
        covered.extend(expected(&std::fs::read_to_string(&path).unwrap()));
    }
    for code in gitopsc::diagnostics::ALL_CODES {
        if *code != gitopsc::diagnostics::Code::Internal {
            assert!(
                covered.contains(code.as_str()),
                "no negative case for {}",
                code.as_str()
            );
        }
    }
}

#[test]
fn no_orphaned_snapshots() {
    let dir = Path::new("tests/snapshots/diagnostics");
    let names: BTreeSet<String> = cases()
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    for e in std::fs::read_dir(dir).unwrap() {
        let file = e.unwrap().file_name().to_string_lossy().into_owned();
        let stem = file.trim_end_matches(".snap").trim_end_matches(".snap.new");
        assert!(names.contains(stem), "snapshot {file} has no case");
    }
}

#[test]
fn a_three_job_cycle_is_one_diagnostic_with_a_label_per_edge() {
    let text = std::fs::read_to_string("tests/diagnostics/e0008-dependency-cycle.gitops").unwrap();
    let c = gitopsc::check(&[gitopsc::Source::new("cycle.gitops", text)]);
    let cycles: Vec<_> = c
        .diagnostics
        .iter()
        .filter(|d| d.code.as_str() == "E0008")
        .collect();
    assert_eq!(cycles.len(), 1);
    let d = cycles[0];
    assert_eq!(d.secondary.len() + 1, 3, "one label per edge");
    let labels: Vec<&str> = std::iter::once(&d.primary)
        .chain(&d.secondary)
        .map(|l| l.message.as_str())
        .collect();
    for edge in ["`a` needs `c`", "`b` needs `a`", "`c` needs `b`"] {
        assert!(labels.contains(&edge), "missing edge {edge} in {labels:?}");
    }
}

#[test]
fn unknown_names_get_a_did_you_mean() {
    for case in [
        "e0002-unknown-job-did-you-mean",
        "e0006-unknown-param-did-you-mean",
        "e0002-unknown-environment-did-you-mean",
        "e0006-unknown-field-did-you-mean",
    ] {
        let text = std::fs::read_to_string(format!("tests/diagnostics/{case}.gitops")).unwrap();
        let c = gitopsc::check(&[gitopsc::Source::new("x.gitops", text)]);
        let help = c.diagnostics[0].help.clone().unwrap_or_default();
        assert!(help.starts_with("did you mean `"), "{case}: {help}");
    }
}
