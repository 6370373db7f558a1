//! Pipelines: triggers, inputs, jobs (with fan-out over services), and the job DAG.
//!
//! Jobs are collected first (so any job may refer to any other), then each job is evaluated;
//! every job reference met during evaluation becomes a dependency edge with the span where it
//! was written, so a cycle is reported with one label per edge.

use super::call::BoundArgs;
use super::eval::Scope;
use super::fxhash::{FxHashMap, FxIndexMap};
use super::jobs::ServiceAxis;
use super::pipeline_call::{Callee, PipelineSig};
use super::value::{JobSel, V, VK};
use super::{Ctx, Item};
use crate::ast::{Decl, Name, StmtKind};
use crate::diagnostics::{Code, Diagnostic, Span};
use crate::ir::{self, Cond, Ref, Target, Template};
use std::rc::Rc;

/// Metadata of every job instance of the pipeline being checked.
#[derive(Debug, Clone, Default)]
pub struct JobTable {
    /// Declaration name to the indices of its instances.
    pub decls: FxIndexMap<Rc<str>, Vec<usize>>,
    pub jobs: Vec<JobInfo>,
    /// (declaration, by its index in `decls`; service) to the instance, for constant-time
    /// lookups.
    pub by_key: FxHashMap<(usize, Option<usize>), usize>,
    /// Instance ids in use.
    pub ids: FxHashMap<String, usize>,
    /// The job names as bound in a job that belongs to no service (the same for all such
    /// jobs), once built.
    pub shared_names: Option<super::eval::Bindings>,
}

#[derive(Debug, Clone)]
pub struct JobInfo {
    pub id: String,
    /// The declaration's name (shared with the job table's key).
    pub base: Rc<str>,
    pub service: Option<usize>,
    pub results: Rc<[String]>,
    pub span: Span,
    pub finally: bool,
}

/// Spans kept for checks that run after lowering.
#[derive(Debug, Clone, Default)]
pub struct PipelineSpans {
    pub name: Span,
    pub jobs: Vec<Span>,
    pub targets: Option<Span>,
}

/// What is read from a pipeline before its jobs.
struct Head<'a> {
    f: super::fields::Fields<'a>,
    targets: Vec<Target>,
    triggers: Vec<ir::Trigger>,
    inputs: Vec<ir::Input>,
    call_secrets: Vec<String>,
}

struct JobSrc<'a> {
    decl: &'a Decl,
    scope: Scope,
    changed: bool,
}

const PIPELINE_FIELDS: &[&str] = &[
    "name",
    "targets",
    "concurrency",
    "runs_on",
    "service_account",
];
pub const JOB_FIELDS: &[&str] = &[
    "needs",
    "if",
    "environment",
    "runs_on",
    "timeout",
    "name",
    "concurrency",
    "checkout",
    "permissions",
];
/// Declarations a job with inline steps may hold (task and job declarations together).
pub const INLINE_JOB_DECLS: &[&str] = &[
    "container",
    "matrix",
    "step",
    "result",
    "github",
    "tekton",
    "param",
    "cache",
];
const TRIGGERS: &[&str] = &[
    "push",
    "pull_request",
    "tag",
    "dispatch",
    "schedule",
    "webhook",
    "call",
];

impl<'a> Ctx<'a> {
    pub(super) fn check_pipelines(&mut self) {
        let items = self.pipeline_items.clone();
        // Every pipeline's triggers first: they are the signature a job calling it is checked
        // against, whatever the order of declarations.
        let heads: Vec<Head<'a>> = items.iter().map(|item| self.pipeline_head(item)).collect();
        self.calls.sigs = items
            .iter()
            .zip(&heads)
            .map(|(item, h)| PipelineSig {
                name: item.name.clone(),
                name_span: item.name_span,
                callable: h.triggers.contains(&ir::Trigger::Call),
                inputs: h.inputs.clone(),
                secrets: h
                    .call_secrets
                    .iter()
                    .filter(|s| !s.eq_ignore_ascii_case("GITHUB_TOKEN"))
                    .cloned()
                    .collect(),
            })
            .collect();
        self.calls.edges = vec![Vec::new(); items.len()];
        for (k, (item, head)) in items.iter().zip(heads).enumerate() {
            self.calls.caller = k;
            if let Some((p, spans)) = self.pipeline(item, head) {
                self.pipelines.push(p);
                self.pipeline_spans.push(spans);
            }
        }
        self.check_call_cycles();
    }

