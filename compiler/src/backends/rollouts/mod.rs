//! The Argo Rollouts backend: progressive delivery for environments whose rollout strategy is
//! canary or blue-green.
//!
//! For each service a deployment delivers to such an environment through Kustomize, the
//! service's overlay folder (`<kustomize>/overlays/<env>/<svc>/`) gets:
//! - `rollout.yaml`: a Rollout that references the base Deployment (`workloadRef`, scaled down
//!   progressively) and owns the replica count;
//! - canary: `analysis-template.yaml` when the strategy has an analysis; with Istio,
//!   `virtual-service.yaml` and `destination-rule.yaml`; with NGINX, `canary-service.yaml`;
//! - blue-green: `preview-service.yaml`;
//! - `rollout-transform.yaml`, the Kustomize configuration that keeps these references right
//!   under `namePrefix`.
//!
//! The Kustomize backend writes the overlay's `kustomization.yaml`; it asks [`overlay_hook`]
//! what to list and patch, so both backends derive the file list from the same plan and no
//! path is written twice. Invariants: a Rollout exists only where the strategy can work (a
//! blue-green Service or a traffic router needs a Service, which a generated base has only
//! when the service has a port), and in that overlay the Deployment's replica count is
//! cleared so that neither Kustomize nor Argo CD fights the Rollout controller over it.

mod config;
mod istio;
pub mod model;
mod strategy;

use serde::Serialize;

use crate::backends::kustomize::k8s;
use crate::backends::kustomize::model::{
    ClearReplicas, NameOnly, Patch, PatchBody, Replacement, ReplacementOptions, ReplacementSource,
    ReplacementTarget, ReplicasNull, Selector,
};
use crate::backends::kustomize::{self as kz, Layout};
use crate::backends::Backend;
use crate::emit::{OutputFile, Repo};
use crate::ir::{self, EnvId, Manifests, Program, ServiceId};

use strategy::{canary_name, preview_name};

const ROLLOUT_FILE: &str = "rollout.yaml";
const ANALYSIS_FILE: &str = "analysis-template.yaml";
const VIRTUAL_SERVICE_FILE: &str = "virtual-service.yaml";
const DESTINATION_RULE_FILE: &str = "destination-rule.yaml";
const CANARY_SERVICE_FILE: &str = "canary-service.yaml";
const PREVIEW_SERVICE_FILE: &str = "preview-service.yaml";

/// Generates Argo Rollouts documents into Kustomize overlays.
pub struct Rollouts;

impl Backend for Rollouts {
    fn name(&self) -> &'static str {
        "rollouts"
    }
    fn reads_pipelines(&self) -> bool {
        false
    }

    fn emit_each<'p>(&self, program: &'p Program, out: &mut dyn FnMut(OutputFile<'p>)) {
        // Without a progressive environment there is no plan: skip listing every pair.
        let progressive = |e: &ir::Environment| !matches!(e.rollout, ir::Strategy::Rolling);
        if !program.environments.iter().any(progressive) {
            return;
        }
        let layout = Layout::new(program);
        for (svc, env) in kz::delivered(program) {
            let Some(plan) = plan(program, svc, env) else {
                continue;
            };
            let path = |file| layout.overlay_file(&plan.env.name, &plan.svc.name, file);
            for (file, doc) in pieces(&plan) {
                out(OutputFile::new(Repo::Gitops, path(file)).doc(doc));
            }
            out(OutputFile::new(Repo::Gitops, path(config::FILE)).doc(config::transformer_config()));
        }
    }
}

/// What a Rollout adds to the `kustomization.yaml` of a service's overlay.
#[derive(Debug, Clone)]
pub struct OverlayHook<'p> {
    /// Files of the overlay folder to list under `resources`.
    pub resources: Vec<&'static str>,
    /// Files of the overlay folder to list under `configurations`.
    pub configurations: Vec<&'static str>,
    /// Patches of the base (the Deployment's replica count is cleared).
    pub patches: Vec<Patch<'p>>,
    /// Copies from an existing base into generated objects (selectors and ports).
    pub replacements: Vec<Replacement<'p>>,
}

