//! The layout engine: a small document algebra (text, line breaks, indentation and groups) and
//! the printer that decides, group by group, between one line and one item per line.
//!
//! Invariant: the printed text depends only on the document, never on how the input was laid
//! out. A group is printed flat only when it holds no forced break (a hard line, or text that
//! spans lines) and it, together with everything after it up to the next line break, fits in
//! [`WIDTH`] columns. The printer never leaves a space at the end of a line it breaks.

/// The widest line the printer aims for, in characters.
pub const WIDTH: usize = 100;

/// Spaces per indentation level.
pub const INDENT: usize = 2;

/// A document to lay out.
#[derive(Debug, Clone)]
pub enum Doc {
    /// Text printed as is; it may span lines only when it is verbatim source (a `"""` string or a
    /// block comment), which forces every enclosing group to break.
    Text(String),
    /// A space when the enclosing group is flat, a line break when it is broken.
    Line,
    /// Nothing when the enclosing group is flat, a line break when it is broken.
    SoftLine,
    /// Always a line break.
    HardLine,
    /// An empty line when the enclosing group is broken, nothing when it is flat.
    BlankLine,
    /// Text printed only when the enclosing group is broken (a trailing comma).
    IfBreak(&'static str),
    /// A comment at the end of a line: printed as is but not counted when deciding whether a
    /// group fits, so a long remark never reshapes the code before it.
    Trail(String),
    /// Its parts, one indentation level deeper after each line break.
    Indent(Vec<Doc>),
    /// Its parts in sequence.
    Concat(Vec<Doc>),
    /// Parts printed flat or broken together; `broken` is set when a break is forced inside.
    Group { parts: Vec<Doc>, broken: bool },
}

impl Doc {
    /// Text from a string slice.
    pub fn text(s: impl Into<String>) -> Doc {
        Doc::Text(s.into())
    }

    /// A group, broken when `force` is set or when a break is forced inside `parts`.
    pub fn group(parts: Vec<Doc>, force: bool) -> Doc {
        let broken = force || parts.iter().any(Doc::forces_break);
        Doc::Group { parts, broken }
    }

    /// Whether this document can never be printed on one line.
    fn forces_break(&self) -> bool {
        match self {
            Doc::Text(s) | Doc::Trail(s) => s.contains('\n'),
            Doc::HardLine => true,
            Doc::Line | Doc::SoftLine | Doc::BlankLine | Doc::IfBreak(_) => false,
            Doc::Indent(v) | Doc::Concat(v) => v.iter().any(Doc::forces_break),
            Doc::Group { broken, .. } => *broken,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Flat,
    Break,
}

/// One pending piece of work: indentation, mode of the enclosing group, document.
type Cmd<'a> = (usize, Mode, &'a Doc);

/// Prints a document.
pub fn print(doc: &Doc) -> String {
    let mut out = Out::default();
    let mut stack: Vec<Cmd> = vec![(0, Mode::Break, doc)];
    while let Some((indent, mode, d)) = stack.pop() {
        let flat = mode == Mode::Flat;
        match d {
            Doc::Text(s) | Doc::Trail(s) => out.text(s),
            Doc::Line if flat => out.text(" "),
            Doc::SoftLine | Doc::BlankLine | Doc::IfBreak(_) if flat => {}
            Doc::Line | Doc::SoftLine | Doc::HardLine => out.newline(indent),
            Doc::BlankLine => out.newline(0),
            Doc::IfBreak(s) => out.text(s),
            Doc::Indent(v) => push_all(&mut stack, indent + INDENT, mode, v),
            Doc::Concat(v) => push_all(&mut stack, indent, mode, v),
            Doc::Group { parts, broken } => {
                let room = WIDTH as isize - out.col as isize;
                let m = if flat || (!broken && fits(parts, &stack, room)) {
                    Mode::Flat
                } else {
                    Mode::Break
                };
                push_all(&mut stack, indent, m, parts);
            }
        }
    }
    out.text
}

fn push_all<'a>(stack: &mut Vec<Cmd<'a>>, indent: usize, mode: Mode, docs: &'a [Doc]) {
    stack.extend(docs.iter().rev().map(|d| (indent, mode, d)));
}

/// Whether `parts`, printed flat, and what follows them up to the next line break fit in
/// `room` columns.
fn fits(parts: &[Doc], rest: &[Cmd], mut room: isize) -> bool {
    let mut local: Vec<(Mode, &Doc)> = parts.iter().rev().map(|d| (Mode::Flat, d)).collect();
    let mut rest_at = rest.len();
    loop {
        if room < 0 {
            return false;
        }
        let (mode, d) = match local.pop() {
            Some(x) => x,
            None if rest_at == 0 => return true,
            None => {
                rest_at -= 1;
                (rest[rest_at].1, rest[rest_at].2)
            }
        };
        let broken = mode == Mode::Break;
        match d {
            Doc::Text(s) => match s.split_once('\n') {
                Some((first, _)) => return room >= width(first) as isize,
                None => room -= width(s) as isize,
            },
            Doc::Line | Doc::SoftLine | Doc::BlankLine if broken => return true,
            Doc::HardLine => return true,
            Doc::Line => room -= 1,
            Doc::SoftLine | Doc::BlankLine => {}
            Doc::IfBreak(s) if broken => room -= width(s) as isize,
            Doc::IfBreak(_) | Doc::Trail(_) => {}
            Doc::Indent(v) | Doc::Concat(v) => local.extend(v.iter().rev().map(|d| (mode, d))),
            Doc::Group { parts, broken: b } => {
                let m = if *b { Mode::Break } else { mode };
                local.extend(parts.iter().rev().map(|d| (m, d)));
            }
        }
    }
}

/// The width of a piece of text, in characters.
pub fn width(s: &str) -> usize {
    s.chars().count()
}

/// The text printed so far and the current column.
#[derive(Default)]
struct Out {
    text: String,
    col: usize,
}

impl Out {
    fn text(&mut self, s: &str) {
        self.text.push_str(s);
        match s.rfind('\n') {
            Some(i) => self.col = width(&s[i + 1..]),
            None => self.col += width(s),
        }
    }

    /// Ends the line (dropping spaces the printer left at its end) and indents the next one.
    fn newline(&mut self, indent: usize) {
        let kept = self.text.trim_end_matches(' ').len();
        self.text.truncate(kept);
        self.text.push('\n');
        self.text.extend(std::iter::repeat_n(' ', indent));
        self.col = indent;
    }
}
