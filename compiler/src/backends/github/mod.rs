//! The github backend.

use crate::backends::Backend;
use crate::emit::OutputFile;
use crate::ir::Program;

/// Generates github documents.
pub struct Github;

impl Backend for Github {
    fn name(&self) -> &'static str {
        "github"
    }

    fn emit(&self, _program: &Program) -> Vec<OutputFile> {
        Vec::new()
    }
}
