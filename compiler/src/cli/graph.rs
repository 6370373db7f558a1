//! `gitopsc graph`: each pipeline's job graph and the promotion graph, as Mermaid or Graphviz DOT.
//!
//! The drawing is built in two steps: [`model`] turns the IR into a neutral list of clusters
//! (one per pipeline, one for promotion) with nodes and edges, and a renderer spells that list in
//! one of the two languages. Node ids are positional (`p0_j3`, `env_1`) so that no job or
//! environment name can break the syntax of either language; the names appear only in labels.
//! The output depends only on the program, so it is the same on every run.

use crate::ir::{self, Cond, Gate, JobId, MatrixAxis};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// The languages `gitopsc graph` can print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    /// A Mermaid `flowchart LR`, ready to paste into a ```` ```mermaid ```` block.
    Mermaid,
    /// A Graphviz `digraph`, for `dot -Tsvg`.
    Dot,
}

/// Arguments of `gitopsc graph`.
#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    /// `.gitops` files, or folders whose `.gitops` files form one program (default: `.`).
    pub paths: Vec<PathBuf>,
    /// The language of the drawing.
    #[arg(long, value_enum, default_value = "mermaid")]
    pub format: GraphFormat,
    /// Draw only this pipeline (and leave out the promotion graph).
    #[arg(long, value_name = "NAME")]
    pub pipeline: Option<String>,
}

/// Runs the command; returns the exit status.
pub fn run(args: &GraphArgs) -> i32 {
    let sources = match super::read_sources(&args.paths) {
        Ok(s) => s,
        Err(e) => return super::usage(&e),
    };
    let c = crate::check(&sources);
    super::report(&c, crate::diagnostics::MessageFormat::Human);
    let Some(program) = c.program.as_ref().filter(|_| !c.has_errors()) else {
        return 1;
    };
    if let Some(name) = &args.pipeline {
        if !program.pipelines.iter().any(|p| &p.name == name) {
            return super::usage(&unknown_pipeline(program, name));
        }
    }
    print!("{}", render(program, args.format, args.pipeline.as_deref()));
    0
}

fn unknown_pipeline(program: &ir::Program, name: &str) -> String {
    let names: Vec<&str> = program.pipelines.iter().map(|p| p.name.as_str()).collect();
    let mut msg = format!("the program has no pipeline `{name}`");
    match crate::diagnostics::closest(name, names.iter().copied()) {
        Some(best) => msg.push_str(&format!(" (did you mean `{best}`?)")),
        None if !names.is_empty() => msg.push_str(&format!(" (it has {})", names.join(", "))),
        None => {}
    }
    msg
}

/// Every pipeline's job graph and the promotion graph as a Mermaid flowchart.
pub fn mermaid(program: &ir::Program) -> String {
    render(program, GraphFormat::Mermaid, None)
}

/// Every pipeline's job graph and the promotion graph as a Graphviz digraph.
pub fn dot(program: &ir::Program) -> String {
    render(program, GraphFormat::Dot, None)
}

/// The drawing of `program` in `format`; with `only`, just that pipeline.
pub fn render(program: &ir::Program, format: GraphFormat, only: Option<&str>) -> String {
    let model = model(program, only);
    match format {
        GraphFormat::Mermaid => to_mermaid(&model),
        GraphFormat::Dot => to_dot(&model),
    }
}

/// What a node stands for; it decides the shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NodeKind {
    Job,
    /// A job that runs after every other job whatever happened (Tekton `finally`).
    Finally,
    /// A change-detection job other jobs read `changed(…)` from.
    Changes,
    /// A job that runs another pipeline (a reusable workflow).
    Call,
    /// An environment Argo CD syncs by itself.
    AutoEnv,
    /// An environment synced by a person.
    ManualEnv,
}

/// What an edge stands for; it decides the line.
#[derive(Debug, Clone, PartialEq, Eq)]
enum EdgeKind {
    /// The target job needs the source job.
    Needs,
    /// The target job runs only if the change-detection source found its service changed.
    Changed,
    /// The target is a `finally` job that runs after the source whatever happened.
    Finally,
    /// The source job runs the target pipeline.
    Calls,
    /// Promotion without a person.
    AutoGate,
    /// Promotion a person approves; the text names the reviewers, if any.
    ManualGate(String),
}

#[derive(Debug)]
struct Node {
    id: String,
    label: String,
    kind: NodeKind,
}

#[derive(Debug)]
struct Edge {
    from: String,
    to: String,
    kind: EdgeKind,
}

