//! The GitHub Actions backend: one workflow file per pipeline that targets GitHub.
//!
//! It reads only the IR and builds the typed model of [`model`]; `emit` writes the YAML.
//! Invariants kept across its modules: the workflow grants no token permission at its top
//! level (each job names its own, and a job calling a workflow grants what its jobs request),
//! every run has a concurrency group (a called workflow's run through its caller's), every
//! action is pinned to a commit, and no script contains a `${{ }}` expression (references reach
//! scripts only through environment variables, see [`script`]). Output depends only on the IR.
//!
//! Layout: [`triggers`] builds `on:`, [`jobs`] the jobs, [`steps`] their steps, [`expr`] spells
//! references and conditions as GitHub expressions, [`script`] routes references into scripts.

pub mod expr;
pub mod jobs;
pub mod model;
pub mod script;
pub mod steps;
pub mod triggers;

use crate::backends::Backend;
use crate::emit::yaml::{self, YamlError};
use crate::emit::{OutputFile, Repo, SplitDoc};
use crate::ir::{
    Input, Job, JobId, ParamType, Pipeline, Program, ServiceId, Target, TaskDef, Trigger,
};
use model::IndexMap;
use std::ops::Range;

/// Generates GitHub Actions workflows.
pub struct Github;

impl Backend for Github {
    fn name(&self) -> &'static str {
        "github"
    }

    fn writes_in_slices(&self) -> bool {
        true
    }

    fn emit_each<'p>(&self, program: &'p Program, out: &mut dyn FnMut(OutputFile<'p>)) {
        self.files(program).into_iter().for_each(out);
    }
}

impl Github {
    fn files<'p>(&self, program: &'p Program) -> Vec<OutputFile<'p>> {
        program
            .pipelines
            .iter()
            .filter(|p| p.targets(Target::Github))
            .map(|p| {
                let ctx = Ctx {
                    program,
                    pipeline: p,
                    short_sha_step: false,
                };
                OutputFile::new(Repo::App, workflow_path(program, p)).split(workflow(&ctx))
            })
            .collect()
    }
}

/// A workflow's jobs are independent of one another once the plan is made, so a large
/// workflow writes them in slices on several threads.
impl SplitDoc for model::Workflow<'_, jobs::Jobs<'_>> {
    fn split_key(&self) -> &'static str {
        "jobs"
    }

    fn write_head(&self, out: &mut String) -> Result<(), YamlError> {
        yaml::write(out, &self.head)
    }

    fn entries(&self) -> usize {
        self.jobs.ctx.pipeline.jobs.len()
    }

    fn write_slice(&self, range: Range<usize>, out: &mut String) -> Result<(), YamlError> {
        let (ctx, plan) = (&self.jobs.ctx, &self.jobs.plan);
        // The steps every job runs alike are written once per slice.
        yaml::with_shared(|| {
            for j in range {
                if let Some(job) = jobs::job(ctx, plan, j) {
                    yaml::write_entry(out, 2, ctx.job_id(j), &job)?;
                }
            }
            Ok(())
        })
    }
}

/// What every part of the backend reads: the program and the pipeline being compiled.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub program: &'a Program,
    pub pipeline: &'a Pipeline,
    /// Text is rendered inside a job with the short-SHA step ([`steps::SHORT_SHA_STEP`]), so
    /// `git.short_sha` can be read from it instead of falling back to the full SHA.
    pub short_sha_step: bool,
}

impl<'a> Ctx<'a> {
    /// The GitHub id of a job of the pipeline.
    pub fn job_id(&self, j: JobId) -> &'a str {
        self.pipeline
            .jobs
            .get(j)
            .map_or("unknown-job", |job| job.id.as_str())
    }

    pub fn service_name(&self, s: ServiceId) -> &'a str {
        self.program
            .services
            .get(s)
            .map_or("unknown-service", |svc| svc.name.as_str())
    }

    /// The task a job runs.
    pub fn task(&self, job: &Job) -> Option<&'a TaskDef> {
        self.program.tasks.get(job.task)
    }

    /// The declared type of a pipeline input.
    pub fn input_type(&self, name: &str) -> Option<&'a ParamType> {
        self.pipeline
            .inputs
            .iter()
            .find(|i: &&Input| i.name == name)
            .map(|i| &i.ty)
    }
}

/// `<routing.github>/<pipeline>.yml`.
pub fn workflow_path(program: &Program, p: &Pipeline) -> String {
    let dir = program.routing.github.trim_end_matches('/');
    if dir.is_empty() {
        format!("{}.yml", p.name)
    } else {
        format!("{dir}/{}.yml", p.name)
    }
}

