//! Semantic analysis: resolve names, check types and rules, lower to the IR.
//!
//! Analysis runs in passes over the parsed files: [`collect`] gathers every top-level
//! declaration by kind (expanding top-level `for` loops), then each kind is checked and lowered
//! in dependency order — registries, environments (and the promotion graph), services,
//! deployments and cron jobs (after which the program's delivery part is settled and may be
//! handed over, see [`analyze_with`]), tasks and pipelines (and their job DAGs) — and finally
//! the cross-target rules run.
//! Invariant: a program with no error diagnostics lowers to an IR that satisfies every
//! invariant documented in [`crate::ir`]; with errors, no IR is returned.

mod call;
mod checks;
mod collect;
mod convert;
mod deploy;
mod env;
mod eval;
mod fields;
mod jobs;
mod pipeline;
mod pipeline_call;
mod service;
mod task;
mod value;
mod workload;

use crate::ast::{Decl, File};
use crate::diagnostics::{Diagnostic, Span};
use crate::fxhash;
use crate::ir;
use fxhash::{FxHashMap, FxHashSet, FxIndexMap};
use std::collections::BTreeSet;

pub use eval::Scope;
pub use value::{V, VK};

/// A top-level declaration and what it needs to be checked later.
#[derive(Debug, Clone)]
pub struct Item<'a> {
    pub decl: &'a Decl,
    /// Span of the whole declaration.
    pub span: Span,
    pub name: String,
    pub name_span: Span,
    /// Bindings of enclosing top-level `for` loops.
    pub scope: Scope,
    /// The stdlib module the declaration is in (`None` for the user's program).
    pub module: Option<std::rc::Rc<str>>,
}

/// What a top-level name denotes in expressions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Global {
    Service(usize),
    Env(usize),
    Registry(usize),
    Task(std::rc::Rc<str>),
}

/// A pinned GitHub action.
#[derive(Debug, Clone)]
pub struct ActionPin {
    pub sha: String,
    pub version: String,
    pub span: Span,
}

/// A pinned container image.
#[derive(Debug, Clone)]
pub struct ImagePin {
    /// `name:tag@digest` (or `name:tag` when no digest is recorded).
    pub reference: String,
    pub span: Span,
}

/// The analysis state shared by every pass.
/// The needs of inlined tasks, gathered while a task's steps are lowered.
#[derive(Default)]
pub struct Inlined {
    pub permissions: std::collections::BTreeSet<ir::Permission>,
    pub workspaces: Vec<String>,
    pub caches: Vec<ir::Cache>,
}

pub struct Ctx<'a> {
    pub diags: Vec<Diagnostic>,
    pub project: Option<Item<'a>>,
    pub names: FxIndexMap<String, (Global, Span)>,
    pub registry_items: Vec<Item<'a>>,
    pub env_items: Vec<Item<'a>>,
    pub service_items: Vec<Item<'a>>,
    pub task_items: FxIndexMap<String, Item<'a>>,
    pub pipeline_items: Vec<Item<'a>>,
    pub deployment_items: Vec<Item<'a>>,
    pub cronjob_items: Vec<Item<'a>>,
    pub secrets: FxIndexMap<String, (Span, String)>,
    pub used_secrets: FxHashSet<String>,
    pub pins: FxIndexMap<String, ActionPin>,
    pub images: FxIndexMap<String, ImagePin>,
    /// Stdlib modules by name, with the names they were imported under.
    pub modules: FxIndexMap<String, ()>,
    pub aliases: FxIndexMap<String, std::rc::Rc<str>>,
    /// Task keys (`module.task` or `task`) to their lowered index, filled on demand.
    pub tasks: FxIndexMap<String, Option<usize>>,
    pub used_tasks: FxHashSet<String>,
    /// The tasks being lowered, outermost first: a task whose steps inline a task of this list
    /// inlines itself (E0040).
    pub lowering: Vec<String>,
    /// Qualified task keys found so far (see [`Ctx::qualified_task`]) and the buffer they are
    /// spelled in.
    pub task_keys: FxHashMap<String, std::rc::Rc<str>>,
    pub key_buf: String,
    /// Task signatures read so far, with what reading each reported.
    pub sigs: FxHashMap<String, (std::rc::Rc<task::TaskSig>, Vec<Diagnostic>)>,
    pub current_module: Option<std::rc::Rc<str>>,
    /// Inputs of the pipeline being checked.
    pub inputs: Vec<String>,
    /// Jobs of the pipeline being checked: declaration name to instance ids (by service).
    pub jobs: pipeline::JobTable,
    /// Pipelines as callees: their signatures and the calls between them.
    pub calls: pipeline_call::Calls,
    /// Jobs referenced while evaluating the current job, with where (dependency edges).
    pub current_refs: Vec<(usize, Span)>,
    /// Dependencies of each job of the current pipeline, with the span that created each.
    pub edges: Vec<Vec<(usize, Span)>>,
    /// Keys of tasks that are the inline steps of a job.
    pub inline_tasks: FxHashSet<String>,
    pub current_pipeline: String,
    /// Taint of each parameter of the task being lowered.
    pub param_taints: FxHashMap<String, ir::Taint>,
    /// What the tasks inlined into the task being lowered need (permissions, Tekton
    /// workspaces, caches): the enclosing task needs it too.
    pub inlined: Inlined,

    // Lowered so far.
    pub project_ir: ir::Project,
    pub routing: ir::Routing,
    pub registries: ir::Shared<ir::Registry>,
    pub envs: ir::Shared<ir::Environment>,
    pub services: ir::Shared<ir::Service>,
    pub task_defs: Vec<ir::TaskDef>,
    pub task_spans: Vec<Span>,
    pub pipelines: Vec<ir::Pipeline>,
    pub deployments: ir::Shared<ir::Deployment>,
    pub cronjobs: ir::Shared<ir::CronJob>,
    /// Where each environment is deployed from, for the cross-target checks.
    pub deploy_spans: Vec<Span>,
    pub pipeline_spans: Vec<pipeline::PipelineSpans>,
}