#[derive(Debug)]
struct Cluster {
    id: String,
    label: String,
    nodes: Vec<Node>,
    edges: Vec<Edge>,
}

/// What to draw: clusters, and the edges between them.
#[derive(Debug)]
struct Model {
    clusters: Vec<Cluster>,
    /// From a job that calls a pipeline to that pipeline's cluster, when both are drawn.
    links: Vec<Link>,
}

/// An edge from a node to a whole cluster.
#[derive(Debug)]
struct Link {
    from: String,
    cluster: String,
    /// A node of the cluster, for Graphviz, which draws edges between nodes only.
    first: String,
    kind: EdgeKind,
}

/// The selected pipelines in program order, then promotion; and the pipeline calls between
/// the pipelines drawn.
fn model(program: &ir::Program, only: Option<&str>) -> Model {
    let drawn = |p: &ir::Pipeline| only.is_none_or(|n| p.name == n);
    let mut clusters: Vec<Cluster> = program
        .pipelines
        .iter()
        .enumerate()
        .filter(|(_, p)| drawn(p))
        .map(|(i, p)| pipeline_cluster(i, p))
        .collect();
    let mut links = Vec::new();
    for (i, p) in program
        .pipelines
        .iter()
        .enumerate()
        .filter(|(_, p)| drawn(p))
    {
        for (j, job) in p.jobs.iter().enumerate() {
            let Some(call) = &job.call else { continue };
            let Some(callee) = program.pipelines.get(call.pipeline) else {
                continue;
            };
            if drawn(callee) && !callee.jobs.is_empty() {
                links.push(Link {
                    from: format!("p{i}_j{j}"),
                    cluster: format!("p{}", call.pipeline),
                    first: format!("p{}_j0", call.pipeline),
                    kind: EdgeKind::Calls,
                });
            }
        }
    }
    if only.is_none() && !program.environments.is_empty() {
        clusters.push(promotion_cluster(program));
    }
    Model { clusters, links }
}

fn pipeline_cluster(index: usize, p: &ir::Pipeline) -> Cluster {
    let id = |j: JobId| format!("p{index}_j{j}");
    let detectors: BTreeSet<JobId> = p.jobs.iter().flat_map(change_sources).collect();
    let nodes = p
        .jobs
        .iter()
        .enumerate()
        .map(|(j, job)| Node {
            id: id(j),
            label: job.id.clone(),
            kind: match () {
                _ if job.call.is_some() => NodeKind::Call,
                _ if job.finally => NodeKind::Finally,
                _ if detectors.contains(&j) => NodeKind::Changes,
                _ => NodeKind::Job,
            },
        })
        .collect();
    let edges = job_edges(p)
        .into_iter()
        .map(|(a, b, kind)| Edge {
            from: id(a),
            to: id(b),
            kind,
        })
        .collect();
    Cluster {
        id: format!("p{index}"),
        label: format!("pipeline {}", p.name),
        nodes,
        edges,
    }
}

/// Every edge of a pipeline's job graph, sorted by source and target.
fn job_edges(p: &ir::Pipeline) -> Vec<(JobId, JobId, EdgeKind)> {
    let mut edges = Vec::new();
    for (b, job) in p.jobs.iter().enumerate() {
        let reads = change_sources(job);
        for &a in &job.needs {
            let kind = if reads.contains(&a) {
                EdgeKind::Changed
            } else {
                EdgeKind::Needs
            };
            edges.push((a, b, kind));
        }
    }
    edges.extend(finally_edges(p));
    edges.sort_by_key(|(a, b, _)| (*a, *b));
    edges.dedup_by_key(|(a, b, _)| (*a, *b));
    edges
}

/// Edges from every last job (one no other job needs) to each `finally` job, which runs after
/// them whatever happened.
fn finally_edges(p: &ir::Pipeline) -> Vec<(JobId, JobId, EdgeKind)> {
    let needed: BTreeSet<JobId> = p
        .jobs
        .iter()
        .filter(|j| !j.finally)
        .flat_map(|j| j.needs.iter().copied())
        .collect();
    let last: Vec<JobId> = (0..p.jobs.len())
        .filter(|j| !p.jobs[*j].finally && !needed.contains(j))
        .collect();
    let mut out = Vec::new();
    for (f, job) in p.jobs.iter().enumerate().filter(|(_, j)| j.finally) {
        for &a in last.iter().filter(|a| !job.needs.contains(a)) {
            out.push((a, f, EdgeKind::Finally));
        }
    }
    out
}

