//! Typed models of the Argo Rollouts documents gitopsc writes: `Rollout` and `AnalysisTemplate`
//! (argoproj.io/v1alpha1).
//!
//! Invariant: every field exists under that exact name in the vendored schemas
//! `schemas/argoproj.io/rollout_v1alpha1.json` and `analysistemplate_v1alpha1.json` (which
//! forbid unknown fields), and optional fields are left out rather than written empty.

use serde::Serialize;

use crate::backends::kustomize::k8s::ObjectMeta;

/// The API version of every Argo Rollouts document.
pub const API_VERSION: &str = "argoproj.io/v1alpha1";

/// A Rollout that takes its pod template from a Deployment (`workloadRef`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rollout<'p> {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta<'p>,
    pub spec: RolloutSpec,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutSpec {
    pub replicas: u32,
    pub workload_ref: WorkloadRef,
    pub strategy: Strategy,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadRef {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub name: String,
    /// `progressively`: the Deployment shrinks as the Rollout's pods become ready.
    pub scale_down: &'static str,
}

/// Exactly one of the two strategies is set.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Strategy {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canary: Option<CanaryStrategy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blue_green: Option<BlueGreenStrategy>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CanaryStrategy {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canary_service: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stable_service: Option<String>,
    pub steps: Vec<CanaryStep>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub analysis: Option<BackgroundAnalysis>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traffic_routing: Option<TrafficRouting>,
}

/// One step: exactly one of `setWeight` and `pause` is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CanaryStep {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_weight: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pause: Option<Pause>,
}

/// A pause; without a duration it lasts until someone promotes the rollout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pause {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
}

/// Analysis that runs in the background from `startingStep` until the rollout completes.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackgroundAnalysis {
    pub templates: Vec<TemplateRef>,
    pub starting_step: u32,
    pub args: Vec<AnalysisArg>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateRef {
    pub template_name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AnalysisArg {
    pub name: &'static str,
    pub value: String,
}

/// Exactly one router is set.
#[derive(Debug, Clone, Serialize)]
pub struct TrafficRouting {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub istio: Option<IstioRouting>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nginx: Option<NginxRouting>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IstioRouting {
    pub virtual_service: VirtualServiceRef,
    pub destination_rule: DestinationRuleRef,
}

#[derive(Debug, Clone, Serialize)]
pub struct VirtualServiceRef {
    pub name: String,
    pub routes: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DestinationRuleRef {
    pub name: String,
    pub canary_subset_name: &'static str,
    pub stable_subset_name: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NginxRouting {
    pub stable_ingress: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlueGreenStrategy {
    pub active_service: String,
    pub preview_service: String,
    pub auto_promotion_enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_promotion_seconds: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale_down_delay_seconds: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preview_replica_count: Option<u32>,
}

/// An AnalysisTemplate with one Prometheus metric.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalysisTemplate<'p> {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta<'p>,
    pub spec: AnalysisTemplateSpec,
}

#[derive(Debug, Clone, Serialize)]
pub struct AnalysisTemplateSpec {
    pub args: Vec<ArgDecl>,
    pub metrics: Vec<Metric>,
}

/// A declared template argument (its value comes from the Rollout).
#[derive(Debug, Clone, Serialize)]
pub struct ArgDecl {
    pub name: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Metric {
    pub name: &'static str,
    pub interval: String,
    pub failure_limit: u32,
    pub success_condition: String,
    pub provider: MetricProvider,
}

#[derive(Debug, Clone, Serialize)]
pub struct MetricProvider {
    pub prometheus: PrometheusMetric,
}

#[derive(Debug, Clone, Serialize)]
pub struct PrometheusMetric {
    pub address: String,
    pub query: String,
}

/// A duration in seconds as a Go duration string (`90` -> `1m30s`), which Argo Rollouts parses
/// for pauses and metric intervals.
pub fn duration(seconds: u64) -> String {
    if seconds == 0 {
        return "0s".to_string();
    }
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let mut out = String::new();
    for (n, unit) in [(h, 'h'), (m, 'm'), (s, 's')] {
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn durations_use_go_units() {
        assert_eq!(duration(0), "0s");
        assert_eq!(duration(45), "45s");
        assert_eq!(duration(300), "5m");
        assert_eq!(duration(90), "1m30s");
        assert_eq!(duration(3600), "1h");
        assert_eq!(duration(5430), "1h30m30s");
    }
}
