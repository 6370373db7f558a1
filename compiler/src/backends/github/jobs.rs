//! The jobs of one workflow: dependencies, run conditions, permissions, placement, matrix,
//! service containers and outputs.
//!
//! Invariants: a job needs the jobs the IR says plus every job whose status or results it
//! reads (so `needs.<id>` is always defined), and a `finally` job also every job that does not
//! depend on it; needs are sorted by id and never form a cycle. A job that needs a job which
//! may be skipped still runs when nothing failed or was cancelled. Every job names each
//! permission it holds (with a comment saying why, except `contents: read`), and exports every
//! result another job reads. A job that calls another pipeline is `uses:` its workflow, with
//! its inputs and each secret by name (never `inherit`), and grants every permission the called
//! workflow's jobs request.

use super::expr;
use super::model;
use super::model::IndexMap;
use super::steps::{self, JobSteps, Resolved};
use super::Ctx;
use crate::emit::with_comment;
use crate::fxhash::FxBuild;
use crate::ir::{
    Cond, Job, JobId, Matrix, MatrixAxis, ParamType, Permission, Pipeline, PipelineCall, Program,
    Ref, ResultDef, StepKind, TaskId, Template,
};
use indexmap::IndexSet;
use serde::ser::{Serialize, SerializeMap, Serializer};
use std::collections::{BTreeSet, HashMap};

/// The `jobs:` map of a workflow. Each job is built as it is written and let go right after,
/// so a workflow of thousands of jobs never holds them all at once.
pub struct Jobs<'p> {
    pub ctx: Ctx<'p>,
    pub plan: Plan<'p>,
}

impl Serialize for Jobs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        // The steps every job runs alike are written once (by the YAML writer).
        crate::emit::yaml::with_shared(|| {
            for j in 0..self.ctx.pipeline.jobs.len() {
                if let Some(job) = job(&self.ctx, &self.plan, j) {
                    map.serialize_entry(self.ctx.job_id(j), &job)?;
                }
            }
            Ok(())
        })?;
        map.end()
    }
}

impl std::fmt::Debug for Jobs<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jobs")
            .field("pipeline", &self.ctx.pipeline.name)
            .field("jobs", &self.ctx.pipeline.jobs.len())
            .finish()
    }
}

/// Facts about every job of a pipeline, computed once, before any job is written.
///
/// It holds what one job's text depends on in other jobs (needs, outputs, whether a needed
/// job may be skipped), never the jobs' steps: those are resolved again while each job is
/// written ([`steps::resolved_steps`]), so a workflow of thousands of jobs never holds them
/// all at once.
pub struct Plan<'t> {
    /// The `uses:` text of each action the jobs run.
    pub pins: steps::Pins,
    /// Each job's direct needs, sorted: the IR's, plus any job its condition or templates read
    /// (so `needs.X` is always defined), except an edge that would close a cycle.
    pub needs: Vec<Vec<JobId>>,
    /// Each job's outputs (results of its task), in a fixed order.
    pub outputs: Vec<Vec<&'t ResultDef>>,
    /// Whether a job may end up skipped by its own condition.
    pub skippable: Vec<bool>,
    /// The workflow runs on events used to publish releases (tags, release branches).
    pub publishing: bool,
    /// The workflow runs on pull requests.
    pub pull_requests: bool,
}

