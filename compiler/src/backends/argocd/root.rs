//! The app-of-apps root: an Application that syncs a deployment's whole Argo CD folder, and the
//! narrow AppProject it runs in.
//!
//! Invariants: the root lives in `root.yaml` at the top of the folder it syncs and excludes
//! exactly that file, so it never manages itself; its project may only read the GitOps
//! repository and only create Argo CD objects in the Argo CD namespace of the cluster Argo CD
//! runs in; it has no resources finalizer, so deleting it never deletes the environments.

use std::borrow::Cow;

use super::common::{self, IN_CLUSTER, RESOURCES_FINALIZERS, ROOT_FILE};
use super::model::{
    AppProject, AppProjectSpec, Application, ApplicationSpec, Automated, Destination, Directory,
    GroupKind, Metadata, Resource, Source, SyncOptions, SyncPolicy,
};
use super::Cx;
use crate::emit::yaml::Shared;
use crate::emit::{OutputFile, Repo};

/// `root.yaml`: the root's AppProject, then the root Application.
pub fn root<'a>(cx: &Cx<'a>) -> OutputFile<'a> {
    OutputFile::new(Repo::Gitops, common::join(&[&cx.dir, ROOT_FILE]))
        .doc(project(cx))
        .doc(application(cx))
}

/// The metadata the root Application and its AppProject share (both are named `P-apps`).
fn metadata<'a>(cx: &Cx<'a>, finalizers: &'static [&'static str]) -> Metadata<'a> {
    Metadata {
        name: Cow::Owned(common::root_name(cx.d)),
        namespace: Some(&cx.p.project.argocd_namespace),
        labels: common::labels(cx.p, None),
        annotations: Default::default(),
        finalizers,
    }
}

/// The Argo CD namespace of the cluster Argo CD runs in.
fn argocd_destination<'a>(cx: &Cx<'a>) -> Destination<'a> {
    Destination {
        server: Cow::Borrowed(IN_CLUSTER),
        namespace: Cow::Borrowed(&cx.p.project.argocd_namespace),
    }
}

/// The root's AppProject: the GitOps repository in, Argo CD objects in the Argo CD namespace out.
fn project<'a>(cx: &Cx<'a>) -> AppProject<'a> {
    let argo = |kind| GroupKind {
        group: "argoproj.io",
        kind,
        name: None,
    };
    let spec = AppProjectSpec {
        description: format!("Argo CD objects of {}", cx.d.project),
        source_repos: vec![&cx.p.project.gitops_repo],
        destinations: vec![argocd_destination(cx)],
        cluster_resource_whitelist: Vec::new(),
        namespace_resource_whitelist: vec![
            argo("AppProject"),
            argo("Application"),
            argo("ApplicationSet"),
        ],
        roles: Vec::new(),
        sync_windows: Vec::new(),
    };
    Resource::new("AppProject", metadata(cx, RESOURCES_FINALIZERS), spec)
}

/// The root Application: the deployment's folder, recursively, except `root.yaml`.
fn application<'a>(cx: &Cx<'a>) -> Application<'a> {
    let spec = ApplicationSpec {
        project: Cow::Owned(common::root_name(cx.d)),
        source: Source {
            repo_url: Cow::Borrowed(&cx.p.project.gitops_repo),
            target_revision: Cow::Borrowed(&cx.p.project.default_branch),
            path: Cow::Owned(cx.dir.clone()),
            helm: None,
            directory: Some(Directory {
                recurse: true,
                exclude: Some(ROOT_FILE),
            }),
        },
        destination: Shared {
            key: None,
            value: argocd_destination(cx),
        },
        sync_policy: Some(Shared {
            key: None,
            value: SyncPolicy {
                automated: Some(Automated {
                    prune: true,
                    self_heal: true,
                }),
                sync_options: SyncOptions::default(),
                retry: None,
            },
        }),
        ignore_differences: Vec::new(),
        info: None,
    };
    Resource::new("Application", metadata(cx, &[]), spec)
}
