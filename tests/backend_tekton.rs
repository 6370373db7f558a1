//! Tests of the Tekton backend: the programs in `tests/cases/tekton/` are compiled, the
//! backend's files are rendered and read back as YAML, and the documents are checked against the
//! program: `runAfter` against the job graph, `when` expressions against conditions, parameters,
//! result references, secrets, images and triggers. With `GITOPSC_VALIDATE=1` every case's files
//! also go through `.ci/validate-outputs`, one case at a time (each case is a namespace of its
//! own: two cases may both define a Pipeline `ci`).

mod common;

use gitopsc::backends::tekton::Tekton;
use gitopsc::backends::Backend;
use gitopsc::emit::{render, RenderedFile, Repo};
use gitopsc::ir::{Program, Target};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const CASES: &str = "tests/cases/tekton";

/// One rendered document: the file it is in and its value.
struct Doc {
    path: String,
    value: Value,
}

impl Doc {
    fn kind(&self) -> &str {
        self.value["kind"].as_str().unwrap_or("")
    }
    fn name(&self) -> &str {
        self.value["metadata"]["name"].as_str().unwrap_or("")
    }
}

/// A compiled case: the program and the backend's documents.
struct Case {
    program: Program,
    files: Vec<RenderedFile>,
    docs: Vec<Doc>,
}

impl Case {
    fn load(name: &str) -> Case {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(CASES)
            .join(format!("{name}.gitops"));
        compile(&std::fs::read_to_string(&path).expect("case file"), name)
    }

    fn doc(&self, kind: &str, name: &str) -> &Value {
        match self
            .docs
            .iter()
            .find(|d| d.kind() == kind && d.name() == name)
        {
            Some(d) => &d.value,
            None => panic!("no {kind} named {name}"),
        }
    }

    fn all(&self, kind: &str) -> Vec<&Value> {
        self.docs
            .iter()
            .filter(|d| d.kind() == kind)
            .map(|d| &d.value)
            .collect()
    }

    /// Every step of every Task, with the Task's name.
    fn steps(&self) -> Vec<(String, &Value)> {
        let mut out = Vec::new();
        for t in self.all("Task") {
            let name = t["metadata"]["name"].as_str().unwrap_or("").to_string();
            for s in t["spec"]["steps"].as_array().into_iter().flatten() {
                out.push((name.clone(), s));
            }
        }
        out
    }
}

fn compile(text: &str, label: &str) -> Case {
    let sources = [gitopsc::Source::new("case.gitops", text)];
    let c = gitopsc::check(&sources);
    let Some(program) = c.program else {
        panic!(
            "{label} does not compile:\n{}",
            gitopsc::diagnostics::render(
                &c.diagnostics,
                &c.sources,
                gitopsc::diagnostics::MessageFormat::Human,
                false
            )
        );
    };
    let files = render("case.gitops", &Tekton.emit(&program)).expect("render");
    let docs = docs_of(&files);
    Case {
        program,
        files,
        docs,
    }
}

fn docs_of(files: &[RenderedFile]) -> Vec<Doc> {
    let mut out = Vec::new();
    for f in files {
        assert_eq!(
            f.repo,
            Repo::App,
            "{} is not in the application repository",
            f.path
        );
        for d in serde_yaml::Deserializer::from_str(&f.text) {
            let v: serde_yaml::Value = serde::Deserialize::deserialize(d).expect("YAML");
            let value = serde_json::to_value(v).expect("JSON");
            out.push(Doc {
                path: f.path.clone(),
                value,
            });
        }
    }
    out
}

fn case_names() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(CASES);
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("cases folder")
        .filter_map(|e| {
            let p = e.ok()?.path();
            if p.extension()? != "gitops" {
                return None;
            }
            Some(p.file_stem()?.to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    names
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(String::from))
        .collect()
}

/// The `params` of a PipelineTask (or run) as name -> value.
fn params_of(task: &Value) -> BTreeMap<String, Value> {
    task["params"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or("").to_string(),
                p["value"].clone(),
            )
        })
        .collect()
}

/// Every PipelineTask of a Pipeline, regular and `finally`.
fn pipeline_tasks(p: &Value) -> Vec<&Value> {
    let spec = &p["spec"];
    spec["tasks"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(spec["finally"].as_array().into_iter().flatten())
        .collect()
}

fn pipeline_task<'a>(p: &'a Value, name: &str) -> &'a Value {
    match pipeline_tasks(p).into_iter().find(|t| t["name"] == name) {
        Some(t) => t,
        None => panic!("no pipeline task {name}"),
    }
}

