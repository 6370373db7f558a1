//! Layout of values: literals, lists, records, variants, member paths, calls, conditions and
//! type annotations.
//!
//! Invariant: every token is printed in its source order with the same text, so the printed
//! value parses back to the same tree. Literals (strings, numbers, durations, percentages) are
//! copied from the source byte for byte; only the space between tokens and the separators in
//! lists and argument lists change. Binary conditions never break; their arguments may.

use super::build::{type_end, Builder, Item, Style};
use super::doc::Doc;
use crate::ast::{Arg, Expr, ExprKind, Member, TypeArg, TypeExpr};
use crate::diagnostics::Span;

impl Item for Expr {
    fn span(&self) -> Span {
        self.span
    }

    fn build(&self, b: &mut Builder) -> Doc {
        b.expr(self)
    }
}

impl Item for Arg {
    /// The argument's span, ending at its value's last token (the parser's span may run on).
    fn span(&self) -> Span {
        Span {
            end: self.value.span.end,
            ..self.span
        }
    }

    fn build(&self, b: &mut Builder) -> Doc {
        match &self.name {
            Some(n) => Doc::Concat(vec![b.tok(n.span), Doc::text(" = "), b.expr(&self.value)]),
            None => b.expr(&self.value),
        }
    }
}

impl Item for TypeArg {
    fn span(&self) -> Span {
        match self {
            TypeArg::Type(t) => Span {
                end: type_end(t),
                ..t.span
            },
            TypeArg::Str(s) => s.span,
        }
    }

    fn build(&self, b: &mut Builder) -> Doc {
        match self {
            TypeArg::Type(t) => b.type_expr(t),
            TypeArg::Str(s) => b.tok(s.span),
        }
    }
}

impl Builder<'_> {
    /// A value, preceded by the comments written just before it.
    pub(super) fn expr(&mut self, e: &Expr) -> Doc {
        let lead = self.inline_before(e.span.start as usize);
        let body = self.expr_kind(e);
        Doc::Concat(vec![lead, body])
    }

    fn expr_kind(&mut self, e: &Expr) -> Doc {
        let (start, end) = (e.span.start as usize, e.span.end as usize);
        match &e.kind {
            ExprKind::Str(_)
            | ExprKind::Int(_)
            | ExprKind::Bool(_)
            | ExprKind::None
            | ExprKind::Duration { .. }
            | ExprKind::Percent(_)
            | ExprKind::Ident(_) => self.verbatim(e.span),
            ExprKind::List(items) => self.seq(("[", "]"), Style::List, (start + 1, end - 1), items),
            ExprKind::Record(body) => self.record(body),
            ExprKind::Tagged(tag, body) => {
                Doc::Concat(vec![self.tok(tag.span), Doc::text(" "), self.record(body)])
            }
            ExprKind::Member(base, m) => {
                let span = match m {
                    Member::Name(n) => n.span,
                    Member::Star(s) => *s,
                };
                Doc::Concat(vec![self.expr(base), Doc::text("."), self.tok(span)])
            }
            ExprKind::Call(callee, args) => {
                let open = callee.span.end as usize;
                let callee = self.expr(callee);
                let args = self.seq(("(", ")"), Style::List, (open, end - 1), args);
                Doc::Concat(vec![callee, args])
            }
            ExprKind::Not(x) => Doc::Concat(vec![Doc::text("!"), self.expr(x)]),
            ExprKind::Binary(op, l, r) => Doc::Concat(vec![
                self.expr(l),
                Doc::text(format!(" {} ", op.as_str())),
                self.expr(r),
            ]),
            ExprKind::Paren(x) => Doc::Concat(vec![
                Doc::text("("),
                self.expr(x),
                self.inline_after(end - 1),
                Doc::text(")"),
            ]),
        }
    }

    /// `string`, `list(string)`, `enum("a", "b")`.
    pub(super) fn type_expr(&mut self, t: &TypeExpr) -> Doc {
        let name = self.tok(t.name.span);
        if t.args.is_empty() {
            return name;
        }
        let region = (t.name.span.end as usize, t.span.end as usize - 1);
        let args = self.seq(("(", ")"), Style::List, region, &t.args);
        Doc::Concat(vec![name, args])
    }
}
