//! Job details: matrices, service containers, and the built-in change-detection job.

use super::eval::Scope;
use super::fields::Fields;
use super::pipeline::JobInfo;
use super::value::VK;
use super::Ctx;
use crate::diagnostics::{Code, Diagnostic, Span};
use crate::ir::{self, Template};
use indexmap::IndexMap;

const MATRIX_OPTIONS: &[&str] = &["include", "exclude", "fail_fast", "max_parallel"];

impl<'a> Ctx<'a> {
    /// `matrix { axis = [...]; include = [...]; fail_fast = false }`.
    pub(super) fn matrix(&mut self, f: &Fields<'a>, scope: &Scope) -> Option<ir::Matrix> {
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
        for (k, (_, v)) in rec.iter() {
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
        Some(m)
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
            let health_cmd = self.get(&cf, "health", scope).and_then(|v| self.str_(&v));
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
        let results: Vec<String> = std::iter::once("changes".to_string())
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
    }

    /// The lowered change-detection job: one boolean result per service and a JSON list.
    pub(super) fn changes_job(&mut self, idx: usize, runs_on: &str) -> ir::Job {
        let task = self.changes_task();
        self.edges.push(Vec::new());
        ir::Job {
            id: self.jobs.jobs[idx].id.clone(),
            name: "detect changed services".into(),
            task,
            args: IndexMap::new(),
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
        let mut filters = String::new();
        for s in &self.services {
            filters.push_str(&format!("{}:\n", s.name));
            let base = if s.path == "." {
                "**".to_string()
            } else {
                format!("{}/**", s.path)
            };
            for p in std::iter::once(base).chain(s.watch.iter().cloned()) {
                filters.push_str(&format!("  - '{p}'\n"));
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
        for s in &self.services {
            let prefix = if s.path == "." {
                String::new()
            } else {
                format!("{}/", s.path)
            };
            script.push_str(&format!(
                "if printf '%s\\n' \"$changed\" | grep -q '^{prefix}'; then printf true > \"$(results.{n}.path)\"; list=\"$list\\\"{n}\\\",\"; else printf false > \"$(results.{n}.path)\"; fi\n",
                n = s.name
            ));
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
