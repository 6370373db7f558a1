//! The steps of one job: checkout, caches, then the task's GitHub steps with the job's
//! arguments in place of the task's parameters.
//!
//! Invariants: every `uses:` is `name@<40-hex sha> # version`; a checkout never keeps the
//! token in `.git/config` unless the job may write contents; no `run:` text holds `${{`
//! (scripts go through [`super::script`]); and a job that publishes (tag or release-branch
//! triggers, or a known publishing action) restores no cache, so a poisoned cache cannot reach
//! a release.

use super::expr;
use super::model;
use super::model::IndexMap;
use super::script::{Lang, StepEnv};
use super::Ctx;
use crate::ir::{
    ActionRef, Cond, GitField, Job, Permission, Ref, Step, StepKind, TaskDef, Template,
    TemplatePart,
};
use std::borrow::Cow;

/// Actions the backend adds itself, pinned as in `stdlib/pins.gitops` (the IR carries pins
/// only inside the steps the standard library produced): name, commit, release.
pub const PINS: &[(&str, &str, &str)] = &[
    (
        "actions/checkout",
        "3d3c42e5aac5ba805825da76410c181273ba90b1",
        "v7.0.1",
    ),
    (
        "actions/cache",
        "55cc8345863c7cc4c66a329aec7e433d2d1c52a9",
        "v6.1.0",
    ),
];

/// Actions that publish what a job built: a job using one is treated like a release job.
const PUBLISHERS: &[&str] = &[
    "pypa/gh-action-pypi-publish",
    "rubygems/release-gem",
    "jreleaser/release-action",
    "goreleaser/goreleaser-action",
    "softprops/action-gh-release",
    "release-drafter/release-drafter",
    "googleapis/release-please-action",
    "docker/build-push-action",
    "redhat-actions/push-to-registry",
    "aws-actions/amazon-ecs-deploy-task-definition",
    "aws-actions/aws-cloudformation-github-deploy",
    "azure/aci-deploy",
    "azure/container-apps-deploy-action",
    "azure/functions-action",
    "cloudflare/wrangler-action",
    "google-github-actions/deploy-appengine",
    "google-github-actions/deploy-cloudrun",
    "google-github-actions/deploy-cloud-functions",
];

/// How a cache-aware action's cache is turned off in a publishing job.
enum CacheOff {
    /// Remove this input (the cache is off when it is absent).
    Remove(&'static str),
    /// Set this input to this value.
    Set(&'static str, bool),
}

/// Cache-aware actions and how to switch their cache off.
const CACHE_AWARE: &[(&str, CacheOff)] = &[
    ("actions/cache", CacheOff::Set("lookup-only", true)),
    ("actions/setup-java", CacheOff::Remove("cache")),
    ("actions/setup-python", CacheOff::Remove("cache")),
    ("actions/setup-node", CacheOff::Remove("cache")),
    (
        "actions/setup-node",
        CacheOff::Set("package-manager-cache", false),
    ),
    ("actions/setup-go", CacheOff::Set("cache", false)),
    ("actions/setup-dotnet", CacheOff::Remove("cache")),
    (
        "gradle/actions/setup-gradle",
        CacheOff::Set("cache-disabled", true),
    ),
    ("swatinem/rust-cache", CacheOff::Set("lookup-only", true)),
    (
        "docker/setup-buildx-action",
        CacheOff::Set("cache-binary", false),
    ),
];

/// `name@sha # version` for an action the backend adds.
fn pinned(name: &str) -> String {
    PINS.iter()
        .find(|(n, _, _)| *n == name)
        .map_or_else(|| name.to_string(), |(n, sha, v)| pin_text(n, sha, v))
}

fn uses(a: &ActionRef) -> String {
    pin_text(&a.name, &a.sha, &a.version)
}

/// The `uses:` text of every action a pipeline's jobs run, spelled once per workflow: a task's
/// steps are written once for each job running it, pinned the same way each time.
pub struct Pins {
    checkout: String,
    cache: String,
    /// By task, then by the step's place among the task's GitHub steps (empty for a step that
    /// runs no action); empty for a task no job of the pipeline runs.
    tasks: Vec<Vec<String>>,
}

impl Pins {
    pub fn new(ctx: &Ctx) -> Pins {
        let mut tasks = vec![Vec::new(); ctx.program.tasks.len()];
        for job in &ctx.pipeline.jobs {
            let (Some(task), Some(pins)) = (ctx.task(job), tasks.get_mut(job.task)) else {
                continue;
            };
            if pins.is_empty() {
                *pins = task
                    .github
                    .iter()
                    .flatten()
                    .map(|s| match &s.kind {
                        StepKind::Uses { action, .. } => uses(action),
                        _ => String::new(),
                    })
                    .collect();
            }
        }
        Pins {
            checkout: pinned("actions/checkout"),
            cache: pinned("actions/cache"),
            tasks,
        }
    }

    /// The `uses:` text of a step that runs `action`.
    fn of<'a>(&'a self, s: &Resolved, action: &ActionRef) -> Cow<'a, str> {
        match self
            .tasks
            .get(s.args.task_id())
            .and_then(|t| t.get(s.index))
        {
            Some(text) if !text.is_empty() => Cow::Borrowed(text),
            _ => Cow::Owned(uses(action)),
        }
    }
}

