//! Tasks: typed parameters and results, and one step list per backend.
//!
//! A task is lowered the first time a job calls it. Parameters of type `service` and
//! `environment` are expanded into string parameters (`svc-path`, `env-namespace`...), so a
//! Tekton Task stays reusable across services. Every string that reaches a step is checked for
//! taint here: a secret never reaches a script, an output or a plain argument, and untrusted
//! text reaches a script only through `env`.

use super::collect::is_full_sha;
use super::eval::Scope;
use super::fields::Fields;
use super::fxhash::FxHashMap as HashMap;
use super::value::{Record, V, VK};
use super::Ctx;
use crate::ast::{Decl, Name, TypeArg, TypeExpr};
use crate::backends::tekton;
use crate::diagnostics::{Code, Diagnostic, Span};
use crate::ir::{self, ParamType, Ref, Taint, Template};
use indexmap::IndexMap;
use std::rc::Rc;
use std::sync::Arc;

/// Fields a service-typed parameter expands into.
pub const SERVICE_PARAM_FIELDS: &[&str] = &[
    "name",
    "path",
    "image",
    "version",
    "dockerfile",
    "port",
    "repository",
];
/// Fields an environment-typed parameter expands into.
pub const ENV_PARAM_FIELDS: &[&str] = &["name", "namespace"];

/// The declared type of a task parameter, before expansion.
#[derive(Debug, Clone, PartialEq)]
pub enum PType {
    Plain(ParamType),
    Untrusted,
    Service,
    Environment,
}

/// A task's parameter list as callers see it.
#[derive(Debug, Clone)]
pub struct ParamSig {
    pub name: String,
    /// For a `service` or `environment` parameter, the name of each field it expands into
    /// (`svc-name`, `svc-path`...), in the order of [`SERVICE_PARAM_FIELDS`] or
    /// [`ENV_PARAM_FIELDS`]; empty for other parameters.
    pub expanded: Vec<Arc<str>>,
    pub ty: PType,
    pub has_default: bool,
    pub span: Span,
}

/// What a task looks like from a call site.
#[derive(Debug, Clone)]
pub struct TaskSig {
    pub params: Vec<ParamSig>,
    /// Shared with every job that calls the task.
    pub results: Rc<[String]>,
}

impl TaskSig {
    /// How many arguments a full call binds once `service` and `environment` parameters are
    /// expanded.
    pub fn expanded_len(&self) -> usize {
        self.params
            .iter()
            .map(|p| match p.ty {
                PType::Service => SERVICE_PARAM_FIELDS.len(),
                PType::Environment => ENV_PARAM_FIELDS.len(),
                _ => 1,
            })
            .sum()
    }
}

const TASK_FIELDS: &[&str] = &["description", "permissions", "workspaces", "checkout"];
const TASK_DECLS: &[&str] = &["param", "result", "cache", "github", "tekton", "step"];
const JOB_AND_TASK_FIELDS: &[&str] = &[
    "description",
    "permissions",
    "workspaces",
    "checkout",
    "needs",
    "if",
    "environment",
    "runs_on",
    "timeout",
    "name",
    "concurrency",
    "matrix",
];
const STEP_FIELDS: &[&str] = &[
    "name", "run", "uses", "command", "with", "env", "image", "shell", "workdir", "if", "writes",
];

impl<'a> Ctx<'a> {
    /// The lowered task for `key`, lowering it on first use.
    pub fn task_index(&mut self, key: &str) -> Option<usize> {
        if !self.used_tasks.contains(key) {
            self.used_tasks.insert(key.to_string());
        }
        match self.tasks.get(key) {
            Some(Some(i)) => return Some(*i),
            Some(None) => {}
            None => return None,
        }
        let item = self.task_items.get(key)?;
        let (name, decl, name_span, scope) = (
            item.name.clone(),
            item.decl,
            item.name_span,
            item.scope.clone(),
        );
        let saved = std::mem::replace(&mut self.current_module, item.module.clone());
        self.lowering.push(key.to_string());
        let def = self.lower_task(key, &name, decl, name_span, &scope);
        self.lowering.pop();
        self.current_module = saved;
        self.task_defs.push(def);
        self.task_spans.push(name_span);
        let idx = self.task_defs.len() - 1;
        self.tasks.insert(key.to_string(), Some(idx));
        Some(idx)
    }

    /// The call signature of a task (params with their declared types, result names). It is
    /// read once per task; later calls give the same signature and repeat what reading it
    /// reported.
    pub fn task_sig(&mut self, key: &str) -> Option<Rc<TaskSig>> {
        if let Some((sig, diags)) = self.sigs.get(key) {
            let sig = sig.clone();
            self.diags.extend(diags.iter().cloned());
            return Some(sig);
        }
        let before = self.diags.len();
        let sig = Rc::new(self.read_task_sig(key)?);
        let diags = self.diags[before..].to_vec();
        self.sigs.insert(key.to_string(), (sig.clone(), diags));
        Some(sig)
    }

