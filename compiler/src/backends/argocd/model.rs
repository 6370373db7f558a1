//! Typed models of the Argo CD documents this backend writes: `Application`, `ApplicationSet`
//! and `AppProject`, all `argoproj.io/v1alpha1`.
//!
//! Invariant: every field is spelled exactly as in the Argo CD 3.x CRDs (the strict JSON Schemas
//! under `schemas/argoproj.io`), and optional fields are left out rather than written empty,
//! except where an empty value means something to Argo CD (an empty `clusterResourceWhitelist`
//! denies every cluster-scoped kind). Field order follows the order of the structs, so output
//! is deterministic.
//!
//! Documents borrow from the program they describe (`'p`): a text the program holds is a
//! `&'p str` or a borrowed [`Cow`], constants are `&'static str`, and only texts the backend
//! composes (names, paths, escaped template text) are owned. The fixed maps and lists
//! ([`Labels`], [`Annotations`], [`SyncOptions`]) store what varies and write the constant
//! parts themselves, as the same map or sequence an owned collection would give, so YAML and
//! JSON views are unchanged by how a document is held.

use std::borrow::Cow;

use serde::ser::{SerializeMap, SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};

use super::common::SYNC_WAVE;
use crate::emit::yaml::{self, Shared, DECIMAL_LEN};

/// The API version of every document this backend writes.
pub const API_VERSION: &str = "argoproj.io/v1alpha1";

/// A Kubernetes object: `apiVersion`, `kind`, `metadata` and a typed `spec`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource<'p, S> {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: Metadata<'p>,
    pub spec: S,
}

impl<'p, S> Resource<'p, S> {
    pub fn new(kind: &'static str, metadata: Metadata<'p>, spec: S) -> Resource<'p, S> {
        Resource {
            api_version: API_VERSION,
            kind,
            metadata,
            spec,
        }
    }
}

/// Object metadata (also the `template.metadata` of an ApplicationSet).
#[derive(Debug, Clone, Serialize)]
pub struct Metadata<'p> {
    pub name: Cow<'p, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<&'p str>,
    pub labels: Labels<'p>,
    #[serde(skip_serializing_if = "Annotations::is_empty")]
    pub annotations: Annotations,
    #[serde(skip_serializing_if = "<[&str]>::is_empty")]
    pub finalizers: &'static [&'static str],
}

/// `metadata.labels`: the `app.kubernetes.io` labels of a generated object, in this order.
/// `managed-by: gitopsc` is always written, so the map is never empty.
#[derive(Debug, Clone, Copy)]
pub struct Labels<'p> {
    /// `app.kubernetes.io/name`: the service, when the object has one.
    pub name: Option<&'p str>,
    /// `app.kubernetes.io/part-of`: the program's project.
    pub part_of: Option<&'p str>,
}

impl Serialize for Labels<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Written as a struct: the keys are fixed, so the writer decides their style once.
        let len = 1 + usize::from(self.name.is_some()) + usize::from(self.part_of.is_some());
        let mut map = s.serialize_struct("Labels", len)?;
        if let Some(name) = self.name {
            map.serialize_field("app.kubernetes.io/name", name)?;
        }
        if let Some(part_of) = self.part_of {
            map.serialize_field("app.kubernetes.io/part-of", part_of)?;
        }
        map.serialize_field("app.kubernetes.io/managed-by", "gitopsc")?;
        map.end()
    }
}

/// `metadata.annotations`: the only annotation gitopsc writes is the sync wave, whose value
/// Argo CD reads as a string (`'0'`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Annotations {
    pub sync_wave: Option<i32>,
}

impl Annotations {
    pub fn is_empty(&self) -> bool {
        self.sync_wave.is_none()
    }
}

impl Serialize for Annotations {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_struct("Annotations", usize::from(self.sync_wave.is_some()))?;
        if let Some(wave) = self.sync_wave {
            let mut digits = [0u8; DECIMAL_LEN];
            map.serialize_field(SYNC_WAVE, decimal(wave, &mut digits))?;
        }
        map.end()
    }
}

