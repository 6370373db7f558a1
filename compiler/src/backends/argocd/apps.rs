//! Applications: one per service and environment, or one per environment, and the spec parts
//! (source, destination, sync policy) that ApplicationSet templates share.
//!
//! Invariant: an application of environment `E` reads `E`'s branch of the GitOps repository,
//! deploys to `E`'s cluster and namespace, belongs to `E`'s AppProject, and is automated
//! exactly when `E` syncs automatically, with `E`'s prune and self-heal flags.

use std::borrow::Cow;

use super::common::{self, RESOURCES_FINALIZERS};
use super::model::{
    Application, ApplicationSpec, Automated, Backoff, Destination, Helm, IgnoreDifference, Info,
    Metadata, Resource, Retry, Source, SyncPolicy,
};
use super::Cx;
use crate::emit::yaml::Shared;
use crate::emit::{OutputFile, Repo};
use crate::ir::{EnvId, Environment, Service, ServiceId};

/// One Application per service of the deployment in `env`.
pub fn per_service<'a>(
    cx: &Cx<'a>,
    id: EnvId,
    env: &'a Environment,
    out: &mut dyn FnMut(OutputFile<'a>),
) {
    for (svc, s) in cx.services() {
        out(service_app(cx, id, env, svc, s));
    }
}

/// The aggregate Application of `env` (when some service uses Kustomize), plus one
/// Application per Helm service, which a Kustomize overlay cannot hold.
pub fn per_env<'a>(cx: &Cx<'a>, id: EnvId, env: &'a Environment) -> Vec<OutputFile<'a>> {
    let mut files = Vec::new();
    if !cx.kustomize_services().is_empty() {
        let name = common::env_app_name(cx.d, &env.name);
        let source = git_source(cx, env, common::env_overlay_path(cx.p, &env.name).into());
        let path = cx.path(&["apps", &env.name], &name);
        let mut app = application(cx, id, env, name, None, source);
        for (svc, s) in cx.services() {
            if !common::is_helm(s) {
                controller_owned(cx, svc, id, Named::Yes, &mut app.spec.ignore_differences);
            }
        }
        files.push(OutputFile::new(Repo::Gitops, path).doc(app));
    }
    for (svc, s) in cx.services() {
        if common::is_helm(s) {
            files.push(service_app(cx, id, env, svc, s));
        }
    }
    files
}

/// Whether an ignored difference names the object it is about.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Named {
    Yes,
    /// Every object of the kind: for an ApplicationSet's template, whose Applications each
    /// hold one service's objects. An entry already there is not added again.
    No,
}

/// Adds to `out` the fields of service `svc`'s objects in `env` that the Argo Rollouts
/// controller changes while a rollout runs ([`crate::backends::rollouts::controller_owned`]):
/// Argo CD ignores them, and, with `RespectIgnoreDifferences=true`, a sync leaves them alone,
/// so self-healing never undoes a rollout's traffic weights, selectors or scale.
pub fn controller_owned<'a>(
    cx: &Cx<'a>,
    svc: ServiceId,
    env: EnvId,
    named: Named,
    out: &mut Vec<IgnoreDifference<'a>>,
) {
    if !cx.controller_owns(env) {
        return;
    }
    for f in crate::backends::rollouts::controller_owned(cx.p, svc, env) {
        let entry = IgnoreDifference {
            group: Cow::Borrowed(f.group),
            kind: Cow::Borrowed(f.kind),
            name: match named {
                Named::Yes => Cow::Owned(f.name),
                Named::No => Cow::Borrowed(""),
            },
            json_pointers: Cow::Owned(f.json_pointers.iter().map(|p| p.to_string()).collect()),
        };
        let known = |e: &IgnoreDifference| {
            e.group == entry.group
                && e.kind == entry.kind
                && e.name == entry.name
                && e.json_pointers == entry.json_pointers
        };
        if named == Named::Yes || !out.iter().any(known) {
            out.push(entry);
        }
    }
}

