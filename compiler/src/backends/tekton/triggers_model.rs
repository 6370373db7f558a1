//! Typed models of the Tekton Triggers `triggers.tekton.dev/v1beta1` documents (EventListener,
//! TriggerBinding, TriggerTemplate) and of the Kubernetes RBAC objects an EventListener needs.
//!
//! Invariant: field names are spelled exactly as the Triggers v1beta1 and `rbac.authorization.k8s.io/v1`
//! APIs define them; optional fields are skipped when empty.

use super::model::{Meta, Param, PipelineRun};
use serde::Serialize;

/// The API version of every Tekton Triggers document.
pub const TRIGGERS_API: &str = "triggers.tekton.dev/v1beta1";

#[derive(Debug, Clone, Serialize)]
pub struct EventListener {
    #[serde(rename = "apiVersion")]
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: Meta,
    pub spec: EventListenerSpec,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventListenerSpec {
    pub service_account_name: String,
    pub triggers: Vec<Trigger>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Trigger {
    pub name: String,
    pub interceptors: Vec<Interceptor>,
    pub bindings: Vec<BindingRef>,
    pub template: TemplateRef,
}

#[derive(Debug, Clone, Serialize)]
pub struct Interceptor {
    #[serde(rename = "ref")]
    pub reference: InterceptorRef,
    pub params: Vec<InterceptorParam>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InterceptorRef {
    pub name: String,
    pub kind: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct InterceptorParam {
    pub name: String,
    pub value: InterceptorValue,
}

/// The JSON value an interceptor parameter carries.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum InterceptorValue {
    Str(String),
    List(Vec<String>),
    Secret(SecretRef),
    Overlays(Vec<Overlay>),
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretRef {
    pub secret_name: String,
    pub secret_key: String,
}

/// A CEL overlay: `key` becomes `$(extensions.<key>)` in bindings.
#[derive(Debug, Clone, Serialize)]
pub struct Overlay {
    pub key: String,
    pub expression: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct BindingRef {
    #[serde(rename = "ref")]
    pub reference: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TemplateRef {
    #[serde(rename = "ref")]
    pub reference: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TriggerBinding {
    #[serde(rename = "apiVersion")]
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: Meta,
    pub spec: BindingSpec,
}

#[derive(Debug, Clone, Serialize)]
pub struct BindingSpec {
    pub params: Vec<Param>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TriggerTemplate {
    #[serde(rename = "apiVersion")]
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: Meta,
    pub spec: TemplateSpec,
}

#[derive(Debug, Clone, Serialize)]
pub struct TemplateSpec {
    pub params: Vec<TemplateParam>,
    pub resourcetemplates: Vec<PipelineRun>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TemplateParam {
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceAccount {
    #[serde(rename = "apiVersion")]
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: Meta,
}

/// A RoleBinding or ClusterRoleBinding to a ClusterRole.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleBinding {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: BindingMeta,
    pub subjects: Vec<Subject>,
    pub role_ref: RoleRef,
}

/// Metadata of a binding: a ClusterRoleBinding has no namespace.
#[derive(Debug, Clone, Serialize)]
pub struct BindingMeta {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Subject {
    pub kind: &'static str,
    pub name: String,
    pub namespace: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleRef {
    pub api_group: &'static str,
    pub kind: &'static str,
    pub name: String,
}
