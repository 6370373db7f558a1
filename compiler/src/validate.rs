//! Schema validation of generated documents (`gitopsc build --validate`, and the tests).
//!
//! The JSON Schemas in `schemas/` are embedded in the binary and compiled on first use; a
//! document is matched to its schema by `apiVersion`/`kind` (GitHub workflows by their path).
//! Kinds without a vendored schema (core Kubernetes kinds but CronJob, Istio) are not checked here; the
//! external validators in `.ci/validate-outputs` cover them through `kubectl kustomize`.
//! Invariant: validation never reaches the network; every `$ref` resolves to an embedded file.

use crate::emit::OutputFile;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// Every embedded schema, by its path under `schemas/`.
const SCHEMAS: &[(&str, &str)] = &[
    (
        "argoproj.io/application_v1alpha1.json",
        include_str!("../../schemas/argoproj.io/application_v1alpha1.json"),
    ),
    (
        "argoproj.io/applicationset_v1alpha1.json",
        include_str!("../../schemas/argoproj.io/applicationset_v1alpha1.json"),
    ),
    (
        "argoproj.io/appproject_v1alpha1.json",
        include_str!("../../schemas/argoproj.io/appproject_v1alpha1.json"),
    ),
    (
        "argoproj.io/rollout_v1alpha1.json",
        include_str!("../../schemas/argoproj.io/rollout_v1alpha1.json"),
    ),
    (
        "argoproj.io/analysistemplate_v1alpha1.json",
        include_str!("../../schemas/argoproj.io/analysistemplate_v1alpha1.json"),
    ),
    (
        "tekton.dev/pipeline_v1.json",
        include_str!("../../schemas/tekton.dev/pipeline_v1.json"),
    ),
    (
        "tekton.dev/task_v1.json",
        include_str!("../../schemas/tekton.dev/task_v1.json"),
    ),
    (
        "tekton.dev/pipelinerun_v1.json",
        include_str!("../../schemas/tekton.dev/pipelinerun_v1.json"),
    ),
    (
        "triggers.tekton.dev/eventlistener_v1beta1.json",
        include_str!("../../schemas/triggers.tekton.dev/eventlistener_v1beta1.json"),
    ),
    (
        "triggers.tekton.dev/triggerbinding_v1beta1.json",
        include_str!("../../schemas/triggers.tekton.dev/triggerbinding_v1beta1.json"),
    ),
    (
        "triggers.tekton.dev/triggertemplate_v1beta1.json",
        include_str!("../../schemas/triggers.tekton.dev/triggertemplate_v1beta1.json"),
    ),
    (
        "meta.apis.pkg.apimachinery.k8s.io/objectmeta_v1.json",
        include_str!("../../schemas/meta.apis.pkg.apimachinery.k8s.io/objectmeta_v1.json"),
    ),
    (
        "meta.apis.pkg.apimachinery.k8s.io/managedfieldsentry_v1.json",
        include_str!("../../schemas/meta.apis.pkg.apimachinery.k8s.io/managedfieldsentry_v1.json"),
    ),
    (
        "meta.apis.pkg.apimachinery.k8s.io/ownerreference_v1.json",
        include_str!("../../schemas/meta.apis.pkg.apimachinery.k8s.io/ownerreference_v1.json"),
    ),
    (
        "meta.apis.pkg.apimachinery.k8s.io/fieldsv1_v1.json",
        include_str!("../../schemas/meta.apis.pkg.apimachinery.k8s.io/fieldsv1_v1.json"),
    ),
    (
        "meta.apis.pkg.apimachinery.k8s.io/time_v1.json",
        include_str!("../../schemas/meta.apis.pkg.apimachinery.k8s.io/time_v1.json"),
    ),
    (
        "batch/cronjob_v1.json",
        include_str!("../../schemas/batch/cronjob_v1.json"),
    ),
    (
        "kustomize.config.k8s.io/kustomization.json",
        include_str!("../../schemas/kustomize.config.k8s.io/kustomization.json"),
    ),
    (
        "github/github-workflow.json",
        include_str!("../../schemas/github/github-workflow.json"),
    ),
];

const BASE: &str = "file:///schemas/";

/// Resolves `$ref`s to embedded schemas only.
struct Embedded;

