//! The YAML writer: the only code in the project that turns documents into YAML text.
//!
//! It is a direct [`serde::Serializer`] that writes block-style YAML into a `String`
//! without building an intermediate tree. Its invariant is that every document it
//! writes re-parses, under YAML 1.1 (PyYAML, Kubernetes) and YAML 1.2 (GitHub,
//! serde_yaml) alike, to exactly the value that was serialised. It keeps map keys
//! in the order they were serialised, and the same value always gives the same text.
//!
//! Layout: 2-space indentation; a sequence under a key is indented by 2
//! (`key:\n  - a`); a mapping or sequence that is a sequence item starts on the
//! dash line (`- name: x\n  image: y`); empty collections are written `{}` and `[]`.
//!
//! Strings are plain whenever no YAML 1.1 or 1.2 resolver could read them as
//! anything but that string, single-quoted otherwise, and double-quoted with
//! escapes when they hold control or non-printable characters. Multi-line strings
//! are literal block scalars (`|`, `|-`, `|+`, with `|2` when the first line is
//! indented). They are double-quoted instead when a block scalar cannot carry them
//! (a line ending in whitespace, a `\r`) or when yamllint would reject it: more
//! than two blank lines in a row, or a `|+` whose blank lines end the document.
//!
//! Keys follow exactly the same quoting rules as string values, so a key such as
//! `yes`, `no` or `off` is written `'yes':`. Quoting keys only by the YAML 1.2 core
//! schema would be simpler, but Kubernetes' and Python's YAML 1.1 readers would then
//! turn those keys into booleans and silently rename them. The one exception is
//! the key `on` of a top-level mapping, which is written plain: that is the trigger
//! key of a GitHub Actions workflow, GitHub reads it as the string "on", and it is
//! how workflows are conventionally written (yamllint runs with truthy
//! check-keys false). Anywhere deeper, `on` is quoted like the other booleans.
//! Non-string keys (integers, floats, bools) are written as plain scalars; keys
//! longer than 1000 bytes use the explicit `? key` form, since implicit keys are
//! limited to 1024 characters.

use std::fmt::{self, Display, Write as _};

use serde::ser::{self, Serialize};
use std::cell::Cell;

/// Serialises any serde value as one block-style YAML document (no leading `---`), ending in "\n".
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, YamlError> {
    let mut out = String::with_capacity(256);
    write(&mut out, value)?;
    Ok(out)
}

/// Same, appending to a buffer (used to write many documents without reallocations).
///
/// On error the buffer is left as it was before the call.
pub fn write<T: Serialize + ?Sized>(out: &mut String, value: &T) -> Result<(), YamlError> {
    let start = out.len();
    let mut result = value.serialize(ValueSer::new(out, 0, false, Blocks::All));
    if result.is_ok() && out.ends_with("\n\n") {
        // A `|+` block scalar ended the document with blank lines, which yamllint
        // rejects at the end of a file; write the document again without them.
        out.truncate(start);
        result = value.serialize(ValueSer::new(out, 0, false, Blocks::NoKeep));
    }
    if result.is_err() {
        out.truncate(start);
    }
    result
}

/// Writes one entry of a block mapping, `key: value`, with the key at column `col`; `out` must
/// end at the start of a line. A map's entries written one by one this way (at the column its
/// entries take) read exactly as the map written whole.
pub fn write_entry<K, V>(out: &mut String, col: usize, key: &K, value: &V) -> Result<(), YamlError>
where
    K: Serialize + ?Sized,
    V: Serialize + ?Sized,
{
    let start = out.len();
    push_spaces(out, col);
    let mut entry = Compound {
        out,
        col,
        after_key: false,
        blocks: Blocks::All,
        empty: true,
    };
    let result = ser::SerializeMap::serialize_entry(&mut entry, key, value);
    if result.is_err() {
        out.truncate(start);
    }
    result
}

/// The error returned when a value cannot be written as YAML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    message: String,
}

impl YamlError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        YamlError {
            message: message.into(),
        }
    }
}

impl Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for YamlError {}

impl ser::Error for YamlError {
    fn custom<T: Display>(msg: T) -> Self {
        YamlError::new(msg.to_string())
    }
}

/// Implicit keys must stay below 1024 characters; longer ones use the `? key` form.
const MAX_IMPLICIT_KEY: usize = 1000;

const SPACES: &str = "                                                                ";

fn push_spaces(out: &mut String, mut n: usize) {
    while n > 0 {
        let k = n.min(SPACES.len());
        out.push_str(&SPACES[..k]);
        n -= k;
    }
}

// ---------------------------------------------------------------------------
// Scalar formatting.
// ---------------------------------------------------------------------------

/// How a string is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

/// What a scan of a string found.
#[derive(Debug, Default, PartialEq, Eq)]
struct Scan {
    newline: bool,
    tab: bool,
    escape: bool,
    /// A `: ` or ` #`, which would end a plain scalar or start a comment.
    indicator_pair: bool,
}

/// Bytes that need a closer look; all others are ordinary printable characters.
const INTERESTING: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[0x7f] = true;
    table[b':' as usize] = true;
    table[b'#' as usize] = true;
    table[0xc2] = true;
    table[0xe2] = true;
    table[0xef] = true;
    table
};

