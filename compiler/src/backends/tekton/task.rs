//! Tekton Tasks from the program's tasks.
//!
//! A Task declares the task's parameters that its steps read (all strings: Tekton has no boolean
//! or integer parameters, and every name is spelled by [`refs::param_name`]), the parameters of
//! its [`super::layout::TaskShape`], its results and workspaces, and runs an optional clone step
//! followed by the task's `tekton` steps. Invariants: the Task reads every parameter it declares
//! (a matrix value no step reads reaches the steps as the variable `GITOPSC_MATRIX_…` of the
//! step template), and a secret
//! never appears as text: a step reads it through `valueFrom.secretKeyRef`, and a parameter of
//! type `secret` carries only the name of the Kubernetes Secret.

use super::layout::{Layout, TaskShape, Variant};
use super::model::{
    ContainerPort, EnvSource, EnvVar, ExecAction, KeyRef, ParamSpec, Probe, Sidecar, Step,
    StepTemplate, Task, TaskResult, TaskSpec, Value, WorkspaceDecl, PIPELINES_API,
};
use super::refs::{self, GIT_REVISION, GIT_URL, SECRET_KEY};
use super::{meta, script, security};
use crate::ir::{self, Container, ParamDef, ParamType, Program, Ref, StepKind, TaskDef, Template};
use indexmap::IndexMap;
use std::collections::BTreeSet;

/// The workspace every Task has: the job's own folder on the run's volume.
pub const SOURCE: &str = "source";
/// The workspace of tasks that declare caches.
pub const CACHE: &str = "cache";
/// Where the checkout is inside a step.
pub const SOURCE_PATH: &str = "$(workspaces.source.path)";
/// The image for a step that names none (semantic analysis requires one on Tekton).
const FALLBACK_IMAGE: &str = "docker.io/alpine/git:2.54.0";

/// Clones `$GIT_URL` at `$GIT_REVISION` (a commit or a branch) into the current folder, two
/// commits deep so a step can compare with the parent commit. The folder is never emptied
/// first: the container runtime has already created the working folders of the later steps
/// in it, and removing one would pull the ground from under that step. A retry reuses the
/// repository and forces the checkout.
const CLONE_SCRIPT: &str = "#!/bin/sh
set -eu
git config --global --add safe.directory \"$(pwd)\"
git init -q .
git remote remove origin 2>/dev/null || true
git remote add origin \"$GIT_URL\"
git fetch -q --depth=2 origin \"$GIT_REVISION\"
git checkout -q -f --detach FETCH_HEAD
";

/// The Task for one variant.
pub fn task_doc(program: &Program, layout: &Layout, v: &Variant) -> Option<Task> {
    let def = program.tasks.get(v.task)?;
    let default_shape = TaskShape::default();
    let shape = layout.shape(v.task).unwrap_or(&default_shape);
    Some(Task {
        api_version: PIPELINES_API,
        kind: "Task",
        metadata: meta(program, &v.name),
        spec: TaskSpec {
            description: def.description.clone(),
            params: task_params(def, shape, v.clones),
            results: results(def, shape),
            workspaces: workspaces(def, v.clones),
            step_template: step_template(shape),
            steps: steps(program, def, shape, v.clones),
            sidecars: v.sidecars.iter().map(sidecar).collect(),
        },
    })
}

/// The workspaces a task declares: `source`, its own, and `cache` when it has caches.
pub fn workspace_names(def: &TaskDef) -> Vec<String> {
    let mut out = vec![SOURCE.to_string()];
    for w in &def.workspaces {
        if !out.contains(w) {
            out.push(w.clone());
        }
    }
    if !def.caches.is_empty() && !out.iter().any(|w| w == CACHE) {
        out.push(CACHE.to_string());
    }
    out
}

