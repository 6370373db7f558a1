//! The parser: recursive descent over the text, building [`ast`](crate::ast) nodes directly.
//!
//! It follows `gitops.pest` rule by rule and keeps the grammar's meaning exactly: alternatives
//! are tried in order and the first that matches wins, repetitions are greedy, and a part that
//! fails is given up with the position restored. Trivia is skipped where the grammar skips it
//! (between the parts of a rule), so every span ends where the grammar's rule ends: a rule whose
//! last part is optional and absent ends after the trivia that follows it, as in pest.
//!
//! Binary operators are read loosest first (`||`, then `&&`, then one `==` or `!=`), each level a
//! loop that folds its operands to the left, with `!` above the value it negates.
//!
//! A syntax error is reported at the furthest offset any attempt reached, with what the
//! attempts there expected. Problems found in well-formed text (a number too large, an unknown
//! escape, an expression nested too deep) are kept aside while parsing goes on, and only the first
//! in reading order is reported, once the whole file is known to parse.
//!
//! Bounded work and stack: every bracket, string and interpolation that is open counts toward
//! [`MAX_DEPTH`]; a block that failed to parse at an offset is never parsed again at that offset
//! (a failing loop body is otherwise re-read once per enclosing loop, which doubles per level).

use super::depth::DepthCheck;
use super::lexer::{
    describe, duration_end, ident_end, int_end, is_ident_start, keyword_end, percent_end,
    skip_trivia, string_text_end,
};
use super::literal::{dedent, duration_millis, unescape, MAX_EXPR_DEPTH};
use super::{too_deep_nesting, MAX_DEPTH};
use crate::ast::*;
use crate::diagnostics::{Code, Diagnostic, FileId, Span};
use std::collections::HashSet;

/// What an attempt expected at the offset where it failed, as a set of bits.
#[derive(Clone, Copy)]
#[repr(u16)]
enum Expect {
    Statement = 1 << 0,
    Value = 1 << 1,
    Name = 1 << 2,
    Type = 1 << 3,
    In = 1 << 4,
    Eq = 1 << 5,
    LBrace = 1 << 6,
    Sep = 1 << 7,
    RParen = 1 << 8,
    RBracket = 1 << 9,
    RBrace = 1 << 10,
    Quote = 1 << 11,
    TripleQuote = 1 << 12,
    Eof = 1 << 13,
}

/// The words for each expectation, in the order a message lists them.
const EXPECT_NAMES: [(Expect, &str); 14] = [
    (Expect::Statement, "a statement"),
    (Expect::Value, "a value"),
    (Expect::Name, "a name"),
    (Expect::Type, "a type"),
    (Expect::In, "`in`"),
    (Expect::Eq, "`=`"),
    (Expect::LBrace, "`{`"),
    (Expect::Sep, "`,`"),
    (Expect::RParen, "`)`"),
    (Expect::RBracket, "`]`"),
    (Expect::RBrace, "`}`"),
    (Expect::Quote, "`\"`"),
    (Expect::TripleQuote, "`\"\"\"`"),
    (Expect::Eof, "the end of the file"),
];

/// Something open (and not yet closed) around the parser's position.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum OpenKind {
    Brace,
    Bracket,
    Paren,
    Interp,
    Str,
    Triple,
}

#[derive(Clone, Copy, Debug)]
struct Open {
    kind: OpenKind,
    at: usize,
}

/// Where a deferred problem stands in reading order: offset, then what kind of event it is.
/// Problems a value reports once it is read (an unknown escape, an interpolating key) sort at
/// the value's end; the others at the start of the node that has them.
type Stamp = (usize, u8, u8);

/// A position to come back to: everything an attempt may change.
#[derive(Clone, Copy)]
struct Mark {
    pos: usize,
    deferred: usize,
    keys: usize,
    open: usize,
}

/// A parsed node and the depth its subtree adds (see [`depth`](super::depth)).
type Node<T> = Option<(T, usize)>;

pub(super) struct Parser<'a> {
    text: &'a str,
    b: &'a [u8],
    file: FileId,
    pos: usize,
    open: Vec<Open>,
    /// The furthest offset at which an attempt failed, what was expected there, and what was
    /// open when it was first reached.
    far: usize,
    expected: u16,
    far_open: Option<Open>,
    /// Offsets at which a block failed to parse.
    failed_blocks: HashSet<usize>,
    /// Problems in well-formed text, reported only if the file parses.
    deferred: Vec<(Stamp, Diagnostic)>,
    /// Quoted keys that interpolate (the tree gets a placeholder), for the depth check.
    keys: Vec<StrLit>,
    /// Nesting beyond [`MAX_DEPTH`]: parsing stops.
    fatal: Option<Diagnostic>,
    /// The statements of the lists being read, innermost last.
    stmt_stack: Vec<Stmt>,
}

/// Why an attempt at `key = value` did not give a statement.
enum NotAttr {
    /// Not a field: try a declaration.
    No,
    /// `key =` was read and the value failed: no statement starts here.
    Failed,
}