/// The Application of service `s` in `env`, in its own file.
fn service_app<'a>(
    cx: &Cx<'a>,
    id: EnvId,
    env: &'a Environment,
    svc: ServiceId,
    s: &'a Service,
) -> OutputFile<'a> {
    let name = common::app_name(&s.name, &env.name);
    // The path is built first: the name then moves into the document.
    let path = cx.path(&["apps", &env.name], &name);
    let mut app = application(cx, id, env, name, Some(&s.name), service_source(cx, env, s));
    controller_owned(cx, svc, id, Named::Yes, &mut app.spec.ignore_differences);
    OutputFile::new(Repo::Gitops, path).doc(app)
}
/// An Application of `env` named `name` reading `source`.
fn application<'a>(
    cx: &Cx<'a>,
    id: EnvId,
    env: &'a Environment,
    name: String,
    service: Option<&'a str>,
    source: Source<'a>,
) -> Application<'a> {
    let metadata = Metadata {
        name: Cow::Owned(name),
        namespace: Some(&cx.p.project.argocd_namespace),
        labels: common::labels(cx.p, service),
        annotations: common::wave_annotation(cx.wave(id)),
        finalizers: RESOURCES_FINALIZERS,
    };
    Resource::new("Application", metadata, spec(cx, id, env, source))
}

/// Where service `s` comes from in `env`: its overlay, or its chart with the environment's
/// value file.
pub fn service_source<'a>(cx: &Cx<'a>, env: &'a Environment, s: &'a Service) -> Source<'a> {
    match common::helm_source(s, &env.name) {
        Some((chart, values)) => Source {
            helm: Some(Helm {
                release_name: &s.name,
                value_files: vec![Cow::Owned(values)],
            }),
            ..git_source(cx, env, Cow::Borrowed(chart))
        },
        None => git_source(
            cx,
            env,
            Cow::Owned(common::overlay_path(cx.p, &env.name, &s.name)),
        ),
    }
}

/// `path` in the GitOps repository at `env`'s branch.
pub fn git_source<'a>(cx: &Cx<'a>, env: &'a Environment, path: Cow<'a, str>) -> Source<'a> {
    Source {
        repo_url: Cow::Borrowed(&cx.p.project.gitops_repo),
        target_revision: Cow::Borrowed(&env.target_revision),
        path,
        helm: None,
        directory: None,
    }
}

/// The spec of an application of `env` reading `source`.
pub fn spec<'a>(
    cx: &Cx<'a>,
    id: EnvId,
    env: &'a Environment,
    source: Source<'a>,
) -> ApplicationSpec<'a> {
    ApplicationSpec {
        project: common::project_for(cx.d, &env.name),
        source,
        // Both are the environment's (and the deployment's) alone: every application of the
        // environment writes them alike.
        destination: Shared {
            key: Some([std::ptr::from_ref(env) as usize, DESTINATION]),
            value: Destination {
                server: Cow::Borrowed(&env.cluster),
                namespace: Cow::Borrowed(&env.namespace),
            },
        },
        sync_policy: Some(Shared {
            key: Some([
                std::ptr::from_ref(env) as usize,
                std::ptr::from_ref(cx.d) as usize,
            ]),
            value: sync_policy(cx, id, env),
        }),
        ignore_differences: cx
            .d
            .ignore_differences
            .iter()
            .map(|i| IgnoreDifference {
                group: Cow::Borrowed(&i.group),
                kind: Cow::Borrowed(&i.kind),
                name: Cow::Borrowed(""),
                json_pointers: Cow::Borrowed(&i.json_pointers),
            })
            .collect(),
        info: env.url.as_deref().map(|url| Info {
            name: "URL",
            value: Cow::Borrowed(url),
        }),
    }
}

/// The second word of the key of an environment's `destination` text: no deployment's address.
const DESTINATION: usize = 0;

/// `env`'s sync policy: automated only when the environment syncs by itself.
fn sync_policy<'a>(cx: &Cx<'a>, id: EnvId, env: &'a Environment) -> SyncPolicy<'a> {
    SyncPolicy {
        automated: env.sync.automated.map(|a| Automated {
            prune: a.prune,
            self_heal: a.self_heal,
        }),
        sync_options: common::sync_options(env, cx.d, cx.controller_owns(id)),
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
