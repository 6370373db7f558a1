//! The meaning of literals: escapes, the indentation of `"""` strings, durations, and the
//! bound on expression depth. Shared by the parser and by the test that compares it with the
//! grammar.

use crate::diagnostics::{Code, Diagnostic, Span};

/// Deepest expression tree accepted; every later stage recurses over expressions, so bounding
/// the tree here bounds their stack use too.
pub const MAX_EXPR_DEPTH: usize = 512;

type R<T> = Result<T, Diagnostic>;

/// The diagnostic for an expression nesting deeper than [`MAX_EXPR_DEPTH`] at `span`.
pub fn too_deep_expr(span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::TooDeep,
        span,
        format!("this expression nests more than {MAX_EXPR_DEPTH} levels deep"),
    )
    .label("too deep")
    .help("split it into smaller expressions or named declarations")
}

/// Removes the first line break, the last line if blank, and the common indentation of a
/// `"""` string.
pub fn dedent(raw: &str) -> String {
    let mut s = raw
        .strip_prefix('\n')
        .or_else(|| raw.strip_prefix("\r\n"))
        .unwrap_or(raw);
    if let Some(idx) = s.rfind('\n') {
        if s[idx + 1..].trim().is_empty() {
            s = &s[..idx + 1];
        }
    }
    let indent = s
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches([' ', '\t']).len())
        .min()
        .unwrap_or(0);
    let mut out = String::with_capacity(s.len());
    for line in s.split_inclusive('\n') {
        if line.trim().is_empty() {
            out.push_str(if line.ends_with('\n') { "\n" } else { "" });
        } else {
            out.push_str(line.get(indent..).unwrap_or(line.trim_start()));
        }
    }
    out
}

pub fn unescape(s: &str, span: Span) -> R<String> {
    if !s.contains('\\') {
        return Ok(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some('"') => out.push('"'),
            Some('$') => out.push('$'),
            Some('\n') => {}
            other => {
                let shown = other.map_or(String::new(), |c| c.to_string());
                return Err(Diagnostic::new(
                    Code::Syntax,
                    span,
                    format!("unknown escape `\\{shown}` in this string"),
                )
                .label("in this string")
                .help("the escapes are \\n \\t \\r \\\\ \\\" and \\$"));
            }
        }
    }
    Ok(out)
}

/// Milliseconds of a duration literal such as `1h30m`.
pub fn duration_millis(text: &str, span: Span) -> R<u64> {
    let mut total: u64 = 0;
    let mut num = String::new();
    let mut chars = text.chars().peekable();
    let too_long = || {
        Diagnostic::new(Code::InvalidDuration, span, "this duration is too long").label("overflows")
    };
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let unit: u64 = match c {
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                1
            }
            's' => 1_000,
            'm' => 60_000,
            'h' => 3_600_000,
            _ => 86_400_000,
        };
        let n: u64 = num.parse().map_err(|_| too_long())?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(too_long)?;
        num.clear();
    }
    Ok(total)
}
