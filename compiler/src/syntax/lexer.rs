//! The lexer: where each kind of token ends, looked at byte by byte from a given offset.
//!
//! The parser asks for tokens on demand, because what a token is depends on where it stands
//! (inside a string, text runs up to the closing quote or a `${`; in code, `-` continues a name
//! only before a letter or digit). Every function here takes the text as bytes and a byte offset
//! and answers with the offset just past the token, or `None` when there is no such token
//! there. Each one follows the rule of the same name in `gitops.pest` exactly.

use super::trivia::table;

/// `WHITESPACE` and `COMMENT`: blanks, `\u{feff}`, `// …` to the end of the line, `/* … */`.
/// Returns the offset of the first byte that is not trivia. An unclosed `/*` is not trivia.
#[inline]
pub fn skip_trivia(b: &[u8], mut i: usize) -> usize {
    loop {
        match b.get(i) {
            Some(b' ' | b'\t' | b'\r' | b'\n') => i += 1,
            Some(0xEF) if b.get(i + 1) == Some(&0xBB) && b.get(i + 2) == Some(&0xBF) => i += 3,
            Some(b'/') => match b.get(i + 1) {
                Some(b'/') => {
                    i = match b[i + 2..].iter().position(|&c| c == b'\n') {
                        Some(n) => i + 2 + n,
                        None => b.len(),
                    }
                }
                Some(b'*') => match find(&b[i + 2..], b"*/") {
                    Some(n) => i = i + 2 + n + 2,
                    None => return i,
                },
                _ => return i,
            },
            _ => return i,
        }
    }
}

/// The offset of the first occurrence of `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `ident_char`: what may continue a name (and what a keyword may not be followed by).
#[inline]
pub fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

#[inline]
pub fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

#[inline]
fn is_word_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// `ident`: a letter or `_`, then letters, digits, `_`, and `-` when a letter, digit or `_`
/// follows it.
#[inline]
pub fn ident_end(b: &[u8], i: usize) -> Option<usize> {
    if !b.get(i).is_some_and(|&c| is_ident_start(c)) {
        return None;
    }
    let mut j = i + 1;
    while let Some(&c) = b.get(j) {
        if is_word_char(c) || (c == b'-' && b.get(j + 1).is_some_and(|&d| is_word_char(d))) {
            j += 1;
        } else {
            break;
        }
    }
    Some(j)
}

/// A keyword (`use`, `for`, `in`, `as`, `true`, `false`, `none`): the word, not followed by
/// an `ident_char`.
#[inline]
pub fn keyword_end(b: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    let end = i + word.len();
    (b.get(i..end) == Some(word) && !b.get(end).is_some_and(|&c| is_ident_char(c))).then_some(end)
}

fn digits_end(b: &[u8], i: usize) -> usize {
    let mut j = i;
    while b.get(j).is_some_and(u8::is_ascii_digit) {
        j += 1;
    }
    j
}

/// `duration`: one or more digits-and-unit pairs (`ms`, `s`, `m`, `h`, `d`), not followed by an
/// `ident_char`: `10m`, `1h30m`, `500ms`.
pub fn duration_end(b: &[u8], i: usize) -> Option<usize> {
    let mut end = i;
    loop {
        let d = digits_end(b, end);
        if d == end {
            break;
        }
        let unit = match b.get(d) {
            Some(b'm') if b.get(d + 1) == Some(&b's') => 2,
            Some(b's' | b'm' | b'h' | b'd') => 1,
            _ => break,
        };
        end = d + unit;
    }
    (end > i && !b.get(end).is_some_and(|&c| is_ident_char(c))).then_some(end)
}

/// `percent`: digits and `%`.
pub fn percent_end(b: &[u8], i: usize) -> Option<usize> {
    let d = digits_end(b, i);
    (d > i && b.get(d) == Some(&b'%')).then_some(d + 1)
}

/// `int`: an optional `-` and digits, not followed by a letter, `_` or `%`.
pub fn int_end(b: &[u8], i: usize) -> Option<usize> {
    let start = if b.get(i) == Some(&b'-') { i + 1 } else { i };
    let d = digits_end(b, start);
    let next_ok = !b
        .get(d)
        .is_some_and(|&c| c.is_ascii_alphabetic() || c == b'_' || c == b'%');
    (d > start && next_ok).then_some(d)
}