impl<'t> Plan<'t> {
    pub fn new(ctx: &Ctx<'t>, publishing: bool, pull_requests: bool) -> Plan<'t> {
        let jobs = &ctx.pipeline.jobs;
        let skippable = jobs
            .iter()
            .map(|j| {
                let own = condition(j).is_some_and(|c| c != Cond::Always);
                !j.finally && (own || !changed_axes(j).is_empty())
            })
            .collect();
        // One walk over the jobs, each job's steps resolved once into a buffer and let go.
        // Needs grow in job order (the cycle check sees the edges of earlier jobs), and the
        // results read are recorded in the order outputs are listed: those of templates and
        // conditions first, then those of change tests and matrix axes.
        let mut needs = ir_needs(ctx);
        let mut outputs = Outputs::new(ctx);
        let mut changed: Vec<(JobId, &'t str)> = Vec::new();
        let mut steps: Vec<Resolved<'t>> = Vec::new();
        for (j, job) in jobs.iter().enumerate() {
            steps.clear();
            if let Some(task) = ctx.task(job) {
                steps.extend(steps::resolved_steps(job, task));
            }
            for k in jobs_read(job, &steps) {
                if k != j && k < jobs.len() && !needs[j].contains(&k) && !reaches(&needs, k, j) {
                    needs[j].push(k);
                }
            }
            needs[j].sort_unstable();
            result_reads(job, &steps, &mut |k, name| outputs.read(k, name));
            changed_reads(ctx, job, &steps, &mut changed);
        }
        for (k, name) in changed {
            outputs.read(k, name);
        }
        Plan {
            pins: steps::Pins::new(ctx),
            needs,
            outputs: outputs.into_lists(),
            skippable,
            publishing,
            pull_requests,
        }
    }
}

fn condition(job: &Job) -> Option<Cond> {
    job.condition.as_ref().and_then(expr::simplified)
}

/// Each job's needs as the IR states them (within the pipeline).
fn ir_needs(ctx: &Ctx) -> Vec<Vec<JobId>> {
    let jobs = &ctx.pipeline.jobs;
    jobs.iter()
        .map(|j| {
            j.needs
                .iter()
                .copied()
                .filter(|&k| k < jobs.len())
                .collect()
        })
        .collect()
}

/// The jobs whose status or results a job reads, in a fixed order (the first edge that would
/// close a cycle is the one left out).
fn jobs_read(job: &Job, steps: &[Resolved]) -> Vec<JobId> {
    let mut read: Vec<JobId> = Vec::new();
    for c in job
        .condition
        .iter()
        .chain(steps.iter().filter_map(|s| s.condition.as_ref()))
    {
        cond_jobs(c, &mut read);
    }
    let mut visit = |r: &Ref| {
        if let Ref::Result { job, .. } = r {
            read.push(*job);
        }
    };
    argument_refs(job).for_each(&mut visit);
    for s in steps {
        step_refs(s, &mut visit);
    }
    read.extend(changed_axes(job).into_iter().map(|(k, _)| k));
    read
}

/// What a job's arguments and, for a call, its inputs read, in that order.
fn argument_refs(job: &Job) -> impl Iterator<Item = &Ref> {
    job.args
        .values()
        .chain(call_inputs(job))
        .flat_map(Template::refs)
}

/// The values a job that calls a pipeline passes to its inputs.
fn call_inputs(job: &Job) -> impl Iterator<Item = &Template> {
    job.call.iter().flat_map(|c| c.inputs.values())
}

fn cond_jobs(c: &Cond, out: &mut Vec<JobId>) {
    match c {
        Cond::JobStatus { job, .. } | Cond::Changed { job, .. } => out.push(*job),
        Cond::Not(inner) => cond_jobs(inner, out),
        Cond::And(cs) | Cond::Or(cs) => cs.iter().for_each(|c| cond_jobs(c, out)),
        _ => {}
    }
    let mut visit = |t: &Template| {
        for r in t.refs() {
            if let Ref::Result { job, .. } = r {
                out.push(*job);
            }
        }
    };
    if let Cond::Eq(..) | Cond::Ne(..) | Cond::Truthy(_) = c {
        expr::cond_templates(c, &mut visit);
    }
}

/// Whether job `a` needs job `b`, directly or not.
fn reaches(needs: &[Vec<JobId>], a: JobId, b: JobId) -> bool {
    if needs.get(a).is_none_or(Vec::is_empty) {
        return false;
    }
    let mut seen = vec![false; needs.len()];
    let mut stack = vec![a];
    while let Some(k) = stack.pop() {
        for &n in needs.get(k).map_or(&[][..], Vec::as_slice) {
            if n == b {
                return true;
            }
            if n < seen.len() && !seen[n] {
                seen[n] = true;
                stack.push(n);
            }
        }
    }
    false
}

/// Matrix axes computed from another job's result: (job, result).
fn changed_axes(job: &Job) -> Vec<(JobId, &str)> {
    job.matrix
        .iter()
        .flat_map(|m| m.axes.values())
        .filter_map(|a| match a {
            MatrixAxis::Changed { job, result } => Some((*job, result.as_str())),
            MatrixAxis::Values(_) => None,
        })
        .collect()
}

/// Every result read anywhere in the pipeline becomes an output of the job producing it.
struct Outputs<'t> {
    ctx: Ctx<'t>,
    /// Per job: its declared outputs, then each result read, in the order first read.
    lists: Vec<IndexSet<&'t str>>,
    /// Results per task by name, built on first use: a change-detection task has one result
    /// per service. Of results declared twice under one name, the last counts.
    known: HashMap<TaskId, HashMap<&'t str, &'t ResultDef, FxBuild>, FxBuild>,
}

impl<'t> Outputs<'t> {
    fn new(ctx: &Ctx<'t>) -> Self {
        let lists = ctx
            .pipeline
            .jobs
            .iter()
            .map(|j| j.outputs.iter().map(String::as_str).collect())
            .collect();
        Outputs {
            ctx: *ctx,
            lists,
            known: HashMap::default(),
        }
    }