/// Scans a string once for the characters that decide its style.
fn scan(s: &str) -> Scan {
    let mut found = Scan::default();
    let bytes = s.as_bytes();
    let mut look = |from: usize, to: usize| {
        for i in from..to {
            if INTERESTING[usize::from(bytes[i])] {
                note_byte(&mut found, bytes, i);
            }
        }
    };
    // Eight bytes at a time: most words hold no interesting byte and are passed over whole.
    let mut i = 0;
    while let Some(word) = bytes.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        if may_interest(u64::from_le_bytes(w)) {
            look(i, i + 8);
        }
        i += 8;
    }
    look(i, bytes.len());
    found
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Whether some byte of the word is zero (exact: a false mark only ever follows a true one).
fn has_zero_byte(w: u64) -> bool {
    w.wrapping_sub(ONES) & !w & HIGHS != 0
}

/// Whether some byte of the word may be [`INTERESTING`]: a control character, DEL, `:`, `#`,
/// or any byte of a multi-byte character.
fn may_interest(w: u64) -> bool {
    // With no high bit set, `w - 0x20 * ONES` marks exactly the bytes below 0x20.
    w & HIGHS != 0
        || w.wrapping_sub(ONES * 0x20) & !w & HIGHS != 0
        || has_zero_byte(w ^ (ONES * u64::from(b':')))
        || has_zero_byte(w ^ (ONES * u64::from(b'#')))
        || has_zero_byte(w ^ (ONES * 0x7f))
}

/// Records what the interesting byte at `i` means.
fn note_byte(found: &mut Scan, bytes: &[u8], i: usize) {
    let next = bytes.get(i + 1).copied();
    match bytes[i] {
        b'\n' => found.newline = true,
        b'\t' => found.tab = true,
        b':' => found.indicator_pair |= next == Some(b' '),
        b'#' => found.indicator_pair |= i > 0 && bytes[i - 1] == b' ',
        0xc2 => found.escape |= matches!(next, Some(0x80..=0x9f)),
        0xe2 => found.escape |= next == Some(0x80) && matches!(bytes.get(i + 2), Some(0xa8 | 0xa9)),
        0xef => found.escape |= is_special_ef(bytes.get(i + 1..i + 3)),
        _ => found.escape = true,
    }
}

/// Whether the bytes after 0xEF encode U+FEFF (a byte-order mark), U+FFFE or U+FFFF.
fn is_special_ef(rest: Option<&[u8]>) -> bool {
    matches!(rest, Some([0xbb, 0xbf]) | Some([0xbf, 0xbe | 0xbf]))
}

/// Which literal block scalars a string may be written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Blocks {
    /// None: the string is a key.
    Never,
    /// Only `|` and `|-`.
    NoKeep,
    /// Any, including `|+`.
    All,
}

/// Chooses the style of a string.
fn style_of(s: &str, blocks: Blocks) -> Style {
    if simple_plain(s) {
        return Style::Plain;
    }
    style_after(s, &scan(s), blocks)
}

/// Bytes that never change how a plain scalar reads, wherever they stand after its first
/// byte: letters, digits, `-`, `_`, `.` and `/`.
const SIMPLE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'/');
        b += 1;
    }
    table
};

/// The common case, decided without a full scan: a letter followed by [`SIMPLE`] bytes is
/// plain unless a resolver reads it as a keyword, an infinity or NaN. It gives the same answer
/// as [`style_after`] for every such string (a test holds it to that).
fn simple_plain(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.first().is_some_and(u8::is_ascii_alphabetic)
        && all_simple(bytes)
        && !resolves_to_non_string(s)
}

/// Whether every byte is [`SIMPLE`]: eight bytes at a time, each group tested without a
/// branch per byte.
fn all_simple(bytes: &[u8]) -> bool {
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        if !word
            .iter()
            .fold(true, |all, &b| all & SIMPLE[usize::from(b)])
        {
            return false;
        }
    }
    words.remainder().iter().all(|&b| SIMPLE[usize::from(b)])
}

/// [`style_of`], given what a scan of the string found.
fn style_after(s: &str, found: &Scan, blocks: Blocks) -> Style {
    if s.is_empty() {
        return Style::Single;
    }
    if found.escape {
        return Style::Double;
    }
    if found.newline {
        return if blocks != Blocks::Never && literal_ok(s, blocks == Blocks::All) {
            Style::Literal
        } else {
            Style::Double
        };
    }
    if found.tab {
        return Style::Double;
    }
    if !found.indicator_pair && plain_ok(s) {
        Style::Plain
    } else {
        Style::Single
    }
}

/// Whether a multi-line string can be a literal block scalar: it must have a
/// non-empty line, no line may end in whitespace, and (for yamllint) no more than
/// two blank lines may follow each other. `keep` allows `|+`.
fn literal_ok(s: &str, keep: bool) -> bool {
    let body = s.trim_end_matches('\n');
    let trailing = s.len() - body.len();
    !body.is_empty()
        && (trailing <= 1 || (keep && trailing <= 3))
        && !body.starts_with("\n\n\n")
        && !body.contains("\n\n\n\n")
        && body.split('\n').all(|line| !line.ends_with([' ', '\t']))
}

/// Whether a single-line string without control characters, `: ` or ` #` can be
/// written plain.
fn plain_ok(s: &str) -> bool {
    let bytes = s.as_bytes();
    let first = bytes[0];
    let last = bytes[bytes.len() - 1];
    if starts_with_indicator(first) || last == b' ' || last == b':' {
        return false;
    }
    if s.starts_with("...") {
        return false;
    }
    !resolves_to_non_string(s)
}

