//! Tekton Triggers for pipelines started by GitHub webhooks, and the RBAC the EventListener
//! runs with.
//!
//! One EventListener per pipeline, with one trigger per event kind (push, pull request, tag,
//! other webhook events). Each trigger first runs the GitHub interceptor (signature checked
//! with the Secret `<pipeline>-github-webhook`, key `secret`; event type), then a CEL
//! interceptor that filters branches or tags and computes derived values as overlays
//! (`$(extensions.…)`). A TriggerBinding per payload shape maps the event onto the
//! TriggerTemplate's parameters, and the template creates the PipelineRun. Invariant: every
//! binding supplies every template parameter, and the template supplies every Pipeline parameter
//! without a default, so no event that passes the filter can fail to start a run.

use super::cel;
use super::meta;
use super::model::{GenMeta, Labels, Param, ParamSpec, Pipeline};
use super::refs::{self, GIT_REVISION, GIT_URL};
use super::run::pipeline_run;
use super::triggers_model::{
    BindingMeta, BindingRef, BindingSpec, EventListener, EventListenerSpec, Interceptor,
    InterceptorParam, InterceptorRef, InterceptorValue, Overlay, RoleBinding, RoleRef, SecretRef,
    ServiceAccount, Subject, TemplateParam, TemplateRef, TemplateSpec, Trigger, TriggerBinding,
    TriggerTemplate, TRIGGERS_API,
};
use crate::emit::{OutputFile, Repo};
use crate::ir::{self, PathFilter, Program};
use std::collections::BTreeMap;

/// The key of the webhook Secret that holds the shared secret GitHub signs payloads with.
pub const WEBHOOK_SECRET_KEY: &str = "secret";
/// Pull request actions that start a run when a trigger lists none (GitHub's default).
const DEFAULT_PR_TYPES: &[&str] = &["opened", "synchronize", "reopened"];

/// The name of the Secret that holds a pipeline's webhook secret.
pub fn webhook_secret(pl: &ir::Pipeline) -> String {
    format!("{}-github-webhook", pl.name)
}

/// Where an event keeps the facts a run needs.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Shape {
    Push,
    PullRequest,
    Other(String),
}

/// One trigger of the EventListener.
#[derive(Debug, Clone)]
struct Plan {
    name: String,
    event: String,
    shape: Shape,
    filter: String,
    /// How the ref name is cut out of `body.ref` (branch or tag).
    ref_prefix: &'static str,
}

/// `triggers.yaml` and `rbac.yaml` for a pipeline with webhook triggers; nothing otherwise.
/// `events` maps each `event-…` parameter to the payload path it reads.
pub fn files(
    program: &Program,
    pl: &ir::Pipeline,
    pipeline: &Pipeline,
    events: &BTreeMap<String, String>,
    dir: &str,
) -> Vec<OutputFile<'static>> {
    let plans = plans(pl);
    if plans.is_empty() {
        return Vec::new();
    }
    let params = template_params(pipeline);
    let cx = Cx {
        program,
        pl,
        params: &params,
        events,
    };
    let mut triggers = OutputFile::new(Repo::App, format!("{dir}/triggers.yaml"));
    let mut shapes: Vec<Shape> = Vec::new();
    for p in &plans {
        if !shapes.contains(&p.shape) {
            shapes.push(p.shape.clone());
        }
    }
    for s in &shapes {
        triggers.push(cx.binding(s));
    }
    triggers.push(cx.template(pipeline));
    triggers.push(cx.listener(&plans));
    vec![triggers, rbac(program, pl, dir)]
}

/// What every Triggers document of one pipeline is built from.
struct Cx<'a> {
    program: &'a Program,
    pl: &'a ir::Pipeline,
    /// The TriggerTemplate's parameters.
    params: &'a [ParamSpec],
    events: &'a BTreeMap<String, String>,
}

fn plans(pl: &ir::Pipeline) -> Vec<Plan> {
    let mut out: Vec<Plan> = Vec::new();
    let mut add = |name: &str, plan: Plan| {
        let name = refs::unique(name, &|n| out.iter().any(|p| p.name == n));
        out.push(Plan { name, ..plan });
    };
    for t in &pl.triggers {
        match t {
            ir::Trigger::Push(f) => add("push", push_plan(&f.branches)),
            ir::Trigger::PullRequest(f) => add("pull-request", pr_plan(f)),
            ir::Trigger::Tag { patterns } => add("tag", tag_plan(patterns)),
            ir::Trigger::Webhook { events, branches } => {
                for e in events {
                    let plan = match e.as_str() {
                        "push" => push_plan(branches),
                        "pull_request" => pr_plan(&PathFilter {
                            branches: branches.clone(),
                            ..PathFilter::default()
                        }),
                        other => other_plan(other),
                    };
                    add(&format!("webhook-{}", refs::kebab(e)), plan);
                }
            }
            _ => {}
        }
    }
    out
}