    fn read_task_sig(&mut self, key: &str) -> Option<TaskSig> {
        let item = self.task_items.get(key)?;
        let (decl, name_span) = (item.decl, item.name_span);
        let f = self.fields(
            decl.body.as_ref(),
            String::new(),
            name_span,
            TASK_FIELDS,
            TASK_DECLS,
        );
        let mut diags = std::mem::take(&mut self.diags);
        let mut params = Vec::new();
        let mut results = Vec::new();
        for d in &f.decls {
            let name = match &d.name {
                Some(Name::Ident(i)) => i.name.clone(),
                _ => continue,
            };
            match d.keyword.name.as_str() {
                "param" => {
                    let ty =
                        d.ty.as_ref()
                            .map_or(PType::Plain(ParamType::String), |t| self.param_type(t));
                    let fields = match ty {
                        PType::Service => SERVICE_PARAM_FIELDS,
                        PType::Environment => ENV_PARAM_FIELDS,
                        _ => &[],
                    };
                    params.push(ParamSig {
                        expanded: fields
                            .iter()
                            .map(|f| super::call::expanded_name(&name, f).into())
                            .collect(),
                        name,
                        ty,
                        has_default: d.value.is_some(),
                        span: d.keyword.span,
                    });
                }
                "result" => results.push(name),
                _ => {}
            }
        }
        // Problems in the body are reported once, when the task is lowered.
        std::mem::swap(&mut self.diags, &mut diags);
        Some(TaskSig {
            params,
            results: results.into(),
        })
    }

    pub fn param_type(&mut self, t: &TypeExpr) -> PType {
        let choices = || -> Vec<String> {
            t.args
                .iter()
                .filter_map(|a| {
                    if let TypeArg::Str(s) = a {
                        s.as_plain()
                    } else {
                        None
                    }
                })
                .collect()
        };
        match t.name.name.as_str() {
            "string" | "path" | "url" | "image" => PType::Plain(ParamType::String),
            "bool" => PType::Plain(ParamType::Bool),
            "int" => PType::Plain(ParamType::Int),
            "secret" => PType::Plain(ParamType::Secret),
            "untrusted" => PType::Untrusted,
            "service" => PType::Service,
            "environment" => PType::Environment,
            "enum" if !t.args.is_empty() => PType::Plain(ParamType::Choice(choices())),
            other => {
                const TYPES: &[&str] = &[
                    "string",
                    "bool",
                    "int",
                    "secret",
                    "untrusted",
                    "service",
                    "environment",
                    "enum",
                    "path",
                    "url",
                    "image",
                ];
                let d = Diagnostic::new(
                    Code::UnknownName,
                    t.name.span,
                    format!("there is no type `{other}`"),
                )
                .label("unknown type")
                .did_you_mean(other, TYPES.iter().copied());
                self.diags.push(d);
                PType::Plain(ParamType::String)
            }
        }
    }