    /// Records a read of result `name` of job `job`; a name the job's task does not declare is
    /// no output.
    fn read(&mut self, job: JobId, name: &str) {
        let Some(task) = self.ctx.pipeline.jobs.get(job).map(|j| j.task) else {
            return;
        };
        if let Some(r) = self.result(task, name) {
            if let Some(list) = self.lists.get_mut(job) {
                list.insert(&r.name);
            }
        }
    }

    /// The result a task declares under `name`.
    fn result(&mut self, task: TaskId, name: &str) -> Option<&'t ResultDef> {
        let program = self.ctx.program;
        let results = self.known.entry(task).or_insert_with(|| {
            program.tasks.get(task).map_or_else(HashMap::default, |t| {
                t.results.iter().map(|r| (r.name.as_str(), r)).collect()
            })
        });
        results.get(name).copied()
    }

    /// Each job's outputs: the names listed that are results of its task.
    fn into_lists(mut self) -> Vec<Vec<&'t ResultDef>> {
        let pipeline = self.ctx.pipeline;
        let lists = std::mem::take(&mut self.lists);
        pipeline
            .jobs
            .iter()
            .zip(lists)
            .map(|(job, names)| {
                names
                    .into_iter()
                    .filter_map(|name| self.result(job.task, name))
                    .collect()
            })
            .collect()
    }
}

/// Every (job, result) a job reads in its arguments, call inputs, condition, concurrency
/// group and steps, in that order.
fn result_reads(job: &Job, steps: &[Resolved], f: &mut dyn FnMut(JobId, &str)) {
    let mut visit = |r: &Ref| {
        if let Ref::Result { job, name } = r {
            f(*job, name);
        }
    };
    argument_refs(job).for_each(&mut visit);
    if let Some(c) = &job.condition {
        expr::cond_templates(c, &mut |t| t.refs().for_each(&mut visit));
    }
    if let Some(c) = &job.concurrency {
        c.group.refs().for_each(&mut visit);
    }
    for s in steps {
        step_refs(s, &mut visit);
    }
}

