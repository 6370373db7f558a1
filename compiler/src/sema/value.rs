//! Compile-time values: what an expression evaluates to during checking.
//!
//! Evaluation resolves names but does not yet know what type the surrounding position wants;
//! the typed accessors in `sema::convert` do that, so each mismatch is reported once, at the
//! span of the value.

use crate::diagnostics::Span;
use crate::ir::{Cond, Template};
use std::rc::Rc;

/// A value with the span of the expression it came from.
#[derive(Debug, Clone)]
pub struct V {
    pub kind: VK,
    pub span: Span,
}

/// A record literal: fields in written order, each with its key span.
pub type Record = super::fxhash::FxIndexMap<String, (Span, V)>;

/// Which instances of a job a reference denotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobSel {
    /// Every instance of the job declaration (all services of a fan-out).
    All(Rc<str>),
    /// The instance of a fanned-out job for one service, or the only instance.
    One(Rc<str>, Option<usize>),
}

/// The run-time namespaces a program may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Namespace {
    Git,
    Inputs,
    Secrets,
    Images,
    Std,
    Run,
    Project,
}

#[derive(Debug, Clone)]
pub enum VK {
    /// Something already reported; used to stop cascades.
    Error,
    Str(String),
    /// A string holding run-time values.
    Tmpl(Template),
    Int(i64),
    Bool(bool),
    None,
    /// Milliseconds.
    Duration(u64),
    Percent(u32),
    List(Vec<V>),
    Record(Rc<Record>),
    /// `tag { fields }`, or a bare identifier used as a variant (`auto`), whose record is empty.
    Tagged(String, Rc<Record>),
    /// An identifier that names nothing in scope: a variant if the position accepts one.
    Sym(String),
    Service(usize),
    /// `services` or `services.changed`.
    Services {
        changed: bool,
    },
    Env(usize),
    Registry(usize),
    Secret(String),
    /// A full image reference, without tag.
    Image(String),
    /// `registry.image` before it is called.
    RegistryImage(usize),
    /// `registry.image("repo")`: a repository in a declared registry.
    RegImage(usize, String),
    /// A pinned container image (`images.maven`): full reference with tag and digest.
    PinnedImage(String),
    /// A task, by its qualified key.
    Task(Rc<str>),
    /// A stdlib module.
    Module(Rc<str>),
    Namespace(Namespace),
    /// `event.…`: text from the triggering event.
    Event(String),
    Job(JobSel),
    /// A task call: `maven.build(svc, goals = "verify")`.
    Call(Rc<CallV>),
    /// A run condition.
    Cond(Cond),
    /// A built-in function not yet applied.
    Builtin(&'static str),
}

#[derive(Debug, Clone)]
pub struct CallV {
    pub task: Rc<str>,
    pub task_span: Span,
    pub args: Vec<(Option<(String, Span)>, V)>,
}

impl V {
    pub fn new(kind: VK, span: Span) -> V {
        V { kind, span }
    }

    pub fn error(span: Span) -> V {
        V {
            kind: VK::Error,
            span,
        }
    }

    /// A short description of the value's type, for messages.
    pub fn describe(&self) -> String {
        match &self.kind {
            VK::Error => "an erroneous value".into(),
            VK::Str(_) => "a string".into(),
            VK::Tmpl(_) => "a run-time string".into(),
            VK::Int(_) => "an integer".into(),
            VK::Bool(_) => "a boolean".into(),
            VK::None => "`none`".into(),
            VK::Duration(_) => "a duration".into(),
            VK::Percent(_) => "a percentage".into(),
            VK::List(_) => "a list".into(),
            VK::Record(_) => "a record".into(),
            VK::Tagged(t, _) => format!("`{t}`"),
            VK::Sym(s) => format!("`{s}`"),
            VK::Service(_) => "a service".into(),
            VK::Services { .. } => "a list of services".into(),
            VK::Env(_) => "an environment".into(),
            VK::Registry(_) => "a registry".into(),
            VK::Secret(_) => "a secret".into(),
            VK::Image(_) | VK::PinnedImage(_) | VK::RegImage(..) => "an image".into(),
            VK::RegistryImage(_) => "a function".into(),
            VK::Task(_) => "a task".into(),
            VK::Module(_) => "a module".into(),
            VK::Namespace(_) => "a namespace".into(),
            VK::Event(_) => "event data".into(),
            VK::Job(_) => "a job".into(),
            VK::Call(_) => "a task call".into(),
            VK::Cond(_) => "a condition".into(),
            VK::Builtin(_) => "a function".into(),
        }
    }
}