fn workspaces(def: &TaskDef, clones: bool) -> Vec<WorkspaceDecl> {
    workspace_names(def)
        .into_iter()
        .map(|name| {
            let description = match name.as_str() {
                SOURCE if clones => {
                    "The job's folder; the clone step checks the repository out here.".into()
                }
                SOURCE => "The job's folder.".into(),
                CACHE => {
                    let paths: Vec<&str> = def.caches.iter().map(|c| c.path.as_str()).collect();
                    format!("A cache for {}.", paths.join(", "))
                }
                _ => String::new(),
            };
            WorkspaceDecl { name, description }
        })
        .collect()
}

fn task_params(def: &TaskDef, shape: &TaskShape, clones: bool) -> Vec<ParamSpec> {
    let mut out: Vec<ParamSpec> = def
        .params
        .iter()
        .map(declared_param)
        .filter(|p| shape.reads.contains(&p.name))
        .collect();
    let empty = || Some(Value::Str(String::new()));
    for p in out.iter_mut() {
        if p.default.is_none() && shape.matrix_bound.contains(&p.name) {
            p.default = empty();
        }
    }
    let mut add = |name: &str, description: String, default: Option<Value>| {
        if !out.iter().any(|p| p.name == name) {
            out.push(ParamSpec {
                name: name.to_string(),
                ty: "string",
                description,
                default,
            });
        }
    };
    for (r, name) in &shape.implicit {
        let default = shape.matrix_bound.contains(name).then(empty).flatten();
        add(name, implicit_description(r), default);
    }
    if clones {
        add(GIT_URL, "Clone URL of the repository.".into(), None);
        add(
            GIT_REVISION,
            "Commit (or branch) to check out.".into(),
            None,
        );
    }
    for name in &shape.matrix_extra {
        add(name, "A matrix value no step reads.".into(), empty());
    }
    out
}

/// The step template: the matrix values no step reads, as variables every step sees (so each
/// run of a fan-out shows which one it is, and the Task reads every parameter it declares).
fn step_template(shape: &TaskShape) -> Option<StepTemplate> {
    let env: Vec<EnvVar> = shape
        .matrix_extra
        .iter()
        .map(|name| plain_env(&env_name("GITOPSC", name), format!("$(params.{name})")))
        .collect();
    (!env.is_empty()).then_some(StepTemplate { env })
}

/// `PREFIX_NAME`: `name` in upper case, every character other than a letter or digit as `_`.
fn env_name(prefix: &str, name: &str) -> String {
    let upper: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("{prefix}_{upper}")
}

fn declared_param(p: &ParamDef) -> ParamSpec {
    let mut notes: Vec<String> = Vec::new();
    if !p.description.is_empty() {
        notes.push(sentence(&p.description));
    }
    match &p.ty {
        ParamType::Bool => notes.push("`true` or `false`.".into()),
        ParamType::Int => notes.push("An integer.".into()),
        ParamType::Choice(cs) => notes.push(format!("One of: {}.", cs.join(", "))),
        ParamType::Secret => notes.push(format!(
            "Name of the Kubernetes Secret that holds this value under the key `{SECRET_KEY}`."
        )),
        ParamType::String => {}
    }
    ParamSpec {
        name: refs::param_name(&p.name),
        ty: "string",
        description: notes.join(" "),
        default: p
            .default
            .as_ref()
            .and_then(Template::as_literal)
            .map(Value::Str),
    }
}

/// Text that ends like a sentence, so more notes can follow it.
pub fn sentence(text: &str) -> String {
    let text = text.trim_end();
    if text.ends_with(['.', '!', '?', ')']) {
        text.to_string()
    } else {
        format!("{text}.")
    }
}

fn implicit_description(r: &Ref) -> String {
    match r {
        Ref::Git(f) => format!("The `{}` of the run.", refs::git_param(*f)),
        Ref::Input(n) => format!("Input `{n}` of the run."),
        Ref::Event(p) => format!("`{p}` of the triggering event."),
        Ref::Result { name, .. } => format!("Result `{name}` of an earlier job."),
        Ref::Matrix(a) => format!("The matrix value `{a}`."),
        Ref::RunId => "The uid of the PipelineRun.".into(),
        Ref::Param(p) => format!("Parameter `{p}`."),
        Ref::Secret(n) => format!("The Kubernetes Secret of `{n}`."),
    }
}