/// The change-detection jobs whose results `job` reads (in its condition or matrix).
fn change_sources(job: &ir::Job) -> BTreeSet<JobId> {
    let mut out = BTreeSet::new();
    if let Some(c) = &job.condition {
        cond_sources(c, &mut out);
    }
    for axis in job.matrix.iter().flat_map(|m| m.axes.values()) {
        if let MatrixAxis::Changed { job, .. } = axis {
            out.insert(*job);
        }
    }
    out
}

fn cond_sources(c: &Cond, out: &mut BTreeSet<JobId>) {
    match c {
        Cond::Changed { job, .. } => {
            out.insert(*job);
        }
        Cond::Not(inner) => cond_sources(inner, out),
        Cond::And(cs) | Cond::Or(cs) => cs.iter().for_each(|c| cond_sources(c, out)),
        _ => {}
    }
}

fn promotion_cluster(program: &ir::Program) -> Cluster {
    let id = |e: ir::EnvId| format!("env_{e}");
    let nodes = program
        .environments
        .iter()
        .enumerate()
        .map(|(i, env)| {
            let auto = env.sync.automated.is_some();
            let sync = if auto { "auto" } else { "manual" };
            Node {
                id: id(i),
                label: format!("{} ({sync} sync)", env.name),
                kind: if auto {
                    NodeKind::AutoEnv
                } else {
                    NodeKind::ManualEnv
                },
            }
        })
        .collect();
    let edges = promotion_edges(program)
        .into_iter()
        .map(|(from, to, kind)| Edge {
            from: id(from),
            to: id(to),
            kind,
        })
        .collect();
    Cluster {
        id: "promotion".into(),
        label: "promotion".into(),
        nodes,
        edges,
    }
}

/// Every promotion edge, sorted, with the gate of the environment promoted to.
fn promotion_edges(program: &ir::Program) -> Vec<(ir::EnvId, ir::EnvId, EdgeKind)> {
    let g = &program.promotion;
    let mut pairs: Vec<(ir::EnvId, ir::EnvId)> = g
        .raw_edges()
        .iter()
        .map(|e| (g[e.source()], g[e.target()]))
        .collect();
    pairs.sort();
    pairs.dedup();
    pairs
        .into_iter()
        .map(|(from, to)| {
            let kind = match &program.environments[to].gate {
                Gate::Auto => EdgeKind::AutoGate,
                Gate::Manual { reviewers } => EdgeKind::ManualGate(reviewers.join(", ")),
            };
            (from, to, kind)
        })
        .collect()
}

/// The text on a promotion edge.
fn gate_label(kind: &EdgeKind) -> Option<String> {
    match kind {
        EdgeKind::Needs | EdgeKind::Finally => None,
        EdgeKind::Changed => Some("changed".into()),
        EdgeKind::Calls => Some("calls".into()),
        EdgeKind::AutoGate => Some("auto".into()),
        EdgeKind::ManualGate(r) if r.is_empty() => Some("manual gate".into()),
        EdgeKind::ManualGate(r) => Some(format!("manual gate: {r}")),
    }
}

/// Mermaid text inside `"…"`: quotes and the characters Mermaid reads as markup become entities.
fn mermaid_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '|' => out.push_str("#124;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn mermaid_node(n: &Node) -> String {
    let label = mermaid_text(&n.label);
    match n.kind {
        NodeKind::Job => format!("{}[\"{label}\"]", n.id),
        NodeKind::Finally => format!("{}([\"{label}\"]):::finally", n.id),
        NodeKind::Changes => format!("{}{{{{\"{label}\"}}}}:::changes", n.id),
        NodeKind::Call => format!("{}[[\"{label}\"]]:::call", n.id),
        NodeKind::AutoEnv => format!("{}([\"{label}\"]):::auto", n.id),
        NodeKind::ManualEnv => format!("{}[\"{label}\"]:::manual", n.id),
    }
}

fn mermaid_edge(e: &Edge) -> String {
    let label = gate_label(&e.kind).map(|l| mermaid_text(&l));
    match (&e.kind, label) {
        (EdgeKind::Changed | EdgeKind::Calls, Some(l)) => {
            format!("{} -.->|\"{l}\"| {}", e.from, e.to)
        }
        (EdgeKind::ManualGate(_), Some(l)) => format!("{} ==>|\"{l}\"| {}", e.from, e.to),
        (_, Some(l)) => format!("{} -->|\"{l}\"| {}", e.from, e.to),
        (EdgeKind::Finally, None) => format!("{} -.-> {}", e.from, e.to),
        (_, None) => format!("{} --> {}", e.from, e.to),
    }
}

