//! Jobs that call another pipeline: `job deploy = update-gitops(service = svc.name) { … }`.
//!
//! The called pipeline must be reusable (`on call`); its inputs and secrets form the signature
//! the arguments are checked against, read before any pipeline's jobs so a pipeline may call
//! one declared after it. Invariants kept: a call names a pipeline that has a call trigger,
//! passes every required input and every secret, passes secrets only as secrets, and the calls
//! between pipelines form no cycle (reported with one label per call, like job cycles).

use super::eval::Scope;
use super::fields::Fields;
use super::value::{V, VK};
use super::Ctx;
use crate::diagnostics::{Code, Diagnostic, Span};
use crate::ir::{self, ParamType, PipelineCall, Ref, Taint, Target, Template};
use indexmap::IndexMap;

/// What a job's value calls.
#[derive(Debug, Clone)]
pub enum Callee {
    /// A task, by its key.
    Task(std::rc::Rc<str>),
    /// Another pipeline (a reusable workflow), by its index.
    Pipeline(usize),
}

/// What a caller needs to know about a pipeline: read from its triggers before any job.
#[derive(Debug, Clone, Default)]
pub struct PipelineSig {
    pub name: String,
    pub name_span: Span,
    /// It has an `on call` trigger.
    pub callable: bool,
    pub inputs: Vec<ir::Input>,
    /// Secrets it takes when called (never `GITHUB_TOKEN`, which every workflow has).
    pub secrets: Vec<String>,
}

/// The pipelines' signatures and the calls found so far.
#[derive(Debug, Clone, Default)]
pub struct Calls {
    /// By pipeline (the index of its declaration, which is its index in the IR).
    pub sigs: Vec<PipelineSig>,
    /// For each pipeline, the pipelines its jobs call, each with the span of the call.
    pub edges: Vec<Vec<(usize, Span)>>,
    /// The pipeline whose jobs are being checked.
    pub caller: usize,
}

/// Job fields a job that calls a pipeline cannot have: GitHub runs the called workflow's own
/// jobs, with their own runners, environments, timeouts and checkouts.
const CALL_JOB_FORBIDDEN: &[(&str, &str)] = &[
    (
        "runs_on",
        "GitHub allows no `runs-on` on a job that calls a workflow",
    ),
    (
        "timeout",
        "GitHub allows no `timeout-minutes` on a job that calls a workflow",
    ),
    (
        "environment",
        "GitHub allows no `environment` on a job that calls a workflow",
    ),
    (
        "checkout",
        "a job that calls a workflow runs no steps, so it checks nothing out",
    ),
];

impl<'a> Ctx<'a> {
    /// The pipeline a job's callee names, when it is a plain name that is not a task.
    pub(super) fn pipeline_named(&self, name: &str) -> Option<usize> {
        self.calls.sigs.iter().position(|s| s.name == name)
    }

    /// The task or pipeline a job's value calls. Job names do not shadow tasks here, so `job
    /// build = build()` calls the task `build`; a plain name that is not a task may name a
    /// pipeline.
    pub(super) fn callee(&mut self, e: &crate::ast::Expr, base: &Scope) -> Option<Callee> {
        let f = match &e.kind {
            crate::ast::ExprKind::Call(f, _) => f,
            _ => e,
        };
        let v = self.eval(f, base);
        if let VK::Task(k) = &v.kind {
            return Some(Callee::Task(k.clone()));
        }
        if let crate::ast::ExprKind::Ident(id) = &f.kind {
            if let Some(p) = self.pipeline_named(&id.name) {
                return Some(Callee::Pipeline(p));
            }
        }
        match &v.kind {
            VK::Error => None,
            VK::Sym(name) => {
                let mut names = self.value_names();
                names.extend(self.calls.sigs.iter().map(|s| s.name.clone()));
                let d = Diagnostic::new(
                    Code::UnknownName,
                    v.span,
                    format!("there is no task or pipeline `{name}`"),
                )
                .label("not declared")
                .did_you_mean(name, names.iter().map(String::as_str));
                self.diags.push(d);
                None
            }
            _ => {
                self.mismatch(&v, "a task or pipeline call");
                None
            }
        }
    }