/// Whether a plain scalar may not start with the byte: YAML's indicators and space.
fn starts_with_indicator(first: u8) -> bool {
    matches!(
        first,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
            | b' '
    )
}

/// Whether a YAML 1.1 or 1.2 resolver might read the plain scalar as something
/// other than a string (null, bool, number, timestamp, merge key or value key).
/// It errs on the side of quoting.
fn resolves_to_non_string(s: &str) -> bool {
    if s.len() <= 5 && is_keyword(s) {
        return true;
    }
    let t = s.strip_prefix(['+', '-']).unwrap_or(s);
    let b = t.as_bytes();
    match b.first() {
        Some(b'0'..=b'9') => starts_with_radix_prefix(b) || all_numeric(b) || starts_with_date(b),
        Some(b'.') => all_numeric(b) || is_infinity_or_nan(t),
        Some(b'i' | b'I' | b'n' | b'N') => is_infinity_or_nan(t),
        _ => false,
    }
}

/// Null, bool and special keywords of YAML 1.1 and 1.2, matched case-insensitively.
fn is_keyword(s: &str) -> bool {
    const WORDS: [&str; 12] = [
        "~", "null", "y", "n", "yes", "no", "true", "false", "on", "off", "<<", "=",
    ];
    WORDS.iter().any(|w| w.eq_ignore_ascii_case(s))
}

/// `0x`, `0o` and `0b` in either case, as Go, YAML 1.1 and YAML 1.2 read them.
fn starts_with_radix_prefix(b: &[u8]) -> bool {
    b.len() >= 2 && b[0] == b'0' && matches!(b[1], b'x' | b'X' | b'o' | b'O' | b'b' | b'B')
}

/// Whether every byte could belong to a decimal, float or sexagesimal number.
fn all_numeric(b: &[u8]) -> bool {
    b.iter().all(|c| {
        matches!(
            c,
            b'0'..=b'9' | b'_' | b'.' | b':' | b'e' | b'E' | b'+' | b'-'
        )
    })
}

/// Whether the string starts with a YAML 1.1 date (`yyyy-m-d`).
fn starts_with_date(b: &[u8]) -> bool {
    let digits = |r: &[u8]| r.iter().take_while(|c| c.is_ascii_digit()).count();
    let year = digits(b);
    if year != 4 || b.get(4) != Some(&b'-') {
        return false;
    }
    let month = digits(&b[5..]);
    if !(1..=2).contains(&month) || b.get(5 + month) != Some(&b'-') {
        return false;
    }
    (1..=2).contains(&digits(&b[6 + month..]))
}

/// Infinity and NaN spellings of YAML and of the float parsers behind it.
fn is_infinity_or_nan(t: &str) -> bool {
    let t = t.strip_prefix('.').unwrap_or(t);
    ["inf", "infinity", "nan"]
        .iter()
        .any(|w| w.eq_ignore_ascii_case(t))
}

/// Writes a string in the given single-line style.
fn write_inline(out: &mut String, s: &str, style: Style) {
    match style {
        Style::Plain => out.push_str(s),
        Style::Single => write_single(out, s),
        _ => write_double(out, s),
    }
}

