//! The grammar's pairs turned into the AST, as the compiler did when it parsed with pest. Every
//! node gets the span of the pair it came from.

use super::Rule;
use gitopsc::ast::*;
use gitopsc::diagnostics::{Code, Diagnostic, FileId, Span};
use gitopsc::syntax::literal::{dedent, duration_millis, too_deep_expr, unescape, MAX_EXPR_DEPTH};
use pest::iterators::{Pair, Pairs};

pub struct Lowerer {
    pub file: FileId,
    /// Depth of the expression tree being built (nesting plus operator chains).
    pub depth: usize,
}

type R<T> = Result<T, Diagnostic>;

impl Lowerer {
    fn span(&self, p: &Pair<Rule>) -> Span {
        let s = p.as_span();
        Span::new(self.file, s.start(), s.end())
    }

    fn bug(&self, p: &Pair<Rule>, what: &str) -> Diagnostic {
        Diagnostic::internal(
            self.span(p),
            format!("unexpected {:?} while {what}", p.as_rule()),
        )
    }

    pub fn stmts(&mut self, pairs: Pairs<Rule>) -> R<Vec<Stmt>> {
        let mut out = Vec::new();
        for p in pairs {
            match p.as_rule() {
                Rule::EOI => {}
                _ => out.push(self.stmt(p)?),
            }
        }
        Ok(out)
    }

