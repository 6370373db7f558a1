//! Typed models of the Argo CD documents this backend writes: `Application`, `ApplicationSet`
//! and `AppProject`, all `argoproj.io/v1alpha1`.
//!
//! Invariant: every field is spelled exactly as in the Argo CD 3.x CRDs (the strict JSON Schemas
//! under `schemas/argoproj.io`), and optional fields are left out rather than written empty,
//! except where an empty value means something to Argo CD (an empty `clusterResourceWhitelist`
//! denies every cluster-scoped kind). Field order follows the order of the structs, so output
//! is deterministic.

use indexmap::IndexMap;
use serde::Serialize;

/// The API version of every document this backend writes.
pub const API_VERSION: &str = "argoproj.io/v1alpha1";

/// A Kubernetes object: `apiVersion`, `kind`, `metadata` and a typed `spec`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource<S> {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: Metadata,
    pub spec: S,
}

impl<S> Resource<S> {
    pub fn new(kind: &'static str, metadata: Metadata, spec: S) -> Resource<S> {
        Resource {
            api_version: API_VERSION,
            kind,
            metadata,
            spec,
        }
    }
}

/// Object metadata (also the `template.metadata` of an ApplicationSet).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Metadata {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub labels: IndexMap<String, String>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub annotations: IndexMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub finalizers: Vec<String>,
}

/// `Application.spec`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSpec {
    pub project: String,
    pub source: Source,
    pub destination: Destination,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_policy: Option<SyncPolicy>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignore_differences: Vec<IgnoreDifference>,
    /// Links and text the Argo CD UI shows with the application.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub info: Vec<Info>,
}

/// One `spec.info` entry.
#[derive(Debug, Clone, Serialize)]
pub struct Info {
    pub name: String,
    pub value: String,
}

/// `spec.source` of an Application: a path in a Git repository.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    pub target_revision: String,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub helm: Option<Helm>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub directory: Option<Directory>,
}

/// `source.helm`: how a chart stored in Git is rendered.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Helm {
    pub release_name: String,
    pub value_files: Vec<String>,
}

/// `source.directory`: plain manifests, optionally recursive.
#[derive(Debug, Clone, Serialize)]
pub struct Directory {
    pub recurse: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclude: Option<String>,
}

/// `spec.destination` (and an AppProject destination).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Destination {
    pub server: String,
    pub namespace: String,
}

/// `spec.syncPolicy` of an Application.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncPolicy {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub automated: Option<Automated>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sync_options: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry: Option<Retry>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Automated {
    pub prune: bool,
    pub self_heal: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Retry {
    pub limit: u32,
    pub backoff: Backoff,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Backoff {
    pub duration: String,
    pub factor: u32,
    pub max_duration: String,
}

/// One `spec.ignoreDifferences` entry; an empty group is the core API group.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IgnoreDifference {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub group: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub json_pointers: Vec<String>,
}

/// `AppProject.spec`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppProjectSpec {
    pub description: String,
    pub source_repos: Vec<String>,
    pub destinations: Vec<Destination>,
    /// Always written: an empty list states that no cluster-scoped kind is allowed.
    pub cluster_resource_whitelist: Vec<GroupKind>,
    /// Left out when empty: an empty list would deny every namespaced kind, while a missing
    /// one allows them all.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub namespace_resource_whitelist: Vec<GroupKind>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Role>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sync_windows: Vec<SyncWindow>,
}

/// A resource kind in a project whitelist, optionally narrowed to one object name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct GroupKind {
    pub group: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A project role.
#[derive(Debug, Clone, Serialize)]
pub struct Role {
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
}

/// A project sync window.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncWindow {
    pub kind: &'static str,
    pub schedule: String,
    pub duration: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub applications: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub clusters: Vec<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub and_operator: bool,
    pub manual_sync: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

/// `ApplicationSet.spec`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSetSpec {
    pub go_template: bool,
    pub go_template_options: Vec<String>,
    pub generators: Vec<Generator>,
    pub template: ApplicationTemplate,
}

/// One generator of an ApplicationSet (written as `list:` or `git:`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Generator {
    List(ListGenerator),
    Git(GitGenerator),
}

/// A list generator: each element is one parameter set.
#[derive(Debug, Clone, Serialize)]
pub struct ListGenerator {
    pub elements: Vec<IndexMap<String, String>>,
}

/// A Git directory generator.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GitGenerator {
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    pub revision: String,
    pub directories: Vec<GitDirectory>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GitDirectory {
    pub path: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub exclude: bool,
}

/// `ApplicationSet.spec.template`: the Application every parameter set becomes.
#[derive(Debug, Clone, Serialize)]
pub struct ApplicationTemplate {
    pub metadata: Metadata,
    pub spec: ApplicationSpec,
}

pub type Application = Resource<ApplicationSpec>;
pub type AppProject = Resource<AppProjectSpec>;
pub type ApplicationSet = Resource<ApplicationSetSpec>;
