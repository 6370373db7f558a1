//! The typed model of a `kustomization.yaml` (kustomize.config.k8s.io/v1beta1 Kustomization)
//! and of the patches and replacements gitopsc puts in it.
//!
//! Invariant: field names and shapes follow the Kustomization JSON Schema vendored at
//! `schemas/kustomize.config.k8s.io/kustomization.json` (which forbids unknown fields), empty
//! lists are left out, and an inline patch is kept typed until emit time: its YAML text is
//! produced by the project's YAML writer while the document is serialised, so no backend
//! ever builds YAML by hand.

use indexmap::IndexMap;
use serde::{Serialize, Serializer};

use super::k8s::{EnvFromSource, ResourceRequirements};

/// A `kustomization.yaml`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Kustomization {
    pub api_version: &'static str,
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_prefix: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<Labels>,
    pub resources: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub configurations: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<Image>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replicas: Vec<Replica>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub config_map_generator: Vec<ConfigMapArgs>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub patches: Vec<Patch>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replacements: Vec<Replacement>,
}

impl Kustomization {
    /// An empty Kustomization listing `resources`.
    pub fn new(resources: Vec<String>) -> Kustomization {
        Kustomization {
            api_version: "kustomize.config.k8s.io/v1beta1",
            kind: "Kustomization",
            namespace: None,
            name_prefix: None,
            labels: Vec::new(),
            resources,
            configurations: Vec::new(),
            images: Vec::new(),
            replicas: Vec::new(),
            config_map_generator: Vec::new(),
            patches: Vec::new(),
            replacements: Vec::new(),
        }
    }
}

/// A `labels` entry (the successor of the deprecated `commonLabels`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Labels {
    pub pairs: IndexMap<String, String>,
    pub include_selectors: bool,
    /// Also label pod templates (only meaningful without selectors).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_templates: Option<bool>,
}

/// An `images` entry: rewrites every container image called `name`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    pub name: String,
    pub new_name: String,
    pub new_tag: String,
}

/// A `replicas` entry: sets `spec.replicas` of the Deployment called `name`.
#[derive(Debug, Clone, Serialize)]
pub struct Replica {
    pub name: String,
    pub count: u32,
}

/// A `configMapGenerator` entry built from literals (`KEY=value`).
#[derive(Debug, Clone, Serialize)]
pub struct ConfigMapArgs {
    pub name: String,
    pub literals: Vec<String>,
}

/// A `patches` entry with an inline patch, applied to the objects `target` selects.
#[derive(Debug, Clone, Serialize)]
pub struct Patch {
    #[serde(serialize_with = "yaml_text")]
    pub patch: PatchBody,
    pub target: Selector,
}

/// The body of an inline patch.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum PatchBody {
    /// RFC 6902 operations.
    Json6902(Vec<PatchOp>),
    /// A strategic merge patch that clears `spec.replicas` of a Deployment.
    ClearReplicas(ClearReplicas),
}

/// One RFC 6902 operation.
#[derive(Debug, Clone, Serialize)]
pub struct PatchOp {
    pub op: &'static str,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<PatchValue>,
}

/// The value an `add` or `replace` operation writes.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum PatchValue {
    Resources(ResourceRequirements),
    EnvFrom(Vec<EnvFromSource>),
}

/// `{apiVersion: apps/v1, kind: Deployment, metadata: {name}, spec: {replicas: null}}`: in a
/// strategic merge patch `null` deletes the field, and deleting a missing field is no error.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClearReplicas {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: NameOnly,
    pub spec: ReplicasNull,
}

#[derive(Debug, Clone, Serialize)]
pub struct NameOnly {
    pub name: String,
}

/// `replicas: null` (the unit value is written as `null`).
#[derive(Debug, Clone, Serialize)]
pub struct ReplicasNull {
    pub replicas: (),
}

/// Selects objects by group, version, kind and name (a patch target or replacement select).
#[derive(Debug, Clone, Serialize)]
pub struct Selector {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<&'static str>,
    pub kind: &'static str,
    pub name: String,
}

impl Selector {
    /// The apps/v1 Deployment `name`.
    pub fn deployment(name: &str) -> Selector {
        Selector {
            group: Some("apps"),
            version: Some("v1"),
            kind: "Deployment",
            name: name.to_string(),
        }
    }

    /// The v1 Service `name`.
    pub fn service(name: &str) -> Selector {
        Selector {
            group: None,
            version: Some("v1"),
            kind: "Service",
            name: name.to_string(),
        }
    }
}

/// A `replacements` entry: copies one field of one object into fields of others.
#[derive(Debug, Clone, Serialize)]
pub struct Replacement {
    pub source: ReplacementSource,
    pub targets: Vec<ReplacementTarget>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplacementSource {
    pub kind: &'static str,
    pub name: String,
    pub field_path: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplacementTarget {
    pub select: Selector,
    pub field_paths: Vec<String>,
    pub options: ReplacementOptions,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReplacementOptions {
    /// Create the target field when it is missing.
    pub create: bool,
}

/// Serialises a typed patch body as the YAML text Kustomize expects in `patch:`.
fn yaml_text<S: Serializer>(body: &PatchBody, s: S) -> Result<S::Ok, S::Error> {
    let text = crate::emit::yaml::to_string(body).map_err(serde::ser::Error::custom)?;
    s.serialize_str(&text)
}