    fn lower_task(
        &mut self,
        key: &str,
        name: &str,
        decl: &'a Decl,
        span: Span,
        outer: &Scope,
    ) -> ir::TaskDef {
        let f = if self.inline_tasks.contains(key) {
            // A job's inline task: the job reader reports anything that fits neither.
            let mut diags = std::mem::take(&mut self.diags);
            let f = self.fields(
                decl.body.as_ref(),
                format!("job `{name}`"),
                span,
                JOB_AND_TASK_FIELDS,
                super::pipeline::INLINE_JOB_DECLS,
            );
            std::mem::swap(&mut self.diags, &mut diags);
            f
        } else {
            self.fields(
                decl.body.as_ref(),
                format!("task `{name}`"),
                span,
                TASK_FIELDS,
                TASK_DECLS,
            )
        };
        let tekton_name = key.replace(['.', '_'], "-");
        self.k8s_name(&tekton_name, span, "a task");
        let mut scope = outer.clone();
        let mut params = Vec::new();
        let mut taints = HashMap::default();
        let mut results = Vec::new();
        let mut caches = Vec::new();
        // The declaration of each parameter (a service parameter declares seven).
        let mut param_spans: Vec<Span> = Vec::new();
        for d in f.decls.clone() {
            match d.keyword.name.as_str() {
                "param" => {
                    self.task_param(d, &mut params, &mut scope, &mut taints);
                    let span = d.name.as_ref().map_or(d.keyword.span, Name::span);
                    param_spans.resize(params.len(), span);
                }
                "result" => {
                    if let Some(Name::Ident(i)) = &d.name {
                        let rf = self.fields(
                            d.body.as_ref(),
                            super::fields::What::named("result", &i.name),
                            i.span,
                            &["description"],
                            &[],
                        );
                        let description = self
                            .get(&rf, "description", &scope)
                            .and_then(|v| self.into_str(v))
                            .unwrap_or_default();
                        results.push(ir::ResultDef {
                            name: i.name.clone(),
                            description,
                            step: String::new(),
                        });
                    }
                }
                "cache" => {
                    let cf = self.fields(
                        d.body.as_ref(),
                        "a cache",
                        d.keyword.span,
                        &["path", "key"],
                        &[],
                    );
                    let path = self
                        .require(&cf, "path", &scope)
                        .and_then(|v| self.into_str(v));
                    let key_files = self
                        .get(&cf, "key", &scope)
                        .and_then(|v| self.into_str(v))
                        .unwrap_or_default();
                    if let Some(path) = path {
                        caches.push(ir::Cache { path, key_files });
                    }
                }
                _ => {}
            }
        }
        self.distinct_params(name, &params, &param_spans);
        let description = self
            .get(&f, "description", &scope)
            .and_then(|v| self.into_str(v))
            .unwrap_or_default();
        let mut permissions = self
            .get(&f, "permissions", &scope)
            .map_or_else(Default::default, |v| self.permissions(&v));
        let mut workspaces = self
            .get(&f, "workspaces", &scope)
            .map_or(Vec::new(), |v| self.strings_(&v));
        let checkout = self
            .get(&f, "checkout", &scope)
            .and_then(|v| self.bool_(&v))
            .unwrap_or(true);
        let saved = std::mem::replace(&mut self.param_taints, taints);
        let saved_inlined = std::mem::take(&mut self.inlined);
        let (github, tekton) = self.realisations(&f, &scope);
        self.param_taints = saved;
        if tekton.is_some() {
            self.tekton_task_params(&params, &param_spans);
        }
        // A step that inlines another task runs with what that task needs.
        let inlined = std::mem::replace(&mut self.inlined, saved_inlined);
        permissions.extend(inlined.permissions);
        for w in inlined.workspaces {
            if !workspaces.contains(&w) {
                workspaces.push(w);
            }
        }
        for c in inlined.caches {
            if !caches.contains(&c) {
                caches.push(c);
            }
        }
        if let Some(steps) = &github {
            self.bind_results(&mut results, steps, span);
        }
        ir::TaskDef {
            name: tekton_name,
            description,
            params,
            results,
            github,
            tekton,
            workspaces,
            caches,
            permissions,
            checkout,
        }
    }

    /// Two parameters of one task with one name, declared twice or one of them a field of a
    /// `service` or `environment` parameter (`svc: service` stands for `svc-name`, `svc-path`
    /// ...): a call could not tell them apart, and the one bound last would be read for both.
    fn distinct_params(&mut self, task: &str, params: &[ir::ParamDef], spans: &[Span]) {
        let mut first: HashMap<&str, Span> = HashMap::default();
        for (p, span) in params.iter().zip(spans) {
            let Some(earlier) = first.get(p.name.as_str()).copied() else {
                first.insert(&p.name, *span);
                continue;
            };
            let mut d = Diagnostic::new(
                Code::Duplicate,
                *span,
                format!("task `{task}` has two parameters named `{}`", p.name),
            )
            .label(format!("declares `{}` again", p.name))
            .secondary(earlier, "first declared here");
            // The fields of a `service` or `environment` parameter share its declaration.
            let stands_for_fields = |at: Span| spans.iter().filter(|&&s| s == at).count() > 1;
            d = if stands_for_fields(earlier) || stands_for_fields(*span) {
                d.help(
                    "a `service` or `environment` parameter also declares one parameter per \
                     field, named after it (`svc-name`, `svc-path`, ...): rename one of the two",
                )
            } else {
                d.help("rename or remove one of them")
            };
            self.diags.push(d);
        }
    }

    /// A Tekton Task spells its parameters in kebab case, next to the clone step's own: each
    /// parameter must keep a name of its own.
    fn tekton_task_params(&mut self, params: &[ir::ParamDef], spans: &[Span]) {
        let reserved = |n: &str| {
            [tekton::GIT_URL, tekton::GIT_REVISION]
                .contains(&n)
                .then_some("the clone step reads it")
        };
        let mut earlier: Vec<(&str, Span)> = Vec::with_capacity(params.len());
        for (p, span) in params.iter().zip(spans) {
            if !earlier.iter().any(|(n, _)| *n == p.name) {
                self.tekton_param("parameter", &p.name, *span, &earlier, &reserved);
            }
            earlier.push((p.name.as_str(), *span));
        }
    }

