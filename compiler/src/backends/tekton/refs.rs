//! How run-time references are spelled on Tekton.
//!
//! Two places hold templates: a Task's steps, where only `$(params.…)` of the Task itself is
//! visible, and a Pipeline, where parameters of the run, results of other tasks and the run's
//! context are. This module owns both spellings and the naming conventions that tie them
//! together. Invariant: a reference always becomes the same parameter name, so the Task, the
//! Pipeline, the PipelineRun and the Triggers that fill it agree without talking to each other.
//!
//! Conventions:
//! - facts about the commit are Pipeline parameters `git-url`, `git-revision` (the commit SHA),
//!   `git-ref`, `git-ref-name`, `git-short-sha`, `git-repository` and `git-actor`;
//! - a parameter, input or matrix axis `n` of the program is spelled [`param_name`]`(n)` (kebab
//!   case: `dry_run` is `dry-run`) wherever Tekton names it, declared, passed or read; semantic
//!   analysis rejects programs in which two of them would get the same name (E0039);
//! - an input `n` is the Pipeline parameter `param_name(n)`; event text `a.b` is `event-a-b`;
//! - a declared secret `NAME` is the Kubernetes Secret `name` (lowercase, `_` as `-`) holding
//!   the value under the key `value`.

use crate::ir::{GitField, Pipeline, Ref, Template, TemplatePart};
use indexmap::IndexMap;

/// The Pipeline parameter holding the clone URL of the application repository.
pub const GIT_URL: &str = "git-url";
/// The Pipeline parameter holding the commit to build.
pub const GIT_REVISION: &str = "git-revision";
/// The key of a Kubernetes Secret that holds a declared secret's value.
pub const SECRET_KEY: &str = "value";

/// The Pipeline parameter carrying a fact about the commit.
pub fn git_param(field: GitField) -> &'static str {
    match field {
        GitField::Sha => GIT_REVISION,
        GitField::ShortSha => "git-short-sha",
        GitField::Ref => "git-ref",
        GitField::RefName => "git-ref-name",
        GitField::Repository => "git-repository",
        GitField::RepoUrl => GIT_URL,
        GitField::Actor => "git-actor",
    }
}

/// The Pipeline parameter carrying a piece of the triggering event.
pub fn event_param(path: &str) -> String {
    format!("event-{}", kebab(path))
}

/// The Pipeline parameter a reference arrives in, for references a run receives from outside
/// (commit facts, inputs and event text).
pub fn run_param(r: &Ref) -> Option<String> {
    match r {
        Ref::Git(f) => Some(git_param(*f).to_string()),
        Ref::Input(n) => Some(param_name(n)),
        Ref::Event(p) => Some(event_param(p)),
        _ => None,
    }
}

/// How Tekton spells a parameter, input or matrix axis of the program: kebab case (lowercase
/// letters, digits and `-`), the spelling Tekton's own catalogue uses and tekton-lint asks for.
/// Names that have no letter or digit are `param`.
pub fn param_name(name: &str) -> String {
    kebab_or(name, "param")
}

/// The Kubernetes Secret that holds a declared secret: a DNS-1123 name derived from it.
pub fn secret_name(secret: &str) -> String {
    kebab_or(secret, "secret")
}

/// [`kebab`] of `text`, or `fallback` when that is empty.
fn kebab_or(text: &str, fallback: &str) -> String {
    let out = kebab(text);
    if out.is_empty() {
        fallback.to_string()
    } else {
        out
    }
}

/// ASCII letters (lowercased) and digits are kept; every run of other characters becomes one
/// `-`, and no `-` starts or ends the result.
pub fn kebab(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// The id of a job of `pipeline`, or a placeholder that names no task when out of range.
pub fn job_id(pipeline: &Pipeline, job: usize) -> &str {
    pipeline
        .jobs
        .get(job)
        .map_or("missing-job", |j| j.id.as_str())
}

/// Spells a template inside a Pipeline (task arguments, `when` expressions).
pub fn in_pipeline(t: &Template, pipeline: &Pipeline) -> String {
    t.render(&mut |r| match r {
        Ref::Result { job, name } => {
            format!("$(tasks.{}.results.{name})", job_id(pipeline, *job))
        }
        Ref::RunId => "$(context.pipelineRun.uid)".to_string(),
        Ref::Secret(n) => secret_name(n),
        Ref::Param(p) | Ref::Matrix(p) => format!("$(params.{})", param_name(p)),
        other => format!("$(params.{})", run_param(other).unwrap_or_default()),
    })
}

/// Spells a template inside a Task: task parameters as `$(params.…)`, every other reference
/// through the task parameter `implicit` maps it to.
pub fn in_task(t: &Template, implicit: &IndexMap<Ref, String>) -> String {
    t.render(&mut |r| match r {
        Ref::Param(p) => format!("$(params.{})", param_name(p)),
        Ref::Secret(n) => secret_name(n),
        other => match implicit.get(other) {
            Some(name) => format!("$(params.{name})"),
            None => format!("$(params.{})", run_param(other).unwrap_or_default()),
        },
    })
}

/// The names of the parameters a text reads: `NAME` of every `$(params.NAME)`, and of
/// `$(params.NAME[*])` or `$(params.NAME.key)`.
pub fn params_read(text: &str) -> impl Iterator<Item = &str> {
    const OPEN: &str = "$(params.";
    text.match_indices(OPEN).filter_map(|(i, _)| {
        let rest = &text[i + OPEN.len()..];
        let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))?;
        (end > 0 && rest[end..].starts_with([')', '[', '.'])).then(|| &rest[..end])
    })
}

/// The reference a template consists of, when it is exactly one.
pub fn only_ref(t: &Template) -> Option<&Ref> {
    match t.parts.as_slice() {
        [TemplatePart::Ref(r)] => Some(r),
        _ => None,
    }
}

/// A duration in the form Go's `time.ParseDuration` reads and Kubernetes writes (`1h30m0s`).
pub fn duration(minutes: u32) -> String {
    let (h, m) = (minutes / 60, minutes % 60);
    if h > 0 {
        format!("{h}h{m}m0s")
    } else {
        format!("{m}m0s")
    }
}

/// `name` if `taken` does not hold it, else the first free `name-N`.
pub fn unique(name: &str, taken: &dyn Fn(&str) -> bool) -> String {
    if !taken(name) {
        return name.to_string();
    }
    (2..)
        .map(|n| format!("{name}-{n}"))
        .find(|n| !taken(n))
        .unwrap_or_else(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_are_dns_labels() {
        assert_eq!(secret_name("SLACK_WEBHOOK"), "slack-webhook");
        assert_eq!(secret_name("__"), "secret");
        assert_eq!(
            event_param("pull_request.title"),
            "event-pull-request-title"
        );
    }

    #[test]
    fn parameter_names_are_kebab_case() {
        assert_eq!(param_name("dry_run"), "dry-run");
        assert_eq!(param_name("svc-path"), "svc-path");
        assert_eq!(param_name("dryRun"), "dryrun");
        assert_eq!(param_name("_private__name_"), "private-name");
        assert_eq!(param_name("_"), "param");
    }

    #[test]
    fn parameters_are_found_in_text() {
        let text = "$(params.a) $(params.b-c[*]) $(params.) $(params.d $(params.e_f) $(params.o.k)";
        assert_eq!(
            params_read(text).collect::<Vec<_>>(),
            ["a", "b-c", "e_f", "o"]
        );
    }

    #[test]
    fn durations_use_go_syntax() {
        assert_eq!(duration(20), "20m0s");
        assert_eq!(duration(90), "1h30m0s");
    }
}