fn task_param<'a>(task: &'a Value, name: &str) -> &'a Value {
    match task["spec"]["params"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == name)
    {
        Some(p) => p,
        None => panic!("no Task param {name}"),
    }
}

fn step<'a>(task: &'a Value, name: &str) -> &'a Value {
    match task["spec"]["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["name"] == name)
    {
        Some(s) => s,
        None => panic!("no step {name}"),
    }
}

fn env_var<'a>(step: &'a Value, name: &str) -> &'a Value {
    match step["env"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["name"] == name)
    {
        Some(e) => e,
        None => panic!("no env {name}"),
    }
}

#[test]
fn every_case_compiles_and_validates() {
    let names = case_names();
    assert!(
        names.len() >= 5,
        "expected at least five cases, found {names:?}"
    );
    let out = std::env::temp_dir().join(format!("gitopsc-tekton-cases-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    for name in &names {
        let case = Case::load(name);
        assert!(!case.files.is_empty(), "{name} generates nothing");
        for f in &case.files {
            let dest = out.join(name).join(&f.path);
            std::fs::create_dir_all(dest.parent().expect("parent")).expect("mkdir");
            std::fs::write(&dest, &f.text).expect("write");
        }
    }
    if std::env::var("GITOPSC_VALIDATE").as_deref() == Ok("1") {
        for name in &names {
            validate(&out.join(name));
        }
    }
    let _ = std::fs::remove_dir_all(&out);
}

fn validate(dir: &PathBuf) {
    let runner = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/validate-outputs");
    let result = std::process::Command::new(runner)
        .arg(dir)
        .output()
        .expect("run .ci/validate-outputs");
    let stdout = String::from_utf8_lossy(&result.stdout);
    println!("{stdout}");
    eprintln!("{}", String::from_utf8_lossy(&result.stderr));
    assert!(
        result.status.success(),
        "validation of {} failed:\n{stdout}",
        dir.display()
    );
    assert!(stdout
        .lines()
        .last()
        .is_some_and(|l| l.ends_with(" 0 failed")));
}

#[test]
fn run_after_equals_needs() {
    for name in case_names() {
        let case = Case::load(&name);
        for pl in case
            .program
            .pipelines
            .iter()
            .filter(|p| p.targets(Target::Tekton))
        {
            let doc = case.doc("Pipeline", &pl.name);
            for job in &pl.jobs {
                let t = pipeline_task(doc, &job.id);
                let run_after: BTreeSet<String> = strings(&t["runAfter"]).into_iter().collect();
                let needs: BTreeSet<String> = job
                    .needs
                    .iter()
                    .map(|j| &pl.jobs[*j])
                    .filter(|j| !j.finally && !job.finally)
                    .map(|j| j.id.clone())
                    .collect();
                assert_eq!(run_after, needs, "{name}: runAfter of {}", job.id);
                // The job graph is recoverable: runAfter plus the tasks whose results it reads.
                let text = serde_json::to_string(t).expect("json");
                for n in &job.needs {
                    let id = &pl.jobs[*n].id;
                    let reads = text.contains(&format!("$(tasks.{id}."));
                    assert!(
                        job.finally || run_after.contains(id) || reads,
                        "{name}: {} loses its need {id}",
                        job.id
                    );
                }
            }
        }
    }
}

#[test]
fn parameters_defaults_results_and_workspaces() {
    let case = Case::load("params_results");
    let build = case.doc("Task", "build");
    assert_eq!(task_param(build, "goals")["default"], "package");
    assert_eq!(task_param(build, "skip-tests")["default"], "false");
    assert_eq!(task_param(build, "threads")["default"], "2");
    assert_eq!(task_param(build, "level")["default"], "info");
    assert!(task_param(build, "svc-path").get("default").is_none());
    for p in build["spec"]["params"].as_array().into_iter().flatten() {
        assert_eq!(p["type"], "string", "Tekton parameters are strings");
    }
    let ws: Vec<&str> = build["spec"]["workspaces"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|w| w["name"].as_str())
        .collect();
    assert_eq!(ws, ["source", "maven-settings", "cache"]);
    assert_eq!(
        build["spec"]["results"][0],
        json!({"name": "version", "type": "string", "description": "the version the build produced"})
    );
    let s = step(build, "build");
    assert_eq!(
        s["workingDir"],
        "$(workspaces.source.path)/$(params.svc-path)"
    );
    assert!(s["script"]
        .as_str()
        .unwrap_or("")
        .contains("mvn -B -T $(params.threads)"));

    let pipeline = case.doc("Pipeline", "ci");
    let t = pipeline_task(pipeline, "build");
    let p = params_of(t);
    assert_eq!(p["goals"], "verify");
    assert_eq!(p["threads"], "4");
    assert_eq!(p["svc-path"], "services/api");
    assert!(
        !p.contains_key("level"),
        "a literal default stays in the Task"
    );
    assert_eq!(p["git-url"], "$(params.git-url)");
    assert_eq!(p["git-revision"], "$(params.git-revision)");
    assert_eq!(
        t["workspaces"],
        json!([
            {"name": "source", "workspace": "source", "subPath": "build"},
            {"name": "maven-settings", "workspace": "maven-settings"},
            {"name": "cache", "workspace": "cache"}
        ])
    );
    let publish = pipeline_task(pipeline, "publish");
    let p = params_of(publish);
    assert_eq!(p["version"], "$(tasks.build.results.version)");
    assert_eq!(p["name"], "api-$(params.git-short-sha)");
    assert_eq!(publish["timeout"], "20m0s");
    let declared: Vec<String> = pipeline["spec"]["params"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str().map(String::from))
        .collect();
    assert_eq!(declared, ["git-url", "git-revision", "git-short-sha"]);

    let run = case.all("PipelineRun");
    assert_eq!(run.len(), 1);
    assert_eq!(run[0]["metadata"]["generateName"], "ci-");
    assert_eq!(run[0]["spec"]["pipelineRef"]["name"], "ci");
    assert_eq!(
        run[0]["spec"]["workspaces"][0]["volumeClaimTemplate"]["spec"],
        json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}})
    );
    assert_eq!(
        run[0]["spec"]["workspaces"][2],
        json!({"name": "cache", "emptyDir": {}})
    );
}