    fn task_param(
        &mut self,
        d: &Decl,
        params: &mut Vec<ir::ParamDef>,
        scope: &mut Scope,
        taints: &mut HashMap<String, Taint>,
    ) {
        let Some(Name::Ident(id)) = &d.name else {
            self.diags.push(
                Diagnostic::new(Code::MissingField, d.keyword.span, "a `param` needs a name")
                    .label("name expected"),
            );
            return;
        };
        let ty =
            d.ty.as_ref()
                .map_or(PType::Plain(ParamType::String), |t| self.param_type(t));
        let pf = self.fields(
            d.body.as_ref(),
            super::fields::What::named("param", &id.name),
            id.span,
            &["description"],
            &[],
        );
        let description = self
            .get(&pf, "description", scope)
            .and_then(|v| self.into_str(v))
            .unwrap_or_default();
        let default = d.value.as_ref().map(|e| self.eval(e, scope));
        let span = id.span;
        match ty {
            PType::Service | PType::Environment => {
                if let Some(v) = &default {
                    let d = Diagnostic::new(
                        Code::TypeMismatch,
                        v.span,
                        "service and environment parameters cannot have defaults",
                    )
                    .label("remove the default");
                    self.diags.push(d);
                }
                let fields = if ty == PType::Service {
                    SERVICE_PARAM_FIELDS
                } else {
                    ENV_PARAM_FIELDS
                };
                let mut rec = Record::with_capacity_and_hasher(fields.len(), Default::default());
                for field in fields {
                    let pname = super::call::expanded_name(&id.name, field);
                    rec.insert(
                        field.to_string(),
                        (
                            span,
                            V::new(VK::Tmpl(Template::of_ref(Ref::Param(pname.clone()))), span),
                        ),
                    );
                    params.push(ir::ParamDef {
                        name: pname,
                        ty: ParamType::String,
                        default: None,
                        description: description.clone(),
                    });
                }
                scope.push(
                    id.name.clone(),
                    V::new(VK::Record(std::rc::Rc::new(rec)), span),
                );
            }
            PType::Plain(pt) => {
                let default = default.and_then(|v| self.param_default(&v, &pt));
                let taint = if pt == ParamType::Secret {
                    Taint::Secret
                } else {
                    Taint::Clean
                };
                taints.insert(id.name.clone(), taint);
                scope.push(
                    id.name.clone(),
                    V::new(
                        VK::Tmpl(Template::of_ref(Ref::Param(id.name.clone()))),
                        span,
                    ),
                );
                params.push(ir::ParamDef {
                    name: id.name.clone(),
                    ty: pt,
                    default,
                    description,
                });
            }
            PType::Untrusted => {
                let default = default.and_then(|v| self.to_template(&v));
                taints.insert(id.name.clone(), Taint::Untrusted);
                scope.push(
                    id.name.clone(),
                    V::new(
                        VK::Tmpl(Template::of_ref(Ref::Param(id.name.clone()))),
                        span,
                    ),
                );
                params.push(ir::ParamDef {
                    name: id.name.clone(),
                    ty: ParamType::String,
                    default,
                    description,
                });
            }
        }
    }

    fn param_default(&mut self, v: &V, pt: &ParamType) -> Option<Template> {
        match (pt, &v.kind) {
            (ParamType::Bool, VK::Bool(_)) | (ParamType::Int, VK::Int(_)) => self.to_template(v),
            (ParamType::Bool, _) => self.bool_(v).map(|b| Template::lit(b.to_string())),
            (ParamType::Int, _) => self.int_(v).map(|n| Template::lit(n.to_string())),
            (ParamType::Choice(cs), VK::Str(s)) if !cs.contains(s) => {
                self.not_a_choice(s, cs, v.span);
                None
            }
            (ParamType::Secret, _) => {
                self.mismatch(v, "no default (secret parameters are always passed)");
                None
            }
            _ => self.to_template(v),
        }
    }

    pub fn not_a_choice(&mut self, s: &str, choices: &[String], span: Span) {
        let d = Diagnostic::new(
            Code::InvalidValue,
            span,
            format!("`{s}` is not one of the allowed values"),
        )
        .label(format!("expected one of: {}", choices.join(", ")))
        .did_you_mean(s, choices.iter().map(String::as_str));
        self.diags.push(d);
    }

    /// GitHub token permissions from `{ contents = write, id-token = write }`.
    pub fn permissions(&mut self, v: &V) -> std::collections::BTreeSet<ir::Permission> {
        let mut out = std::collections::BTreeSet::new();
        let Some(rec) = self.record_(v) else {
            return out;
        };
        const SCOPES: &[&str] = &[
            "contents",
            "id-token",
            "packages",
            "pull-requests",
            "security-events",
            "actions",
            "checks",
            "deployments",
        ];
        self.check_keys(&rec, "`permissions`", SCOPES);
        for (k, (_, level)) in rec.iter() {
            let allowed: &[&str] = if k == "id-token" {
                &["write"]
            } else {
                &["read", "write"]
            };
            let Some(var) = self.variant_(level, "a permission level", allowed) else {
                continue;
            };
            if let Some(p) = ir::Permission::from_scope(k, var.tag == "write") {
                out.insert(p);
            }
        }
        out
    }