/// The additions to the overlay of `svc` in `env`; `None` when the service rolls out as a
/// plain Deployment there. While a hook exists the Rollout owns the replica count, so the
/// overlay must not set one for the Deployment.
pub fn overlay_hook(program: &Program, svc: ServiceId, env: EnvId) -> Option<OverlayHook<'_>> {
    let plan = plan(program, svc, env)?;
    let name = &plan.svc.name;
    let replacements = match (&plan.svc.manifests, extra_service(&plan)) {
        (Manifests::Existing { .. }, extra) => copy_from_base(&plan, extra.map(|(_, n)| n)),
        _ => Vec::new(),
    };
    Some(OverlayHook {
        resources: pieces(&plan).iter().map(|&(f, _)| f).collect(),
        configurations: vec![config::FILE],
        patches: vec![clear_replicas(name)],
        replacements,
    })
}

/// A field of a generated object that the Argo Rollouts controller changes while a rollout
/// runs (traffic weights, subset labels, Service selectors, the Deployment's scale), which
/// Argo CD must ignore when it compares live and desired state, or self-heal would undo it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllerOwned {
    /// API group (empty for the core group).
    pub group: &'static str,
    pub kind: &'static str,
    /// The object's name as deployed (with the environment's name prefix).
    pub name: String,
    pub json_pointers: Vec<&'static str>,
}

/// The controller-owned fields of `svc` in `env`; empty when it rolls out as a Deployment.
pub fn controller_owned(program: &Program, svc: ServiceId, env: EnvId) -> Vec<ControllerOwned> {
    let Some(plan) = plan(program, svc, env) else {
        return Vec::new();
    };
    let prefix = plan.env.name_prefix.as_deref().unwrap_or("");
    let name = &plan.svc.name;
    let field = |group, kind, object: &str, json_pointers| ControllerOwned {
        group,
        kind,
        name: format!("{prefix}{object}"),
        json_pointers,
    };
    let mut out = vec![field("apps", "Deployment", name, vec!["/spec/replicas"])];
    if let Kind::Canary {
        traffic: Some(ir::Traffic::Istio { .. }),
        ..
    } = plan.kind
    {
        out.push(field(
            istio::GROUP,
            "VirtualService",
            name,
            vec!["/spec/http"],
        ));
        out.push(field(
            istio::GROUP,
            "DestinationRule",
            name,
            vec!["/spec/subsets"],
        ));
    }
    if let Some((_, extra)) = extra_service(&plan) {
        out.push(field("", "Service", name, vec!["/spec/selector"]));
        out.push(field("", "Service", &extra, vec!["/spec/selector"]));
    }
    out
}

/// How one service rolls out in one environment.
struct Plan<'a> {
    svc: &'a ir::Service,
    env: &'a ir::Environment,
    replicas: u32,
    kind: Kind<'a>,
}

#[derive(Clone, Copy)]
enum Kind<'a> {
    Canary {
        canary: &'a ir::Canary,
        traffic: Option<&'a ir::Traffic>,
    },
    BlueGreen(&'a ir::BlueGreen),
}

/// The plan of `svc` in `env`, when the environment's strategy is progressive and the
/// service's manifests come from Kustomize. A generated base without a port has no Service:
/// a canary then runs without traffic routing, and blue-green is not possible.
fn plan(program: &Program, svc: ServiceId, env: EnvId) -> Option<Plan<'_>> {
    let s = program.services.get(svc)?;
    let e = program.environments.get(env)?;
    let has_service = match s.manifests {
        Manifests::Existing { .. } => true,
        Manifests::Generated => s.port.is_some(),
        Manifests::Helm { .. } => return None,
    };
    let kind = match &e.rollout {
        ir::Strategy::Rolling => return None,
        ir::Strategy::Canary(c) => Kind::Canary {
            canary: c,
            traffic: c.traffic.as_ref().filter(|_| has_service),
        },
        ir::Strategy::BlueGreen(bg) if has_service => Kind::BlueGreen(bg),
        ir::Strategy::BlueGreen(_) => return None,
    };
    Some(Plan {
        svc: s,
        env: e,
        replicas: program.replicas(svc, env),
        kind,
    })
}

