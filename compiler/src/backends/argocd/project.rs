//! AppProjects: what a deployment's applications may read, where they may deploy, who may
//! act on them and when they may sync.
//!
//! Invariant: `sourceRepos` is the GitOps repository plus the declared `source_repos` (a `*`
//! reaches this point only when the program opted in), `destinations` is one entry per
//! environment unless the program opted in to any destination, the only cluster-scoped kind
//! allowed is `Namespace`, by name, for environments whose applications create it, and role
//! policies always name the project they are written into.

use std::borrow::Cow;

use super::common::{self, RESOURCES_FINALIZERS};
use super::model::{
    AppProject, AppProjectSpec, Destination, GroupKind, Metadata, Resource, Role, SyncWindow,
};
use super::Cx;
use crate::emit::{OutputFile, Repo};
use crate::ir::{EnvId, Environment, ProjectRole};

/// The deployment's AppProject files: one, or one per environment.
pub fn projects<'a>(cx: &Cx<'a>) -> Vec<OutputFile<'a>> {
    let envs = cx.envs();
    if cx.d.project_per_env {
        envs.iter()
            .map(|&(id, env)| {
                let name = common::project_for(cx.d, &env.name);
                let path = cx.path(&["projects"], &name);
                OutputFile::new(Repo::Gitops, path).doc(project(cx, name, &[(id, env)]))
            })
            .collect()
    } else {
        let name = Cow::Borrowed(cx.d.project.as_str());
        let path = cx.path(&["projects"], &name);
        vec![OutputFile::new(Repo::Gitops, path).doc(project(cx, name, &envs))]
    }
}

/// One AppProject covering `envs`.
fn project<'a>(
    cx: &Cx<'a>,
    name: Cow<'a, str>,
    envs: &[(EnvId, &'a Environment)],
) -> AppProject<'a> {
    let spec = AppProjectSpec {
        description: description(cx, envs),
        source_repos: source_repos(cx),
        destinations: destinations(cx, envs),
        cluster_resource_whitelist: namespaces(cx, envs),
        namespace_resource_whitelist: Vec::new(),
        roles: cx
            .d
            .roles
            .iter()
            .map(|r| role(r, &cx.d.project, &name))
            .collect(),
        sync_windows: envs.iter().flat_map(|(_, env)| windows(cx, env)).collect(),
    };
    let metadata = Metadata {
        name,
        namespace: Some(&cx.p.project.argocd_namespace),
        labels: common::labels(cx.p, None),
        annotations: common::wave_annotation(cx.project_wave()),
        finalizers: RESOURCES_FINALIZERS,
    };
    Resource::new("AppProject", metadata, spec)
}

/// The project description, such as `shop delivered by Argo CD: api, web in dev, prod`.
fn description(cx: &Cx, envs: &[(EnvId, &Environment)]) -> String {
    let services: Vec<&str> = cx.services().iter().map(|(_, s)| s.name.as_str()).collect();
    let envs: Vec<&str> = envs.iter().map(|(_, e)| e.name.as_str()).collect();
    format!(
        "{} delivered by Argo CD: {} in {}",
        cx.d.project,
        or_none(&services),
        or_none(&envs)
    )
}

/// The names joined by commas, or `none`.
fn or_none(names: &[&str]) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// The GitOps repository, then the declared extra repositories.
fn source_repos<'a>(cx: &Cx<'a>) -> Vec<&'a str> {
    let mut repos = vec![cx.p.project.gitops_repo.as_str()];
    repos.extend(cx.d.source_repos.iter().map(String::as_str));
    common::dedup(repos)
}

/// One destination per environment, or every server and namespace when the program opted in.
fn destinations<'a>(cx: &Cx<'a>, envs: &[(EnvId, &'a Environment)]) -> Vec<Destination<'a>> {
    if cx.d.allow_any_destination {
        return vec![Destination {
            server: Cow::Borrowed("*"),
            namespace: Cow::Borrowed("*"),
        }];
    }
    common::dedup(
        envs.iter()
            .map(|(_, e)| Destination {
                server: Cow::Borrowed(&e.cluster),
                namespace: Cow::Borrowed(&e.namespace),
            })
            .collect(),
    )
}

/// The `Namespace` objects the project's applications create (`CreateNamespace=true` needs
/// them whitelisted), each by name.
fn namespaces<'a>(cx: &Cx<'a>, envs: &[(EnvId, &'a Environment)]) -> Vec<GroupKind<'a>> {
    common::dedup(
        envs.iter()
            .filter(|(_, e)| common::creates_namespace(e, cx.d))
            .map(|(_, e)| GroupKind {
                group: "",
                kind: "Namespace",
                name: Some(&e.namespace),
            })
            .collect(),
    )
}

/// A role, with its policies moved to project `name` when the program wrote them for the
/// deployment's project `base` (per-environment projects).
fn role<'a>(r: &'a ProjectRole, base: &str, name: &str) -> Role<'a> {
    Role {
        name: &r.name,
        description: &r.description,
        policies: r
            .policies
            .iter()
            .map(|p| retarget_policy(p, base, name))
            .collect(),
        groups: &r.groups,
    }
}

/// Rewrites `p, proj:<base>:<role>, applications, <action>, <base>/<app>, <effect>` to name
/// project `name`; Argo CD rejects a policy whose subject or object names another project.
/// A policy of any other shape is kept as written.
fn retarget_policy<'a>(policy: &'a str, base: &str, name: &str) -> Cow<'a, str> {
    let parts: Vec<&str> = policy.split(',').map(str::trim).collect();
    if base == name || parts.len() != 6 {
        return Cow::Borrowed(policy);
    }
    let subject = match parts[1].strip_prefix(&format!("proj:{base}:")) {
        Some(role) => format!("proj:{name}:{role}"),
        None => parts[1].to_string(),
    };
    let object = match parts[4].strip_prefix(&format!("{base}/")) {
        Some(app) => format!("{name}/{app}"),
        None => parts[4].to_string(),
    };
    Cow::Owned([parts[0], &subject, parts[2], parts[3], &object, parts[5]].join(", "))
}

/// The sync windows of one environment, selecting exactly that environment's applications:
/// by name when the names are known, else by destination namespace and cluster together.
fn windows<'a>(cx: &Cx<'a>, env: &'a Environment) -> Vec<SyncWindow<'a>> {
    if env.sync_windows.is_empty() {
        // The names of every application of the environment are not worth building for none.
        return Vec::new();
    }
    let names = cx.app_names(env);
    env.sync_windows
        .iter()
        .map(|w| {
            let by_destination = names.is_none();
            SyncWindow {
                kind: if w.allow { "allow" } else { "deny" },
                schedule: &w.schedule,
                duration: common::duration(w.duration_seconds),
                applications: names.clone().unwrap_or_default(),
                namespaces: by_destination.then_some(env.namespace.as_str()),
                clusters: by_destination.then_some(env.cluster.as_str()),
                and_operator: by_destination,
                manual_sync: w.manual_sync,
                time_zone: w.time_zone.as_deref(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::retarget_policy;

    #[test]
    fn policies_follow_per_environment_projects() {
        let p = "p, proj:shop:ci, applications, sync, shop/*, allow";
        assert_eq!(
            retarget_policy(p, "shop", "shop-prod"),
            "p, proj:shop-prod:ci, applications, sync, shop-prod/*, allow"
        );
        assert_eq!(retarget_policy(p, "shop", "shop"), p);
        assert_eq!(retarget_policy("odd", "shop", "shop-dev"), "odd");
    }
}