fn results(def: &TaskDef, shape: &TaskShape) -> Vec<TaskResult> {
    def.results
        .iter()
        .map(|r| TaskResult {
            name: r.name.clone(),
            ty: if shape.array_results.contains(&r.name) {
                "array"
            } else {
                "string"
            },
            description: r.description.clone(),
        })
        .collect()
}

fn steps(program: &Program, def: &TaskDef, shape: &TaskShape, clones: bool) -> Vec<Step> {
    let user: Vec<&ir::Step> = def.tekton.iter().flatten().collect();
    let mut out = Vec::with_capacity(user.len() + 1);
    if clones {
        let taken: BTreeSet<&str> = user.iter().map(|s| s.id.as_str()).collect();
        out.push(clone_step(program, &taken));
    }
    let cx = StepCx {
        program,
        def,
        shape,
    };
    out.extend(user.into_iter().filter_map(|s| cx.step(s)));
    out
}

fn clone_step(program: &Program, taken: &BTreeSet<&str>) -> Step {
    let image = program
        .images
        .get("git")
        .cloned()
        .unwrap_or_else(|| FALLBACK_IMAGE.to_string());
    Step {
        name: refs::unique("clone", &|n| taken.contains(n)),
        security_context: security::for_image(&image),
        image,
        command: Vec::new(),
        args: Vec::new(),
        script: Some(CLONE_SCRIPT.to_string()),
        working_dir: SOURCE_PATH.to_string(),
        env: vec![
            plain_env("GIT_URL", format!("$(params.{GIT_URL})")),
            plain_env("GIT_REVISION", format!("$(params.{GIT_REVISION})")),
        ],
    }
}

/// What a step needs to know about its task.
struct StepCx<'a> {
    program: &'a Program,
    def: &'a TaskDef,
    shape: &'a TaskShape,
}

