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

/// A table of the bytes in `set`.
pub(super) const fn table(set: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < set.len() {
        t[set[i] as usize] = true;
        i += 1;
    }
    t
}

/// The bytes that may change the scanner's state in code, and in a string.
const IN_CODE: [bool; 256] = table(b"/\"()[]{}");
const IN_STRING: [bool; 256] = table(b"\\$\"\n");

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
        // Bytes that mean nothing where they stand are passed over in a tight loop.
        let special = match top {
            Some(Frame::Str) | Some(Frame::Triple) => &IN_STRING,
            _ => &IN_CODE,
        };
        while i < b.len() && !special[usize::from(b[i])] {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
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

/// How deep `text` nests and where its comments are, in one pass; or the depth and offset at
/// which it first nests deeper than `limit`.
pub(super) fn prescan(text: &str, limit: usize) -> Result<(usize, Vec<(usize, usize)>), usize> {
    let mut comments = Vec::new();
    let depth = scan(text, limit, &mut |s, e| comments.push((s, e))).map_err(|(_, at)| at)?;
    Ok((depth, comments))
}

/// The comments at `spans` of `text`.
pub(super) fn comments(file: FileId, text: &str, spans: &[(usize, usize)]) -> Vec<Comment> {
    spans
        .iter()
        .map(|&(s, e)| Comment {
            text: text[s..e].trim_end().to_string(),
            span: Span::new(file, s, e),
        })
        .collect()
}

/// Every comment of `text`, in order.
pub fn collect_comments(file: FileId, text: &str) -> Vec<Comment> {
    let mut spans = Vec::new();
    let _ = scan(text, usize::MAX, &mut |s, e| spans.push((s, e)));
    comments(file, text, &spans)
}
