//! Small typed models of the core Kubernetes objects the Kustomize and Rollouts backends write:
//! Deployment, Service, CronJob and the pieces of a pod template they need.
//!
//! Invariant: only fields gitopsc sets exist here, every optional field is skipped when empty,
//! and field names are the exact camelCase names of the Kubernetes API (apps/v1, batch/v1, v1), so the
//! serialised documents are what `kubectl` expects without any post-processing.
//!
//! Objects borrow from the program (`'p`) and constant parts are `&'static`, so building one
//! allocates little more than the names gitopsc composes. Label maps and resource quantities
//! have fixed keys: [`NameLabels`] and [`Quantities`] store the values and write the same maps
//! an owned map would.

use std::borrow::Cow;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::ir;

/// The label every generated object of a service carries and every selector matches on.
pub const NAME_LABEL: &str = "app.kubernetes.io/name";
/// The label naming the service a CronJob belongs to.
pub const PART_OF_LABEL: &str = "app.kubernetes.io/part-of";
/// The name of the container port (and of the Service port) of a generated base.
pub const PORT_NAME: &str = "http";

/// The labels gitopsc puts on objects and selectors: `app.kubernetes.io/name`, then
/// `app.kubernetes.io/part-of` when set. Written as a map; the values are borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameLabels<'p> {
    pub name: &'p str,
    pub part_of: Option<&'p str>,
}

impl Serialize for NameLabels<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(1 + usize::from(self.part_of.is_some())))?;
        map.serialize_entry(NAME_LABEL, self.name)?;
        if let Some(part_of) = self.part_of {
            map.serialize_entry(PART_OF_LABEL, part_of)?;
        }
        map.end()
    }
}

/// Writes an optional value as a list of zero or one entries.
pub fn as_list<T: Serialize, S: Serializer>(value: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
    value.as_slice().serialize(s)
}

/// `metadata` with a name and optional labels.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectMeta<'p> {
    pub name: Cow<'p, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<NameLabels<'p>>,
}

