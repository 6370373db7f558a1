//! The Kustomize transformer configuration (`rollout-transform.yaml`) that teaches Kustomize
//! where Rollouts and Istio objects refer to other objects by name.
//!
//! Kustomize renames references it knows about when `namePrefix` renames an object, but it
//! knows nothing of custom resources: without this file a prefixed overlay would leave a
//! Rollout pointing at the unprefixed Deployment, Services, AnalysisTemplate, VirtualService
//! and DestinationRule. The entries follow the `nameReference` section of the configuration
//! Argo Rollouts publishes for Kustomize 5, restricted to the fields gitopsc writes, plus the
//! Service references inside the Istio objects. Invariant: every name-bearing field gitopsc
//! writes in an overlay's rollout files is listed here.

use serde::Serialize;

/// The file name in the overlay folder (listed under `configurations`).
pub const FILE: &str = "rollout-transform.yaml";

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransformerConfig {
    pub name_reference: Vec<NameReference>,
}

/// Fields that hold the name of an object of kind `kind`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NameReference {
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<&'static str>,
    pub field_specs: Vec<FieldSpec>,
}

/// A `/`-separated path inside objects of kind `kind`.
#[derive(Debug, Clone, Serialize)]
pub struct FieldSpec {
    pub path: &'static str,
    pub kind: &'static str,
}

const ROLLOUT: &str = "Rollout";

/// The configuration written into every overlay folder that has a Rollout.
pub fn transformer_config() -> TransformerConfig {
    let name_reference = REFERENCES
        .iter()
        .map(|&(kind, group, version, specs)| NameReference {
            kind,
            group,
            version,
            field_specs: specs
                .iter()
                .map(|&(path, kind)| FieldSpec { path, kind })
                .collect(),
        })
        .collect();
    TransformerConfig { name_reference }
}

/// Referenced kind, its group and version, then the fields (path, referring kind).
type Reference = (
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    &'static [(&'static str, &'static str)],
);

const REFERENCES: &[Reference] = &[
    (
        "Deployment",
        Some("apps"),
        Some("v1"),
        &[("spec/workloadRef/name", ROLLOUT)],
    ),
    ("Service", None, Some("v1"), SERVICE_REFS),
    (
        "AnalysisTemplate",
        Some("argoproj.io"),
        None,
        &[(ANALYSIS_REF, ROLLOUT)],
    ),
    ("VirtualService", Some(ISTIO), None, &[(VS_REF, ROLLOUT)]),
    ("DestinationRule", Some(ISTIO), None, &[(DR_REF, ROLLOUT)]),
    (
        "Ingress",
        Some("networking.k8s.io"),
        None,
        &[(NGINX_REF, ROLLOUT)],
    ),
];

const ISTIO: &str = "networking.istio.io";

/// Every field that names a Service.
const SERVICE_REFS: &[(&str, &str)] = &[
    ("spec/strategy/blueGreen/activeService", ROLLOUT),
    ("spec/strategy/blueGreen/previewService", ROLLOUT),
    ("spec/strategy/canary/canaryService", ROLLOUT),
    ("spec/strategy/canary/stableService", ROLLOUT),
    ("spec/hosts", "VirtualService"),
    ("spec/http/route/destination/host", "VirtualService"),
    ("spec/host", "DestinationRule"),
];

const ANALYSIS_REF: &str = "spec/strategy/canary/analysis/templates/templateName";
const VS_REF: &str = "spec/strategy/canary/trafficRouting/istio/virtualService/name";
const DR_REF: &str = "spec/strategy/canary/trafficRouting/istio/destinationRule/name";
const NGINX_REF: &str = "spec/strategy/canary/trafficRouting/nginx/stableIngress";
