//! The Tekton Pipeline of a program pipeline.
//!
//! Each job is a PipelineTask named by the job id: `taskRef` to its Task, `runAfter` every
//! needed job, `when` from its condition (and the guards of the jobs it needs, see
//! [`super::when`]), `params` from its arguments, `matrix` from its matrix, the run's workspaces
//! and its timeout; `finally` jobs go to `finally`. Invariants: the job graph is recoverable as
//! `runAfter` ∪ result references (every need is in `runAfter`, except for `finally` tasks,
//! which Tekton runs after all others anyway), and the Pipeline declares exactly the parameters
//! its tasks and conditions read (`git-url` and `git-revision` when a task clones, an input when
//! a task or condition reads it).

use super::layout::{self, Layout};
use super::matrix::{self, AxisValues};
use super::model::{
    MatrixInclude, MatrixSpec, Param, ParamSpec, Pipeline, PipelineSpec, PipelineTask, TaskRef,
    Value, WhenExpression, WorkspaceBinding, WorkspaceDecl, PIPELINES_API,
};
use super::refs::{self, GIT_REVISION, GIT_URL};
use super::task::{self, SOURCE};
use super::{meta, when};
use crate::ir::{self, Cond, GitField, Job, Program, Ref, Template};
use std::collections::BTreeSet;

/// Builds the Pipeline document.
pub fn pipeline_doc(program: &Program, pl: &ir::Pipeline, layout: &Layout) -> Pipeline {
    let cx = Cx {
        program,
        pl,
        layout,
        when: when::when_all(program, pl),
    };
    let regular = pl.jobs.iter().enumerate().filter(|(_, j)| !j.finally);
    let finally = pl.jobs.iter().enumerate().filter(|(_, j)| j.finally);
    let display = if pl.display != pl.name {
        pl.display.clone()
    } else {
        String::new()
    };
    Pipeline {
        api_version: PIPELINES_API,
        kind: "Pipeline",
        metadata: meta(program, &pl.name),
        spec: PipelineSpec {
            display_name: display,
            params: params(program, pl, layout),
            workspaces: workspaces(program, pl),
            tasks: regular.map(|(i, j)| cx.task(i, j)).collect(),
            finally: finally.map(|(i, j)| cx.task(i, j)).collect(),
        },
    }
}

struct Cx<'a> {
    program: &'a Program,
    pl: &'a ir::Pipeline,
    layout: &'a Layout,
    /// The `when` expressions of every job, by index.
    when: Vec<Vec<WhenExpression>>,
}

impl Cx<'_> {
    fn task(&self, index: usize, job: &Job) -> PipelineTask {
        let task_name = match self.layout.variant_of(self.program, job) {
            Some(v) => v.name.clone(),
            None => self
                .program
                .tasks
                .get(job.task)
                .map_or_else(String::new, |t| t.name.clone()),
        };
        let (params, matrix) = self.params_and_matrix(job);
        PipelineTask {
            name: job.id.clone(),
            display_name: if job.name != job.id {
                job.name.clone()
            } else {
                String::new()
            },
            task_ref: TaskRef {
                kind: "Task",
                name: task_name,
            },
            run_after: self.run_after(job),
            when: self.when.get(index).cloned().unwrap_or_default(),
            params,
            matrix,
            workspaces: self.bindings(job),
            timeout: job.timeout_minutes.map(refs::duration),
        }
    }

    /// Every needed job; none for `finally` tasks (Tekton forbids it there: they run last).
    fn run_after(&self, job: &Job) -> Vec<String> {
        if job.finally {
            return Vec::new();
        }
        job.needs
            .iter()
            .filter_map(|j| self.pl.jobs.get(*j))
            .filter(|j| !j.finally)
            .map(|j| j.id.clone())
            .collect()
    }

    fn params_and_matrix(&self, job: &Job) -> (Vec<Param>, Option<MatrixSpec>) {
        let values = layout::job_values(self.program, job, self.layout);
        let taken = layout::taken_names(self.program, job.task, self.layout);
        let plan = job
            .matrix
            .as_ref()
            .map(|m| matrix::plan(m, &values, &|n| taken.contains(n)));
        let bound = plan.as_ref().map(|p| p.bound.clone()).unwrap_or_default();
        let params = values
            .iter()
            .filter(|(n, _)| !bound.contains(n))
            .map(|(n, t)| Param::string(n, refs::in_pipeline(t, self.pl)))
            .collect();
        (params, plan.map(|p| self.matrix_spec(p)))
    }

    fn matrix_spec(&self, plan: matrix::Plan) -> MatrixSpec {
        let params = plan
            .axis_params
            .into_iter()
            .map(|(name, v)| Param {
                name,
                value: match v {
                    AxisValues::List(list) => Value::Array(list),
                    AxisValues::Result { job, result } => Value::Str(format!(
                        "$(tasks.{}.results.{result}[*])",
                        refs::job_id(self.pl, job)
                    )),
                },
            })
            .collect();
        let include = plan
            .include
            .into_iter()
            .map(|(name, ps)| MatrixInclude {
                name,
                params: ps
                    .iter()
                    .map(|(n, t)| Param::string(n, refs::in_pipeline(t, self.pl)))
                    .collect(),
            })
            .collect();
        MatrixSpec { params, include }
    }

    /// The run's workspaces for the job's Task; each job gets its own folder of `source`.
    fn bindings(&self, job: &Job) -> Vec<WorkspaceBinding> {
        let Some(def) = self.program.tasks.get(job.task) else {
            return Vec::new();
        };
        task::workspace_names(def)
            .into_iter()
            .map(|name| WorkspaceBinding {
                sub_path: (name == SOURCE).then(|| job.id.clone()),
                workspace: name.clone(),
                name,
            })
            .collect()
    }
}

