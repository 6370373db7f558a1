//! The typed model of a `kustomization.yaml` (kustomize.config.k8s.io/v1beta1 Kustomization)
//! and of the patches and replacements gitopsc puts in it.
//!
//! Invariant: field names and shapes follow the Kustomization JSON Schema vendored at
//! `schemas/kustomize.config.k8s.io/kustomization.json` (which forbids unknown fields), empty
//! lists are left out, and an inline patch is kept typed until emit time: its YAML text is
//! produced by the project's YAML writer while the document is serialised, so no backend
//! ever builds YAML by hand.
//!
//! A Kustomization borrows from the program (`'p`): names, namespaces, images and declared
//! labels are `&'p str` or borrowed maps, and lists that hold at most one entry are options
//! written as lists, so an overlay allocates little more than its paths.

use std::borrow::Cow;

use indexmap::IndexMap;
use serde::{Serialize, Serializer};

use super::k8s::{as_list, EnvFromSource, NameLabels, ResourceRequirements};

/// A `kustomization.yaml`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Kustomization<'p> {
    pub api_version: &'static str,
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<&'p str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_prefix: Option<&'p str>,
    /// At most one `labels` entry.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "as_list")]
    pub labels: Option<Labels<'p>>,
    pub resources: Vec<Cow<'p, str>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub configurations: Vec<&'static str>,
    /// At most one image: the service's.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "as_list")]
    pub images: Option<Image<'p>>,
    /// At most one count: the service's Deployment's.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "as_list")]
    pub replicas: Option<Replica<'p>>,
    /// At most one ConfigMap: the service's variables.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "as_list")]
    pub config_map_generator: Option<ConfigMapArgs>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub patches: Vec<Patch<'p>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replacements: Vec<Replacement<'p>>,
}

impl<'p> Kustomization<'p> {
    /// An empty Kustomization listing `resources`.
    pub fn new(resources: Vec<Cow<'p, str>>) -> Kustomization<'p> {
        Kustomization {
            api_version: "kustomize.config.k8s.io/v1beta1",
            kind: "Kustomization",
            namespace: None,
            name_prefix: None,
            labels: None,
            resources,
            configurations: Vec::new(),
            images: None,
            replicas: None,
            config_map_generator: None,
            patches: Vec::new(),
            replacements: Vec::new(),
        }
    }
}

/// A `labels` entry (the successor of the deprecated `commonLabels`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Labels<'p> {
    pub pairs: LabelPairs<'p>,
    pub include_selectors: bool,
    /// Also label pod templates (only meaningful without selectors).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_templates: Option<bool>,
}

/// The pairs of a `labels` entry: gitopsc's own labels, or the ones the program declared.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum LabelPairs<'p> {
    Fixed(NameLabels<'p>),
    Declared(&'p IndexMap<String, String>),
}

/// An `images` entry: rewrites every container image called `name`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Image<'p> {
    pub name: &'p str,
    pub new_name: &'p str,
    pub new_tag: &'p str,
}

/// A `replicas` entry: sets `spec.replicas` of the Deployment called `name`.
#[derive(Debug, Clone, Serialize)]
pub struct Replica<'p> {
    pub name: &'p str,
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
pub struct Patch<'p> {
    #[serde(serialize_with = "yaml_text")]
    pub patch: PatchBody<'p>,
    pub target: Selector<'p>,
}

/// The body of an inline patch.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum PatchBody<'p> {
    /// RFC 6902 operations.
    Json6902(Vec<PatchOp<'p>>),
    /// A strategic merge patch that clears `spec.replicas` of a Deployment.
    ClearReplicas(ClearReplicas<'p>),
}

/// One RFC 6902 operation.
#[derive(Debug, Clone, Serialize)]
pub struct PatchOp<'p> {
    pub op: &'static str,
    pub path: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<PatchValue<'p>>,
}

/// The value an `add` or `replace` operation writes.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum PatchValue<'p> {
    Resources(ResourceRequirements<'p>),
    EnvFrom(Vec<EnvFromSource>),
}

/// `{apiVersion: apps/v1, kind: Deployment, metadata: {name}, spec: {replicas: null}}`: in a
/// strategic merge patch `null` deletes the field, and deleting a missing field is no error.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClearReplicas<'p> {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: NameOnly<'p>,
    pub spec: ReplicasNull,
}

#[derive(Debug, Clone, Serialize)]
pub struct NameOnly<'p> {
    pub name: &'p str,
}

/// `replicas: null` (the unit value is written as `null`).
#[derive(Debug, Clone, Serialize)]
pub struct ReplicasNull {
    pub replicas: (),
}

/// Selects objects by group, version, kind and name (a patch target or replacement select).
#[derive(Debug, Clone, Serialize)]
pub struct Selector<'p> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<&'static str>,
    pub kind: &'static str,
    pub name: Cow<'p, str>,
}

impl<'p> Selector<'p> {
    /// The apps/v1 Deployment `name`.
    pub fn deployment(name: &'p str) -> Selector<'p> {
        Selector {
            group: Some("apps"),
            version: Some("v1"),
            kind: "Deployment",
            name: Cow::Borrowed(name),
        }
    }

    /// The v1 Service `name`.
    pub fn service(name: impl Into<Cow<'p, str>>) -> Selector<'p> {
        Selector {
            group: None,
            version: Some("v1"),
            kind: "Service",
            name: name.into(),
        }
    }
}

/// A `replacements` entry: copies one field of one object into fields of others.
#[derive(Debug, Clone, Serialize)]
pub struct Replacement<'p> {
    pub source: ReplacementSource<'p>,
    pub targets: Vec<ReplacementTarget<'p>>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplacementSource<'p> {
    pub kind: &'static str,
    pub name: &'p str,
    pub field_path: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplacementTarget<'p> {
    pub select: Selector<'p>,
    pub field_paths: Vec<String>,
    pub options: ReplacementOptions,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReplacementOptions {
    /// Create the target field when it is missing.
    pub create: bool,
}

/// Serialises a typed patch body as the YAML text Kustomize expects in `patch:`.
fn yaml_text<S: Serializer>(body: &PatchBody<'_>, s: S) -> Result<S::Ok, S::Error> {
    let text = crate::emit::yaml::to_string(body).map_err(serde::ser::Error::custom)?;
    s.serialize_str(&text)
}
