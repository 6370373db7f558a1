//! ApplicationSets: one per environment (and one more for Helm services), with a list generator
//! over the deployment's services or a Git directory generator over the environment's overlays.
//!
//! Invariants: templates use Go templates (`goTemplate: true`, `missingkey=error`); every text
//! taken from the program is escaped so Argo CD prints it verbatim, and only the placeholders
//! this module writes are templated; a generated Application gets the same name, spec and sync
//! policy as the Application the per-service layout would write for the same service and
//! environment, except that the fields the Argo Rollouts controller changes are ignored by kind
//! rather than by object name (a template cannot vary per service); the Git generator never picks up the overlay of a service outside the deployment.

use std::borrow::Cow;

use super::apps;
use super::common::{self, RESOURCES_FINALIZERS};
use super::model::{
    ApplicationSet, ApplicationSetSpec, ApplicationSpec, ApplicationTemplate, Element, Generator,
    GitDirectory, GitGenerator, Helm, Labels, ListGenerator, Metadata, Resource,
};
use super::Cx;
use crate::emit::{OutputFile, Repo};
use crate::ir::{EnvId, Environment};

/// The ApplicationSets of `env` for the list-generator layout.
pub fn list<'a>(cx: &Cx<'a>, id: EnvId, env: &'a Environment) -> Vec<OutputFile<'a>> {
    let services = cx.kustomize_services();
    let mut files = Vec::new();
    if !services.is_empty() {
        let elements = services
            .iter()
            .map(|s| Element::Overlay {
                service: &s.name,
                path: common::overlay_path(cx.p, &env.name, &s.name),
            })
            .collect();
        let generator = Generator::List(ListGenerator { elements });
        let template = overlay_template(cx, id, env, "{{.service}}", "{{.path}}");
        let name = common::env_app_name(cx.d, &env.name);
        files.push(appset(cx, id, name, generator, template));
    }
    files.extend(helm(cx, id, env));
    files
}

/// The ApplicationSets of `env` for the Git-directory layout: one Application per folder of
/// `<kustomize>/overlays/<env>/`, except the folders of services outside the deployment.
pub fn git<'a>(cx: &Cx<'a>, id: EnvId, env: &'a Environment) -> Vec<OutputFile<'a>> {
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
            repo_url: &cx.p.project.gitops_repo,
            revision: &env.target_revision,
            directories,
        });
        let template = overlay_template(cx, id, env, "{{.path.basename}}", "{{.path.path}}");
        let name = common::env_app_name(cx.d, &env.name);
        files.push(appset(cx, id, name, generator, template));
    }
    files.extend(helm(cx, id, env));
    files
}

/// The list ApplicationSet of the deployment's Helm services in `env`, if it has any.
fn helm<'a>(cx: &Cx<'a>, id: EnvId, env: &'a Environment) -> Option<OutputFile<'a>> {
    let elements: Vec<_> = cx
        .helm_services()
        .iter()
        .filter_map(|s| {
            let (chart, value_file) = common::helm_source(s, &env.name)?;
            Some(Element::Chart {
                service: &s.name,
                chart,
                value_file,
            })
        })
        .collect();
    if elements.is_empty() {
        return None;
    }
    let helm = Helm {
        release_name: "{{.service}}",
        value_files: vec![Cow::Borrowed("{{.valueFile}}")],
    };
    let template = template(cx, id, env, "{{.service}}", "{{.chart}}", Some(helm));
    let generator = Generator::List(ListGenerator { elements });
    let name = [&cx.d.project, "-", &env.name, "-helm"].concat();
    Some(appset(cx, id, name, generator, template))
}

/// An ApplicationSet document in its own file.
fn appset<'a>(
    cx: &Cx<'a>,
    id: EnvId,
    name: String,
    generator: Generator<'a>,
    template: ApplicationTemplate<'a>,
) -> OutputFile<'a> {
    let path = cx.path(&["applicationsets"], &name);
    let metadata = Metadata {
        name: Cow::Owned(name),
        namespace: Some(&cx.p.project.argocd_namespace),
        labels: common::labels(cx.p, None),
        annotations: common::wave_annotation(cx.wave(id)),
        finalizers: &[],
    };
    let spec = ApplicationSetSpec {
        go_template: true,
        go_template_options: &["missingkey=error"],
        generators: vec![generator],
        template,
    };
    let doc: ApplicationSet = Resource::new("ApplicationSet", metadata, spec);
    OutputFile::new(Repo::Gitops, path).doc(doc)
}

/// The template of the Applications that read the Kustomize services' overlays in `env`:
/// [`template`], ignoring what the Argo Rollouts controller changes in any of them.
fn overlay_template<'a>(
    cx: &Cx<'a>,
    id: EnvId,
    env: &'a Environment,
    service: &'static str,
    path: &'static str,
) -> ApplicationTemplate<'a> {
    let mut template = template(cx, id, env, service, path, None);
    for (svc, s) in cx.services() {
        if !common::is_helm(s) {
            let owned = &mut template.spec.ignore_differences;
            apps::controller_owned(cx, svc, id, apps::Named::No, owned);
        }
    }
    template
}

/// The Application template of `env`: `service` and `path` are the Go expressions giving the
/// service name and the source path.
fn template<'a>(
    cx: &Cx<'a>,
    id: EnvId,
    env: &'a Environment,
    service: &'static str,
    path: &'static str,
    helm: Option<Helm<'a>>,
) -> ApplicationTemplate<'a> {
    let mut spec = apps::spec(cx, id, env, apps::git_source(cx, env, Cow::Borrowed(path)));
    escape(&mut spec);
    spec.source.helm = helm;
    // A valid label value holds no `{{`, so the program's labels need no escaping.
    let labels = Labels {
        name: Some(service),
        ..common::labels(cx.p, None)
    };
    let metadata = Metadata {
        name: Cow::Owned([service, "-", &common::go_literal(&env.name)].concat()),
        namespace: None,
        labels,
        annotations: Default::default(),
        finalizers: RESOURCES_FINALIZERS,
    };
    ApplicationTemplate { metadata, spec }
}

/// Escapes every program-provided text of a template spec (the source path is the template's
/// own placeholder).
fn escape(spec: &mut ApplicationSpec) {
    let esc = common::escape;
    let esc_all = |list: &mut Cow<'_, [String]>| {
        if list.iter().any(|s| s.contains("{{")) {
            *list = list.iter().map(|s| common::go_literal(s)).collect();
        }
    };
    esc(&mut spec.project);
    esc(&mut spec.source.repo_url);
    esc(&mut spec.source.target_revision);
    // Escaped, they are this template's own.
    spec.destination.key = None;
    esc(&mut spec.destination.value.server);
    esc(&mut spec.destination.value.namespace);
    if let Some(policy) = &mut spec.sync_policy {
        policy.key = None;
        esc_all(&mut policy.value.sync_options.declared);
    }
    for d in &mut spec.ignore_differences {
        esc(&mut d.group);
        esc(&mut d.kind);
        esc(&mut d.name);
        esc_all(&mut d.json_pointers);
    }
    if let Some(i) = &mut spec.info {
        esc(&mut i.value);
    }
}