/// `name@sha` with the release as its comment (see [`crate::emit::with_comment`]), in one allocation.
fn pin_text(name: &str, sha: &str, version: &str) -> String {
    let mut s = String::with_capacity(name.len() + sha.len() + version.len() + 24);
    s.push_str(name);
    s.push('@');
    s.push_str(sha);
    s.push_str(crate::emit::COMMENT_SEP);
    s.push_str(version);
    s
}

fn is_action(a: &ActionRef, name: &str) -> bool {
    a.name.eq_ignore_ascii_case(name)
}

/// The job's value for each parameter of its task.
#[derive(Clone, Copy)]
struct Args<'t> {
    job: &'t Job,
    task: &'t TaskDef,
}

impl<'t> Args<'t> {
    /// What stands for parameter `p`: the job's argument, else the parameter's default; `None`
    /// stands for the empty template.
    fn value(&self, p: &str) -> Option<&'t Template> {
        self.job.args.get(p).or_else(|| {
            self.task
                .params
                .iter()
                .find(|d| d.name == p)?
                .default
                .as_ref()
        })
    }

    fn task_id(&self) -> crate::ir::TaskId {
        self.job.task
    }

    /// [`Template::substitute`] with [`Args::value`] for each parameter.
    fn substitute(&self, t: &Template) -> Template {
        let room = t
            .parts
            .iter()
            .map(|p| match p {
                TemplatePart::Ref(Ref::Param(p)) => self.value(p).map_or(0, |v| v.parts.len()),
                _ => 1,
            })
            .sum();
        let mut out = Template {
            parts: crate::ir::Parts::with_capacity(room),
        };
        for p in &t.parts {
            match p {
                TemplatePart::Lit(s) => out.push_lit(s),
                TemplatePart::Ref(Ref::Param(p)) => {
                    if let Some(v) = self.value(p) {
                        out.append(v);
                    }
                }
                TemplatePart::Ref(r) => out.push_ref(r.clone()),
            }
        }
        out
    }
}

/// A task step as one job runs it: the task's own step, seen through the job's arguments.
///
/// Nothing is copied up front: [`Resolved::template`] hands out each template with the
/// arguments in place (borrowed unless a parameter sits inside other text), and
/// [`Resolved::refs`] lists the references of that template without building it. Only a
/// condition is resolved eagerly, since whether the step runs at all depends on it.
pub struct Resolved<'t> {
    pub step: &'t Step,
    /// The step's place among the task's GitHub steps.
    index: usize,
    /// The step's condition with the arguments in place, simplified; `None` when it always runs.
    pub condition: Option<Cond>,
    args: Args<'t>,
    /// The step reads a parameter or has a condition: its templates are the substituted ones,
    /// whose adjacent literal parts are merged ([`Template::push_lit`]); a step that reads no
    /// parameter and has no condition is the task's step exactly as it is.
    substituted: bool,
}