/// Every (job, result) a job's change tests (its own and its steps') and matrix axes read.
fn changed_reads<'t>(
    ctx: &Ctx<'t>,
    job: &'t Job,
    steps: &[Resolved],
    out: &mut Vec<(JobId, &'t str)>,
) {
    let conds = job
        .condition
        .iter()
        .chain(steps.iter().filter_map(|s| s.condition.as_ref()));
    for c in conds {
        cond_changed(ctx, c, out);
    }
    out.extend(changed_axes(job));
}

fn cond_changed<'t>(ctx: &Ctx<'t>, c: &Cond, out: &mut Vec<(JobId, &'t str)>) {
    match c {
        Cond::Changed { job, service } => out.push((*job, ctx.service_name(*service))),
        Cond::Not(inner) => cond_changed(ctx, inner, out),
        Cond::And(cs) | Cond::Or(cs) => cs.iter().for_each(|c| cond_changed(ctx, c, out)),
        _ => {}
    }
}

/// Calls `f` on every reference a step reads as the job runs it: in its environment, its
/// condition, then its script and working directory, command, or inputs.
fn step_refs(s: &Resolved, f: &mut dyn FnMut(&Ref)) {
    for t in s.step.env.values() {
        s.refs(t, f);
    }
    if let Some(c) = &s.condition {
        expr::cond_templates(c, &mut |t| t.refs().for_each(&mut *f));
    }
    match &s.step.kind {
        StepKind::Run {
            script, workdir, ..
        } => {
            s.refs(script, f);
            if let Some(w) = workdir {
                s.refs(w, f);
            }
        }
        StepKind::Exec { command, .. } => command.iter().for_each(|t| s.refs(t, f)),
        StepKind::Uses { with, .. } => with.values().for_each(|t| s.refs(t, f)),
    }
}

/// One job of the workflow.
pub fn job<'p>(ctx: &Ctx<'p>, plan: &'p Plan<'p>, j: JobId) -> Option<model::AnyJob<'p>> {
    let job = ctx.pipeline.jobs.get(j)?;
    if let Some(call) = &job.call {
        return call_job(ctx, plan, j, call).map(model::AnyJob::Call);
    }
    let task = ctx.task(job)?;
    let steps: Vec<Resolved> = steps::resolved_steps(job, task).collect();
    let publishing = plan.publishing || steps::uses_publisher(&steps);
    let js = JobSteps {
        job,
        task,
        steps: &steps,
        pins: &plan.pins,
        publishing,
    };
    Some(model::AnyJob::Steps(model::Job {
        name: &job.name,
        needs: needs(ctx, plan, j),
        condition: job_if(ctx, plan, j),
        runs_on: &job.runs_on,
        permissions: permissions(job, &js, plan.pull_requests),
        environment: environment(ctx, job),
        concurrency: concurrency(ctx, job),
        timeout_minutes: job.timeout_minutes,
        strategy: job.matrix.as_ref().map(|m| strategy(ctx, m)),
        services: services(job),
        outputs: job_outputs(plan, j),
        steps: steps::build(ctx, &js),
    }))
}

/// A job that calls another pipeline's workflow: `uses:` its file, `with:` the inputs,
/// `secrets:` each secret by name, and the permissions the called jobs request.
fn call_job<'p>(
    ctx: &Ctx<'p>,
    plan: &Plan<'p>,
    j: JobId,
    call: &'p PipelineCall,
) -> Option<model::CallJob<'p>> {
    let job = ctx.pipeline.jobs.get(j)?;
    let callee = ctx.program.pipelines.get(call.pipeline)?;
    let with = call
        .inputs
        .iter()
        .map(|(name, t)| (name.as_str(), input_value(ctx, callee, name, t)))
        .collect();
    let secrets = call
        .secrets
        .iter()
        .map(|(name, s)| (name.as_str(), format!("${{{{ secrets.{s} }}}}")))
        .collect();
    let mut perms = called_permissions(ctx.program, callee, 0);
    perms.extend(job.permissions.iter().copied());
    Some(model::CallJob {
        name: &job.name,
        needs: needs(ctx, plan, j),
        condition: job_if(ctx, plan, j),
        permissions: render_permissions(&perms, "workflow", &callee.name),
        concurrency: concurrency(ctx, job),
        strategy: job.matrix.as_ref().map(|m| strategy(ctx, m)),
        uses: format!("$/{}", super::workflow_path(ctx.program, callee)),
        with,
        secrets,
    })
}

