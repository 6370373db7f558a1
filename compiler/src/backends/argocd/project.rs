//! AppProjects: what a deployment's applications may read, where they may deploy, who may
//! act on them and when they may sync.
//!
//! Invariant: `sourceRepos` is the GitOps repository plus the declared `source_repos` (a `*`
//! reaches this point only when the program opted in), `destinations` is one entry per
//! environment unless the program opted in to any destination, the only cluster-scoped kind
//! allowed is `Namespace`, by name, for environments whose applications create it, and role
//! policies always name the project they are written into.

use super::common::{self, RESOURCES_FINALIZER};
use super::model::{
    AppProject, AppProjectSpec, Destination, GroupKind, Metadata, Resource, Role, SyncWindow,
};
use super::Cx;
use crate::emit::OutputFile;
use crate::ir::{EnvId, Environment, ProjectRole};

/// The deployment's AppProject files: one, or one per environment.
pub fn projects(cx: &Cx) -> Vec<OutputFile<'static>> {
    let envs = cx.envs();
    if cx.d.project_per_env {
        envs.iter()
            .map(|&(id, env)| {
                let name = common::project_for(cx.d, &env.name);
                let doc = project(cx, &name, &[(id, env)]);
                cx.file(&["projects", &format!("{name}.yaml")], doc)
            })
            .collect()
    } else {
        let name = cx.d.project.clone();
        let doc = project(cx, &name, &envs);
        vec![cx.file(&["projects", &format!("{name}.yaml")], doc)]
    }
}

/// One AppProject covering `envs`.
fn project(cx: &Cx, name: &str, envs: &[(EnvId, &Environment)]) -> AppProject {
    let metadata = Metadata {
        name: name.to_string(),
        namespace: Some(cx.p.project.argocd_namespace.clone()),
        labels: common::labels(cx.p, None),
        annotations: common::wave_annotation(cx.project_wave()),
        finalizers: vec![RESOURCES_FINALIZER.to_string()],
    };
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
            .map(|r| role(r, &cx.d.project, name))
            .collect(),
        sync_windows: envs.iter().flat_map(|(_, env)| windows(cx, env)).collect(),
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
fn source_repos(cx: &Cx) -> Vec<String> {
    let mut repos = vec![cx.p.project.gitops_repo.clone()];
    repos.extend(cx.d.source_repos.iter().cloned());
    common::dedup(repos)
}

/// One destination per environment, or every server and namespace when the program opted in.
fn destinations(cx: &Cx, envs: &[(EnvId, &Environment)]) -> Vec<Destination> {
    if cx.d.allow_any_destination {
        return vec![Destination {
            server: "*".into(),
            namespace: "*".into(),
        }];
    }
    common::dedup(
        envs.iter()
            .map(|(_, e)| Destination {
                server: e.cluster.clone(),
                namespace: e.namespace.clone(),
            })
            .collect(),
    )
}

/// The `Namespace` objects the project's applications create (`CreateNamespace=true` needs
/// them whitelisted), each by name.
fn namespaces(cx: &Cx, envs: &[(EnvId, &Environment)]) -> Vec<GroupKind> {
    common::dedup(
        envs.iter()
            .filter(|(_, e)| common::creates_namespace(e, cx.d))
            .map(|(_, e)| GroupKind {
                group: String::new(),
                kind: "Namespace".into(),
                name: Some(e.namespace.clone()),
            })
            .collect(),
    )
}

/// A role, with its policies moved to project `name` when the program wrote them for the
/// deployment's project `base` (per-environment projects).
fn role(r: &ProjectRole, base: &str, name: &str) -> Role {
    Role {
        name: r.name.clone(),
        description: r.description.clone(),
        policies: r
            .policies
            .iter()
            .map(|p| retarget_policy(p, base, name))
            .collect(),
        groups: r.groups.clone(),
    }
}

/// Rewrites `p, proj:<base>:<role>, applications, <action>, <base>/<app>, <effect>` to name
/// project `name`; Argo CD rejects a policy whose subject or object names another project.
/// A policy of any other shape is kept as written.
fn retarget_policy(policy: &str, base: &str, name: &str) -> String {
    let parts: Vec<&str> = policy.split(',').map(str::trim).collect();
    if base == name || parts.len() != 6 {
        return policy.to_string();
    }
    let subject = match parts[1].strip_prefix(&format!("proj:{base}:")) {
        Some(role) => format!("proj:{name}:{role}"),
        None => parts[1].to_string(),
    };
    let object = match parts[4].strip_prefix(&format!("{base}/")) {
        Some(app) => format!("{name}/{app}"),
        None => parts[4].to_string(),
    };
    [parts[0], &subject, parts[2], parts[3], &object, parts[5]].join(", ")
}

/// The sync windows of one environment, selecting exactly that environment's applications:
/// by name when the names are known, else by destination namespace and cluster together.
fn windows(cx: &Cx, env: &Environment) -> Vec<SyncWindow> {
    let names = cx.app_names(env);
    env.sync_windows
        .iter()
        .map(|w| {
            let by_destination = names.is_none();
            SyncWindow {
                kind: if w.allow { "allow" } else { "deny" },
                schedule: w.schedule.clone(),
                duration: common::duration(w.duration_seconds),
                applications: names.clone().unwrap_or_default(),
                namespaces: when(by_destination, &env.namespace),
                clusters: when(by_destination, &env.cluster),
                and_operator: by_destination,
                manual_sync: w.manual_sync,
                time_zone: w.time_zone.clone(),
            }
        })
        .collect()
}

/// A one-entry list when `cond` holds, else an empty one.
fn when(cond: bool, value: &str) -> Vec<String> {
    if cond {
        vec![value.to_string()]
    } else {
        Vec::new()
    }
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
