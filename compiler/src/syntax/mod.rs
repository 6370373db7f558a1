//! Syntax: source text to [`ast::File`], with spans on every node and comments kept aside.
//!
//! The grammar in `gitops.pest` is the language's specification; the hand-written lexer
//! ([`lexer`]) and recursive-descent parser ([`parser`]) implement it exactly, and a test
//! (`tests/parser_agrees.rs`) compares them with the grammar on real and generated programs.
//! No input makes parsing panic or overflow the stack: nesting is measured before parsing
//! ([`MAX_DEPTH`]) and bounded again while parsing, and expression depth is bounded
//! ([`literal::MAX_EXPR_DEPTH`]).

mod depth;
mod lexer;
pub mod literal;
mod parser;
mod trivia;

use crate::ast;
use crate::diagnostics::{Code, Diagnostic, FileId, Span};

pub use trivia::{collect_comments, nesting_depth};

/// Deepest bracket / interpolation nesting accepted.
pub const MAX_DEPTH: usize = 128;

/// Parses one file. On a syntax error the result has no tree and exactly one diagnostic.
pub fn parse(file: FileId, text: &str) -> Result<ast::File, Diagnostic> {
    if let Some((_, at)) = nesting_depth(text, MAX_DEPTH) {
        let span = Span::new(file, at, at + 1);
        return Err(Diagnostic::new(
            Code::TooDeep,
            span,
            format!("this nests more than {MAX_DEPTH} levels deep"),
        )
        .label("too deep from here on")
        .help("split the value into named declarations"));
    }
    let stmts = parser::Parser::new(file, text).parse_file()?;
    Ok(ast::File {
        stmts,
        comments: collect_comments(file, text),
        span: Span::new(file, 0, text.len()),
    })
}