/// The result of analysing a program.
pub struct Analysis {
    pub program: Option<ir::Program>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Analyses parsed files: the user's (`files`) and the stdlib's (`stdlib`, by module name).
pub fn analyze(source_name: &str, files: &[&File], stdlib: &[(&str, &File)]) -> Analysis {
    analyze_with(source_name, files, stdlib, &mut |_| {})
}

/// [`analyze`], handing `delivery` the program's delivery part as soon as it is settled: the
/// program without its tasks, pipelines, secrets and images (left empty), sharing its lists
/// with the program [`analyze`] returns ([`ir::Shared`]). It is handed over before the
/// pipelines are checked, only when nothing so far was an error, and whatever the pipelines'
/// checks find later: a caller that starts work on it must drop that work if the analysis
/// returns no program.
pub fn analyze_with(
    source_name: &str,
    files: &[&File],
    stdlib: &[(&str, &File)],
    delivery: &mut dyn FnMut(ir::Program),
) -> Analysis {
    let mut cx = Ctx::new();
    for (name, _) in stdlib {
        cx.modules.insert((*name).to_string(), ());
    }
    for (name, file) in stdlib {
        cx.collect_file(file, Some(name));
    }
    for file in files {
        cx.collect_file(file, None);
    }
    cx.run(source_name, delivery);
    let has_errors = cx.diags.iter().any(Diagnostic::is_error);
    let mut diagnostics = std::mem::take(&mut cx.diags);
    crate::diagnostics::sort(&mut diagnostics);
    diagnostics.dedup();
    let program = if has_errors {
        None
    } else {
        cx.into_program(source_name)
    };
    Analysis {
        program,
        diagnostics,
    }
}

impl<'a> Ctx<'a> {
    fn new() -> Ctx<'a> {
        Ctx {
            diags: Vec::new(),
            project: None,
            names: FxIndexMap::default(),
            registry_items: Vec::new(),
            env_items: Vec::new(),
            service_items: Vec::new(),
            task_items: FxIndexMap::default(),
            pipeline_items: Vec::new(),
            deployment_items: Vec::new(),
            cronjob_items: Vec::new(),
            secrets: FxIndexMap::default(),
            used_secrets: FxHashSet::default(),
            pins: FxIndexMap::default(),
            images: FxIndexMap::default(),
            modules: FxIndexMap::default(),
            aliases: FxIndexMap::default(),
            tasks: FxIndexMap::default(),
            used_tasks: FxHashSet::default(),
            lowering: Vec::new(),
            task_keys: FxHashMap::default(),
            key_buf: String::new(),
            sigs: FxHashMap::default(),
            current_module: None,
            inputs: Vec::new(),
            jobs: pipeline::JobTable::default(),
            calls: Default::default(),
            current_refs: Vec::new(),
            edges: Vec::new(),
            inline_tasks: FxHashSet::default(),
            current_pipeline: String::new(),
            param_taints: FxHashMap::default(),
            inlined: Inlined::default(),
            project_ir: ir::Project::default(),
            routing: ir::Routing::default(),
            registries: Default::default(),
            envs: Default::default(),
            services: Default::default(),
            task_defs: Vec::new(),
            task_spans: Vec::new(),
            pipelines: Vec::new(),
            deployments: Default::default(),
            cronjobs: Default::default(),
            deploy_spans: Vec::new(),
            pipeline_spans: Vec::new(),
        }
    }

    fn run(&mut self, source_name: &str, delivery: &mut dyn FnMut(ir::Program)) {
        self.check_project();
        self.check_registries();
        self.check_environments();
        self.check_services();
        // Deployments and cron jobs read no pipeline, and no later pass changes what is
        // lowered so far: the delivery part is settled here.
        self.check_deployments();
        self.check_cronjobs();
        if !self.diags.iter().any(Diagnostic::is_error) {
            delivery(self.delivery(source_name));
        }
        self.check_pipelines();
        self.cross_checks();
        self.unused_warnings();
    }