    /// The GitHub and Tekton step lists: from `github { }` / `tekton { }` blocks, else from
    /// the task's own `step`s.
    fn realisations(
        &mut self,
        f: &Fields<'a>,
        scope: &Scope,
    ) -> (Option<Vec<ir::Step>>, Option<Vec<ir::Step>>) {
        let mut github = None;
        let mut tekton = None;
        let mut neutral: Vec<&'a Decl> = Vec::new();
        for d in f.decls.clone() {
            match d.keyword.name.as_str() {
                "github" | "tekton" => {
                    let target = if d.keyword.name == "github" {
                        ir::Target::Github
                    } else {
                        ir::Target::Tekton
                    };
                    let bf = self.fields(
                        d.body.as_ref(),
                        if target == ir::Target::Github {
                            "the `github` realisation"
                        } else {
                            "the `tekton` realisation"
                        },
                        d.keyword.span,
                        &[],
                        &["step"],
                    );
                    let steps = self.steps(&bf.decls, scope, target);
                    if target == ir::Target::Github {
                        github = Some(steps)
                    } else {
                        tekton = Some(steps)
                    }
                }
                "step" => neutral.push(d),
                _ => {}
            }
        }
        if !neutral.is_empty() {
            if github.is_none() {
                github = self.neutral_steps(&neutral, scope, ir::Target::Github);
            }
            if tekton.is_none() {
                tekton = self.neutral_steps(&neutral, scope, ir::Target::Tekton);
            }
        }
        (github, tekton)
    }