/// Any document this backend writes.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Doc<'p> {
    Rollout(Box<model::Rollout<'p>>),
    Analysis(model::AnalysisTemplate<'p>),
    VirtualService(istio::VirtualService<'p>),
    DestinationRule(istio::DestinationRule<'p>),
    Service(k8s::Service<'p>),
}

/// The resource files of the plan, in the order the overlay lists them.
fn pieces<'p>(plan: &Plan<'p>) -> Vec<(&'static str, Doc<'p>)> {
    let mut out = vec![(
        ROLLOUT_FILE,
        Doc::Rollout(Box::new(strategy::rollout(plan))),
    )];
    if let Kind::Canary { canary, traffic } = plan.kind {
        if let Some(a) = &canary.analysis {
            let template = strategy::analysis_template(plan, a);
            out.push((ANALYSIS_FILE, Doc::Analysis(template)));
        }
        if let Some(ir::Traffic::Istio { host, gateway }) = traffic {
            let name = &plan.svc.name;
            let vs = istio::virtual_service(name, host.as_deref(), gateway.as_deref());
            out.push((VIRTUAL_SERVICE_FILE, Doc::VirtualService(vs)));
            let dr = istio::destination_rule(name);
            out.push((DESTINATION_RULE_FILE, Doc::DestinationRule(dr)));
        }
    }
    if let Some((file, name)) = extra_service(plan) {
        let service = k8s::cluster_ip_service(name, &plan.svc.name, plan.svc.port);
        out.push((file, Doc::Service(service)));
    }
    out
}

/// The Service the plan adds beside the base's (file and name): the preview Service of
/// blue-green, or the canary Service NGINX routing needs.
fn extra_service(plan: &Plan) -> Option<(&'static str, String)> {
    match plan.kind {
        Kind::BlueGreen(_) => Some((PREVIEW_SERVICE_FILE, preview_name(&plan.svc.name))),
        Kind::Canary {
            traffic: Some(ir::Traffic::Nginx { .. }),
            ..
        } => Some((CANARY_SERVICE_FILE, canary_name(&plan.svc.name))),
        Kind::Canary { .. } => None,
    }
}

/// A patch that removes `spec.replicas` from the base Deployment, whatever the base holds.
fn clear_replicas(svc: &str) -> Patch<'_> {
    Patch {
        patch: PatchBody::ClearReplicas(ClearReplicas {
            api_version: "apps/v1",
            kind: "Deployment",
            metadata: NameOnly { name: svc },
            spec: ReplicasNull { replicas: () },
        }),
        target: Selector::deployment(svc),
    }
}

/// For an existing base, whose pod labels gitopsc does not know: copies the selector and ports
/// of the base's Service (named after the service) into the extra Service, and the selector
/// into the Istio subsets, so they select exactly the pods the base Service selects.
fn copy_from_base<'p>(plan: &Plan<'p>, extra: Option<String>) -> Vec<Replacement<'p>> {
    let base = &plan.svc.name;
    let mut selector_targets = Vec::new();
    let mut out = Vec::new();
    if let Some(extra) = extra {
        selector_targets.push(target(Selector::service(extra.clone()), &["spec.selector"]));
        out.push(replacement(
            base,
            "spec.ports",
            vec![target(Selector::service(extra), &["spec.ports"])],
        ));
    }
    if let Kind::Canary {
        traffic: Some(ir::Traffic::Istio { .. }),
        ..
    } = plan.kind
    {
        let paths =
            [istio::STABLE, istio::CANARY].map(|s| format!("spec.subsets.[name={s}].labels"));
        let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
        selector_targets.push(target(destination_rule_selector(base), &paths));
    }
    if !selector_targets.is_empty() {
        out.insert(0, replacement(base, "spec.selector", selector_targets));
    }
    out
}

fn replacement<'p>(
    base: &'p str,
    field: &'static str,
    targets: Vec<ReplacementTarget<'p>>,
) -> Replacement<'p> {
    Replacement {
        source: ReplacementSource {
            kind: "Service",
            name: base,
            field_path: field,
        },
        targets,
    }
}

fn target<'p>(select: Selector<'p>, paths: &[&str]) -> ReplacementTarget<'p> {
    ReplacementTarget {
        select,
        field_paths: paths.iter().map(|p| p.to_string()).collect(),
        options: ReplacementOptions { create: true },
    }
}

fn destination_rule_selector(name: &str) -> Selector<'_> {
    Selector {
        group: Some("networking.istio.io"),
        version: None,
        kind: "DestinationRule",
        name: name.into(),
    }
}