#[test]
fn clone_step_comes_first() {
    let case = Case::load("params_results");
    let build = case.doc("Task", "build");
    let first = &build["spec"]["steps"][0];
    assert_eq!(first["name"], "clone");
    assert_eq!(
        first["image"].as_str(),
        case.program.images.get("git").map(String::as_str)
    );
    let script = first["script"].as_str().unwrap_or("");
    assert!(script.contains("git fetch") && !script.contains("$(params."));
    assert_eq!(env_var(first, "GIT_URL")["value"], "$(params.git-url)");
    assert_eq!(
        env_var(first, "GIT_REVISION")["value"],
        "$(params.git-revision)"
    );
    // A task with `checkout = false` has no clone step and no clone parameters.
    let case = Case::load("guards_finally");
    let deploy = case.doc("Task", "deploy");
    assert_eq!(deploy["spec"]["steps"][0]["name"], "apply");
    assert!(!serde_json::to_string(deploy)
        .expect("json")
        .contains("git-url"));
}

#[test]
fn conditions_become_when_expressions() {
    let case = Case::load("guards_finally");
    let pipeline = case.doc("Pipeline", "release");
    assert_eq!(
        pipeline_task(pipeline, "deploy")["when"],
        json!([
            {"input": "$(tasks.check.results.release)", "operator": "in", "values": ["true"]},
            {"input": "$(params.target)", "operator": "notin", "values": ["none"]}
        ])
    );
    // `smoke` needs `deploy`: when `deploy` is skipped, so is `smoke`, so it carries its guards.
    assert_eq!(
        pipeline_task(pipeline, "smoke")["when"],
        json!([
            {"input": "$(params.dry-run)", "operator": "notin", "values": ["true"]},
            {"input": "$(tasks.check.results.release)", "operator": "in", "values": ["true"]},
            {"input": "$(params.target)", "operator": "notin", "values": ["none"]}
        ])
    );
    let finally = &pipeline["spec"]["finally"];
    assert_eq!(finally.as_array().map(Vec::len), Some(1));
    assert_eq!(finally[0]["name"], "notify");
    assert!(finally[0].get("runAfter").is_none());
    assert_eq!(
        finally[0]["when"],
        json!([{"input": "$(tasks.status)", "operator": "in", "values": ["Failed"]}])
    );
    let p = params_of(&finally[0]);
    assert_eq!(p["text"], "release $(context.pipelineRun.uid) failed");
    // Inputs are Pipeline parameters with their defaults.
    let target = pipeline["spec"]["params"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == "target")
        .cloned()
        .unwrap_or_default();
    assert_eq!(target["default"], "staging");
    // A step condition is a guard at the top of the script reading its operand from env.
    let deploy = case.doc("Task", "deploy");
    let s = step(deploy, "announce");
    let script = s["script"].as_str().unwrap_or("");
    assert!(
        script.starts_with("#!/bin/sh\nset -eu\nif ! { [ \"$GITOPSC_IF_1\" = 'prod' ]; }; then")
    );
    assert_eq!(env_var(s, "GITOPSC_IF_1")["value"], "$(params.target)");
}