    /// Lowers a task's own steps for one target. A step the target cannot run (`uses` on
    /// Tekton, `command` on GitHub) means the task has no realisation for that target, which is
    /// reported only if a pipeline for that target calls it.
    fn neutral_steps(
        &mut self,
        decls: &[&'a Decl],
        scope: &Scope,
        target: ir::Target,
    ) -> Option<Vec<ir::Step>> {
        let before = self.diags.len();
        let steps = self.steps(decls, scope, target);
        if self.diags[before..]
            .iter()
            .any(|d| d.code == Code::Unsupported)
        {
            self.diags.truncate(before);
            return None;
        }
        Some(steps)
    }

    /// Lowers `step` declarations for one target. A step whose value is a task call inlines
    /// that task's steps for the same target.
    pub fn steps(
        &mut self,
        decls: &[&'a Decl],
        scope: &Scope,
        target: ir::Target,
    ) -> Vec<ir::Step> {
        let mut out: Vec<ir::Step> = Vec::new();
        for (i, d) in decls.iter().enumerate() {
            if let Some(value) = &d.value {
                let v = self.eval(value, scope);
                out.extend(self.inline_call(&v, target));
                continue;
            }
            if let Some(step) = self.step(d, i, scope, target) {
                out.push(step);
            }
        }
        // The n-th step with an id already used becomes `id-n`; ids are compared as written.
        let renames: Vec<(usize, String)> = (0..out.len())
            .filter_map(|i| {
                let id = &out[i].id;
                let n = 1 + out[..i].iter().filter(|s| s.id == *id).count();
                (n > 1).then(|| (i, format!("{id}-{n}")))
            })
            .collect();
        for (i, id) in renames {
            out[i].id = id;
        }
        out
    }

    fn inline_call(&mut self, v: &V, target: ir::Target) -> Vec<ir::Step> {
        let VK::Call(call) = &v.kind else {
            if !matches!(v.kind, VK::Error) {
                self.mismatch(v, "a task call");
            }
            return Vec::new();
        };
        if let Some(first) = self.lowering.iter().position(|t| **t == *call.task) {
            let cycle = self.lowering[first..].join("` -> `");
            let d = Diagnostic::new(
                Code::TaskCycle,
                call.task_span,
                format!("task `{}` inlines itself: `{cycle}` -> `{}`", call.task, call.task),
            )
            .label("this step inlines a task that is being inlined")
            .help("a task's steps cannot include its own steps; move the shared steps into a task that inlines no other");
            self.diags.push(d);
            return Vec::new();
        }
        let Some(idx) = self.task_index(&call.task) else {
            return Vec::new();
        };
        let Some(args) = self.call_args(call, v.span) else {
            return Vec::new();
        };
        let def = &self.task_defs[idx];
        match target {
            ir::Target::Github => {
                self.inlined
                    .permissions
                    .extend(def.permissions.iter().copied());
                for c in &def.caches {
                    if !self.inlined.caches.contains(c) {
                        self.inlined.caches.push(c.clone());
                    }
                }
            }
            ir::Target::Tekton => {
                for w in &def.workspaces {
                    if !self.inlined.workspaces.contains(w) {
                        self.inlined.workspaces.push(w.clone());
                    }
                }
            }
        }
        let steps = match target {
            ir::Target::Github => def.github.as_ref(),
            ir::Target::Tekton => def.tekton.as_ref(),
        };
        let Some(steps) = steps else {
            let d = Diagnostic::new(
                Code::Unsupported,
                call.task_span,
                format!(
                    "task `{}` has no {} realisation",
                    call.task,
                    target.as_str()
                ),
            )
            .label(format!("cannot run on {}", target.as_str()));
            self.diags.push(d);
            return Vec::new();
        };
        // A parameter not passed takes its default (the last one declared under that name).
        let default = |p: &str| {
            def.params
                .iter()
                .rev()
                .find(|d| d.name == p && d.default.is_some())
                .and_then(|d| d.default.as_ref())
        };
        let mut sub = |r: &Ref| match r {
            Ref::Param(p) => args.get(p.as_str()).or_else(|| default(p)),
            _ => None,
        };
        steps.iter().map(|s| substitute_step(s, &mut sub)).collect()
    }

    fn step(
        &mut self,
        d: &'a Decl,
        index: usize,
        scope: &Scope,
        target: ir::Target,
    ) -> Option<ir::Step> {
        let id = match &d.name {
            Some(Name::Ident(i)) => i.name.clone(),
            _ => format!("step-{}", index + 1),
        };
        let f = self.fields(
            d.body.as_ref(),
            match &d.name {
                Some(Name::Ident(i)) => super::fields::What::named("step", &i.name),
                _ => super::fields::What::named("step", &id).to_string().into(),
            },
            d.keyword.span,
            STEP_FIELDS,
            &[],
        );
        let name = self
            .get(&f, "name", scope)
            .and_then(|v| self.into_str(v))
            .unwrap_or_else(|| id.replace(['-', '_'], " "));
        let mut env = IndexMap::new();
        if let Some(v) = self.get(&f, "env", scope) {
            self.check_credential_literals(&v);
            env.extend(self.template_fields(v));
        }
        let condition = self.get(&f, "if", scope).and_then(|v| self.to_cond(&v));
        let writes = self
            .get(&f, "writes", scope)
            .map_or(Vec::new(), |v| self.strings_(&v));
        let kinds = ["run", "uses", "command"]
            .iter()
            .filter(|k| f.has(k))
            .count();
        if kinds > 1 {
            let span = f
                .key_span("uses")
                .or(f.key_span("command"))
                .unwrap_or(d.keyword.span);
            self.diags.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    span,
                    "a step has exactly one of `run`, `uses` and `command`",
                )
                .label("second action"),
            );
            return None;
        }
        let kind = if f.has("run") {
            self.run_step(&f, scope, target)?
        } else if f.has("uses") {
            self.uses_step(&f, scope, target)?
        } else if f.has("command") {
            self.exec_step(&f, scope, target)?
        } else {
            self.missing(d.keyword.span, &format!("step `{id}`"), "run");
            return None;
        };
        if target == ir::Target::Tekton && condition.is_some() {
            let span = f.key_span("if").unwrap_or(d.keyword.span);
            if matches!(kind, ir::StepKind::Exec { .. }) {
                self.unsupported(
                    span,
                    target,
                    "a condition on a `command` step (it has no shell to test it)",
                );
                return None;
            }
            if !condition.as_ref().is_some_and(shell_testable) {
                self.unsupported(span, target, "a step condition on an outcome (a step runs only if the ones before it succeeded)");
                return None;
            }
        }
        Some(ir::Step {
            id: id.replace('_', "-"),
            name,
            kind,
            env,
            condition,
            writes,
        })
    }

    fn run_step(
        &mut self,
        f: &Fields<'a>,
        scope: &Scope,
        target: ir::Target,
    ) -> Option<ir::StepKind> {
        let v = self.get(f, "run", scope)?;
        let v_span = v.span;
        let script = self.into_template(v)?;
        // Only a tainted script is reported, so only then is the tainted part looked for.
        if self.taint_of(&script) != Taint::Clean {
            let span = f
                .expr("run")
                .map_or(v_span, |e| self.tainted_part(e, scope));
            self.check_script_taint(&script, span);
        }
        let image = match self.get(f, "image", scope) {
            Some(iv) => Some(self.image_ref(&iv)?),
            None if target == ir::Target::Tekton => Some(self.default_image()),
            None => None,
        };
        let text = |cx: &mut Self, k: &str| cx.get(f, k, scope).and_then(|v| cx.into_str(v));
        let workdir = self
            .get(f, "workdir", scope)
            .and_then(|v| self.into_template(v));
        Some(ir::StepKind::Run {
            script,
            image,
            shell: text(self, "shell"),
            workdir,
        })
    }

