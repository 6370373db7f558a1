//! The Argo CD backend: AppProjects, Applications, ApplicationSets and an app-of-apps root for
//! every deployment of the program, written to the GitOps repository.
//!
//! Invariants: the backend reads only the IR and builds the typed documents of [`model`];
//! every document validates against the strict `argoproj.io/v1alpha1` schemas; an AppProject
//! allows exactly what the program declared (the GitOps repository plus `source_repos`, one
//! destination per environment) and a wildcard only when the program opted in; output order
//! is the program's declaration order.
//!
//! Layout, for a deployment whose AppProject is `P` (`A` is the `argocd` output folder):
//!
//! - `A/P/projects/<project>.yaml`: the AppProject `P`, or `P-<env>` per environment when
//!   `project_per_environment` is set;
//! - `A/P/apps/<env>/<application>.yaml`: one Application per file, the file named after it,
//!   so two Applications with one name can never be written silently;
//! - `A/P/applicationsets/<name>.yaml`: the ApplicationSets of the two ApplicationSet layouts;
//! - `A/P/root.yaml`: with `app_of_apps`, the root Application `P-apps` and its own AppProject
//!   `P-apps`. The root syncs the folder `A/P` recursively and excludes `root.yaml`, the only
//!   file at the top of that folder, so it never manages itself; it is applied once by hand
//!   (`kubectl apply -n <argocd namespace> -f A/P/root.yaml`). Each deployment has its own
//!   folder, so two roots never manage the same objects.
//!
//! Decisions:
//!
//! - Applications are named `<service>-<env>` (per service) or `P-<env>` (per environment) and
//!   live in the Argo CD namespace; Kustomize services read `<kustomize>/overlays/<env>/<service>`,
//!   Helm services read their chart folder with the environment's value file and the service
//!   name as Helm release name, so resources keep the service's name in every environment.
//! - With `per_environment`, the aggregate Application reads `<kustomize>/overlays/<env>`;
//!   Helm services cannot be part of a Kustomize overlay and get their own Application.
//! - ApplicationSets are made per environment, because the sync policy (automated or manual,
//!   self-heal, retry, options) is per environment and a template cannot vary it per element.
//!   Helm services get a second list ApplicationSet (`P-<env>-helm`), since a template cannot
//!   add the `helm` block to some elements only.
//! - The sync wave of an environment's objects is its declared `wave`, else its depth in the
//!   promotion graph (`dev -> staging -> prod` gives 0, 1, 2); AppProjects come one wave before
//!   the first environment.
//! - Sync options: the declared ones plus `CreateNamespace=true` (unless the program names that
//!   option) and `RespectIgnoreDifferences=true` when differences are ignored. The fields the
//!   Argo Rollouts controller changes during a rollout are ignored in the Applications that
//!   deploy the service (by object name; by kind in an ApplicationSet template). A project whose
//!   applications create namespaces whitelists exactly those `Namespace` objects by name; no
//!   other cluster-scoped kind is allowed, and namespaced kinds are not restricted.
//! - Child Applications carry the resources finalizer (deleting one deletes what it deployed);
//!   the root does not, so deleting the root never cascades into every environment.

mod apps;
mod appset;
mod common;
mod model;
mod project;
mod root;

use crate::backends::Backend;
use crate::emit::OutputFile;
use crate::ir::{AppMode, Deployment, EnvId, Environment, Program, Service, ServiceId};

/// Generates the Argo CD documents.
pub struct Argocd;

impl Backend for Argocd {
    fn name(&self) -> &'static str {
        "argocd"
    }
    fn reads_pipelines(&self) -> bool {
        false
    }

    fn emit_each<'p>(&self, program: &'p Program, out: &mut dyn FnMut(OutputFile<'p>)) {
        let waves = common::waves(program);
        // Files are rendered as they are handed over, so the parts the applications of an
        // environment share are written once.
        crate::emit::yaml::with_shared(|| {
            for d in program.deployments.iter() {
                Cx::new(program, d, waves.clone()).emit(out);
            }
        });
    }
}

/// Everything the builders need about one deployment.
pub(crate) struct Cx<'a> {
    pub p: &'a Program,
    pub d: &'a Deployment,
    /// The sync wave of every environment (see [`common::waves`]); owned, so the builders'
    /// documents borrow only from the program.
    waves: Vec<i32>,
    /// The deployment's folder in the GitOps repository.
    pub dir: String,
    /// Per environment: whether the Argo Rollouts controller owns fields of some service of
    /// the deployment there (see [`apps::controller_owned`]).
    owned_envs: Vec<bool>,
}

