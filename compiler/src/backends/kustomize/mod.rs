//! The kustomize backend.

use crate::backends::Backend;
use crate::emit::OutputFile;
use crate::ir::Program;

/// Generates kustomize documents.
pub struct Kustomize;

impl Backend for Kustomize {
    fn name(&self) -> &'static str {
        "kustomize"
    }

    fn emit(&self, _program: &Program) -> Vec<OutputFile> {
        Vec::new()
    }
}
