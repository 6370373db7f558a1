//! Backends: pure functions from the IR to documents.
//!
//! Each backend reads only [`crate::ir`] and builds typed models (serde structs), never YAML
//! text; `emit` is the only module that serialises. A backend never fails: anything a target
//! cannot express was rejected by semantic analysis with a diagnostic naming the target, so a
//! backend that meets such a program anyway has found a compiler bug and says so.
//!
//! Architecture invariant (checked by `tests/architecture.rs`): no file under `backends/`
//! mentions the AST, the syntax module or pest.

pub mod argocd;
pub mod github;
pub mod kustomize;
pub mod rollouts;
pub mod tekton;

use crate::emit::OutputFile;
use crate::ir::Program;

/// One code generator. Backends run on several threads at once (see [`crate::build_rendered`]).
pub trait Backend: Send + Sync {
    /// Short name used in diagnostics and on the command line (`github`, `tekton`...).
    fn name(&self) -> &'static str;
    /// Whether this backend writes a large file in slices that idle threads help with
    /// ([`crate::emit::Split`]); such backends are started after the others.
    fn writes_in_slices(&self) -> bool {
        false
    }
    /// Whether this backend reads the program's tasks, pipelines, secrets or images. One that
    /// does not is started on the program's delivery part, before the pipelines are checked
    /// (see [`crate::build_rendered_with`]), where those are empty.
    fn reads_pipelines(&self) -> bool {
        true
    }
    /// Hands every file this backend generates for the program to `out`, one at a time and in
    /// any order, so a caller can render each file and let its documents go before the next
    /// is built.
    fn emit_each<'p>(&self, program: &'p Program, out: &mut dyn FnMut(OutputFile<'p>));

    /// Every file this backend generates for the program, in any order.
    fn emit<'p>(&self, program: &'p Program) -> Vec<OutputFile<'p>> {
        let mut files = Vec::new();
        self.emit_each(program, &mut |f| files.push(f));
        files
    }
}

/// Every backend, in the order they run.
pub fn all() -> Vec<Box<dyn Backend>> {
    vec![
        Box::new(github::Github),
        Box::new(tekton::Tekton),
        Box::new(argocd::Argocd),
        Box::new(kustomize::Kustomize),
        Box::new(rollouts::Rollouts),
    ]
}