impl<'t> Resolved<'t> {
    /// A copy of a step the job runs as the task wrote it (no parameter, no condition).
    fn unchanged(&self) -> Resolved<'t> {
        debug_assert!(!self.substituted && self.condition.is_none());
        Resolved {
            step: self.step,
            index: self.index,
            condition: None,
            args: self.args,
            substituted: false,
        }
    }
}

impl<'t> Resolved<'t> {
    /// `t`, one of the step's templates, as the job runs it: what [`Template::substitute`]
    /// makes of it, borrowed from the task or the job whenever that is the same template.
    pub fn template(&self, t: &'t Template) -> Cow<'t, Template> {
        if !self.substituted {
            return Cow::Borrowed(t);
        }
        match t.parts.as_slice() {
            [TemplatePart::Ref(Ref::Param(p))] => match self.args.value(p) {
                None => return Cow::Owned(Template::default()),
                Some(v) if is_merged(v) => return Cow::Borrowed(v),
                Some(_) => {}
            },
            _ if is_merged(t) && !t.refs().any(is_param) => return Cow::Borrowed(t),
            _ => {}
        }
        Cow::Owned(self.args.substitute(t))
    }

    /// Text `render` makes of [`Resolved::template`] of `t`: borrowed from the program when
    /// `render` borrows from a template the job does not change.
    pub fn text(
        &self,
        t: &'t Template,
        render: impl for<'a> FnOnce(&'a Template) -> Cow<'a, str>,
    ) -> Cow<'t, str> {
        match self.template(t) {
            Cow::Borrowed(t) => render(t),
            Cow::Owned(t) => {
                let rendered = render(&t);
                let literal = match (&rendered, t.parts.as_slice()) {
                    (Cow::Borrowed(text), [TemplatePart::Lit(s)]) => text == s,
                    _ => false,
                };
                if !literal {
                    return Cow::Owned(rendered.into_owned());
                }
                // Text that is the substituted template's one literal is that literal itself,
                // taken rather than copied.
                drop(rendered);
                let text = t.parts.into_iter().find_map(|p| match p {
                    TemplatePart::Lit(s) => Some(s),
                    TemplatePart::Ref(_) => None,
                });
                Cow::Owned(text.unwrap_or_default())
            }
        }
    }

    /// Calls `f` on each reference of [`Resolved::template`] of `t`, in order: a parameter's
    /// references are those of the template standing for it (substitution only replaces
    /// parameters, and merging literals adds or drops no reference).
    pub fn refs(&self, t: &'t Template, f: &mut dyn FnMut(&'t Ref)) {
        for r in t.refs() {
            match r {
                Ref::Param(p) => self
                    .args
                    .value(p)
                    .into_iter()
                    .flat_map(Template::refs)
                    .for_each(&mut *f),
                r => f(r),
            }
        }
    }
}

fn is_param(r: &Ref) -> bool {
    matches!(r, Ref::Param(_))
}

/// Whether a template is as [`Template::push_lit`] builds one: no empty literal part and no
/// two literal parts in a row (so substituting would give it back unchanged).
fn is_merged(t: &Template) -> bool {
    let mut after_lit = false;
    t.parts.iter().all(|p| {
        let ok = match p {
            TemplatePart::Lit(s) => !s.is_empty() && !after_lit,
            TemplatePart::Ref(_) => true,
        };
        after_lit = matches!(p, TemplatePart::Lit(_));
        ok
    })
}

/// The task's GitHub steps as the job runs them: the job's arguments (or the parameters'
/// defaults) in place of parameters, conditions simplified, and steps that can never run
/// dropped.
pub fn resolved_steps<'t>(job: &'t Job, task: &'t TaskDef) -> impl Iterator<Item = Resolved<'t>> {
    let args = Args { job, task };
    task.github
        .iter()
        .flatten()
        .enumerate()
        .filter_map(move |(index, s)| {
            let condition = match &s.condition {
                None => None,
                Some(c) => {
                    let mut sub = |r: &Ref| match r {
                        Ref::Param(p) => Some(args.value(p).cloned().unwrap_or_default()),
                        _ => None,
                    };
                    match expr::simplified(&expr::substitute_cond(c, &mut sub)) {
                        Some(c) if c.is_never() => return None,
                        c => c,
                    }
                }
            };
            Some(Resolved {
                step: s,
                index,
                condition,
                args,
                substituted: s.condition.is_some() || reads_params(s),
            })
        })
}

