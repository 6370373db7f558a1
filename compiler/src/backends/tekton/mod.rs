//! The Tekton backend: Tekton Pipelines `v1` and Tekton Triggers `v1beta1` documents for every
//! pipeline that targets `tekton`.
//!
//! Layout, under the program's Tekton folder in the application repository:
//! - `tasks/<task>.yaml`: one Task per task the pipelines use, shared by every pipeline, so a
//!   Task is defined once per namespace;
//! - `<pipeline>/pipeline.yaml`: the Pipeline;
//! - `<pipeline>/pipelinerun.yaml`: an example PipelineRun (`kubectl create -f`);
//! - `<pipeline>/triggers.yaml`: TriggerBindings, TriggerTemplate and EventListener, when the
//!   pipeline has push, pull request, tag or webhook triggers;
//! - `<pipeline>/rbac.yaml`: the EventListener's ServiceAccount and role bindings.
//!
//! Every named object lives in the project's Tekton namespace. The backend is a pure function of
//! the IR: its output order follows the program's order.

mod cel;
mod layout;
mod matrix;
mod model;
mod pipeline;
mod refs;
mod run;
mod script;
mod security;
mod task;
mod triggers;
mod triggers_model;
mod when;

use crate::backends::Backend;
use crate::emit::{OutputFile, Repo};
use crate::ir::{Program, Ref};
use layout::Layout;
use model::{Labels, Meta};
use std::collections::BTreeMap;

pub use refs::{param_name, secret_name, GIT_REVISION, GIT_URL, SECRET_KEY};
pub use triggers::{webhook_secret, WEBHOOK_SECRET_KEY};

/// Generates Tekton documents.
pub struct Tekton;

impl Backend for Tekton {
    fn name(&self) -> &'static str {
        "tekton"
    }

    fn emit_each<'p>(&self, program: &'p Program, out: &mut dyn FnMut(OutputFile<'p>)) {
        self.files(program).into_iter().for_each(out);
    }
}

impl Tekton {
    fn files(&self, program: &Program) -> Vec<OutputFile<'static>> {
        let layout = Layout::new(program);
        let mut files = Vec::new();
        for v in &layout.variants {
            if let Some(doc) = task::task_doc(program, &layout, v) {
                let path = join(&program.routing.tekton, &format!("tasks/{}.yaml", v.name));
                files.push(OutputFile::new(Repo::App, path).doc(doc));
            }
        }
        for pl in layout::tekton_pipelines(program) {
            let dir = join(&program.routing.tekton, &pl.name);
            let doc = pipeline::pipeline_doc(program, pl, &layout);
            let example = run::example_run(program, pl, &doc);
            let events = event_paths(program, pl, &layout);
            files.extend(triggers::files(program, pl, &doc, &events, &dir));
            files.push(OutputFile::new(Repo::App, format!("{dir}/pipelinerun.yaml")).doc(example));
            files.push(OutputFile::new(Repo::App, format!("{dir}/pipeline.yaml")).doc(doc));
        }
        files
    }
}

/// Each `event-…` parameter of a pipeline with the payload path it reads.
fn event_paths(
    program: &Program,
    pl: &crate::ir::Pipeline,
    layout: &Layout,
) -> BTreeMap<String, String> {
    pipeline::used_refs(program, pl, layout)
        .into_iter()
        .filter_map(|r| match r {
            Ref::Event(path) => Some((refs::event_param(&path), path)),
            _ => None,
        })
        .collect()
}

/// `folder/rest`, or `rest` when the folder is the repository root.
fn join(folder: &str, rest: &str) -> String {
    let folder = folder.trim_end_matches('/');
    if folder.is_empty() || folder == "." {
        rest.to_string()
    } else {
        format!("{folder}/{rest}")
    }
}

/// The metadata of a named object in the project's Tekton namespace.
fn meta(program: &Program, name: &str) -> Meta {
    // A label value has at most 63 characters and starts and ends with an alphanumeric.
    let mut project = refs::kebab(&program.project.name);
    project.truncate(63);
    let project = project.trim_end_matches('-').to_string();
    Meta {
        name: name.to_string(),
        namespace: program.project.tekton_namespace.clone(),
        labels: Labels {
            managed_by: Some("gitopsc".to_string()),
            part_of: (!project.is_empty()).then_some(project),
        },
    }
}
