//! Which Tekton Tasks the backend generates, under which names, and which parameters each one
//! takes beyond the task's own.
//!
//! A task of the program becomes one Task per distinct way jobs use it (with or without the
//! clone step, with a given set of sidecars), so the same Task is never defined twice in one
//! namespace. Invariant: the Task builder and the Pipeline builder both read this layout, so the
//! parameters a Task declares are exactly the ones the Pipeline can pass; and a Task declares a
//! parameter of its task only when its steps read it ([`TaskShape::reads`]), so a service
//! argument passes only the fields the steps use (`svc-path`, not all seven).

use super::matrix;
use super::refs::{self, GIT_REVISION, GIT_URL};
use super::script;
use crate::ir::{
    Container, GitField, Job, Pipeline, Program, Ref, Step, StepKind, Target, TaskDef, TaskId,
    Template,
};
use indexmap::IndexMap;
use std::collections::BTreeSet;

/// One generated Task: a program task, whether it clones the repository, and its sidecars.
#[derive(Debug, Clone)]
pub struct Variant {
    pub task: TaskId,
    pub clones: bool,
    pub sidecars: Vec<Container>,
    /// The Task's name (unique among generated Tasks).
    pub name: String,
}

/// What a program task looks like from a Pipeline, whatever the variant.
#[derive(Debug, Clone, Default)]
pub struct TaskShape {
    /// References in the steps other than the task's own parameters, each with the task
    /// parameter that carries it (inline jobs read commit facts, results and matrix values).
    pub implicit: IndexMap<Ref, String>,
    /// Every parameter the steps read (`$(params.…)` in what they render): the task's own
    /// parameters among them are the ones its Task declares and its jobs pass.
    pub reads: BTreeSet<String>,
    /// Parameters added for matrix axes that no argument carries.
    pub matrix_extra: Vec<String>,
    /// Parameters some job fans out over. They get an empty default when they have none:
    /// tekton-lint does not read `matrix` and would count them as missing.
    pub matrix_bound: BTreeSet<String>,
    /// Results other jobs fan out over: declared as arrays.
    pub array_results: BTreeSet<String>,
}

/// Every generated Task of a program.
#[derive(Debug, Default)]
pub struct Layout {
    pub variants: Vec<Variant>,
    pub shapes: IndexMap<TaskId, TaskShape>,
}

/// The pipelines this backend compiles.
pub fn tekton_pipelines(program: &Program) -> impl Iterator<Item = &Pipeline> {
    program
        .pipelines
        .iter()
        .filter(|p| p.targets(Target::Tekton))
}

impl Layout {
    pub fn new(program: &Program) -> Layout {
        let mut layout = Layout::default();
        for pl in tekton_pipelines(program) {
            for job in &pl.jobs {
                layout.add_job(program, pl, job);
            }
        }
        for pl in tekton_pipelines(program) {
            for job in &pl.jobs {
                layout.add_matrix(program, pl, job);
            }
        }
        layout
    }

    /// The Task a job runs.
    pub fn variant_of(&self, program: &Program, job: &Job) -> Option<&Variant> {
        let task = program.tasks.get(job.task)?;
        let clones = job.checks_out(task);
        self.variants
            .iter()
            .find(|v| v.task == job.task && v.clones == clones && v.sidecars == job.containers)
    }

    pub fn shape(&self, task: TaskId) -> Option<&TaskShape> {
        self.shapes.get(&task)
    }

    fn add_job(&mut self, program: &Program, pl: &Pipeline, job: &Job) {
        let Some(task) = program.tasks.get(job.task) else {
            return;
        };
        if self.variant_of(program, job).is_none() {
            let name = self.variant_name(task, job);
            self.variants.push(Variant {
                task: job.task,
                clones: job.checks_out(task),
                sidecars: job.containers.clone(),
                name,
            });
        }
        if !self.shapes.contains_key(&job.task) {
            let implicit = implicit_params(program, pl, task);
            let shape = TaskShape {
                reads: step_reads(program, task, &implicit),
                implicit,
                ..TaskShape::default()
            };
            self.shapes.insert(job.task, shape);
        }
    }

    /// The task's name; a suffix tells variants apart (`-checkout` or `-no-checkout` when the
    /// job overrides the task's checkout, `-with-<job>` for another set of sidecars).
    fn variant_name(&self, task: &TaskDef, job: &Job) -> String {
        let taken = |n: &str| self.variants.iter().any(|v| v.name == n);
        let mut base = task.name.clone();
        if job.checks_out(task) != task.checkout {
            base.push_str(if task.checkout {
                "-no-checkout"
            } else {
                "-checkout"
            });
        }
        if taken(&base) && !job.containers.is_empty() {
            base = format!("{base}-with-{}", job.id);
        }
        refs::unique(&base, &taken)
    }

    /// Records the extra parameters and array results a job's matrix needs.
    fn add_matrix(&mut self, program: &Program, pl: &Pipeline, job: &Job) {
        let Some(m) = &job.matrix else {
            return;
        };
        for axis in m.axes.values() {
            if let crate::ir::MatrixAxis::Changed { job: j, result } = axis {
                if let Some(producer) = pl.jobs.get(*j) {
                    let shape = self.shapes.entry(producer.task).or_default();
                    shape.array_results.insert(result.clone());
                }
            }
        }
        let values = job_values(program, job, self);
        let taken = taken_names(program, job.task, self);
        let plan = matrix::plan(m, &values, &|n| taken.contains(n));
        if let Some(shape) = self.shapes.get_mut(&job.task) {
            shape.matrix_bound.extend(plan.bound);
            for (_, param) in plan.extra {
                if !shape.matrix_extra.contains(&param) {
                    shape.matrix_extra.push(param);
                }
            }
        }
    }
}

