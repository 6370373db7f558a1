//! The expression-depth bound ([`MAX_EXPR_DEPTH`]), checked on a finished tree.
//!
//! Depth counts, along a path from the file down, one level for each `expr`, one for each
//! operand of an `||`, `&&` or `==`/`!=` chain, one for a value and each call or member after it,
//! and (without keeping them) the `!`s in front of a value. The parser computes the deepest path
//! bottom-up as it goes; only when that exceeds the bound does this walk run, to find the first
//! place (in reading order) where it does and report it.

use super::lexer::skip_trivia;
use super::literal::{too_deep_expr, MAX_EXPR_DEPTH};
use crate::ast::*;
use crate::diagnostics::{Diagnostic, FileId, Span};

pub(super) struct DepthCheck<'a> {
    pub file: FileId,
    pub text: &'a [u8],
    /// Quoted keys that interpolate: the tree holds a placeholder key, the string is here.
    pub keys: &'a [StrLit],
    pub depth: usize,
}

type R = Result<(), Diagnostic>;

/// The operands of a left-nested chain of `ops`, in source order.
fn chain<'e>(e: &'e Expr, ops: &[BinOp]) -> Vec<&'e Expr> {
    let mut out = Vec::new();
    let mut cur = e;
    while let ExprKind::Binary(op, l, r) = &cur.kind {
        if !ops.contains(op) {
            break;
        }
        out.push(&**r);
        cur = l;
    }
    out.push(cur);
    out.reverse();
    out
}

/// Where a value with its calls and members ends, and whether that end is exact (`true`) or
/// runs on over the trivia after it (`false`), as the grammar's rule spans do when an optional
/// part at their end matched nothing.
fn postfix_end(e: &Expr) -> (usize, bool) {
    let exact = matches!(e.kind, ExprKind::Member(..) | ExprKind::Call(..));
    (e.span.end as usize, exact)
}

fn unary_end(e: &Expr) -> (usize, bool) {
    let mut cur = e;
    while let ExprKind::Not(x) = &cur.kind {
        cur = x;
    }
    postfix_end(cur)
}

fn cmp_end(e: &Expr) -> (usize, bool) {
    match &e.kind {
        ExprKind::Binary(BinOp::Eq | BinOp::Ne, _, r) => unary_end(r),
        _ => (unary_end(e).0, false),
    }
}

fn and_end(e: &Expr) -> (usize, bool) {
    match &e.kind {
        ExprKind::Binary(BinOp::And, _, r) => cmp_end(r),
        _ => (cmp_end(e).0, false),
    }
}

fn or_end(e: &Expr) -> (usize, bool) {
    match &e.kind {
        ExprKind::Binary(BinOp::Or, _, r) => and_end(r),
        _ => (and_end(e).0, false),
    }
}

impl DepthCheck<'_> {
    fn span(&self, start: u32, (end, exact): (usize, bool)) -> Span {
        let end = if exact {
            end
        } else {
            skip_trivia(self.text, end)
        };
        Span::new(self.file, start as usize, end)
    }

    fn enter(&mut self, extra: usize, span: Span) -> R {
        self.depth += extra;
        if self.depth > MAX_EXPR_DEPTH {
            return Err(too_deep_expr(span));
        }
        Ok(())
    }

    pub fn stmts(&mut self, stmts: &[Stmt]) -> R {
        for s in stmts {
            match &s.kind {
                StmtKind::Use { .. } => {}
                StmtKind::For { iter, body, .. } => {
                    self.postfix(iter)?;
                    self.stmts(&body.stmts)?;
                }
                StmtKind::Attr { key, value } => {
                    if key.quoted {
                        if let Some(k) = self.keys.iter().find(|k| k.span == key.span) {
                            self.string(k)?;
                        }
                    }
                    self.expr(value)?;
                }
                StmtKind::Decl(d) => {
                    if let Some(Name::Str(s)) = &d.name {
                        self.string(s)?;
                    }
                    if let Some(t) = &d.ty {
                        self.type_expr(t)?;
                    }
                    if let Some(v) = &d.value {
                        self.expr(v)?;
                    }
                    if let Some(b) = &d.body {
                        self.stmts(&b.stmts)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn type_expr(&mut self, t: &TypeExpr) -> R {
        for a in &t.args {
            match a {
                TypeArg::Str(s) => self.string(s)?,
                TypeArg::Type(t) => self.type_expr(t)?,
            }
        }
        Ok(())
    }

    fn string(&mut self, s: &StrLit) -> R {
        for p in &s.parts {
            if let StrPart::Interp(e) = p {
                self.expr(e)?;
            }
        }
        Ok(())
    }

    /// An `expr`: one level, then its `||` chain.
    fn expr(&mut self, e: &Expr) -> R {
        let span = self.span(e.span.start, or_end(e));
        self.enter(1, span)?;
        self.binary(e, span, &[BinOp::Or])?;
        self.depth -= 1;
        Ok(())
    }

    /// An `||`, `&&` or comparison chain: one level per operand, then each operand.
    fn binary(&mut self, e: &Expr, span: Span, ops: &[BinOp]) -> R {
        let operands = chain(e, ops);
        self.enter(operands.len(), span)?;
        for o in &operands {
            match ops {
                [BinOp::Or] => {
                    self.binary(o, self.span(o.span.start, and_end(o)), &[BinOp::And])?
                }
                [BinOp::And] => {
                    let span = self.span(o.span.start, cmp_end(o));
                    self.binary(o, span, &[BinOp::Eq, BinOp::Ne])?
                }
                _ => self.unary(o)?,
            }
        }
        self.depth -= operands.len();
        Ok(())
    }

    /// `!`s are counted against the bound but not kept for the value under them.
    fn unary(&mut self, e: &Expr) -> R {
        let mut count = 0;
        let mut cur = e;
        while let ExprKind::Not(x) = &cur.kind {
            count += 1;
            cur = x;
        }
        let span = self.span(e.span.start, postfix_end(cur));
        self.enter(count, span)?;
        self.depth -= count;
        self.postfix(cur)
    }

    /// A value and its calls and members (also a loop's collection).
    fn postfix(&mut self, e: &Expr) -> R {
        let mut ops = Vec::new();
        let mut cur = e;
        while let ExprKind::Member(x, _) | ExprKind::Call(x, _) = &cur.kind {
            ops.push(cur);
            cur = x;
        }
        let levels = ops.len() + 1;
        let span = self.span(e.span.start, postfix_end(e));
        self.enter(levels, span)?;
        match &cur.kind {
            ExprKind::List(items) => {
                for i in items {
                    self.expr(i)?;
                }
            }
            ExprKind::Record(b) | ExprKind::Tagged(_, b) => self.stmts(&b.stmts)?,
            ExprKind::Paren(x) => self.expr(x)?,
            ExprKind::Str(s) => self.string(s)?,
            _ => {}
        }
        for op in ops.iter().rev() {
            if let ExprKind::Call(_, args) = &op.kind {
                for a in args {
                    self.expr(&a.value)?;
                }
            }
        }
        self.depth -= levels;
        Ok(())
    }
}
