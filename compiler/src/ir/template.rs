//! Strings with run-time holes.
//!
//! A [`Template`] is literal text interleaved with [`Ref`]s to values only the engine knows
//! (the commit SHA, a dispatch input, another job's result, a secret). Backends choose the
//! spelling of each reference; the taint of a reference ([`Ref::taint`]) tells them whether it
//! may appear inline in a script or must arrive through an environment variable.

use super::JobId;

/// Literal text and references, in order. Adjacent literals are always merged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Template {
    pub parts: Parts,
}

/// The parts of a [`Template`]: a list that holds a single part without a heap allocation
/// (most templates are one literal or one reference). Reads as a slice.
#[derive(Clone)]
pub enum Parts {
    One(TemplatePart),
    Many(Vec<TemplatePart>),
}

impl Parts {
    pub fn with_capacity(n: usize) -> Parts {
        Parts::Many(if n > 1 {
            Vec::with_capacity(n)
        } else {
            Vec::new()
        })
    }

    pub fn push(&mut self, part: TemplatePart) {
        *self = match std::mem::take(self) {
            Parts::Many(v) if v.is_empty() && v.capacity() == 0 => Parts::One(part),
            Parts::Many(mut v) => {
                v.push(part);
                Parts::Many(v)
            }
            Parts::One(first) => {
                // As a `Vec` would, make room for a few parts at once.
                let mut v = Vec::with_capacity(4);
                v.push(first);
                v.push(part);
                Parts::Many(v)
            }
        };
    }

    pub fn as_slice(&self) -> &[TemplatePart] {
        self
    }
}

impl Default for Parts {
    fn default() -> Parts {
        Parts::Many(Vec::new())
    }
}

impl std::ops::Deref for Parts {
    type Target = [TemplatePart];
    fn deref(&self) -> &[TemplatePart] {
        match self {
            Parts::One(p) => std::slice::from_ref(p),
            Parts::Many(v) => v,
        }
    }
}

impl std::ops::DerefMut for Parts {
    fn deref_mut(&mut self) -> &mut [TemplatePart] {
        match self {
            Parts::One(p) => std::slice::from_mut(p),
            Parts::Many(v) => v,
        }
    }
}

impl From<Vec<TemplatePart>> for Parts {
    fn from(v: Vec<TemplatePart>) -> Parts {
        Parts::Many(v)
    }
}

impl PartialEq for Parts {
    fn eq(&self, other: &Parts) -> bool {
        **self == **other
    }
}

impl Eq for Parts {}

impl std::hash::Hash for Parts {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        (**self).hash(h)
    }
}

impl std::fmt::Debug for Parts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

impl<'a> IntoIterator for &'a Parts {
    type Item = &'a TemplatePart;
    type IntoIter = std::slice::Iter<'a, TemplatePart>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl IntoIterator for Parts {
    type Item = TemplatePart;
    type IntoIter =
        std::iter::Chain<std::option::IntoIter<TemplatePart>, std::vec::IntoIter<TemplatePart>>;
    fn into_iter(self) -> Self::IntoIter {
        match self {
            Parts::One(p) => Some(p).into_iter().chain(Vec::new()),
            Parts::Many(v) => None.into_iter().chain(v),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TemplatePart {
    Lit(String),
    Ref(Ref),
}

/// A value known only at run time.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ref {
    /// A fact about the triggering commit.
    Git(GitField),
    /// A dispatch or reusable-call input.
    Input(String),
    /// A result of another job of the same pipeline.
    Result { job: JobId, name: String },
    /// A declared secret, by name.
    Secret(String),
    /// A parameter of the enclosing task (inside task step templates only).
    Param(String),
    /// Text from the triggering event that an outsider controls (PR title, branch name...).
    Event(String),
    /// A value of the enclosing job's matrix.
    Matrix(String),
    /// The run's unique id (GitHub run id, Tekton PipelineRun uid).
    RunId,
}

/// What the engine knows about the commit being built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GitField {
    Sha,
    ShortSha,
    /// Full ref (`refs/heads/main`).
    Ref,
    /// Branch or tag name: outsider-controlled text.
    RefName,
    Repository,
    /// Clone URL of the application repository.
    RepoUrl,
    Actor,
}

/// How far a value may be trusted when it reaches a script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Taint {
    /// Computed by the engine or the program: safe to inline.
    Clean,
    /// Outsider-controlled text: only through an environment variable.
    Untrusted,
    /// A secret: only through an environment variable, never in an output or a log line.
    Secret,
}

impl Ref {
    /// The taint of this reference on its own.
    pub fn taint(&self) -> Taint {
        match self {
            Ref::Secret(_) => Taint::Secret,
            Ref::Event(_) | Ref::Input(_) | Ref::Git(GitField::RefName) => Taint::Untrusted,
            // Parameters are checked where the task is called, results are computed by the
            // program's own steps, matrix values are written in the program.
            Ref::Result { .. } | Ref::Param(_) | Ref::Matrix(_) => Taint::Clean,
            Ref::Git(_) | Ref::RunId => Taint::Clean,
        }
    }
}

