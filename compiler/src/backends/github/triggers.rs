//! The `on:` map of a workflow: every trigger of a pipeline merged into one map.
//!
//! Invariants: `paths` and `paths-ignore` never appear together on one event (GitHub rejects
//! that; ignored paths become `!` entries of `paths`); a `paths` list is never made only of
//! negations (which would match nothing); a tag trigger shares the `push` event with a branch
//! trigger without narrowing it; and every workflow has at least one trigger.

use super::model::{
    Call, CallInput, CallSecret, Dispatch, DispatchInput, On, PullRequestEvent, PushEvent, Scalar,
    Schedule,
};
use crate::ir::{Input, ParamType, PathFilter, Pipeline, Trigger};

/// The merged `on:` map of a pipeline.
pub fn on(p: &Pipeline) -> On {
    let mut on = On::default();
    let mut push: Option<PathFilter> = None;
    let mut tags: Option<Vec<String>> = None;
    let mut pr: Option<PathFilter> = None;
    for t in &p.triggers {
        match t {
            Trigger::Push(f) => merge(&mut push, f),
            Trigger::PullRequest(f) => merge(&mut pr, f),
            Trigger::Tag { patterns } => tags
                .get_or_insert_with(Vec::new)
                .extend_from_slice(patterns),
            Trigger::Dispatch => on.workflow_dispatch = Some(dispatch(&p.inputs)),
            Trigger::Schedule { cron } => on.schedule.push(Schedule { cron: cron.clone() }),
            Trigger::Call => on.workflow_call = Some(call(p)),
            // Webhooks are a Tekton trigger (the checker rejects them for GitHub), and
            // `Release` has no workflow list to name in `workflow_run`.
            Trigger::Webhook { .. } | Trigger::Release => {}
        }
    }
    if push.is_some() || tags.is_some() {
        on.push = Some(push_event(push, tags));
    }
    on.pull_request = pr.map(|f| {
        let (paths, paths_ignore) = paths(&f);
        PullRequestEvent {
            types: f.types,
            branches: f.branches,
            paths,
            paths_ignore,
        }
    });
    if on.is_empty() {
        // A workflow needs a trigger; a pipeline with none can still be started by hand.
        on.workflow_dispatch = Some(Dispatch::default());
    }
    on
}

/// Two filters on one event: GitHub cannot express "either filter", so the lists are united.
fn merge(slot: &mut Option<PathFilter>, f: &PathFilter) {
    let Some(acc) = slot else {
        *slot = Some(f.clone());
        return;
    };
    let add = |to: &mut Vec<String>, from: &[String]| {
        for x in from {
            if !to.contains(x) {
                to.push(x.clone());
            }
        }
    };
    add(&mut acc.branches, &f.branches);
    add(&mut acc.paths, &f.paths);
    add(&mut acc.paths_ignore, &f.paths_ignore);
    add(&mut acc.types, &f.types);
}

fn push_event(filter: Option<PathFilter>, tags: Option<Vec<String>>) -> PushEvent {
    let filter_present = filter.is_some();
    let f = filter.unwrap_or_default();
    let (paths, paths_ignore) = paths(&f);
    let mut branches = f.branches;
    // With `tags` alone, branch pushes would stop triggering.
    if filter_present && branches.is_empty() && tags.is_some() {
        branches.push("**".into());
    }
    let tags = tags.map(|t| if t.is_empty() { vec!["**".into()] } else { t });
    PushEvent {
        branches,
        tags: tags.unwrap_or_default(),
        paths,
        paths_ignore,
    }
}

/// `paths` and `paths-ignore` of one event, never both.
fn paths(f: &PathFilter) -> (Vec<String>, Vec<String>) {
    if f.paths.is_empty() {
        return (Vec::new(), f.paths_ignore.clone());
    }
    let mut paths = f.paths.clone();
    if paths.iter().all(|p| p.starts_with('!')) {
        paths.insert(0, "**".into());
    }
    paths.extend(f.paths_ignore.iter().map(|p| format!("!{p}")));
    (paths, Vec::new())
}

fn dispatch(inputs: &[Input]) -> Dispatch {
    let inputs = inputs
        .iter()
        .map(|i| {
            let (ty, options) = match &i.ty {
                ParamType::Bool => ("boolean", Vec::new()),
                ParamType::Int => ("number", Vec::new()),
                ParamType::Choice(cs) => ("choice", cs.clone()),
                ParamType::String | ParamType::Secret => ("string", Vec::new()),
            };
            let input = DispatchInput {
                description: description(i),
                required: i.required,
                ty,
                default: default(i),
                options,
            };
            (i.name.clone(), input)
        })
        .collect();
    Dispatch { inputs }
}

/// A reusable workflow's inputs and secrets.
fn call(p: &Pipeline) -> Call {
    let inputs = p
        .inputs
        .iter()
        .map(|i| (i.name.clone(), call_input(i)))
        .collect();
    let secrets = p
        .call_secrets
        .iter()
        // The caller's token is always available and cannot be declared.
        .filter(|s| !s.eq_ignore_ascii_case("GITHUB_TOKEN"))
        .map(|s| {
            let secret = CallSecret {
                description: None,
                required: true,
            };
            (s.clone(), secret)
        })
        .collect();
    Call { inputs, secrets }
}

/// A reusable workflow's input: `choice` does not exist there, so a choice is a string whose
/// description lists the options.
fn call_input(i: &Input) -> CallInput {
    let ty = match &i.ty {
        ParamType::Bool => "boolean",
        ParamType::Int => "number",
        _ => "string",
    };
    let mut description = description(i);
    if let ParamType::Choice(cs) = &i.ty {
        let one_of = format!("one of: {}", cs.join(", "));
        description = Some(match description {
            Some(d) => format!("{d} ({one_of})"),
            None => one_of,
        });
    }
    CallInput {
        description,
        required: i.required,
        ty,
        default: default(i),
    }
}

fn description(i: &Input) -> Option<String> {
    (!i.description.is_empty()).then(|| i.description.clone())
}

fn default(i: &Input) -> Option<Scalar<'static>> {
    let d = i.default.as_ref()?;
    Some(match &i.ty {
        ParamType::Bool => Scalar::Bool(d == "true"),
        ParamType::Int => d
            .parse()
            .map_or_else(|_| Scalar::Str(d.clone().into()), Scalar::Int),
        _ => Scalar::Str(d.clone().into()),
    })
}
