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

/// Nesting up to which the parser runs on the caller's stack. Each level of nesting costs the
/// recursive-descent parser a few kilobytes of stack (over ten in an unoptimised build); a file
/// that nests deeper is parsed on a thread of its own whose stack has room for [`MAX_DEPTH`].
const SHALLOW: usize = 24;

/// Stack for parsing a deeply nested file: about four times what [`MAX_DEPTH`] levels take in
/// an unoptimised build. Only the pages used are ever touched.
const DEEP_STACK: usize = 64 << 20;

/// Parses one file. On a syntax error the result has no tree and exactly one diagnostic.
pub fn parse(file: FileId, text: &str) -> Result<ast::File, Diagnostic> {
    let (depth, comments) = match trivia::prescan(text, MAX_DEPTH) {
        Ok(scanned) => scanned,
        Err(at) => {
            let span = Span::new(file, at, at + 1);
            return Err(Diagnostic::new(
                Code::TooDeep,
                span,
                format!("this nests more than {MAX_DEPTH} levels deep"),
            )
            .label("too deep from here on")
            .help("split the value into named declarations"));
        }
    };
    let parse = || parser::Parser::new(file, text).parse_file();
    let stmts = if depth <= SHALLOW {
        parse()
    } else {
        std::thread::scope(|s| {
            match std::thread::Builder::new()
                .stack_size(DEEP_STACK)
                .spawn_scoped(s, parse)
            {
                // The parser never panics; if it did, the panic is passed on as it is.
                Ok(handle) => handle
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e)),
                Err(_) => parse(),
            }
        })
    }?;
    Ok(ast::File {
        stmts,
        comments: trivia::comments(file, text, &comments),
        span: Span::new(file, 0, text.len()),
    })
}