    /// The program's delivery part (see [`analyze_with`]).
    fn delivery(&self, source_name: &str) -> ir::Program {
        ir::Program {
            source_name: source_name.to_string(),
            project: self.project_ir.clone(),
            registries: self.registries.clone(),
            services: self.services.clone(),
            environments: self.envs.clone(),
            promotion: self.promotion(),
            deployments: self.deployments.clone(),
            cronjobs: self.cronjobs.clone(),
            routing: self.routing.clone(),
            ..ir::Program::default()
        }
    }

    /// The promotion graph: an edge from each environment promoted from to the one it
    /// promotes to.
    fn promotion(&self) -> petgraph::graph::DiGraph<ir::EnvId, ()> {
        let mut promotion = petgraph::graph::DiGraph::new();
        let nodes: Vec<_> = (0..self.envs.len())
            .map(|i| promotion.add_node(i))
            .collect();
        for (to, e) in self.envs.iter().enumerate() {
            for from in &e.promote_from {
                promotion.add_edge(nodes[*from], nodes[to], ());
            }
        }
        promotion
    }

    /// The names visible in expressions (for did-you-mean).
    pub fn value_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.names.keys().cloned().collect();
        v.extend(self.aliases.keys().cloned());
        v.push("services".into());
        v.push("event".into());
        v
    }

    /// What a top-level name means, if anything.
    pub fn global(&mut self, name: &str) -> Option<VK> {
        if let Some(m) = self.current_module.take() {
            let key = self.qualified_task(&m, name);
            self.current_module = Some(m);
            if let Some(key) = key {
                return Some(VK::Task(key));
            }
        }
        if let Some((g, _)) = self.names.get(name) {
            return Some(match g {
                Global::Service(i) => VK::Service(*i),
                Global::Env(i) => VK::Env(*i),
                Global::Registry(i) => VK::Registry(*i),
                Global::Task(k) => VK::Task(k.clone()),
            });
        }
        self.aliases.get(name).map(|m| VK::Module(m.clone()))
    }

    /// The key of the task `NAME` of module `m` (`m.NAME`), when there is such a task. The key
    /// is spelled in a reused buffer and shared once found, so a lookup allocates nothing.
    pub fn qualified_task(&mut self, m: &str, name: &str) -> Option<std::rc::Rc<str>> {
        let mut buf = std::mem::take(&mut self.key_buf);
        buf.clear();
        buf.push_str(m);
        buf.push('.');
        buf.push_str(name);
        let key = match self.task_keys.get(buf.as_str()) {
            Some(k) => Some(k.clone()),
            None if self.tasks.contains_key(buf.as_str()) => {
                let k: std::rc::Rc<str> = buf.as_str().into();
                self.task_keys.insert(buf.clone(), k.clone());
                Some(k)
            }
            None => None,
        };
        self.key_buf = buf;
        key
    }

    /// The whole program: its delivery part, whose lists it shares, with the tasks,
    /// pipelines, secrets and images added.
    fn into_program(self, source_name: &str) -> Option<ir::Program> {
        let secrets = self
            .secrets
            .iter()
            .map(|(name, (_, description))| ir::SecretDecl {
                name: name.clone(),
                description: description.clone(),
            })
            .collect();
        let images = self
            .images
            .iter()
            .map(|(k, v)| (k.clone(), v.reference.clone()))
            .collect();
        let delivery = self.delivery(source_name);
        Some(ir::Program {
            tasks: self.task_defs,
            pipelines: self.pipelines,
            secrets,
            images,
            ..delivery
        })
    }

    /// Unused declarations; skipped when there are errors, which often hide the use.
    fn unused_warnings(&mut self) {
        use crate::diagnostics::Code;
        if self.diags.iter().any(Diagnostic::is_error) {
            return;
        }
        let unused_secrets: Vec<(String, Span)> = self
            .secrets
            .iter()
            .filter(|(n, _)| !self.used_secrets.contains(*n))
            .map(|(n, (s, _))| (n.clone(), *s))
            .collect();
        for (name, span) in unused_secrets {
            self.diags.push(
                Diagnostic::new(
                    Code::Unused,
                    span,
                    format!("the secret `{name}` is never used"),
                )
                .label("declared here")
                .help("remove the declaration, or use it through `secrets.NAME`"),
            );
        }
        let unused_tasks: Vec<(String, Span)> = self
            .task_items
            .iter()
            .filter(|(k, it)| it.module.is_none() && !self.used_tasks.contains(*k))
            .map(|(k, it)| (k.clone(), it.name_span))
            .collect();
        for (name, span) in unused_tasks {
            self.diags.push(
                Diagnostic::new(
                    Code::Unused,
                    span,
                    format!("the task `{name}` is never used"),
                )
                .label("declared here")
                .help("call it from a job, or remove it"),
            );
        }
    }
}

/// Sorted, deduplicated permission set (helper for tasks and jobs).
pub fn perms(list: impl IntoIterator<Item = ir::Permission>) -> BTreeSet<ir::Permission> {
    list.into_iter().collect()
}