/// Whether any template of a step (its condition aside) reads a task parameter.
fn reads_params(s: &Step) -> bool {
    let params = |t: &Template| t.refs().any(is_param);
    s.env.values().any(params)
        || match &s.kind {
            StepKind::Run {
                script, workdir, ..
            } => params(script) || workdir.as_ref().is_some_and(params),
            StepKind::Exec { command, .. } => command.iter().any(params),
            StepKind::Uses { with, .. } => with.values().any(params),
        }
}

/// Whether a job's own steps publish an artifact (a known publishing action that pushes).
pub fn uses_publisher(steps: &[Resolved]) -> bool {
    steps.iter().any(|s| match &s.step.kind {
        StepKind::Uses { action, with } => {
            PUBLISHERS.iter().any(|p| is_action(action, p))
                && !(is_action(action, "docker/build-push-action")
                    && with
                        .get("push")
                        .is_some_and(|t| s.template(t).literal().as_deref() == Some("false")))
        }
        _ => false,
    })
}

/// Everything the steps of one job depend on.
pub struct JobSteps<'j, 't> {
    pub job: &'t Job,
    pub task: &'t TaskDef,
    pub steps: &'j [Resolved<'t>],
    pub pins: &'t Pins,
    /// The job publishes: caches stay off.
    pub publishing: bool,
}

/// Every step of the job.
pub fn build<'t>(ctx: &Ctx<'t>, js: &JobSteps<'_, 't>) -> Vec<model::JobStep<'t>> {
    let write = [&js.job.permissions, &js.task.permissions]
        .iter()
        .any(|p| p.contains(&Permission::ContentsWrite));
    let checkout = js.job.checks_out(js.task);
    let mut ctx = *ctx;
    ctx.short_sha_step = js.steps.iter().any(short_sha_outside_scripts);
    let caches = if js.publishing {
        0
    } else {
        js.task.caches.len()
    };
    let mut out = Vec::with_capacity(
        usize::from(checkout) + usize::from(ctx.short_sha_step) + caches + js.steps.len().max(1),
    );
    let shared = |part| {
        model::JobStep::Shared(
            SharedStep {
                part,
                ctx,
                pins: js.pins,
                publishing: js.publishing,
                write,
            }
            .keyed(),
        )
    };
    if checkout {
        out.push(shared(SharedPart::Checkout));
    }
    if ctx.short_sha_step {
        out.push(model::JobStep::Built(short_sha_step()));
    }
    if !js.publishing {
        push_caches(&ctx, js, &mut out);
    }
    for s in js.steps {
        out.push(if s.substituted {
            model::JobStep::Built(step(&ctx, js.pins, js.publishing, s, write))
        } else {
            shared(SharedPart::Task(s.unchanged()))
        });
    }
    if out.is_empty() {
        out.push(model::JobStep::Built(no_steps(&js.task.name)));
    }
    out
}

/// A step that every job running it writes the same way, given the same settings: the
/// checkout, or a task step that reads no parameter and has no condition. It is built while
/// it is written, and only when the writer does not know its text yet
/// ([`crate::emit::yaml::Shared`]).
pub struct SharedStep<'t> {
    part: SharedPart<'t>,
    ctx: Ctx<'t>,
    pins: &'t Pins,
    publishing: bool,
    write: bool,
}

enum SharedPart<'t> {
    Checkout,
    Task(Resolved<'t>),
}

impl<'t> SharedStep<'t> {
    /// The step with the key of its text: what it is built from (the task's step, or the
    /// checkout's pin) and every setting its text depends on. The workflow's program and
    /// pins are the same for all the steps a writer keeps texts for.
    fn keyed(self) -> crate::emit::yaml::Shared<SharedStep<'t>> {
        let from = match &self.part {
            SharedPart::Checkout => self.pins.checkout.as_ptr() as usize,
            SharedPart::Task(s) => std::ptr::from_ref(s.step) as usize,
        };
        let settings = usize::from(self.publishing)
            | usize::from(self.write) << 1
            | usize::from(self.ctx.short_sha_step) << 2;
        crate::emit::yaml::Shared {
            key: Some([from, settings]),
            value: self,
        }
    }

    fn build(&self) -> model::Step<'t> {
        match &self.part {
            SharedPart::Checkout => checkout(&self.pins.checkout, self.write),
            SharedPart::Task(s) => step(&self.ctx, self.pins, self.publishing, s, self.write),
        }
    }
}

