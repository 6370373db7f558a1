//! From the syntax tree and the file's comments to a layout document: statements, declarations
//! and the one sequence rule shared by bodies, records, lists and argument lists.
//!
//! Invariant: comments are handed out strictly in source order. Every comment is printed exactly
//! once, either in a gap between the items of a sequence (on its own line, or at the end of the
//! line of the item before it) or inline just before the token it preceded in the source. A
//! sequence holding a comment anywhere inside its brackets is always printed one item per line.

use super::doc::Doc;
use crate::ast::{Body, Comment, Decl, File, Ident, Stmt, StmtKind, TypeExpr};
use crate::diagnostics::Span;

/// How a bracketed sequence is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    /// A declaration's or loop's body (or the file): always one statement per line, no separators.
    Body,
    /// A record or variant payload: `{ a = 1, b = 2 }` when it fits, else one field per line
    /// with trailing commas.
    Record,
    /// A list, argument list or type argument list: `[a, b]` when it fits, else one item per line
    /// with trailing commas.
    List,
}

impl Style {
    /// The break between an item and the bracket next to it.
    fn edge(self) -> Doc {
        match self {
            Style::Body => Doc::HardLine,
            Style::Record => Doc::Line,
            Style::List => Doc::SoftLine,
        }
    }

    /// The break between two items.
    fn between(self) -> Doc {
        match self {
            Style::Body => Doc::HardLine,
            Style::Record | Style::List => Doc::Line,
        }
    }
}

/// Something that can be an item of a sequence.
pub(super) trait Item {
    fn span(&self) -> Span;
    fn build(&self, b: &mut Builder) -> Doc;
}

impl Item for Stmt {
    /// The statement's span, ending at its last token. The parser's span of a statement that
    /// ends in an optional part also covers the blank space and comments after it, which belong
    /// to the gap before the next statement.
    fn span(&self) -> Span {
        let end = match &self.kind {
            StmtKind::Use { path, alias } => alias
                .as_ref()
                .or(path.last())
                .map_or(self.span.end, |i| i.span.end),
            StmtKind::For { body, .. } => body.span.end,
            StmtKind::Attr { value, .. } => value.span.end,
            StmtKind::Decl(d) => decl_end(d),
        };
        Span { end, ..self.span }
    }

    fn build(&self, b: &mut Builder) -> Doc {
        b.stmt(self)
    }
}

/// Where a sequence's layout has got to: the end of the last element printed (in the source)
/// and whether anything has been printed after the opening bracket yet.
struct Cursor {
    end: usize,
    first: bool,
    /// Whether a comment on the opening bracket's line stays on that line.
    open_line: bool,
    /// Whether the next item's line break has been printed already (before a block comment
    /// that sits in front of the item).
    line_done: bool,
}

/// Builds the document of one file.
pub(super) struct Builder<'a> {
    src: &'a str,
    comments: &'a [Comment],
    /// The index of the first comment not printed yet.
    next: usize,
}

