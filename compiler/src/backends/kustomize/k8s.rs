//! Small typed models of the core Kubernetes objects the Kustomize and Rollouts backends write:
//! Deployment, Service, CronJob and the pieces of a pod template they need.
//!
//! Invariant: only fields gitopsc sets exist here, every optional field is skipped when empty,
//! and field names are the exact camelCase names of the Kubernetes API (apps/v1, batch/v1, v1), so the
//! serialised documents are what `kubectl` expects without any post-processing.

use indexmap::IndexMap;
use serde::Serialize;

use crate::ir;

/// The label every generated object of a service carries and every selector matches on.
pub const NAME_LABEL: &str = "app.kubernetes.io/name";
/// The name of the container port (and of the Service port) of a generated base.
pub const PORT_NAME: &str = "http";

/// `metadata` with a name and optional labels.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectMeta {
    pub name: String,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub labels: IndexMap<String, String>,
}

impl ObjectMeta {
    pub fn named(name: impl Into<String>) -> ObjectMeta {
        ObjectMeta {
            name: name.into(),
            labels: IndexMap::new(),
        }
    }
}

/// An apps/v1 Deployment.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub spec: DeploymentSpec,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentSpec {
    pub replicas: u32,
    pub selector: LabelSelector,
    pub template: PodTemplate,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    pub match_labels: IndexMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PodTemplate {
    pub metadata: TemplateMeta,
    pub spec: PodSpec,
}

/// Pod template metadata: labels only (a template has no name).
#[derive(Debug, Clone, Serialize)]
pub struct TemplateMeta {
    pub labels: IndexMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    /// `Never` or `OnFailure` for a Job's pods; a Deployment's pods keep the default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<&'static str>,
    pub security_context: PodSecurityContext,
    pub containers: Vec<Container>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Volume>,
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
pub struct Container {
    pub name: String,
    pub image: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<ContainerPort>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub liveness_probe: Option<Probe>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readiness_probe: Option<Probe>,
    pub security_context: SecurityContext,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volume_mounts: Vec<VolumeMount>,
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
pub struct EnvVar {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_from: Option<EnvVarSource>,
}

impl EnvVar {
    pub fn plain(name: &str, value: &str) -> EnvVar {
        EnvVar {
            name: name.to_string(),
            value: Some(value.to_string()),
            value_from: None,
        }
    }

    /// The variable `name` read from key `key` of the Secret `secret`.
    pub fn secret(name: &str, secret: &str, key: &str) -> EnvVar {
        EnvVar {
            name: name.to_string(),
            value: None,
            value_from: Some(EnvVarSource {
                secret_key_ref: SecretKeySelector {
                    name: secret.to_string(),
                    key: key.to_string(),
                },
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
    pub key: String,
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
pub struct ResourceRequirements {
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub requests: IndexMap<&'static str, String>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub limits: IndexMap<&'static str, String>,
}

impl ResourceRequirements {
    /// The requirements of `r`; `None` when it sets nothing.
    pub fn from_ir(r: &ir::Resources) -> Option<ResourceRequirements> {
        let pairs = |cpu: &Option<String>, memory: &Option<String>| {
            let mut m = IndexMap::new();
            if let Some(c) = cpu {
                m.insert("cpu", c.clone());
            }
            if let Some(mem) = memory {
                m.insert("memory", mem.clone());
            }
            m
        };
        let out = ResourceRequirements {
            requests: pairs(&r.cpu_request, &r.memory_request),
            limits: pairs(&r.cpu_limit, &r.memory_limit),
        };
        (!out.requests.is_empty() || !out.limits.is_empty()).then_some(out)
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    pub http_get: HttpGetAction,
}

#[derive(Debug, Clone, Serialize)]
pub struct HttpGetAction {
    pub path: String,
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
    pub drop: Vec<&'static str>,
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
pub struct CronJob {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub spec: CronJobSpec,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CronJobSpec {
    pub schedule: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    pub concurrency_policy: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starting_deadline_seconds: Option<u64>,
    pub successful_jobs_history_limit: u32,
    pub failed_jobs_history_limit: u32,
    pub job_template: JobTemplate,
}

/// The Job a CronJob creates on each run.
#[derive(Debug, Clone, Serialize)]
pub struct JobTemplate {
    pub metadata: TemplateMeta,
    pub spec: JobSpec,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backoff_limit: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_deadline_seconds: Option<u64>,
    pub template: PodTemplate,
}

/// A v1 Service.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub spec: ServiceSpec,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceSpec {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub selector: IndexMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<ServicePort>,
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
pub fn selector_labels(svc: &str) -> IndexMap<String, String> {
    IndexMap::from([(NAME_LABEL.to_string(), svc.to_string())])
}

/// A ClusterIP Service `name` in front of the pods of service `svc`, on `port` when known.
pub fn cluster_ip_service(name: &str, svc: &str, port: Option<u16>) -> Service {
    let ports = port
        .map(|p| ServicePort {
            name: PORT_NAME,
            port: p,
            target_port: PORT_NAME,
            protocol: "TCP",
        })
        .into_iter()
        .collect();
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
