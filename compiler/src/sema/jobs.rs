//! Job details: matrices (with axes over services), service containers, and the built-in
//! change-detection job.
//!
//! Invariant: inside a job whose matrix runs over services, every service attribute that is read
//! is a constant or a run-time value built from the matrix value; an attribute that differs
//! between the services in any other way is reported where it is read (E0036).

use super::eval::Scope;
use super::fields::Fields;
use super::pipeline::JobInfo;
use super::value::{Record, V, VK};
use super::Ctx;
use crate::diagnostics::{Code, Diagnostic, Span};
use crate::ir::{self, Ref, Template};
use indexmap::IndexMap;
use std::borrow::Cow;
use std::rc::Rc;

const MATRIX_OPTIONS: &[&str] = &["include", "exclude", "fail_fast", "max_parallel"];

impl<'a> Ctx<'a> {
    /// `matrix { axis = [...]; include = [...]; fail_fast = false }`; an axis over `services` or
    /// `services.changed` is also returned as a [`ServiceAxis`].
    pub(super) fn matrix(
        &mut self,
        f: &Fields<'a>,
        scope: &Scope,
    ) -> Option<(ir::Matrix, Vec<ServiceAxis>)> {
        let d = f.decls.iter().find(|d| d.keyword.name == "matrix")?;
        let body = d.body.as_ref()?;
        let rec = self.eval_record(body, scope);
        let mut m = ir::Matrix {
            axes: IndexMap::new(),
            include: Vec::new(),
            exclude: Vec::new(),
            fail_fast: true,
            max_parallel: None,
        };
        let mut services = Vec::new();
        for (k, (kspan, v)) in rec.iter() {
            if let VK::Services { changed } = v.kind {
                if let Some(axis) = self.service_axis(k, *kspan, changed) {
                    m.axes.insert(k.clone(), axis.0);
                    services.push(axis.1);
                }
                continue;
            }
            match k.as_str() {
                "include" | "exclude" => {
                    let rows: Vec<IndexMap<String, String>> =
                        self.list_(v).iter().map(|r| self.string_map_(r)).collect();
                    if k == "include" {
                        m.include = rows
                    } else {
                        m.exclude = rows
                    }
                }
                "fail_fast" => m.fail_fast = self.bool_(v).unwrap_or(true),
                "max_parallel" => {
                    m.max_parallel = self.int_in(v, 1, 256, "max_parallel").map(|n| n as u32)
                }
                _ => {
                    let values: Vec<String> = self
                        .list_(v)
                        .iter()
                        .filter_map(|x| match &x.kind {
                            VK::Int(n) => Some(n.to_string()),
                            VK::Service(s) => Some(self.services[*s].name.clone()),
                            _ => self.str_(x),
                        })
                        .collect();
                    m.axes.insert(k.clone(), ir::MatrixAxis::Values(values));
                }
            }
        }
        if m.axes.is_empty() && m.include.is_empty() {
            let d = Diagnostic::new(
                Code::MissingField,
                d.keyword.span,
                "a matrix needs at least one axis",
            )
            .label("no axis")
            .help(format!(
                "write e.g. `matrix {{ version = [\"17\", \"21\"] }}`; the options are {}",
                MATRIX_OPTIONS.join(", ")
            ));
            self.diags.push(d);
            return None;
        }
        Some((m, services))
    }

    /// The job's matrix, with `matrix.AXIS` bound in `scope`; a matrix over the changed
    /// services cannot be expressed on Tekton.
    pub(super) fn job_matrix(
        &mut self,
        f: &Fields<'a>,
        scope: &mut Scope,
        info: &JobInfo,
        targets: &[ir::Target],
    ) -> (Option<ir::Matrix>, Vec<ServiceAxis>) {
        let Some((m, axes)) = self.matrix(f, scope) else {
            return (None, Vec::new());
        };
        let mut rec = super::value::Record::default();
        for axis in m.axes.keys().chain(m.include.iter().flat_map(|r| r.keys())) {
            let v = V::new(
                VK::Tmpl(Template::of_ref(Ref::Matrix(axis.clone()))),
                info.span,
            );
            rec.insert(axis.clone(), (info.span, v));
        }
        scope.push(
            "matrix",
            V::new(VK::Record(std::rc::Rc::new(rec)), info.span),
        );
        if targets.contains(&ir::Target::Tekton) {
            if m.include.iter().chain(&m.exclude).next().is_some() {
                self.unsupported(info.span, ir::Target::Tekton, "matrix include/exclude rows");
            }
            if let Some(a) = axes.iter().find(|a| a.changed) {
                self.unsupported(
                    a.span,
                    ir::Target::Tekton,
                    "a matrix over the changed services",
                );
            }
        }
        (Some(m), axes)
    }