/// An input value typed as the called workflow declares the input: GitHub refuses a string
/// where a boolean or a number is declared.
fn input_value<'t>(ctx: &Ctx, callee: &Pipeline, name: &str, t: &'t Template) -> model::Scalar<'t> {
    let ty = callee.inputs.iter().find(|i| i.name == name).map(|i| &i.ty);
    match (ty, t.as_literal()) {
        (Some(ParamType::Bool), Some(lit)) if lit == "true" || lit == "false" => {
            model::Scalar::Bool(lit == "true")
        }
        (Some(ParamType::Int), Some(lit)) if lit.parse::<i64>().is_ok() => {
            model::Scalar::Int(lit.parse().unwrap_or_default())
        }
        _ => model::Scalar::Str(expr::inline(ctx, t)),
    }
}

/// Every permission the jobs of a called workflow request, as they are written in its file
/// (and, for its own calls, what those request); a caller must grant at least these. Calls
/// between pipelines never form a cycle; the depth bound only guards against a broken IR.
fn called_permissions(program: &Program, callee: &Pipeline, depth: usize) -> BTreeSet<Permission> {
    let mut out = BTreeSet::new();
    if depth > program.pipelines.len() {
        return out;
    }
    let ctx = Ctx {
        program,
        pipeline: callee,
        short_sha_step: false,
    };
    let pull_requests = super::has_pull_requests(callee);
    for job in &callee.jobs {
        out.extend(job.permissions.iter().copied());
        if let Some(c) = &job.call {
            if let Some(p) = program.pipelines.get(c.pipeline) {
                out.extend(called_permissions(program, p, depth + 1));
            }
            continue;
        }
        let Some(task) = ctx.task(job) else { continue };
        out.extend(job.all_permissions(task));
        if job.checks_out(task) {
            out.insert(Permission::ContentsRead);
        }
        if pull_requests && steps::resolved_steps(job, task).any(|s| lists_changes(&s)) {
            out.insert(Permission::PullRequestsRead);
        }
    }
    out
}

/// Whether a step runs the change filter, which lists a pull request's files through the API.
fn lists_changes(s: &Resolved) -> bool {
    matches!(&s.step.kind, StepKind::Uses { action, .. }
        if action.name.eq_ignore_ascii_case("dorny/paths-filter"))
}

/// Direct needs by id, sorted; a `finally` job waits for every job not waiting for it.
fn needs<'p>(ctx: &Ctx<'p>, plan: &Plan, j: JobId) -> Vec<&'p str> {
    let jobs = &ctx.pipeline.jobs;
    let direct = plan.needs.get(j).map_or(&[][..], Vec::as_slice);
    let mut names: Vec<&'p str> = direct.iter().map(|&k| ctx.job_id(k)).collect();
    if jobs.get(j).is_some_and(|job| job.finally) {
        for (k, other) in jobs.iter().enumerate() {
            if k != j && !other.finally && !reaches(&plan.needs, k, j) {
                names.push(ctx.job_id(k));
            }
        }
    }
    names.sort_unstable();
    names.dedup();
    names
}