fn write_single(out: &mut String, s: &str) {
    out.push('\'');
    let mut rest = s;
    while let Some(i) = rest.find('\'') {
        out.push_str(&rest[..=i]);
        out.push('\'');
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
    out.push('\'');
}

fn write_double(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if let Some(escape) = double_escape(c) {
            out.push_str(&s[start..i]);
            push_escape(out, c, escape);
            start = i + c.len_utf8();
        }
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// The short escape of a character inside double quotes: `Some('u')` means a
/// `\uXXXX` escape, `None` that the character is written as-is.
fn double_escape(c: char) -> Option<char> {
    Some(match c {
        '"' => '"',
        '\\' => '\\',
        '\0' => '0',
        '\x07' => 'a',
        '\x08' => 'b',
        '\t' => 't',
        '\n' => 'n',
        '\x0b' => 'v',
        '\x0c' => 'f',
        '\r' => 'r',
        '\x1b' => 'e',
        '\u{85}' => 'N',
        '\u{2028}' => 'L',
        '\u{2029}' => 'P',
        '\0'..='\x1f' | '\x7f'..='\u{9f}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}' => 'u',
        _ => return None,
    })
}

fn push_escape(out: &mut String, c: char, escape: char) {
    out.push('\\');
    if escape == 'u' {
        // Writing to a String cannot fail.
        let _ = write!(out, "u{:04X}", c as u32);
    } else {
        out.push(escape);
    }
}

/// Writes a literal block scalar whose content lines sit at column `indent`.
fn write_literal(out: &mut String, s: &str, indent: usize) {
    let body = s.trim_end_matches('\n');
    let trailing = s.len() - body.len();
    out.push('|');
    let first = body.split('\n').find(|line| !line.is_empty());
    if first.is_some_and(|line| line.starts_with([' ', '\t'])) {
        out.push('2');
    }
    out.push_str(match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    });
    out.push('\n');
    for line in body.split('\n') {
        if !line.is_empty() {
            push_spaces(out, indent);
            out.push_str(line);
        }
        out.push('\n');
    }
    for _ in 1..trailing {
        out.push('\n');
    }
}

/// Room for any `i64` or `u64` in decimal, sign included.
pub const DECIMAL_LEN: usize = 21;

/// `v` in decimal, after a `-` when `negative`, written into the end of `buf`: a number as text
/// without an allocation.
pub fn decimal(negative: bool, mut v: u64, buf: &mut [u8; DECIMAL_LEN]) -> &str {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if negative {
        i -= 1;
        buf[i] = b'-';
    }
    // The buffer holds ASCII digits and a sign only.
    std::str::from_utf8(&buf[i..]).unwrap_or_default()
}

fn push_u64(out: &mut String, v: u64) {
    out.push_str(decimal(false, v, &mut [0; DECIMAL_LEN]));
}

fn push_i64(out: &mut String, v: i64) {
    out.push_str(decimal(v < 0, v.unsigned_abs(), &mut [0; DECIMAL_LEN]));
}

/// Writes a float so that both YAML 1.1 and 1.2 read it back as that float:
/// always with a `.` and, in exponent form, a signed exponent.
fn push_float(out: &mut String, v: f64, shortest: &dyn Display) {
    if v.is_nan() {
        out.push_str(".nan");
        return;
    }
    if v.is_infinite() {
        out.push_str(if v > 0.0 { ".inf" } else { "-.inf" });
        return;
    }
    let mut buf = StackBuf::default();
    // The buffer is large enough for any shortest float representation.
    let _ = write!(buf, "{shortest}");
    let text = buf.as_str();
    let (mantissa, exponent) = match text.find('e') {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    out.push_str(mantissa);
    if !mantissa.contains('.') {
        out.push_str(".0");
    }
    if let Some(exponent) = exponent {
        out.push('e');
        if !exponent.starts_with('-') {
            out.push('+');
        }
        out.push_str(exponent);
    }
}

/// A small fixed buffer that formats floats without allocating.
struct StackBuf {
    buf: [u8; 48],
    len: usize,
}

impl Default for StackBuf {
    fn default() -> Self {
        StackBuf {
            buf: [0; 48],
            len: 0,
        }
    }
}

impl StackBuf {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }
}

impl fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let dest = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        dest.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// The value serializer.
// ---------------------------------------------------------------------------

/// Serialises one value at a position in the document.
///
/// `col` is the column at which the value's collection entries (or block scalar
/// lines) go. When `after_key` is set, the cursor sits right after `key:` and a
/// collection starts on the next line; otherwise the cursor sits at `col` (at the
/// start of the document or after `- `) and a collection starts in place.
/// `blocks` says which block scalars strings may use.
struct ValueSer<'a> {
    out: &'a mut String,
    col: usize,
    after_key: bool,
    blocks: Blocks,
}

impl<'a> ValueSer<'a> {
    fn new(out: &'a mut String, col: usize, after_key: bool, blocks: Blocks) -> Self {
        ValueSer {
            out,
            col,
            after_key,
            blocks,
        }
    }

    /// Writes a scalar that is already formatted, ending the line.
    fn scalar(self, text: &str) -> Result<(), YamlError> {
        self.scalar_with(|out| out.push_str(text))
    }

    /// Writes a scalar produced by `f`, ending the line.
    fn scalar_with(self, f: impl FnOnce(&mut String)) -> Result<(), YamlError> {
        if self.after_key {
            self.out.push(' ');
        }
        f(self.out);
        self.out.push('\n');
        Ok(())
    }

    fn string(self, s: &str) -> Result<(), YamlError> {
        if simple_plain(s) {
            return self.scalar(s);
        }
        let found = scan(s);
        // Only a string holding NUL (which the scan counts as needing an escape) can carry a
        // comment.
        if found.escape {
            // The separator starts with NUL: find that byte, then compare the rest in place.
            let nul = s.as_bytes().iter().position(|&b| b == 0);
            if let Some(i) = nul.filter(|&i| s[i..].starts_with(super::COMMENT_SEP)) {
                return self.commented(&s[..i], &s[i + super::COMMENT_SEP.len()..]);
            }
        }
        match style_after(s, &found, self.blocks) {
            Style::Literal => {
                if self.after_key {
                    self.out.push(' ');
                }
                write_literal(self.out, s, self.col.max(2));
                Ok(())
            }
            style => self.scalar_with(|out| write_inline(out, s, style)),
        }
    }

    /// A one-line scalar followed by ` # comment` (see [`super::with_comment`]).
    fn commented(self, value: &str, comment: &str) -> Result<(), YamlError> {
        let style = match style_of(value, Blocks::Never) {
            Style::Literal => Style::Double,
            other => other,
        };
        let comment: String = comment.chars().filter(|c| !c.is_control()).collect();
        self.scalar_with(|out| {
            write_inline(out, value, style);
            out.push_str(" # ");
            out.push_str(comment.trim());
        })
    }

    fn compound(self) -> Compound<'a> {
        Compound {
            out: self.out,
            col: self.col,
            after_key: self.after_key,
            blocks: self.blocks,
            empty: true,
        }
    }

    /// Writes the `variant:` entry of an externally tagged enum and returns the
    /// serializer for its content.
    fn variant(self, variant: &'static str) -> ValueSer<'a> {
        let mut map = self.compound();
        map.field(variant);
        ValueSer::new(map.out, map.col + 2, true, map.blocks)
    }
}

