//! Deployments: which services reach which environments through Argo CD, and how CI updates
//! the GitOps repository.

use super::fxhash::{FxHashMap as HashMap, FxHashSet as HashSet};
use super::{Ctx, Item};
use crate::diagnostics::{Code, Diagnostic};
use crate::ir;

const DEPLOY_FIELDS: &[&str] = &[
    "project",
    "services",
    "environments",
    "apps",
    "app_of_apps",
    "project_per_environment",
    "source_repos",
    "destinations",
    "allow_any_destination",
    "roles",
    "ignore_differences",
    "update",
];

impl<'a> Ctx<'a> {
    pub(super) fn check_deployments(&mut self) {
        for item in self.deployment_items.clone() {
            let d = self.deployment(&item);
            std::sync::Arc::make_mut(&mut self.deployments).push(d);
            self.deploy_spans.push(item.name_span);
        }
        self.check_delivered_once();
    }

    /// Two deployments delivering one service to one environment would make two Argo CD
    /// Applications fight over the same resources.
    fn check_delivered_once(&mut self) {
        if self.deployments.len() < 2 {
            return;
        }
        let mut first: HashMap<(ir::ServiceId, ir::EnvId), usize> = HashMap::default();
        let mut reported: HashSet<(usize, usize)> = HashSet::default();
        for (i, d) in self.deployments.iter().enumerate() {
            for &s in &d.services {
                for &e in &d.environments {
                    let j = *first.entry((s, e)).or_insert(i);
                    if j == i || !reported.insert((j, i)) {
                        continue;
                    }
                    let (svc, env) = (&self.services[s].name, &self.envs[e].name);
                    let d = Diagnostic::new(
                        Code::Duplicate,
                        self.deploy_spans[i],
                        format!("service `{svc}` is delivered to `{env}` by two deployments"),
                    )
                    .label(format!("delivers `{svc}` to `{env}` again"))
                    .secondary(self.deploy_spans[j], "already delivered here")
                    .help("list the service or the environment in only one of them (`services = [...]`, `environments = [...]`)");
                    self.diags.push(d);
                }
            }
        }
    }

    fn deployment(&mut self, item: &Item<'a>) -> ir::Deployment {
        let what = format!("deployment `{}`", item.name);
        let f = self.fields(
            item.decl.body.as_ref(),
            what,
            item.name_span,
            DEPLOY_FIELDS,
            &[],
        );
        let sc = &item.scope;
        let project = match self.get(&f, "project", sc) {
            Some(v) => {
                let s = self.str_(&v).unwrap_or_default();
                self.k8s_name(&s, v.span, "an AppProject");
                s
            }
            None => {
                self.k8s_name(&item.name, item.name_span, "an AppProject");
                item.name.clone()
            }
        };
        let services = match self.get(&f, "services", sc) {
            Some(v) => self.services_(&v),
            None => (0..self.services.len()).collect(),
        };
        let environments = match self.get(&f, "environments", sc) {
            Some(v) => self.list_(&v).iter().filter_map(|e| self.env_(e)).collect(),
            None => (0..self.envs.len()).collect(),
        };
        let mode = self
            .get(&f, "apps", sc)
            .map_or(ir::AppMode::PerServiceEnv, |v| {
                let allowed = [
                    "per_service",
                    "per_environment",
                    "application_set",
                    "application_set_git",
                ];
                match self
                    .variant_(&v, "an application layout", &allowed)
                    .map(|var| var.tag)
                {
                    Some("per_environment") => ir::AppMode::PerEnv,
                    Some("application_set") => ir::AppMode::ApplicationSetList,
                    Some("application_set_git") => ir::AppMode::ApplicationSetGit,
                    _ => ir::AppMode::PerServiceEnv,
                }
            });
        let flag = |cx: &mut Self, k: &str| {
            cx.get(&f, k, sc)
                .and_then(|v| cx.bool_(&v))
                .unwrap_or(false)
        };
        let app_of_apps = flag(self, "app_of_apps");
        let project_per_env = flag(self, "project_per_environment");
        let allow_any = flag(self, "allow_any_destination");
        let source_repos = self
            .get(&f, "source_repos", sc)
            .map_or(Vec::new(), |v| self.strings_(&v));
        let mut allow_any_destination = false;
        if let Some(v) = self.get(&f, "destinations", sc) {
            match self.variant_(&v, "a destination policy", &["any", "declared"]) {
                Some(var) if var.tag == "any" => {
                    if allow_any {
                        allow_any_destination = true;
                    } else {
                        self.wildcard(v.span, "any destination");
                    }
                }
                _ => {}
            }
        }
        if source_repos.iter().any(|r| r == "*") && !allow_any {
            let span = f.expr("source_repos").map_or(item.name_span, |e| e.span);
            self.wildcard(span, "any source repository");
        }
        let roles = self
            .get(&f, "roles", sc)
            .map_or(Vec::new(), |v| self.roles(&v));
        let ignore_differences = self
            .get(&f, "ignore_differences", sc)
            .map_or(Vec::new(), |v| self.ignore_differences(&v));
        let update = self.get(&f, "update", sc).map_or(
            ir::UpdateMethod::KustomizeImage {
                via: ir::Via::Commit { skip_ci: true },
            },
            |v| self.update_method(&v),
        );
        ir::Deployment {
            project,
            services,
            environments,
            mode,
            app_of_apps,
            project_per_env,
            source_repos: source_repos
                .into_iter()
                .filter(|r| r != "*" || allow_any)
                .collect(),
            allow_any_destination,
            roles,
            ignore_differences,
            update,
        }
    }