impl<'a> Cx<'a> {
    fn new(p: &'a Program, d: &'a Deployment, waves: Vec<i32>) -> Cx<'a> {
        let dir = common::join(&[&p.routing.argocd, &d.project]);
        let mut cx = Cx {
            p,
            d,
            waves,
            dir,
            owned_envs: Vec::new(),
        };
        cx.owned_envs = (0..p.environments.len())
            .map(|env| {
                !matches!(p.environments[env].rollout, crate::ir::Strategy::Rolling)
                    && cx.services().into_iter().any(|(svc, _)| {
                        !crate::backends::rollouts::controller_owned(p, svc, env).is_empty()
                    })
            })
            .collect();
        cx
    }

    /// Every file of the deployment.
    fn emit(&self, out: &mut dyn FnMut(OutputFile<'a>)) {
        project::projects(self).into_iter().for_each(&mut *out);
        for (id, env) in self.envs() {
            match self.d.mode {
                AppMode::PerServiceEnv => apps::per_service(self, id, env, out),
                AppMode::PerEnv => apps::per_env(self, id, env).into_iter().for_each(&mut *out),
                AppMode::ApplicationSetList => {
                    appset::list(self, id, env).into_iter().for_each(&mut *out)
                }
                AppMode::ApplicationSetGit => {
                    appset::git(self, id, env).into_iter().for_each(&mut *out)
                }
            }
        }
        if self.d.app_of_apps {
            out(root::root(self));
        }
    }

    /// The deployment's environments.
    pub fn envs(&self) -> Vec<(EnvId, &'a Environment)> {
        common::envs(self.p, self.d)
    }

    /// The deployment's services.
    pub fn services(&self) -> Vec<(ServiceId, &'a Service)> {
        common::services(self.p, self.d)
    }

    /// The deployment's services whose manifests are Kustomize overlays.
    pub fn kustomize_services(&self) -> Vec<&'a Service> {
        self.services()
            .into_iter()
            .filter(|(_, s)| !common::is_helm(s))
            .map(|(_, s)| s)
            .collect()
    }

    /// The deployment's Helm services.
    pub fn helm_services(&self) -> Vec<&'a Service> {
        self.services()
            .into_iter()
            .filter(|(_, s)| common::is_helm(s))
            .map(|(_, s)| s)
            .collect()
    }

    /// Whether the Argo Rollouts controller owns fields of some service of the deployment in
    /// `env`.
    pub fn controller_owns(&self, env: EnvId) -> bool {
        self.owned_envs.get(env).copied().unwrap_or(false)
    }

    /// The sync wave of an environment's applications.
    pub fn wave(&self, env: EnvId) -> i32 {
        self.waves.get(env).copied().unwrap_or(0)
    }

    /// The wave of the deployment's AppProjects: one before its first environment.
    pub fn project_wave(&self) -> i32 {
        let first = self.envs().iter().map(|(id, _)| self.wave(*id)).min();
        first.unwrap_or(0).saturating_sub(1)
    }

    /// The names of the Applications the deployment has in `env`, or `None` when Argo CD
    /// chooses them at run time (the Git directory generator names them after folders).
    pub fn app_names(&self, env: &Environment) -> Option<Vec<String>> {
        let named = |list: Vec<&Service>| -> Vec<String> {
            list.iter()
                .map(|s| common::app_name(&s.name, &env.name))
                .collect()
        };
        let all = || self.services().into_iter().map(|(_, s)| s).collect();
        match self.d.mode {
            AppMode::PerServiceEnv | AppMode::ApplicationSetList => Some(named(all())),
            AppMode::PerEnv => {
                let mut names = Vec::new();
                if !self.kustomize_services().is_empty() {
                    names.push(common::env_app_name(self.d, &env.name));
                }
                names.extend(named(self.helm_services()));
                Some(names)
            }
            AppMode::ApplicationSetGit => None,
        }
    }

    /// The path of the file `<stem>.yaml` in the folder `rel` (relative to the deployment's
    /// folder), built in one allocation.
    pub fn path(&self, rel: &[&str], stem: &str) -> String {
        let parts = std::iter::once(self.dir.as_str()).chain(rel.iter().copied());
        common::yaml_file(parts, stem)
    }
}