impl<'a> ser::Serializer for ValueSer<'a> {
    type Ok = ();
    type Error = YamlError;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), YamlError> {
        self.scalar(if v { "true" } else { "false" })
    }

    fn serialize_i8(self, v: i8) -> Result<(), YamlError> {
        self.serialize_i64(v.into())
    }

    fn serialize_i16(self, v: i16) -> Result<(), YamlError> {
        self.serialize_i64(v.into())
    }

    fn serialize_i32(self, v: i32) -> Result<(), YamlError> {
        self.serialize_i64(v.into())
    }

    fn serialize_i64(self, v: i64) -> Result<(), YamlError> {
        self.scalar_with(|out| push_i64(out, v))
    }

    fn serialize_i128(self, v: i128) -> Result<(), YamlError> {
        self.scalar_with(|out| {
            let _ = write!(out, "{v}");
        })
    }

    fn serialize_u8(self, v: u8) -> Result<(), YamlError> {
        self.serialize_u64(v.into())
    }

    fn serialize_u16(self, v: u16) -> Result<(), YamlError> {
        self.serialize_u64(v.into())
    }

    fn serialize_u32(self, v: u32) -> Result<(), YamlError> {
        self.serialize_u64(v.into())
    }

    fn serialize_u64(self, v: u64) -> Result<(), YamlError> {
        self.scalar_with(|out| push_u64(out, v))
    }

    fn serialize_u128(self, v: u128) -> Result<(), YamlError> {
        self.scalar_with(|out| {
            let _ = write!(out, "{v}");
        })
    }

    fn serialize_f32(self, v: f32) -> Result<(), YamlError> {
        self.scalar_with(|out| push_float(out, v.into(), &format_args!("{v:?}")))
    }

    fn serialize_f64(self, v: f64) -> Result<(), YamlError> {
        self.scalar_with(|out| push_float(out, v, &format_args!("{v:?}")))
    }

    fn serialize_char(self, v: char) -> Result<(), YamlError> {
        self.string(v.encode_utf8(&mut [0u8; 4]))
    }

    fn serialize_str(self, v: &str) -> Result<(), YamlError> {
        self.string(v)
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), YamlError> {
        use ser::SerializeSeq;
        let mut seq = self.compound();
        for byte in v {
            seq.serialize_element(byte)?;
        }
        seq.end()
    }

    fn serialize_none(self) -> Result<(), YamlError> {
        self.scalar("null")
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), YamlError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), YamlError> {
        self.scalar("null")
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), YamlError> {
        self.scalar("null")
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), YamlError> {
        self.string(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), YamlError> {
        if name == SHARED {
            if let Some(key) = SHARED_KEY.with(Cell::take) {
                return self.shared(key, value);
            }
        }
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), YamlError> {
        value.serialize(self.variant(variant))
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a>, YamlError> {
        Ok(self.compound())
    }

    fn serialize_tuple(self, _len: usize) -> Result<Compound<'a>, YamlError> {
        Ok(self.compound())
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, YamlError> {
        Ok(self.compound())
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, YamlError> {
        Ok(self.variant(variant).compound())
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a>, YamlError> {
        Ok(self.compound())
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Compound<'a>, YamlError> {
        Ok(self.compound())
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, YamlError> {
        Ok(self.variant(variant).compound())
    }
}

// ---------------------------------------------------------------------------
// Sequences and mappings.
// ---------------------------------------------------------------------------

/// A block sequence or mapping being written; see [`ValueSer`] for the fields.
pub struct Compound<'a> {
    out: &'a mut String,
    col: usize,
    after_key: bool,
    blocks: Blocks,
    empty: bool,
}

impl Compound<'_> {
    /// Moves the cursor to where the next entry starts.
    fn begin_entry(&mut self) {
        if self.empty {
            self.empty = false;
            if self.after_key {
                self.out.push('\n');
                push_spaces(self.out, self.col);
            }
        } else {
            push_spaces(self.out, self.col);
        }
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), YamlError> {
        self.begin_entry();
        self.out.push_str("- ");
        value.serialize(ValueSer::new(self.out, self.col + 2, false, self.blocks))
    }

    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), YamlError> {
        value.serialize(ValueSer::new(self.out, self.col + 2, true, self.blocks))
    }

    /// Finishes the collection, writing `empty` if it had no entries.
    fn finish(self, empty: &str) -> Result<(), YamlError> {
        if self.empty {
            if self.after_key {
                self.out.push(' ');
            }
            self.out.push_str(empty);
            self.out.push('\n');
        }
        Ok(())
    }

    /// Writes the key of the next entry and its colon; `write_key` writes the key text.
    fn key_with(
        &mut self,
        write_key: impl FnOnce(&mut String, bool) -> Result<(), YamlError>,
    ) -> Result<(), YamlError> {
        self.begin_entry();
        let start = self.out.len();
        write_key(self.out, self.col == 0)?;
        if self.out.len() - start > MAX_IMPLICIT_KEY {
            self.out.insert_str(start, "? ");
            self.out.push('\n');
            push_spaces(self.out, self.col);
        }
        self.out.push(':');
        Ok(())
    }

    /// Writes the key of a struct field or enum variant: a name fixed in the program.
    fn field(&mut self, key: &'static str) {
        let style = if self.col == 0 && key == "on" {
            Style::Plain
        } else {
            static_key_style(key)
        };
        // The common case, a plain key of usual length, written at once.
        if style == Style::Plain && key.len() <= MAX_IMPLICIT_KEY {
            self.begin_entry();
            self.out.push_str(key);
            self.out.push(':');
            return;
        }
        // Writing a string key cannot fail.
        let _ = self.key_with(|out, _| {
            write_inline(out, key, style);
            Ok(())
        });
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = YamlError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), YamlError> {
        self.element(value)
    }

    fn end(self) -> Result<(), YamlError> {
        self.finish("[]")
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = YamlError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), YamlError> {
        self.element(value)
    }

    fn end(self) -> Result<(), YamlError> {
        self.finish("[]")
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = YamlError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), YamlError> {
        self.element(value)
    }

    fn end(self) -> Result<(), YamlError> {
        self.finish("[]")
    }
}

impl ser::SerializeTupleVariant for Compound<'_> {
    type Ok = ();
    type Error = YamlError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), YamlError> {
        self.element(value)
    }

    fn end(self) -> Result<(), YamlError> {
        self.finish("[]")
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = YamlError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), YamlError> {
        self.key_with(|out, top_level| key.serialize(KeySer { out, top_level }))
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), YamlError> {
        self.value(value)
    }

    fn end(self) -> Result<(), YamlError> {
        self.finish("{}")
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = YamlError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), YamlError> {
        self.field(key);
        self.value(value)
    }

    fn end(self) -> Result<(), YamlError> {
        self.finish("{}")
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = YamlError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), YamlError> {
        self.field(key);
        self.value(value)
    }

    fn end(self) -> Result<(), YamlError> {
        self.finish("{}")
    }
}

