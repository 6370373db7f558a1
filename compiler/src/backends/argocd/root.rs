//! The app-of-apps root: an Application that syncs a deployment's whole Argo CD folder, and the
//! narrow AppProject it runs in.
//!
//! Invariants: the root lives in `root.yaml` at the top of the folder it syncs and excludes
//! exactly that file, so it never manages itself; its project may only read the GitOps
//! repository and only create Argo CD objects in the Argo CD namespace of the cluster Argo CD
//! runs in; it has no resources finalizer, so deleting it never deletes the environments.

use super::common::{self, IN_CLUSTER, RESOURCES_FINALIZER, ROOT_FILE};
use super::model::{
    AppProject, AppProjectSpec, Application, ApplicationSpec, Automated, Destination, Directory,
    GroupKind, Metadata, Resource, Source, SyncPolicy,
};
use super::Cx;
use crate::emit::{OutputFile, Repo};

/// `root.yaml`: the root's AppProject, then the root Application.
pub fn root(cx: &Cx) -> OutputFile<'static> {
    OutputFile::new(Repo::Gitops, common::join(&[&cx.dir, ROOT_FILE]))
        .doc(project(cx))
        .doc(application(cx))
}

/// The metadata the root Application and its AppProject share (both are named `P-apps`).
fn metadata(cx: &Cx, finalizers: Vec<String>) -> Metadata {
    Metadata {
        name: common::root_name(cx.d),
        namespace: Some(cx.p.project.argocd_namespace.clone()),
        labels: common::labels(cx.p, None),
        annotations: indexmap::IndexMap::new(),
        finalizers,
    }
}

/// The Argo CD namespace of the cluster Argo CD runs in.
fn argocd_destination(cx: &Cx) -> Destination {
    Destination {
        server: IN_CLUSTER.into(),
        namespace: cx.p.project.argocd_namespace.clone(),
    }
}

/// The root's AppProject: the GitOps repository in, Argo CD objects in the Argo CD namespace out.
fn project(cx: &Cx) -> AppProject {
    let argo = |kind: &str| GroupKind {
        group: "argoproj.io".into(),
        kind: kind.into(),
        name: None,
    };
    let spec = AppProjectSpec {
        description: format!("Argo CD objects of {}", cx.d.project),
        source_repos: vec![cx.p.project.gitops_repo.clone()],
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
    Resource::new(
        "AppProject",
        metadata(cx, vec![RESOURCES_FINALIZER.into()]),
        spec,
    )
}

/// The root Application: the deployment's folder, recursively, except `root.yaml`.
fn application(cx: &Cx) -> Application {
    let spec = ApplicationSpec {
        project: common::root_name(cx.d),
        source: Source {
            repo_url: cx.p.project.gitops_repo.clone(),
            target_revision: cx.p.project.default_branch.clone(),
            path: cx.dir.clone(),
            helm: None,
            directory: Some(Directory {
                recurse: true,
                exclude: Some(ROOT_FILE.into()),
            }),
        },
        destination: argocd_destination(cx),
        sync_policy: Some(SyncPolicy {
            automated: Some(Automated {
                prune: true,
                self_heal: true,
            }),
            sync_options: Vec::new(),
            retry: None,
        }),
        ignore_differences: Vec::new(),
        info: Vec::new(),
    };
    Resource::new("Application", metadata(cx, Vec::new()), spec)
}
