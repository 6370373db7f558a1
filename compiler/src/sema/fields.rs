//! Reading a declaration's body: fields by name, nested declarations by keyword.
//!
//! Every declaration kind lists the fields and nested keywords it accepts; anything else is
//! reported once, with the closest accepted name, when the reader is finished.

use super::eval::Scope;
use super::value::V;
use super::Ctx;
use crate::ast::{Body, Decl, Expr, Key, Stmt, StmtKind};
use crate::diagnostics::{Code, Diagnostic, Span};
use std::borrow::Cow;
use std::rc::Rc;

/// What a body belongs to, for messages ("environment `prod`"): spelled out only when a
/// message needs it.
#[derive(Debug, Clone)]
pub enum What<'b> {
    Text(Cow<'b, str>),
    /// `KIND `NAME``.
    Named(&'static str, Cow<'b, str>),
    /// `KIND `NAME`` with a shared name.
    Shared(&'static str, Rc<str>),
}

impl<'b> What<'b> {
    /// `KIND `NAME``, borrowing the name.
    pub fn named(kind: &'static str, name: &'b str) -> What<'b> {
        What::Named(kind, Cow::Borrowed(name))
    }
}

impl std::fmt::Display for What<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            What::Text(t) => f.write_str(t),
            What::Named(kind, name) => write!(f, "{kind} `{name}`"),
            What::Shared(kind, name) => write!(f, "{kind} `{name}`"),
        }
    }
}

impl From<String> for What<'_> {
    fn from(s: String) -> Self {
        What::Text(Cow::Owned(s))
    }
}

impl<'b> From<&'b str> for What<'b> {
    fn from(s: &'b str) -> Self {
        What::Text(Cow::Borrowed(s))
    }
}

/// The contents of one body, split by statement kind.
pub struct Fields<'b> {
    /// What the body belongs to, for messages ("environment `prod`").
    pub what: What<'b>,
    /// Where to point when a required field is missing.
    pub span: Span,
    /// Fields in written order; a body has few, so a list beats a map.
    attrs: Vec<(&'b Key, &'b Expr)>,
    pub decls: Vec<&'b Decl>,
    pub decl_spans: Vec<Span>,
    pub loops: Vec<&'b Stmt>,
    allowed: &'static [&'static str],
}

impl<'b> Fields<'b> {
    /// Whether the field is set.
    pub fn has(&self, name: &str) -> bool {
        self.attr(name).is_some()
    }

    fn attr(&self, name: &str) -> Option<&(&'b Key, &'b Expr)> {
        self.attrs.iter().find(|(k, _)| k.name == name)
    }

    /// The span of a field's key.
    pub fn key_span(&self, name: &str) -> Option<Span> {
        self.attr(name).map(|(k, _)| k.span)
    }

    pub fn expr(&self, name: &str) -> Option<&'b Expr> {
        self.attr(name).map(|(_, e)| *e)
    }
}

impl<'a> Ctx<'a> {
    /// Splits a body into fields, declarations and loops, reporting duplicate fields, fields not
    /// in `allowed`, declarations whose keyword is not in `keywords`, and loops unless allowed.
    pub fn fields<'b>(
        &mut self,
        body: Option<&'b Body>,
        what: impl Into<What<'b>>,
        span: Span,
        allowed: &'static [&'static str],
        keywords: &[&str],
    ) -> Fields<'b> {
        let mut f = Fields {
            what: what.into(),
            span,
            attrs: Vec::new(),
            decls: Vec::new(),
            decl_spans: Vec::new(),
            loops: Vec::new(),
            allowed,
        };
        let Some(body) = body else { return f };
        let attrs = body
            .stmts
            .iter()
            .filter(|s| matches!(s.kind, StmtKind::Attr { .. }))
            .count();
        f.attrs.reserve(attrs);
        for stmt in &body.stmts {
            match &stmt.kind {
                StmtKind::Attr { key, value } => self.add_attr(&mut f, key, value),
                StmtKind::Decl(d) if keywords.contains(&d.keyword.name.as_str()) => {
                    f.decls.push(d);
                    f.decl_spans.push(stmt.span);
                }
                StmtKind::Decl(d) => self.unknown_keyword(
                    &d.keyword.name,
                    d.keyword.span,
                    &f.what.to_string(),
                    keywords,
                ),
                StmtKind::For { .. } if keywords.contains(&"for") => f.loops.push(stmt),
                StmtKind::For { .. } => {
                    self.unknown_keyword("for", stmt.span, &f.what.to_string(), keywords)
                }
                StmtKind::Use { .. } => self.diags.push(
                    Diagnostic::new(
                        Code::UnknownKeyword,
                        stmt.span,
                        "`use` is allowed only at the top of a file",
                    )
                    .label("not at the top level"),
                ),
            }
        }
        f
    }

    fn add_attr<'b>(&mut self, f: &mut Fields<'b>, key: &'b Key, value: &'b Expr) {
        if !f.allowed.contains(&key.name.as_str()) {
            let d = Diagnostic::new(
                Code::UnknownField,
                key.span,
                format!("{} has no field `{}`", f.what, key.name),
            )
            .label("unknown field")
            .did_you_mean(&key.name, f.allowed.iter().copied());
            self.diags.push(d);
            return;
        }
        if let Some((first, _)) = f.attr(&key.name) {
            let d = Diagnostic::new(
                Code::Duplicate,
                key.span,
                format!("`{}` is set twice", key.name),
            )
            .label("set again here")
            .secondary(first.span, "first set here");
            self.diags.push(d);
            return;
        }
        f.attrs.push((key, value));
    }

    /// Reports a declaration keyword that is not allowed in this place.
    pub fn unknown_keyword(&mut self, kw: &str, span: Span, what: &str, keywords: &[&str]) {
        let mut d = Diagnostic::new(
            Code::UnknownKeyword,
            span,
            format!("`{kw}` cannot be declared in {what}"),
        )
        .label("not allowed here")
        .did_you_mean(kw, keywords.iter().copied());
        if d.help.is_none() && !keywords.is_empty() {
            d = d.help(format!("allowed here: {}", keywords.join(", ")));
        }
        self.diags.push(d);
    }

    /// Evaluates a field if it is set.
    pub fn get(&mut self, f: &Fields, name: &str, scope: &Scope) -> Option<V> {
        debug_assert!(
            f.allowed.contains(&name),
            "field `{name}` read but not allowed"
        );
        let e = f.expr(name)?;
        Some(self.eval(e, scope))
    }

    /// Evaluates a field that must be set; reports it missing otherwise.
    pub fn require(&mut self, f: &Fields, name: &str, scope: &Scope) -> Option<V> {
        let v = self.get(f, name, scope);
        if v.is_none() {
            let d = Diagnostic::new(
                Code::MissingField,
                f.span,
                format!("{} needs a `{name}` field", f.what),
            )
            .label(format!("`{name}` is missing"));
            self.diags.push(d);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::What;

    #[test]
    fn what_spells_kind_and_name() {
        assert_eq!(What::named("step", "build").to_string(), "step `build`");
        assert_eq!(
            What::Shared("job", "deploy".into()).to_string(),
            "job `deploy`"
        );
        assert_eq!(What::from("a cache").to_string(), "a cache");
        assert_eq!(
            What::from(String::from("`in prod`")).to_string(),
            "`in prod`"
        );
    }
}