impl<'a> Builder<'a> {
    pub(super) fn new(src: &'a str, comments: &'a [Comment]) -> Builder<'a> {
        Builder {
            src,
            comments,
            next: 0,
        }
    }

    /// The whole file: its statements one per line, then a final line break.
    pub(super) fn file(&mut self, f: &File) -> Doc {
        let mut parts = self.elements((0, self.src.len()), &f.stmts, Style::Body, false);
        if matches!(parts.first(), Some(Doc::HardLine)) {
            parts.remove(0);
        }
        if !parts.is_empty() {
            parts.push(Doc::HardLine);
        }
        Doc::Concat(parts)
    }

    /// A bracketed sequence whose items lie between `region.0` (just after the opening bracket,
    /// or where the items may start) and `region.1` (the closing bracket).
    pub(super) fn seq<T: Item>(
        &mut self,
        brackets: (&str, &str),
        style: Style,
        region: (usize, usize),
        items: &[T],
    ) -> Doc {
        let commented = self.has_comment(region);
        if items.is_empty() && !commented {
            return Doc::text(format!("{}{}", brackets.0, brackets.1));
        }
        let parts = self.elements(region, items, style, true);
        let force = commented || style == Style::Body;
        let doc = vec![
            Doc::text(brackets.0),
            Doc::Indent(parts),
            style.edge(),
            Doc::text(brackets.1),
        ];
        Doc::group(doc, force)
    }

    /// The items of a sequence with the comments between them, each preceded by its line break.
    fn elements<T: Item>(
        &mut self,
        region: (usize, usize),
        items: &[T],
        style: Style,
        open_line: bool,
    ) -> Vec<Doc> {
        let mut parts = Vec::new();
        let mut at = Cursor {
            end: region.0,
            first: true,
            open_line,
            line_done: false,
        };
        for (i, item) in items.iter().enumerate() {
            let span = item.span();
            self.gap(&mut parts, &mut at, span.start as usize, style, true);
            if !at.line_done {
                self.line_before(&mut parts, &at, span.start as usize, style);
            }
            parts.push(item.build(self));
            parts.push(self.inline_after(span.end as usize));
            if style != Style::Body {
                let last = i + 1 == items.len();
                parts.push(if last {
                    Doc::IfBreak(",")
                } else {
                    Doc::text(",")
                });
            }
            at.end = span.end as usize;
            at.first = false;
            at.line_done = false;
        }
        self.gap(&mut parts, &mut at, region.1, style, false);
        parts
    }

    /// The comments that start before `pos` (the start of the next item when `item` is set, else
    /// the closing bracket). A comment written at the end of the previous element's line stays
    /// there; a block comment written just before the next item on its line stays in front of
    /// it; any other comment gets a line of its own.
    fn gap(&mut self, parts: &mut Vec<Doc>, at: &mut Cursor, pos: usize, style: Style, item: bool) {
        while let Some(c) = self.take_before(pos) {
            let (start, end) = (c.span.start as usize, c.span.end as usize);
            let same_line = !self.src[at.end.min(start)..start].contains('\n');
            let hugs_next = item && !self.src[end.min(pos)..pos].contains('\n');
            if at.line_done {
                parts.push(Doc::text(format!("{} ", c.text)));
            } else if hugs_next {
                self.line_before(parts, at, start, style);
                parts.push(Doc::text(format!("{} ", c.text)));
                at.line_done = true;
            } else if same_line && (at.open_line || !at.first) {
                parts.push(Doc::Trail(format!(" {}", c.text)));
            } else {
                self.line_before(parts, at, start, style);
                parts.push(Doc::text(c.text.clone()));
            }
            at.end = end;
            at.first = false;
        }
    }

    /// The line break before an element starting at `pos`, with one blank line kept when the
    /// source had at least one there (never right after the opening bracket).
    fn line_before(&self, parts: &mut Vec<Doc>, at: &Cursor, pos: usize, style: Style) {
        let gap = &self.src[at.end.min(pos)..pos];
        if !at.first && gap.matches('\n').count() >= 2 {
            parts.push(Doc::BlankLine);
        }
        parts.push(if at.first {
            style.edge()
        } else {
            style.between()
        });
    }

    /// Whether a comment starts inside `region`.
    fn has_comment(&self, region: (usize, usize)) -> bool {
        let from = self
            .comments
            .partition_point(|c| (c.span.start as usize) < region.0);
        self.comments
            .get(from)
            .is_some_and(|c| (c.span.start as usize) < region.1)
    }

    /// The next comment not printed yet, if it starts before `pos`; it counts as printed.
    fn take_before(&mut self, pos: usize) -> Option<&'a Comment> {
        let c = self.comments.get(self.next)?;
        if (c.span.start as usize) < pos {
            self.next += 1;
            Some(c)
        } else {
            None
        }
    }

    /// Comments left before `pos`, printed inline ahead of the token found there.
    pub(super) fn inline_before(&mut self, pos: usize) -> Doc {
        let mut parts = Vec::new();
        while let Some(c) = self.take_before(pos) {
            parts.push(Doc::text(c.text.clone()));
            parts.push(line_comment_end(c).unwrap_or_else(|| Doc::text(" ")));
        }
        Doc::Concat(parts)
    }

    /// Comments left before `pos`, printed inline after the token before them.
    pub(super) fn inline_after(&mut self, pos: usize) -> Doc {
        let mut parts = Vec::new();
        while let Some(c) = self.take_before(pos) {
            parts.push(Doc::Trail(format!(" {}", c.text)));
            parts.extend(line_comment_end(c));
        }
        Doc::Concat(parts)
    }

    /// Source text printed exactly as written (a string, number, duration, key or name). A
    /// comment inside it (in an interpolation) is part of that text.
    pub(super) fn verbatim(&mut self, span: Span) -> Doc {
        let text = &self.src[span.start as usize..span.end as usize];
        while self.take_before(span.end as usize).is_some() {}
        Doc::text(text)
    }

    /// A token: the comments before it, then its text as written.
    pub(super) fn tok(&mut self, span: Span) -> Doc {
        Doc::Concat(vec![
            self.inline_before(span.start as usize),
            self.verbatim(span),
        ])
    }

    fn ident(&mut self, i: &Ident) -> Doc {
        self.tok(i.span)
    }

    fn stmt(&mut self, s: &Stmt) -> Doc {
        match &s.kind {
            StmtKind::Use { path, alias } => {
                let mut parts = vec![Doc::text("use ")];
                for (i, seg) in path.iter().enumerate() {
                    if i > 0 {
                        parts.push(Doc::text("."));
                    }
                    parts.push(self.ident(seg));
                }
                if let Some(a) = alias {
                    parts.push(Doc::text(" as "));
                    parts.push(self.ident(a));
                }
                Doc::Concat(parts)
            }
            StmtKind::For { var, iter, body } => Doc::Concat(vec![
                Doc::text("for "),
                self.ident(var),
                Doc::text(" in "),
                self.expr(iter),
                Doc::text(" "),
                self.block(body),
            ]),
            StmtKind::Attr { key, value } => {
                Doc::Concat(vec![self.tok(key.span), Doc::text(" = "), self.expr(value)])
            }
            StmtKind::Decl(d) => self.decl(d),
        }
    }

    /// `keyword name: type = value { body }`, each part only when present.
    fn decl(&mut self, d: &Decl) -> Doc {
        let mut parts = vec![self.ident(&d.keyword)];
        if let Some(n) = &d.name {
            parts.push(Doc::text(" "));
            parts.push(self.tok(n.span()));
        }
        if let Some(t) = &d.ty {
            parts.push(Doc::text(": "));
            parts.push(self.type_expr(t));
        }
        if let Some(v) = &d.value {
            parts.push(Doc::text(" = "));
            parts.push(self.expr(v));
        }
        if let Some(b) = &d.body {
            parts.push(Doc::text(" "));
            parts.push(self.block(b));
        }
        Doc::Concat(parts)
    }

    /// A declaration's or loop's body: one statement per line, `{}` when empty.
    fn block(&mut self, b: &Body) -> Doc {
        let lead = self.inline_before(b.span.start as usize);
        let region = (b.span.start as usize + 1, b.span.end as usize - 1);
        Doc::Concat(vec![
            lead,
            self.seq(("{", "}"), Style::Body, region, &b.stmts),
        ])
    }

    /// A record or variant payload: fields on one line when they fit.
    pub(super) fn record(&mut self, b: &Body) -> Doc {
        let lead = self.inline_before(b.span.start as usize);
        let region = (b.span.start as usize + 1, b.span.end as usize - 1);
        Doc::Concat(vec![
            lead,
            self.seq(("{", "}"), Style::Record, region, &b.stmts),
        ])
    }
}

/// Where a declaration's last token ends.
fn decl_end(d: &Decl) -> u32 {
    if let Some(b) = &d.body {
        b.span.end
    } else if let Some(v) = &d.value {
        v.span.end
    } else if let Some(t) = &d.ty {
        type_end(t)
    } else {
        d.name.as_ref().map_or(d.keyword.span.end, |n| n.span().end)
    }
}

/// Where a type's last token ends (the parser's span of a type without arguments may run on
/// over the space after it).
pub(super) fn type_end(t: &TypeExpr) -> u32 {
    if t.args.is_empty() {
        t.name.span.end
    } else {
        t.span.end
    }
}

/// The line break a `//` comment needs after it; `None` for a block comment.
fn line_comment_end(c: &Comment) -> Option<Doc> {
    c.text.starts_with("//").then_some(Doc::HardLine)
}