/// The bytes that can end a run of text in a `"…"` string, and in a `"""…"""` string (NUL is
/// among them because string text keeps it only as U+FFFD).
const DQ_STOP: [bool; 256] = table(b"\"\n\\$\0");
const TQ_STOP: [bool; 256] = table(b"\"\\$\0");

/// The end of the run of plain string text (`dq_text` or `tq_text`) that starts at `i`: the
/// offset of the next byte that may end it.
#[inline]
pub fn string_text_end(b: &[u8], mut i: usize, triple: bool) -> usize {
    let stop = if triple { &TQ_STOP } else { &DQ_STOP };
    while i < b.len() && !stop[usize::from(b[i])] {
        i += 1;
    }
    i
}

/// How a message names what stands at `i`, and where that token ends (for the span).
pub fn describe(text: &str, i: usize) -> (String, usize) {
    let b = text.as_bytes();
    let Some(c) = text.get(i..).and_then(|t| t.chars().next()) else {
        return ("the end of the file".to_string(), i.min(text.len()));
    };
    if c == '\n' {
        return ("the end of the line".to_string(), i + 1);
    }
    if c == '"' {
        let len = if b[i..].starts_with(b"\"\"\"") { 3 } else { 1 };
        return ("a string".to_string(), i + len);
    }
    let rest = &b[i..];
    let end = if let Some(e) = ident_end(b, i) {
        e
    } else if c.is_ascii_digit() || (c == '-' && rest.get(1).is_some_and(u8::is_ascii_digit)) {
        let mut j = i + 1;
        while b.get(j).is_some_and(|&d| is_word_char(d) || d == b'%') {
            j += 1;
        }
        j
    } else if ["==", "!=", "&&", "||", "${", "//", "/*", "*/"]
        .iter()
        .any(|op| rest.starts_with(op.as_bytes()))
    {
        i + 2
    } else {
        i + c.len_utf8()
    };
    let token = &text[i..end];
    let shown = if c.is_control() {
        c.escape_debug().to_string()
    } else if token.chars().count() > 40 {
        format!("{}…", token.chars().take(40).collect::<String>())
    } else {
        token.to_string()
    };
    (format!("`{shown}`"), end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trivia_stops_at_an_unclosed_block_comment() {
        assert_eq!(skip_trivia(b"  /* a */ // b\n x", 0), 16);
        assert_eq!(skip_trivia(b" /* a ", 0), 1);
        assert_eq!(skip_trivia(b" /*/", 0), 1);
        assert_eq!(skip_trivia("\u{feff} x".as_bytes(), 0), 4);
    }

    #[test]
    fn names_take_a_dash_only_before_a_letter_or_digit() {
        assert_eq!(ident_end(b"a-b c", 0), Some(3));
        assert_eq!(ident_end(b"a- c", 0), Some(1));
        assert_eq!(ident_end(b"a--b", 0), Some(1));
        assert_eq!(ident_end(b"1a", 0), None);
    }

    #[test]
    fn numbers_follow_the_grammar() {
        assert_eq!(duration_end(b"1h30m ", 0), Some(5));
        assert_eq!(duration_end(b"500ms", 0), Some(5));
        assert_eq!(duration_end(b"1h30", 0), None);
        assert_eq!(duration_end(b"10mx", 0), None);
        assert_eq!(duration_end(b"10", 0), None);
        assert_eq!(percent_end(b"10%%", 0), Some(3));
        assert_eq!(int_end(b"-12,", 0), Some(3));
        assert_eq!(int_end(b"12x", 0), None);
        assert_eq!(int_end(b"12-", 0), Some(2));
        assert_eq!(int_end(b"-", 0), None);
    }

    #[test]
    fn keywords_need_a_break_after_them() {
        assert_eq!(keyword_end(b"use x", 0, b"use"), Some(3));
        assert_eq!(keyword_end(b"user", 0, b"use"), None);
        assert_eq!(keyword_end(b"use-x", 0, b"use"), None);
        assert_eq!(keyword_end(b"use", 0, b"use"), Some(3));
    }
}