fn push_plan(branches: &[String]) -> Plan {
    let mut filter = "body.ref.startsWith('refs/heads/') && !body.deleted".to_string();
    if let Some(f) = cel::glob_filter("body.ref", "refs/heads/", branches) {
        filter = format!("{filter} && {f}");
    }
    Plan {
        name: String::new(),
        event: "push".into(),
        shape: Shape::Push,
        filter,
        ref_prefix: "refs/heads/",
    }
}

fn tag_plan(patterns: &[String]) -> Plan {
    let mut filter = "body.ref.startsWith('refs/tags/') && !body.deleted".to_string();
    if let Some(f) = cel::glob_filter("body.ref", "refs/tags/", patterns) {
        filter = format!("{filter} && {f}");
    }
    Plan {
        name: String::new(),
        event: "push".into(),
        shape: Shape::Push,
        filter,
        ref_prefix: "refs/tags/",
    }
}

fn pr_plan(f: &PathFilter) -> Plan {
    let types: Vec<String> = if f.types.is_empty() {
        DEFAULT_PR_TYPES.iter().map(|t| t.to_string()).collect()
    } else {
        f.types.clone()
    };
    let list: Vec<String> = types.iter().map(|t| cel::string(t)).collect();
    let mut filter = format!("body.action in [{}]", list.join(", "));
    if let Some(b) = cel::glob_filter("body.pull_request.base.ref", "", &f.branches) {
        filter = format!("{filter} && {b}");
    }
    Plan {
        name: String::new(),
        event: "pull_request".into(),
        shape: Shape::PullRequest,
        filter,
        ref_prefix: "",
    }
}

fn other_plan(event: &str) -> Plan {
    Plan {
        name: String::new(),
        event: event.to_string(),
        shape: Shape::Other(event.to_string()),
        filter: "true".into(),
        ref_prefix: "",
    }
}

/// The parameters the template receives from bindings: the Pipeline's commit facts and event
/// text.
fn template_params(pipeline: &Pipeline) -> Vec<ParamSpec> {
    pipeline
        .spec
        .params
        .iter()
        .filter(|p| p.name.starts_with("git-") || p.name.starts_with("event-"))
        .cloned()
        .collect()
}

/// The overlay key that carries a parameter computed by CEL.
fn overlay_key(param: &str) -> String {
    param.replace('-', "_")
}

/// Where a binding takes a parameter from: a field of the payload or a CEL overlay.
fn binding_value(shape: &Shape, param: &str) -> String {
    let body = |path: &str| format!("$(body.{path})");
    let ext = || format!("$(extensions.{})", overlay_key(param));
    match (param, shape) {
        (GIT_URL, _) => body("repository.clone_url"),
        ("git-repository", _) => body("repository.full_name"),
        ("git-actor", _) => body("sender.login"),
        (GIT_REVISION, Shape::Push) => body("after"),
        (GIT_REVISION, Shape::PullRequest) => body("pull_request.head.sha"),
        ("git-ref", Shape::Push) => body("ref"),
        ("git-ref-name", Shape::PullRequest) => body("pull_request.head.ref"),
        _ => ext(),
    }
}

/// The CEL expression of an overlay parameter, for one trigger.
fn overlay_expression(plan: &Plan, param: &str) -> Option<String> {
    let sha = match plan.shape {
        Shape::Push => "body.after",
        Shape::PullRequest => "body.pull_request.head.sha",
        Shape::Other(_) => "(has(body.after) ? body.after : '')",
    };
    Some(match (param, &plan.shape) {
        (GIT_REVISION, Shape::Other(_)) => {
            "has(body.after) ? body.after : body.repository.default_branch".into()
        }
        ("git-ref", Shape::PullRequest) => {
            "'refs/pull/' + string(int(body.number)) + '/head'".into()
        }
        ("git-ref", Shape::Other(_)) => {
            "has(body.ref) ? body.ref : 'refs/heads/' + body.repository.default_branch".into()
        }
        ("git-ref-name", Shape::Push) => {
            format!("body.ref.substring({})", plan.ref_prefix.len())
        }
        ("git-ref-name", Shape::Other(_)) => {
            "has(body.ref) ? body.ref : body.repository.default_branch".into()
        }
        ("git-short-sha", _) => format!("{sha}.truncate(7)"),
        _ => return None,
    })
}