    fn exec_step(
        &mut self,
        f: &Fields<'a>,
        scope: &Scope,
        target: ir::Target,
    ) -> Option<ir::StepKind> {
        let v = self.get(f, "command", scope)?;
        if target == ir::Target::Github {
            let d = Diagnostic::new(
                Code::Unsupported,
                v.span,
                "github cannot run a command without a shell",
            )
            .label("`command` is Tekton-only")
            .help("put this step inside a `tekton { }` block, and use `run` for GitHub");
            self.diags.push(d);
            return None;
        }
        let mut command = Vec::new();
        for part in self.list_(&v) {
            let span = part.span;
            let t = self.into_template(part)?;
            self.check_script_taint(&t, span);
            command.push(t);
        }
        let image = match self.get(f, "image", scope) {
            Some(iv) => self.image_ref(&iv)?,
            None => {
                self.missing(f.span, &f.what.to_string(), "image");
                return None;
            }
        };
        Some(ir::StepKind::Exec { image, command })
    }

    /// The strongest taint of a template, counting the current task's parameters.
    pub fn taint_of(&self, t: &Template) -> Taint {
        t.refs()
            .map(|r| match r {
                Ref::Param(p) => self.param_taints.get(p).copied().unwrap_or(Taint::Clean),
                other => other.taint(),
            })
            .max()
            .unwrap_or(Taint::Clean)
    }

    /// A script may hold neither secrets nor untrusted text.
    /// The span of the first interpolation in a string literal that carries taint (so the
    /// label points at `${secrets.X}` rather than the whole script); the whole expression
    /// otherwise.
    fn tainted_part(&mut self, e: &crate::ast::Expr, scope: &Scope) -> Span {
        let crate::ast::ExprKind::Str(lit) = &e.kind else {
            return e.span;
        };
        let saved = std::mem::take(&mut self.diags);
        let mut found = e.span;
        for part in &lit.parts {
            if let crate::ast::StrPart::Interp(x) = part {
                let v = self.eval(x, scope);
                let mut t = Template::default();
                if self.interpolate(&v, &mut t) && self.taint_of(&t) != Taint::Clean {
                    found = x.span;
                    break;
                }
            }
        }
        self.diags = saved;
        found
    }

    pub fn check_script_taint(&mut self, script: &Template, span: Span) {
        match self.taint_of(script) {
            Taint::Secret => {
                let d = Diagnostic::new(Code::SecretLeak, span, "a secret is interpolated into a script")
                    .label("this script would contain the secret")
                    .help("pass it as an environment variable: `env = { TOKEN = secrets.NAME }`, then use `$TOKEN`");
                self.diags.push(d);
            }
            Taint::Untrusted => {
                let d = Diagnostic::new(Code::UntrustedInScript, span, "untrusted text is interpolated into a script")
                    .label("an outsider controls part of this script")
                    .help("pass it as an environment variable: `env = { TITLE = event.pull_request.title }`, then use \"$TITLE\"");
                self.diags.push(d);
            }
            Taint::Clean => {}
        }
    }

    fn uses_step(
        &mut self,
        f: &Fields<'a>,
        scope: &Scope,
        target: ir::Target,
    ) -> Option<ir::StepKind> {
        let v = self.get(f, "uses", scope)?;
        if target == ir::Target::Tekton {
            let d = Diagnostic::new(Code::Unsupported, v.span, "tekton cannot run a GitHub action")
                .label("`uses` is GitHub-only")
                .help("put this step inside a `github { }` block and give the task a `tekton { }` realisation");
            self.diags.push(d);
            return None;
        }
        let span = v.span;
        let text = self.into_str(v)?;
        let action = self.action_ref(&text, span)?;
        let mut with = IndexMap::new();
        if let Some(wv) = self.get(f, "with", scope) {
            with.extend(self.template_fields(wv));
        }
        Some(ir::StepKind::Uses { action, with })
    }