impl<'a> Parser<'a> {
    pub fn new(file: FileId, text: &'a str) -> Parser<'a> {
        Parser {
            text,
            b: text.as_bytes(),
            file,
            pos: 0,
            open: Vec::new(),
            far: 0,
            expected: 0,
            far_open: None,
            failed_blocks: HashSet::new(),
            deferred: Vec::new(),
            keys: Vec::new(),
            fatal: None,
            stmt_stack: Vec::new(),
        }
    }

    /// Parses the whole file: its statements, or the one diagnostic that stops it.
    pub fn parse_file(mut self) -> Result<Vec<Stmt>, Diagnostic> {
        self.skip();
        let (stmts, height) = self.stmts();
        if let Some(d) = self.fatal.take() {
            return Err(d);
        }
        self.skip();
        if self.pos < self.b.len() {
            self.expect(Expect::Eof);
            return Err(self.syntax_error());
        }
        let mut first = self.deferred.iter().min_by_key(|(s, _)| *s).cloned();
        if height > MAX_EXPR_DEPTH {
            let mut check = DepthCheck {
                file: self.file,
                text: self.b,
                keys: &self.keys,
                depth: 0,
            };
            if let Err(d) = check.stmts(&stmts) {
                let stamp = (d.primary.span.start as usize, 1, 0);
                if first.as_ref().is_none_or(|(s, _)| stamp < *s) {
                    first = Some((stamp, d));
                }
            }
        }
        match first {
            Some((_, d)) => Err(d),
            None => Ok(stmts),
        }
    }

    // ----- positions, attempts and expectations -----

    #[inline]
    fn skip(&mut self) {
        self.pos = skip_trivia(self.b, self.pos);
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    #[inline]
    fn at(&self, s: &[u8]) -> bool {
        self.b[self.pos..].starts_with(s)
    }

    #[inline]
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    #[inline]
    fn eat_sep(&mut self) -> bool {
        if matches!(self.peek(), Some(b';' | b',')) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    #[inline]
    fn mark(&self) -> Mark {
        Mark {
            pos: self.pos,
            deferred: self.deferred.len(),
            keys: self.keys.len(),
            open: self.open.len(),
        }
    }

    #[inline]
    fn reset(&mut self, m: Mark) {
        self.pos = m.pos;
        self.deferred.truncate(m.deferred);
        self.keys.truncate(m.keys);
        self.open.truncate(m.open);
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    /// Notes that `what` was expected at the current offset.
    fn expect(&mut self, what: Expect) {
        self.expect_at(self.pos, what);
    }

    fn expect_at(&mut self, at: usize, what: Expect) {
        if at > self.far || self.expected == 0 {
            self.far = at;
            self.expected = what as u16;
            self.far_open = self.open.last().copied();
        } else if at == self.far {
            self.expected |= what as u16;
        }
    }

    /// After `=`, the grammar forbids another `=` (so `==` is never read as `=`). A value is
    /// expected there, unless the two make one `==`, which the caller reports.
    fn not_eq_after_eq(&mut self, eq_at: usize) -> bool {
        if self.peek() != Some(b'=') {
            return true;
        }
        if self.pos == eq_at + 1 {
            self.expect_at(eq_at, Expect::Eq);
        } else {
            self.expect(Expect::Value);
        }
        false
    }

    /// Opens a bracket, string or interpolation; fails (for good) past [`MAX_DEPTH`].
    fn open(&mut self, kind: OpenKind, at: usize) -> bool {
        self.open.push(Open { kind, at });
        if self.open.len() > MAX_DEPTH && self.fatal.is_none() {
            self.fatal = Some(too_deep_nesting(self.span(at, at + 1)));
        }
        self.fatal.is_none()
    }

    fn defer(&mut self, stamp: Stamp, d: Diagnostic) {
        self.deferred.push((stamp, d));
    }

    // ----- statements -----

    /// `stmts = (stmt ~ sep*)*`, with the height of the deepest statement.
    fn stmts(&mut self) -> (Vec<Stmt>, usize) {
        // Statements gather on one stack shared by all lists, so that each list is allocated
        // once, at its size (a statement is large, and growing a list copies them).
        let base = self.stmt_stack.len();
        let mut height = 0;
        loop {
            let m = self.mark();
            if self.stmt_stack.len() > base {
                self.skip();
            }
            let start = self.pos;
            let Some((stmt, h)) = self.stmt() else {
                self.reset(m);
                if self.fatal.is_none() {
                    self.expect_at(start, Expect::Statement);
                }
                break;
            };
            self.stmt_stack.push(stmt);
            height = height.max(h);
            self.skip();
            if self.eat_sep() {
                loop {
                    let save = self.pos;
                    self.skip();
                    if !self.eat_sep() {
                        self.pos = save;
                        break;
                    }
                }
            }
        }
        (self.stmt_stack.split_off(base), height)
    }

    /// `stmt = use_stmt | for_stmt | attr | decl`
    fn stmt(&mut self) -> Node<Stmt> {
        let start = self.pos;
        let m = self.mark();
        if let Some(end) = keyword_end(self.b, start, b"use") {
            if let Some(s) = self.use_stmt(start, end) {
                return Some(s);
            }
            self.reset(m);
        }
        if let Some(end) = keyword_end(self.b, start, b"for") {
            if let Some(s) = self.for_stmt(start, end) {
                return Some(s);
            }
            self.reset(m);
            if self.fatal.is_some() {
                return None;
            }
        }
        match self.attr(start) {
            Ok(s) => return Some(s),
            // A declaration would read the same value after the same `=`, and fail the same way.
            Err(NotAttr::Failed) => return None,
            Err(NotAttr::No) => self.reset(m),
        }
        self.decl(start)
    }

    /// `use_stmt = kw_use ~ path ~ (kw_as ~ ident)?`
    #[inline(never)]
    fn use_stmt(&mut self, start: usize, kw_end: usize) -> Node<Stmt> {
        self.pos = kw_end;
        self.skip();
        let Some(first) = self.ident() else {
            self.expect(Expect::Name);
            return None;
        };
        let mut path = vec![first];
        self.skip();
        let mut again = false;
        loop {
            let save = self.pos;
            if again {
                self.skip();
            }
            again = true;
            if self.eat(b'.') {
                self.skip();
                if let Some(i) = self.ident() {
                    path.push(i);
                    continue;
                }
                self.expect(Expect::Name);
            }
            self.pos = save;
            break;
        }
        self.skip();
        let save = self.pos;
        let mut alias = None;
        if let Some(end) = keyword_end(self.b, self.pos, b"as") {
            self.pos = end;
            self.skip();
            alias = self.ident();
            if alias.is_none() {
                self.expect(Expect::Name);
                self.pos = save;
            }
        }
        let span = self.span(start, self.pos);
        Some((
            Stmt {
                kind: StmtKind::Use { path, alias },
                span,
            },
            0,
        ))
    }

    /// `for_stmt = kw_for ~ ident ~ kw_in ~ iter_expr ~ body`
    #[inline(never)]
    fn for_stmt(&mut self, start: usize, kw_end: usize) -> Node<Stmt> {
        self.pos = kw_end;
        self.skip();
        let var = self.ident()?;
        self.skip();
        let Some(end) = keyword_end(self.b, self.pos, b"in") else {
            self.expect(Expect::In);
            return None;
        };
        self.pos = end;
        self.skip();
        let (iter, hi) = self.iter_expr()?;
        self.skip();
        if self.peek() != Some(b'{') {
            self.expect(Expect::LBrace);
            return None;
        }
        let (body, hb) = self.block()?;
        let span = self.span(start, self.pos);
        Some((
            Stmt {
                kind: StmtKind::For { var, iter, body },
                span,
            },
            hi.max(hb),
        ))
    }

    /// `attr = key ~ "=" ~ !"=" ~ expr`, with `key = ident | string`.
    #[inline(never)]
    fn attr(&mut self, start: usize) -> Result<(Stmt, usize), NotAttr> {
        let (key, hk) = if let Some(end) = ident_end(self.b, start) {
            self.pos = end;
            let key = Key {
                name: self.text[start..end].to_string(),
                quoted: false,
                span: self.span(start, end),
            };
            (key, 0)
        } else if self.peek() == Some(b'"') {
            let Some((s, h)) = self.string() else {
                return Err(NotAttr::No);
            };
            let name = match s.as_plain() {
                Some(name) => name,
                None => {
                    self.defer(
                        (s.span.end as usize, 0, 1),
                        Diagnostic::new(Code::Syntax, s.span, "a field name cannot interpolate")
                            .label("this key interpolates"),
                    );
                    self.keys.push(s.clone());
                    String::new()
                }
            };
            let key = Key {
                name,
                quoted: true,
                span: s.span,
            };
            (key, h)
        } else {
            return Err(NotAttr::No);
        };
        self.skip();
        let eq_at = self.pos;
        if !self.eat(b'=') {
            if key.quoted {
                self.expect(Expect::Eq);
            }
            return Err(NotAttr::No);
        }
        self.skip();
        if !self.not_eq_after_eq(eq_at) {
            return Err(NotAttr::No);
        }
        let Some((value, hv)) = self.expr() else {
            return Err(NotAttr::Failed);
        };
        let span = self.span(start, self.pos);
        Ok((
            Stmt {
                kind: StmtKind::Attr { key, value },
                span,
            },
            hk.max(hv),
        ))
    }

    /// `decl = ident ~ name ~ type_ann? ~ ("=" ~ !"=" ~ expr)? ~ body?
    ///       | ident ~ type_ann? ~ "=" ~ !"=" ~ expr ~ body?
    ///       | ident ~ body`
    #[inline(never)]
    fn decl(&mut self, start: usize) -> Node<Stmt> {
        let keyword = self.ident()?;
        self.skip();
        let after_keyword = self.mark();
        let mut decl = Decl {
            keyword,
            name: None,
            ty: None,
            value: None,
            body: None,
        };
        let mut height = 0;
        if let Some((name, h)) = self.name() {
            decl.name = Some(name);
            height = h;
            self.skip();
            if let Some((ty, h)) = self.opt_type_ann() {
                decl.ty = Some(ty);
                height = height.max(h);
            }
            self.skip();
            let m = self.mark();
            if self.eat(b'=') {
                self.skip();
                match self.not_eq_after_eq(m.pos).then(|| self.expr()).flatten() {
                    Some((value, h)) => {
                        decl.value = Some(value);
                        height = height.max(h);
                    }
                    None => self.reset(m),
                }
            }
            self.skip();
            if let Some((body, h)) = self.opt_block() {
                decl.body = Some(body);
                height = height.max(h);
            }
            return Some(self.decl_stmt(decl, start, height));
        }
        self.reset(after_keyword);
        self.expect(Expect::Name);
        // The second form: a type and a value, no name.
        if let Some((ty, h)) = self.opt_type_ann() {
            decl.ty = Some(ty);
            height = h;
        }
        self.skip();
        let eq_at = self.pos;
        if self.eat(b'=') {
            self.skip();
            if self.not_eq_after_eq(eq_at) {
                if let Some((value, h)) = self.expr() {
                    decl.value = Some(value);
                    height = height.max(h);
                    self.skip();
                    if let Some((body, h)) = self.opt_block() {
                        decl.body = Some(body);
                        height = height.max(h);
                    }
                    return Some(self.decl_stmt(decl, start, height));
                }
            }
        } else {
            self.expect(Expect::Eq);
        }
        // The third form: a body alone.
        self.reset(after_keyword);
        decl.ty = None;
        if self.peek() != Some(b'{') {
            self.expect(Expect::LBrace);
            return None;
        }
        let (body, h) = self.block()?;
        decl.body = Some(body);
        Some(self.decl_stmt(decl, start, h))
    }

    fn decl_stmt(&self, decl: Decl, start: usize, height: usize) -> (Stmt, usize) {
        let stmt = Stmt {
            kind: StmtKind::Decl(decl),
            span: self.span(start, self.pos),
        };
        (stmt, height)
    }

    /// `name = ident | string`
    fn name(&mut self) -> Node<Name> {
        if let Some(i) = self.ident() {
            return Some((Name::Ident(i), 0));
        }
        if self.peek() == Some(b'"') {
            let (s, h) = self.string()?;
            return Some((Name::Str(s), h));
        }
        None
    }

    /// `type_ann?`: `":" ~ type_expr`, given up as a whole if the type does not parse.
    fn opt_type_ann(&mut self) -> Node<TypeExpr> {
        if self.peek() != Some(b':') {
            return None;
        }
        let m = self.mark();
        self.pos += 1;
        self.skip();
        let t = self.type_expr();
        if t.is_none() {
            self.reset(m);
        }
        t
    }

    /// `type_expr = ident ~ ("(" ~ type_arg ~ ("," ~ type_arg)* ~ ","? ~ ")")?`
    #[inline(never)]
    fn type_expr(&mut self) -> Node<TypeExpr> {
        let start = self.pos;
        let Some(name) = self.ident() else {
            self.expect(Expect::Type);
            return None;
        };
        self.skip();
        let m = self.mark();
        let mut args = Vec::new();
        let mut height = 0;
        if self.peek() == Some(b'(') && self.open(OpenKind::Paren, self.pos) {
            self.pos += 1;
            self.skip();
            let mut ok = false;
            if let Some((a, h)) = self.type_arg() {
                args.push(a);
                height = h;
                self.skip();
                let mut again = false;
                loop {
                    let save = self.mark();
                    if again {
                        self.skip();
                    }
                    again = true;
                    if self.eat(b',') {
                        self.skip();
                        if let Some((a, h)) = self.type_arg() {
                            args.push(a);
                            height = height.max(h);
                            continue;
                        }
                    }
                    self.reset(save);
                    break;
                }
                self.skip();
                let sep = self.eat(b',');
                self.skip();
                if self.eat(b')') {
                    ok = true;
                } else {
                    if !sep {
                        self.expect(Expect::Sep);
                    }
                    self.expect(Expect::RParen);
                }
            }
            if ok {
                self.open.pop();
            } else {
                self.reset(m);
                args.clear();
                height = 0;
            }
        }
        let span = self.span(start, self.pos);
        Some((TypeExpr { name, args, span }, height))
    }

    /// `type_arg = string | type_expr`
    fn type_arg(&mut self) -> Node<TypeArg> {
        if self.peek() == Some(b'"') {
            let (s, h) = self.string()?;
            return Some((TypeArg::Str(s), h));
        }
        let (t, h) = self.type_expr()?;
        Some((TypeArg::Type(t), h))
    }

    /// `body?` where the caller has skipped trivia.
    fn opt_block(&mut self) -> Node<Body> {
        if self.peek() != Some(b'{') {
            return None;
        }
        let m = self.mark();
        let b = self.block();
        if b.is_none() {
            self.reset(m);
        }
        b
    }

    /// `body = "{" ~ stmts ~ "}"`, at a `{`.
    fn block(&mut self) -> Node<Body> {
        let start = self.pos;
        if self.failed_blocks.contains(&start) {
            return None;
        }
        let depth = self.open.len();
        if !self.open(OpenKind::Brace, start) {
            return None;
        }
        self.pos += 1;
        self.skip();
        let (stmts, height) = self.stmts();
        self.skip();
        let closed = self.fatal.is_none() && self.eat(b'}');
        if !closed && self.fatal.is_none() {
            self.expect(Expect::RBrace);
            self.failed_blocks.insert(start);
        }
        self.open.truncate(depth);
        if !closed {
            return None;
        }
        let span = self.span(start, self.pos);
        Some((Body { stmts, span }, height))
    }

    fn ident(&mut self) -> Option<Ident> {
        let start = self.pos;
        let end = ident_end(self.b, start)?;
        self.pos = end;
        Some(Ident {
            name: self.text[start..end].to_string(),
            span: self.span(start, end),
        })
    }

    // ----- expressions -----

    /// `expr = { or_expr }`, where `or_expr = and_expr ~ (or_op ~ and_expr)*`,
    /// `and_expr = cmp_expr ~ (and_op ~ cmp_expr)*` and `cmp_expr = unary ~ (cmp_op ~ unary)?`.
    ///
    /// Precedence climbing in one loop: each operand is read once, folded into the comparison,
    /// `&&` chain and `||` chain it closes, all to the left, with no recursion between levels.
    /// Trivia after a chain's first operand is kept (the grammar's sequence skips it); before a
    /// later operator it is given back when no operand follows.
    fn expr(&mut self) -> Node<Expr> {
        let mut ors: Option<(Expr, usize, usize)> = None;
        let mut ands: Option<(Expr, usize, usize)> = None;
        let mut next = self.operand()?;
        loop {
            let (mut cmp, mut deepest) = next;
            let mut operands = 1;
            self.skip();
            let m = self.mark();
            let op = if self.at(b"==") {
                Some(BinOp::Eq)
            } else if self.at(b"!=") {
                Some(BinOp::Ne)
            } else {
                None
            };
            if let Some(op) = op {
                self.pos += 2;
                self.skip();
                match self.operand() {
                    Some((rhs, h)) => {
                        cmp = fold(op, cmp, rhs);
                        deepest = deepest.max(h);
                        operands = 2;
                    }
                    None => self.reset(m),
                }
            }
            let and_chain = add_to_chain(ands.take(), BinOp::And, cmp, operands + deepest);
            if let Some(operand) = self.chain_operator(b"&&", and_chain.2) {
                ands = Some(and_chain);
                next = operand;
                continue;
            }
            let (e, deepest, n) = and_chain;
            let or_chain = add_to_chain(ors.take(), BinOp::Or, e, n + deepest);
            if let Some(operand) = self.chain_operator(b"||", or_chain.2) {
                ors = Some(or_chain);
                next = operand;
                continue;
            }
            let (e, deepest, n) = or_chain;
            return Some((e, n + deepest + 1));
        }
    }

    /// After a chain of `len` operands: the operator `op` and the next operand, or nothing (the
    /// position given back).
    fn chain_operator(&mut self, op: &[u8], len: usize) -> Node<Expr> {
        if len == 1 {
            self.skip();
        }
        let m = self.mark();
        if len > 1 {
            self.skip();
        }
        if self.at(op) {
            self.pos += 2;
            self.skip();
            if let Some(operand) = self.operand() {
                return Some(operand);
            }
        }
        self.reset(m);
        None
    }

    /// `unary = not_op* ~ postfix`, `postfix = primary ~ (call_args | member)*`
    fn operand(&mut self) -> Node<Expr> {
        let mut nots = Vec::new();
        if self.peek() == Some(b'!') {
            nots.push(self.pos);
            self.pos += 1;
            loop {
                let save = self.pos;
                self.skip();
                if self.peek() == Some(b'!') {
                    nots.push(self.pos);
                    self.pos += 1;
                } else {
                    self.pos = save;
                    break;
                }
            }
            self.skip();
        }
        let (e, h) = self.primary()?;
        let (mut e, h) = self.calls_and_members(e, h);
        for &at in nots.iter().rev() {
            e = Expr {
                span: self.span(at, at + 1).to(e.span),
                kind: ExprKind::Not(Box::new(e)),
            };
        }
        Some((e, h.max(nots.len())))
    }

    /// `(call_args | member)*` after a value.
    fn calls_and_members(&mut self, mut e: Expr, mut deepest: usize) -> (Expr, usize) {
        let mut ops = 0;
        self.skip();
        loop {
            let m = self.mark();
            if ops > 0 {
                self.skip();
            }
            let start = self.pos;
            match self.peek() {
                Some(b'.') => {
                    self.pos += 1;
                    self.skip();
                    let member = if let Some(i) = self.ident() {
                        Member::Name(i)
                    } else if self.eat(b'*') {
                        Member::Star(self.span(self.pos - 1, self.pos))
                    } else {
                        self.expect(Expect::Name);
                        self.reset(m);
                        break;
                    };
                    e = Expr {
                        span: e.span.to(self.span(start, self.pos)),
                        kind: ExprKind::Member(Box::new(e), member),
                    };
                }
                Some(b'(') => {
                    let Some((args, h)) = self.call_args() else {
                        self.reset(m);
                        break;
                    };
                    deepest = deepest.max(h);
                    e = Expr {
                        span: e.span.to(self.span(start, self.pos)),
                        kind: ExprKind::Call(Box::new(e), args),
                    };
                }
                _ => {
                    self.reset(m);
                    break;
                }
            }
            ops += 1;
        }
        (e, 1 + ops + deepest)
    }

    /// `iter_expr = (list | ident | paren) ~ (call_args | member)*`: a loop's collection, which
    /// cannot be a variant with a body.
    fn iter_expr(&mut self) -> Node<Expr> {
        let (e, h) = match self.peek() {
            Some(b'[') => self.list()?,
            Some(b'(') => self.paren()?,
            _ => match self.ident() {
                Some(i) => {
                    let span = i.span;
                    let e = Expr {
                        kind: ExprKind::Ident(i),
                        span,
                    };
                    (e, 0)
                }
                None => {
                    self.expect(Expect::Value);
                    return None;
                }
            },
        };
        Some(self.calls_and_members(e, h))
    }

    /// `primary = literal | list | tagged | body | ident | paren`, with
    /// `literal = duration | percent | int | boolean | none | string`.
    fn primary(&mut self) -> Node<Expr> {
        let start = self.pos;
        let Some(c) = self.peek() else {
            self.expect(Expect::Value);
            return None;
        };
        let kind = match c {
            b'0'..=b'9' | b'-' => return self.number(),
            b'"' => {
                let (s, h) = self.string()?;
                let span = s.span;
                return Some((
                    Expr {
                        kind: ExprKind::Str(s),
                        span,
                    },
                    h,
                ));
            }
            b'[' => return self.list(),
            b'(' => return self.paren(),
            b'{' => {
                let (body, h) = self.block()?;
                let span = body.span;
                return Some((
                    Expr {
                        kind: ExprKind::Record(body),
                        span,
                    },
                    h,
                ));
            }
            _ if is_ident_start(c) => {
                if let Some(end) = keyword_end(self.b, start, b"true") {
                    self.pos = end;
                    ExprKind::Bool(true)
                } else if let Some(end) = keyword_end(self.b, start, b"false") {
                    self.pos = end;
                    ExprKind::Bool(false)
                } else if let Some(end) = keyword_end(self.b, start, b"none") {
                    self.pos = end;
                    ExprKind::None
                } else {
                    let ident = self.ident()?;
                    // `tagged = ident ~ body`
                    let m = self.mark();
                    self.skip();
                    if self.peek() == Some(b'{') {
                        if let Some((body, h)) = self.block() {
                            let span = self.span(start, self.pos);
                            return Some((
                                Expr {
                                    kind: ExprKind::Tagged(ident, body),
                                    span,
                                },
                                h,
                            ));
                        }
                    }
                    self.reset(m);
                    ExprKind::Ident(ident)
                }
            }
            _ => {
                self.expect(Expect::Value);
                return None;
            }
        };
        let span = self.span(start, self.pos);
        Some((Expr { kind, span }, 0))
    }

    /// `duration | percent | int`
    #[inline(never)]
    fn number(&mut self) -> Node<Expr> {
        let start = self.pos;
        let b = self.b;
        let (kind, end) = if let Some(end) = duration_end(b, start) {
            let text = &self.text[start..end];
            let span = self.span(start, end);
            let millis = match duration_millis(text, span) {
                Ok(ms) => ms,
                Err(d) => {
                    self.defer((start, 2, 0), d);
                    0
                }
            };
            let kind = ExprKind::Duration {
                millis,
                text: text.into(),
            };
            (kind, end)
        } else if let Some(end) = percent_end(b, start) {
            let n = match self.text[start..end - 1].parse::<u32>() {
                Ok(n) => n,
                Err(_) => {
                    let d = Diagnostic::new(
                        Code::InvalidValue,
                        self.span(start, end),
                        "this percentage is too large",
                    )
                    .label("not a percentage");
                    self.defer((start, 2, 0), d);
                    0
                }
            };
            (ExprKind::Percent(n), end)
        } else if let Some(end) = int_end(b, start) {
            let n = match self.text[start..end].parse::<i64>() {
                Ok(n) => n,
                Err(_) => {
                    let d = Diagnostic::new(
                        Code::InvalidValue,
                        self.span(start, end),
                        "this number is too large",
                    )
                    .label("does not fit in 64 bits");
                    self.defer((start, 2, 0), d);
                    0
                }
            };
            (ExprKind::Int(n), end)
        } else {
            self.expect(Expect::Value);
            return None;
        };
        self.pos = end;
        let span = self.span(start, end);
        Some((Expr { kind, span }, 0))
    }

    /// `paren = "(" ~ expr ~ ")"`
    fn paren(&mut self) -> Node<Expr> {
        let start = self.pos;
        let depth = self.open.len();
        let r = self.paren_inner(start);
        self.open.truncate(depth);
        r
    }

    fn paren_inner(&mut self, start: usize) -> Node<Expr> {
        if !self.open(OpenKind::Paren, start) {
            return None;
        }
        self.pos += 1;
        self.skip();
        let (e, h) = self.expr()?;
        self.skip();
        if !self.eat(b')') {
            self.expect(Expect::RParen);
            return None;
        }
        let span = self.span(start, self.pos);
        Some((
            Expr {
                kind: ExprKind::Paren(Box::new(e)),
                span,
            },
            h,
        ))
    }

    /// `list = "[" ~ (expr ~ (sep ~ expr)*)? ~ sep? ~ "]"`
    fn list(&mut self) -> Node<Expr> {
        let start = self.pos;
        let depth = self.open.len();
        let r = self
            .separated(OpenKind::Bracket, b']', Self::expr)
            .map(|(items, h)| {
                let span = self.span(start, self.pos);
                let e = Expr {
                    kind: ExprKind::List(items),
                    span,
                };
                (e, h)
            });
        self.open.truncate(depth);
        r
    }

    /// `call_args = "(" ~ (arg ~ (sep ~ arg)*)? ~ sep? ~ ")"`
    fn call_args(&mut self) -> Node<Vec<Arg>> {
        let depth = self.open.len();
        let r = self.separated(OpenKind::Paren, b')', Self::arg);
        self.open.truncate(depth);
        r
    }

    /// `open ~ (item ~ (sep ~ item)*)? ~ sep? ~ close`, at the opening bracket.
    fn separated<T>(
        &mut self,
        kind: OpenKind,
        close: u8,
        item: fn(&mut Self) -> Node<T>,
    ) -> Node<Vec<T>> {
        if !self.open(kind, self.pos) {
            return None;
        }
        self.pos += 1;
        self.skip();
        let mut items = Vec::new();
        let mut height = 0;
        let m = self.mark();
        if let Some((first, h)) = item(self) {
            items.push(first);
            height = h;
            self.skip();
            let mut again = false;
            loop {
                let m = self.mark();
                if again {
                    self.skip();
                }
                again = true;
                if self.eat_sep() {
                    self.skip();
                    if let Some((next, h)) = item(self) {
                        items.push(next);
                        height = height.max(h);
                        continue;
                    }
                }
                self.reset(m);
                break;
            }
        } else {
            self.reset(m);
        }
        self.skip();
        let sep = self.eat_sep();
        self.skip();
        if !self.eat(close) {
            if !sep && !items.is_empty() {
                self.expect(Expect::Sep);
            }
            self.expect(if close == b']' {
                Expect::RBracket
            } else {
                Expect::RParen
            });
            return None;
        }
        Some((items, height))
    }

    /// `arg = (arg_name ~ "=" ~ !"=")? ~ expr`
    fn arg(&mut self) -> Node<Arg> {
        let start = self.pos;
        let m = self.mark();
        let mut name = None;
        if let Some(i) = self.ident() {
            self.skip();
            let eq_at = self.pos;
            if self.eat(b'=') {
                self.skip();
                if self.not_eq_after_eq(eq_at) {
                    name = Some(i);
                }
            }
            if name.is_none() {
                self.reset(m);
            }
        }
        let (value, h) = self.expr()?;
        let span = self.span(start, self.pos);
        Some((Arg { name, value, span }, h))
    }

    // ----- strings -----

    /// `string = triple_str | dq_str`, at a `"`.
    #[inline(never)]
    fn string(&mut self) -> Node<StrLit> {
        let start = self.pos;
        if self.at(b"\"\"\"") {
            let m = self.mark();
            if let Some(s) = self.string_body(start, true) {
                return Some(s);
            }
            self.reset(m);
            if self.fatal.is_some() {
                return None;
            }
        }
        self.string_body(start, false)
    }

    fn string_body(&mut self, start: usize, triple: bool) -> Node<StrLit> {
        let depth = self.open.len();
        let kind = if triple {
            OpenKind::Triple
        } else {
            OpenKind::Str
        };
        let r = if self.open(kind, start) {
            self.string_inner(start, triple)
        } else {
            None
        };
        self.open.truncate(depth);
        r
    }

    /// The pieces of a string (text, `\` escapes, `${…}` interpolations) up to its closing
    /// quote; then its meaning, as `dedent` and `unescape` give it.
    fn string_inner(&mut self, start: usize, triple: bool) -> Node<StrLit> {
        let b = self.b;
        let close = if triple {
            Expect::TripleQuote
        } else {
            Expect::Quote
        };
        let mut i = start + if triple { 3 } else { 1 };
        let mut piece = i;
        let mut raw = String::new();
        let mut interps = Vec::new();
        // No escape, NUL or interpolation: the text is the source's, dedented if `"""`.
        let mut plain = true;
        let mut height = 0;
        let end = loop {
            i = string_text_end(b, i, triple);
            match b.get(i) {
                None => {
                    self.pos = i;
                    self.expect(close);
                    return None;
                }
                Some(b'"') if !triple => break i + 1,
                Some(b'"') if b[i..].starts_with(b"\"\"\"") => break i + 3,
                Some(b'\n') if !triple => {
                    self.pos = i;
                    self.expect(close);
                    return None;
                }
                Some(b'\\') => {
                    // `escape = "\\" ~ ANY`
                    let Some(c) = self.text[i + 1..].chars().next() else {
                        self.pos = b.len();
                        self.expect(close);
                        return None;
                    };
                    plain = false;
                    i += 1 + c.len_utf8();
                }
                Some(b'$') if b.get(i + 1) == Some(&b'{') => {
                    // `interp = !{ "${" ~ expr ~ "}" }`
                    push_raw(&mut raw, &self.text[piece..i]);
                    plain = false;
                    if !self.open(OpenKind::Interp, i) {
                        return None;
                    }
                    self.pos = i + 2;
                    self.skip();
                    let (e, h) = self.expr()?;
                    self.skip();
                    if !self.eat(b'}') {
                        self.expect(Expect::RBrace);
                        return None;
                    }
                    self.open.pop();
                    height = height.max(h);
                    interps.push(e);
                    raw.push('\u{0}');
                    i = self.pos;
                    piece = i;
                }
                Some(0) => {
                    plain = false;
                    i += 1;
                }
                Some(_) => i += 1,
            }
        };
        let text_end = end - if triple { 3 } else { 1 };
        self.pos = end;
        let span = self.span(start, end);
        let mut parts = Vec::new();
        if plain {
            let source = &self.text[piece..text_end];
            let text = if triple {
                dedent(source)
            } else {
                source.to_string()
            };
            if !text.is_empty() {
                // One part, at its size: a list of a thousand names is a thousand of these.
                parts = vec![StrPart::Text(text)];
            }
        } else {
            push_raw(&mut raw, &self.text[piece..text_end]);
            if triple {
                raw = dedent(&raw);
            }
            let mut interps = interps.into_iter();
            let mut failed = false;
            for (n, chunk) in raw.split('\u{0}').enumerate() {
                if n > 0 {
                    if let Some(e) = interps.next() {
                        parts.push(StrPart::Interp(e));
                    }
                }
                match unescape(chunk, span) {
                    Ok(text) if !text.is_empty() => parts.push(StrPart::Text(text)),
                    Ok(_) => {}
                    Err(d) => {
                        if !failed {
                            failed = true;
                            self.defer((end, 0, 0), d);
                        }
                    }
                }
            }
        }
        Some((
            StrLit {
                parts,
                triple,
                span,
            },
            height,
        ))
    }

    // ----- errors -----

    /// The syntax error at the furthest offset reached, in words.
    #[inline(never)]
    fn syntax_error(&self) -> Diagnostic {
        let pos = self.far.min(self.b.len());
        let at_end = pos == self.b.len();
        let (found, end) = describe(self.text, pos);
        if let Some(open) = self.far_open {
            let opener = self.span(open.at, open.at + 1);
            match open.kind {
                OpenKind::Str if at_end || self.b[pos] == b'\n' => {
                    let place = if at_end { "file" } else { "line" };
                    return Diagnostic::new(
                        Code::Syntax,
                        opener,
                        format!("this string is not closed before the end of the {place}"),
                    )
                    .label("the string starts here")
                    .help("close it with `\"`, or use `\"\"\"` for text over several lines");
                }
                OpenKind::Triple if at_end => {
                    return Diagnostic::new(
                        Code::Syntax,
                        self.span(open.at, open.at + 3),
                        "this `\"\"\"` string is never closed",
                    )
                    .label("the string starts here")
                    .help("the file ends before the closing `\"\"\"`");
                }
                OpenKind::Brace | OpenKind::Bracket | OpenKind::Paren | OpenKind::Interp
                    if at_end =>
                {
                    let (shown, len) = if open.kind == OpenKind::Interp {
                        ("${", 2)
                    } else {
                        (&self.text[open.at..open.at + 1], 1)
                    };
                    return Diagnostic::new(
                        Code::Syntax,
                        self.span(open.at, open.at + len),
                        format!("this `{shown}` is never closed"),
                    )
                    .label("opened here")
                    .help("the file ends before the matching bracket");
                }
                _ => {}
            }
        }
        if self.b[pos..].starts_with(b"/*") {
            // A closed `/* … */` is trivia; one that reaches the error never closes.
            return Diagnostic::new(
                Code::Syntax,
                self.span(pos, pos + 2),
                "this comment is never closed",
            )
            .label("the comment starts here")
            .help("close it with `*/`");
        }
        let names: Vec<&str> = EXPECT_NAMES
            .iter()
            .filter(|(e, _)| self.expected & (*e as u16) != 0)
            .map(|(_, name)| *name)
            .collect();
        let message = match names.as_slice() {
            [] => format!("unexpected {found}"),
            [one] => format!("expected {one}, found {found}"),
            [init @ .., last] => format!("expected {} or {last}, found {found}", init.join(", ")),
        };
        Diagnostic::new(Code::Syntax, self.span(pos, end), message).label("here")
    }
}

fn fold(op: BinOp, lhs: Expr, rhs: Expr) -> Expr {
    Expr {
        span: lhs.span.to(rhs.span),
        kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
    }
}

/// Adds an operand of height `h` to a chain (its value, deepest operand, length).
fn add_to_chain(
    chain: Option<(Expr, usize, usize)>,
    op: BinOp,
    e: Expr,
    h: usize,
) -> (Expr, usize, usize) {
    match chain {
        None => (e, h, 1),
        Some((lhs, deepest, n)) => (fold(op, lhs, e), deepest.max(h), n + 1),
    }
}

/// Appends string text as the grammar's pieces are kept: a NUL becomes U+FFFD, so that NUL can
/// stand for an interpolation until the text is split.
fn push_raw(raw: &mut String, piece: &str) {
    if piece.contains('\u{0}') {
        raw.push_str(&piece.replace('\u{0}', "\u{fffd}"));
    } else {
        raw.push_str(piece);
    }
}