    /// The axis `name = services` (every service) or `name = services.changed` (the services
    /// the change-detection job found changed, known only at run time).
    fn service_axis(
        &mut self,
        name: &str,
        span: Span,
        changed: bool,
    ) -> Option<(ir::MatrixAxis, ServiceAxis)> {
        let services: Vec<usize> = (0..self.services.len()).collect();
        let axis = if changed {
            let Some(job) = self
                .jobs
                .decls
                .get("changes")
                .and_then(|v| v.first().copied())
            else {
                let d = Diagnostic::new(
                    Code::UnknownName,
                    span,
                    "a matrix over `services.changed` needs a change-detection job",
                )
                .label("no job named `changes` in this pipeline")
                .help("write the axis as `services.changed`, which adds the change-detection job");
                self.diags.push(d);
                return None;
            };
            ir::MatrixAxis::Changed {
                job,
                result: "changes".into(),
            }
        } else {
            ir::MatrixAxis::Values(
                services
                    .iter()
                    .map(|&s| self.services[s].name.clone())
                    .collect(),
            )
        };
        let info = ServiceAxis {
            name: name.to_string(),
            services,
            changed,
            span,
        };
        Some((axis, info))
    }

    /// The value a service axis's name stands for inside its job: a record of the service's
    /// attributes, each a constant when every service agrees, a run-time value built from
    /// `matrix.AXIS` when it is the service's name inside a fixed text, and otherwise a marker
    /// that [`Ctx::check_matrix_value`] and [`Ctx::check_matrix_reads`] report when read.
    pub(super) fn service_axis_value(&self, axis: &ServiceAxis) -> V {
        let mut rec = Record::default();
        for field in super::eval::SERVICE_FIELDS {
            let pairs: Vec<(&str, Cow<str>)> = axis
                .services
                .iter()
                .map(|&s| (self.services[s].name.as_str(), self.service_text(s, field)))
                .collect();
            let kind = match derive(&pairs, &axis.name) {
                Derived::Const(v) if *field == "port" => VK::Int(v.parse().unwrap_or(0)),
                Derived::Const(v) if *field == "image" => VK::Image(v),
                Derived::Const(v) => VK::Str(v),
                Derived::Tmpl(t) => VK::Tmpl(t),
                Derived::Varies => VK::Tmpl(Template::of_ref(Ref::Matrix(format!(
                    "{}.{field}",
                    axis.name
                )))),
            };
            rec.insert(field.to_string(), (axis.span, V::new(kind, axis.span)));
        }
        V::new(VK::Record(Rc::new(rec)), axis.span)
    }

    fn service_field(&self, s: usize, field: &str) -> String {
        self.service_text(s, field).into_owned()
    }

