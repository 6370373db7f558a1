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

/// The diagnostic for text nesting deeper than [`MAX_DEPTH`], at the bracket that goes too deep.
pub fn too_deep_nesting(span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::TooDeep,
        span,
        format!("this nests more than {MAX_DEPTH} levels deep"),
    )
    .label("too deep from here on")
    .help("split the value into named declarations")
}

/// Parses one file. On a syntax error the result has no tree and exactly one diagnostic.
pub fn parse(file: FileId, text: &str) -> Result<ast::File, Diagnostic> {
    let (depth, comments) = match trivia::prescan(text, MAX_DEPTH) {
        Ok(scanned) => scanned,
        Err(at) => return Err(too_deep_nesting(Span::new(file, at, at + 1))),
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

#[cfg(test)]
mod tests {
    use super::parse;

    /// A syntax error says what was expected, in words, and points at what was found.
    #[test]
    fn syntax_errors_say_what_was_expected_where() {
        let cases: &[(&str, &str, &str)] = &[
            // (source, message, the text the label points at)
            (
                "service api {\n  port = \n}",
                "expected a value, found `}`",
                "}",
            ),
            (
                "service api { path = \"api\" 123 }",
                "expected a statement or `}`, found `123`",
                "123",
            ),
            ("x = [1, 2\ny = 3", "expected `,` or `]`, found `y`", "y"),
            ("x = f(a b)", "expected `,` or `)`, found `b`", "b"),
            (
                "x = 1\n}",
                "expected a statement or the end of the file, found `}`",
                "}",
            ),
            ("x = = 1", "expected a value, found `=`", "="),
            ("x == 1", "expected a name, `=` or `{`, found `==`", "=="),
            ("x = \"${a +}\"", "expected `}`, found `+`", "+"),
            ("x = a.", "expected a name, found the end of the file", ""),
            ("x = 10mx", "expected a value, found `10mx`", "10mx"),
            ("p x: = 1", "expected a type, found `=`", "="),
            ("x: int 5", "expected `=`, found `5`", "5"),
            ("\"key\" \"value\"", "expected `=`, found a string", "\""),
            (
                "for x 1",
                "expected a statement, `in` or the end of the file, found `1`",
                "1",
            ),
            (
                "@",
                "expected a statement or the end of the file, found `@`",
                "@",
            ),
        ];
        assert_syntax_errors(cases);
    }

    /// Each source fails with E0001, the message given, and its span on the text given.
    fn assert_syntax_errors(cases: &[(&str, &str, &str)]) {
        for (source, message, at) in cases {
            let d = parse(0, source).expect_err(source);
            assert_eq!(d.code.as_str(), "E0001", "{source}");
            assert_eq!(&d.message, message, "{source}");
            let span = d.primary.span;
            assert_eq!(
                &&source[span.start as usize..span.end as usize],
                at,
                "{source}"
            );
        }
    }

    /// What is left open gets its own message, pointing where it opens.
    #[test]
    fn what_is_left_open_is_named_where_it_opens() {
        let cases: &[(&str, &str, &str)] = &[
            ("a { b = \"x\"\n", "this `{` is never closed", "{"),
            ("x = f(a, b", "this `(` is never closed", "("),
            ("x = [1", "this `[` is never closed", "["),
            ("x = \"${a", "this `${` is never closed", "${"),
            (
                "x = \"abc\ny = 1",
                "this string is not closed before the end of the line",
                "\"",
            ),
            (
                "x = \"abc",
                "this string is not closed before the end of the file",
                "\"",
            ),
            (
                "x = \"\"\"\n  abc\n",
                "this `\"\"\"` string is never closed",
                "\"\"\"",
            ),
            ("x = 1 /* note", "this comment is never closed", "/*"),
        ];
        assert_syntax_errors(cases);
    }

    /// Well-formed text that cannot be read is reported with its own code, once the whole file
    /// is known to parse; a syntax error anywhere comes first.
    #[test]
    fn reading_problems_wait_for_the_whole_file() {
        let d = parse(0, "x = 99999999999999999999").unwrap_err();
        assert_eq!(d.code.as_str(), "E0025");
        let d = parse(0, "x = 99999999999999999999\ny = ").unwrap_err();
        assert_eq!(d.code.as_str(), "E0001");
        // Text read in an attempt that was given up is not reported.
        assert!(parse(0, "x = \"\"\"a\" = 1 // ${ 99999999999999999999 }").is_ok());
    }
}