impl Cx<'_> {
    fn binding(&self, shape: &Shape) -> TriggerBinding {
        TriggerBinding {
            api_version: TRIGGERS_API,
            kind: "TriggerBinding",
            metadata: meta(self.program, &binding_name(self.pl, shape)),
            spec: BindingSpec {
                params: self
                    .params
                    .iter()
                    .map(|p| Param::string(&p.name, binding_value(shape, &p.name)))
                    .collect(),
            },
        }
    }

    fn template(&self, pipeline: &Pipeline) -> TriggerTemplate {
        let run_params = pipeline
            .spec
            .params
            .iter()
            .filter_map(|p| {
                if self.params.iter().any(|t| t.name == p.name) {
                    Some(Param::string(&p.name, format!("$(tt.params.{})", p.name)))
                } else if p.default.is_none() {
                    Some(Param::string(&p.name, ""))
                } else {
                    None
                }
            })
            .collect();
        let metadata = GenMeta {
            generate_name: format!("{}-", self.pl.name),
            namespace: None,
            labels: Labels::default(),
        };
        TriggerTemplate {
            api_version: TRIGGERS_API,
            kind: "TriggerTemplate",
            metadata: meta(self.program, &template_name(self.pl)),
            spec: TemplateSpec {
                params: self
                    .params
                    .iter()
                    .map(|p| TemplateParam {
                        name: p.name.clone(),
                        description: p.description.clone(),
                    })
                    .collect(),
                resourcetemplates: vec![pipeline_run(self.pl, pipeline, metadata, run_params)],
            },
        }
    }

    fn listener(&self, plans: &[Plan]) -> EventListener {
        EventListener {
            api_version: TRIGGERS_API,
            kind: "EventListener",
            metadata: meta(self.program, &format!("{}-listener", self.pl.name)),
            spec: EventListenerSpec {
                service_account_name: service_account(self.pl),
                triggers: plans
                    .iter()
                    .map(|p| Trigger {
                        name: p.name.clone(),
                        interceptors: vec![github_interceptor(self.pl, p), self.cel_interceptor(p)],
                        bindings: vec![BindingRef {
                            reference: binding_name(self.pl, &p.shape),
                        }],
                        template: TemplateRef {
                            reference: template_name(self.pl),
                        },
                    })
                    .collect(),
            },
        }
    }

    fn cel_interceptor(&self, plan: &Plan) -> Interceptor {
        let mut overlays: Vec<Overlay> = Vec::new();
        for p in self.params {
            if !binding_value(&plan.shape, &p.name).starts_with("$(extensions.") {
                continue;
            }
            let expression = match self.events.get(&p.name) {
                Some(path) => Some(cel::guarded_field(path)),
                None => overlay_expression(plan, &p.name),
            };
            if let Some(expression) = expression {
                overlays.push(Overlay {
                    key: overlay_key(&p.name),
                    expression,
                });
            }
        }
        let mut out = vec![InterceptorParam {
            name: "filter".into(),
            value: InterceptorValue::Str(plan.filter.clone()),
        }];
        if !overlays.is_empty() {
            out.push(InterceptorParam {
                name: "overlays".into(),
                value: InterceptorValue::Overlays(overlays),
            });
        }
        Interceptor {
            reference: cluster_interceptor("cel"),
            params: out,
        }
    }
}

fn binding_name(pl: &ir::Pipeline, shape: &Shape) -> String {
    match shape {
        Shape::Push => format!("{}-push", pl.name),
        Shape::PullRequest => format!("{}-pull-request", pl.name),
        Shape::Other(e) => format!("{}-{}-event", pl.name, refs::kebab(e)),
    }
}

fn template_name(pl: &ir::Pipeline) -> String {
    format!("{}-template", pl.name)
}

fn github_interceptor(pl: &ir::Pipeline, plan: &Plan) -> Interceptor {
    Interceptor {
        reference: cluster_interceptor("github"),
        params: vec![
            InterceptorParam {
                name: "secretRef".into(),
                value: InterceptorValue::Secret(SecretRef {
                    secret_name: webhook_secret(pl),
                    secret_key: WEBHOOK_SECRET_KEY.into(),
                }),
            },
            InterceptorParam {
                name: "eventTypes".into(),
                value: InterceptorValue::List(vec![plan.event.clone()]),
            },
        ],
    }
}

fn cluster_interceptor(name: &str) -> InterceptorRef {
    InterceptorRef {
        name: name.to_string(),
        kind: "ClusterInterceptor",
    }
}

fn service_account(pl: &ir::Pipeline) -> String {
    format!("{}-triggers", pl.name)
}

/// The ServiceAccount of the EventListener and its bindings to the ClusterRoles Tekton Triggers
/// installs for EventListeners.
fn rbac(program: &Program, pl: &ir::Pipeline, dir: &str) -> OutputFile<'static> {
    let ns = program.project.tekton_namespace.clone();
    let sa = service_account(pl);
    let subject = || Subject {
        kind: "ServiceAccount",
        name: sa.clone(),
        namespace: ns.clone(),
    };
    let binding =
        |kind: &'static str, name: String, namespace: Option<String>, role: &str| RoleBinding {
            api_version: "rbac.authorization.k8s.io/v1",
            kind,
            metadata: BindingMeta { name, namespace },
            subjects: vec![subject()],
            role_ref: RoleRef {
                api_group: "rbac.authorization.k8s.io",
                kind: "ClusterRole",
                name: role.to_string(),
            },
        };
    OutputFile::new(Repo::App, format!("{dir}/rbac.yaml"))
        .doc(ServiceAccount {
            api_version: "v1",
            kind: "ServiceAccount",
            metadata: meta(program, &sa),
        })
        .doc(binding(
            "RoleBinding",
            sa.clone(),
            Some(ns.clone()),
            "tekton-triggers-eventlistener-roles",
        ))
        .doc(binding(
            "ClusterRoleBinding",
            format!("{ns}-{sa}"),
            None,
            "tekton-triggers-eventlistener-clusterroles",
        ))
}
