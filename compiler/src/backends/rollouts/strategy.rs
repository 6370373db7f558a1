//! Builds the Rollout and AnalysisTemplate of one service in one environment from the
//! environment's canary or blue-green strategy.
//!
//! Invariants: canary steps keep the program's order, each weight followed by its pause (none,
//! a duration, or an indefinite pause for a manual promotion); the background analysis starts
//! at the Rollout step where the program's `start_step` begins (Argo counts weights and pauses
//! separately); every name written here is the unprefixed name of an object of the same
//! overlay, which Kustomize prefixes consistently (see `config.rs`), except the analysis
//! argument, which is a plain value and therefore carries the environment's prefix itself.

use crate::backends::kustomize::k8s::ObjectMeta;
use crate::ir;

use super::istio;
use super::model::{
    self, AnalysisArg, AnalysisTemplate, BackgroundAnalysis, BlueGreenStrategy, CanaryStep,
    CanaryStrategy, Pause, Rollout, RolloutSpec, Strategy, TemplateRef, TrafficRouting,
    WorkloadRef,
};
use super::{Kind, Plan};

/// The argument that carries the Service name into the analysis query.
pub const SERVICE_NAME_ARG: &str = "service-name";

/// The AnalysisTemplate of service `svc`.
pub fn analysis_name(svc: &str) -> String {
    format!("{svc}-success-rate")
}

/// The preview Service of a blue-green service `svc`.
pub fn preview_name(svc: &str) -> String {
    format!("{svc}-preview")
}

/// The canary Service of a canary service `svc` routed by NGINX.
pub fn canary_name(svc: &str) -> String {
    format!("{svc}-canary")
}

/// The Rollout of the plan, taking its pod template from the base Deployment.
pub(super) fn rollout<'p>(plan: &Plan<'p>) -> Rollout<'p> {
    let name = plan.svc.name.clone();
    let strategy = match plan.kind {
        Kind::Canary { canary, traffic } => Strategy {
            canary: Some(canary_strategy(plan, canary, traffic)),
            blue_green: None,
        },
        Kind::BlueGreen(bg) => Strategy {
            canary: None,
            blue_green: Some(blue_green(&name, bg)),
        },
    };
    Rollout {
        api_version: model::API_VERSION,
        kind: "Rollout",
        metadata: ObjectMeta::named(plan.svc.name.as_str()),
        spec: RolloutSpec {
            replicas: plan.replicas,
            workload_ref: WorkloadRef {
                api_version: "apps/v1",
                kind: "Deployment",
                name,
                scale_down: "progressively",
            },
            strategy,
        },
    }
}

fn canary_strategy(
    plan: &Plan,
    canary: &ir::Canary,
    traffic: Option<&ir::Traffic>,
) -> CanaryStrategy {
    let svc = &plan.svc.name;
    let (canary_service, stable_service) = match traffic {
        Some(ir::Traffic::Nginx { .. }) => (Some(canary_name(svc)), Some(svc.clone())),
        _ => (None, None),
    };
    CanaryStrategy {
        canary_service,
        stable_service,
        steps: steps(&canary.steps),
        analysis: canary
            .analysis
            .as_ref()
            .map(|a| background(plan, a, &canary.steps)),
        traffic_routing: traffic.map(|t| routing(svc, t)),
    }
}

/// Rollout steps: each weight, then its pause when it has one.
pub fn steps(steps: &[ir::CanaryStep]) -> Vec<CanaryStep> {
    let mut out = Vec::with_capacity(steps.len() * 2);
    for s in steps {
        out.push(CanaryStep {
            set_weight: Some(s.weight),
            pause: None,
        });
        if let Some(seconds) = s.pause_seconds {
            let duration = (seconds > 0).then(|| model::duration(seconds));
            out.push(CanaryStep {
                set_weight: None,
                pause: Some(Pause { duration }),
            });
        }
    }
    out
}