/// Names a task's parameters use besides matrix extras (declared, implicit, clone), so every
/// job of the task names the extra parameter of an axis alike.
pub fn taken_names(program: &Program, task: TaskId, layout: &Layout) -> BTreeSet<String> {
    let mut taken: BTreeSet<String> = [GIT_URL, GIT_REVISION].map(String::from).into();
    if let Some(def) = program.tasks.get(task) {
        taken.extend(def.params.iter().map(|p| refs::param_name(&p.name)));
    }
    if let Some(shape) = layout.shape(task) {
        taken.extend(shape.implicit.values().cloned());
    }
    taken
}

/// The task parameters that carry references other than the task's own parameters.
fn implicit_params(program: &Program, pl: &Pipeline, task: &TaskDef) -> IndexMap<Ref, String> {
    let declared: BTreeSet<String> = task
        .params
        .iter()
        .map(|p| refs::param_name(&p.name))
        .collect();
    let mut out: IndexMap<Ref, String> = IndexMap::new();
    for step in task.tekton.iter().flatten() {
        for t in step_templates(program, step) {
            for r in t.refs() {
                if matches!(r, Ref::Param(_) | Ref::Secret(_)) || out.contains_key(r) {
                    continue;
                }
                let wanted = implicit_name(pl, r);
                let name = refs::unique(&wanted, &|n| {
                    declared.contains(n) || out.values().any(|v| v == n)
                });
                out.insert(r.clone(), name);
            }
        }
    }
    out
}

fn implicit_name(pl: &Pipeline, r: &Ref) -> String {
    match r {
        Ref::Result { job, name } => format!("{}-{}", refs::job_id(pl, *job), refs::kebab(name)),
        Ref::Matrix(axis) => refs::param_name(axis),
        Ref::RunId => "run-id".to_string(),
        other => refs::run_param(other).unwrap_or_else(|| "value".to_string()),
    }
}

/// The parameters a task's steps read, as they render on Tekton: references to the task's
/// parameters, the implicit parameters, and any `$(params.…)` written out in the text.
fn step_reads(
    program: &Program,
    task: &TaskDef,
    implicit: &IndexMap<Ref, String>,
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for step in task.tekton.iter().flatten() {
        for t in step_templates(program, step) {
            out.extend(refs::params_read(&refs::in_task(&t, implicit)).map(String::from));
        }
    }
    out
}

/// Every template of a step that Tekton renders (script, directory, command, environment and
/// the operands of its condition).
pub fn step_templates(program: &Program, step: &Step) -> Vec<Template> {
    let mut out: Vec<Template> = step.env.values().cloned().collect();
    match &step.kind {
        StepKind::Run {
            script, workdir, ..
        } => {
            out.push(script.clone());
            out.extend(workdir.iter().cloned());
        }
        StepKind::Exec { command, .. } => out.extend(command.iter().cloned()),
        StepKind::Uses { .. } => {}
    }
    if let Some(c) = &step.condition {
        out.extend(script::cond_operands(program, c));
    }
    out
}

/// The value (before spelling) of every parameter a job passes to its Task, by the parameter's
/// Tekton name, in Task order: arguments and defaults that need the run's values (of the
/// parameters the steps read), implicit parameters and the clone parameters.
pub fn job_values(program: &Program, job: &Job, layout: &Layout) -> Vec<(String, Template)> {
    let mut out: Vec<(String, Template)> = Vec::new();
    let Some(task) = program.tasks.get(job.task) else {
        return out;
    };
    let shape = layout.shape(job.task);
    for p in &task.params {
        let name = refs::param_name(&p.name);
        if !shape.is_some_and(|s| s.reads.contains(&name)) {
            continue;
        }
        if let Some(v) = job.args.get(p.name.as_str()) {
            out.push((name, v.clone()));
        } else if let Some(d) = p.default.as_ref().filter(|d| d.as_literal().is_none()) {
            out.push((name, resolve_default(d, task, job)));
        }
    }
    if let Some(shape) = shape {
        for (r, name) in &shape.implicit {
            push_new(&mut out, name, Template::of_ref(r.clone()));
        }
    }
    if job.checks_out(task) {
        push_new(
            &mut out,
            GIT_URL,
            Template::of_ref(Ref::Git(GitField::RepoUrl)),
        );
        push_new(
            &mut out,
            GIT_REVISION,
            Template::of_ref(Ref::Git(GitField::Sha)),
        );
    }
    out
}

fn push_new(out: &mut Vec<(String, Template)>, name: &str, value: Template) {
    if !out.iter().any(|(n, _)| n == name) {
        out.push((name.to_string(), value));
    }
}

/// A default that reads other parameters, with those replaced by the job's arguments or by
/// their own defaults (resolved the same way, a few levels deep).
fn resolve_default(default: &Template, task: &TaskDef, job: &Job) -> Template {
    resolve_in(default, task, job, 8)
}

fn resolve_in(t: &Template, task: &TaskDef, job: &Job, depth: u32) -> Template {
    t.substitute(&mut |r| match r {
        Ref::Param(p) if depth > 0 => job.args.get(p.as_str()).cloned().or_else(|| {
            let d = task
                .params
                .iter()
                .find(|q| &q.name == p)?
                .default
                .as_ref()?;
            Some(resolve_in(d, task, job, depth - 1))
        }),
        _ => None,
    })
}
