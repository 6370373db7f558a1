//! Small pure helpers shared by the Argo CD builders: names, file paths, sync waves, durations,
//! labels, sync options and Go-template escaping.
//!
//! Invariant: every function is total over any IR semantic analysis can produce (indices are
//! checked, cycles cannot loop forever), and equal inputs give equal outputs.

use std::borrow::Cow;

use super::model::{Annotations, Labels, SyncOptions};
use crate::ir::{Deployment, EnvId, Environment, Manifests, Program, Service, ServiceId};

/// The finalizer that makes deleting an Application delete its resources, and that keeps an
/// AppProject from being deleted while Applications still use it.
pub const RESOURCES_FINALIZER: &str = "resources-finalizer.argocd.argoproj.io";
/// The `finalizers` of a child Application and of an AppProject.
pub const RESOURCES_FINALIZERS: &[&str] = &[RESOURCES_FINALIZER];
/// The annotation Argo CD orders a parent application's sync by.
pub const SYNC_WAVE: &str = "argocd.argoproj.io/sync-wave";
/// The API server of the cluster Argo CD itself runs in.
pub const IN_CLUSTER: &str = "https://kubernetes.default.svc";
/// The file, relative to a deployment's folder, that holds the app-of-apps root.
pub const ROOT_FILE: &str = "root.yaml";

/// The `/`-separated segments of `parts` a path keeps: neither empty nor `.`.
fn segments<'s>(parts: impl Iterator<Item = &'s str>) -> impl Iterator<Item = &'s str> {
    parts
        .flat_map(|p| p.split('/'))
        .filter(|p| !p.is_empty() && *p != ".")
}

/// Appends `segment` to the path `out`, with a `/` unless it is the first.
fn push_segment(out: &mut String, segment: &str) {
    if !out.is_empty() {
        out.push('/');
    }
    out.push_str(segment);
}

/// Joins `/`-separated path parts, skipping empty parts and `.`.
///
/// One allocation: the joined path is never longer than the parts and one `/` between each.
pub fn join(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    segments(parts.iter().copied()).for_each(|s| push_segment(&mut out, s));
    out
}

/// The path of the YAML file named `stem` (plus `.yaml`) in the folder `parts` (joined as
/// [`join`] does): the same path as joining `parts` and `"{stem}.yaml"`, built in one
/// allocation. The last segment of `stem` is always kept, since with `.yaml` appended it is
/// neither empty nor `.`.
pub fn yaml_file<'s>(parts: impl Iterator<Item = &'s str> + Clone, stem: &'s str) -> String {
    const EXT: &str = ".yaml";
    let (folder, last) = stem.rsplit_once('/').unwrap_or(("", stem));
    let len: usize = parts.clone().map(|p| p.len() + 1).sum();
    let mut out = String::with_capacity(len + stem.len() + 1 + EXT.len());
    segments(parts.chain([folder])).for_each(|s| push_segment(&mut out, s));
    push_segment(&mut out, last);
    out.push_str(EXT);
    out
}

/// The name of the Application of one service in one environment.
pub fn app_name(service: &str, env: &str) -> String {
    [service, "-", env].concat()
}

/// The aggregate Application (or ApplicationSet) name of one deployment in one environment.
pub fn env_app_name(d: &Deployment, env: &str) -> String {
    [&d.project, "-", env].concat()
}

/// The AppProject the deployment's applications in `env` belong to.
pub fn project_for<'a>(d: &'a Deployment, env: &str) -> Cow<'a, str> {
    if d.project_per_env {
        Cow::Owned(env_app_name(d, env))
    } else {
        Cow::Borrowed(&d.project)
    }
}

/// The name of the app-of-apps root Application and of its own AppProject.
pub fn root_name(d: &Deployment) -> String {
    [&d.project, "-apps"].concat()
}

/// The Kustomize overlay of `service` in `env`.
pub fn overlay_path(p: &Program, env: &str, service: &str) -> String {
    join(&[&p.routing.kustomize, "overlays", env, service])
}

/// The aggregate Kustomize overlay of `env` (every service of the environment).
pub fn env_overlay_path(p: &Program, env: &str) -> String {
    join(&[&p.routing.kustomize, "overlays", env])
}

/// A Helm service's chart folder and its value file for `env` (`{env}` replaced).
pub fn helm_source<'a>(s: &'a Service, env: &str) -> Option<(&'a str, String)> {
    match &s.manifests {
        Manifests::Helm { chart, values } => Some((chart, values.replace("{env}", env))),
        Manifests::Generated | Manifests::Existing { .. } => None,
    }
}

/// Whether service `s` is deployed from a Helm chart rather than a Kustomize overlay.
pub fn is_helm(s: &Service) -> bool {
    matches!(s.manifests, Manifests::Helm { .. })
}

/// The deployment's environments that exist in the program, each once, in the deployment's
/// order.
pub fn envs<'a>(p: &'a Program, d: &Deployment) -> Vec<(EnvId, &'a Environment)> {
    dedup(d.environments.clone())
        .into_iter()
        .filter_map(|e| p.environments.get(e).map(|env| (e, env)))
        .collect()
}

/// The deployment's services that exist in the program, each once, in the deployment's order.
pub fn services<'a>(p: &'a Program, d: &Deployment) -> Vec<(ServiceId, &'a Service)> {
    dedup(d.services.clone())
        .into_iter()
        .filter_map(|s| p.services.get(s).map(|svc| (s, svc)))
        .collect()
}