#[test]
fn secrets_arrive_only_through_secret_key_refs() {
    let case = Case::load("guards_finally");
    let pipeline = case.doc("Pipeline", "release");
    assert_eq!(
        params_of(pipeline_task(pipeline, "deploy"))["token"],
        "deploy-token"
    );
    assert_eq!(
        params_of(pipeline_task(pipeline, "notify"))["webhook"],
        "slack-webhook"
    );
    let notify = case.doc("Task", "notify");
    assert_eq!(
        env_var(step(notify, "post"), "WEBHOOK")["valueFrom"],
        json!({"secretKeyRef": {"name": "$(params.webhook)", "key": "value"}})
    );
    let apply = step(case.doc("Task", "deploy"), "apply");
    assert_eq!(
        env_var(apply, "TOKEN")["valueFrom"]["secretKeyRef"],
        json!({"name": "$(params.token)", "key": "value"})
    );
    // A value that mixes text and a secret reads the secret through a variable of its own.
    assert_eq!(
        env_var(apply, "AUTH")["value"],
        "Bearer $(GITOPSC_SECRET_TOKEN)"
    );
    assert_eq!(
        env_var(apply, "GITOPSC_SECRET_TOKEN")["valueFrom"]["secretKeyRef"]["name"],
        "$(params.token)"
    );
    for name in case_names() {
        let case = Case::load(&name);
        let secret_params: BTreeSet<String> = case
            .program
            .tasks
            .iter()
            .flat_map(|t| &t.params)
            .filter(|p| p.ty == gitopsc::ir::ParamType::Secret)
            .map(|p| format!("$(params.{})", p.name))
            .collect();
        for (task, s) in case.steps() {
            let script = s["script"].as_str().unwrap_or("");
            for e in s["env"].as_array().into_iter().flatten() {
                if let Some(v) = e["value"].as_str() {
                    assert!(
                        !secret_params.iter().any(|p| v.contains(p.as_str())),
                        "{name}: {task} passes a secret as a plain value"
                    );
                }
                if let Some(r) = e.get("valueFrom") {
                    assert_eq!(r["secretKeyRef"]["key"], "value");
                }
            }
            assert!(!secret_params.iter().any(|p| script.contains(p.as_str())));
        }
    }
}

