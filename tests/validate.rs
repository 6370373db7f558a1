//! The in-process schema validator accepts the valid fixtures and rejects the schema-invalid
//! ones (the fixtures are shared with `.ci/test-validate-outputs`).

use gitopsc::validate::{schema_for, validate_document};
use serde::Deserialize;

fn documents(path: &std::path::Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap();
    serde_yaml::Deserializer::from_str(&text)
        .filter_map(|d| serde_json::Value::deserialize(d).ok())
        .filter(|v| !v.is_null())
        .collect()
}

fn yaml_files(dir: &str) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(dir)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn logical_path(p: &std::path::Path) -> String {
    let s = p.to_string_lossy().into_owned();
    // Workflows are recognised by their folder, as in a repository.
    if s.contains("/github/") {
        return format!(
            ".github/workflows/{}",
            p.file_name().unwrap().to_string_lossy()
        );
    }
    s
}

#[test]
fn valid_fixtures_pass() {
    let mut checked = 0;
    for f in yaml_files("tests/validator-fixtures/valid") {
        for doc in documents(&f) {
            let path = logical_path(&f);
            if schema_for(&path, &doc).is_some() {
                checked += 1;
            }
            let problems = validate_document(&path, &doc);
            assert!(problems.is_empty(), "{}: {problems:?}", f.display());
        }
    }
    assert!(checked >= 10, "only {checked} documents had a schema");
}

#[test]
fn schema_invalid_fixtures_fail() {
    for name in [
        "argocd/application-bad.yaml",
        "argocd/applicationset-bad.yaml",
        "argocd/appproject-bad.yaml",
        "argocd/rollout-bad.yaml",
        "argocd/analysistemplate-bad.yaml",
        "github/schema-bad.yml",
    ] {
        let f = std::path::Path::new("tests/validator-fixtures/invalid").join(name);
        let problems: Vec<String> = documents(&f)
            .iter()
            .flat_map(|d| validate_document(&logical_path(&f), d))
            .collect();
        assert!(!problems.is_empty(), "{name} passed the schema check");
    }
}
