//! The formatter: one canonical layout for `.gitops` programs, comments kept.
//!
//! [`format`] parses the text, builds a layout document from the tree and the file's comments
//! (`build`, `expr`), prints it at [`doc::WIDTH`] columns (`doc`), and checks that the result
//! parses back to the same program with the same comments (`verify`). The rules are described
//! in `book/src/reference/fmt.md`.
//!
//! Invariants: the output means exactly what the input meant (same tree, literals copied byte
//! for byte); every comment is kept, in order; formatting is idempotent
//! (`format(format(x)) == format(x)`); the layout depends only on the tree, the comments and the
//! blank lines between statements, never on the rest of the input's whitespace.

mod build;
mod doc;
mod expr;
mod verify;

use crate::diagnostics::{Diagnostic, FileId};

pub use doc::WIDTH;

/// The file id under which [`format`] parses its input; diagnostics it returns point into it.
pub const FILE: FileId = 0;

/// Formats one `.gitops` file. A syntax error is returned as its diagnostic (code E0001, or
/// whichever code the parser gives), with spans into `source` as file [`FILE`].
pub fn format(source: &str) -> Result<String, Diagnostic> {
    let file = crate::syntax::parse(FILE, source)?;
    let mut builder = build::Builder::new(source, &file.comments);
    let document = builder.file(&file);
    let text = doc::print(&document);
    verify::same_program(&file, &text)?;
    Ok(text)
}
