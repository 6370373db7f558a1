//! Security by construction, checked on everything the cases and examples emit: no secret
//! value or credential-looking literal reaches a generated file, no workflow interpolates an
//! expression into a script, every action is pinned, and every workflow starts from no
//! permissions.

mod common;

use serde::Deserialize;
use serde_json::Value;

fn sources() -> Vec<(String, Vec<gitopsc::Source>)> {
    common::programs(&[])
}

fn rendered() -> Vec<(String, gitopsc::emit::RenderedFile)> {
    let mut out = Vec::new();
    for (name, src) in sources() {
        let c = gitopsc::check(&src);
        let files = gitopsc::outputs(&c);
        assert!(!c.has_errors(), "{name} does not compile");
        for f in gitopsc::emit::render(&name, &files).unwrap() {
            out.push((name.clone(), f));
        }
    }
    assert!(out.len() > 100, "only {} files", out.len());
    out
}

/// Substrings that only occur in real credentials.
const CREDENTIAL_MARKERS: &[&str] = &[
    "-----BEGIN",
    "AKIA",
    "ASIA",
    "ghp_",
    "gho_",
    "ghs_",
    "ghu_",
    "github_pat_",
    "xoxb-",
    "xoxp-",
    "hooks.slack.com/services/T",
    "sk_live_",
    "eyJhbGciOi",
];

fn walk<'a>(v: &'a Value, path: &mut Vec<String>, f: &mut dyn FnMut(&[String], &'a Value)) {
    f(path, v);
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                path.push(k.clone());
                walk(x, path, f);
                path.pop();
            }
        }
        Value::Array(a) => a.iter().for_each(|x| walk(x, path, f)),
        _ => {}
    }
}

fn credential_name(k: &str) -> bool {
    let up = k.to_ascii_uppercase();
    [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "API_KEY",
        "APIKEY",
        "PRIVATE_KEY",
    ]
    .iter()
    .any(|w| up.contains(w))
}

/// A value that refers to a secret instead of holding one.
fn is_reference(s: &str) -> bool {
    s.contains("${{") || s.contains("$(") || s.is_empty()
}

#[test]
fn no_generated_file_holds_a_credential() {
    for (name, f) in rendered() {
        for marker in CREDENTIAL_MARKERS {
            assert!(
                !f.text.contains(marker),
                "{name}: {} contains `{marker}`",
                f.path
            );
        }
        for doc in serde_yaml::Deserializer::from_str(&f.text) {
            let Ok(doc) = Value::deserialize(doc) else {
                continue;
            };
            walk(&doc, &mut Vec::new(), &mut |path, v| {
                let Some(key) = path.last() else { return };
                // `env`/`with` maps and Kubernetes `env` entries: a credential-named variable may
                // hold only a reference.
                if let Value::String(s) = v {
                    if credential_name(key)
                        && !is_reference(s)
                        && path.iter().any(|p| p == "env" || p == "with")
                    {
                        panic!("{name}: {} sets {key} to a literal", f.path);
                    }
                }
                // Kubernetes container `env` entries (`{name, value}`); task `params` carry the
                // names of Secrets, which are not credentials.
                if let (Value::Object(m), true) = (v, path.last().is_some_and(|k| k == "env")) {
                    if let (Some(Value::String(n)), Some(Value::String(val))) =
                        (m.get("name"), m.get("value"))
                    {
                        assert!(
                            !credential_name(n) || is_reference(val),
                            "{name}: {} sets {n} to a literal",
                            f.path
                        );
                    }
                }
            });
        }
    }
}

#[test]
fn workflows_start_from_no_permissions_pin_actions_and_keep_expressions_out_of_scripts() {
    let mut workflows = 0;
    for (name, f) in rendered() {
        if !f.path.contains(".github/workflows/") {
            continue;
        }
        workflows += 1;
        let doc: Value = serde_yaml::from_str(&f.text).unwrap();
        assert_eq!(
            doc["permissions"],
            serde_json::json!({}),
            "{name}: {}",
            f.path
        );
        for (id, job) in doc["jobs"].as_object().unwrap() {
            for step in job["steps"].as_array().into_iter().flatten() {
                if let Some(run) = step["run"].as_str() {
                    assert!(
                        !run.contains("${{"),
                        "{name}: {id} interpolates into a script"
                    );
                }
                if let Some(uses) = step["uses"].as_str() {
                    let sha = uses.rsplit('@').next().unwrap_or_default();
                    assert!(
                        sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
                        "{name}: {id} uses {uses}"
                    );
                }
                if step["uses"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("actions/checkout@"))
                {
                    let persist = &step["with"]["persist-credentials"];
                    let writes = job["permissions"]["contents"] == "write";
                    let off =
                        *persist == Value::Bool(false) || *persist == Value::String("false".into());
                    assert!(writes || off, "{name}: {id} keeps checkout credentials");
                }
            }
        }
        assert!(
            doc["on"]
                .get("pull_request_target")
                .is_none_or(|v| v.is_null()),
            "{name}: pull_request_target"
        );
    }
    assert!(workflows >= 10, "only {workflows} workflows");
}

#[test]
fn tekton_reads_secrets_only_through_secret_refs_and_never_runs_privileged() {
    for (name, f) in rendered() {
        if !f.path.contains(".tekton/") {
            continue;
        }
        for doc in serde_yaml::Deserializer::from_str(&f.text) {
            let Ok(doc) = Value::deserialize(doc) else {
                continue;
            };
            walk(&doc, &mut Vec::new(), &mut |path, v| {
                if path.last().is_some_and(|k| k == "privileged") {
                    assert_ne!(v, &Value::Bool(true), "{name}: {} runs privileged", f.path);
                }
            });
        }
    }
}
