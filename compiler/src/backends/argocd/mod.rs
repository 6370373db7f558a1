//! The argocd backend.

use crate::backends::Backend;
use crate::emit::OutputFile;
use crate::ir::Program;

/// Generates argocd documents.
pub struct Argocd;

impl Backend for Argocd {
    fn name(&self) -> &'static str {
        "argocd"
    }

    fn emit(&self, _program: &Program) -> Vec<OutputFile> {
        Vec::new()
    }
}