    /// Resolves `owner/repo[/path]` through the pin table, or accepts `owner/repo@<full sha>`.
    pub fn action_ref(&mut self, text: &str, span: Span) -> Option<ir::ActionRef> {
        if let Some((name, rev)) = text.split_once('@') {
            if is_full_sha(rev) {
                let version = self
                    .pins
                    .get(&*lowercase(name))
                    .filter(|p| p.sha == rev)
                    .map_or_else(|| "pinned".to_string(), |p| p.version.clone());
                return Some(ir::ActionRef {
                    name: name.to_string(),
                    sha: rev.to_string(),
                    version,
                });
            }
            let d = Diagnostic::new(Code::UnpinnedAction, span, format!("`{text}` is not pinned to a commit"))
                .label("a tag or branch can be moved to other code")
                .help(format!("pin it: `uses = \"{name}@<40-character sha>\"`, or add `pin \"{name}\" {{ sha = \"…\", version = \"{rev}\" }}`"));
            self.diags.push(d);
            return None;
        }
        match self.pins.get(&*lowercase(text)) {
            Some(p) => Some(ir::ActionRef {
                name: text.to_string(),
                sha: p.sha.clone(),
                version: p.version.clone(),
            }),
            None => {
                let pins: Vec<String> = self.pins.keys().cloned().collect();
                let d = Diagnostic::new(
                    Code::UnpinnedAction,
                    span,
                    format!("the action `{text}` has no pin"),
                )
                .label("no commit SHA is known for this action")
                .did_you_mean(text, pins.iter().map(String::as_str));
                let d = if d.help.is_none() {
                    d.help(format!(
                        "add `pin \"{text}\" {{ sha = \"…\", version = \"…\" }}`"
                    ))
                } else {
                    d
                };
                self.diags.push(d);
                None
            }
        }
    }

    /// A container image reference with a tag or digest (never `latest` or bare).
    pub fn image_ref(&mut self, v: &V) -> Option<String> {
        if let VK::PinnedImage(s) = &v.kind {
            return Some(s.clone());
        }
        let s = self.str_(v)?;
        let last = s.rsplit('/').next().unwrap_or(&s);
        let pinned = s.contains("@sha256:")
            || last
                .split_once(':')
                .is_some_and(|(_, tag)| tag != "latest" && !tag.is_empty());
        if !pinned {
            let d = Diagnostic::new(Code::UnpinnedAction, v.span, format!("the image `{s}` is not pinned to a version"))
                .label("no version tag or digest")
                .help("use a pinned image from `images.NAME`, or write a version tag (and ideally a digest)");
            self.diags.push(d);
            return None;
        }
        Some(s)
    }

    fn default_image(&self) -> String {
        self.images.get("git").map_or_else(
            || "docker.io/alpine/git:2.54.0".to_string(),
            |i| i.reference.clone(),
        )
    }

    fn bind_results(&mut self, results: &mut [ir::ResultDef], steps: &[ir::Step], span: Span) {
        for r in results.iter_mut() {
            match steps.iter().find(|s| s.writes.contains(&r.name)) {
                Some(s) => r.step = s.id.clone(),
                None => {
                    let d = Diagnostic::new(
                        Code::UnknownResult,
                        span,
                        format!("no GitHub step writes the result `{}`", r.name),
                    )
                    .label("declares a result nothing writes")
                    .help("mark the step that writes it: `writes = [\"NAME\"]`");
                    self.diags.push(d);
                }
            }
        }
    }
}

/// A step with every parameter replaced by the caller's argument.
pub fn substitute_step<'t>(
    s: &ir::Step,
    f: &mut dyn FnMut(&Ref) -> Option<&'t Template>,
) -> ir::Step {
    let kind = match &s.kind {
        ir::StepKind::Run {
            script,
            image,
            shell,
            workdir,
        } => ir::StepKind::Run {
            script: script.substitute_with(f),
            image: image.clone(),
            shell: shell.clone(),
            workdir: workdir.as_ref().map(|w| w.substitute_with(f)),
        },
        ir::StepKind::Exec { image, command } => ir::StepKind::Exec {
            image: image.clone(),
            command: command.iter().map(|c| c.substitute_with(f)).collect(),
        },
        ir::StepKind::Uses { action, with } => ir::StepKind::Uses {
            action: action.clone(),
            with: with
                .iter()
                .map(|(k, v)| (k.clone(), v.substitute_with(f)))
                .collect(),
        },
    };
    ir::Step {
        id: s.id.clone(),
        name: s.name.clone(),
        kind,
        env: s
            .env
            .iter()
            .map(|(k, v)| (k.clone(), v.substitute_with(f)))
            .collect(),
        condition: s
            .condition
            .as_ref()
            .map(|c| c.map_templates(&mut |t| t.substitute_with(f))),
        writes: s.writes.clone(),
    }
}

/// Whether a step condition can be tested by the step's shell: comparisons of values only.
fn shell_testable(c: &ir::Cond) -> bool {
    use ir::Cond;
    match c {
        Cond::Eq(..) | Cond::Ne(..) | Cond::Truthy(_) => true,
        Cond::Not(inner) => shell_testable(inner),
        Cond::And(cs) | Cond::Or(cs) => cs.iter().all(shell_testable),
        _ => false,
    }
}

/// `s` in lowercase, copied only when it has an uppercase letter.
fn lowercase(s: &str) -> std::borrow::Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(s.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}