    fn wildcard(&mut self, span: crate::diagnostics::Span, what: &str) {
        let d = Diagnostic::new(
            Code::WildcardDestination,
            span,
            format!("this AppProject would allow {what}"),
        )
        .label("a wildcard")
        .help("list what is allowed, or opt in explicitly with `allow_any_destination = true`");
        self.diags.push(d);
    }

    fn roles(&mut self, v: &super::V) -> Vec<ir::ProjectRole> {
        let mut out = Vec::new();
        for r in self.list_(v) {
            let Some(rec) = self.record_(&r) else {
                continue;
            };
            self.check_keys(
                &rec,
                "a project role",
                &["name", "description", "policies", "groups"],
            );
            let Some(name) = rec.get("name").and_then(|(_, n)| self.str_(n)) else {
                self.missing(r.span, "a project role", "name");
                continue;
            };
            let description = rec
                .get("description")
                .and_then(|(_, n)| self.str_(n))
                .unwrap_or_default();
            let policies = rec
                .get("policies")
                .map_or(Vec::new(), |(_, p)| self.strings_(p));
            let groups = rec
                .get("groups")
                .map_or(Vec::new(), |(_, p)| self.strings_(p));
            out.push(ir::ProjectRole {
                name,
                description,
                policies,
                groups,
            });
        }
        out
    }

    fn ignore_differences(&mut self, v: &super::V) -> Vec<ir::IgnoreDifference> {
        let mut out = Vec::new();
        for r in self.list_(v) {
            let Some(rec) = self.record_(&r) else {
                continue;
            };
            self.check_keys(
                &rec,
                "an ignored difference",
                &["group", "kind", "json_pointers"],
            );
            let group = rec
                .get("group")
                .and_then(|(_, n)| self.str_(n))
                .unwrap_or_default();
            let Some(kind) = rec.get("kind").and_then(|(_, n)| self.str_(n)) else {
                self.missing(r.span, "an ignored difference", "kind");
                continue;
            };
            let json_pointers = rec
                .get("json_pointers")
                .map_or(Vec::new(), |(_, p)| self.strings_(p));
            out.push(ir::IgnoreDifference {
                group,
                kind,
                json_pointers,
            });
        }
        out
    }

    fn update_method(&mut self, v: &super::V) -> ir::UpdateMethod {
        let fallback = ir::UpdateMethod::KustomizeImage {
            via: ir::Via::Commit { skip_ci: true },
        };
        let Some(var) = self.variant_(v, "an update method", &["kustomize_image", "helm_values"])
        else {
            return fallback;
        };
        let allowed: &[&str] = if var.tag == "helm_values" {
            &["key", "via"]
        } else {
            &["via"]
        };
        self.check_keys(&var.fields, format_args!("`{}`", var.tag), allowed);
        let via = var
            .fields
            .get("via")
            .map_or(ir::Via::Commit { skip_ci: true }, |(_, v)| self.via(v));
        if var.tag == "helm_values" {
            let key = var
                .fields
                .get("key")
                .and_then(|(_, k)| self.str_(k))
                .unwrap_or_else(|| "image.tag".into());
            return ir::UpdateMethod::HelmValues { key, via };
        }
        ir::UpdateMethod::KustomizeImage { via }
    }

    /// `commit { skip_ci = true }` or `pull_request { auto_merge = true }`.
    pub fn via(&mut self, v: &super::V) -> ir::Via {
        let Some(var) = self.variant_(
            v,
            "a way to change the GitOps repository",
            &["commit", "pull_request"],
        ) else {
            return ir::Via::Commit { skip_ci: true };
        };
        if var.tag == "commit" {
            self.check_keys(&var.fields, "`commit`", &["skip_ci"]);
            let skip_ci = var
                .fields
                .get("skip_ci")
                .and_then(|(_, b)| self.bool_(b))
                .unwrap_or(true);
            return ir::Via::Commit { skip_ci };
        }
        self.check_keys(&var.fields, "`pull_request`", &["auto_merge"]);
        let auto_merge = var
            .fields
            .get("auto_merge")
            .and_then(|(_, b)| self.bool_(b))
            .unwrap_or(false);
        ir::Via::PullRequest { auto_merge }
    }
}