/// The job's `if:`. GitHub skips a job whose needed job was skipped unless the condition
/// calls a status function, so conditions are guarded accordingly.
fn job_if(ctx: &Ctx, plan: &Plan, j: JobId) -> Option<String> {
    let job = ctx.pipeline.jobs.get(j)?;
    let cond = condition(job);
    let skipped_need = plan
        .needs
        .get(j)
        .into_iter()
        .flatten()
        .any(|&n| plan.skippable.get(n).copied().unwrap_or(false));
    let prefix = match &cond {
        _ if job.finally => Some("always()"),
        Some(c) if expr::has_status_fn(c) => None,
        Some(c) if expr::tests_job_status(c) => Some("!cancelled()"),
        _ if skipped_need => Some("!cancelled() && !failure()"),
        _ => None,
    };
    let guards = changed_axes(job);
    if prefix.is_none() && cond.is_none() && guards.is_empty() {
        return None;
    }
    let alone = prefix.is_none() && guards.is_empty();
    // The parts joined by ` && `: the prefix, the condition, then a guard per computed axis.
    let mut out = String::with_capacity(64);
    if let Some(p) = prefix {
        out.push_str(p);
    }
    if let Some(c) = &cond {
        if prefix.is_some() {
            out.push_str(" && ");
        }
        let parens = matches!(c, Cond::Or(_)) && !alone;
        if parens {
            out.push('(');
        }
        expr::push_cond_expr(ctx, c, &mut out);
        if parens {
            out.push(')');
        }
    }
    for (i, (k, result)) in guards.into_iter().enumerate() {
        if i > 0 || prefix.is_some() || cond.is_some() {
            out.push_str(" && ");
        }
        for part in ["needs.", ctx.job_id(k), ".outputs.", result, " != '[]'"] {
            out.push_str(part);
        }
    }
    Some(out)
}

/// Why a job holds a permission (the comment GitHub reviewers and zizmor ask for).
fn reason(p: Permission) -> &'static str {
    match p.scope_level() {
        ("contents", "read") => "reads the repository",
        ("contents", _) => "pushes commits or tags",
        ("id-token", _) => "requests an OIDC token to log in to a cloud",
        ("packages", "read") => "pulls images from GitHub Packages",
        ("packages", _) => "pushes images to GitHub Packages",
        ("pull-requests", "read") => "reads pull requests",
        ("pull-requests", _) => "opens or comments on pull requests",
        ("security-events", "read") => "reads code scanning results",
        ("security-events", _) => "uploads code scanning results",
        ("actions", "read") => "reads workflow runs",
        ("actions", _) => "manages workflow runs",
        ("checks", "read") => "reads check runs",
        ("checks", _) => "publishes check runs",
        ("deployments", "read") => "reads deployments",
        _ => "records deployments",
    }
}

fn permissions(job: &Job, js: &JobSteps, pull_requests: bool) -> model::Permissions {
    let mut perms = job.all_permissions(js.task);
    if job.checks_out(js.task) {
        perms.insert(Permission::ContentsRead);
    }
    let mut out = render_permissions(&perms, "task", &js.task.name);
    // The change filter lists a pull request's files through the API.
    if js.steps.iter().any(lists_changes) && pull_requests && !out.contains_key("pull-requests") {
        let why = "lists the files a pull request changes";
        out.insert("pull-requests", with_comment("read", why).into());
    }
    out
}

/// A job's `permissions:`: each scope once (a write grant includes the read), every grant but
/// `contents: read` with a comment saying why (`reason, for <kind> <name>`).
fn render_permissions(perms: &BTreeSet<Permission>, kind: &str, name: &str) -> model::Permissions {
    let mut out = IndexMap::with_capacity_and_hasher(perms.len(), Default::default());
    for p in perms {
        let (scope, level) = p.scope_level();
        if !p.is_write()
            && perms
                .iter()
                .any(|q| q.is_write() && q.scope_level().0 == scope)
        {
            continue;
        }
        if *p == Permission::ContentsRead {
            out.insert(scope, level.into());
            continue;
        }
        // `with_comment(level, "<reason>, for <kind> <name>")`, written in one go.
        let why = reason(*p);
        let sep = crate::emit::COMMENT_SEP;
        let mut text = String::with_capacity(
            level.len() + sep.len() + why.len() + kind.len() + name.len() + 8,
        );
        for part in [level, sep, why, ", for ", kind, " ", name] {
            text.push_str(part);
        }
        out.insert(scope, text.into());
    }
    out
}

