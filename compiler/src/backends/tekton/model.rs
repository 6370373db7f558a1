//! Typed models of the Tekton Pipelines `tekton.dev/v1` documents the backend writes: Task,
//! Pipeline and PipelineRun.
//!
//! Invariant: every field name is spelled exactly as in the v1 CRD schemas
//! (`schemas/tekton.dev/*.json`, which forbid unknown fields), and optional fields are skipped
//! when empty, so a document holds only what the program asked for.

use serde::Serialize;

/// The API version of every Tekton Pipelines document.
pub const PIPELINES_API: &str = "tekton.dev/v1";

/// `metadata` of a named, namespaced object.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    pub name: String,
    pub namespace: String,
    #[serde(skip_serializing_if = "Labels::is_empty")]
    pub labels: Labels,
}

/// `metadata` of an object created under a generated name.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GenMeta {
    pub generate_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Labels::is_empty")]
    pub labels: Labels,
}

/// The labels gitopsc puts on what it generates.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Labels {
    #[serde(
        rename = "app.kubernetes.io/managed-by",
        skip_serializing_if = "Option::is_none"
    )]
    pub managed_by: Option<String>,
    #[serde(
        rename = "app.kubernetes.io/part-of",
        skip_serializing_if = "Option::is_none"
    )]
    pub part_of: Option<String>,
}

impl Labels {
    pub fn is_empty(&self) -> bool {
        self.managed_by.is_none() && self.part_of.is_none()
    }
}

/// A parameter value: Tekton knows strings and arrays of strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Str(String),
    Array(Vec<String>),
}

/// A parameter declaration (`params` of a Task or Pipeline).
#[derive(Debug, Clone, Serialize)]
pub struct ParamSpec {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: &'static str,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
}

/// A parameter binding (`params` of a PipelineTask or PipelineRun).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Param {
    pub name: String,
    pub value: Value,
}

impl Param {
    pub fn string(name: impl Into<String>, value: impl Into<String>) -> Param {
        Param {
            name: name.into(),
            value: Value::Str(value.into()),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Task {
    #[serde(rename = "apiVersion")]
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: Meta,
    pub spec: TaskSpec,
}

#[derive(Debug, Clone, Serialize)]
pub struct TaskSpec {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<ParamSpec>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<TaskResult>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub workspaces: Vec<WorkspaceDecl>,
    #[serde(rename = "stepTemplate", skip_serializing_if = "Option::is_none")]
    pub step_template: Option<StepTemplate>,
    pub steps: Vec<Step>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sidecars: Vec<Sidecar>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TaskResult {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: &'static str,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// A workspace a Task or Pipeline declares.
#[derive(Debug, Clone, Serialize)]
pub struct WorkspaceDecl {
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    pub name: String,
    pub image: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
    pub working_dir: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    pub security_context: SecurityContext,
}

/// What every step of a Task has in common.
#[derive(Debug, Clone, Serialize)]
pub struct StepTemplate {
    pub env: Vec<EnvVar>,
}

/// A container next to the steps (a database a test talks to over localhost).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sidecar {
    pub name: String,
    pub image: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<ContainerPort>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readiness_probe: Option<Probe>,
    pub security_context: SecurityContext,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerPort {
    pub container_port: u16,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    pub exec: ExecAction,
    pub period_seconds: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExecAction {
    pub command: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvVar {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_from: Option<EnvSource>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvSource {
    pub secret_key_ref: KeyRef,
}

#[derive(Debug, Clone, Serialize)]
pub struct KeyRef {
    pub name: String,
    pub key: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityContext {
    pub allow_privilege_escalation: bool,
    pub privileged: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_as_non_root: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_as_user: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Capabilities>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seccomp_profile: Option<SeccompProfile>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Capabilities {
    pub drop: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SeccompProfile {
    #[serde(rename = "type")]
    pub ty: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Pipeline {
    #[serde(rename = "apiVersion")]
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: Meta,
    pub spec: PipelineSpec,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineSpec {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub display_name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<ParamSpec>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub workspaces: Vec<WorkspaceDecl>,
    pub tasks: Vec<PipelineTask>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub finally: Vec<PipelineTask>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineTask {
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub display_name: String,
    pub task_ref: TaskRef,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub run_after: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub when: Vec<WhenExpression>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<Param>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matrix: Option<MatrixSpec>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub workspaces: Vec<WorkspaceBinding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TaskRef {
    pub kind: &'static str,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WhenExpression {
    pub input: String,
    pub operator: &'static str,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct MatrixSpec {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<Param>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<MatrixInclude>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MatrixInclude {
    pub name: String,
    pub params: Vec<Param>,
}

/// A Pipeline workspace handed to one of its tasks.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceBinding {
    pub name: String,
    pub workspace: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_path: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PipelineRun {
    #[serde(rename = "apiVersion")]
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: GenMeta,
    pub spec: PipelineRunSpec,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineRunSpec {
    pub pipeline_ref: NameRef,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<Param>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeouts: Option<Timeouts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_run_template: Option<TaskRunTemplate>,
    pub workspaces: Vec<RunWorkspace>,
}

/// `PipelineRun.spec.taskRunTemplate`: what every TaskRun of the run shares.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskRunTemplate {
    pub service_account_name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct NameRef {
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Timeouts {
    pub pipeline: String,
}

/// A volume bound to a Pipeline workspace for one run.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunWorkspace {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_claim_template: Option<ClaimTemplate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub empty_dir: Option<EmptyDir>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EmptyDir {}

#[derive(Debug, Clone, Serialize)]
pub struct ClaimTemplate {
    pub spec: ClaimSpec,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimSpec {
    pub access_modes: Vec<String>,
    pub resources: ClaimResources,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClaimResources {
    pub requests: Storage,
}

#[derive(Debug, Clone, Serialize)]
pub struct Storage {
    pub storage: String,
}
