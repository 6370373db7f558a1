//! One pipeline compiled to GitHub Actions and to Tekton has the same job DAG: the graph
//! recovered from each engine's files (GitHub `needs`; Tekton `runAfter` plus result
//! references) has exactly the ordering of the IR's DAG.

mod common;

use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

type Graph = BTreeMap<String, BTreeSet<String>>;

fn docs(text: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(text)
        .filter_map(|d| Value::deserialize(d).ok())
        .filter(|v| !v.is_null())
        .collect()
}

/// Every node's set of ancestors (what must finish before it).
fn closure(g: &Graph) -> Graph {
    let mut out = Graph::new();
    for node in g.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&String> = g[node].iter().collect();
        while let Some(n) = stack.pop() {
            if seen.insert(n.clone()) {
                stack.extend(g.get(n).into_iter().flatten());
            }
        }
        out.insert(node.clone(), seen);
    }
    out
}

fn github_graph(workflow: &Value) -> Graph {
    let mut g = Graph::new();
    for (id, job) in workflow["jobs"].as_object().unwrap() {
        let needs: BTreeSet<String> = match &job["needs"] {
            Value::String(s) => [s.clone()].into(),
            Value::Array(a) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => BTreeSet::new(),
        };
        g.insert(id.clone(), needs);
    }
    g
}

fn task_refs(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::String(s) => {
            let mut rest = s.as_str();
            while let Some(i) = rest.find("$(tasks.") {
                let name: String = rest[i + 8..]
                    .chars()
                    .take_while(|c| *c != '.' && *c != ')')
                    .collect();
                out.insert(name);
                rest = &rest[i + 8..];
            }
        }
        Value::Array(a) => a.iter().for_each(|x| task_refs(x, out)),
        Value::Object(m) => m.values().for_each(|x| task_refs(x, out)),
        _ => {}
    }
}

fn tekton_graph(pipeline: &Value) -> (Graph, BTreeSet<String>) {
    let mut g = Graph::new();
    let spec = &pipeline["spec"];
    for t in spec["tasks"].as_array().into_iter().flatten() {
        let name = t["name"].as_str().unwrap().to_string();
        let mut deps: BTreeSet<String> = t["runAfter"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        task_refs(&t["params"], &mut deps);
        task_refs(&t["when"], &mut deps);
        task_refs(&t["matrix"], &mut deps);
        deps.remove(&name);
        g.insert(name, deps);
    }
    let finally = spec["finally"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str().map(str::to_string))
        .collect();
    (g, finally)
}

fn programs() -> Vec<(String, Vec<gitopsc::Source>)> {
    common::programs(&[
        "tests/cases/both",
        "tests/cases/github",
        "tests/cases/tekton",
    ])
}

#[test]
fn github_and_tekton_recover_the_ir_dag() {
    let mut compared = 0;
    for (name, sources) in programs() {
        let c = gitopsc::check(&sources);
        let files = gitopsc::outputs(&c);
        let program = c
            .program
            .as_ref()
            .unwrap_or_else(|| panic!("{name} does not compile"));
        let rendered = gitopsc::emit::render(&name, &files).unwrap();
        for p in &program.pipelines {
            if !(p.targets(gitopsc::ir::Target::Github) && p.targets(gitopsc::ir::Target::Tekton)) {
                continue;
            }
            let ir: Graph = p
                .jobs
                .iter()
                .map(|j| {
                    (
                        j.id.clone(),
                        j.needs.iter().map(|n| p.jobs[*n].id.clone()).collect(),
                    )
                })
                .collect();
            let finally: BTreeSet<String> = p
                .jobs
                .iter()
                .filter(|j| j.finally)
                .map(|j| j.id.clone())
                .collect();
            let wf = rendered
                .iter()
                .find(|f| f.path.ends_with(&format!("/{}.yml", p.name)))
                .expect("workflow");
            let gh = github_graph(&docs(&wf.text)[0]);
            let tk_file = rendered
                .iter()
                .find(|f| f.path.ends_with(&format!("/{}/pipeline.yaml", p.name)))
                .expect("pipeline");
            let tk_doc = docs(&tk_file.text)
                .into_iter()
                .find(|d| d["kind"] == "Pipeline")
                .expect("Pipeline document");
            let (tk, tk_finally) = tekton_graph(&tk_doc);
            assert_eq!(tk_finally, finally, "{name}/{}: finally tasks", p.name);
            // Finally jobs run after everything on both engines; compare the ordinary jobs.
            let strip = |g: &Graph| -> Graph {
                g.iter()
                    .filter(|(k, _)| !finally.contains(*k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            };
            let (ir_c, gh_c, tk_c) = (
                closure(&strip(&ir)),
                closure(&strip(&gh)),
                closure(&strip(&tk)),
            );
            assert_eq!(
                gh_c, ir_c,
                "{name}/{}: GitHub needs differ from the IR DAG",
                p.name
            );
            assert_eq!(
                tk_c, ir_c,
                "{name}/{}: Tekton runAfter and result references differ from the IR DAG",
                p.name
            );
            for (job, deps) in strip(&ir) {
                assert_eq!(gh[&job], deps, "{name}/{}: GitHub needs of {job}", p.name);
            }
            compared += 1;
        }
    }
    assert!(
        compared >= 2,
        "only {compared} pipelines target both engines"
    );
}
