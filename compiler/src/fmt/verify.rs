//! The formatter's own safety check: the text it produces must parse to the same tree as the
//! input (positions aside) and carry the same comments in the same order.
//!
//! Invariant: [`super::format`] never returns text that means something else than its input; a
//! formatter bug becomes an internal diagnostic and the caller keeps the original text.

use crate::ast::File;
use crate::diagnostics::{Diagnostic, Span};

/// Checks that `formatted` is the same program as `original`, with the same comments.
pub(super) fn same_program(original: &File, formatted: &str) -> Result<(), Diagnostic> {
    let here = Span::new(original.span.file, 0, 0);
    let again = crate::syntax::parse(original.span.file, formatted).map_err(|d| {
        Diagnostic::internal(
            here,
            format!(
                "the formatted text does not parse ({}); the file was left unchanged",
                d.message
            ),
        )
    })?;
    if shape(&again) != shape(original) {
        return Err(Diagnostic::internal(
            here,
            "formatting would change the meaning of this file; it was left unchanged",
        ));
    }
    let texts = |f: &File| {
        f.comments
            .iter()
            .map(|c| c.text.clone())
            .collect::<Vec<_>>()
    };
    if texts(&again) != texts(original) {
        return Err(Diagnostic::internal(
            here,
            "formatting would lose or reorder a comment; the file was left unchanged",
        ));
    }
    Ok(())
}

/// The tree without positions or comments: its debug form with every span blanked out.
fn shape(f: &File) -> String {
    let full = format!("{:?}", f.stmts);
    let mut out = String::with_capacity(full.len());
    let mut rest = full.as_str();
    while let Some(at) = rest.find("Span { ") {
        out.push_str(&rest[..at]);
        out.push_str("Span");
        let after = &rest[at..];
        let close = after.find('}').map_or(after.len(), |i| i + 1);
        rest = &after[close..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::shape;

    #[test]
    fn shapes_ignore_positions_only() {
        let a = crate::syntax::parse(0, "x = 1").unwrap();
        let b = crate::syntax::parse(0, "\n\n  x   =   1").unwrap();
        let c = crate::syntax::parse(0, "x = 2").unwrap();
        assert_eq!(shape(&a), shape(&b));
        assert_ne!(shape(&a), shape(&c));
    }
}
