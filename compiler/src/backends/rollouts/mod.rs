//! The rollouts backend.

use crate::backends::Backend;
use crate::emit::OutputFile;
use crate::ir::Program;

/// Generates rollouts documents.
pub struct Rollouts;

impl Backend for Rollouts {
    fn name(&self) -> &'static str {
        "rollouts"
    }

    fn emit(&self, _program: &Program) -> Vec<OutputFile> {
        Vec::new()
    }
}