impl Template {
    /// A template of literal text only.
    pub fn lit(s: impl Into<String>) -> Template {
        let s = s.into();
        if s.is_empty() {
            return Template::default();
        }
        Template {
            parts: Parts::One(TemplatePart::Lit(s)),
        }
    }

    /// A template that is exactly one reference.
    pub fn of_ref(r: Ref) -> Template {
        Template {
            parts: Parts::One(TemplatePart::Ref(r)),
        }
    }

    /// Appends literal text, merging with a preceding literal.
    pub fn push_lit(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        if let Some(TemplatePart::Lit(prev)) = self.parts.last_mut() {
            prev.push_str(s);
        } else {
            self.parts.push(TemplatePart::Lit(s.to_string()));
        }
    }

    pub fn push_ref(&mut self, r: Ref) {
        self.parts.push(TemplatePart::Ref(r));
    }

    /// Appends another template.
    pub fn append(&mut self, other: &Template) {
        for p in &other.parts {
            match p {
                TemplatePart::Lit(s) => self.push_lit(s),
                TemplatePart::Ref(r) => self.push_ref(r.clone()),
            }
        }
    }

    /// The text, when the template holds no reference.
    pub fn as_literal(&self) -> Option<String> {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                TemplatePart::Lit(s) => out.push_str(s),
                TemplatePart::Ref(_) => return None,
            }
        }
        Some(out)
    }

    /// [`Template::as_literal`] without copying the text when it is one piece.
    pub fn literal(&self) -> Option<std::borrow::Cow<'_, str>> {
        match self.parts.as_slice() {
            [] => Some(std::borrow::Cow::Borrowed("")),
            [TemplatePart::Lit(s)] => Some(std::borrow::Cow::Borrowed(s)),
            _ => self.as_literal().map(std::borrow::Cow::Owned),
        }
    }

    pub fn refs(&self) -> impl Iterator<Item = &Ref> {
        self.parts.iter().filter_map(|p| match p {
            TemplatePart::Ref(r) => Some(r),
            TemplatePart::Lit(_) => None,
        })
    }

    /// The strongest taint of any reference.
    pub fn taint(&self) -> Taint {
        self.refs().map(Ref::taint).max().unwrap_or(Taint::Clean)
    }

    /// Replaces every [`Ref::Param`] by the template `f` returns for it (used to inline a task's
    /// steps into a job on engines without task parameters).
    pub fn substitute(&self, f: &mut dyn FnMut(&Ref) -> Option<Template>) -> Template {
        let mut out = Template::default();
        for p in &self.parts {
            match p {
                TemplatePart::Lit(s) => out.push_lit(s),
                TemplatePart::Ref(r) => match f(r) {
                    Some(t) => out.append(&t),
                    None => out.push_ref(r.clone()),
                },
            }
        }
        out
    }

    /// [`Template::substitute`] with replacements the caller lends; a template none of whose
    /// references is replaced is copied as it is.
    pub fn substitute_with<'t>(&self, f: &mut dyn FnMut(&Ref) -> Option<&'t Template>) -> Template {
        if !self.refs().any(|r| f(r).is_some()) {
            return self.clone();
        }
        let mut out = Template::default();
        for p in &self.parts {
            match p {
                TemplatePart::Lit(s) => out.push_lit(s),
                TemplatePart::Ref(r) => match f(r) {
                    Some(t) => out.append(t),
                    None => out.push_ref(r.clone()),
                },
            }
        }
        out
    }

    /// Renders with `f` spelling each reference.
    pub fn render(&self, f: &mut dyn FnMut(&Ref) -> String) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                TemplatePart::Lit(s) => out.push_str(s),
                TemplatePart::Ref(r) => out.push_str(&f(r)),
            }
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> TemplatePart {
        TemplatePart::Lit(s.to_string())
    }

    fn hash(p: &Parts) -> u64 {
        use std::hash::{BuildHasher, BuildHasherDefault};
        BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(p)
    }

    #[test]
    fn parts_read_like_the_list_they_hold_however_they_are_kept() {
        let all = [
            lit("a"),
            TemplatePart::Ref(Ref::RunId),
            lit("b"),
            lit("c"),
            lit("d"),
        ];
        for n in 0..=all.len() {
            let mut pushed = Parts::default();
            let mut sized = Parts::with_capacity(n);
            for p in &all[..n] {
                pushed.push(p.clone());
                sized.push(p.clone());
            }
            let listed = Parts::from(all[..n].to_vec());
            for p in [&pushed, &sized] {
                assert_eq!(p.as_slice(), &all[..n]);
                assert_eq!(p, &listed);
                assert_eq!(hash(p), hash(&listed));
                assert_eq!(format!("{p:?}"), format!("{:?}", &all[..n]));
                assert_eq!(p.clone().into_iter().collect::<Vec<_>>(), all[..n].to_vec());
            }
            // One part is kept in place, unless room for more was asked for.
            assert_eq!(matches!(pushed, Parts::One(_)), n == 1);
        }
    }
}