impl StepCx<'_> {
    fn step(&self, s: &ir::Step) -> Option<Step> {
        match &s.kind {
            StepKind::Run {
                script,
                image,
                shell,
                workdir,
            } => Some(self.run_step(s, script, image.as_deref(), shell.as_deref(), workdir)),
            StepKind::Exec { image, command } => Some(self.exec_step(s, image, command)),
            StepKind::Uses { .. } => None,
        }
    }

    /// A shell step: the script after its interpreter line and its guard.
    fn run_step(
        &self,
        s: &ir::Step,
        script: &Template,
        image: Option<&str>,
        shell: Option<&str>,
        workdir: &Option<Template>,
    ) -> Step {
        let image = image.map_or_else(|| self.fallback_image(), String::from);
        let guard = s
            .condition
            .as_ref()
            .and_then(|c| script::guard(self.program, c));
        let (guard_text, guard_env) = guard.unzip();
        let text = script::compose(shell, guard_text.as_deref(), &self.render(script));
        let dir = workdir.as_ref().map(|w| self.render(w));
        Step {
            name: s.id.clone(),
            security_context: security::for_image(&image),
            image,
            command: Vec::new(),
            args: Vec::new(),
            script: Some(text),
            working_dir: working_dir(dir.as_deref()),
            env: self.env(&s.env, &guard_env.unwrap_or_default()),
        }
    }

    /// A program run without a shell: the first word is the command, the rest its arguments.
    fn exec_step(&self, s: &ir::Step, image: &str, command: &[Template]) -> Step {
        let mut words: Vec<String> = command.iter().map(|t| self.render(t)).collect();
        let args = if words.is_empty() {
            Vec::new()
        } else {
            words.split_off(1)
        };
        Step {
            name: s.id.clone(),
            image: image.to_string(),
            command: words,
            args,
            script: None,
            working_dir: SOURCE_PATH.to_string(),
            env: self.env(&s.env, &[]),
            security_context: security::for_image(image),
        }
    }

    fn fallback_image(&self) -> String {
        self.program
            .images
            .get("git")
            .cloned()
            .unwrap_or_else(|| FALLBACK_IMAGE.to_string())
    }

    fn render(&self, t: &Template) -> String {
        refs::in_task(t, &self.shape.implicit)
    }

    /// The step's environment: secrets through `secretKeyRef` (first, so other values can
    /// refer to them as `$(NAME)`), then plain values, then the operands of its guard.
    fn env(&self, env: &IndexMap<String, Template>, guard: &[(String, Template)]) -> Vec<EnvVar> {
        let mut secrets: Vec<EnvVar> = Vec::new();
        let mut plain: Vec<EnvVar> = Vec::new();
        for (name, t) in env {
            if let Some(key) = refs::only_ref(t).and_then(|r| self.secret_of(r)) {
                plain.push(secret_env(name, key));
            } else if t.refs().any(|r| self.secret_of(r).is_some()) {
                let value = self.with_secret_vars(t, &mut secrets);
                plain.push(plain_env(name, value));
            } else {
                plain.push(plain_env(name, self.render(t)));
            }
        }
        for (name, t) in guard {
            plain.push(plain_env(name, self.render(t)));
        }
        secrets.retain(|s| !plain.iter().any(|p| p.name == s.name));
        secrets.extend(plain);
        secrets
    }

    /// A value that mixes text and secrets: each secret becomes a variable of its own, and the
    /// value refers to it with Kubernetes' `$(NAME)` expansion.
    fn with_secret_vars(&self, t: &Template, secrets: &mut Vec<EnvVar>) -> String {
        t.render(&mut |r| match self.secret_of(r) {
            Some(key) => {
                let var = secret_var(r);
                if !secrets.iter().any(|s| s.name == var) {
                    secrets.push(secret_env(&var, key));
                }
                format!("$({var})")
            }
            None => self.render(&Template::of_ref(r.clone())),
        })
    }

    /// The Secret and key a reference reads, when it is a secret.
    fn secret_of(&self, r: &Ref) -> Option<KeyRef> {
        match r {
            Ref::Secret(n) => Some(KeyRef {
                name: refs::secret_name(n),
                key: SECRET_KEY.to_string(),
            }),
            Ref::Param(p)
                if self
                    .def
                    .params
                    .iter()
                    .any(|q| &q.name == p && q.ty == ParamType::Secret) =>
            {
                Some(KeyRef {
                    name: format!("$(params.{})", refs::param_name(p)),
                    key: SECRET_KEY.to_string(),
                })
            }
            _ => None,
        }
    }
}

/// The variable that holds a secret inside a value that mixes it with text.
fn secret_var(r: &Ref) -> String {
    let base = match r {
        Ref::Secret(n) | Ref::Param(n) => n.as_str(),
        _ => "value",
    };
    env_name("GITOPSC_SECRET", base)
}

fn plain_env(name: &str, value: String) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        value: Some(value),
        value_from: None,
    }
}

fn secret_env(name: &str, key: KeyRef) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        value: None,
        value_from: Some(EnvSource {
            secret_key_ref: key,
        }),
    }
}

/// `$(workspaces.source.path)`, or a folder inside it (an absolute folder is kept).
pub fn working_dir(dir: Option<&str>) -> String {
    let Some(dir) = dir else {
        return SOURCE_PATH.to_string();
    };
    let dir = dir.trim_start_matches("./").trim_end_matches('/');
    if dir.is_empty() || dir == "." {
        SOURCE_PATH.to_string()
    } else if dir.starts_with('/') {
        dir.to_string()
    } else {
        format!("{SOURCE_PATH}/{dir}")
    }
}

fn sidecar(c: &Container) -> Sidecar {
    Sidecar {
        name: refs::kebab(&c.name),
        image: c.image.clone(),
        env: c.env.iter().map(|(k, v)| plain_env(k, v.clone())).collect(),
        ports: c
            .ports
            .iter()
            .map(|p| ContainerPort { container_port: *p })
            .collect(),
        readiness_probe: c.health_cmd.as_ref().map(|cmd| Probe {
            exec: ExecAction {
                command: vec!["/bin/sh".into(), "-c".into(), cmd.clone()],
            },
            period_seconds: 5,
        }),
        security_context: security::for_image(&c.image),
    }
}
