//! Applications: one per service and environment, or one per environment, and the spec parts
//! (source, destination, sync policy) that ApplicationSet templates share.
//!
//! Invariant: an application of environment `E` reads `E`'s branch of the GitOps repository,
//! deploys to `E`'s cluster and namespace, belongs to `E`'s AppProject, and is automated
//! exactly when `E` syncs automatically, with `E`'s prune and self-heal flags.

use super::common::{self, RESOURCES_FINALIZER};
use super::model::{
    Application, ApplicationSpec, Automated, Backoff, Destination, Helm, IgnoreDifference, Info,
    Metadata, Resource, Retry, Source, SyncPolicy,
};
use super::Cx;
use crate::emit::OutputFile;
use crate::ir::{EnvId, Environment, Service};

/// One Application per service of the deployment in `env`.
pub fn per_service<'o>(cx: &Cx, id: EnvId, env: &Environment, out: &mut dyn FnMut(OutputFile<'o>)) {
    for (_, s) in cx.services() {
        out(service_app(cx, id, env, s));
    }
}

/// The aggregate Application of `env` (when some service uses Kustomize), plus one
/// Application per Helm service, which a Kustomize overlay cannot hold.
pub fn per_env(cx: &Cx, id: EnvId, env: &Environment) -> Vec<OutputFile<'static>> {
    let mut files = Vec::new();
    if !cx.kustomize_services().is_empty() {
        let name = common::env_app_name(cx.d, &env.name);
        let source = git_source(cx, env, common::env_overlay_path(cx.p, &env.name));
        let app = application(cx, id, env, &name, None, source);
        files.push(cx.file(&["apps", &env.name, &format!("{name}.yaml")], app));
    }
    for s in cx.helm_services() {
        files.push(service_app(cx, id, env, s));
    }
    files
}

/// The Application of service `s` in `env`, in its own file.
fn service_app(cx: &Cx, id: EnvId, env: &Environment, s: &Service) -> OutputFile<'static> {
    let name = common::app_name(&s.name, &env.name);
    let app = application(
        cx,
        id,
        env,
        &name,
        Some(&s.name),
        service_source(cx, env, s),
    );
    cx.file(&["apps", &env.name, &format!("{name}.yaml")], app)
}

/// An Application of `env` named `name` reading `source`.
fn application(
    cx: &Cx,
    id: EnvId,
    env: &Environment,
    name: &str,
    service: Option<&str>,
    source: Source,
) -> Application {
    let metadata = Metadata {
        name: name.to_string(),
        namespace: Some(cx.p.project.argocd_namespace.clone()),
        labels: common::labels(cx.p, service),
        annotations: common::wave_annotation(cx.wave(id)),
        finalizers: vec![RESOURCES_FINALIZER.to_string()],
    };
    Resource::new("Application", metadata, spec(cx, env, source))
}

/// Where service `s` comes from in `env`: its overlay, or its chart with the environment's
/// value file.
pub fn service_source(cx: &Cx, env: &Environment, s: &Service) -> Source {
    match common::helm_source(s, &env.name) {
        Some((chart, values)) => Source {
            helm: Some(Helm {
                release_name: s.name.clone(),
                value_files: vec![values],
            }),
            ..git_source(cx, env, chart)
        },
        None => git_source(cx, env, common::overlay_path(cx.p, &env.name, &s.name)),
    }
}

/// `path` in the GitOps repository at `env`'s branch.
pub fn git_source(cx: &Cx, env: &Environment, path: String) -> Source {
    Source {
        repo_url: cx.p.project.gitops_repo.clone(),
        target_revision: env.target_revision.clone(),
        path,
        helm: None,
        directory: None,
    }
}

/// The spec of an application of `env` reading `source`.
pub fn spec(cx: &Cx, env: &Environment, source: Source) -> ApplicationSpec {
    ApplicationSpec {
        project: common::project_for(cx.d, &env.name),
        source,
        destination: Destination {
            server: env.cluster.clone(),
            namespace: env.namespace.clone(),
        },
        sync_policy: Some(sync_policy(cx, env)),
        ignore_differences: cx
            .d
            .ignore_differences
            .iter()
            .map(|i| IgnoreDifference {
                group: i.group.clone(),
                kind: i.kind.clone(),
                json_pointers: i.json_pointers.clone(),
            })
            .collect(),
        info: env
            .url
            .iter()
            .map(|url| Info {
                name: "URL".into(),
                value: url.clone(),
            })
            .collect(),
    }
}

/// `env`'s sync policy: automated only when the environment syncs by itself.
fn sync_policy(cx: &Cx, env: &Environment) -> SyncPolicy {
    SyncPolicy {
        automated: env.sync.automated.map(|a| Automated {
            prune: a.prune,
            self_heal: a.self_heal,
        }),
        sync_options: common::sync_options(env, cx.d),
        retry: env.sync.retry.as_ref().map(|r| Retry {
            limit: r.limit,
            backoff: Backoff {
                duration: common::duration(r.backoff_seconds),
                factor: r.factor,
                max_duration: common::duration(r.max_backoff_seconds),
            },
        }),
    }
}
