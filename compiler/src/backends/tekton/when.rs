//! Job conditions as Tekton `when` expressions.
//!
//! A PipelineTask runs when every one of its `when` expressions holds (`input` `in` or `notin`
//! `values`). So a conjunction of comparisons maps one to one; a disjunction does not, nor do
//! "run whatever happened" and "run after a failure" outside `finally`. Invariant: what this
//! module cannot express is left out (semantic analysis rejects it for Tekton with E0017), and
//! what it writes never makes a task run when the condition does not hold.
//!
//! Outcome tests become `$(tasks.<id>.status)` (Succeeded, Failed, None) and
//! `$(tasks.status)` (Succeeded, Completed, Failed, None) inside `finally` tasks, the only place
//! Tekton offers them.
//!
//! A job runs only when every job it needs succeeded, so a job whose need was skipped is
//! skipped too. Tekton instead runs the dependents of a task its `when` skipped. So a task also
//! carries the `when` expressions of the tasks it needs (transitively), unless its condition
//! tests outcomes itself (`always()`, `failure()`, `succeeded(x)`…).

use super::model::WhenExpression;
use super::refs;
use super::script::changed_ref;
use crate::ir::{Cond, Job, JobStatus, Pipeline, Program, Template};

/// The `when` expressions of every job of a pipeline, by job index.
pub fn when_all(program: &Program, pl: &Pipeline) -> Vec<Vec<WhenExpression>> {
    let mut memo: Vec<Option<Vec<WhenExpression>>> = vec![None; pl.jobs.len()];
    for j in 0..pl.jobs.len() {
        when_memo(program, pl, j, &mut memo, &mut Vec::new());
    }
    memo.into_iter().map(Option::unwrap_or_default).collect()
}

/// A job's expressions: its own, then those of its needs (`visiting` guards against a cycle,
/// which the IR excludes).
fn when_memo(
    program: &Program,
    pl: &Pipeline,
    j: usize,
    memo: &mut Vec<Option<Vec<WhenExpression>>>,
    visiting: &mut Vec<usize>,
) -> Vec<WhenExpression> {
    if let Some(Some(done)) = memo.get(j) {
        return done.clone();
    }
    let Some(job) = pl.jobs.get(j).filter(|_| !visiting.contains(&j)) else {
        return Vec::new();
    };
    visiting.push(j);
    let mut out = own(program, pl, job);
    if inherits(job) {
        for &n in &job.needs {
            if pl.jobs.get(n).is_some_and(|x| !x.finally) {
                for e in when_memo(program, pl, n, memo, visiting) {
                    if !out.contains(&e) {
                        out.push(e);
                    }
                }
            }
        }
    }
    visiting.pop();
    if let Some(slot) = memo.get_mut(j) {
        *slot = Some(out.clone());
    }
    out
}

/// The expressions of a job's own condition.
fn own(program: &Program, pl: &Pipeline, job: &Job) -> Vec<WhenExpression> {
    let Some(cond) = job.condition.as_ref().and_then(Cond::simplify) else {
        return Vec::new();
    };
    let cx = Cx { program, pl, job };
    let mut out = Vec::new();
    cx.add(&cond, &mut out);
    out
}

/// Whether a job runs only after its needs succeeded (so never after a skipped one).
fn inherits(job: &Job) -> bool {
    fn tests_outcomes(c: &Cond) -> bool {
        match c {
            Cond::Always | Cond::Failure | Cond::JobStatus { .. } => true,
            Cond::Not(inner) => tests_outcomes(inner),
            Cond::And(cs) | Cond::Or(cs) => cs.iter().any(tests_outcomes),
            _ => false,
        }
    }
    !job.finally && !job.condition.as_ref().is_some_and(tests_outcomes)
}

struct Cx<'a> {
    program: &'a Program,
    pl: &'a Pipeline,
    job: &'a Job,
}

