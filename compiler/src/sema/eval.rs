//! Expression evaluation: names to values, strings to templates, calls and conditions.

use super::value::{CallV, JobSel, Namespace, Record, V, VK};
use super::Ctx;
use crate::ast::{BinOp, Body, Expr, ExprKind, Member, StmtKind, StrLit, StrPart};
use crate::diagnostics::{Code, Diagnostic, Span};
use crate::ir::{Cond, GitField, JobStatus, Ref, Template};
use std::rc::Rc;

/// The attributes of a service value (`svc.name`, `svc.path`, ...).
pub const SERVICE_FIELDS: &[&str] = &[
    "name",
    "path",
    "image",
    "port",
    "version",
    "toolchain",
    "dockerfile",
    "repository",
];

/// Local bindings, innermost last.
///
/// A scope is a shared list: extending one never copies the bindings it extends, so a scope is
/// cloned in constant time (every service, job and loop iteration takes its own).
#[derive(Debug, Clone, Default)]
pub struct Scope {
    head: Option<Rc<Frame>>,
}

/// Bindings shared by several scopes, innermost last.
pub type Bindings = Rc<[(Rc<str>, V)]>;

/// One binding, or several at once, and the scope they extend.
#[derive(Debug)]
struct Frame {
    bound: Bound,
    next: Option<Rc<Frame>>,
}

#[derive(Debug)]
enum Bound {
    One(Rc<str>, V),
    Many(Bindings),
}

impl Scope {
    pub fn with(mut self, name: impl Into<Rc<str>>, v: V) -> Scope {
        self.push(name, v);
        self
    }

    pub fn push(&mut self, name: impl Into<Rc<str>>, v: V) {
        self.push_frame(Bound::One(name.into(), v));
    }

    /// Binds several names at once (the later of two equal names wins).
    pub fn extend(&mut self, bindings: Bindings) {
        if !bindings.is_empty() {
            self.push_frame(Bound::Many(bindings));
        }
    }

    fn push_frame(&mut self, bound: Bound) {
        let next = self.head.take();
        self.head = Some(Rc::new(Frame { bound, next }));
    }

    pub fn get(&self, name: &str) -> Option<&V> {
        let mut at = self.head.as_deref();
        while let Some(f) = at {
            match &f.bound {
                Bound::One(n, v) if &**n == name => return Some(v),
                Bound::One(..) => {}
                Bound::Many(bs) => {
                    if let Some((_, v)) = bs.iter().rev().find(|(n, _)| &**n == name) {
                        return Some(v);
                    }
                }
            }
            at = f.next.as_deref();
        }
        None
    }
}

impl Drop for Scope {
    /// Frees a long list frame by frame rather than recursively.
    fn drop(&mut self) {
        let mut next = self.head.take();
        while let Some(f) = next {
            match Rc::try_unwrap(f) {
                Ok(mut frame) => next = frame.next.take(),
                Err(_) => break,
            }
        }
    }
}

const BUILTINS: &[&str] = &[
    "success",
    "failure",
    "always",
    "cancelled",
    "changed",
    "succeeded",
    "failed",
    "skipped",
];
const NAMESPACES: &[(&str, Namespace)] = &[
    ("git", Namespace::Git),
    ("inputs", Namespace::Inputs),
    ("secrets", Namespace::Secrets),
    ("images", Namespace::Images),
    ("std", Namespace::Std),
    ("run", Namespace::Run),
    ("project", Namespace::Project),
];