    /// Rejects what a job that calls a pipeline cannot have, and targets other than GitHub.
    pub(super) fn check_call_job(
        &mut self,
        f: &Fields<'a>,
        p: usize,
        span: Span,
        targets: &[Target],
    ) {
        let callee = self.calls.sigs[p].name.clone();
        for (field, why) in CALL_JOB_FORBIDDEN {
            if let Some(key) = f.key_span(field) {
                self.call_job_field(key, &format!("`{field}`"), why, &callee);
            }
        }
        for d in &f.decls {
            let (what, why) = match d.keyword.name.as_str() {
                "container" => (
                    "a `container`",
                    "GitHub allows no `services` on a job that calls a workflow",
                ),
                "step" => (
                    "a `step`",
                    "GitHub allows no `steps` on a job that calls a workflow",
                ),
                _ => continue,
            };
            self.call_job_field(d.keyword.span, what, why, &callee);
        }
        if targets.contains(&Target::Tekton) {
            self.unsupported(span, Target::Tekton, "a job that calls another pipeline");
        }
    }

    fn call_job_field(&mut self, span: Span, what: &str, why: &str, callee: &str) {
        let d = Diagnostic::new(
            Code::CallJobField,
            span,
            format!("a job that calls pipeline `{callee}` cannot set {what}"),
        )
        .label(why)
        .help(format!(
            "set it on the jobs of `{callee}`, or remove it; a calling job has only `needs`, `if`, `name`, `permissions`, `concurrency` and `matrix`"
        ));
        self.diags.push(d);
    }

    /// The placeholder task of a job that calls pipeline `p`: no steps, no permissions.
    pub(super) fn call_task(&mut self, p: usize) -> usize {
        let name = format!("call-{}", self.calls.sigs[p].name);
        if let Some(i) = self.task_defs.iter().position(|t| t.name == name) {
            return i;
        }
        self.task_defs.push(ir::TaskDef {
            description: format!("Runs the pipeline `{}`.", self.calls.sigs[p].name),
            name,
            params: Vec::new(),
            results: Vec::new(),
            github: Some(Vec::new()),
            tekton: None,
            workspaces: Vec::new(),
            caches: Vec::new(),
            permissions: Default::default(),
            checkout: false,
        });
        self.task_spans.push(Span::default());
        self.task_defs.len() - 1
    }