/// The sync wave of every environment of the program, indexed by [`EnvId`]: the declared
/// `wave`, else the environment's depth in the promotion graph (the length of the longest
/// promotion chain that leads to it), so `dev -> staging -> prod` gives 0, 1, 2.
pub fn waves(p: &Program) -> Vec<i32> {
    let n = p.environments.len();
    let mut depth = vec![0i32; n];
    // Relaxing every edge n times reaches the longest path of an acyclic graph, and ends
    // even if the graph had a cycle.
    for _ in 0..n {
        let mut changed = false;
        for (to, env) in p.environments.iter().enumerate() {
            for &from in &env.promote_from {
                let Some(&d) = depth.get(from) else { continue };
                if d.saturating_add(1) > depth[to] {
                    depth[to] = d.saturating_add(1);
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    p.environments
        .iter()
        .zip(depth)
        .map(|(env, d)| env.wave.unwrap_or(d))
        .collect()
}

/// A whole number of seconds as a Go duration: the largest unit that divides it exactly
/// (`28800` is `8h`, `5400` is `90m`, `45` is `45s`).
pub fn duration(seconds: u64) -> String {
    if seconds > 0 && seconds % 3600 == 0 {
        format!("{}h", seconds / 3600)
    } else if seconds > 0 && seconds % 60 == 0 {
        format!("{}m", seconds / 60)
    } else {
        format!("{seconds}s")
    }
}

/// Whether `s` is a valid Kubernetes label value.
pub fn label_value_ok(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        && b.first().is_none_or(u8::is_ascii_alphanumeric)
        && b.last().is_none_or(u8::is_ascii_alphanumeric)
}

/// The labels of a generated Argo CD object; `name` is the service, when there is one.
/// Values that are not valid label values are left out rather than written wrong.
pub fn labels<'a>(p: &'a Program, name: Option<&'a str>) -> Labels<'a> {
    let valid = |v: &'a str| Some(v).filter(|v| !v.is_empty() && label_value_ok(v));
    Labels {
        name: name.and_then(valid),
        part_of: valid(&p.project.name),
    }
}

/// The sync-wave annotation.
pub fn wave_annotation(wave: i32) -> Annotations {
    Annotations {
        sync_wave: Some(wave),
    }
}

/// The sync options of the applications in `env`: the declared ones, then two defaults the
/// program can override by naming the option itself. `CreateNamespace=true`, because nothing
/// else creates the environment's namespace; `RespectIgnoreDifferences=true` when the
/// deployment ignores differences or the Argo Rollouts controller owns fields in the
/// environment (`controller_owns`), so a sync leaves the ignored fields alone as well.
pub fn sync_options<'a>(
    env: &'a Environment,
    d: &Deployment,
    controller_owns: bool,
) -> SyncOptions<'a> {
    let declared = &env.sync.options;
    let named = |key: &str| declared.iter().any(|o| o.split('=').next() == Some(key));
    SyncOptions {
        declared: Cow::Borrowed(declared),
        create_namespace: !named("CreateNamespace"),
        respect_ignore_differences: (controller_owns || !d.ignore_differences.is_empty())
            && !named("RespectIgnoreDifferences"),
    }
}

/// Whether applications in `env` create their namespace.
pub fn creates_namespace(env: &Environment, d: &Deployment) -> bool {
    let options = sync_options(env, d, false);
    let spaceless = |o: &String| {
        o.chars()
            .filter(|&c| c != ' ')
            .eq("CreateNamespace=true".chars())
    };
    options.create_namespace || options.declared.iter().any(spaceless)
}

/// Text that a Go template (an ApplicationSet with `goTemplate: true`) prints unchanged.
pub fn go_literal(s: &str) -> String {
    s.replace("{{", "{{`{{`}}")
}

/// [`go_literal`] in place, allocating only when `s` holds `{{`.
pub fn escape(s: &mut Cow<'_, str>) {
    if s.contains("{{") {
        *s = Cow::Owned(go_literal(s));
    }
}

/// Removes repeated entries, keeping the first of each (linear: a deployment may list
/// thousands of services).
pub fn dedup<T: Eq + std::hash::Hash + Clone>(items: Vec<T>) -> Vec<T> {
    let mut seen = std::collections::HashSet::with_capacity_and_hasher(
        items.len(),
        crate::fxhash::FxBuild::default(),
    );
    items
        .into_iter()
        .filter(|item| seen.insert(item.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_use_the_largest_exact_unit() {
        assert_eq!(duration(28800), "8h");
        assert_eq!(duration(5400), "90m");
        assert_eq!(duration(45), "45s");
        assert_eq!(duration(0), "0s");
    }

    #[test]
    fn joins_skip_empty_and_dot_parts() {
        assert_eq!(
            join(&["argocd/", "shop", "root.yaml"]),
            "argocd/shop/root.yaml"
        );
        assert_eq!(join(&[".", "k8s", "", "overlays"]), "k8s/overlays");
    }

    #[test]
    fn yaml_files_join_like_paths() {
        let cases: [(&[&str], &str); 5] = [
            (&["argocd/", "shop", "apps", "dev"], "api-dev"),
            (&[".", "a//b", ""], "x/./y"),
            (&[], "root"),
            (&["a"], "b/"),
            (&["a"], "./."),
        ];
        for (parts, stem) in cases {
            let file = format!("{stem}.yaml");
            let mut all = parts.to_vec();
            all.push(&file);
            assert_eq!(yaml_file(parts.iter().copied(), stem), join(&all));
        }
    }

    #[test]
    fn go_literals_survive_templating() {
        assert_eq!(go_literal("a{{b"), "a{{`{{`}}b");
        assert_eq!(go_literal("plain"), "plain");
    }

    #[test]
    fn label_values() {
        assert!(label_value_ok("shop"));
        assert!(label_value_ok(""));
        assert!(!label_value_ok("-shop"));
        assert!(!label_value_ok(&"a".repeat(64)));
    }
}
