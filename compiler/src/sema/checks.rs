//! Rules across targets that no single declaration can check: every environment a pipeline
//! deploys to is deployed by Argo CD, gates are honoured on every engine, the image a job
//! builds is the image that is deployed, and which job results other jobs read (outputs).

use super::Ctx;
use crate::diagnostics::{Code, Diagnostic};
use crate::ir::{Cond, Gate, Ref, Target, Template};

impl Ctx<'_> {
    pub(super) fn cross_checks(&mut self) {
        for p in 0..self.pipelines.len() {
            self.compute_outputs(p);
            for j in 0..self.pipelines[p].jobs.len() {
                self.check_deploy_target(p, j);
                self.check_gate(p, j);
                self.check_image(p, j);
                self.check_reachable(p, j);
                self.check_tekton_condition(p, j);
            }
        }
    }

    fn job_span(&self, p: usize, j: usize) -> crate::diagnostics::Span {
        self.pipeline_spans[p]
            .jobs
            .get(j)
            .copied()
            .unwrap_or(self.pipeline_spans[p].name)
    }

    /// An environment a job deploys to must be an Argo CD destination of some deployment.
    fn check_deploy_target(&mut self, p: usize, j: usize) {
        let Some(env) = self.pipelines[p].jobs[j].environment else {
            return;
        };
        if self.deployments.is_empty()
            || self
                .deployments
                .iter()
                .any(|d| d.environments.contains(&env))
        {
            return;
        }
        let name = self.envs[env].name.clone();
        let mut d = Diagnostic::new(
            Code::UndeployedEnvironment,
            self.job_span(p, j),
            format!("this job deploys to `{name}`, but no deployment delivers `{name}`"),
        )
        .label("deploys to an environment Argo CD does not sync");
        if let Some(s) = self.deploy_spans.first() {
            d = d.secondary(
                *s,
                format!("add `{name}` to this deployment's environments"),
            );
        }
        self.diags.push(d);
    }

    /// A manual gate needs a person on every engine: GitHub environments ask reviewers; Tekton
    /// has no approval, so the change must go through a pull request a person merges.
    fn check_gate(&mut self, p: usize, j: usize) {
        let job = &self.pipelines[p].jobs[j];
        let Some(env) = job.environment else { return };
        if !matches!(self.envs[env].gate, Gate::Manual { .. })
            || !self.pipelines[p].targets(Target::Tekton)
        {
            return;
        }
        let lit = |k: &str| job.args.get(k).and_then(Template::as_literal);
        let via_pr = lit("via").as_deref() == Some("pull_request");
        let auto_merge = lit("auto_merge").as_deref() == Some("true");
        if via_pr && !auto_merge {
            return;
        }
        let name = self.envs[env].name.clone();
        let d = Diagnostic::new(Code::GateBypassed, self.job_span(p, j), format!("`{name}` has a manual gate, but on tekton this job deploys without one"))
            .label("would deploy without approval")
            .help("deploy through a pull request a person merges (`via = \"pull_request\"`, `auto_merge = false`), or target only github");
        self.diags.push(d);
    }

    /// A job for a service that passes an image must pass that service's image.
    fn check_image(&mut self, p: usize, j: usize) {
        let job = &self.pipelines[p].jobs[j];
        let Some(s) = job.service else { return };
        let expected = &self.services[s].image;
        let wrong = job.args.iter().find_map(|(k, v)| {
            let is_image = &**k == "image" || (k.ends_with("-image") && !k.starts_with("svc"));
            if !is_image {
                return None;
            }
            let lit = v.literal()?;
            let repo = lit.split('@').next().unwrap_or(&lit);
            let repo = match repo.rsplit_once(':') {
                Some((r, tag)) if !tag.contains('/') => r,
                _ => repo,
            };
            (repo != expected).then(|| lit.into_owned())
        });
        if let Some(image) = wrong {
            let expected = self.services[s].image.clone();
            let name = self.services[s].name.clone();
            let d = Diagnostic::new(
                Code::ImageMismatch,
                self.job_span(p, j),
                format!("this job pushes `{image}`, but `{name}` deploys `{expected}`"),
            )
            .label("builds another image than the one deployed")
            .help(format!(
                "pass `{name}.image`, or change the service's `image`"
            ));
            self.diags.push(d);
        }
    }

    fn check_reachable(&mut self, p: usize, j: usize) {
        if let Some(Cond::Not(inner)) = &self.pipelines[p].jobs[j].condition {
            if **inner == Cond::Always {
                let d = Diagnostic::new(
                    Code::Unreachable,
                    self.job_span(p, j),
                    "this job can never run",
                )
                .label("its condition is always false")
                .help("remove the job, or fix its `if`");
                self.diags.push(d);
            }
        }
    }

    /// Tekton `when` expressions test values (`in`/`notin`), all of which must hold; job
    /// statuses exist only for `finally` tasks.
    fn check_tekton_condition(&mut self, p: usize, j: usize) {
        if !self.pipelines[p].targets(Target::Tekton) {
            return;
        }
        let job = &self.pipelines[p].jobs[j];
        let Some(c) = job.condition.as_ref().and_then(Cond::simplify) else {
            return;
        };
        if let Err(what) = tekton_expressible(&c, job.finally, true) {
            let span = self.job_span(p, j);
            self.unsupported(span, Target::Tekton, what);
        }
    }

    /// Marks every result another job reads as an output of the producing job.
    fn compute_outputs(&mut self, p: usize) {
        let mut reads: Vec<(usize, String)> = Vec::new();
        let pipe = &self.pipelines[p];
        // Whether each task's steps read any job result: most jobs share a few tasks.
        let mut task_reads: Vec<Option<bool>> = vec![None; self.task_defs.len()];
        let mut visit = |t: &Template| {
            for r in t.refs() {
                if let Ref::Result { job, name } = r {
                    reads.push((*job, name.clone()));
                }
            }
        };
        for job in &pipe.jobs {
            job.args.values().for_each(&mut visit);
            if let Some(c) = &job.condition {
                cond_templates(c, &mut visit);
            }
            if let Some(c) = &job.concurrency {
                visit(&c.group);
            }
            // A job's inline steps may read other jobs' results directly.
            if let Some(task) = self.task_defs.get(job.task) {
                let steps = || task.github.iter().chain(task.tekton.iter()).flatten();
                let reads_results = *task_reads[job.task].get_or_insert_with(|| {
                    let mut any = false;
                    for step in steps() {
                        step_templates(step, &mut |t| {
                            any |= t.refs().any(|r| matches!(r, Ref::Result { .. }));
                        });
                    }
                    any
                });
                if reads_results {
                    for step in steps() {
                        step_templates(step, &mut visit);
                    }
                }
            }
        }
        // Change detection results are read through conditions.
        let mut changed: Vec<(usize, String)> = Vec::new();
        for job in &pipe.jobs {
            if let Some(c) = &job.condition {
                changed_refs(c, &self.services, &mut changed);
            }
        }
        reads.extend(changed);
        reads.sort();
        reads.dedup();
        for (job, name) in reads {
            if let Some(j) = self.pipelines[p].jobs.get_mut(job) {
                j.outputs.push(name);
            }
        }
    }
}