    /// A service attribute as text, copied only when it is computed (the port).
    fn service_text(&self, s: usize, field: &str) -> Cow<'_, str> {
        let svc = &self.services[s];
        Cow::Borrowed(match field {
            "name" => &svc.name,
            "path" => &svc.path,
            "image" => &svc.image,
            "port" => return Cow::Owned(svc.port.map_or(String::new(), |p| p.to_string())),
            "version" => &svc.toolchain.version,
            "toolchain" => svc.toolchain.kind.as_str(),
            "dockerfile" => &svc.dockerfile,
            _ => &svc.repository,
        })
    }

    /// Reports a value that reads a service attribute no run-time value stands for.
    pub(super) fn check_matrix_value(&mut self, v: &V, axes: &[ServiceAxis]) {
        let mut found = Vec::new();
        collect_varying(v, &mut found);
        for (axis, field) in found {
            self.varying(axes, &axis, &field, v.span, None);
        }
    }

    /// After a task call in a matrix over services: a service attribute with no run-time value
    /// that the task's realisations read is reported at the argument that passed the service;
    /// one they never read is passed as empty text.
    pub(super) fn check_matrix_reads(
        &mut self,
        task: usize,
        call: &super::value::CallV,
        args: &mut ir::Args,
        axes: &[ServiceAxis],
        targets: &[ir::Target],
    ) {
        if axes.is_empty() {
            return;
        }
        let read = self.params_read(task, targets, args.keys());
        let call_args = &call.args;
        for ((param, t), read) in args.iter_mut().zip(read) {
            let Some((axis, field)) = t.refs().find_map(varying_ref) else {
                continue;
            };
            // Only the fields of a service passed whole; other arguments were checked as written.
            if !param.ends_with(&format!("-{field}")) {
                continue;
            }
            if !read {
                *t = Template::default();
                continue;
            }
            let span = call_args
                .iter()
                .map(|(_, v)| v)
                .find(|v| matches!(&v.kind, VK::Record(r) if r.contains_key(&field)))
                .map_or(axes[0].span, |v| v.span);
            self.varying(axes, &axis, &field, span, Some(&*call.task));
        }
    }

    /// Reports the inline steps of a job in a matrix over services that read an attribute with
    /// no run-time value.
    pub(super) fn check_matrix_steps(&mut self, task: usize, span: Span, axes: &[ServiceAxis]) {
        if axes.is_empty() {
            return;
        }
        let mut found = Vec::new();
        let def = &self.task_defs[task];
        for step in def.github.iter().chain(def.tekton.iter()).flatten() {
            super::checks::step_templates(step, &mut |t| {
                found.extend(t.refs().filter_map(varying_ref));
            });
        }
        found.sort();
        found.dedup();
        for (axis, field) in found {
            self.varying(axes, &axis, &field, span, None);
        }
    }

    /// Parameters a task's realisations for `targets` read.
    /// Which of `params` the task's realisations for `targets` read.
    fn params_read<'p>(
        &self,
        task: usize,
        targets: &[ir::Target],
        params: impl Iterator<Item = &'p std::sync::Arc<str>>,
    ) -> Vec<bool> {
        let def = &self.task_defs[task];
        let params: Vec<&str> = params.map(|p| &**p).collect();
        let mut read = vec![false; params.len()];
        let mut visit = |t: &Template| {
            for r in t.refs() {
                if let Ref::Param(p) = r {
                    for (i, name) in params.iter().enumerate() {
                        read[i] |= name == p;
                    }
                }
            }
        };
        let steps = targets.iter().flat_map(|t| match t {
            ir::Target::Github => def.github.iter().flatten(),
            ir::Target::Tekton => def.tekton.iter().flatten(),
        });
        for step in steps {
            super::checks::step_templates(step, &mut visit);
        }
        for p in &def.params {
            if let Some(d) = &p.default {
                visit(d);
            }
        }
        read
    }

    fn varying(
        &mut self,
        axes: &[ServiceAxis],
        axis: &str,
        field: &str,
        span: Span,
        task: Option<&str>,
    ) {
        let Some(a) = axes.iter().find(|a| a.name == axis) else {
            return;
        };
        let values: Vec<String> = a
            .services
            .iter()
            .map(|&s| {
                format!(
                    "{}: {:?}",
                    self.services[s].name,
                    self.service_field(s, field)
                )
            })
            .collect();
        let label = match task {
            Some(t) => format!("task `{t}` reads `{axis}.{field}` of the service passed here"),
            None => format!("reads `{axis}.{field}`"),
        };
        let source = if a.changed {
            "services.changed"
        } else {
            "services"
        };
        let d = Diagnostic::new(
            Code::MatrixServiceField,
            span,
            format!(
                "`{axis}.{field}` differs between the services of the matrix ({}) and cannot be computed from `matrix.{axis}`",
                values.join(", ")
            ),
        )
        .label(label)
        .secondary(a.span, "the matrix runs over these services")
        .help(format!(
            "give every service the same `{field}` (or one that is the service's name inside a fixed text), or fan the job out with `for {axis} in {source} {{ … }}`, where each job knows its service"
        ));
        self.diags.push(d);
    }

    /// `container postgres { image = images.postgres; ports = [5432]; env = {...}; health = "…" }`.
    pub(super) fn containers(&mut self, f: &Fields<'a>, scope: &Scope) -> Vec<ir::Container> {
        let mut out = Vec::new();
        for d in f.decls.iter().filter(|d| d.keyword.name == "container") {
            let Some(crate::ast::Name::Ident(id)) = &d.name else {
                self.diags.push(
                    Diagnostic::new(
                        Code::MissingField,
                        d.keyword.span,
                        "a `container` needs a name",
                    )
                    .label("name expected"),
                );
                continue;
            };
            let cf = self.fields(
                d.body.as_ref(),
                format!("container `{}`", id.name),
                id.span,
                &["image", "ports", "env", "health"],
                &[],
            );
            let Some(image) = self
                .require(&cf, "image", scope)
                .and_then(|v| self.image_ref(&v))
            else {
                continue;
            };
            let ports = self
                .get(&cf, "ports", scope)
                .map_or(Vec::new(), |v| self.list_(&v))
                .iter()
                .filter_map(|p| self.int_in(p, 1, 65535, "a port"))
                .map(|p| p as u16)
                .collect();
            let env = self
                .get(&cf, "env", scope)
                .map_or(IndexMap::new(), |v| self.container_env(&v));
            let health_cmd = self
                .get(&cf, "health", scope)
                .and_then(|v| self.into_str(v));
            out.push(ir::Container {
                name: id.name.clone(),
                image,
                ports,
                env,
                health_cmd,
            });
        }
        out
    }

    /// Container environment: plain strings only (database passwords for CI containers are
    /// throwaway values, but a declared secret is refused rather than written out).
    fn container_env(&mut self, v: &super::V) -> IndexMap<String, String> {
        self.env_map(v)
    }

    /// An environment-variable map whose credential-like names hold no literals.
    pub(super) fn env_map(&mut self, v: &super::V) -> IndexMap<String, String> {
        self.check_credential_literals(v);
        self.string_map_(v)
    }

    /// A credential-like variable (`*PASSWORD*`, `*TOKEN*`, `*SECRET*`, `*API_KEY*`...) must not
    /// hold a literal: generated files are committed and read by many.
    pub(super) fn check_credential_literals(&mut self, v: &super::V) {
        let VK::Record(rec) = &v.kind else { return };
        for (k, (_, val)) in rec.iter() {
            let literal = matches!(&val.kind, VK::Str(s) if !s.is_empty());
            if literal && looks_like_credential(k) {
                let d = Diagnostic::new(Code::SecretLeak, val.span, format!("`{k}` is a credential written as a literal"))
                    .label("this value would be committed in the generated files")
                    .help("pass a declared secret (`secrets.NAME`); a throwaway test database can use trust authentication (`POSTGRES_HOST_AUTH_METHOD = \"trust\"`)");
                self.diags.push(d);
            }
        }
    }

    /// Declares the implicit `changes` job a `for svc in services.changed` loop needs.
    pub(super) fn add_changes_job(&mut self) {
        let span = Span::default();
        let results: Rc<[String]> = std::iter::once("changes".to_string())
            .chain(self.services.iter().map(|s| s.name.clone()))
            .collect();
        self.jobs.jobs.push(JobInfo {
            id: "changes".into(),
            base: "changes".into(),
            service: None,
            results,
            span,
            finally: false,
        });
        let idx = self.jobs.jobs.len() - 1;
        self.jobs.decls.insert("changes".into(), vec![idx]);
        self.jobs.shared_names = None;
    }

    /// The lowered change-detection job: one boolean result per service and a JSON list.
    pub(super) fn changes_job(&mut self, idx: usize, runs_on: &str) -> ir::Job {
        let task = self.changes_task();
        self.edges.push(Vec::new());
        ir::Job {
            id: self.jobs.jobs[idx].id.clone(),
            name: "detect changed services".into(),
            task,
            args: ir::Args::default(),
            needs: Vec::new(),
            condition: None,
            matrix: None,
            service: None,
            environment: None,
            runs_on: runs_on.to_string(),
            containers: Vec::new(),
            timeout_minutes: Some(10),
            concurrency: None,
            finally: false,
            outputs: Vec::new(),
            permissions: Default::default(),
            checkout: None,
            call: None,
        }
    }

    fn changes_task(&mut self) -> usize {
        if let Some(i) = self
            .task_defs
            .iter()
            .position(|t| t.name == "detect-changes")
        {
            return i;
        }
        // Both texts are pieced together without `write!`, which costs several times more for
        // each of the thousands of lines a large program has.
        let push = |out: &mut String, parts: &[&str]| parts.iter().for_each(|p| out.push_str(p));
        let mut filters = String::new();
        for s in self.services.iter() {
            push(&mut filters, &[&s.name, ":\n"]);
            if s.path == "." {
                filters.push_str("  - '**'\n");
            } else {
                push(&mut filters, &["  - '", &s.path, "/**'\n"]);
            }
            for p in &s.watch {
                push(&mut filters, &["  - '", p, "'\n"]);
            }
        }
        let pin = self.pins.get("dorny/paths-filter").cloned();
        let github = pin.map(|p| {
            vec![ir::Step {
                id: "filter".into(),
                name: "find changed services".into(),
                kind: ir::StepKind::Uses {
                    action: ir::ActionRef {
                        name: "dorny/paths-filter".into(),
                        sha: p.sha,
                        version: p.version,
                    },
                    with: IndexMap::from([("filters".to_string(), Template::lit(filters))]),
                },
                env: IndexMap::new(),
                condition: None,
                writes: Vec::new(),
            }]
        });
        let mut script = String::from("set -eu\nchanged=$(git diff --name-only HEAD~1 HEAD 2>/dev/null || git ls-files)\nlist=\"\"\n");
        for s in self.services.iter() {
            let (prefix, slash) = if s.path == "." {
                ("", "")
            } else {
                (s.path.as_str(), "/")
            };
            let n = s.name.as_str();
            push(
                &mut script,
                &[
                    "if printf '%s\\n' \"$changed\" | grep -q '^",
                    prefix,
                    slash,
                    "'; then printf true > \"$(results.",
                    n,
                    ".path)\"; list=\"$list\\\"",
                    n,
                    "\\\",\"; else printf false > \"$(results.",
                    n,
                    ".path)\"; fi\n",
                ],
            );
        }
        script.push_str("printf '[%s]' \"${list%,}\" > \"$(results.changes.path)\"\n");
        let image = self.images.get("git").map_or_else(
            || "docker.io/alpine/git:2.54.0".to_string(),
            |i| i.reference.clone(),
        );
        let tekton = vec![ir::Step {
            id: "diff".into(),
            name: "find changed services".into(),
            kind: ir::StepKind::Run {
                script: Template::lit(script),
                image: Some(image),
                shell: None,
                workdir: None,
            },
            env: IndexMap::new(),
            condition: None,
            writes: Vec::new(),
        }];
        let results = std::iter::once("changes".to_string())
            .chain(self.services.iter().map(|s| s.name.clone()))
            .map(|name| ir::ResultDef {
                description: format!("whether `{name}` changed"),
                name,
                step: "filter".into(),
            })
            .collect();
        self.task_defs.push(ir::TaskDef {
            name: "detect-changes".into(),
            description: "Finds which services changed in the pushed commits.".into(),
            params: Vec::new(),
            results,
            github,
            tekton: Some(tekton),
            workspaces: Vec::new(),
            caches: Vec::new(),
            permissions: [ir::Permission::ContentsRead].into_iter().collect(),
            checkout: true,
        });
        self.task_spans.push(Span::default());
        self.task_defs.len() - 1
    }

    /// Lowers the inline task of a job.
    pub(super) fn task_index_inline(&mut self, key: &str) -> Option<usize> {
        self.inline_tasks.insert(key.to_string());
        self.task_index(key)
    }

    pub(super) fn pipeline_key(&self) -> String {
        self.current_pipeline.clone()
    }
}