    /// Checks a call of pipeline `p` (at `callee_span`, written `e`) and records the call.
    pub(super) fn bind_pipeline_call(
        &mut self,
        p: usize,
        e: &crate::ast::Expr,
        scope: &Scope,
        axes: &[super::jobs::ServiceAxis],
    ) -> Option<PipelineCall> {
        let (callee_span, args) = match &e.kind {
            crate::ast::ExprKind::Call(f, args) => (f.span, args.as_slice()),
            _ => (e.span, &[][..]),
        };
        let caller = self.calls.caller;
        if let Some(edges) = self.calls.edges.get_mut(caller) {
            edges.push((p, callee_span));
        }
        let sig = self.calls.sigs[p].clone();
        if !sig.callable {
            let d = Diagnostic::new(
                Code::NotReusable,
                callee_span,
                format!(
                    "pipeline `{}` cannot be called: it has no `on call` trigger",
                    sig.name
                ),
            )
            .label("not a reusable workflow")
            .secondary(sig.name_span, "declared here")
            .help(format!(
                "add `on call {{ … }}` to `{}`, with the inputs and secrets it takes",
                sig.name
            ));
            self.diags.push(d);
            return None;
        }
        let folder = self.routing.github.trim_matches('/').to_string();
        if folder != ".github/workflows" {
            let d = Diagnostic::new(
                Code::Unsupported,
                callee_span,
                format!("github cannot call a workflow in `{folder}`"),
            )
            .label("GitHub runs a repository's reusable workflows only from `.github/workflows`")
            .help("remove `github` from the project's `paths`, or set it to \".github/workflows\"");
            self.diags.push(d);
        }
        let mut call = PipelineCall {
            pipeline: p,
            inputs: IndexMap::new(),
            secrets: IndexMap::new(),
        };
        let mut set: IndexMap<String, Span> = IndexMap::new();
        for a in args {
            let v = self.eval(&a.value, scope);
            self.check_matrix_value(&v, axes);
            let Some(name) = &a.name else {
                let d = Diagnostic::new(
                    Code::ArgumentCount,
                    v.span,
                    format!("pipeline `{}` takes only named arguments", sig.name),
                )
                .label("name the input or secret: `name = value`");
                self.diags.push(d);
                continue;
            };
            if let Some(first) = set.get(&name.name) {
                let d = Diagnostic::new(
                    Code::Duplicate,
                    name.span,
                    format!("`{}` is passed twice", name.name),
                )
                .label("passed again")
                .secondary(*first, "first passed here");
                self.diags.push(d);
                continue;
            }
            set.insert(name.name.clone(), name.span);
            if let Some(input) = sig.inputs.iter().find(|i| i.name == name.name) {
                if let Some(t) = self.call_input(&sig.name, input, &v) {
                    call.inputs.insert(input.name.clone(), t);
                }
            } else if sig.secrets.contains(&name.name) {
                if let Some(s) = self.call_secret(&v) {
                    call.secrets.insert(name.name.clone(), s);
                }
            } else {
                self.unknown_call_arg(&sig, &name.name, name.span);
            }
        }
        for i in sig
            .inputs
            .iter()
            .filter(|i| i.required && i.default.is_none())
        {
            if !set.contains_key(&i.name) {
                self.missing_call_arg(&sig, "input", &i.name, callee_span);
            }
        }
        for s in &sig.secrets {
            if !set.contains_key(s) {
                self.missing_call_arg(&sig, "secret", s, callee_span);
            }
        }
        Some(call)
    }

    fn unknown_call_arg(&mut self, sig: &PipelineSig, name: &str, span: Span) {
        let names: Vec<&str> = sig
            .inputs
            .iter()
            .map(|i| i.name.as_str())
            .chain(sig.secrets.iter().map(String::as_str))
            .collect();
        let mut d = Diagnostic::new(
            Code::UnknownField,
            span,
            format!("pipeline `{}` has no input or secret `{name}`", sig.name),
        )
        .label("unknown input")
        .did_you_mean(name, names.iter().copied());
        if d.help.is_none() {
            d = d.help(if names.is_empty() {
                format!(
                    "`{}` declares no inputs or secrets in its `on call`",
                    sig.name
                )
            } else {
                format!("it takes: {}", names.join(", "))
            });
        }
        self.diags.push(d);
    }

    fn missing_call_arg(&mut self, sig: &PipelineSig, kind: &str, name: &str, span: Span) {
        let d = Diagnostic::new(
            Code::MissingField,
            span,
            format!("pipeline `{}` needs the {kind} `{name}`", sig.name),
        )
        .label(format!("`{name}` is missing"))
        .secondary(
            sig.name_span,
            format!("`{name}` is declared in this pipeline's `on call`"),
        );
        self.diags.push(d);
    }

    /// A value for an input: typed like the input, and never a secret (inputs are logged).
    fn call_input(&mut self, callee: &str, input: &ir::Input, v: &V) -> Option<Template> {
        let v = service_record_name(v).unwrap_or_else(|| v.clone());
        match (&input.ty, &v.kind) {
            (_, VK::Error) => return None,
            (_, VK::Secret(_)) => {
                self.secret_into_input(callee, &input.name, v.span);
                return None;
            }
            (ParamType::Bool, VK::Bool(_) | VK::Tmpl(_))
            | (ParamType::Int, VK::Int(_) | VK::Tmpl(_)) => {}
            (ParamType::Bool, _) => {
                self.mismatch(&v, "`true` or `false`");
                return None;
            }
            (ParamType::Int, _) => {
                self.mismatch(&v, "an integer");
                return None;
            }
            (ParamType::Choice(_), VK::Sym(s)) => {
                let fits = self.is_choice(&input.ty, s, v.span);
                return fits.then(|| Template::lit(s.clone()));
            }
            _ => {}
        }
        let t = self.to_template(&v)?;
        if let Some(lit) = t.as_literal() {
            if !self.is_choice(&input.ty, &lit, v.span) {
                return None;
            }
        }
        if t.taint() == Taint::Secret {
            self.secret_into_input(callee, &input.name, v.span);
            return None;
        }
        Some(t)
    }