/// Calls `f` on every template inside a condition.
pub fn cond_templates(c: &Cond, f: &mut dyn FnMut(&Template)) {
    match c {
        Cond::Eq(a, b) | Cond::Ne(a, b) => {
            f(a);
            f(b);
        }
        Cond::Truthy(t) => f(t),
        Cond::Not(inner) => cond_templates(inner, f),
        Cond::And(cs) | Cond::Or(cs) => cs.iter().for_each(|c| cond_templates(c, f)),
        _ => {}
    }
}

fn changed_refs(c: &Cond, services: &[crate::ir::Service], out: &mut Vec<(usize, String)>) {
    match c {
        Cond::Changed { job, service } => out.push((*job, services[*service].name.clone())),
        Cond::Not(inner) => changed_refs(inner, services, out),
        Cond::And(cs) | Cond::Or(cs) => cs.iter().for_each(|c| changed_refs(c, services, out)),
        _ => {}
    }
}

/// Whether Tekton can express a condition as `when` expressions (`top`: not under `&&`).
fn tekton_expressible(c: &Cond, finally: bool, top: bool) -> Result<(), &'static str> {
    match c {
        Cond::Eq(..) | Cond::Ne(..) | Cond::Truthy(_) | Cond::Changed { .. } | Cond::Success => Ok(()),
        Cond::Not(inner) => match inner.as_ref() {
            Cond::Eq(..) | Cond::Ne(..) | Cond::Truthy(_) | Cond::Changed { .. } => Ok(()),
            _ => Err("this negated condition (`when` can negate only a comparison)"),
        },
        Cond::And(cs) => cs.iter().try_for_each(|c| tekton_expressible(c, finally, false)),
        Cond::Or(_) => Err("`||` in a condition (`when` expressions must all hold)"),
        Cond::Always | Cond::Failure | Cond::JobStatus { .. } if finally && top => Ok(()),
        Cond::JobStatus { .. } if finally => Ok(()),
        Cond::Always | Cond::Failure | Cond::JobStatus { .. } => {
            Err("a condition on other jobs' outcome outside `finally` (only finally tasks see statuses)")
        }
    }
}

/// Calls `f` on every template of a step.
pub fn step_templates(s: &crate::ir::Step, f: &mut dyn FnMut(&Template)) {
    use crate::ir::StepKind;
    match &s.kind {
        StepKind::Run {
            script, workdir, ..
        } => {
            f(script);
            if let Some(w) = workdir {
                f(w);
            }
        }
        StepKind::Exec { command, .. } => command.iter().for_each(&mut *f),
        StepKind::Uses { with, .. } => with.values().for_each(&mut *f),
    }
    s.env.values().for_each(&mut *f);
    if let Some(c) = &s.condition {
        cond_templates(c, f);
    }
}