/// The whole workflow of one pipeline.
pub fn workflow<'p>(ctx: &Ctx<'p>) -> model::Workflow<'p, jobs::Jobs<'p>> {
    let p = ctx.pipeline;
    let plan = jobs::Plan::new(ctx, publishes(p), has_pull_requests(p));
    model::Workflow {
        head: model::WorkflowHead {
            name: p.display.clone(),
            on: triggers::on(p),
            permissions: IndexMap::default(),
            concurrency: concurrency(ctx),
        },
        jobs: jobs::Jobs { ctx: *ctx, plan },
    }
}

/// The pipeline's group, else one run at a time per workflow and ref: pull-request runs
/// replace older runs of the same pull request, other runs queue (a deploy is never cut off).
/// The group is named after the pipeline rather than `github.workflow`, which a reusable
/// workflow shares with its caller (the two would wait for each other). A workflow that only
/// runs when called gets no group of its own: each run belongs to a run of its caller, which
/// has one, and a shared group would cancel the pending one of several simultaneous calls.
fn concurrency<'p>(ctx: &Ctx<'p>) -> Option<model::Concurrency<'p>> {
    if let Some(c) = &ctx.pipeline.concurrency {
        return Some(model::Concurrency {
            group: expr::inline(ctx, &c.group),
            cancel_in_progress: model::Scalar::Bool(c.cancel_in_progress),
        });
    }
    let triggers = &ctx.pipeline.triggers;
    if !triggers.is_empty() && triggers.iter().all(|t| *t == Trigger::Call) {
        return None;
    }
    Some(model::Concurrency {
        group: format!("{}-${{{{ github.ref }}}}", ctx.pipeline.name).into(),
        cancel_in_progress: if has_pull_requests(ctx.pipeline) {
            model::Scalar::Str("${{ github.event_name == 'pull_request' }}".into())
        } else {
            model::Scalar::Bool(false)
        },
    })
}

/// Whether the workflow runs on events used to publish releases: tags, or pushes to branches
/// named like release branches.
pub fn publishes(p: &Pipeline) -> bool {
    p.triggers.iter().any(|t| match t {
        Trigger::Tag { .. } | Trigger::Release => true,
        Trigger::Push(f) => f
            .branches
            .iter()
            .any(|b| b.to_ascii_lowercase().contains("release")),
        _ => false,
    })
}

pub fn has_pull_requests(p: &Pipeline) -> bool {
    p.triggers
        .iter()
        .any(|t| matches!(t, Trigger::PullRequest(_)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::{DocBody, Split};

    /// A monorepo of `n` services built by one fan-out pipeline.
    fn monorepo(n: usize) -> String {
        let names: Vec<String> = (1..=n).map(|i| format!("\"svc-{i}\"")).collect();
        format!(
            r#"project mono {{ app_repo = "https://github.com/example/mono.git" }}
registry ghcr = ghcr {{ owner = "example" }}
for name in [{}] {{
  service "${{name}}" {{ path = "services/${{name}}", build = docker, port = 8080 }}
}}
environment dev {{ }}
deployment mono {{ project = "default" }}
task build {{
  param svc: service
  step test {{ run = "make test", workdir = svc.path }}
  step image = std.image.push_ghcr(svc)
}}
pipeline ci {{
  on push {{ branches = ["main"] }}
  on pull_request {{ branches = ["main"] }}
  for svc in services.changed {{
    job build = build(svc)
  }}
}}
"#,
            names.join(", ")
        )
    }

    #[test]
    fn a_workflow_written_in_slices_reads_as_written_whole() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut programs: Vec<Vec<crate::Source>> = vec![
            vec![crate::Source::new("mono.gitops", monorepo(300))],
            vec![crate::Source::new("one.gitops", monorepo(1))],
        ];
        let examples = std::fs::read_dir(root.join("examples")).expect("examples");
        for dir in examples.flatten().filter(|e| e.path().is_dir()) {
            programs.push(crate::cli::read_sources(&[dir.path()]).expect("reads"));
        }
        let mut workflows = 0;
        for sources in &programs {
            let c = crate::check(sources);
            let program = c.program.as_ref().expect("the program checks");
            for p in program
                .pipelines
                .iter()
                .filter(|p| p.targets(Target::Github))
            {
                let ctx = Ctx {
                    program,
                    pipeline: p,
                    short_sha_step: false,
                };
                let whole = yaml::to_string(&workflow(&ctx)).expect("writes");
                let mut split = String::new();
                Split(workflow(&ctx))
                    .write_yaml(&mut split)
                    .expect("writes");
                assert_eq!(split, whole, "{}", p.name);
                workflows += 1;
            }
        }
        // The monorepos' workflows and at least one per example.
        assert!(workflows >= programs.len(), "{workflows} workflows");
    }
}
