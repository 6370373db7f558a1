//! The grammar as a test oracle: pest runs `compiler/src/syntax/gitops.pest` itself, and its
//! pairs are lowered to the AST as the compiler did when it parsed with pest.

mod lower;

use gitopsc::ast;
use gitopsc::diagnostics::{Diagnostic, FileId, Span};
use gitopsc::syntax::{collect_comments, nesting_depth, too_deep_nesting, MAX_DEPTH};
use pest::Parser as _;

#[derive(pest_derive::Parser)]
#[grammar = "compiler/src/syntax/gitops.pest"]
struct GitopsParser;

/// What the grammar makes of a text.
#[derive(Debug)]
pub enum Verdict {
    Parsed(ast::File),
    /// The grammar does not match.
    NoMatch,
    /// The text matches, or nests too deep to try, and reading it fails: the compiler's
    /// diagnostic for it.
    Invalid(Diagnostic),
}

pub fn parse(file: FileId, text: &str) -> Verdict {
    if let Some((_, at)) = nesting_depth(text, MAX_DEPTH) {
        return Verdict::Invalid(too_deep_nesting(Span::new(file, at, at + 1)));
    }
    pest::set_call_limit(Some(
        std::num::NonZeroUsize::new(20_000_000).expect("nonzero"),
    ));
    let mut pairs = match GitopsParser::parse(Rule::file, text) {
        Ok(pairs) => pairs,
        Err(_) => return Verdict::NoMatch,
    };
    let Some(root) = pairs.next() else {
        return Verdict::NoMatch;
    };
    let mut lowerer = lower::Lowerer { file, depth: 0 };
    match lowerer.stmts(root.into_inner()) {
        Ok(stmts) => Verdict::Parsed(ast::File {
            stmts,
            comments: collect_comments(file, text),
            span: Span::new(file, 0, text.len()),
        }),
        Err(d) => Verdict::Invalid(d),
    }
}
