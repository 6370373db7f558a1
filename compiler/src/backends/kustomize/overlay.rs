//! Overlays: `overlays/<env>/<svc>/kustomization.yaml` for each delivered pair, and
//! `overlays/<env>/kustomization.yaml` gathering the services of an environment.
//!
//! What an overlay sets, and why:
//! - `resources`: the base (generated, or the existing folder, as a path relative to the
//!   overlay), then the files the rollouts backend writes into the overlay folder, then the
//!   service's CronJobs that run in the environment;
//! - `namespace`, `namePrefix` and `labels` (without selectors, with pod templates) from the
//!   environment;
//! - `images`: the service image with the environment name as its initial tag, so that every
//!   environment deploys a pinned, non-`latest` tag from the start; CI replaces it with
//!   `kustomize edit set image`;
//! - `replicas`: the service's replica count in the environment, unless a Rollout owns the
//!   count (then the Rollout carries it and the Deployment's count is cleared);
//! - one RFC 6902 patch on the first container of the Deployment for resources that differ
//!   from the base and for variables that come from a generated ConfigMap (`envFrom`).
//!
//! Invariant: everything an overlay references exists in its folder or in the base, so
//! `kubectl kustomize` succeeds on every overlay and environment folder.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::backends::rollouts;
use crate::emit::{OutputFile, Repo};
use crate::ir::{self, EnvId, Manifests, Program, ServiceId};

use super::k8s::{EnvFromSource, LocalObjectReference, ResourceRequirements};
use super::model::{
    ConfigMapArgs, Image, Kustomization, LabelPairs, Labels, Patch, PatchBody, PatchOp, PatchValue,
    Replica, Selector,
};
use super::{relative, Layout};

/// The file every overlay folder holds.
const KUSTOMIZATION: &str = "kustomization.yaml";

/// The paths of the first container, which overlays patch.
const CONTAINER_RESOURCES: &str = "/spec/template/spec/containers/0/resources";
const CONTAINER_ENV: &str = "/spec/template/spec/containers/0/env";
const CONTAINER_ENV_FROM: &str = "/spec/template/spec/containers/0/envFrom";

/// The overlay of service `svc` in environment `env` (both in range: see [`super::delivered`]).
pub(super) fn service_overlay<'p>(
    program: &'p Program,
    layout: &Layout,
    svc: ServiceId,
    env: EnvId,
) -> OutputFile<'p> {
    let s = &program.services[svc];
    let e = &program.environments[env];
    let path = layout.overlay_file(&e.name, &s.name, KUSTOMIZATION);
    let dir = &path[..path.len() - KUSTOMIZATION.len() - 1];
    let hook = rollouts::overlay_hook(program, svc, env);
    let mut k = Kustomization::new(vec![Cow::Owned(base_path(layout, dir, s))]);
    k.namespace = Some(&e.namespace);
    k.name_prefix = e.name_prefix.as_deref().filter(|p| !p.is_empty());
    k.labels = env_labels(e);
    k.images = Some(Image {
        name: &s.image,
        new_name: &s.image,
        new_tag: &e.name,
    });
    if hook.is_none() {
        k.replicas = Some(Replica {
            name: &s.name,
            count: program.replicas(svc, env),
        });
    }
    add_container_patch(&mut k, program, svc, env);
    if let Some(h) = hook {
        k.resources
            .extend(h.resources.into_iter().map(Cow::Borrowed));
        k.configurations = h.configurations;
        k.patches.extend(h.patches);
        k.replacements = h.replacements;
    }
    k.resources
        .extend(super::cronjob::resources(program, svc, env).map(Cow::Owned));
    OutputFile::new(Repo::Gitops, path).doc(k)
}

/// Adds the ConfigMap of the service's variables and the patch of its container, when needed.
fn add_container_patch<'p>(
    k: &mut Kustomization<'p>,
    program: &'p Program,
    svc: ServiceId,
    env: EnvId,
) {
    let config_map = env_config_map(program, svc, env);
    let name = config_map.as_ref().map(|c| c.name.as_str());
    let ops = container_ops(program, svc, env, name);
    if !ops.is_empty() {
        k.patches.push(Patch {
            patch: PatchBody::Json6902(ops),
            target: Selector::deployment(&program.services[svc].name),
        });
    }
    k.config_map_generator = config_map;
}

/// `overlays/<env>/kustomization.yaml` for every environment that has service overlays.
pub(super) fn environment_overlays<'p>(
    program: &'p Program,
    layout: &Layout,
    pairs: &[(ServiceId, EnvId)],
) -> Vec<OutputFile<'p>> {
    let mut by_env: BTreeMap<EnvId, Vec<Cow<'p, str>>> = BTreeMap::new();
    for &(svc, env) in pairs {
        by_env
            .entry(env)
            .or_default()
            .push(Cow::Borrowed(&program.services[svc].name));
    }
    by_env
        .into_iter()
        .map(|(env, services)| {
            let path = layout.env_file(&program.environments[env].name, KUSTOMIZATION);
            OutputFile::new(Repo::Gitops, path).doc(Kustomization::new(services))
        })
        .collect()
}