    /// Whether a constant fits an input's type: any text does, unless it is a choice.
    fn is_choice(&mut self, ty: &ParamType, s: &str, span: Span) -> bool {
        match ty {
            ParamType::Choice(cs) if !cs.iter().any(|c| c == s) => {
                self.not_a_choice(s, cs, span);
                false
            }
            _ => true,
        }
    }

    fn secret_into_input(&mut self, callee: &str, input: &str, span: Span) {
        let d = Diagnostic::new(
            Code::SecretLeak,
            span,
            format!("a secret is passed to the input `{input}` of pipeline `{callee}`"),
        )
        .label("this value holds a secret")
        .help(format!(
            "inputs are not secret; list the secret in `{callee}`'s `on call {{ secrets = [...] }}` and pass it by that name"
        ));
        self.diags.push(d);
    }

    /// A value for a secret of the called pipeline: one of the caller's secrets.
    fn call_secret(&mut self, v: &V) -> Option<String> {
        match &v.kind {
            VK::Secret(n) => Some(n.clone()),
            VK::Tmpl(t) => match t.parts.as_slice() {
                [ir::TemplatePart::Ref(Ref::Secret(n))] => Some(n.clone()),
                _ => {
                    self.mismatch(v, "a secret (`secrets.NAME`)");
                    None
                }
            },
            VK::Error => None,
            _ => {
                self.mismatch(v, "a secret (`secrets.NAME`)");
                None
            }
        }
    }

    /// Reports every cycle of calls between pipelines, one label per call.
    pub(super) fn check_call_cycles(&mut self) {
        let edges = self.calls.edges.clone();
        let n = self.calls.sigs.len();
        let Some(cycle) = super::pipeline::find_cycle(n, &edges) else {
            return;
        };
        let name = |p: usize| self.calls.sigs[p].name.clone();
        let mut labels = Vec::new();
        for (k, &p) in cycle.iter().enumerate() {
            let next = cycle[(k + 1) % cycle.len()];
            let span = edges[p]
                .iter()
                .find(|(q, _)| *q == next)
                .map_or(self.calls.sigs[p].name_span, |(_, s)| *s);
            labels.push((span, format!("`{}` calls `{}`", name(p), name(next))));
        }
        let path: Vec<String> = cycle.iter().map(|&p| name(p)).collect();
        let message = if cycle.len() == 1 {
            format!("pipeline `{}` calls itself", path[0])
        } else {
            format!(
                "pipelines call each other in a cycle: {} -> {}",
                path.join(" -> "),
                path[0]
            )
        };
        let mut d =
            Diagnostic::new(Code::CallCycle, labels[0].0, message).label(labels[0].1.clone());
        for (s, l) in labels.into_iter().skip(1) {
            d = d.secondary(s, l);
        }
        self.diags.push(d.help(
            "a workflow cannot run itself; move the shared jobs into a pipeline that calls no other",
        ));
    }
}

/// A service record of a matrix over services (see [`super::jobs::ServiceAxis`]) where text is
/// wanted stands for the service's name, as a service does.
pub(super) fn service_record_name(v: &V) -> Option<V> {
    let VK::Record(rec) = &v.kind else {
        return None;
    };
    if !super::task::SERVICE_PARAM_FIELDS
        .iter()
        .all(|f| rec.contains_key(*f))
    {
        return None;
    }
    rec.get("name").map(|(_, n)| V::new(n.kind.clone(), v.span))
}
