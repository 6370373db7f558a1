//! Schema validation of generated documents (`gitopsc build --validate`).
//!
//! Not yet wired to a JSON Schema engine; see the book's contributing notes.

use crate::emit::OutputFile;

/// Problems found in the documents, one line each.
pub fn validate_outputs(_files: &[OutputFile]) -> Vec<String> {
    Vec::new()
}