impl<'p> ObjectMeta<'p> {
    pub fn named(name: impl Into<Cow<'p, str>>) -> ObjectMeta<'p> {
        ObjectMeta {
            name: name.into(),
            labels: None,
        }
    }
}

/// An apps/v1 Deployment.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployment<'p> {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta<'p>,
    pub spec: DeploymentSpec<'p>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentSpec<'p> {
    pub replicas: u32,
    pub selector: LabelSelector<'p>,
    pub template: PodTemplate<'p>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector<'p> {
    pub match_labels: NameLabels<'p>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PodTemplate<'p> {
    pub metadata: TemplateMeta<'p>,
    pub spec: PodSpec<'p>,
}

/// Pod template metadata: labels only (a template has no name).
#[derive(Debug, Clone, Serialize)]
pub struct TemplateMeta<'p> {
    pub labels: NameLabels<'p>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec<'p> {
    /// `Never` or `OnFailure` for a Job's pods; a Deployment's pods keep the default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<&'static str>,
    pub security_context: PodSecurityContext,
    pub containers: Vec<Container<'p>>,
    #[serde(skip_serializing_if = "<[Volume]>::is_empty")]
    pub volumes: &'static [Volume],
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSecurityContext {
    pub run_as_non_root: bool,
    pub seccomp_profile: SeccompProfile,
}

#[derive(Debug, Clone, Serialize)]
pub struct SeccompProfile {
    #[serde(rename = "type")]
    pub kind: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Container<'p> {
    pub name: &'p str,
    pub image: &'p str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub command: &'p [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub args: &'p [String],
    /// At most one port: the service's.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "as_list")]
    pub ports: Option<ContainerPort>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar<'p>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements<'p>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub liveness_probe: Option<Probe<'p>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readiness_probe: Option<Probe<'p>>,
    pub security_context: SecurityContext,
    #[serde(skip_serializing_if = "<[VolumeMount]>::is_empty")]
    pub volume_mounts: &'static [VolumeMount],
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerPort {
    pub name: &'static str,
    pub container_port: u16,
    pub protocol: &'static str,
}

/// A container variable: a plain value, or a key of a Secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvVar<'p> {
    pub name: &'p str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<&'p str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_from: Option<EnvVarSource>,
}

impl<'p> EnvVar<'p> {
    pub fn plain(name: &'p str, value: &'p str) -> EnvVar<'p> {
        EnvVar {
            name,
            value: Some(value),
            value_from: None,
        }
    }

    /// The variable `name` read from key `key` of the Secret `secret`.
    pub fn secret(name: &'p str, secret: String, key: &'static str) -> EnvVar<'p> {
        EnvVar {
            name,
            value: None,
            value_from: Some(EnvVarSource {
                secret_key_ref: SecretKeySelector { name: secret, key },
            }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvVarSource {
    pub secret_key_ref: SecretKeySelector,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretKeySelector {
    pub name: String,
    pub key: &'static str,
}

/// `envFrom` entry that imports every key of a ConfigMap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvFromSource {
    pub config_map_ref: LocalObjectReference,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocalObjectReference {
    pub name: String,
}

/// Requests and limits keyed by resource name (`cpu`, `memory`), in that order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceRequirements<'p> {
    #[serde(skip_serializing_if = "Quantities::is_empty")]
    pub requests: Quantities<'p>,
    #[serde(skip_serializing_if = "Quantities::is_empty")]
    pub limits: Quantities<'p>,
}

/// The `cpu` and `memory` quantities of requests or limits, written as a map of those set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantities<'p> {
    pub cpu: Option<&'p str>,
    pub memory: Option<&'p str>,
}

impl Quantities<'_> {
    pub fn is_empty(&self) -> bool {
        self.cpu.is_none() && self.memory.is_none()
    }
}

impl Serialize for Quantities<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let len = usize::from(self.cpu.is_some()) + usize::from(self.memory.is_some());
        let mut map = s.serialize_map(Some(len))?;
        if let Some(cpu) = self.cpu {
            map.serialize_entry("cpu", cpu)?;
        }
        if let Some(memory) = self.memory {
            map.serialize_entry("memory", memory)?;
        }
        map.end()
    }
}

impl<'p> ResourceRequirements<'p> {
    /// The requirements of `r`; `None` when it sets nothing.
    pub fn from_ir(r: &'p ir::Resources) -> Option<ResourceRequirements<'p>> {
        ResourceRequirements::new(
            r.cpu_request.as_deref(),
            r.memory_request.as_deref(),
            r.cpu_limit.as_deref(),
            r.memory_limit.as_deref(),
        )
    }

    /// The requirements of the given quantities; `None` when none is set.
    pub fn new(
        cpu_request: Option<&'p str>,
        memory_request: Option<&'p str>,
        cpu_limit: Option<&'p str>,
        memory_limit: Option<&'p str>,
    ) -> Option<ResourceRequirements<'p>> {
        let out = ResourceRequirements {
            requests: Quantities {
                cpu: cpu_request,
                memory: memory_request,
            },
            limits: Quantities {
                cpu: cpu_limit,
                memory: memory_limit,
            },
        };
        (!out.requests.is_empty() || !out.limits.is_empty()).then_some(out)
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Probe<'p> {
    pub http_get: HttpGetAction<'p>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HttpGetAction<'p> {
    pub path: &'p str,
    /// A named port (`http`), so the probe follows the container port.
    pub port: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityContext {
    pub allow_privilege_escalation: bool,
    pub read_only_root_filesystem: bool,
    pub run_as_non_root: bool,
    pub capabilities: Capabilities,
}

#[derive(Debug, Clone, Serialize)]
pub struct Capabilities {
    pub drop: &'static [&'static str],
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeMount {
    pub name: &'static str,
    pub mount_path: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    pub name: &'static str,
    pub empty_dir: EmptyDir,
}

/// An empty `emptyDir: {}`.
#[derive(Debug, Clone, Serialize)]
pub struct EmptyDir {}

/// A batch/v1 CronJob.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CronJob<'p> {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta<'p>,
    pub spec: CronJobSpec<'p>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CronJobSpec<'p> {
    pub schedule: &'p str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<&'p str>,
    pub concurrency_policy: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starting_deadline_seconds: Option<u64>,
    pub successful_jobs_history_limit: u32,
    pub failed_jobs_history_limit: u32,
    pub job_template: JobTemplate<'p>,
}

/// The Job a CronJob creates on each run.
#[derive(Debug, Clone, Serialize)]
pub struct JobTemplate<'p> {
    pub metadata: TemplateMeta<'p>,
    pub spec: JobSpec<'p>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobSpec<'p> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backoff_limit: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_deadline_seconds: Option<u64>,
    pub template: PodTemplate<'p>,
}

/// A v1 Service.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Service<'p> {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta<'p>,
    pub spec: ServiceSpec<'p>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceSpec<'p> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub selector: NameLabels<'p>,
    /// At most one port: the service's.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "as_list")]
    pub ports: Option<ServicePort>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePort {
    pub name: &'static str,
    pub port: u16,
    /// The container port by name.
    pub target_port: &'static str,
    pub protocol: &'static str,
}

/// The selector of every object of service `svc`: `app.kubernetes.io/name: <svc>`.
pub fn selector_labels(svc: &str) -> NameLabels<'_> {
    NameLabels {
        name: svc,
        part_of: None,
    }
}

/// A ClusterIP Service `name` in front of the pods of service `svc`, on `port` when known.
pub fn cluster_ip_service<'p>(
    name: impl Into<Cow<'p, str>>,
    svc: &'p str,
    port: Option<u16>,
) -> Service<'p> {
    let ports = port.map(|p| ServicePort {
        name: PORT_NAME,
        port: p,
        target_port: PORT_NAME,
        protocol: "TCP",
    });
    Service {
        api_version: "v1",
        kind: "Service",
        metadata: ObjectMeta::named(name),
        spec: ServiceSpec {
            kind: "ClusterIP",
            selector: selector_labels(svc),
            ports,
        },
    }
}