#[test]
fn step_images_are_pinned_and_scripts_have_an_interpreter() {
    for name in case_names() {
        let case = Case::load(&name);
        for t in case.all("Task") {
            let containers = t["spec"]["steps"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(t["spec"]["sidecars"].as_array().into_iter().flatten());
            for c in containers {
                let image = c["image"].as_str().unwrap_or("");
                let last = image.rsplit('/').next().unwrap_or("");
                assert!(
                    image.contains("@sha256:") || last.contains(':'),
                    "{name}: image {image} has no tag or digest"
                );
                let sc = &c["securityContext"];
                assert_eq!(sc["allowPrivilegeEscalation"], false);
                assert_eq!(sc["privileged"], false);
                if let Some(script) = c["script"].as_str() {
                    assert!(script.starts_with("#!"), "{name}: script without #!");
                }
            }
        }
    }
    let case = Case::load("guards_finally");
    let post = step(case.doc("Task", "notify"), "post");
    assert_eq!(post["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        post["securityContext"]["capabilities"]["drop"],
        json!(["ALL"])
    );
}

#[test]
fn exec_steps_use_command_and_args() {
    let case = Case::load("changed_fanout");
    let push = step(case.doc("Task", "image"), "push");
    assert_eq!(push["command"], json!(["/kaniko/executor"]));
    assert_eq!(
        push["args"],
        json!([
            "--context=dir://$(workspaces.source.path)/$(params.svc-path)",
            "--destination=$(params.svc-image):$(params.tag)",
            "--digest-file=$(results.digest.path)"
        ])
    );
    assert!(push.get("script").is_none());
    assert!(push["securityContext"].get("runAsNonRoot").is_none());
}

#[test]
fn changed_services_fan_out_behind_change_detection() {
    let case = Case::load("changed_fanout");
    let pipeline = case.doc("Pipeline", "ci");
    for svc in ["api", "web", "worker"] {
        for job in ["test", "image"] {
            let t = pipeline_task(pipeline, &format!("{job}-{svc}"));
            assert!(strings(&t["runAfter"]).contains(&"changes".to_string()));
            assert_eq!(
                t["when"],
                json!([{"input": format!("$(tasks.changes.results.{svc})"), "operator": "in", "values": ["true"]}])
            );
            assert_eq!(params_of(t)["svc-path"], format!("services/{svc}"));
        }
    }
    // Only the fields of the service the steps read are passed: `unit` reads the name,
    // `image` does not.
    assert_eq!(
        params_of(pipeline_task(pipeline, "test-api"))["svc-name"],
        "api"
    );
    assert!(!params_of(pipeline_task(pipeline, "image-api")).contains_key("svc-name"));
    let push = params_of(&case.doc("TriggerBinding", "ci-push")["spec"]);
    assert_eq!(push["git-url"], "$(body.repository.clone_url)");
    assert_eq!(
        pipeline_task(pipeline, "test-web")["taskRef"]["name"],
        "unit"
    );
    assert_eq!(
        params_of(pipeline_task(pipeline, "image-api"))["tag"],
        "$(params.git-revision)"
    );
    let detect = case.doc("Task", "detect-changes");
    let results: Vec<&str> = detect["spec"]["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(results, ["changes", "api", "web", "worker"]);
    // Files go under the program's Tekton folder, objects into its namespace.
    for d in &case.docs {
        assert!(d.path.starts_with("ci/tekton/"), "{}", d.path);
        if d.kind() != "ClusterRoleBinding" && d.kind() != "PipelineRun" {
            assert_eq!(
                d.value["metadata"]["namespace"],
                "shop-ci",
                "{} {}",
                d.kind(),
                d.name()
            );
        }
    }
    assert!(case
        .files
        .iter()
        .any(|f| f.path == "ci/tekton/tasks/unit.yaml"));
}

#[test]
fn tasks_are_defined_once() {
    for name in case_names() {
        let case = Case::load(&name);
        let mut seen = BTreeSet::new();
        for d in &case.docs {
            assert!(
                seen.insert((d.kind().to_string(), d.name().to_string())) || d.name().is_empty(),
                "{name}: {} {} is defined twice",
                d.kind(),
                d.name()
            );
        }
    }
    let case = Case::load("changed_fanout");
    let units = case
        .all("Task")
        .into_iter()
        .filter(|t| t["metadata"]["name"] == "unit")
        .count();
    assert_eq!(units, 1);
}

#[test]
fn matrix_axes_fan_tasks_out() {
    let case = Case::load("matrix");
    let pipeline = case.doc("Pipeline", "ci");
    let integration = pipeline_task(pipeline, "integration");
    assert_eq!(
        integration["matrix"]["params"],
        json!([
            {"name": "java", "value": ["17", "21"]},
            {"name": "db", "value": ["postgres", "h2"]}
        ])
    );
    let task = case.doc(
        "Task",
        integration["taskRef"]["name"].as_str().unwrap_or(""),
    );
    let script = step(task, "test")["script"].as_str().unwrap_or("");
    assert!(script.contains("-Djava=$(params.java) -Ddb=$(params.db)"));
    assert_eq!(task["spec"]["sidecars"][0]["name"], "postgres");
    assert_eq!(
        task["spec"]["sidecars"][0]["ports"],
        json!([{"containerPort": 5432}])
    );
    assert_eq!(
        task["spec"]["sidecars"][0]["readinessProbe"]["exec"]["command"],
        json!(["/bin/sh", "-c", "pg_isready"])
    );

    let unit = pipeline_task(pipeline, "unit");
    assert_eq!(
        unit["matrix"]["params"],
        json!([
            {"name": "jdk", "value": ["17", "21"]},
            {"name": "matrix-os", "value": ["linux", "alpine"]}
        ])
    );
    assert!(
        !params_of(unit).contains_key("jdk"),
        "a matrix parameter is not also a param"
    );
    let verify = case.doc("Task", "verify");
    assert_eq!(task_param(verify, "matrix-os")["default"], "");
    // No step reads the axis: the steps see it through the step template.
    assert_eq!(
        verify["spec"]["stepTemplate"]["env"],
        json!([{"name": "GITOPSC_MATRIX_OS", "value": "$(params.matrix-os)"}])
    );

    let flags = pipeline_task(pipeline, "flags");
    assert_eq!(
        flags["matrix"]["include"],
        json!([
            {"name": "java-17", "params": [{"name": "flags", "value": "-Pjava17 -Dtarget=17"}]},
            {"name": "java-21", "params": [{"name": "flags", "value": "-Pjava21 -Dtarget=21"}]}
        ])
    );
    assert_eq!(params_of(flags)["jdk"], "17");
    // The run's timeout covers the 90-minute task.
    let run = case.all("PipelineRun");
    assert_eq!(run[0]["spec"]["timeouts"]["pipeline"], "3h30m0s");
}

#[test]
fn webhooks_become_triggers() {
    let case = Case::load("webhooks");
    let el = case.doc("EventListener", "ci-listener");
    assert_eq!(el["metadata"]["namespace"], "ci");
    assert_eq!(el["spec"]["serviceAccountName"], "ci-triggers");
    let triggers = el["spec"]["triggers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let names: Vec<&str> = triggers.iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(
        names,
        [
            "push",
            "pull-request",
            "tag",
            "webhook-push",
            "webhook-pull-request",
            "webhook-release"
        ]
    );
    let events = [
        "push",
        "pull_request",
        "push",
        "push",
        "pull_request",
        "release",
    ];
    for (t, event) in triggers.iter().zip(events) {
        let github = &t["interceptors"][0];
        assert_eq!(
            github["ref"],
            json!({"name": "github", "kind": "ClusterInterceptor"})
        );
        assert_eq!(
            github["params"],
            json!([
                {"name": "secretRef", "value": {"secretName": "ci-github-webhook", "secretKey": "secret"}},
                {"name": "eventTypes", "value": [event]}
            ])
        );
        assert_eq!(t["interceptors"][1]["ref"]["name"], "cel");
        assert_eq!(t["template"]["ref"], "ci-template");
    }
    let filter = |i: usize| {
        triggers[i]["interceptors"][1]["params"][0]["value"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(
        filter(0),
        "body.ref.startsWith('refs/heads/') && !body.deleted && (body.ref in ['refs/heads/main'] || body.ref.matches('^refs/heads/release/[^/]*$')) && body.ref != 'refs/heads/release/old'"
    );
    assert_eq!(
        filter(1),
        "body.action in ['opened', 'synchronize'] && body.pull_request.base.ref in ['main']"
    );
    assert!(filter(2).starts_with("body.ref.startsWith('refs/tags/')"));
    assert!(filter(2).contains("body.ref.matches('^refs/tags/v[^/]*$')"));
    assert!(filter(3).ends_with("body.ref in ['refs/heads/develop']"));
    assert!(filter(4).ends_with("body.pull_request.base.ref in ['develop']"));
    // Another event reads the commit from its payload when it has one.
    assert_eq!(filter(5), "true");
    let release = params_of(&case.doc("TriggerBinding", "ci-release-event")["spec"]);
    assert_eq!(release["git-revision"], "$(extensions.git_revision)");
    let overlays = &triggers[5]["interceptors"][1]["params"][1]["value"];
    assert_eq!(
        overlays[0],
        json!({"key": "git_revision", "expression": "has(body.after) ? body.after : body.repository.default_branch"})
    );

    let push = params_of(&case.doc("TriggerBinding", "ci-push")["spec"]);
    // Nothing clones the repository, so no run needs its URL.
    assert!(!push.contains_key("git-url"));
    assert_eq!(push["git-revision"], "$(body.after)");
    assert_eq!(push["git-ref"], "$(body.ref)");
    assert_eq!(
        push["event-pull-request-title"],
        "$(extensions.event_pull_request_title)"
    );
    let pr = params_of(&case.doc("TriggerBinding", "ci-pull-request")["spec"]);
    assert_eq!(pr["git-revision"], "$(body.pull_request.head.sha)");
    assert_eq!(pr["git-ref-name"], "$(body.pull_request.head.ref)");

    // Every template parameter is bound by every binding and passed to the run.
    let tt = case.doc("TriggerTemplate", "ci-template");
    let tt_params: BTreeSet<String> = tt["spec"]["params"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str().map(String::from))
        .collect();
    assert_eq!(push.keys().cloned().collect::<BTreeSet<_>>(), tt_params);
    assert_eq!(pr.keys().cloned().collect::<BTreeSet<_>>(), tt_params);
    let run = &tt["spec"]["resourcetemplates"][0];
    assert_eq!(run["kind"], "PipelineRun");
    assert_eq!(run["metadata"]["generateName"], "ci-");
    assert_eq!(run["spec"]["pipelineRef"]["name"], "ci");
    // Runs, from a trigger or by hand, use the pipeline's ServiceAccount.
    assert_eq!(
        run["spec"]["taskRunTemplate"],
        json!({"serviceAccountName": "ci-runner"})
    );
    for example in case.all("PipelineRun") {
        assert_eq!(
            example["spec"]["taskRunTemplate"]["serviceAccountName"],
            "ci-runner"
        );
    }
    assert_eq!(
        params_of(&run["spec"])["git-revision"],
        "$(tt.params.git-revision)"
    );
    assert!(run["spec"]["workspaces"][0]["volumeClaimTemplate"].is_object());

    // Untrusted event text reaches the script only through env.
    let show = step(case.doc("Task", "describe"), "show");
    assert_eq!(env_var(show, "TITLE")["value"], "$(params.title)");
    assert!(!show["script"].as_str().unwrap_or("").contains("$(params."));

    let rbac: Vec<(&str, &str)> = case
        .docs
        .iter()
        .filter(|d| d.path.ends_with("/rbac.yaml"))
        .map(|d| (d.kind(), d.value["roleRef"]["name"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(
        rbac,
        [
            ("ServiceAccount", ""),
            ("RoleBinding", "tekton-triggers-eventlistener-roles"),
            (
                "ClusterRoleBinding",
                "tekton-triggers-eventlistener-clusterroles"
            )
        ]
    );
}

#[test]
fn pipelines_for_other_targets_generate_nothing() {
    let case = compile(
        r#"
project shop { app_repo = "https://github.com/example/shop" }
registry ghcr = ghcr { owner = "example" }
service api { build = go }
task hello { github { step hi { run = "echo hi" } } }
pipeline ci { on push { branches = ["main"] } job hi = hello() }
"#,
        "github only",
    );
    assert!(case.files.is_empty());
}

#[test]
fn pipelines_without_webhooks_have_no_triggers() {
    let case = Case::load("guards_finally");
    assert!(case.all("EventListener").is_empty());
    assert!(case.files.iter().all(|f| !f.path.ends_with("rbac.yaml")));
}

#[test]
fn output_is_deterministic() {
    for name in case_names() {
        let a = Case::load(&name);
        let b = Case::load(&name);
        assert_eq!(a.files, b.files, "{name}");
    }
}

#[test]
fn backend_reads_only_the_ir() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("compiler/src/backends/tekton");
    for entry in std::fs::read_dir(dir).expect("backend folder") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("source");
        for banned in [
            "crate::ast",
            "crate::syntax",
            "crate::sema",
            "pest",
            "serde_yaml",
        ] {
            assert!(
                !text.contains(banned),
                "{} mentions {banned}",
                path.display()
            );
        }
    }
}

/// The names of the parameters a text reads (`$(params.NAME)`, `$(params.NAME[*])`).
fn params_read(text: &str) -> BTreeSet<String> {
    text.split("$(params.")
        .skip(1)
        .filter_map(|rest| {
            let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))?;
            (end > 0 && rest[end..].starts_with([')', '['])).then(|| rest[..end].to_string())
        })
        .collect()
}

fn declared(params: &Value) -> BTreeSet<String> {
    params
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str().map(String::from))
        .collect()
}

fn is_kebab(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The names a PipelineTask gives its Task: `params`, `matrix.params` and `matrix.include`.
fn passed(task: &Value) -> BTreeSet<String> {
    let mut out = declared(&task["params"]);
    out.extend(declared(&task["matrix"]["params"]));
    for inc in task["matrix"]["include"].as_array().into_iter().flatten() {
        out.extend(declared(&inc["params"]));
    }
    out
}

/// In every case and example: a Task declares exactly the parameters its steps read, a Pipeline
/// exactly those its tasks read, a PipelineTask passes only parameters its Task declares and
/// every one without a default, and every name is kebab case.
#[test]
fn parameters_are_declared_exactly_where_they_are_read() {
    let mut tasks_seen = 0;
    for (name, sources) in common::programs(&[]) {
        let c = gitopsc::check(&sources);
        let Some(program) = c.program else {
            panic!("{name} does not compile");
        };
        if !program.pipelines.iter().any(|p| p.targets(Target::Tekton)) {
            continue;
        }
        let files = render("case.gitops", &Tekton.emit(&program)).expect("render");
        let docs = docs_of(&files);
        let tasks: BTreeMap<&str, &Value> = docs
            .iter()
            .filter(|d| d.kind() == "Task")
            .map(|d| (d.name(), &d.value))
            .collect();
        for (task_name, task) in &tasks {
            let spec = &task["spec"];
            let text = format!(
                "{}{}{}",
                spec["steps"], spec["stepTemplate"], spec["sidecars"]
            );
            let params = declared(&spec["params"]);
            assert_eq!(
                params,
                params_read(&text),
                "{name}: Task {task_name} declares other parameters than its steps read"
            );
            assert!(params.iter().all(|p| is_kebab(p)), "{name}: {params:?}");
            tasks_seen += 1;
        }
        for p in docs.iter().filter(|d| d.kind() == "Pipeline") {
            let spec = &p.value["spec"];
            let params = declared(&spec["params"]);
            let text = format!("{}{}", spec["tasks"], spec["finally"]);
            assert_eq!(
                params,
                params_read(&text),
                "{name}: Pipeline {} declares other parameters than its tasks read",
                p.name()
            );
            assert!(params.iter().all(|p| is_kebab(p)), "{name}: {params:?}");
            for t in pipeline_tasks(&p.value) {
                let task = tasks[t["taskRef"]["name"].as_str().unwrap_or("")];
                let given = passed(t);
                let takes = declared(&task["spec"]["params"]);
                assert!(
                    given.is_subset(&takes),
                    "{name}: {} passes {:?}, which its Task does not declare",
                    t["name"],
                    given.difference(&takes).collect::<Vec<_>>()
                );
                for q in task["spec"]["params"].as_array().into_iter().flatten() {
                    let q_name = q["name"].as_str().unwrap_or("");
                    assert!(
                        q.get("default").is_some() || given.contains(q_name),
                        "{name}: {} does not pass {q_name}",
                        t["name"]
                    );
                }
            }
        }
    }
    assert!(tasks_seen >= 20, "only {tasks_seen} Tasks checked");
}

/// A service argument passes only the fields the steps read.
#[test]
fn a_task_takes_only_the_service_fields_it_reads() {
    let case = compile(
        r#"
project shop { app_repo = "https://github.com/example/shop" }
registry ghcr = ghcr { owner = "example" }
service api { path = "services/api" }
task lint {
  param svc: service
  param strict: string = "false"
  checkout = false
  tekton {
    step lint { image = images.git, run = "ls", workdir = svc.path }
  }
}
pipeline ci {
  targets = [tekton]
  on push { branches = ["main"] }
  job lint = lint(api, strict = "true")
}
"#,
        "service fields",
    );
    let task = case.doc("Task", "lint");
    assert_eq!(
        declared(&task["spec"]["params"]),
        BTreeSet::from(["svc-path".to_string()])
    );
    let pipeline = case.doc("Pipeline", "ci");
    let t = pipeline_task(pipeline, "lint");
    assert_eq!(
        params_of(t),
        BTreeMap::from([("svc-path".to_string(), json!("services/api"))])
    );
    assert!(
        pipeline["spec"].get("params").is_none(),
        "nothing reads the commit: {}",
        pipeline["spec"]["params"]
    );
}

/// Parameters and inputs are kebab case on Tekton, where they are declared, passed and read.
#[test]
fn parameter_names_are_kebab_case() {
    let case = Case::load("guards_finally");
    let deploy = case.doc("Task", "deploy");
    assert_eq!(task_param(deploy, "dry-run")["default"], "false");
    assert_eq!(
        env_var(step(deploy, "apply"), "DRY_RUN")["value"],
        "$(params.dry-run)"
    );
    let pipeline = case.doc("Pipeline", "release");
    assert!(declared(&pipeline["spec"]["params"]).contains("dry-run"));
    assert_eq!(
        params_of(pipeline_task(pipeline, "deploy"))["dry-run"],
        "$(params.dry-run)"
    );
    assert_eq!(
        pipeline_task(pipeline, "smoke")["when"][0]["input"],
        "$(params.dry-run)"
    );
    let all: String = case.files.iter().map(|f| f.text.as_str()).collect();
    assert!(!all.contains("dry_run"), "{all}");
}