// ---------------------------------------------------------------------------
// Shared parts.
// ---------------------------------------------------------------------------

/// The newtype name by which the writer knows a [`Shared`] value.
const SHARED: &str = "$gitopsc::emit::yaml::Shared";

/// A part of a document that many documents (or many entries of one) hold identically, such
/// as a step every job of a workflow runs unchanged: inside [`with_shared`], the writer writes
/// it once for each place it can stand (column, after a key or not, block scalars allowed),
/// then copies that text. `value` is only serialised when its text is not known yet, so a
/// part that is costly to build can build itself in its `Serialize`.
///
/// `key` names the text: two values given the same key within one [`with_shared`] must write
/// the same YAML; a value without a key is written where it stands. Other serialisers see
/// `value` alone.
#[derive(Debug, Clone)]
pub struct Shared<T> {
    pub key: Option<SharedKey>,
    pub value: T,
}

/// What names a [`Shared`] value's text: chosen by its maker, e.g. the address of what it is
/// built from and the settings it is built with.
pub type SharedKey = [usize; 2];

/// Texts kept per thread at most; a document with more distinct shared parts writes the rest
/// each time.
const SHARED_KEEP: usize = 64;

/// One text of a shared part: its key, where it stood, and the text.
type SharedText = (SharedKey, usize, bool, Blocks, String);

thread_local! {
    /// The texts of shared parts while [`with_shared`] runs on this thread; `None` outside.
    static SHARED_TEXTS: std::cell::RefCell<Option<Vec<SharedText>>> =
        const { std::cell::RefCell::new(None) };
    /// The key of the [`Shared`] value being serialised, handed to the writer.
    static SHARED_KEY: Cell<Option<SharedKey>> = const { Cell::new(None) };
}

/// Runs `f` with the texts of [`Shared`] parts kept on this thread, and forgets them after:
/// keys (often addresses) only name the same text while what they were made from lives.
pub fn with_shared<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Vec<SharedText>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            SHARED_TEXTS.with(|t| *t.borrow_mut() = previous);
        }
    }
    let previous = SHARED_TEXTS.with(|t| t.borrow_mut().replace(Vec::new()));
    let _restore = Restore(previous);
    f()
}

impl<T: Serialize> Serialize for Shared<T> {
    fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Some(key) = self.key else {
            return self.value.serialize(s);
        };
        SHARED_KEY.with(|k| k.set(Some(key)));
        let result = s.serialize_newtype_struct(SHARED, &self.value);
        SHARED_KEY.with(|k| k.set(None));
        result
    }
}

impl ValueSer<'_> {
    /// Writes a [`Shared`] value: its text if this place has one for its key, else the value,
    /// keeping the text it made.
    fn shared<T: Serialize + ?Sized>(self, key: SharedKey, value: &T) -> Result<(), YamlError> {
        let (col, after_key, blocks) = (self.col, self.after_key, self.blocks);
        let place = |t: &SharedText| t.0 == key && t.1 == col && t.2 == after_key && t.3 == blocks;
        let known = SHARED_TEXTS.with(|texts| {
            let texts = texts.borrow();
            let text = texts.as_ref()?.iter().find(|t| place(t))?;
            self.out.push_str(&text.4);
            Some(())
        });
        if known.is_some() {
            return Ok(());
        }
        let start = self.out.len();
        let out = &mut *self.out;
        value.serialize(ValueSer::new(out, col, after_key, blocks))?;
        SHARED_TEXTS.with(|texts| {
            if let Some(texts) = texts.borrow_mut().as_mut() {
                if texts.len() < SHARED_KEEP {
                    texts.push((key, col, after_key, blocks, out[start..].to_owned()));
                }
            }
        });
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Keys.
// ---------------------------------------------------------------------------

/// The style of a struct field's or variant's name. A `&'static str` always holds the same
/// text at the same address, so the style found for an address is kept, in a small table per
/// thread, and every later use of that name skips the scan.
fn static_key_style(key: &'static str) -> Style {
    const SLOTS: usize = 256;
    thread_local! {
        static SEEN: [Cell<(usize, usize, Style)>; SLOTS] =
            const { [const { Cell::new((0, 0, Style::Plain)) }; SLOTS] };
    }
    let at = key.as_ptr() as usize;
    SEEN.with(|seen| {
        let slot = &seen[(at >> 2) % SLOTS];
        match slot.get() {
            (a, len, style) if a == at && len == key.len() => style,
            _ => {
                let style = style_of(key, Blocks::Never);
                slot.set((at, key.len(), style));
                style
            }
        }
    })
}

/// Writes a string key (without the colon), quoting it like a string value.
fn write_str_key(out: &mut String, key: &str, top_level: bool) {
    if top_level && key == "on" {
        out.push_str(key);
    } else {
        write_inline(out, key, style_of(key, Blocks::Never));
    }
}

/// Serialises a map key as a single-line scalar.
struct KeySer<'a> {
    out: &'a mut String,
    top_level: bool,
}

