//! A small lexical scanner that runs before and beside the parser: it measures nesting depth (so
//! deep input is rejected before the recursive-descent parser could overflow the stack) and
//! collects comments for the formatter. It understands strings, `${…}` interpolation and comments exactly
//! as the grammar does.

use crate::ast::Comment;
use crate::diagnostics::{FileId, Span};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// Inside brackets of code.
    Code,
    /// Inside an interpolation `${ … }` (code that returns to a string at its `}`).
    Interp,
    /// Inside a `"…"` string.
    Str,
    /// Inside a `"""…"""` string.
    Triple,
}

/// Walks `text`, calling `on_comment` for each comment, and returns the deepest nesting, or the
/// first offset at which the depth exceeds `limit` (with the depth).
fn scan(
    text: &str,
    limit: usize,
    on_comment: &mut dyn FnMut(usize, usize),
) -> Result<usize, (usize, usize)> {
    let b = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut deepest = 0;
    let mut i = 0;
    while i < b.len() {
        let top = stack.last().copied();
        match top {
            Some(Frame::Str) | Some(Frame::Triple) => {
                let triple = top == Some(Frame::Triple);
                if b[i] == b'\\' {
                    i += 2;
                    continue;
                }
                if b[i] == b'$' && b.get(i + 1) == Some(&b'{') {
                    stack.push(Frame::Interp);
                    i += 2;
                } else if triple && b[i..].starts_with(b"\"\"\"") {
                    stack.pop();
                    i += 3;
                    continue;
                } else if !triple && (b[i] == b'"' || b[i] == b'\n') {
                    stack.pop();
                    i += 1;
                    continue;
                } else {
                    i += 1;
                    continue;
                }
            }
            _ => {
                if b[i..].starts_with(b"//") {
                    let end = text[i..].find('\n').map_or(b.len(), |n| i + n);
                    on_comment(i, end);
                    i = end;
                    continue;
                }
                if b[i..].starts_with(b"/*") {
                    let end = text[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2);
                    on_comment(i, end);
                    i = end;
                    continue;
                }
                match b[i] {
                    b'"' if b[i..].starts_with(b"\"\"\"") => {
                        stack.push(Frame::Triple);
                        i += 3;
                    }
                    b'"' => {
                        stack.push(Frame::Str);
                        i += 1;
                    }
                    b'(' | b'[' | b'{' => {
                        stack.push(Frame::Code);
                        i += 1;
                    }
                    b')' | b']' | b'}' => {
                        if matches!(top, Some(Frame::Code) | Some(Frame::Interp)) {
                            stack.pop();
                        }
                        i += 1;
                        continue;
                    }
                    _ => {
                        i += 1;
                        continue;
                    }
                }
            }
        }
        if stack.len() > limit {
            return Err((stack.len(), i.saturating_sub(1)));
        }
        deepest = deepest.max(stack.len());
    }
    Ok(deepest)
}

/// The depth and offset at which `text` first nests deeper than `limit`, if it does.
pub fn nesting_depth(text: &str, limit: usize) -> Option<(usize, usize)> {
    scan(text, limit, &mut |_, _| {}).err()
}

/// How deep `text` nests, or the depth and offset at which it first nests deeper than `limit`.
pub fn nesting(text: &str, limit: usize) -> Result<usize, (usize, usize)> {
    scan(text, limit, &mut |_, _| {})
}

/// Every comment of `text`, in order.
pub fn collect_comments(file: FileId, text: &str) -> Vec<Comment> {
    let mut out = Vec::new();
    let _ = scan(text, usize::MAX, &mut |s, e| {
        out.push(Comment {
            text: text[s..e].trim_end().to_string(),
            span: Span::new(file, s, e),
        })
    });
    out
}