/// The Pipeline's workspaces: every workspace one of its Tasks declares.
fn workspaces(program: &Program, pl: &ir::Pipeline) -> Vec<WorkspaceDecl> {
    let mut names: Vec<String> = vec![SOURCE.to_string()];
    for job in &pl.jobs {
        if let Some(def) = program.tasks.get(job.task) {
            for w in task::workspace_names(def) {
                if !names.contains(&w) {
                    names.push(w);
                }
            }
        }
    }
    names
        .into_iter()
        .map(|name| WorkspaceDecl {
            description: workspace_description(&name),
            name,
        })
        .collect()
}

fn workspace_description(name: &str) -> String {
    match name {
        SOURCE => "Holds one checkout folder per task.".into(),
        task::CACHE => "Caches shared by the tasks.".into(),
        _ => String::new(),
    }
}

/// The parameters of a run that its tasks or conditions read: the clone URL and commit, the
/// other commit facts, the inputs and the event text.
pub fn params(program: &Program, pl: &ir::Pipeline, layout: &Layout) -> Vec<ParamSpec> {
    let used = used_run_params(program, pl, layout);
    let mut out = Vec::new();
    let commit = [
        (
            GIT_URL,
            "Clone URL of the application repository.",
            &program.project.app_repo,
        ),
        (
            GIT_REVISION,
            "Commit SHA (or branch) to build.",
            &program.project.default_branch,
        ),
    ];
    for (name, text, default) in commit {
        if used.contains(name) {
            out.push(param(name, text, Some(default.clone())));
        }
    }
    for (field, text) in GIT_FACTS {
        let name = refs::git_param(*field);
        if used.contains(name) && !out.iter().any(|p| p.name == name) {
            out.push(param(name, text, None));
        }
    }
    for input in &pl.inputs {
        let spec = input_param(input);
        if used.contains(&spec.name) {
            out.push(spec);
        }
    }
    for name in &used {
        if !out.iter().any(|p| &p.name == name) {
            let default = name.starts_with("event-").then(String::new);
            out.push(param(name, "", default));
        }
    }
    out
}

/// Commit facts other than the clone URL and commit, in the order a Pipeline declares them.
const GIT_FACTS: &[(GitField, &str)] = &[
    (GitField::Ref, "Full git ref (`refs/heads/main`)."),
    (GitField::RefName, "Branch or tag name."),
    (GitField::ShortSha, "Abbreviated commit SHA."),
    (GitField::Repository, "Repository as `owner/name`."),
    (GitField::Actor, "Who started the run."),
];

fn param(name: &str, description: &str, default: Option<String>) -> ParamSpec {
    ParamSpec {
        name: name.to_string(),
        ty: "string",
        description: description.to_string(),
        default: default.map(Value::Str),
    }
}

fn input_param(input: &ir::Input) -> ParamSpec {
    let mut notes = vec![];
    if !input.description.is_empty() {
        notes.push(task::sentence(&input.description));
    }
    match &input.ty {
        ir::ParamType::Bool => notes.push("`true` or `false`.".into()),
        ir::ParamType::Int => notes.push("An integer.".into()),
        ir::ParamType::Choice(cs) => notes.push(format!("One of: {}.", cs.join(", "))),
        _ => {}
    }
    ParamSpec {
        name: refs::param_name(&input.name),
        ty: "string",
        description: notes.join(" "),
        default: input.default.clone().map(Value::Str),
    }
}

/// The run parameters (commit facts, inputs, event text) that tasks or conditions read.
fn used_run_params(program: &Program, pl: &ir::Pipeline, layout: &Layout) -> BTreeSet<String> {
    used_refs(program, pl, layout)
        .iter()
        .filter_map(refs::run_param)
        .collect()
}

/// Every reference the Pipeline's task arguments and conditions read.
pub fn used_refs(program: &Program, pl: &ir::Pipeline, layout: &Layout) -> BTreeSet<Ref> {
    let mut templates: Vec<Template> = Vec::new();
    for job in &pl.jobs {
        templates.extend(
            layout::job_values(program, job, layout)
                .into_iter()
                .map(|(_, t)| t),
        );
        if let Some(c) = &job.condition {
            cond_templates(c, &mut templates);
        }
    }
    templates.iter().flat_map(|t| t.refs()).cloned().collect()
}

fn cond_templates(c: &Cond, out: &mut Vec<Template>) {
    match c {
        Cond::Eq(a, b) | Cond::Ne(a, b) => out.extend([a.clone(), b.clone()]),
        Cond::Truthy(t) => out.push(t.clone()),
        Cond::Not(inner) => cond_templates(inner, out),
        Cond::And(cs) | Cond::Or(cs) => cs.iter().for_each(|c| cond_templates(c, out)),
        _ => {}
    }
}
