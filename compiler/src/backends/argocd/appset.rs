//! ApplicationSets: one per environment (and one more for Helm services), with a list generator
//! over the deployment's services or a Git directory generator over the environment's overlays.
//!
//! Invariants: templates use Go templates (`goTemplate: true`, `missingkey=error`); every text
//! taken from the program is escaped so Argo CD prints it verbatim, and only the placeholders
//! this module writes are templated; a generated Application gets the same name, spec and sync
//! policy as the Application the per-service layout would write for the same service and
//! environment; the Git generator never picks up the overlay of a service outside the deployment.

use super::apps;
use super::common::{self, RESOURCES_FINALIZER};
use super::model::{
    ApplicationSet, ApplicationSetSpec, ApplicationSpec, ApplicationTemplate, Generator,
    GitDirectory, GitGenerator, Helm, ListGenerator, Metadata, Resource,
};
use super::Cx;
use crate::emit::OutputFile;
use crate::ir::{EnvId, Environment};
use indexmap::IndexMap;

/// The ApplicationSets of `env` for the list-generator layout.
pub fn list(cx: &Cx, id: EnvId, env: &Environment) -> Vec<OutputFile<'static>> {
    let services = cx.kustomize_services();
    let mut files = Vec::new();
    if !services.is_empty() {
        let elements = services
            .iter()
            .map(|s| {
                element(&[
                    ("service", s.name.clone()),
                    ("path", common::overlay_path(cx.p, &env.name, &s.name)),
                ])
            })
            .collect();
        let generator = Generator::List(ListGenerator { elements });
        let template = template(cx, env, "{{.service}}", "{{.path}}", None);
        let name = common::env_app_name(cx.d, &env.name);
        files.push(appset(cx, id, &name, generator, template));
    }
    files.extend(helm(cx, id, env));
    files
}

/// The ApplicationSets of `env` for the Git-directory layout: one Application per folder of
/// `<kustomize>/overlays/<env>/`, except the folders of services outside the deployment.
pub fn git(cx: &Cx, id: EnvId, env: &Environment) -> Vec<OutputFile<'static>> {
    let mut files = Vec::new();
    let ours = cx.kustomize_services();
    if !ours.is_empty() {
        let mut directories = vec![GitDirectory {
            path: common::overlay_path(cx.p, &env.name, "*"),
            exclude: false,
        }];
        directories.extend(
            cx.p.services
                .iter()
                .filter(|s| !ours.iter().any(|o| o.name == s.name))
                .map(|s| GitDirectory {
                    path: common::overlay_path(cx.p, &env.name, &s.name),
                    exclude: true,
                }),
        );
        let generator = Generator::Git(GitGenerator {
            repo_url: cx.p.project.gitops_repo.clone(),
            revision: env.target_revision.clone(),
            directories,
        });
        let template = template(cx, env, "{{.path.basename}}", "{{.path.path}}", None);
        let name = common::env_app_name(cx.d, &env.name);
        files.push(appset(cx, id, &name, generator, template));
    }
    files.extend(helm(cx, id, env));
    files
}

/// The list ApplicationSet of the deployment's Helm services in `env`, if it has any.
fn helm(cx: &Cx, id: EnvId, env: &Environment) -> Option<OutputFile<'static>> {
    let elements: Vec<_> = cx
        .helm_services()
        .iter()
        .filter_map(|s| {
            let (chart, values) = common::helm_source(s, &env.name)?;
            Some(element(&[
                ("service", s.name.clone()),
                ("chart", chart),
                ("valueFile", values),
            ]))
        })
        .collect();
    if elements.is_empty() {
        return None;
    }
    let helm = Helm {
        release_name: "{{.service}}".into(),
        value_files: vec!["{{.valueFile}}".into()],
    };
    let template = template(cx, env, "{{.service}}", "{{.chart}}", Some(helm));
    let generator = Generator::List(ListGenerator { elements });
    let name = format!("{}-helm", common::env_app_name(cx.d, &env.name));
    Some(appset(cx, id, &name, generator, template))
}

/// A list-generator element made of key and value pairs.
fn element(pairs: &[(&str, String)]) -> IndexMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// An ApplicationSet document in its own file.
fn appset(
    cx: &Cx,
    id: EnvId,
    name: &str,
    generator: Generator,
    template: ApplicationTemplate,
) -> OutputFile<'static> {
    let metadata = Metadata {
        name: name.to_string(),
        namespace: Some(cx.p.project.argocd_namespace.clone()),
        labels: common::labels(cx.p, None),
        annotations: common::wave_annotation(cx.wave(id)),
        finalizers: Vec::new(),
    };
    let spec = ApplicationSetSpec {
        go_template: true,
        go_template_options: vec!["missingkey=error".into()],
        generators: vec![generator],
        template,
    };
    let doc: ApplicationSet = Resource::new("ApplicationSet", metadata, spec);
    cx.file(&["applicationsets", &format!("{name}.yaml")], doc)
}

/// The Application template of `env`: `service` and `path` are the Go expressions giving the
/// service name and the source path.
fn template(
    cx: &Cx,
    env: &Environment,
    service: &str,
    path: &str,
    helm: Option<Helm>,
) -> ApplicationTemplate {
    let mut spec = apps::spec(cx, env, apps::git_source(cx, env, String::new()));
    escape(&mut spec);
    spec.source.path = path.to_string();
    spec.source.helm = helm;
    let mut labels = IndexMap::from([("app.kubernetes.io/name".to_string(), service.to_string())]);
    for (k, v) in common::labels(cx.p, None) {
        labels.insert(k, common::go_literal(&v));
    }
    let metadata = Metadata {
        name: format!("{service}-{}", common::go_literal(&env.name)),
        namespace: None,
        labels,
        annotations: IndexMap::new(),
        finalizers: vec![RESOURCES_FINALIZER.to_string()],
    };
    ApplicationTemplate { metadata, spec }
}

/// Escapes every program-provided text of a template spec.
fn escape(spec: &mut ApplicationSpec) {
    let esc = |s: &mut String| *s = common::go_literal(s);
    esc(&mut spec.project);
    esc(&mut spec.source.repo_url);
    esc(&mut spec.source.target_revision);
    esc(&mut spec.destination.server);
    esc(&mut spec.destination.namespace);
    if let Some(policy) = &mut spec.sync_policy {
        policy.sync_options.iter_mut().for_each(esc);
    }
    for d in &mut spec.ignore_differences {
        esc(&mut d.group);
        esc(&mut d.kind);
        d.json_pointers.iter_mut().for_each(esc);
    }
    for i in &mut spec.info {
        esc(&mut i.value);
    }
}