/// The base an overlay in `dir` builds on, relative to `dir`.
fn base_path(layout: &Layout, dir: &str, svc: &ir::Service) -> String {
    match &svc.manifests {
        Manifests::Existing { path } => relative(dir, &[path]),
        Manifests::Generated | Manifests::Helm { .. } => {
            relative(dir, &layout.base_parts(&svc.name))
        }
    }
}

/// The environment's labels, on every object and pod template but never on selectors
/// (selectors are immutable, and the base's selector already tells services apart).
fn env_labels(env: &ir::Environment) -> Option<Labels<'_>> {
    (!env.labels.is_empty()).then_some(Labels {
        pairs: LabelPairs::Declared(&env.labels),
        include_selectors: false,
        include_templates: Some(true),
    })
}

/// The ConfigMap holding the service's variables in `env`: generated when the environment
/// overrides variables, or when the base is not generated (then the variables have no other
/// place). It holds every variable: the service's, overridden by the environment's.
fn env_config_map(program: &Program, svc: ServiceId, env: EnvId) -> Option<ConfigMapArgs> {
    let s = &program.services[svc];
    let overrides = s.overrides.get(&env).map(|o| &o.env);
    let has_overrides = overrides.is_some_and(|o| !o.is_empty());
    let generated = s.manifests == Manifests::Generated;
    if !has_overrides && (generated || s.env.is_empty()) {
        return None;
    }
    let mut vars = s.env.clone();
    for (k, v) in overrides.into_iter().flatten() {
        vars.insert(k.clone(), v.clone());
    }
    Some(ConfigMapArgs {
        name: format!("{}-env", s.name),
        literals: vars
            .iter()
            .map(|(k, v)| format!("{k}={}", literal_value(v)))
            .collect(),
    })
}

/// A value as a Kustomize literal: Kustomize strips one pair of matching outer quotes from a
/// literal's value, so a value that is itself quoted gets one more pair.
fn literal_value(v: &str) -> String {
    let b = v.as_bytes();
    let quoted = b.len() >= 2 && b[0] == b[b.len() - 1] && (b[0] == b'"' || b[0] == b'\'');
    if quoted {
        format!("\"{v}\"")
    } else {
        v.to_string()
    }
}

/// RFC 6902 operations on the first container: resources, then variables.
fn container_ops<'p>(
    program: &'p Program,
    svc: ServiceId,
    env: EnvId,
    config_map: Option<&str>,
) -> Vec<PatchOp<'p>> {
    let s = &program.services[svc];
    let mut ops = Vec::new();
    if let Some(r) = resources_patch(program, svc, env) {
        ops.push(PatchOp {
            op: "add",
            path: CONTAINER_RESOURCES,
            value: Some(PatchValue::Resources(r)),
        });
    }
    if let Some(name) = config_map {
        if s.manifests == Manifests::Generated && !s.env.is_empty() {
            ops.push(PatchOp {
                op: "remove",
                path: CONTAINER_ENV,
                value: None,
            });
        }
        let from = EnvFromSource {
            config_map_ref: LocalObjectReference {
                name: name.to_string(),
            },
        };
        ops.push(PatchOp {
            op: "add",
            path: CONTAINER_ENV_FROM,
            value: Some(PatchValue::EnvFrom(vec![from])),
        });
    }
    ops
}

/// The container resources in `env` when the overlay must set them: they differ from the
/// generated base, or the base is not generated and the program declares some.
fn resources_patch(
    program: &Program,
    svc: ServiceId,
    env: EnvId,
) -> Option<ResourceRequirements<'_>> {
    let s = &program.services[svc];
    let wanted = effective_resources(program, svc, env)?;
    let base = s.resources.as_ref().and_then(ResourceRequirements::from_ir);
    let differs = s.manifests != Manifests::Generated || base.as_ref() != Some(&wanted);
    differs.then_some(wanted)
}

/// Resources of `svc` in `env`, field by field: the service's override for the environment,
/// else the environment's, else the service's own; `None` when no layer sets any.
pub fn effective_resources(
    program: &Program,
    svc: ServiceId,
    env: EnvId,
) -> Option<ResourceRequirements<'_>> {
    let s = &program.services[svc];
    let layers = [
        s.overrides.get(&env).and_then(|o| o.resources.as_ref()),
        program.environments[env].resources.as_ref(),
        s.resources.as_ref(),
    ];
    let pick = |field: fn(&ir::Resources) -> &Option<String>| {
        layers
            .into_iter()
            .flatten()
            .find_map(|r| field(r).as_deref())
    };
    ResourceRequirements::new(
        pick(|r| &r.cpu_request),
        pick(|r| &r.memory_request),
        pick(|r| &r.cpu_limit),
        pick(|r| &r.memory_limit),
    )
}

#[cfg(test)]
mod tests {
    use super::literal_value;

    #[test]
    fn quoted_values_survive_kustomize_unquoting() {
        assert_eq!(literal_value("info"), "info");
        assert_eq!(literal_value("\"x\""), "\"\"x\"\"");
        assert_eq!(literal_value("'x'"), "\"'x'\"");
        assert_eq!(literal_value("\""), "\"");
        assert_eq!(literal_value("'a\""), "'a\"");
    }
}