impl Cx<'_> {
    fn add(&self, c: &Cond, out: &mut Vec<WhenExpression>) {
        match c {
            Cond::And(cs) => cs.iter().for_each(|c| self.add(c, out)),
            Cond::Eq(a, b) => out.push(self.compare(a, "in", b)),
            Cond::Ne(a, b) => out.push(self.compare(a, "notin", b)),
            Cond::Truthy(t) => out.push(self.compare(t, "in", &Template::lit("true"))),
            Cond::Changed { job, service } => out.push(self.changed(*job, *service, "in")),
            Cond::Not(inner) => self.add_not(inner, out),
            Cond::Success => self.success(out),
            Cond::Failure => self.failure(out),
            Cond::JobStatus { job, status } => self.status(*job, *status, "in", out),
            Cond::Always | Cond::Or(_) => {}
        }
    }

    fn add_not(&self, c: &Cond, out: &mut Vec<WhenExpression>) {
        match c {
            Cond::Always => out.push(expr("false".into(), "in", vec!["true".into()])),
            Cond::Eq(a, b) => out.push(self.compare(a, "notin", b)),
            Cond::Ne(a, b) => out.push(self.compare(a, "in", b)),
            Cond::Truthy(t) => out.push(self.compare(t, "notin", &Template::lit("true"))),
            Cond::Changed { job, service } => out.push(self.changed(*job, *service, "notin")),
            Cond::Not(inner) => self.add(inner, out),
            Cond::JobStatus { job, status } => self.status(*job, *status, "notin", out),
            _ => {}
        }
    }

    fn compare(&self, a: &Template, op: &'static str, b: &Template) -> WhenExpression {
        expr(
            refs::in_pipeline(a, self.pl),
            op,
            vec![refs::in_pipeline(b, self.pl)],
        )
    }

    fn changed(&self, job: usize, service: usize, op: &'static str) -> WhenExpression {
        let t = Template::of_ref(changed_ref(self.program, job, service));
        self.compare(&t, op, &Template::lit("true"))
    }

    /// "Every needed job succeeded": the default of a task; in `finally`, a test per need.
    fn success(&self, out: &mut Vec<WhenExpression>) {
        if !self.job.finally {
            return;
        }
        let needs = self.regular_needs();
        if needs.is_empty() {
            out.push(expr(
                "$(tasks.status)".into(),
                "in",
                vec!["Succeeded".into(), "Completed".into()],
            ));
        }
        for j in needs {
            self.status(j, JobStatus::Success, "in", out);
        }
    }

    /// "Some needed job failed": in `finally`, when one job or every job is needed.
    fn failure(&self, out: &mut Vec<WhenExpression>) {
        if !self.job.finally {
            return;
        }
        let needs = self.regular_needs();
        let regular = self.pl.jobs.iter().filter(|j| !j.finally).count();
        match needs.as_slice() {
            [one] => self.status(*one, JobStatus::Failure, "in", out),
            _ if needs.is_empty() || needs.len() == regular => {
                out.push(expr("$(tasks.status)".into(), "in", vec!["Failed".into()]));
            }
            _ => {}
        }
    }

    fn status(
        &self,
        job: usize,
        status: JobStatus,
        op: &'static str,
        out: &mut Vec<WhenExpression>,
    ) {
        // Outside `finally` a needed job has always succeeded when the task starts, and no
        // other outcome can be tested.
        if !self.job.finally {
            return;
        }
        let target_is_regular = self.pl.jobs.get(job).is_some_and(|j| !j.finally);
        let value = match status {
            JobStatus::Success => "Succeeded",
            JobStatus::Failure => "Failed",
            JobStatus::Skipped => "None",
            JobStatus::Cancelled => return,
        };
        if target_is_regular {
            let input = format!("$(tasks.{}.status)", refs::job_id(self.pl, job));
            out.push(expr(input, op, vec![value.into()]));
        }
    }

    /// The jobs this one needs that are not `finally` jobs themselves.
    fn regular_needs(&self) -> Vec<usize> {
        self.job
            .needs
            .iter()
            .copied()
            .filter(|j| self.pl.jobs.get(*j).is_some_and(|x| !x.finally))
            .collect()
    }
}

fn expr(input: String, operator: &'static str, values: Vec<String>) -> WhenExpression {
    WhenExpression {
        input,
        operator,
        values,
    }
}