fn environment<'p>(ctx: &Ctx<'p>, job: &Job) -> Option<model::JobEnvironment<'p>> {
    let env = ctx.program.environments.get(job.environment?)?;
    Some(model::JobEnvironment {
        name: &env.name,
        url: env.url.as_deref().map(expr::lit_inline),
    })
}

/// The job's own group, else one per environment (and service, and matrix cell) for deploys,
/// so deploys to one place queue instead of overlapping, and no queued deploy replaces another.
fn concurrency<'p>(ctx: &Ctx<'p>, job: &'p Job) -> Option<model::Concurrency<'p>> {
    if let Some(c) = &job.concurrency {
        return Some(model::Concurrency {
            group: expr::inline(ctx, &c.group),
            cancel_in_progress: model::Scalar::Bool(c.cancel_in_progress),
        });
    }
    let env = ctx.program.environments.get(job.environment?)?;
    let mut group = format!("deploy-{}", env.name);
    if let Some(s) = job.service.and_then(|s| ctx.program.services.get(s)) {
        group.push('-');
        group.push_str(&s.name);
    }
    for axis in job.matrix.iter().flat_map(|m| m.axes.keys()) {
        group.push_str("-${{ matrix.");
        group.push_str(axis);
        group.push_str(" }}");
    }
    Some(model::Concurrency {
        group: group.into(),
        cancel_in_progress: model::Scalar::Bool(false),
    })
}

fn strategy<'p>(ctx: &Ctx, m: &'p Matrix) -> model::Strategy<'p> {
    let mut matrix = IndexMap::default();
    for (name, axis) in &m.axes {
        let entry = match axis {
            MatrixAxis::Values(v) => model::MatrixEntry::Values(v),
            MatrixAxis::Changed { job, result } => model::MatrixEntry::Expr(format!(
                "${{{{ fromJSON(needs.{}.outputs.{result}) }}}}",
                ctx.job_id(*job)
            )),
        };
        matrix.insert(name.as_str(), entry);
    }
    if !m.include.is_empty() {
        matrix.insert("include", model::MatrixEntry::Rows(&m.include));
    }
    if !m.exclude.is_empty() {
        matrix.insert("exclude", model::MatrixEntry::Rows(&m.exclude));
    }
    model::Strategy {
        matrix,
        fail_fast: m.fail_fast,
        max_parallel: m.max_parallel,
    }
}

/// Service containers; the health command is checked by Docker before the steps start.
fn services(job: &Job) -> IndexMap<&str, model::ServiceContainer<'_>> {
    job.containers
        .iter()
        .map(|c| {
            let options = c.health_cmd.as_ref().map(|cmd| {
                let quoted = cmd.replace('\\', "\\\\").replace('"', "\\\"");
                format!(
                    "--health-cmd \"{quoted}\" --health-interval 10s --health-timeout 5s --health-retries 5"
                )
            });
            let container = model::ServiceContainer {
                image: &c.image,
                ports: c.ports.iter().map(|p| format!("{p}:{p}")).collect(),
                env: c
                    .env
                    .iter()
                    .map(|(k, v)| (k.as_str(), expr::lit_inline(v)))
                    .collect(),
                options,
            };
            (c.name.as_str(), container)
        })
        .collect()
}

/// The job's outputs: each result another job reads, from the step that writes it.
fn job_outputs<'p>(plan: &Plan<'p>, j: JobId) -> IndexMap<&'p str, String> {
    plan.outputs
        .get(j)
        .into_iter()
        .flatten()
        .filter(|r| !r.step.is_empty())
        .map(|r| {
            let value = format!("${{{{ steps.{}.outputs.{} }}}}", r.step, r.name);
            (r.name.as_str(), value)
        })
        .collect()
}
