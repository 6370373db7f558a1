//! Syntax: source text to [`ast::File`], with spans on every node and comments kept aside.
//!
//! This is the only module that knows pest. It guarantees that no input makes it panic or
//! overflow the stack: nesting is measured before pest runs ([`MAX_DEPTH`]), and pest's own
//! call budget is bounded.

mod lower;
mod trivia;

use crate::ast;
use crate::diagnostics::{Code, Diagnostic, FileId, Span};
use pest::Parser as _;

pub use trivia::{collect_comments, nesting_depth};

/// Deepest bracket / interpolation nesting accepted.
pub const MAX_DEPTH: usize = 128;

#[derive(pest_derive::Parser)]
#[grammar = "compiler/src/syntax/gitops.pest"]
struct GitopsParser;

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
    pest::set_call_limit(Some(
        std::num::NonZeroUsize::new(20_000_000).expect("nonzero"),
    ));
    let mut pairs =
        GitopsParser::parse(Rule::file, text).map_err(|e| syntax_error(file, text, e))?;
    let root = pairs
        .next()
        .ok_or_else(|| Diagnostic::internal(Span::new(file, 0, 0), "empty parse"))?;
    let mut lowerer = lower::Lowerer { file, depth: 0 };
    let stmts = lowerer.stmts(root.into_inner())?;
    Ok(ast::File {
        stmts,
        comments: collect_comments(file, text),
        span: Span::new(file, 0, text.len()),
    })
}

fn syntax_error(file: FileId, text: &str, e: pest::error::Error<Rule>) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let pos = pos.min(text.len());
    let end = text[pos..]
        .chars()
        .next()
        .map_or(pos, |c| pos + c.len_utf8());
    let span = Span::new(file, pos, end);
    let found = match text[pos..].chars().next() {
        None => "the end of the file".to_string(),
        Some('\n') => "the end of the line".to_string(),
        Some(c) => format!("`{c}`"),
    };
    let message = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } if !positives.is_empty() => {
            let mut names: Vec<&str> = positives.iter().map(|r| rule_name(*r)).collect();
            names.sort();
            names.dedup();
            format!("expected {}, found {found}", join_or(&names))
        }
        ErrorVariant::CustomError { message } => message.clone(),
        _ => format!("unexpected {found}"),
    };
    let in_string = matches!(&e.variant, ErrorVariant::ParsingError { positives, .. }
        if positives.iter().any(|r| matches!(r, Rule::interp | Rule::escape | Rule::dq_text)));
    if in_string && found == "the end of the line" {
        let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
        let open = text[line_start..pos]
            .rfind('"')
            .map_or(pos, |i| line_start + i);
        return Diagnostic::new(
            Code::Syntax,
            Span::new(file, open, open + 1),
            "this string is not closed before the end of the line",
        )
        .label("the string starts here")
        .help("close it with `\"`, or use `\"\"\"` for text over several lines");
    }
    if pos == text.len() {
        if let Some(at) = trivia::unclosed_bracket(text) {
            let c = &text[at..at + 1];
            return Diagnostic::new(
                Code::Syntax,
                Span::new(file, at, at + 1),
                format!("this `{c}` is never closed"),
            )
            .label("opened here")
            .help("the file ends before the matching bracket");
        }
    }
    let mut d = Diagnostic::new(Code::Syntax, span, message).label("here");
    if text[..pos].matches("\"\"\"").count() % 2 == 1 {
        d = d.help("a `\"\"\"` string is still open above");
    }
    d
}

fn join_or(names: &[&str]) -> String {
    match names {
        [] => "something else".into(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

/// What a grammar rule is called in a message.
fn rule_name(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "the end of the file",
        Rule::ident | Rule::name | Rule::key | Rule::path | Rule::arg_name => "a name",
        Rule::expr | Rule::or_expr | Rule::and_expr | Rule::cmp_expr | Rule::unary => "a value",
        Rule::postfix | Rule::paren | Rule::tagged | Rule::iter_expr => "a value",
        Rule::string | Rule::dq_str | Rule::triple_str => "a string",
        Rule::int | Rule::percent | Rule::duration | Rule::boolean | Rule::none => "a value",
        Rule::list => "`[`",
        Rule::body => "`{`",
        Rule::type_ann | Rule::type_expr => "a type",
        Rule::attr | Rule::decl | Rule::use_stmt | Rule::for_stmt => "a statement",
        Rule::call_args => "`(`",
        Rule::member => "`.`",
        Rule::or_op => "`||`",
        Rule::and_op => "`&&`",
        Rule::cmp_op => "`==` or `!=`",
        Rule::kw_in => "`in`",
        Rule::kw_as => "`as`",
        Rule::interp => "`${`",
        _ => "something else",
    }
}