/// `v` in decimal, written into `buf`.
fn decimal(v: i32, buf: &mut [u8; DECIMAL_LEN]) -> &str {
    yaml::decimal(v < 0, v.unsigned_abs().into(), buf)
}

/// `Application.spec`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSpec<'p> {
    pub project: Cow<'p, str>,
    pub source: Source<'p>,
    /// Shared by the applications of an environment (see [`crate::emit::yaml::Shared`]).
    pub destination: Shared<Destination<'p>>,
    /// Shared by the applications of an environment and deployment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_policy: Option<Shared<SyncPolicy<'p>>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignore_differences: Vec<IgnoreDifference<'p>>,
    /// Links and text the Argo CD UI shows with the application (a list of at most one entry:
    /// the environment's URL).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "as_list")]
    pub info: Option<Info<'p>>,
}

/// Writes an optional value as a list of zero or one entries.
fn as_list<T: Serialize, S: Serializer>(value: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
    value.as_slice().serialize(s)
}

/// One `spec.info` entry.
#[derive(Debug, Clone, Serialize)]
pub struct Info<'p> {
    pub name: &'static str,
    pub value: Cow<'p, str>,
}

/// `spec.source` of an Application: a path in a Git repository.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Source<'p> {
    #[serde(rename = "repoURL")]
    pub repo_url: Cow<'p, str>,
    pub target_revision: Cow<'p, str>,
    pub path: Cow<'p, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub helm: Option<Helm<'p>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub directory: Option<Directory>,
}

/// `source.helm`: how a chart stored in Git is rendered.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Helm<'p> {
    pub release_name: &'p str,
    pub value_files: Vec<Cow<'p, str>>,
}

/// `source.directory`: plain manifests, optionally recursive.
#[derive(Debug, Clone, Serialize)]
pub struct Directory {
    pub recurse: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclude: Option<&'static str>,
}

/// `spec.destination` (and an AppProject destination).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Destination<'p> {
    pub server: Cow<'p, str>,
    pub namespace: Cow<'p, str>,
}

/// `spec.syncPolicy` of an Application.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncPolicy<'p> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub automated: Option<Automated>,
    #[serde(skip_serializing_if = "SyncOptions::is_empty")]
    pub sync_options: SyncOptions<'p>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry: Option<Retry>,
}

/// `syncPolicy.syncOptions`: the declared options, then the defaults gitopsc adds.
#[derive(Debug, Clone, Default)]
pub struct SyncOptions<'p> {
    /// The options the program declared, as written (or escaped in a template).
    pub declared: Cow<'p, [String]>,
    /// Adds `CreateNamespace=true`.
    pub create_namespace: bool,
    /// Adds `RespectIgnoreDifferences=true`.
    pub respect_ignore_differences: bool,
}

impl SyncOptions<'_> {
    pub fn is_empty(&self) -> bool {
        self.declared.is_empty() && !self.create_namespace && !self.respect_ignore_differences
    }

    fn len(&self) -> usize {
        self.declared.len()
            + usize::from(self.create_namespace)
            + usize::from(self.respect_ignore_differences)
    }
}

impl Serialize for SyncOptions<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.len()))?;
        for option in self.declared.iter() {
            seq.serialize_element(option)?;
        }
        if self.create_namespace {
            seq.serialize_element("CreateNamespace=true")?;
        }
        if self.respect_ignore_differences {
            seq.serialize_element("RespectIgnoreDifferences=true")?;
        }
        seq.end()
    }
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
pub struct IgnoreDifference<'p> {
    #[serde(skip_serializing_if = "str::is_empty")]
    pub group: Cow<'p, str>,
    pub kind: Cow<'p, str>,
    /// The object's name; empty means every object of the kind.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub name: Cow<'p, str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub json_pointers: Cow<'p, [String]>,
}