    /// A pipeline's body, targets and triggers.
    fn pipeline_head(&mut self, item: &Item<'a>) -> Head<'a> {
        let what = format!("pipeline `{}`", item.name);
        let f = self.fields(
            item.decl.body.as_ref(),
            what,
            item.name_span,
            PIPELINE_FIELDS,
            &["on", "job", "finally", "for"],
        );
        let targets = match self.get(&f, "targets", &item.scope) {
            Some(v) => self.targets(&v),
            None => vec![Target::Github],
        };
        let (triggers, inputs, call_secrets) = self.triggers(&f, &item.scope, &targets);
        Head {
            f,
            targets,
            triggers,
            inputs,
            call_secrets,
        }
    }

    fn pipeline(
        &mut self,
        item: &Item<'a>,
        head: Head<'a>,
    ) -> Option<(ir::Pipeline, PipelineSpans)> {
        let Head {
            f,
            targets,
            triggers,
            inputs,
            call_secrets,
        } = head;
        let sc = item.scope.clone();
        self.current_pipeline = item.name.clone();
        self.edges.clear();
        self.k8s_name(&item.name, item.name_span, "a pipeline");
        let mut spans = PipelineSpans {
            name: item.name_span,
            jobs: Vec::new(),
            targets: f.key_span("targets"),
        };
        self.inputs = inputs.iter().map(|i| i.name.clone()).collect();
        let display = self
            .get(&f, "name", &sc)
            .and_then(|v| self.into_str(v))
            .unwrap_or_else(|| item.name.clone());
        let concurrency = self
            .get(&f, "concurrency", &sc)
            .and_then(|v| self.concurrency_group(&v, &targets));
        let runs_on = self
            .get(&f, "runs_on", &sc)
            .and_then(|v| self.into_str(v))
            .unwrap_or_else(|| "ubuntu-24.04".into());
        let service_account = self.service_account(&f, &sc, &targets);

        let srcs = self.collect_jobs(&f, &sc);
        let jobs = self.lower_jobs(&srcs, &targets, &runs_on, &mut spans);
        self.inputs.clear();
        let jobs = jobs?;
        let dag = self.job_dag(&jobs, &spans)?;
        let p = ir::Pipeline {
            name: item.name.clone(),
            display,
            targets,
            triggers,
            inputs,
            call_secrets,
            concurrency,
            service_account,
            jobs,
            dag,
        };
        Some((p, spans))
    }

    /// `service_account`: the ServiceAccount of the pipeline's Tekton runs. A pipeline that
    /// does not target Tekton has no runs it could name (E0017).
    fn service_account(
        &mut self,
        f: &super::fields::Fields<'a>,
        sc: &Scope,
        targets: &[Target],
    ) -> Option<String> {
        let key = f.key_span("service_account")?;
        let v = self.get(f, "service_account", sc)?;
        let span = v.span;
        let name = self.into_str(v)?;
        if !targets.contains(&Target::Tekton) {
            let d = Diagnostic::new(
                Code::Unsupported,
                key,
                "github cannot express a Kubernetes ServiceAccount: `service_account` names the identity of Tekton runs",
            )
            .label("only Tekton runs have a ServiceAccount")
            .help("add `tekton` to this pipeline's `targets`, or remove `service_account`");
            self.diags.push(d);
            return None;
        }
        self.k8s_name(&name, span, "a ServiceAccount")
            .then_some(name)
    }

    fn targets(&mut self, v: &V) -> Vec<Target> {
        let mut out = Vec::new();
        for t in self.list_(v) {
            if let Some(var) = self.variant_(&t, "a target", &["github", "tekton"]) {
                let target = if var.tag == "github" {
                    Target::Github
                } else {
                    Target::Tekton
                };
                if !out.contains(&target) {
                    out.push(target);
                }
            }
        }
        out
    }

    /// Reports that `target` cannot express a feature.
    pub fn unsupported(&mut self, span: Span, target: Target, feature: &str) {
        let d = Diagnostic::new(
            Code::Unsupported,
            span,
            format!("{} cannot express {feature}", target.as_str()),
        )
        .label(format!("not supported by the {} target", target.as_str()))
        .help(format!(
            "remove `{}` from this pipeline's `targets`, or drop the feature",
            target.as_str()
        ));
        self.diags.push(d);
    }

    fn concurrency_group(&mut self, v: &V, targets: &[Target]) -> Option<ir::Concurrency> {
        if targets.contains(&Target::Tekton) {
            self.unsupported(v.span, Target::Tekton, "concurrency groups");
        }
        let rec = self.record_(v)?;
        self.check_keys(&rec, "`concurrency`", &["group", "cancel"]);
        let group = match rec.get("group") {
            Some((_, g)) => self.to_template(g)?,
            None => {
                self.missing(v.span, "`concurrency`", "group");
                return None;
            }
        };
        let cancel_in_progress = rec
            .get("cancel")
            .and_then(|(_, c)| self.bool_(c))
            .unwrap_or(false);
        Some(ir::Concurrency {
            group,
            cancel_in_progress,
        })
    }

    fn triggers(
        &mut self,
        f: &super::fields::Fields<'a>,
        sc: &Scope,
        targets: &[Target],
    ) -> (Vec<ir::Trigger>, Vec<ir::Input>, Vec<String>) {
        let mut triggers = Vec::new();
        let mut inputs: Vec<(ir::Input, Span)> = Vec::new();
        let mut secrets = Vec::new();
        for d in f.decls.iter().filter(|d| d.keyword.name == "on") {
            let Some(Name::Ident(kind)) = &d.name else {
                let d = Diagnostic::new(Code::MissingField, d.keyword.span, "`on` needs an event: push, pull_request, tag, dispatch, schedule, webhook or call")
                    .label("event expected");
                self.diags.push(d);
                continue;
            };
            if !TRIGGERS.contains(&kind.name.as_str()) {
                let d = Diagnostic::new(
                    Code::UnknownName,
                    kind.span,
                    format!("`{}` is not a trigger", kind.name),
                )
                .label(format!("expected one of: {}", TRIGGERS.join(", ")))
                .did_you_mean(&kind.name, TRIGGERS.iter().copied());
                self.diags.push(d);
                continue;
            }
            if let Some(t) = self.trigger(
                d,
                &kind.name,
                kind.span,
                sc,
                targets,
                &mut inputs,
                &mut secrets,
            ) {
                triggers.push(t);
            }
        }
        (
            triggers,
            inputs.into_iter().map(|(i, _)| i).collect(),
            secrets,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn trigger(
        &mut self,
        d: &'a Decl,
        kind: &str,
        span: Span,
        sc: &Scope,
        targets: &[Target],
        inputs: &mut Vec<(ir::Input, Span)>,
        secrets: &mut Vec<String>,
    ) -> Option<ir::Trigger> {
        let what = format!("the `{kind}` trigger");
        let (allowed, decls): (&'static [&'static str], &[&str]) = match kind {
            "push" | "pull_request" => (&["branches", "paths", "paths_ignore", "types"], &[]),
            "tag" => (&["patterns"], &[]),
            "schedule" => (&["cron"], &[]),
            "webhook" => (&["events", "branches"], &[]),
            "call" => (&["secrets"], &["input"]),
            _ => (&[], &["input"]),
        };
        let f = self.fields(d.body.as_ref(), what, span, allowed, decls);
        let list =
            |cx: &mut Self, k: &str| cx.get(&f, k, sc).map_or(Vec::new(), |v| cx.strings_(&v));
        let unsupported = |cx: &mut Self, t: Target, feature: &str| {
            if targets.contains(&t) {
                cx.unsupported(span, t, feature);
            }
        };
        let trig = match kind {
            "push" | "pull_request" => {
                let filter = ir::PathFilter {
                    branches: list(self, "branches"),
                    paths: list(self, "paths"),
                    paths_ignore: list(self, "paths_ignore"),
                    types: list(self, "types"),
                };
                if !filter.paths.is_empty() || !filter.paths_ignore.is_empty() {
                    unsupported(self, Target::Tekton, "path filters on triggers");
                }
                if kind == "push" {
                    ir::Trigger::Push(filter)
                } else {
                    ir::Trigger::PullRequest(filter)
                }
            }
            "tag" => ir::Trigger::Tag {
                patterns: list(self, "patterns"),
            },
            "schedule" => {
                unsupported(self, Target::Tekton, "a schedule trigger");
                let cron = self.require(&f, "cron", sc).and_then(|v| self.cron(&v))?;
                ir::Trigger::Schedule { cron }
            }
            "webhook" => {
                unsupported(
                    self,
                    Target::Github,
                    "a webhook trigger (use push, pull_request or tag)",
                );
                ir::Trigger::Webhook {
                    events: list(self, "events"),
                    branches: list(self, "branches"),
                }
            }
            "call" => {
                unsupported(self, Target::Tekton, "a reusable-workflow call");
                for v in self
                    .get(&f, "secrets", sc)
                    .map_or(Vec::new(), |v| self.list_(&v))
                {
                    if let Some(name) = self.secret_arg(&v) {
                        secrets.push(name);
                    }
                }
                self.inputs_of(&f, sc, targets, inputs);
                ir::Trigger::Call
            }
            _ => {
                self.inputs_of(&f, sc, targets, inputs);
                ir::Trigger::Dispatch
            }
        };
        Some(trig)
    }

    fn secret_arg(&mut self, v: &V) -> Option<String> {
        match &v.kind {
            VK::Secret(n) => Some(n.clone()),
            VK::Error => None,
            _ => {
                self.mismatch(v, "a secret (`secrets.NAME`)");
                None
            }
        }
    }

    fn inputs_of(
        &mut self,
        f: &super::fields::Fields<'a>,
        sc: &Scope,
        targets: &[Target],
        inputs: &mut Vec<(ir::Input, Span)>,
    ) {
        for d in f.decls.clone() {
            let Some(Name::Ident(id)) = &d.name else {
                self.diags.push(
                    Diagnostic::new(
                        Code::MissingField,
                        d.keyword.span,
                        "an `input` needs a name",
                    )
                    .label("name expected"),
                );
                continue;
            };
            if inputs.iter().any(|(i, _)| i.name == id.name) {
                self.diags.push(
                    Diagnostic::new(
                        Code::Duplicate,
                        id.span,
                        format!("input `{}` is declared twice", id.name),
                    )
                    .label("again here"),
                );
                continue;
            }
            let ty = match d.ty.as_ref().map(|t| self.param_type(t)) {
                None => ir::ParamType::String,
                Some(super::task::PType::Plain(ir::ParamType::Secret))
                | Some(super::task::PType::Service) => {
                    let span = d.ty.as_ref().map_or(id.span, |t| t.span);
                    self.diags.push(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            span,
                            "an input is a string, bool, int or enum",
                        )
                        .label("not an input type"),
                    );
                    ir::ParamType::String
                }
                Some(super::task::PType::Environment) => {
                    ir::ParamType::Choice(self.envs.iter().map(|e| e.name.clone()).collect())
                }
                Some(super::task::PType::Plain(t)) => t,
                Some(super::task::PType::Untrusted) => ir::ParamType::String,
            };
            let inf = self.fields(
                d.body.as_ref(),
                super::fields::What::named("input", &id.name),
                id.span,
                &["description", "required"],
                &[],
            );
            let description = self
                .get(&inf, "description", sc)
                .and_then(|v| self.into_str(v))
                .unwrap_or_default();
            let default = d.value.as_ref().and_then(|e| {
                let v = self.eval(e, sc);
                self.input_default(&v, &ty)
            });
            let required = self
                .get(&inf, "required", sc)
                .and_then(|v| self.bool_(&v))
                .unwrap_or(default.is_none());
            if targets.contains(&Target::Tekton) {
                let earlier: Vec<(&str, Span)> =
                    inputs.iter().map(|(i, s)| (i.name.as_str(), *s)).collect();
                self.tekton_param("input", &id.name, id.span, &earlier, &reserved_for_runs);
            }
            inputs.push((
                ir::Input {
                    name: id.name.clone(),
                    ty,
                    description,
                    required,
                    default,
                },
                id.span,
            ));
        }
    }

    fn input_default(&mut self, v: &V, ty: &ir::ParamType) -> Option<String> {
        match (ty, &v.kind) {
            (ir::ParamType::Bool, VK::Bool(b)) => Some(b.to_string()),
            (ir::ParamType::Int, VK::Int(n)) => Some(n.to_string()),
            (ir::ParamType::Choice(cs), VK::Str(s)) | (ir::ParamType::Choice(cs), VK::Sym(s)) => {
                if cs.contains(s) {
                    Some(s.clone())
                } else {
                    self.not_a_choice(s, cs, v.span);
                    None
                }
            }
            (ir::ParamType::Choice(cs), VK::Env(i)) => {
                let n = self.envs[*i].name.clone();
                cs.contains(&n).then_some(n)
            }
            (ir::ParamType::String, _) => self.str_(v),
            _ => {
                let expected = match ty {
                    ir::ParamType::Bool => "`true` or `false`",
                    ir::ParamType::Int => "an integer",
                    _ => "one of the choices",
                };
                self.mismatch(v, expected);
                None
            }
        }
    }

    /// Every job declaration with its scope, loops expanded over services.
    fn collect_jobs(&mut self, f: &super::fields::Fields<'a>, sc: &Scope) -> Vec<JobSrc<'a>> {
        self.jobs = JobTable::default();
        let mut srcs = Vec::new();
        for d in f
            .decls
            .iter()
            .filter(|d| d.keyword.name == "job" || d.keyword.name == "finally")
        {
            self.add_job(d, sc.clone(), None, false, &mut srcs);
        }
        for l in f.loops.clone() {
            let StmtKind::For { var, iter, body } = &l.kind else {
                continue;
            };
            let v = self.eval(iter, sc);
            let changed = matches!(v.kind, VK::Services { changed: true });
            let services = self.services_(&v);
            let name: Rc<str> = var.name.as_str().into();
            for s in services {
                let inner = sc
                    .clone()
                    .with(name.clone(), V::new(VK::Service(s), var.span));
                for stmt in &body.stmts {
                    match &stmt.kind {
                        StmtKind::Decl(d)
                            if d.keyword.name == "job" || d.keyword.name == "finally" =>
                        {
                            self.add_job(d, inner.clone(), Some(s), changed, &mut srcs)
                        }
                        StmtKind::Decl(d) => self.unknown_keyword(
                            &d.keyword.name,
                            d.keyword.span,
                            "a pipeline loop",
                            &["job", "finally"],
                        ),
                        _ => self.unknown_keyword(
                            "field",
                            stmt.span,
                            "a pipeline loop",
                            &["job", "finally"],
                        ),
                    }
                }
            }
        }
        let changed = srcs
            .iter()
            .any(|s| s.changed || super::jobs::matrix_over_changed(s.decl));
        if changed && !self.jobs.decls.contains_key("changes") {
            self.add_changes_job();
        }
        srcs
    }

    fn add_job(
        &mut self,
        d: &'a Decl,
        scope: Scope,
        service: Option<usize>,
        changed: bool,
        srcs: &mut Vec<JobSrc<'a>>,
    ) {
        let Some(Name::Ident(id)) = &d.name else {
            let span = d.name.as_ref().map_or(d.keyword.span, Name::span);
            let msg = match &d.name {
                Some(Name::Str(s)) => format!(
                    "`{}` is not a valid GitHub job id",
                    s.as_plain().unwrap_or_default()
                ),
                _ => "a job needs a name".into(),
            };
            let d = Diagnostic::new(Code::InvalidJobId, span, msg)
                .label("job ids are names: letters, digits, `_` and `-`, starting with a letter");
            self.diags.push(d);
            return;
        };
        let instance = match service {
            Some(s) => crate::ir::concat(&[&id.name, "-", &self.services[s].name]),
            None => id.name.clone(),
        };
        let decl = self.jobs.decls.get_index_of(id.name.as_str());
        if let Some(&first) = decl.and_then(|d| self.jobs.by_key.get(&(d, service))) {
            let first = self.jobs.jobs[first].span;
            let d = Diagnostic::new(
                Code::Duplicate,
                id.span,
                format!("job `{}` is declared twice", id.name),
            )
            .label("declared again here")
            .secondary(first, "first declared here");
            self.diags.push(d);
            return;
        }
        if let Some(&other) = self.jobs.ids.get(&instance) {
            let d = Diagnostic::new(
                Code::Duplicate,
                id.span,
                format!("two jobs are both named `{instance}`"),
            )
            .label("this job's id")
            .secondary(self.jobs.jobs[other].span, "the other job");
            self.diags.push(d);
            return;
        }
        let base: Rc<str> = match decl.and_then(|d| self.jobs.decls.get_index(d)) {
            Some((name, _)) => name.clone(),
            None => id.name.as_str().into(),
        };
        let info = JobInfo {
            id: instance,
            base: base.clone(),
            service,
            results: Rc::from([]),
            span: id.span,
            finally: d.keyword.name == "finally",
        };
        self.jobs.jobs.push(info);
        self.jobs.shared_names = None;
        let idx = self.jobs.jobs.len() - 1;
        let decl = match decl {
            Some(d) => {
                self.jobs.decls[d].push(idx);
                d
            }
            None => self.jobs.decls.insert_full(base, vec![idx]).0,
        };
        self.jobs.by_key.insert((decl, service), idx);
        self.jobs.ids.insert(self.jobs.jobs[idx].id.clone(), idx);
        srcs.push(JobSrc {
            decl: d,
            scope,
            changed,
        });
    }

    /// Binds job names into each job's scope and lowers every job.
    fn lower_jobs(
        &mut self,
        srcs: &[JobSrc<'a>],
        targets: &[Target],
        runs_on: &str,
        spans: &mut PipelineSpans,
    ) -> Option<Vec<ir::Job>> {
        let implicit = self.jobs.jobs.len() > srcs.len();
        // Task keys and results, so references can be checked before the referenced job is lowered.
        // `None`: a job with inline steps; `Some(None)`: a call that did not resolve.
        let mut keys: Vec<Option<Option<Callee>>> = Vec::with_capacity(srcs.len());
        for (i, src) in srcs.iter().enumerate() {
            let key = src.decl.value.as_ref().map(|e| self.callee(e, &src.scope));
            let results = match &key {
                Some(Some(Callee::Task(k))) => {
                    self.task_sig(k).map_or(Rc::from([]), |s| s.results.clone())
                }
                // A called workflow declares no outputs.
                Some(Some(Callee::Pipeline(_))) => Rc::from([]),
                _ => self.inline_results(src.decl).into(),
            };
            self.jobs.jobs[i].results = results;
            keys.push(key);
        }
        let mut jobs = Vec::with_capacity(self.jobs.jobs.len());
        spans.jobs.reserve(self.jobs.jobs.len());
        self.edges.reserve(self.jobs.jobs.len());
        for (i, (src, key)) in srcs.iter().zip(keys).enumerate() {
            spans.jobs.push(self.jobs.jobs[i].span);
            match self.lower_job(i, src, key, targets, runs_on) {
                Some(job) => jobs.push(job),
                None => jobs.push(self.placeholder_job(i)),
            }
            // Keep `edges[i]` aligned with job `i` even when lowering stopped early.
            self.edges.resize(i + 1, Vec::new());
        }
        if implicit {
            let idx = self.jobs.jobs.len() - 1;
            spans.jobs.push(self.jobs.jobs[idx].span);
            jobs.push(self.changes_job(idx, runs_on));
        }
        Some(jobs)
    }

    fn placeholder_job(&self, i: usize) -> ir::Job {
        ir::Job {
            id: self.jobs.jobs[i].id.clone(),
            name: self.jobs.jobs[i].id.clone(),
            task: 0,
            args: ir::Args::default(),
            needs: Vec::new(),
            condition: None,
            matrix: None,
            service: None,
            environment: None,
            runs_on: String::new(),
            containers: Vec::new(),
            timeout_minutes: None,
            concurrency: None,
            finally: false,
            outputs: Vec::new(),
            permissions: Default::default(),
            checkout: None,
            call: None,
        }
    }

    /// The scope a job is evaluated in: job names bound to the job, or to the same-service
    /// instance inside a loop.
    pub fn job_scope(&mut self, base: &Scope, service: Option<usize>) -> Scope {
        let names = match &self.jobs.shared_names {
            Some(names) => names.clone(),
            None => {
                let names = self.job_names();
                self.jobs.shared_names = Some(names.clone());
                names
            }
        };
        let mut scope = base.clone();
        scope.extend(names);
        // Inside a loop, a name with an instance for the same service means that instance.
        if service.is_some() {
            for (d, name) in self.jobs.decls.keys().enumerate() {
                if self.jobs.by_key.contains_key(&(d, service)) {
                    let sel = JobSel::One(name.clone(), service);
                    scope.push(name.clone(), V::new(VK::Job(sel), Span::default()));
                }
            }
        }
        scope
    }

    /// Each job name bound to its job as seen from outside any loop: its only instance, or
    /// all of them.
    fn job_names(&self) -> super::eval::Bindings {
        let mut names = Vec::with_capacity(self.jobs.decls.len());
        for (name, idxs) in &self.jobs.decls {
            let sel = match idxs.as_slice() {
                [only] => JobSel::One(name.clone(), self.jobs.jobs[*only].service),
                _ => JobSel::All(name.clone()),
            };
            names.push((name.clone(), V::new(VK::Job(sel), Span::default())));
        }
        names.into()
    }

    /// Evaluates a job's call: the callee without job names in scope, the arguments with them.
    fn eval_job_call(&mut self, e: &crate::ast::Expr, base: &Scope, scope: &Scope) -> V {
        let (f, args) = match &e.kind {
            crate::ast::ExprKind::Call(f, args) => (f.as_ref(), args.as_slice()),
            _ => (e, &[][..]),
        };
        let fv = self.eval(f, base);
        let mut vals = Vec::new();
        for a in args {
            let v = self.eval(&a.value, scope);
            vals.push((a.name.as_ref().map(|n| (n.name.clone(), n.span)), v));
        }
        self.call(fv, vals, e.span)
    }

    fn inline_results(&mut self, d: &Decl) -> Vec<String> {
        let Some(body) = &d.body else {
            return Vec::new();
        };
        body.stmts
            .iter()
            .filter_map(|s| match &s.kind {
                StmtKind::Decl(d) if d.keyword.name == "result" => match &d.name {
                    Some(Name::Ident(i)) => Some(i.name.clone()),
                    _ => None,
                },
                _ => None,
            })
            .collect()
    }

    /// The job (index) a reference denotes; reports references to every instance of a fan-out.
    pub fn resolve_job(&mut self, sel: &JobSel, span: Span) -> Option<usize> {
        let (name, service) = match sel {
            JobSel::One(n, s) => (n, *s),
            JobSel::All(n) => (n, None),
        };
        let (decl, _, idxs) = self.jobs.decls.get_full(&**name)?;
        let found = match sel {
            JobSel::One(..) => self
                .jobs
                .by_key
                .get(&(decl, service))
                .copied()
                .or(idxs.first().copied()),
            JobSel::All(_) if idxs.len() == 1 => Some(idxs[0]),
            JobSel::All(_) => None,
        };
        match found {
            Some(j) => {
                self.current_refs.push((j, span));
                Some(j)
            }
            None => {
                let d = Diagnostic::new(Code::ResultUnavailable, span, format!("`{name}` runs once per service, so this does not name one job"))
                    .label("ambiguous outside its loop")
                    .help("refer to it inside the same `for` loop, or depend on all instances through `needs`");
                self.diags.push(d);
                None
            }
        }
    }

    pub fn unknown_job(&mut self, name: &str, span: Span) {
        let names: Vec<String> = self.jobs.decls.keys().map(|k| k.to_string()).collect();
        let d = Diagnostic::new(
            Code::UnknownName,
            span,
            format!("there is no job `{name}` in this pipeline"),
        )
        .label("unknown job")
        .did_you_mean(name, names.iter().map(String::as_str));
        self.diags.push(d);
    }

    /// `job.result`: checks the result exists and records the dependency.
    pub fn job_result(&mut self, sel: JobSel, field: &str, fspan: Span, span: Span) -> V {
        let Some(j) = self.resolve_job(&sel, span) else {
            return V::error(span);
        };
        let info = &self.jobs.jobs[j];
        if !info.results.iter().any(|r| r == field) {
            let msg = format!("job `{}` has no result `{field}`", info.base);
            let results = info.results.clone();
            let mut d = Diagnostic::new(Code::UnknownResult, fspan, msg)
                .label("not a result of this job's task")
                .did_you_mean(field, results.iter().map(String::as_str));
            if d.help.is_none() {
                d = d.help(if results.is_empty() {
                    "this job's task declares no results".to_string()
                } else {
                    format!("its results are: {}", results.join(", "))
                });
            }
            self.diags.push(d);
            return V::error(span);
        }
        V::new(
            VK::Tmpl(Template::of_ref(Ref::Result {
                job: j,
                name: field.to_string(),
            })),
            span,
        )
    }

    fn lower_job(
        &mut self,
        i: usize,
        src: &JobSrc<'a>,
        key: Option<Option<Callee>>,
        targets: &[Target],
        runs_on: &str,
    ) -> Option<ir::Job> {
        let info = self.jobs.jobs[i].clone();
        self.check_job_id(&info, targets);
        let mut scope = self.job_scope(&src.scope, info.service);
        self.current_refs.clear();
        let what = super::fields::What::Shared("job", info.base.clone());
        let keywords: &[&str] = match &key {
            // Steps are read to be reported: a job that calls a pipeline runs none.
            Some(Some(Callee::Pipeline(_))) => &["container", "matrix", "step"],
            Some(_) => &["container", "matrix"],
            None => INLINE_JOB_DECLS,
        };
        let f = self.fields(
            src.decl.body.as_ref(),
            what,
            info.span,
            JOB_FIELDS,
            keywords,
        );
        if let Some(Some(Callee::Pipeline(p))) = &key {
            let span = src.decl.value.as_ref().map_or(info.span, |e| e.span);
            self.check_call_job(&f, *p, span, targets);
        }
        let (matrix, axes) = self.job_matrix(&f, &mut scope, &info, targets);
        // The arguments (and inline steps) also see each service axis as a service.
        let mut work_scope = scope.clone();
        for a in &axes {
            work_scope.push(a.name.clone(), self.service_axis_value(a));
        }
        let (task, bound, call) = self.job_work(&info, src, key, &work_scope, &axes, targets)?;
        let mut needs: Vec<(usize, Span)> = std::mem::take(&mut self.current_refs);
        for m in matrix.iter().flat_map(|m| m.axes.values()) {
            if let ir::MatrixAxis::Changed { job, .. } = m {
                needs.push((*job, info.span));
            }
        }
        if let Some(v) = self.get(&f, "needs", &scope) {
            self.current_refs.clear();
            for n in self.list_(&v) {
                self.need(&n);
            }
            needs.append(&mut self.current_refs);
        }
        let mut condition = None;
        // References met while evaluating the condition become dependencies too.
        self.current_refs.clear();
        if let Some(v) = self.get(&f, "if", &scope) {
            condition = self.to_cond(&v);
            needs.append(&mut self.current_refs);
        }
        if let (true, Some(s)) = (src.changed, info.service) {
            let changes = self
                .jobs
                .decls
                .get("changes")
                .and_then(|v| v.first().copied());
            if let Some(c) = changes {
                needs.push((c, info.span));
                let ch = Cond::Changed { job: c, service: s };
                condition = Some(match condition {
                    Some(c0) => Cond::And(vec![ch, c0]),
                    None => ch,
                });
            }
        }
        if let Some(c) = condition.as_mut() {
            self.fix_changed(c, info.span, &mut needs);
        }
        let env_field = self
            .get(&f, "environment", &scope)
            .and_then(|v| self.env_(&v));
        let environment = env_field.or(bound.env);
        let containers = self.containers(&f, &scope);
        let timeout = self
            .get(&f, "timeout", &scope)
            .and_then(|v| self.seconds_(&v))
            .map(|s| s.div_ceil(60) as u32);
        let concurrency = self
            .get(&f, "concurrency", &scope)
            .and_then(|v| self.concurrency_group(&v, targets));
        let name = self
            .get(&f, "name", &scope)
            .and_then(|v| self.into_str(v))
            .unwrap_or_else(|| match info.service {
                Some(s) => crate::ir::concat(&[&info.base, " (", &self.services[s].name, ")"]),
                None => info.base.to_string(),
            });
        let permissions = self
            .get(&f, "permissions", &scope)
            .map_or_else(Default::default, |v| self.permissions(&v));
        let checkout = self
            .get(&f, "checkout", &scope)
            .and_then(|v| self.bool_(&v));
        let job_runs_on = self
            .get(&f, "runs_on", &scope)
            .and_then(|v| self.into_str(v))
            .unwrap_or_else(|| runs_on.to_string());
        let mut need_ids: Vec<usize> = needs.iter().map(|(j, _)| *j).collect();
        need_ids.sort_unstable();
        need_ids.dedup();
        self.edges.push(needs);
        Some(ir::Job {
            id: info.id,
            name,
            task,
            args: bound.args,
            needs: need_ids,
            condition,
            matrix: matrix.map(Box::new),
            service: info.service.or(bound.service),
            environment,
            runs_on: job_runs_on,
            containers,
            timeout_minutes: timeout,
            concurrency,
            finally: info.finally,
            outputs: Vec::new(),
            permissions,
            checkout,
            call: call.map(Box::new),
        })
    }

    /// What the job runs: its task with the bound arguments, or the pipeline it calls (with a
    /// placeholder task).
    fn job_work(
        &mut self,
        info: &JobInfo,
        src: &JobSrc<'a>,
        key: Option<Option<Callee>>,
        scope: &Scope,
        axes: &[ServiceAxis],
        targets: &[Target],
    ) -> Option<(usize, BoundArgs, Option<ir::PipelineCall>)> {
        let value_span = src.decl.value.as_ref().map_or(info.span, |e| e.span);
        let (task, bound) = match (key, &src.decl.value) {
            (Some(Some(Callee::Pipeline(p))), Some(e)) => {
                let call = self.bind_pipeline_call(p, e, scope, axes)?;
                return Some((self.call_task(p), BoundArgs::default(), Some(call)));
            }
            (Some(key), Some(e)) => {
                let Some(Callee::Task(key)) = key else {
                    return None;
                };
                let v = self.eval_job_call(e, &src.scope, scope);
                let VK::Call(c) = &v.kind else { return None };
                for (_, a) in &c.args {
                    self.check_matrix_value(a, axes);
                }
                let mut bound = self.bind_call(c, v.span)?;
                let task = self.task_index(&key)?;
                self.check_matrix_reads(task, c, &mut bound.args, axes, targets);
                (task, bound)
            }
            _ => {
                let task = self.inline_task(info, src.decl, scope)?;
                self.check_matrix_steps(task, info.span, axes);
                (task, BoundArgs::default())
            }
        };
        self.check_realisations(task, targets, value_span);
        Some((task, bound, None))
    }

    fn need(&mut self, v: &V) {
        match &v.kind {
            VK::Job(JobSel::All(name)) => {
                let idxs = self.jobs.decls.get(&**name).cloned().unwrap_or_default();
                for j in idxs {
                    self.current_refs.push((j, v.span));
                }
            }
            VK::Job(sel) => {
                self.resolve_job(sel, v.span);
            }
            VK::Sym(s) => self.unknown_job(s, v.span),
            VK::Error => {}
            _ => {
                self.mismatch(v, "a job");
            }
        }
    }

    /// `changed(svc)` was evaluated before the change-detection job was known: bind it now.
    fn fix_changed(&mut self, c: &mut Cond, span: Span, needs: &mut Vec<(usize, Span)>) {
        match c {
            Cond::Changed { job, .. } if *job == usize::MAX => {
                match self
                    .jobs
                    .decls
                    .get("changes")
                    .and_then(|v| v.first().copied())
                {
                    Some(j) => {
                        *job = j;
                        needs.push((j, span));
                    }
                    None => {
                        let d = Diagnostic::new(Code::UnknownName, span, "`changed(…)` needs a change-detection job")
                        .label("no job named `changes` in this pipeline")
                        .help("`changed(…)` works in a pipeline that fans out over `services.changed`");
                        self.diags.push(d);
                    }
                }
            }
            Cond::Not(inner) => self.fix_changed(inner, span, needs),
            Cond::And(cs) | Cond::Or(cs) => {
                for c in cs {
                    self.fix_changed(c, span, needs);
                }
            }
            _ => {}
        }
    }

    fn check_job_id(&mut self, info: &JobInfo, targets: &[Target]) {
        if targets.contains(&Target::Github) && !super::convert::is_job_id(&info.id) {
            let d = Diagnostic::new(
                Code::InvalidJobId,
                info.span,
                format!("`{}` is not a valid GitHub job id", info.id),
            )
            .label("job ids use letters, digits, `_` and `-`, and start with a letter or `_`");
            self.diags.push(d);
        }
        if targets.contains(&Target::Tekton) {
            self.k8s_name(&info.id, info.span, "a Tekton pipeline task");
        }
    }

    fn check_realisations(&mut self, task: usize, targets: &[Target], span: Span) {
        let def = &self.task_defs[task];
        let missing: Vec<Target> = targets
            .iter()
            .copied()
            .filter(|t| match t {
                Target::Github => def.github.is_none(),
                Target::Tekton => def.tekton.is_none(),
            })
            .collect();
        if missing.is_empty() {
            return;
        }
        let name = def.name.clone();
        for t in missing {
            let d = Diagnostic::new(
                Code::Unsupported,
                span,
                format!("task `{name}` has no {} realisation", t.as_str()),
            )
            .label(format!("this pipeline targets {}", t.as_str()))
            .help(format!(
                "add a `{} {{ … }}` block to the task, or remove `{}` from `targets`",
                t.as_str(),
                t.as_str()
            ));
            self.diags.push(d);
        }
    }

    /// A job written with inline steps becomes a task of its own.
    fn inline_task(&mut self, info: &JobInfo, d: &'a Decl, scope: &Scope) -> Option<usize> {
        let key = format!("{}.{}", self.pipeline_key(), info.id);
        let name_span = info.span;
        let item = Item {
            decl: d,
            span: name_span,
            name: info.id.clone(),
            name_span,
            scope: scope.clone(),
            module: Some(self.pipeline_key().into()),
        };
        self.task_items.insert(key.clone(), item);
        self.sigs.remove(&key);
        self.tasks.insert(key.clone(), None);
        self.task_index_inline(&key)
    }

    fn job_dag(
        &mut self,
        jobs: &[ir::Job],
        spans: &PipelineSpans,
    ) -> Option<petgraph::graph::DiGraph<usize, ()>> {
        let edges = std::mem::take(&mut self.edges);
        if let Some(cycle) = find_cycle(jobs.len(), &edges) {
            self.report_cycle(&cycle, &edges, spans);
            return None;
        }
        let mut dag = petgraph::graph::DiGraph::new();
        let nodes: Vec<_> = (0..jobs.len()).map(|i| dag.add_node(i)).collect();
        for (to, job) in jobs.iter().enumerate() {
            for &from in &job.needs {
                dag.add_edge(nodes[from], nodes[to], ());
            }
        }
        Some(dag)
    }

    fn report_cycle(
        &mut self,
        cycle: &[usize],
        edges: &[Vec<(usize, Span)>],
        spans: &PipelineSpans,
    ) {
        let name = |j: usize| self.jobs.jobs[j].id.clone();
        let mut labels = Vec::new();
        for (k, &job) in cycle.iter().enumerate() {
            let dep = cycle[(k + 1) % cycle.len()];
            let span = edges
                .get(job)
                .and_then(|e| e.iter().find(|(d, _)| *d == dep))
                .map_or(spans.jobs[job], |(_, s)| *s);
            labels.push((span, format!("`{}` needs `{}`", name(job), name(dep))));
        }
        let path: Vec<String> = cycle.iter().map(|&j| name(j)).collect();
        let mut d = Diagnostic::new(
            Code::DependencyCycle,
            labels[0].0,
            format!(
                "jobs depend on each other in a cycle: {} -> {}",
                path.join(" -> "),
                path[0]
            ),
        )
        .label(labels[0].1.clone());
        for (s, l) in labels.into_iter().skip(1) {
            d = d.secondary(s, l);
        }
        self.diags
            .push(d.help("a job cannot wait for itself; remove one of these dependencies"));
    }
}

/// A cycle in the dependency relation (`edges[j]` lists what job `j` needs), as the list of
/// jobs where each needs the next and the last needs the first.
pub(super) fn find_cycle(n: usize, edges: &[Vec<(usize, Span)>]) -> Option<Vec<usize>> {
    let mut state = vec![0u8; n];
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for start in 0..n {
        if state[start] != 0 {
            continue;
        }
        // Iterative depth-first search with an explicit stack of (node, next edge index).
        stack.clear();
        stack.push((start, 0));
        state[start] = 1;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let deps = edges.get(node).map_or(&[][..], |v| v.as_slice());
            if *next < deps.len() {
                let dep = deps[*next].0;
                *next += 1;
                if dep >= n {
                    continue;
                }
                if state[dep] == 1 {
                    let pos = stack.iter().position(|(j, _)| *j == dep).unwrap_or(0);
                    return Some(stack[pos..].iter().map(|(j, _)| *j).collect());
                }
                if state[dep] == 0 {
                    state[dep] = 1;
                    stack.push((dep, 0));
                }
            } else {
                state[node] = 2;
                stack.pop();
            }
        }
    }
    None
}

/// What the Tekton Pipeline parameters an input cannot take carry: `git-…` facts about the
/// commit, `event-…` text of the triggering event (the Triggers bind both from the event).
fn reserved_for_runs(name: &str) -> Option<&'static str> {
    if name.starts_with("git-") {
        Some("names starting with `git-` carry facts about the commit")
    } else if name.starts_with("event-") {
        Some("names starting with `event-` carry text of the triggering event")
    } else {
        None
    }
}