/// Whether a job declares a matrix with an axis over `services.changed`, which needs the
/// change-detection job.
pub(super) fn matrix_over_changed(d: &crate::ast::Decl) -> bool {
    use crate::ast::{Expr, ExprKind, Member};
    fn is_changed(e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Paren(inner) => is_changed(inner),
            ExprKind::Member(base, Member::Name(n)) => {
                n.name == "changed"
                    && matches!(&base.kind, ExprKind::Ident(i) if i.name == "services")
            }
            _ => false,
        }
    }
    fn stmts(d: &crate::ast::Decl) -> impl Iterator<Item = &crate::ast::Stmt> {
        d.body.iter().flat_map(|b| b.stmts.iter())
    }
    stmts(d).any(|st| match &st.kind {
        crate::ast::StmtKind::Decl(m) if m.keyword.name == "matrix" => stmts(m).any(
            |a| matches!(&a.kind, crate::ast::StmtKind::Attr { value, .. } if is_changed(value)),
        ),
        _ => false,
    })
}

/// An axis of a matrix over services: inside the job, its name stands for the service of the
/// matrix cell ([`Ctx::service_axis_value`]).
#[derive(Debug, Clone)]
pub struct ServiceAxis {
    pub name: String,
    /// The services it may take: every service, since any may change.
    pub services: Vec<usize>,
    /// Over `services.changed` rather than `services`.
    pub changed: bool,
    /// The axis key.
    pub span: Span,
}