impl jsonschema::Retrieve for Embedded {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let text = uri.as_str();
        let path = text.strip_prefix(BASE).unwrap_or(text);
        match SCHEMAS.iter().find(|(p, _)| *p == path) {
            Some((_, body)) => Ok(serde_json::from_str(body)?),
            None => Err(format!("no embedded schema at {text}").into()),
        }
    }
}

type Cache = Mutex<HashMap<&'static str, std::sync::Arc<jsonschema::Validator>>>;

fn validator(path: &'static str) -> Result<std::sync::Arc<jsonschema::Validator>, String> {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(v) = cache.lock().map_err(|_| "schema cache poisoned")?.get(path) {
        return Ok(v.clone());
    }
    let body = SCHEMAS
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, b)| *b)
        .ok_or("unknown schema")?;
    let schema: Value = serde_json::from_str(body).map_err(|e| format!("{path}: {e}"))?;
    let v = jsonschema::options()
        .with_retriever(Embedded)
        .with_base_uri(format!("{BASE}{path}"))
        .build(&schema)
        .map_err(|e| format!("{path}: {e}"))?;
    let v = std::sync::Arc::new(v);
    cache
        .lock()
        .map_err(|_| "schema cache poisoned")?
        .insert(path, v.clone());
    Ok(v)
}

/// The schema a document is checked against, if one is vendored.
pub fn schema_for(path: &str, doc: &Value) -> Option<&'static str> {
    if path.contains(".github/workflows/") {
        return Some("github/github-workflow.json");
    }
    let api = doc.get("apiVersion")?.as_str()?;
    let kind = doc.get("kind")?.as_str()?;
    Some(match (api, kind) {
        ("argoproj.io/v1alpha1", "Application") => "argoproj.io/application_v1alpha1.json",
        ("argoproj.io/v1alpha1", "ApplicationSet") => "argoproj.io/applicationset_v1alpha1.json",
        ("argoproj.io/v1alpha1", "AppProject") => "argoproj.io/appproject_v1alpha1.json",
        ("argoproj.io/v1alpha1", "Rollout") => "argoproj.io/rollout_v1alpha1.json",
        ("argoproj.io/v1alpha1", "AnalysisTemplate") => {
            "argoproj.io/analysistemplate_v1alpha1.json"
        }
        ("tekton.dev/v1", "Pipeline") => "tekton.dev/pipeline_v1.json",
        ("tekton.dev/v1", "Task") => "tekton.dev/task_v1.json",
        ("tekton.dev/v1", "PipelineRun") => "tekton.dev/pipelinerun_v1.json",
        ("triggers.tekton.dev/v1beta1", "EventListener") => {
            "triggers.tekton.dev/eventlistener_v1beta1.json"
        }
        ("triggers.tekton.dev/v1beta1", "TriggerBinding") => {
            "triggers.tekton.dev/triggerbinding_v1beta1.json"
        }
        ("triggers.tekton.dev/v1beta1", "TriggerTemplate") => {
            "triggers.tekton.dev/triggertemplate_v1beta1.json"
        }
        ("batch/v1", "CronJob") => "batch/cronjob_v1.json",
        ("kustomize.config.k8s.io/v1beta1", "Kustomization") => {
            "kustomize.config.k8s.io/kustomization.json"
        }
        _ => return None,
    })
}

/// Checks one document; returns one line per problem.
pub fn validate_document(path: &str, doc: &Value) -> Vec<String> {
    let Some(schema) = schema_for(path, doc) else {
        return Vec::new();
    };
    let v = match validator(schema) {
        Ok(v) => v,
        Err(e) => return vec![format!("{path}: cannot load schema {schema}: {e}")],
    };
    v.iter_errors(doc)
        .take(5)
        .map(|e| format!("{path}: {} (at {})", e, e.instance_path()))
        .collect()
}

/// Problems found in every document of `files`, one line each; empty when all are valid.
pub fn validate_outputs(files: &[OutputFile]) -> Vec<String> {
    let mut problems = Vec::new();
    for f in files {
        for doc in &f.docs {
            problems.extend(validate_document(&f.path, &doc.to_json()));
        }
    }
    problems
}

/// How many documents of `files` have a vendored schema (so tests can tell checks happened).
pub fn checked_count(files: &[OutputFile]) -> usize {
    files
        .iter()
        .flat_map(|f| f.docs.iter().map(move |d| (f, d)))
        .filter(|(f, d)| schema_for(&f.path, &d.to_json()).is_some())
        .count()
}
