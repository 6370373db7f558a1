//! Typed model of a GitHub Actions workflow file: only the keys gitopsc writes.
//!
//! Invariant: every struct serialises to a mapping GitHub's workflow schema accepts; optional
//! and empty fields are skipped rather than written as `null` or `[]`, and maps are ordered
//! (`IndexMap`) so the same workflow always serialises to the same text.
//!
//! A job's parts borrow from the program (`'p`) whatever is written as the program spells it
//! (names, ids, runners, literal inputs, scripts without references): a job is built while it
//! is written, so only the text the backend composes is allocated.

/// The maps of the model: insertion-ordered, with the compiler's fast hasher (their keys are
/// short names, and they are built for every job and step).
pub type IndexMap<K, V> = crate::fxhash::FxIndexMap<K, V>;
use serde::Serialize;
use std::borrow::Cow;

/// Text of a workflow: borrowed when written as the program or the backend spells it, built
/// otherwise.
pub type Text<'p> = Cow<'p, str>;

/// One workflow file: its head, then `J`, which serialises as the `jobs:` map.
#[derive(Debug, Serialize)]
pub struct Workflow<'p, J> {
    #[serde(flatten)]
    pub head: WorkflowHead<'p>,
    pub jobs: J,
}

/// A workflow's entries before `jobs:`.
#[derive(Debug, Serialize)]
pub struct WorkflowHead<'p> {
    pub name: String,
    pub on: On,
    /// Always written (often as `{}`): jobs declare what they need.
    pub permissions: IndexMap<String, String>,
    /// Absent only on a workflow that runs only when called: its runs belong to the caller's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<Concurrency<'p>>,
}

/// The `on:` map.
#[derive(Debug, Default, Serialize)]
pub struct On {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push: Option<PushEvent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pull_request: Option<PullRequestEvent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workflow_dispatch: Option<Dispatch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workflow_call: Option<Call>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub schedule: Vec<Schedule>,
}

impl On {
    pub fn is_empty(&self) -> bool {
        self.push.is_none()
            && self.pull_request.is_none()
            && self.workflow_dispatch.is_none()
            && self.workflow_call.is_none()
            && self.schedule.is_empty()
    }
}

#[derive(Debug, Default, Serialize)]
pub struct PushEvent {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub branches: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    #[serde(rename = "paths-ignore", skip_serializing_if = "Vec::is_empty")]
    pub paths_ignore: Vec<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct PullRequestEvent {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub branches: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    #[serde(rename = "paths-ignore", skip_serializing_if = "Vec::is_empty")]
    pub paths_ignore: Vec<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct Dispatch {
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub inputs: IndexMap<String, DispatchInput>,
}

#[derive(Debug, Serialize)]
pub struct DispatchInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub required: bool,
    #[serde(rename = "type")]
    pub ty: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<Scalar<'static>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct Call {
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub inputs: IndexMap<String, CallInput>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub secrets: IndexMap<String, CallSecret>,
}

#[derive(Debug, Serialize)]
pub struct CallInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub required: bool,
    #[serde(rename = "type")]
    pub ty: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<Scalar<'static>>,
}

#[derive(Debug, Serialize)]
pub struct CallSecret {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub required: bool,
}

#[derive(Debug, Serialize)]
pub struct Schedule {
    pub cron: String,
}

/// A string, boolean or number written as a YAML scalar of that type.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Scalar<'p> {
    Bool(bool),
    Int(i64),
    Str(Text<'p>),
}

#[derive(Debug, Serialize)]
pub struct Concurrency<'p> {
    pub group: Text<'p>,
    /// A boolean, or an expression deciding per run.
    #[serde(rename = "cancel-in-progress")]
    pub cancel_in_progress: Scalar<'p>,
}

/// A job's `permissions:`: scope to level, most levels with a comment saying why.
pub type Permissions = IndexMap<&'static str, Text<'static>>;

#[derive(Debug, Serialize)]
pub struct Job<'p> {
    pub name: &'p str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<&'p str>,
    #[serde(rename = "if", skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    #[serde(rename = "runs-on")]
    pub runs_on: &'p str,
    pub permissions: Permissions,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<JobEnvironment<'p>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<Concurrency<'p>>,
    #[serde(rename = "timeout-minutes", skip_serializing_if = "Option::is_none")]
    pub timeout_minutes: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy<'p>>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub services: IndexMap<&'p str, ServiceContainer<'p>>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub outputs: IndexMap<&'p str, String>,
    pub steps: Vec<JobStep<'p>>,
}

/// A step of a job: built for this job, or one every job running it writes the same way,
/// built only when its text is not known yet.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum JobStep<'p> {
    Built(Step<'p>),
    Shared(crate::emit::yaml::Shared<super::steps::SharedStep<'p>>),
}

/// A job of a workflow: one that runs steps, or one that calls a reusable workflow.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum AnyJob<'p> {
    Steps(Job<'p>),
    Call(CallJob<'p>),
}

/// A job that calls a reusable workflow: it has no runner, steps, services or timeout (the
/// called workflow's jobs have their own), and passes secrets one by one, never `inherit`.
#[derive(Debug, Serialize)]
pub struct CallJob<'p> {
    pub name: &'p str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<&'p str>,
    #[serde(rename = "if", skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// At least what the called workflow's jobs request.
    pub permissions: Permissions,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<Concurrency<'p>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy<'p>>,
    /// `$/.github/workflows/<pipeline>.yml` (the self-repository form).
    pub uses: String,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub with: IndexMap<&'p str, Scalar<'p>>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub secrets: IndexMap<&'p str, String>,
}

#[derive(Debug, Serialize)]
pub struct JobEnvironment<'p> {
    pub name: &'p str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<Text<'p>>,
}

#[derive(Debug, Serialize)]
pub struct Strategy<'p> {
    /// Axis names to values, plus `include` and `exclude` rows.
    pub matrix: IndexMap<&'p str, MatrixEntry<'p>>,
    #[serde(rename = "fail-fast")]
    pub fail_fast: bool,
    #[serde(rename = "max-parallel", skip_serializing_if = "Option::is_none")]
    pub max_parallel: Option<u32>,
}

/// One entry of a `matrix:` map.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum MatrixEntry<'p> {
    /// A static axis.
    Values(&'p [String]),
    /// An axis computed at run time (`${{ fromJSON(...) }}`).
    Expr(String),
    /// `include` or `exclude` rows.
    Rows(&'p [indexmap::IndexMap<String, String>]),
}

#[derive(Debug, Serialize)]
pub struct ServiceContainer<'p> {
    pub image: &'p str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<String>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub env: IndexMap<&'p str, Text<'p>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct Step<'p> {
    pub name: Text<'p>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'p str>,
    #[serde(rename = "if", skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uses: Option<Text<'p>>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub with: IndexMap<&'p str, Scalar<'p>>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub env: IndexMap<Text<'p>, Text<'p>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shell: Option<&'p str>,
    #[serde(rename = "working-directory", skip_serializing_if = "Option::is_none")]
    pub working_directory: Option<Text<'p>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<Text<'p>>,
}
