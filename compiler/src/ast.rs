//! The abstract syntax tree, with a span on every node.
//!
//! The tree mirrors the language's one regular statement form (see `syntax/gitops.pest`):
//! a file is a list of [`Stmt`]s, and a [`Body`] is a list of statements too, whether it is a
//! declaration's block or a record literal. Comments are kept beside the tree in
//! [`File::comments`] so the formatter can print them back in place.

use crate::diagnostics::Span;

/// One parsed source file.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    pub stmts: Vec<Stmt>,
    pub comments: Vec<Comment>,
    pub span: Span,
}

/// A `//` or `/* */` comment, with its exact text.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind {
    /// `use std.maven as mvn`
    Use {
        path: Vec<Ident>,
        alias: Option<Ident>,
    },
    /// `for svc in services { ... }`
    For { var: Ident, iter: Expr, body: Body },
    /// `key = value`
    Attr { key: Key, value: Expr },
    /// `keyword name : type = value { body }`
    Decl(Decl),
}

/// A field key: a name, or a quoted string for keys that are not names
/// (`"app.kubernetes.io/name" = "x"`).
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub quoted: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Decl {
    pub keyword: Ident,
    pub name: Option<Name>,
    pub ty: Option<TypeExpr>,
    pub value: Option<Expr>,
    pub body: Option<Body>,
}

/// A declared name: an identifier, or a string (which may interpolate loop variables).
#[derive(Debug, Clone, PartialEq)]
pub enum Name {
    Ident(Ident),
    Str(StrLit),
}

impl Name {
    pub fn span(&self) -> Span {
        match self {
            Name::Ident(i) => i.span,
            Name::Str(s) => s.span,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    pub stmts: Vec<Stmt>,
    pub span: Span,
}

/// `string`, `list(string)`, `enum("a", "b")`.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeExpr {
    pub name: Ident,
    pub args: Vec<TypeArg>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeArg {
    Type(TypeExpr),
    Str(StrLit),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Str(StrLit),
    Int(i64),
    Bool(bool),
    None,
    /// Whole seconds (milliseconds are rounded up to a second only where a target needs it).
    Duration {
        millis: u64,
        text: String,
    },
    Percent(u32),
    List(Vec<Expr>),
    /// `{ k = v, ... }`: a record or map literal (or a block, by context).
    Record(Body),
    /// `auto { prune = true }`: a variant with a payload.
    Tagged(Ident, Body),
    Ident(Ident),
    /// `a.b`, and `a.*` (every instance of a fanned-out job).
    Member(Box<Expr>, Member),
    Call(Box<Expr>, Vec<Arg>),
    Not(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Paren(Box<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Member {
    Name(Ident),
    Star(Span),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
}

impl BinOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinOp::Or => "||",
            BinOp::And => "&&",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    pub name: Option<Ident>,
    pub value: Expr,
    pub span: Span,
}

/// A string literal: text and interpolations, with the quoting style it was written in.
#[derive(Debug, Clone, PartialEq)]
pub struct StrLit {
    pub parts: Vec<StrPart>,
    pub triple: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StrPart {
    /// Text after escapes were processed (and, in `"""` strings, indentation removed).
    Text(String),
    Interp(Expr),
}

impl StrLit {
    /// The text if the string has no interpolation.
    pub fn as_plain(&self) -> Option<String> {
        let mut s = String::new();
        for p in &self.parts {
            match p {
                StrPart::Text(t) => s.push_str(t),
                StrPart::Interp(_) => return None,
            }
        }
        Some(s)
    }
}

impl Expr {
    /// The dotted path this expression spells (`std.maven.build`), if it is one.
    pub fn as_path(&self) -> Option<Vec<&Ident>> {
        match &self.kind {
            ExprKind::Ident(i) => Some(vec![i]),
            ExprKind::Member(base, Member::Name(n)) => {
                let mut p = base.as_path()?;
                p.push(n);
                Some(p)
            }
            _ => None,
        }
    }
}
