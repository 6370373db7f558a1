//! The tekton backend.

use crate::backends::Backend;
use crate::emit::OutputFile;
use crate::ir::Program;

/// Generates tekton documents.
pub struct Tekton;

impl Backend for Tekton {
    fn name(&self) -> &'static str {
        "tekton"
    }

    fn emit(&self, _program: &Program) -> Vec<OutputFile> {
        Vec::new()
    }
}