/// How one attribute is known inside a matrix over services.
#[derive(Debug, PartialEq)]
enum Derived {
    /// Every service has this value.
    Const(String),
    /// The service's name (the matrix value) inside a fixed text.
    Tmpl(Template),
    /// Neither: no run-time value stands for it.
    Varies,
}

/// An attribute from each service's (name, value): constant, or one text around the name. The
/// text is tried with every occurrence of the first service's name replaced, then with each
/// single occurrence (a name may also appear in the fixed part).
fn derive(pairs: &[(&str, Cow<str>)], axis: &str) -> Derived {
    let Some((n0, v0)) = pairs.first() else {
        return Derived::Const(String::new());
    };
    if pairs.iter().all(|(_, v)| v == v0) {
        return Derived::Const(v0.to_string());
    }
    if n0.is_empty() {
        return Derived::Varies;
    }
    let mut candidates: Vec<Vec<&str>> = vec![v0.split(n0).collect()];
    for (i, _) in v0.match_indices(n0) {
        candidates.push(vec![&v0[..i], &v0[i + n0.len()..]]);
    }
    for pieces in candidates.into_iter().filter(|p| p.len() > 1) {
        if pairs.iter().all(|(n, v)| pieces.join(n) == *v) {
            let mut t = Template::default();
            for (k, piece) in pieces.iter().enumerate() {
                if k > 0 {
                    t.push_ref(Ref::Matrix(axis.to_string()));
                }
                t.push_lit(piece);
            }
            return Derived::Tmpl(t);
        }
    }
    Derived::Varies
}