/// `AppProject.spec`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppProjectSpec<'p> {
    pub description: String,
    pub source_repos: Vec<&'p str>,
    pub destinations: Vec<Destination<'p>>,
    /// Always written: an empty list states that no cluster-scoped kind is allowed.
    pub cluster_resource_whitelist: Vec<GroupKind<'p>>,
    /// Left out when empty: an empty list would deny every namespaced kind, while a missing
    /// one allows them all.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub namespace_resource_whitelist: Vec<GroupKind<'p>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Role<'p>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sync_windows: Vec<SyncWindow<'p>>,
}

/// A resource kind in a project whitelist, optionally narrowed to one object name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct GroupKind<'p> {
    pub group: &'static str,
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'p str>,
}

/// A project role.
#[derive(Debug, Clone, Serialize)]
pub struct Role<'p> {
    pub name: &'p str,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub description: &'p str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<Cow<'p, str>>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub groups: &'p [String],
}

/// A project sync window.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncWindow<'p> {
    pub kind: &'static str,
    pub schedule: &'p str,
    pub duration: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub applications: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "as_list")]
    pub namespaces: Option<&'p str>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "as_list")]
    pub clusters: Option<&'p str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub and_operator: bool,
    pub manual_sync: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<&'p str>,
}

/// `ApplicationSet.spec`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSetSpec<'p> {
    pub go_template: bool,
    pub go_template_options: &'static [&'static str],
    pub generators: Vec<Generator<'p>>,
    pub template: ApplicationTemplate<'p>,
}

/// One generator of an ApplicationSet (written as `list:` or `git:`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Generator<'p> {
    List(ListGenerator<'p>),
    Git(GitGenerator<'p>),
}

/// A list generator: each element is one parameter set.
#[derive(Debug, Clone, Serialize)]
pub struct ListGenerator<'p> {
    pub elements: Vec<Element<'p>>,
}

/// One parameter set of a list generator, written as a map from parameter to value.
#[derive(Debug, Clone)]
pub enum Element<'p> {
    /// `service` and the `path` of its overlay.
    Overlay { service: &'p str, path: String },
    /// `service`, its `chart` folder and its `valueFile`.
    Chart {
        service: &'p str,
        chart: &'p str,
        value_file: String,
    },
}

impl Serialize for Element<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Element::Overlay { service, path } => {
                let mut map = s.serialize_map(Some(2))?;
                map.serialize_entry("service", service)?;
                map.serialize_entry("path", path)?;
                map.end()
            }
            Element::Chart {
                service,
                chart,
                value_file,
            } => {
                let mut map = s.serialize_map(Some(3))?;
                map.serialize_entry("service", service)?;
                map.serialize_entry("chart", chart)?;
                map.serialize_entry("valueFile", value_file)?;
                map.end()
            }
        }
    }
}

/// A Git directory generator.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GitGenerator<'p> {
    #[serde(rename = "repoURL")]
    pub repo_url: &'p str,
    pub revision: &'p str,
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
pub struct ApplicationTemplate<'p> {
    pub metadata: Metadata<'p>,
    pub spec: ApplicationSpec<'p>,
}

pub type Application<'p> = Resource<'p, ApplicationSpec<'p>>;
pub type AppProject<'p> = Resource<'p, AppProjectSpec<'p>>;
pub type ApplicationSet<'p> = Resource<'p, ApplicationSetSpec<'p>>;

#[cfg(test)]
mod tests {
    use super::{decimal, DECIMAL_LEN};

    #[test]
    fn waves_are_written_in_decimal() {
        let mut buf = [0u8; DECIMAL_LEN];
        assert_eq!(decimal(0, &mut buf), "0");
        assert_eq!(decimal(-1, &mut buf), "-1");
        assert_eq!(decimal(42, &mut buf), "42");
        assert_eq!(decimal(i32::MIN, &mut buf), "-2147483648");
        assert_eq!(decimal(i32::MAX, &mut buf), "2147483647");
    }
}