impl KeySer<'_> {
    fn text(self, text: &str) -> Result<(), YamlError> {
        self.out.push_str(text);
        Ok(())
    }

    fn unsupported(what: &str) -> YamlError {
        YamlError::new(format!(
            "a YAML map key must be a string, number, bool or char, not {what}"
        ))
    }
}

impl ser::Serializer for KeySer<'_> {
    type Ok = ();
    type Error = YamlError;
    type SerializeSeq = ser::Impossible<(), YamlError>;
    type SerializeTuple = ser::Impossible<(), YamlError>;
    type SerializeTupleStruct = ser::Impossible<(), YamlError>;
    type SerializeTupleVariant = ser::Impossible<(), YamlError>;
    type SerializeMap = ser::Impossible<(), YamlError>;
    type SerializeStruct = ser::Impossible<(), YamlError>;
    type SerializeStructVariant = ser::Impossible<(), YamlError>;

    fn serialize_bool(self, v: bool) -> Result<(), YamlError> {
        self.text(if v { "true" } else { "false" })
    }

    fn serialize_i8(self, v: i8) -> Result<(), YamlError> {
        self.serialize_i64(v.into())
    }

    fn serialize_i16(self, v: i16) -> Result<(), YamlError> {
        self.serialize_i64(v.into())
    }

    fn serialize_i32(self, v: i32) -> Result<(), YamlError> {
        self.serialize_i64(v.into())
    }

    fn serialize_i64(self, v: i64) -> Result<(), YamlError> {
        push_i64(self.out, v);
        Ok(())
    }

    fn serialize_i128(self, v: i128) -> Result<(), YamlError> {
        let _ = write!(self.out, "{v}");
        Ok(())
    }

    fn serialize_u8(self, v: u8) -> Result<(), YamlError> {
        self.serialize_u64(v.into())
    }

    fn serialize_u16(self, v: u16) -> Result<(), YamlError> {
        self.serialize_u64(v.into())
    }

    fn serialize_u32(self, v: u32) -> Result<(), YamlError> {
        self.serialize_u64(v.into())
    }

    fn serialize_u64(self, v: u64) -> Result<(), YamlError> {
        push_u64(self.out, v);
        Ok(())
    }

    fn serialize_u128(self, v: u128) -> Result<(), YamlError> {
        let _ = write!(self.out, "{v}");
        Ok(())
    }

    fn serialize_f32(self, v: f32) -> Result<(), YamlError> {
        push_float(self.out, v.into(), &format_args!("{v:?}"));
        Ok(())
    }

    fn serialize_f64(self, v: f64) -> Result<(), YamlError> {
        push_float(self.out, v, &format_args!("{v:?}"));
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), YamlError> {
        self.serialize_str(v.encode_utf8(&mut [0u8; 4]))
    }

    fn serialize_str(self, v: &str) -> Result<(), YamlError> {
        write_str_key(self.out, v, self.top_level);
        Ok(())
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<(), YamlError> {
        Err(Self::unsupported("bytes"))
    }

    fn serialize_none(self) -> Result<(), YamlError> {
        Err(Self::unsupported("null"))
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), YamlError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), YamlError> {
        Err(Self::unsupported("null"))
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), YamlError> {
        Err(Self::unsupported("null"))
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), YamlError> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), YamlError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), YamlError> {
        Err(Self::unsupported("an enum variant with data"))
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, YamlError> {
        Err(Self::unsupported("a sequence"))
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, YamlError> {
        Err(Self::unsupported("a tuple"))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, YamlError> {
        Err(Self::unsupported("a tuple struct"))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, YamlError> {
        Err(Self::unsupported("an enum variant with data"))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, YamlError> {
        Err(Self::unsupported("a map"))
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, YamlError> {
        Err(Self::unsupported("a struct"))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, YamlError> {
        Err(Self::unsupported("an enum variant with data"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A step-like value that counts how often it is serialised.
    struct Counted<'a> {
        built: &'a Cell<usize>,
        script: &'static str,
    }

    impl Serialize for Counted<'_> {
        fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use ser::SerializeStruct;
            self.built.set(self.built.get() + 1);
            let mut st = s.serialize_struct("Counted", 3)?;
            st.serialize_field("name", "on")?;
            st.serialize_field(
                "with",
                &[("a", 1)]
                    .into_iter()
                    .collect::<std::collections::BTreeMap<_, _>>(),
            )?;
            st.serialize_field("run", self.script)?;
            st.end()
        }
    }

    /// A document holding the same shared value as a sequence item, as a map value and at
    /// the top level, and a second shared value under another key.
    fn shared_doc(built: &Cell<usize>) -> serde_json::Value {
        let part = |key: usize, script| Shared {
            key: Some([key, 0]),
            value: Counted { built, script },
        };
        let doc = (
            vec![part(1, "make\n"), part(1, "make\n"), part(2, "other: x\n")],
            [("step", part(1, "make\n")), ("again", part(1, "make\n"))]
                .into_iter()
                .collect::<std::collections::BTreeMap<_, _>>(),
        );
        let mut text = String::new();
        write(&mut text, &doc).expect("writes");
        let mut again = String::new();
        write(&mut again, &(part(1, "make\n"))).expect("writes");
        serde_json::json!({ "doc": text, "top": again, "json": serde_json::to_value(&doc).expect("json") })
    }

    #[test]
    fn a_shared_part_is_written_once_per_place_and_reads_the_same() {
        let plain = Cell::new(0);
        let alone = shared_doc(&plain);
        // Outside `with_shared` every part is built where it stands: 5 in the document, 1
        // alone, 5 for the JSON view.
        assert_eq!(plain.get(), 11);
        let built = Cell::new(0);
        let kept = with_shared(|| shared_doc(&built));
        assert_eq!(kept, alone, "the kept texts must be the texts");
        // Kept: key 1 once as a sequence item, once as a map value and once at the top level;
        // key 2 once; the JSON view builds all five.
        assert_eq!(built.get(), 4 + 5);
        // Texts are forgotten when `with_shared` ends.
        let after = Cell::new(0);
        shared_doc(&after);
        assert_eq!(after.get(), 11);
    }

    #[test]
    fn different_keys_keep_different_texts() {
        let built = Cell::new(0);
        let text = with_shared(|| {
            let part = |key, script| Shared {
                key: Some([7, key]),
                value: Counted {
                    built: &built,
                    script,
                },
            };
            to_string(&vec![
                part(0, "a"),
                part(1, "b"),
                part(0, "a"),
                part(1, "b"),
            ])
            .expect("writes")
        });
        assert_eq!(built.get(), 2);
        assert_eq!(text.matches("run: a\n").count(), 2, "{text}");
        assert_eq!(text.matches("run: b\n").count(), 2, "{text}");
    }

    /// The scan one byte at a time, as the word-at-a-time scan must find.
    fn scan_bytewise(s: &str) -> Scan {
        let mut found = Scan::default();
        let bytes = s.as_bytes();
        for i in 0..bytes.len() {
            if INTERESTING[usize::from(bytes[i])] {
                note_byte(&mut found, bytes, i);
            }
        }
        found
    }

    proptest! {
        #[test]
        fn word_scan_finds_what_the_byte_scan_finds(
            s in "([a-z ]{0,9}[: #\\t\\n\\x00\\x1f\\x7f\\u{85}\\u{2028}\\u{feff}\\u{e9}\\u{1f600}]){0,4}[a-z ]{0,9}"
        ) {
            prop_assert_eq!(scan(&s), scan_bytewise(&s));
        }
    }

    proptest! {
        #[test]
        fn the_simple_case_agrees_with_the_full_style_choice(
            s in "[a-zA-Z0-9._/ :#'-]{0,12}|(y|n|yes|no|on|off|true|false|null|inf|nan|Infinity|NaN)[a-z0-9]{0,2}"
        ) {
            for blocks in [Blocks::Never, Blocks::NoKeep, Blocks::All] {
                let full = style_after(&s, &scan(&s), blocks);
                if simple_plain(&s) {
                    prop_assert_eq!(full, Style::Plain, "{:?}", s);
                }
                prop_assert_eq!(style_of(&s, blocks), full, "{:?}", s);
            }
        }
    }

    #[test]
    fn a_kept_key_style_is_the_style_of_its_text() {
        const KEYS: [&str; 12] = [
            "name",
            "on",
            "y",
            "no",
            "runs-on",
            "working-directory",
            "repoURL",
            "if",
            "1",
            "a: b",
            "x#y",
            "",
        ];
        // Twice: the second round reads the kept styles.
        for _ in 0..2 {
            for key in KEYS {
                assert_eq!(
                    static_key_style(key),
                    style_of(key, Blocks::Never),
                    "{key:?}"
                );
            }
        }
    }

    #[test]
    fn keywords_and_numbers_are_not_simple() {
        for s in [
            "y", "No", "TRUE", "off", "null", "inf", "NaN", "nan", "Infinity", "1", "0x1f",
        ] {
            assert!(!simple_plain(s), "{s}");
            assert_ne!(style_of(s, Blocks::All), Style::Plain, "{s}");
        }
        for s in [
            "main",
            "ghcr.io/example/svc-1",
            "a_b-c.d",
            "yes-please",
            "info",
        ] {
            assert!(simple_plain(s), "{s}");
        }
    }

    #[test]
    fn every_ascii_byte_is_seen_at_every_position_of_a_word() {
        for b in 0u8..0x80 {
            for at in 1..17 {
                // Between spaces, so `:` and `#` count as indicators too.
                let mut bytes = vec![b'a'; 18];
                bytes[at - 1] = b' ';
                bytes[at] = b;
                bytes[at + 1] = b' ';
                let s = String::from_utf8(bytes).expect("ASCII");
                assert_eq!(scan(&s), scan_bytewise(&s), "byte {b:#x} at {at}");
            }
        }
    }
}