impl serde::Serialize for SharedStep<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.build().serialize(s)
    }
}

impl std::fmt::Debug for SharedStep<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.part {
            SharedPart::Checkout => f.write_str("SharedStep(checkout)"),
            SharedPart::Task(s) => write!(f, "SharedStep({})", s.step.id),
        }
    }
}

/// The id of the step that cuts the commit SHA to seven characters for action inputs,
/// environment values and step conditions (GitHub expressions cannot).
pub const SHORT_SHA_STEP: &str = "gitopsc_short_sha";

fn short_sha_step() -> model::Step<'static> {
    let mut env = IndexMap::default();
    env.insert("GIT_SHA".into(), "${{ github.sha }}".into());
    model::Step {
        name: "Compute the short commit SHA".into(),
        id: Some(SHORT_SHA_STEP),
        env,
        shell: Some("bash"),
        run: Some("echo \"sha=${GIT_SHA:0:7}\" >> \"$GITHUB_OUTPUT\"\n".into()),
        ..Default::default()
    }
}

/// Whether a step reads `git.short_sha` where GitHub, not a script, substitutes it.
fn short_sha_outside_scripts(s: &Resolved) -> bool {
    let short_sha = Ref::Git(GitField::ShortSha);
    let short = |t| {
        let mut found = false;
        s.refs(t, &mut |r| found |= *r == short_sha);
        found
    };
    let mut found = s.step.env.values().any(short);
    if let Some(c) = &s.condition {
        expr::cond_templates(c, &mut |t| found |= t.refs().any(|r| *r == short_sha));
    }
    found
        || match &s.step.kind {
            StepKind::Run { workdir, .. } => workdir.iter().any(short),
            StepKind::Uses { action, with } => with.iter().any(|(k, v)| {
                short(v) && !(is_action(action, "actions/github-script") && k == "script")
            }),
            StepKind::Exec { .. } => false,
        }
}

fn checkout(uses: &str, write: bool) -> model::Step<'_> {
    let mut with = IndexMap::default();
    with.insert("persist-credentials", model::Scalar::Bool(write));
    model::Step {
        name: "Check out the repository".into(),
        uses: Some(uses.into()),
        with,
        ..Default::default()
    }
}

fn push_caches<'t>(ctx: &Ctx, js: &JobSteps<'_, 't>, out: &mut Vec<model::JobStep<'t>>) {
    let prefix = js
        .job
        .service
        .and_then(|s| ctx.program.services.get(s))
        .map(|s| s.path.trim_end_matches('/'))
        .filter(|p| !p.is_empty() && *p != ".");
    let several = js.task.caches.len() > 1;
    for (i, c) in js.task.caches.iter().enumerate() {
        let mut key = format!("${{{{ runner.os }}}}-{}", js.task.name);
        if several {
            key.push_str(&format!("-{}", i + 1));
        }
        // Each cell of a matrix keeps a cache of its own.
        for axis in js.job.matrix.iter().flat_map(|m| m.axes.keys()) {
            key.push_str(&format!("-${{{{ matrix.{axis} }}}}"));
        }
        let restore = format!("{key}-");
        if !c.key_files.is_empty() {
            let files = match prefix {
                Some(p) => format!("{p}/{}", c.key_files),
                None => c.key_files.clone(),
            };
            key.push_str(&format!("-${{{{ hashFiles({}) }}}}", expr::quote(&files)));
        }
        let mut with = IndexMap::default();
        with.insert("path", model::Scalar::Str(expr::lit_inline(&c.path)));
        with.insert("key", model::Scalar::Str(key.into()));
        with.insert("restore-keys", model::Scalar::Str(restore.into()));
        out.push(model::JobStep::Built(model::Step {
            name: format!("Cache {}", c.path).into(),
            uses: Some(Cow::Borrowed(&js.pins.cache)),
            with,
            ..Default::default()
        }));
    }
}