impl Ctx<'_> {
    pub fn eval(&mut self, e: &Expr, scope: &Scope) -> V {
        let span = e.span;
        match &e.kind {
            ExprKind::Str(s) => self.eval_str(s, scope),
            ExprKind::Int(n) => V::new(VK::Int(*n), span),
            ExprKind::Bool(b) => V::new(VK::Bool(*b), span),
            ExprKind::None => V::new(VK::None, span),
            ExprKind::Duration { millis, .. } => V::new(VK::Duration(*millis), span),
            ExprKind::Percent(p) => V::new(VK::Percent(*p), span),
            ExprKind::List(items) => {
                let vs = items.iter().map(|i| self.eval(i, scope)).collect();
                V::new(VK::List(vs), span)
            }
            ExprKind::Record(body) => {
                V::new(VK::Record(Rc::new(self.eval_record(body, scope))), span)
            }
            ExprKind::Tagged(tag, body) => V::new(
                VK::Tagged(tag.name.clone(), Rc::new(self.eval_record(body, scope))),
                span,
            ),
            ExprKind::Ident(id) => self.lookup(&id.name, span, scope),
            ExprKind::Member(base, m) => {
                let b = self.eval(base, scope);
                self.member(b, m, span)
            }
            ExprKind::Call(f, args) => {
                let fv = self.eval(f, scope);
                let mut vals = Vec::new();
                for a in args {
                    let v = self.eval(&a.value, scope);
                    vals.push((a.name.as_ref().map(|n| (n.name.clone(), n.span)), v));
                }
                self.call(fv, vals, span)
            }
            ExprKind::Paren(inner) => {
                let mut v = self.eval(inner, scope);
                v.span = span;
                v
            }
            ExprKind::Not(inner) => {
                let v = self.eval(inner, scope);
                match v.kind {
                    VK::Bool(b) => V::new(VK::Bool(!b), span),
                    VK::Error => V::error(span),
                    _ => match self.to_cond(&v) {
                        Some(c) => V::new(VK::Cond(Cond::Not(Box::new(c))), span),
                        None => V::error(span),
                    },
                }
            }
            ExprKind::Binary(op, l, r) => {
                let lv = self.eval(l, scope);
                let rv = self.eval(r, scope);
                self.binary(*op, lv, rv, span)
            }
        }
    }

    /// Evaluates the fields of a record literal; declarations inside are reported.
    pub fn eval_record(&mut self, body: &Body, scope: &Scope) -> Record {
        let mut rec = Record::default();
        for stmt in &body.stmts {
            match &stmt.kind {
                StmtKind::Attr { key, value } => {
                    if let Some((first, _)) = rec.get(&key.name) {
                        let d = Diagnostic::new(
                            Code::Duplicate,
                            key.span,
                            format!("`{}` is set twice", key.name),
                        )
                        .label("set again here")
                        .secondary(*first, "first set here");
                        self.diags.push(d);
                        continue;
                    }
                    let v = self.eval(value, scope);
                    rec.insert(key.name.clone(), (key.span, v));
                }
                _ => self.diags.push(
                    Diagnostic::new(
                        Code::UnknownKeyword,
                        stmt.span,
                        "only `name = value` fields can appear in a value",
                    )
                    .label("not a field"),
                ),
            }
        }
        rec
    }

    pub(super) fn eval_str(&mut self, s: &StrLit, scope: &Scope) -> V {
        // Text known now is gathered as plain text; the first run-time value starts a template.
        // Room for the literal text and a short value per hole saves regrowing the buffer.
        let room = s.parts.iter().fold(0, |n, part| match part {
            StrPart::Text(x) => n + x.len(),
            StrPart::Interp(_) => n + 16,
        });
        let mut text = String::with_capacity(room);
        let mut tmpl: Option<Template> = None;
        for part in &s.parts {
            match part {
                StrPart::Text(x) => match &mut tmpl {
                    Some(t) => t.push_lit(x),
                    None => text.push_str(x),
                },
                StrPart::Interp(e) => {
                    // A local (or a field of a local record) that has text is read in place.
                    if let Some(v) = peek(e, scope).filter(|v| has_text(v)) {
                        if tmpl.is_none() && self.push_const_text(v, &mut text) {
                            continue;
                        }
                        let t =
                            tmpl.get_or_insert_with(|| Template::lit(std::mem::take(&mut text)));
                        self.interpolate(v, t);
                        continue;
                    }
                    let v = self.eval(e, scope);
                    if tmpl.is_none() && self.push_const_text(&v, &mut text) {
                        continue;
                    }
                    let t = tmpl.get_or_insert_with(|| Template::lit(std::mem::take(&mut text)));
                    if !self.interpolate(&v, t) {
                        return V::error(s.span);
                    }
                }
            }
        }
        match tmpl {
            None => V::new(VK::Str(text), s.span),
            Some(t) => match into_literal(t) {
                Ok(lit) => V::new(VK::Str(lit), s.span),
                Err(t) => V::new(VK::Tmpl(t), s.span),
            },
        }
    }

    /// Appends the text of a value known at compile time, as [`Ctx::interpolate`] would;
    /// `false` (and nothing appended) for any other value.
    fn push_const_text(&self, v: &V, out: &mut String) -> bool {
        use std::fmt::Write;
        match &v.kind {
            VK::Str(s) | VK::Image(s) | VK::PinnedImage(s) => out.push_str(s),
            VK::Int(n) => {
                let _ = write!(out, "{n}");
            }
            VK::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            VK::Percent(p) => {
                let _ = write!(out, "{p}");
            }
            VK::Service(i) => out.push_str(&self.services[*i].name),
            VK::Env(i) => out.push_str(&self.envs[*i].name),
            VK::RegImage(r, repo) => out.push_str(&self.registries[*r].image(repo)),
            _ => return false,
        }
        true
    }

    /// Appends a value's text to a template; reports values that have no text.
    pub fn interpolate(&mut self, v: &V, t: &mut Template) -> bool {
        match &v.kind {
            VK::Str(s) => t.push_lit(s),
            VK::Tmpl(x) => t.append(x),
            VK::Int(n) => t.push_lit(&n.to_string()),
            VK::Bool(b) => t.push_lit(if *b { "true" } else { "false" }),
            VK::Percent(p) => t.push_lit(&p.to_string()),
            VK::Service(i) => t.push_lit(&self.services[*i].name),
            VK::Env(i) => t.push_lit(&self.envs[*i].name),
            VK::Image(s) | VK::PinnedImage(s) => t.push_lit(s),
            VK::Secret(name) => t.push_ref(Ref::Secret(name.clone())),
            VK::Event(path) if !path.is_empty() => t.push_ref(Ref::Event(path.clone())),
            VK::RegImage(r, repo) => {
                let image = self.registries[*r].image(repo);
                t.push_lit(&image);
            }
            VK::Error => return false,
            VK::Sym(name) => {
                self.unknown_name(name, v.span);
                return false;
            }
            _ => {
                let d = Diagnostic::new(
                    Code::TypeMismatch,
                    v.span,
                    format!("{} cannot be put in a string", v.describe()),
                )
                .label("has no text form");
                self.diags.push(d);
                return false;
            }
        }
        true
    }

    /// Reports an unknown name with the closest known one.
    pub fn unknown_name(&mut self, name: &str, span: Span) {
        let mut candidates: Vec<String> = self.value_names();
        candidates.extend(BUILTINS.iter().map(|s| s.to_string()));
        candidates.extend(NAMESPACES.iter().map(|(s, _)| s.to_string()));
        let d = Diagnostic::new(
            Code::UnknownName,
            span,
            format!("cannot find `{name}` in this scope"),
        )
        .label("not declared")
        .did_you_mean(name, candidates.iter().map(String::as_str));
        self.diags.push(d);
    }

    fn lookup(&mut self, name: &str, span: Span, scope: &Scope) -> V {
        if let Some(v) = scope.get(name) {
            let mut v = v.clone();
            v.span = span;
            return v;
        }
        if let Some(kind) = self.global(name) {
            if let VK::Service(i) = kind {
                if i >= self.services.len() {
                    return self.service_not_yet(name, span);
                }
            }
            return V::new(kind, span);
        }
        if name == "services" {
            return V::new(VK::Services { changed: false }, span);
        }
        if name == "event" {
            return V::new(VK::Event(String::new()), span);
        }
        if let Some((_, ns)) = NAMESPACES.iter().find(|(n, _)| *n == name) {
            return V::new(VK::Namespace(*ns), span);
        }
        if let Some(b) = BUILTINS.iter().find(|b| **b == name) {
            return V::new(VK::Builtin(b), span);
        }
        V::new(VK::Sym(name.to_string()), span)
    }

    /// A service read where it is not checked yet: in the project, a registry, an
    /// environment, or a service declared before it.
    fn service_not_yet(&mut self, name: &str, span: Span) -> V {
        let d = Diagnostic::new(
            Code::TypeMismatch,
            span,
            format!("service `{name}` cannot be used here"),
        )
        .label("not checked yet at this point")
        .help(
            "the project, registries and environments are checked before the services, and \
             services in the order they are declared: read a service in a later service, a \
             deployment or a pipeline",
        );
        self.diags.push(d);
        V::error(span)
    }

    fn member(&mut self, base: V, m: &Member, span: Span) -> V {
        let name = match m {
            Member::Name(n) => n,
            Member::Star(s) => {
                return match base.kind {
                    VK::Job(JobSel::One(j, _)) | VK::Job(JobSel::All(j)) => {
                        V::new(VK::Job(JobSel::All(j)), span)
                    }
                    VK::Error => V::error(span),
                    _ => {
                        let d = Diagnostic::new(
                            Code::TypeMismatch,
                            *s,
                            format!("`.*` applies to jobs, not to {}", base.describe()),
                        )
                        .label("not a job");
                        self.diags.push(d);
                        V::error(span)
                    }
                };
            }
        };
        let field = name.name.as_str();
        let fspan = name.span;
        let res = match &base.kind {
            VK::Error => return V::error(span),
            VK::Sym(s) => {
                self.unknown_name(s, base.span);
                return V::error(span);
            }
            VK::Namespace(ns) => self.namespace_member(*ns, field, fspan),
            VK::Module(m) => self.module_member(m, field, fspan),
            VK::Service(i) => self.service_member(*i, field, fspan),
            VK::Services { changed: false } if field == "changed" => {
                Ok(VK::Services { changed: true })
            }
            VK::Env(i) => {
                let e = &self.envs[*i];
                match field {
                    "name" => Ok(VK::Str(e.name.clone())),
                    "namespace" => Ok(VK::Str(e.namespace.clone())),
                    _ => Err(vec!["name", "namespace"]),
                }
            }
            VK::Registry(r) if field == "image" => Ok(VK::RegistryImage(*r)),
            VK::Event(path) => {
                let p = if path.is_empty() {
                    field.to_string()
                } else {
                    format!("{path}.{field}")
                };
                Ok(VK::Event(p))
            }
            VK::Job(sel) => return self.job_result(sel.clone(), field, fspan, span),
            VK::Record(rec) | VK::Tagged(_, rec) => match rec.get(field) {
                Some((_, v)) => Ok(v.kind.clone()),
                None => {
                    let names: Vec<&str> = rec.keys().map(String::as_str).collect();
                    let d = Diagnostic::new(
                        Code::UnknownField,
                        fspan,
                        format!("this record has no field `{field}`"),
                    )
                    .label("unknown field")
                    .did_you_mean(field, names);
                    self.diags.push(d);
                    return V::error(span);
                }
            },
            _ => {
                let d = Diagnostic::new(
                    Code::UnknownField,
                    fspan,
                    format!("{} has no field `{field}`", base.describe()),
                )
                .label("unknown field");
                self.diags.push(d);
                return V::error(span);
            }
        };
        match res {
            Ok(kind) => V::new(kind, span),
            Err(candidates) => {
                let d = Diagnostic::new(
                    Code::UnknownField,
                    fspan,
                    format!("{} has no field `{field}`", base.describe()),
                )
                .label("unknown field")
                .did_you_mean(field, candidates.iter().copied());
                self.diags.push(d);
                V::error(span)
            }
        }
    }

    fn service_member(&self, i: usize, field: &str, _span: Span) -> Result<VK, Vec<&'static str>> {
        let s = &self.services[i];
        Ok(match field {
            "name" => VK::Str(s.name.clone()),
            "path" => VK::Str(s.path.clone()),
            "image" => VK::Image(s.image.clone()),
            "port" => VK::Int(s.port.map_or(0, i64::from)),
            "version" => VK::Str(s.toolchain.version.clone()),
            "toolchain" => VK::Str(s.toolchain.kind.as_str().to_string()),
            "dockerfile" => VK::Str(s.dockerfile.clone()),
            "repository" => VK::Str(s.repository.clone()),
            _ => return Err(SERVICE_FIELDS.to_vec()),
        })
    }

    fn namespace_member(
        &mut self,
        ns: Namespace,
        field: &str,
        span: Span,
    ) -> Result<VK, Vec<&'static str>> {
        match ns {
            Namespace::Git => {
                let f = match field {
                    "sha" => GitField::Sha,
                    "short_sha" => GitField::ShortSha,
                    "ref" => GitField::Ref,
                    "ref_name" | "branch" | "tag" => GitField::RefName,
                    "repository" => GitField::Repository,
                    "repo_url" => GitField::RepoUrl,
                    "actor" => GitField::Actor,
                    _ => {
                        return Err(vec![
                            "sha",
                            "short_sha",
                            "ref",
                            "ref_name",
                            "branch",
                            "tag",
                            "repository",
                            "repo_url",
                            "actor",
                        ])
                    }
                };
                Ok(VK::Tmpl(Template::of_ref(Ref::Git(f))))
            }
            Namespace::Project => {
                let p = &self.project_ir;
                let r = &self.routing;
                Ok(VK::Str(match field {
                    "name" => p.name.clone(),
                    "app_repo" => p.app_repo.clone(),
                    "gitops_repo" => p.gitops_repo.clone(),
                    "branch" => p.default_branch.clone(),
                    "kustomize_path" => r.kustomize.clone(),
                    "argocd_path" => r.argocd.clone(),
                    "single_repo" => return Ok(VK::Bool(p.single_repo())),
                    _ => {
                        return Err(vec![
                            "name",
                            "app_repo",
                            "gitops_repo",
                            "branch",
                            "kustomize_path",
                            "argocd_path",
                            "single_repo",
                        ])
                    }
                }))
            }
            Namespace::Run => match field {
                "id" => Ok(VK::Tmpl(Template::of_ref(Ref::RunId))),
                _ => Err(vec!["id"]),
            },
            Namespace::Inputs => {
                if self.inputs.iter().any(|i| i == field) {
                    Ok(VK::Tmpl(Template::of_ref(Ref::Input(field.to_string()))))
                } else {
                    let names: Vec<String> = self.inputs.clone();
                    let d = Diagnostic::new(
                        Code::UnknownName,
                        span,
                        format!("this pipeline has no input `{field}`"),
                    )
                    .label("not an input of this pipeline")
                    .did_you_mean(field, names.iter().map(String::as_str));
                    self.diags.push(d);
                    Ok(VK::Error)
                }
            }
            Namespace::Secrets if field == "GITHUB_TOKEN" => Ok(VK::Secret(field.to_string())),
            Namespace::Secrets => {
                if !self.used_secrets.contains(field) {
                    self.used_secrets.insert(field.to_string());
                }
                if !self.secrets.contains_key(field) {
                    let names: Vec<String> = self.secrets.keys().cloned().collect();
                    let d = Diagnostic::new(
                        Code::UndeclaredSecret,
                        span,
                        format!("the secret `{field}` is not declared"),
                    )
                    .label("not declared")
                    .did_you_mean(field, names.iter().map(String::as_str));
                    let d = if d.help.is_none() {
                        d.help(format!("declare it: `secret {field}`"))
                    } else {
                        d
                    };
                    self.diags.push(d);
                    return Ok(VK::Error);
                }
                Ok(VK::Secret(field.to_string()))
            }
            Namespace::Images => match self.images.get(field) {
                Some(img) => Ok(VK::PinnedImage(img.reference.clone())),
                None => {
                    let names: Vec<String> = self.images.keys().cloned().collect();
                    let d = Diagnostic::new(
                        Code::UnknownName,
                        span,
                        format!("no image `{field}` is pinned"),
                    )
                    .label("not in the image pin table")
                    .did_you_mean(field, names.iter().map(String::as_str));
                    self.diags.push(d);
                    Ok(VK::Error)
                }
            },
            Namespace::Std => {
                if self.modules.contains_key(field) {
                    Ok(VK::Module(field.into()))
                } else {
                    let names: Vec<String> = self.modules.keys().cloned().collect();
                    let d = Diagnostic::new(
                        Code::UnknownModule,
                        span,
                        format!("the standard library has no module `{field}`"),
                    )
                    .label("unknown module")
                    .did_you_mean(field, names.iter().map(String::as_str));
                    self.diags.push(d);
                    Ok(VK::Error)
                }
            }
        }
    }

    fn module_member(&mut self, m: &str, field: &str, span: Span) -> Result<VK, Vec<&'static str>> {
        if let Some(key) = self.qualified_task(m, field) {
            return Ok(VK::Task(key));
        }
        let prefix = format!("{m}.");
        let names: Vec<String> = self
            .tasks
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix))
            .map(str::to_string)
            .collect();
        let d = Diagnostic::new(
            Code::UnknownName,
            span,
            format!("the module `{m}` has no task `{field}`"),
        )
        .label("not in this module")
        .did_you_mean(field, names.iter().map(String::as_str));
        self.diags.push(d);
        Ok(VK::Error)
    }

    pub(super) fn call(&mut self, f: V, args: Vec<(Option<(String, Span)>, V)>, span: Span) -> V {
        match &f.kind {
            VK::Error => V::error(span),
            VK::Sym(s) => {
                self.unknown_name(s, f.span);
                V::error(span)
            }
            VK::Task(key) => V::new(
                VK::Call(Rc::new(CallV {
                    task: key.clone(),
                    task_span: f.span,
                    args,
                })),
                span,
            ),
            VK::Builtin(name) => self.builtin(name, args, span),
            VK::RegistryImage(r) => match args.as_slice() {
                [(
                    None,
                    V {
                        kind: VK::Str(repo),
                        ..
                    },
                )] => V::new(VK::RegImage(*r, repo.clone()), span),
                [(None, v)] => self.mismatch(v, "an image repository name (a string)"),
                _ => {
                    let d = Diagnostic::new(
                        Code::ArgumentCount,
                        span,
                        "`image` takes one argument: the repository name",
                    )
                    .label("wrong arguments");
                    self.diags.push(d);
                    V::error(span)
                }
            },
            _ => {
                let d = Diagnostic::new(
                    Code::TypeMismatch,
                    f.span,
                    format!("{} cannot be called", f.describe()),
                )
                .label("not a task or function");
                self.diags.push(d);
                V::error(span)
            }
        }
    }

    fn builtin(&mut self, name: &str, args: Vec<(Option<(String, Span)>, V)>, span: Span) -> V {
        let arity = match name {
            "success" | "failure" | "always" | "cancelled" => 0,
            _ => 1,
        };
        if args.len() != arity {
            let d = Diagnostic::new(
                Code::ArgumentCount,
                span,
                format!(
                    "`{name}` takes {arity} argument{}, not {}",
                    if arity == 1 { "" } else { "s" },
                    args.len()
                ),
            )
            .label("wrong number of arguments");
            self.diags.push(d);
            return V::error(span);
        }
        let cond = match name {
            "success" => Cond::Success,
            "failure" => Cond::Failure,
            "always" => Cond::Always,
            "cancelled" => Cond::Not(Box::new(Cond::Always)),
            "changed" => match &args[0].1.kind {
                VK::Service(i) => {
                    return V::new(
                        VK::Cond(Cond::Changed {
                            job: usize::MAX,
                            service: *i,
                        }),
                        span,
                    )
                }
                VK::Error => return V::error(span),
                _ => return self.mismatch(&args[0].1, "a service"),
            },
            _ => {
                let status = match name {
                    "succeeded" => JobStatus::Success,
                    "failed" => JobStatus::Failure,
                    _ => JobStatus::Skipped,
                };
                return match &args[0].1.kind {
                    VK::Job(sel) => match self.resolve_job(sel, args[0].1.span) {
                        Some(job) => V::new(VK::Cond(Cond::JobStatus { job, status }), span),
                        None => V::error(span),
                    },
                    VK::Sym(s) => {
                        self.unknown_job(s, args[0].1.span);
                        V::error(span)
                    }
                    VK::Error => V::error(span),
                    _ => self.mismatch(&args[0].1, "a job"),
                };
            }
        };
        V::new(VK::Cond(cond), span)
    }

    /// Reports a value of the wrong type and returns an error value.
    pub fn mismatch(&mut self, v: &V, expected: &str) -> V {
        if !matches!(v.kind, VK::Error) {
            if let VK::Sym(s) = &v.kind {
                let s = s.clone();
                self.unknown_name(&s, v.span);
            } else {
                let d = Diagnostic::new(
                    Code::TypeMismatch,
                    v.span,
                    format!("expected {expected}, found {}", v.describe()),
                )
                .label(format!("expected {expected}"));
                self.diags.push(d);
            }
        }
        V::error(v.span)
    }

    fn binary(&mut self, op: BinOp, l: V, r: V, span: Span) -> V {
        if matches!(l.kind, VK::Error) || matches!(r.kind, VK::Error) {
            return V::error(span);
        }
        match op {
            BinOp::Eq | BinOp::Ne => {
                if let (Some(a), Some(b)) = (self.const_text(&l), self.const_text(&r)) {
                    return V::new(VK::Bool((a == b) == (op == BinOp::Eq)), span);
                }
                let (Some(a), Some(b)) = (self.to_template(&l), self.to_template(&r)) else {
                    return V::error(span);
                };
                let c = if op == BinOp::Eq {
                    Cond::Eq(a, b)
                } else {
                    Cond::Ne(a, b)
                };
                V::new(VK::Cond(c), span)
            }
            BinOp::And | BinOp::Or => {
                if let (VK::Bool(a), VK::Bool(b)) = (&l.kind, &r.kind) {
                    let v = if op == BinOp::And { *a && *b } else { *a || *b };
                    return V::new(VK::Bool(v), span);
                }
                let (Some(a), Some(b)) = (self.to_cond(&l), self.to_cond(&r)) else {
                    return V::error(span);
                };
                let c = if op == BinOp::And {
                    Cond::And(vec![a, b])
                } else {
                    Cond::Or(vec![a, b])
                };
                V::new(VK::Cond(c), span)
            }
        }
    }

    fn const_text(&self, v: &V) -> Option<String> {
        match &v.kind {
            VK::Str(s) => Some(s.clone()),
            VK::Int(n) => Some(n.to_string()),
            VK::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A value as a run condition (`Bool` folds to `Always` or a never-true condition).
    pub fn to_cond(&mut self, v: &V) -> Option<Cond> {
        match &v.kind {
            VK::Cond(c) => Some(c.clone()),
            VK::Bool(true) => Some(Cond::Always),
            VK::Bool(false) => Some(Cond::Not(Box::new(Cond::Always))),
            VK::Tmpl(t) => Some(Cond::Truthy(t.clone())),
            VK::Error => None,
            _ => {
                self.mismatch(v, "a condition");
                None
            }
        }
    }

    /// [`Ctx::to_template`] of a value that is no longer needed: text and run-time strings are
    /// moved, not copied.
    pub fn into_template(&mut self, v: V) -> Option<Template> {
        match v.kind {
            VK::Str(s) => Some(Template::lit(s)),
            VK::Tmpl(t) => Some(t),
            _ => self.to_template(&v),
        }
    }

    /// The fields of a record value as templates, in written order, each converted as
    /// [`Ctx::to_template`] does (a field that does not convert is reported and left out). A
    /// record no other value shares is taken apart rather than copied.
    pub fn template_fields(&mut self, v: V) -> Vec<(String, Template)> {
        let Some(rec) = self.record_(&v) else {
            return Vec::new();
        };
        drop(v);
        let mut out = Vec::with_capacity(rec.len());
        match Rc::try_unwrap(rec) {
            Ok(rec) => {
                for (k, (_, val)) in rec {
                    if let Some(t) = self.into_template(val) {
                        out.push((k, t));
                    }
                }
            }
            Err(rec) => {
                for (k, (_, val)) in rec.iter() {
                    if let Some(t) = self.to_template(val) {
                        out.push((k.clone(), t));
                    }
                }
            }
        }
        out
    }

    /// A value as a string template (constant strings, numbers and run-time strings).
    pub fn to_template(&mut self, v: &V) -> Option<Template> {
        let mut t = Template::default();
        match &v.kind {
            // What interpolating into an empty template gives, without rebuilding it.
            VK::Str(s) => Some(Template::lit(s.as_str())),
            VK::Tmpl(x) => Some(x.clone()),
            VK::Int(_) | VK::Bool(_) | VK::Service(_) | VK::Env(_) => {
                if self.interpolate(v, &mut t) {
                    Some(t)
                } else {
                    None
                }
            }
            VK::Image(s) | VK::PinnedImage(s) => Some(Template::lit(s.clone())),
            VK::RegImage(r, repo) => Some(Template::lit(self.registries[*r].image(repo))),
            VK::Secret(name) => Some(Template::of_ref(Ref::Secret(name.clone()))),
            VK::Event(path) => Some(Template::of_ref(Ref::Event(path.clone()))),
            VK::Error => None,
            _ => {
                self.mismatch(v, "a string");
                None
            }
        }
    }
}

/// The text of a template that holds no reference (moved out, not copied); the template
/// itself otherwise.
fn into_literal(t: Template) -> Result<String, Template> {
    if t.refs().next().is_some() {
        return Err(t);
    }
    let mut out = String::new();
    for p in t.parts {
        if let crate::ir::TemplatePart::Lit(s) = p {
            if out.is_empty() {
                out = s;
            } else {
                out.push_str(&s);
            }
        }
    }
    Ok(out)
}

/// The value of `e` when it names a local, or a field of a local record, without evaluating
/// (and so copying) it.
fn peek<'s>(e: &Expr, scope: &'s Scope) -> Option<&'s V> {
    match &e.kind {
        ExprKind::Ident(id) => scope.get(&id.name),
        ExprKind::Member(base, Member::Name(field)) => {
            let ExprKind::Ident(id) = &base.kind else {
                return None;
            };
            match &scope.get(&id.name)?.kind {
                VK::Record(rec) | VK::Tagged(_, rec) => rec.get(&field.name).map(|(_, v)| v),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Whether [`Ctx::interpolate`] puts text for `v` without reporting anything (so without
/// looking at its span).
fn has_text(v: &V) -> bool {
    match &v.kind {
        VK::Str(_)
        | VK::Tmpl(_)
        | VK::Int(_)
        | VK::Bool(_)
        | VK::Percent(_)
        | VK::Service(_)
        | VK::Env(_)
        | VK::Image(_)
        | VK::PinnedImage(_)
        | VK::Secret(_)
        | VK::RegImage(..) => true,
        VK::Event(path) => !path.is_empty(),
        _ => false,
    }
}