/// The (axis, attribute) a marker of [`Derived::Varies`] stands for.
fn varying_ref(r: &Ref) -> Option<(String, String)> {
    match r {
        Ref::Matrix(m) => m
            .split_once('.')
            .map(|(a, f)| (a.to_string(), f.to_string())),
        _ => None,
    }
}

/// Markers of attributes with no run-time value inside a value (not inside a service record
/// passed whole, which [`Ctx::check_matrix_reads`] checks against what the task reads).
fn collect_varying(v: &V, out: &mut Vec<(String, String)>) {
    match &v.kind {
        VK::Tmpl(t) => out.extend(t.refs().filter_map(varying_ref)),
        VK::List(items) => items.iter().for_each(|x| collect_varying(x, out)),
        VK::Cond(c) => {
            super::checks::cond_templates(c, &mut |t| out.extend(t.refs().filter_map(varying_ref)))
        }
        _ => {}
    }
}

/// Whether an environment variable name suggests a credential.
pub fn looks_like_credential(name: &str) -> bool {
    let up = name.to_ascii_uppercase();
    [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "API_KEY",
        "APIKEY",
        "PRIVATE_KEY",
        "CREDENTIAL",
    ]
    .iter()
    .any(|w| up.contains(w))
        && !up.ends_with("_FILE")
        && !up.ends_with("_PATH")
}