/// A Mermaid `flowchart LR` with one subgraph per cluster, then the edges between them.
fn to_mermaid(model: &Model) -> String {
    let mut out = String::from("flowchart LR\n");
    for c in &model.clusters {
        out.push_str(&format!(
            "  subgraph {}[\"{}\"]\n",
            c.id,
            mermaid_text(&c.label)
        ));
        for n in &c.nodes {
            out.push_str(&format!("    {}\n", mermaid_node(n)));
        }
        for e in &c.edges {
            out.push_str(&format!("    {}\n", mermaid_edge(e)));
        }
        out.push_str("  end\n");
    }
    for l in &model.links {
        let edge = Edge {
            from: l.from.clone(),
            to: l.cluster.clone(),
            kind: l.kind.clone(),
        };
        out.push_str(&format!("  {}\n", mermaid_edge(&edge)));
    }
    out.push_str("  classDef finally stroke-dasharray: 5 5\n");
    out.push_str("  classDef changes fill:#fff3cd,stroke:#b58900\n");
    out.push_str("  classDef auto fill:#e6f4ea,stroke:#2e7d32\n");
    out.push_str("  classDef manual fill:#fdecea,stroke:#c62828\n");
    out.push_str("  classDef call fill:#e8eaf6,stroke:#3949ab\n");
    out
}

/// DOT text inside `"…"`.
fn dot_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn dot_node(n: &Node) -> String {
    let attrs = match n.kind {
        NodeKind::Job => "shape=box",
        NodeKind::Finally => "shape=box, style=\"rounded,dashed\", xlabel=\"finally\"",
        NodeKind::Changes => "shape=hexagon, style=filled, fillcolor=\"#fff3cd\"",
        NodeKind::Call => "shape=component, style=filled, fillcolor=\"#e8eaf6\"",
        NodeKind::AutoEnv => "shape=ellipse, style=filled, fillcolor=\"#e6f4ea\"",
        NodeKind::ManualEnv => "shape=ellipse, style=filled, fillcolor=\"#fdecea\"",
    };
    format!("{} [label=\"{}\", {attrs}];", n.id, dot_text(&n.label))
}

fn dot_edge(e: &Edge) -> String {
    let mut attrs: Vec<String> = gate_label(&e.kind)
        .map(|l| format!("label=\"{}\"", dot_text(&l)))
        .into_iter()
        .collect();
    match e.kind {
        EdgeKind::Needs | EdgeKind::AutoGate => {}
        EdgeKind::Changed | EdgeKind::Calls => attrs.push("style=dashed".into()),
        EdgeKind::Finally => attrs.push("style=dotted".into()),
        EdgeKind::ManualGate(_) => attrs.push("style=bold, color=\"#c62828\"".into()),
    }
    if attrs.is_empty() {
        format!("{} -> {};", e.from, e.to)
    } else {
        format!("{} -> {} [{}];", e.from, e.to, attrs.join(", "))
    }
}

/// A Graphviz `digraph` with one `cluster_` subgraph per cluster, then the edges between them
/// (to a cluster's first node, clipped at the cluster's border).
fn to_dot(model: &Model) -> String {
    let mut out = String::from("digraph gitops {\n  rankdir=LR;\n  compound=true;\n");
    for c in &model.clusters {
        out.push_str(&format!("  subgraph cluster_{} {{\n", c.id));
        out.push_str(&format!("    label=\"{}\";\n", dot_text(&c.label)));
        for n in &c.nodes {
            out.push_str(&format!("    {}\n", dot_node(n)));
        }
        for e in &c.edges {
            out.push_str(&format!("    {}\n", dot_edge(e)));
        }
        out.push_str("  }\n");
    }
    for l in &model.links {
        let edge = Edge {
            from: l.from.clone(),
            to: l.first.clone(),
            kind: l.kind.clone(),
        };
        let text = dot_edge(&edge);
        // `a -> b [attrs];` becomes `a -> b [lhead=cluster_X, attrs];`.
        let text = match text.strip_suffix("];") {
            Some(head) => {
                head.replacen(" [", &format!(" [lhead=cluster_{}, ", l.cluster), 1) + "];"
            }
            None => text,
        };
        out.push_str(&format!("  {text}\n"));
    }
    out.push_str("}\n");
    out
}