/// A job whose task has no GitHub steps: the compiler's checks reject this, so meeting it is
/// a compiler bug, reported by the run rather than hidden.
fn no_steps(task: &str) -> model::Step<'static> {
    model::Step {
        name: "Report a compiler bug".into(),
        shell: Some("bash"),
        run: Some(
            format!("echo \"gitopsc bug: task {task} has no GitHub steps\" >&2\nexit 1\n").into(),
        ),
        ..Default::default()
    }
}

fn step<'t>(
    ctx: &Ctx,
    pins: &'t Pins,
    publishing: bool,
    s: &Resolved<'t>,
    write: bool,
) -> model::Step<'t> {
    let step = s.step;
    let mut env = StepEnv::new(
        ctx,
        step.env.iter().map(|(k, v)| {
            (
                Cow::Borrowed(k.as_str()),
                s.text(v, |t| expr::inline(ctx, t)),
            )
        }),
    );
    let mut out = model::Step {
        name: Cow::Borrowed(&step.name),
        id: Some(&step.id),
        condition: s.condition.as_ref().map(|c| expr::cond_expr(ctx, c)),
        ..Default::default()
    };
    match &step.kind {
        StepKind::Run {
            script,
            shell,
            workdir,
            ..
        } => {
            let shell = shell.as_deref().unwrap_or("bash");
            let lang = Lang::of_shell(shell);
            out.run = Some(s.text(script, |t| env.script(t, lang)));
            out.shell = Some(shell);
            out.working_directory = workdir
                .as_ref()
                .map(|w| s.text(w, |t| expr::inline(ctx, t)));
        }
        StepKind::Uses { action, with } => {
            out.uses = Some(pins.of(s, action));
            out.with = action_inputs(ctx, s, action, with, &mut env);
            harden(action, &mut out.with, publishing, write);
        }
        // The checker keeps `command` steps out of GitHub realisations; one met anyway runs
        // as a script of its quoted words.
        StepKind::Exec { command, .. } => {
            let words = quoted_words(command.iter().map(|c| s.template(c)));
            out.run = Some(Cow::Owned(env.script(&words, Lang::Bash).into_owned()));
            out.shell = Some("bash");
        }
    }
    out.env = env.vars;
    out
}

/// A command line as a shell script: each word double-quoted.
fn quoted_words<'t>(command: impl Iterator<Item = Cow<'t, Template>>) -> Template {
    let mut words = Template::default();
    for (i, c) in command.enumerate() {
        if i > 0 {
            words.push_lit(" ");
        }
        words.push_lit("\"");
        words.append(&c);
        words.push_lit("\"");
    }
    words
}

/// An action's inputs rendered inline, except the code `actions/github-script` runs, which
/// reads references from the environment like any script.
fn action_inputs<'t>(
    ctx: &Ctx,
    s: &Resolved<'t>,
    action: &ActionRef,
    with: &'t indexmap::IndexMap<String, Template>,
    env: &mut StepEnv<'_, '_, 't>,
) -> IndexMap<&'t str, model::Scalar<'t>> {
    let code = is_action(action, "actions/github-script");
    with.iter()
        .map(|(k, v)| {
            let text = if code && k == "script" {
                s.text(v, |t| env.script(t, Lang::Js))
            } else {
                s.text(v, |t| expr::inline(ctx, t))
            };
            (k.as_str(), model::Scalar::Str(text))
        })
        .collect()
}

/// Keeps a checkout from persisting the token and a publishing job from using caches.
fn harden(
    action: &ActionRef,
    with: &mut IndexMap<&str, model::Scalar>,
    publishing: bool,
    write: bool,
) {
    if is_action(action, "actions/checkout") && !with.contains_key("persist-credentials") {
        with.insert("persist-credentials", model::Scalar::Bool(write));
    }
    if !publishing {
        return;
    }
    for (name, off) in CACHE_AWARE {
        if !is_action(action, name) {
            continue;
        }
        match off {
            CacheOff::Remove(k) => {
                with.shift_remove(k);
            }
            CacheOff::Set(k, v) => {
                with.insert(k, model::Scalar::Bool(*v));
            }
        }
    }
}