/// The index in the Rollout's step list where program step `start` begins; a start past the
/// last step is taken as the last step, so the analysis always runs.
fn rollout_index(steps: &[ir::CanaryStep], start: u32) -> u32 {
    let start = (start as usize).min(steps.len().saturating_sub(1));
    steps[..start]
        .iter()
        .map(|s| 1 + u32::from(s.pause_seconds.is_some()))
        .sum()
}

fn background(plan: &Plan, a: &ir::Analysis, steps: &[ir::CanaryStep]) -> BackgroundAnalysis {
    let prefix = plan.env.name_prefix.as_deref().unwrap_or("");
    BackgroundAnalysis {
        templates: vec![TemplateRef {
            template_name: analysis_name(&plan.svc.name),
        }],
        starting_step: rollout_index(steps, a.start_step),
        args: vec![AnalysisArg {
            name: SERVICE_NAME_ARG,
            value: format!("{prefix}{}", plan.svc.name),
        }],
    }
}

fn routing(svc: &str, traffic: &ir::Traffic) -> TrafficRouting {
    match traffic {
        ir::Traffic::Istio { .. } => TrafficRouting {
            istio: Some(model::IstioRouting {
                virtual_service: model::VirtualServiceRef {
                    name: svc.to_string(),
                    routes: vec![istio::ROUTE],
                },
                destination_rule: model::DestinationRuleRef {
                    name: svc.to_string(),
                    canary_subset_name: istio::CANARY,
                    stable_subset_name: istio::STABLE,
                },
            }),
            nginx: None,
        },
        ir::Traffic::Nginx { ingress } => TrafficRouting {
            istio: None,
            nginx: Some(model::NginxRouting {
                stable_ingress: ingress.clone(),
            }),
        },
    }
}

fn blue_green(svc: &str, bg: &ir::BlueGreen) -> BlueGreenStrategy {
    BlueGreenStrategy {
        active_service: svc.to_string(),
        preview_service: preview_name(svc),
        auto_promotion_enabled: bg.auto_promote,
        auto_promotion_seconds: bg.auto_promote_seconds,
        scale_down_delay_seconds: bg.scale_down_delay_seconds,
        preview_replica_count: bg.preview_replicas,
    }
}

/// The AnalysisTemplate of the plan's service: one Prometheus metric that must hold at every
/// interval, failing the rollout after `failure_limit` failed measurements.
pub(super) fn analysis_template(plan: &Plan, a: &ir::Analysis) -> AnalysisTemplate<'static> {
    AnalysisTemplate {
        api_version: model::API_VERSION,
        kind: "AnalysisTemplate",
        metadata: ObjectMeta::named(analysis_name(&plan.svc.name)),
        spec: model::AnalysisTemplateSpec {
            args: vec![model::ArgDecl {
                name: SERVICE_NAME_ARG,
            }],
            metrics: vec![model::Metric {
                name: "success-rate",
                interval: model::duration(a.interval_seconds),
                failure_limit: a.failure_limit,
                success_condition: a.success.clone(),
                provider: model::MetricProvider {
                    prometheus: model::PrometheusMetric {
                        address: a.prometheus.clone(),
                        query: a.query.clone(),
                    },
                },
            }],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::rollout_index;
    use crate::ir::CanaryStep;

    fn step(weight: u32, pause: Option<u64>) -> CanaryStep {
        CanaryStep {
            weight,
            pause_seconds: pause,
        }
    }

    #[test]
    fn starting_step_counts_pauses() {
        let steps = [step(10, Some(60)), step(50, None), step(100, None)];
        assert_eq!(rollout_index(&steps, 0), 0);
        assert_eq!(rollout_index(&steps, 1), 2);
        assert_eq!(rollout_index(&steps, 2), 3);
        assert_eq!(rollout_index(&steps, 9), 3);
        assert_eq!(rollout_index(&[], 4), 0);
    }
}