    fn stmt(&mut self, p: Pair<Rule>) -> R<Stmt> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let mut inner = p.clone().into_inner();
        let kind = match rule {
            Rule::use_stmt => {
                inner.next(); // `use`
                let path = self.path(inner.next().ok_or_else(|| self.bug(&p, "reading use"))?);
                let alias = inner
                    .find(|q| q.as_rule() == Rule::ident)
                    .map(|q| self.ident(&q));
                StmtKind::Use { path, alias }
            }
            Rule::for_stmt => {
                inner.next(); // `for`
                let var = self.ident(&inner.next().ok_or_else(|| self.bug(&p, "reading for"))?);
                inner.next(); // `in`
                let iter = self.expr(inner.next().ok_or_else(|| self.bug(&p, "reading for"))?)?;
                let body = self.body(inner.next().ok_or_else(|| self.bug(&p, "reading for"))?)?;
                StmtKind::For { var, iter, body }
            }
            Rule::attr => {
                let key = self.key(
                    inner
                        .next()
                        .ok_or_else(|| self.bug(&p, "reading a field"))?,
                )?;
                let value = self.expr(
                    inner
                        .next()
                        .ok_or_else(|| self.bug(&p, "reading a field"))?,
                )?;
                StmtKind::Attr { key, value }
            }
            Rule::decl => StmtKind::Decl(self.decl(p)?),
            _ => return Err(self.bug(&p, "reading a statement")),
        };
        Ok(Stmt { kind, span })
    }

    fn decl(&mut self, p: Pair<Rule>) -> R<Decl> {
        let mut inner = p.clone().into_inner();
        let keyword = self.ident(
            &inner
                .next()
                .ok_or_else(|| self.bug(&p, "reading a declaration"))?,
        );
        let mut decl = Decl {
            keyword,
            name: None,
            ty: None,
            value: None,
            body: None,
        };
        for q in inner {
            match q.as_rule() {
                Rule::name => decl.name = Some(self.name(q)?),
                Rule::type_ann => {
                    let t = q
                        .into_inner()
                        .next()
                        .ok_or_else(|| self.bug(&p, "reading a type"))?;
                    decl.ty = Some(self.type_expr(t)?);
                }
                Rule::expr => decl.value = Some(self.expr(q)?),
                Rule::body => decl.body = Some(self.body(q)?),
                _ => return Err(self.bug(&q, "reading a declaration")),
            }
        }
        Ok(decl)
    }

    fn name(&mut self, p: Pair<Rule>) -> R<Name> {
        let q = p
            .clone()
            .into_inner()
            .next()
            .ok_or_else(|| self.bug(&p, "reading a name"))?;
        Ok(match q.as_rule() {
            Rule::ident => Name::Ident(self.ident(&q)),
            _ => Name::Str(self.string(q)?),
        })
    }

    fn key(&mut self, p: Pair<Rule>) -> R<Key> {
        let span = self.span(&p);
        let q = p
            .clone()
            .into_inner()
            .next()
            .ok_or_else(|| self.bug(&p, "reading a key"))?;
        Ok(match q.as_rule() {
            Rule::ident => Key {
                name: q.as_str().to_string(),
                quoted: false,
                span,
            },
            _ => {
                let s = self.string(q)?;
                let name = s.as_plain().ok_or_else(|| {
                    Diagnostic::new(Code::Syntax, span, "a field name cannot interpolate")
                        .label("this key interpolates")
                })?;
                Key {
                    name,
                    quoted: true,
                    span,
                }
            }
        })
    }

    fn type_expr(&mut self, p: Pair<Rule>) -> R<TypeExpr> {
        let span = self.span(&p);
        let mut inner = p.clone().into_inner();
        let name = self.ident(&inner.next().ok_or_else(|| self.bug(&p, "reading a type"))?);
        let mut args = Vec::new();
        for q in inner {
            args.push(match q.as_rule() {
                Rule::string => TypeArg::Str(self.string(q)?),
                _ => TypeArg::Type(self.type_expr(q)?),
            });
        }
        Ok(TypeExpr { name, args, span })
    }

    fn body(&mut self, p: Pair<Rule>) -> R<Body> {
        let span = self.span(&p);
        Ok(Body {
            stmts: self.stmts(p.into_inner())?,
            span,
        })
    }

    fn ident(&self, p: &Pair<Rule>) -> Ident {
        Ident {
            name: p.as_str().to_string(),
            span: self.span(p),
        }
    }

    fn path(&self, p: Pair<Rule>) -> Vec<Ident> {
        p.into_inner().map(|q| self.ident(&q)).collect()
    }

    /// Adds `extra` levels to the expression depth, failing past [`MAX_EXPR_DEPTH`].
    fn deeper(&mut self, extra: usize, span: Span) -> R<()> {
        self.depth += extra;
        if self.depth > MAX_EXPR_DEPTH {
            return Err(too_deep_expr(span));
        }
        Ok(())
    }

    fn expr(&mut self, p: Pair<Rule>) -> R<Expr> {
        let span = self.span(&p);
        let level = usize::from(p.as_rule() == Rule::expr);
        self.deeper(level, span)?;
        let e = self.expr_inner(p, span);
        self.depth -= level;
        e
    }

    fn expr_inner(&mut self, p: Pair<Rule>, span: Span) -> R<Expr> {
        match p.as_rule() {
            Rule::expr => {
                let q = p
                    .clone()
                    .into_inner()
                    .next()
                    .ok_or_else(|| self.bug(&p, "reading a value"))?;
                self.expr(q)
            }
            Rule::or_expr | Rule::and_expr | Rule::cmp_expr => self.binary(p),
            Rule::unary => {
                let count = p.clone().into_inner().count().saturating_sub(1);
                self.deeper(count, span)?;
                self.depth -= count;
                let mut nots = Vec::new();
                let mut operand = None;
                for q in p.clone().into_inner() {
                    match q.as_rule() {
                        Rule::not_op => nots.push(self.span(&q)),
                        _ => operand = Some(self.expr(q)?),
                    }
                }
                let mut e = operand.ok_or_else(|| self.bug(&p, "reading `!`"))?;
                for s in nots.into_iter().rev() {
                    e = Expr {
                        span: s.to(e.span),
                        kind: ExprKind::Not(Box::new(e)),
                    };
                }
                Ok(e)
            }
            Rule::postfix | Rule::iter_expr => self.postfix(p),
            _ => self.primary(p, span),
        }
    }

    fn binary(&mut self, p: Pair<Rule>) -> R<Expr> {
        let operands = p.clone().into_inner().count().div_ceil(2);
        let span = self.span(&p);
        self.deeper(operands, span)?;
        let e = self.binary_chain(p);
        self.depth -= operands;
        e
    }

    fn binary_chain(&mut self, p: Pair<Rule>) -> R<Expr> {
        let mut inner = p.clone().into_inner();
        let first = inner
            .next()
            .ok_or_else(|| self.bug(&p, "reading an operator"))?;
        let mut lhs = self.expr(first)?;
        while let Some(op) = inner.next() {
            let op = match op.as_str() {
                "||" => BinOp::Or,
                "&&" => BinOp::And,
                "==" => BinOp::Eq,
                _ => BinOp::Ne,
            };
            let rhs_pair = inner
                .next()
                .ok_or_else(|| self.bug(&p, "reading an operand"))?;
            let rhs = self.expr(rhs_pair)?;
            lhs = Expr {
                span: lhs.span.to(rhs.span),
                kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
            };
        }
        Ok(lhs)
    }

    fn postfix(&mut self, p: Pair<Rule>) -> R<Expr> {
        let ops = p.clone().into_inner().count();
        let span = self.span(&p);
        self.deeper(ops, span)?;
        let e = self.postfix_chain(p);
        self.depth -= ops;
        e
    }

    fn postfix_chain(&mut self, p: Pair<Rule>) -> R<Expr> {
        let mut inner = p.clone().into_inner();
        let first = inner
            .next()
            .ok_or_else(|| self.bug(&p, "reading a value"))?;
        let first_span = self.span(&first);
        let mut e = self.primary(first, first_span)?;
        for q in inner {
            let qs = self.span(&q);
            match q.as_rule() {
                Rule::member => {
                    let m = q
                        .clone()
                        .into_inner()
                        .next()
                        .ok_or_else(|| self.bug(&q, "reading `.`"))?;
                    let member = match m.as_rule() {
                        Rule::star => Member::Star(self.span(&m)),
                        _ => Member::Name(self.ident(&m)),
                    };
                    e = Expr {
                        span: e.span.to(qs),
                        kind: ExprKind::Member(Box::new(e), member),
                    };
                }
                _ => {
                    let args = self.args(q)?;
                    e = Expr {
                        span: e.span.to(qs),
                        kind: ExprKind::Call(Box::new(e), args),
                    };
                }
            }
        }
        Ok(e)
    }

    fn args(&mut self, p: Pair<Rule>) -> R<Vec<Arg>> {
        let mut out = Vec::new();
        for a in p.into_inner() {
            let span = self.span(&a);
            let mut name = None;
            let mut value = None;
            for q in a.clone().into_inner() {
                match q.as_rule() {
                    Rule::arg_name => {
                        let i = q
                            .clone()
                            .into_inner()
                            .next()
                            .ok_or_else(|| self.bug(&q, "reading an argument"))?;
                        name = Some(self.ident(&i));
                    }
                    _ => value = Some(self.expr(q)?),
                }
            }
            let value = value.ok_or_else(|| self.bug(&a, "reading an argument"))?;
            out.push(Arg { name, value, span });
        }
        Ok(out)
    }

    fn primary(&mut self, p: Pair<Rule>, span: Span) -> R<Expr> {
        let kind = match p.as_rule() {
            Rule::int => match p.as_str().parse::<i64>() {
                Ok(n) => ExprKind::Int(n),
                Err(_) => {
                    return Err(Diagnostic::new(
                        Code::InvalidValue,
                        span,
                        "this number is too large",
                    )
                    .label("does not fit in 64 bits"))
                }
            },
            Rule::percent => {
                let digits = p.as_str().trim_end_matches('%');
                match digits.parse::<u32>() {
                    Ok(n) => ExprKind::Percent(n),
                    Err(_) => {
                        return Err(Diagnostic::new(
                            Code::InvalidValue,
                            span,
                            "this percentage is too large",
                        )
                        .label("not a percentage"))
                    }
                }
            }
            Rule::duration => ExprKind::Duration {
                millis: duration_millis(p.as_str(), span)?,
                text: p.as_str().into(),
            },
            Rule::boolean => ExprKind::Bool(p.as_str() == "true"),
            Rule::none => ExprKind::None,
            Rule::string => ExprKind::Str(self.string(p)?),
            Rule::list => {
                let mut items = Vec::new();
                for q in p.into_inner() {
                    items.push(self.expr(q)?);
                }
                ExprKind::List(items)
            }
            Rule::body => ExprKind::Record(self.body(p)?),
            Rule::tagged => {
                let mut inner = p.clone().into_inner();
                let tag = self.ident(
                    &inner
                        .next()
                        .ok_or_else(|| self.bug(&p, "reading a variant"))?,
                );
                let body = self.body(
                    inner
                        .next()
                        .ok_or_else(|| self.bug(&p, "reading a variant"))?,
                )?;
                ExprKind::Tagged(tag, body)
            }
            Rule::ident => ExprKind::Ident(self.ident(&p)),
            Rule::paren => {
                let q = p
                    .clone()
                    .into_inner()
                    .next()
                    .ok_or_else(|| self.bug(&p, "reading `(`"))?;
                ExprKind::Paren(Box::new(self.expr(q)?))
            }
            _ => return self.expr(p),
        };
        Ok(Expr { kind, span })
    }

    fn string(&mut self, p: Pair<Rule>) -> R<StrLit> {
        let span = self.span(&p);
        let q = p
            .clone()
            .into_inner()
            .next()
            .ok_or_else(|| self.bug(&p, "reading a string"))?;
        let triple = q.as_rule() == Rule::triple_str;
        // Raw pieces: text with escapes still in, and interpolations.
        let mut raw = String::new();
        let mut interps = Vec::new();
        for piece in q.into_inner() {
            match piece.as_rule() {
                Rule::interp => {
                    let e = piece
                        .clone()
                        .into_inner()
                        .next()
                        .ok_or_else(|| self.bug(&piece, "reading `${`"))?;
                    interps.push(self.expr(e)?);
                    raw.push('\u{0}');
                }
                _ => raw.push_str(&piece.as_str().replace('\u{0}', "\u{fffd}")),
            }
        }
        if triple {
            raw = dedent(&raw);
        }
        let mut parts = Vec::new();
        let mut interps = interps.into_iter();
        for (i, chunk) in raw.split('\u{0}').enumerate() {
            if i > 0 {
                if let Some(e) = interps.next() {
                    parts.push(StrPart::Interp(e));
                }
            }
            let text = unescape(chunk, span)?;
            if !text.is_empty() {
                parts.push(StrPart::Text(text));
            }
        }
        Ok(StrLit {
            parts,
            triple,
            span,
        })
    }
}
