//! The five examples compile without a diagnostic, and what they emit says what their design
//! documents say: jobs and their order, triggers, matrices, environments and approvals, the sync
//! policy of each environment, overlay namespaces, replicas and images, and rollout steps.
//! Every emitted file is parsed as YAML; facts are read from the parsed documents.

use gitopsc::diagnostics::{render, MessageFormat};
use gitopsc::emit::Repo;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// One compiled example: its program's size and every file it emits, keyed `app/<path>` or
/// `gitops/<path>`.
struct Example {
    name: &'static str,
    program_lines: usize,
    files: BTreeMap<String, String>,
}

fn compile(name: &'static str) -> Example {
    let path = format!(
        "{}/examples/{name}/{name}.gitops",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let source = format!("{name}.gitops");
    let c = gitopsc::check(&[gitopsc::Source::new(source.clone(), text.clone())]);
    let outputs = gitopsc::outputs(&c);
    let shown = render(&c.diagnostics, &c.sources, MessageFormat::Human, false);
    assert!(
        c.diagnostics.is_empty(),
        "{name}: expected no errors and no warnings, got:\n{shown}"
    );
    assert!(c.program.is_some(), "{name}: no program");
    let rendered =
        gitopsc::emit::render(&source, &outputs).unwrap_or_else(|e| panic!("{name}: {e}"));
    let files = rendered
        .into_iter()
        .map(|f| {
            let repo = match f.repo {
                Repo::App => "app",
                Repo::Gitops => "gitops",
            };
            (format!("{repo}/{}", f.path), f.text)
        })
        .collect();
    Example {
        name,
        program_lines: text.lines().count(),
        files,
    }
}

impl Example {
    fn text(&self, path: &str) -> &str {
        self.files.get(path).unwrap_or_else(|| {
            panic!(
                "{}: no file {path}; it emits:\n{}",
                self.name,
                self.files.keys().cloned().collect::<Vec<_>>().join("\n")
            )
        })
    }

    /// Every YAML document of a file.
    fn docs(&self, path: &str) -> Vec<Value> {
        serde_yaml::Deserializer::from_str(self.text(path))
            .map(|d| {
                let v = serde_yaml::Value::deserialize(d)
                    .unwrap_or_else(|e| panic!("{}: {path} is not YAML: {e}", self.name));
                serde_json::to_value(v).expect("YAML maps to JSON")
            })
            .collect()
    }

    /// The only document of a file.
    fn doc(&self, path: &str) -> Value {
        let mut docs = self.docs(path);
        assert_eq!(
            docs.len(),
            1,
            "{}: {path} holds {} documents",
            self.name,
            docs.len()
        );
        docs.remove(0)
    }

    /// The document of this kind and name, in whichever file holds it.
    fn find(&self, kind: &str, name: &str) -> Value {
        let mut found = Vec::new();
        for path in self.files.keys() {
            for d in self.docs(path) {
                if d["kind"] == kind && d["metadata"]["name"] == name {
                    found.push(d);
                }
            }
        }
        assert_eq!(
            found.len(),
            1,
            "{}: {} {kind} named {name}",
            self.name,
            found.len()
        );
        found.remove(0)
    }

    /// Every document of a kind, by name.
    fn all(&self, kind: &str) -> BTreeMap<String, Value> {
        let mut out = BTreeMap::new();
        for path in self.files.keys() {
            for d in self.docs(path) {
                if d["kind"] == kind {
                    out.insert(str_of(&d["metadata"]["name"]), d);
                }
            }
        }
        out
    }

    fn workflow(&self, name: &str) -> Value {
        self.doc(&format!("app/.github/workflows/{name}.yml"))
    }

    fn emitted_lines(&self) -> usize {
        self.files.values().map(|t| t.lines().count()).sum()
    }
}

fn str_of(v: &Value) -> String {
    v.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| v.to_string())
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items.iter().map(str_of).collect(),
        Value::Null => Vec::new(),
        other => vec![str_of(other)],
    }
}

fn job<'a>(wf: &'a Value, id: &str) -> &'a Value {
    let j = &wf["jobs"][id];
    assert!(
        j.is_object(),
        "no job {id}; jobs: {:?}",
        wf["jobs"].as_object().map(|m| m.keys().collect::<Vec<_>>())
    );
    j
}

fn needs(wf: &Value, id: &str) -> Vec<String> {
    strings(&job(wf, id)["needs"])
}

/// The actions a job uses, without their pins.
fn uses(wf: &Value, id: &str) -> Vec<String> {
    job(wf, id)["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["uses"].as_str())
        .map(|u| u.split('@').next().unwrap_or(u).to_string())
        .collect()
}

/// Every `run:` script of a job, joined.
fn scripts(wf: &Value, id: &str) -> String {
    job(wf, id)["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["run"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The step of a job that uses an action.
fn step_using<'a>(wf: &'a Value, id: &str, action: &str) -> &'a Value {
    job(wf, id)["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with(&format!("{action}@")))
        })
        .unwrap_or_else(|| panic!("job {id} does not use {action}"))
}

fn environment(wf: &Value, id: &str) -> Option<String> {
    let e = &job(wf, id)["environment"];
    match e {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(str_of(&other["name"])),
    }
}

/// The tasks of a Tekton Pipeline, by name.
fn pipeline_tasks(p: &Value) -> BTreeMap<String, Value> {
    p["spec"]["tasks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| (str_of(&t["name"]), t.clone()))
        .collect()
}

fn task_param(t: &Value, name: &str) -> String {
    t["params"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == name)
        .map(|p| str_of(&p["value"]))
        .unwrap_or_default()
}

fn when_inputs(t: &Value) -> Vec<(String, Vec<String>)> {
    t["when"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|w| (str_of(&w["input"]), strings(&w["values"])))
        .collect()
}

fn assert_compact(e: &Example) {
    let emitted = e.emitted_lines();
    assert!(
        e.program_lines * 5 <= emitted,
        "{}: the program has {} lines, more than a fifth of the {emitted} lines it emits",
        e.name,
        e.program_lines
    );
}

const ECOTRACK_SERVICES: [&str; 5] = [
    "user-service",
    "tracking-service",
    "analytics-service",
    "notification-service",
    "reporting-service",
];

#[test]
fn ecotrack_tekton_pipeline_triggers_and_argo_cd() {
    let e = compile("ecotrack");
    let p = e.doc("app/.tekton/java-microservice-pipeline/pipeline.yaml");
    assert_eq!(p["apiVersion"], "tekton.dev/v1");
    assert_eq!(p["kind"], "Pipeline");
    assert_eq!(p["metadata"]["namespace"], "ecotrack-ci");

    // Workspaces: the checkout, the Maven cache and the GitOps clone.
    let workspaces = p["spec"]["workspaces"].as_array().unwrap();
    for w in ["source", "cache", "gitops"] {
        assert!(workspaces.iter().any(|x| x["name"] == w), "workspace {w}");
    }

    // clone -> build -> unit tests -> security scan -> image -> GitOps update, per service.
    let tasks = pipeline_tasks(&p);
    assert!(tasks.contains_key("changes"), "change detection task");
    for s in ECOTRACK_SERVICES {
        let after = |t: &str| strings(&tasks[&format!("{t}-{s}")]["runAfter"]);
        assert!(after("build").contains(&"changes".to_string()));
        assert!(after("unit-test").contains(&format!("build-{s}")));
        assert!(after("security-scan").contains(&format!("unit-test-{s}")));
        assert!(after("container-build").contains(&format!("security-scan-{s}")));
        assert!(after("gitops-update").contains(&format!("container-build-{s}")));
        assert_eq!(
            tasks[&format!("build-{s}")]["taskRef"]["name"],
            "maven-build"
        );
        assert_eq!(
            tasks[&format!("container-build-{s}")]["taskRef"]["name"],
            "image-push-ecr"
        );
        // The digest kaniko pushed flows into the GitOps update as a result.
        assert_eq!(
            task_param(&tasks[&format!("gitops-update-{s}")], "digest"),
            format!("$(tasks.container-build-{s}.results.digest)")
        );
        // when guards: only changed services run, and only main is deployed.
        let guards = when_inputs(&tasks[&format!("gitops-update-{s}")]);
        assert!(guards.contains(&(format!("$(tasks.changes.results.{s})"), vec!["true".into()])));
        assert!(guards
            .iter()
            .any(|(_, v)| v == &vec!["refs/heads/main".to_string()]));
    }
    let finally: Vec<String> = p["spec"]["finally"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| str_of(&t["taskRef"]["name"]))
        .collect();
    assert_eq!(finally, ["notify-slack"]);

    // The image task: kaniko writes the digest result.
    let push = e.find("Task", "image-push-ecr");
    assert!(push["spec"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["name"] == "digest"));
    let kaniko = push["spec"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| str_of(&s["image"]).starts_with("gcr.io/kaniko-project/executor:v1.24.0@sha256:"))
        .expect("a kaniko step");
    assert!(strings(&kaniko["args"]).contains(&"--digest-file=$(results.digest.path)".to_string()));
    let scan = e.find("Task", "scan-trivy-image");
    assert!(scan["spec"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| str_of(&s["image"]).starts_with("docker.io/aquasec/trivy:")));

    // GitHub webhooks: push, pull_request and release.
    let listener = e.find("EventListener", "java-microservice-pipeline-listener");
    let events: Vec<String> = listener["spec"]["triggers"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["interceptors"].as_array().cloned().unwrap_or_default())
        .flat_map(|i| i["params"].as_array().cloned().unwrap_or_default())
        .filter(|p| p["name"] == "eventTypes")
        .flat_map(|p| strings(&p["value"]))
        .collect();
    for ev in ["push", "pull_request", "release"] {
        assert!(events.contains(&ev.to_string()), "event {ev} in {events:?}");
    }
    let template = e.find("TriggerTemplate", "java-microservice-pipeline-template");
    assert_eq!(
        template["spec"]["resourcetemplates"][0]["spec"]["pipelineRef"]["name"],
        "java-microservice-pipeline"
    );
    // A release tag promotes to staging, then prod, through pull requests people merge.
    let release = e.doc("app/.tekton/release/pipeline.yaml");
    let promote = pipeline_tasks(&release);
    for s in ECOTRACK_SERVICES {
        for env in ["staging", "prod"] {
            let t = &promote[&format!("to-{env}-{s}")];
            assert_eq!(task_param(t, "via"), "pull_request");
            assert_eq!(task_param(t, "auto-merge"), "false");
            assert_eq!(task_param(t, "env-name"), env);
        }
        assert!(strings(&promote[&format!("to-prod-{s}")]["runAfter"])
            .contains(&format!("to-staging-{s}")));
    }

    // Argo CD: one AppProject with the prod sync windows, one ApplicationSet per environment.
    let project = e.find("AppProject", "ecotrack");
    let windows = project["spec"]["syncWindows"].as_array().unwrap();
    assert!(windows
        .iter()
        .any(|w| w["kind"] == "allow" && w["schedule"] == "0 9 * * 1-4" && w["duration"] == "6h"));
    assert!(windows
        .iter()
        .any(|w| w["kind"] == "deny" && w["schedule"] == "0 0 * * 6"));
    assert!(strings(&windows[0]["applications"]).contains(&"user-service-prod".to_string()));
    let sets = e.all("ApplicationSet");
    assert_eq!(
        sets.keys().cloned().collect::<Vec<_>>(),
        ["ecotrack-dev", "ecotrack-prod", "ecotrack-staging"]
    );
    let wave = |env: &str| {
        str_of(
            &sets[&format!("ecotrack-{env}")]["metadata"]["annotations"]
                ["argocd.argoproj.io/sync-wave"],
        )
    };
    assert_eq!(
        (wave("dev"), wave("staging"), wave("prod")),
        ("0".into(), "1".into(), "2".into())
    );
    let policy = |env: &str| {
        sets[&format!("ecotrack-{env}")]["spec"]["template"]["spec"]["syncPolicy"].clone()
    };
    assert_eq!(policy("dev")["automated"]["selfHeal"], true);
    assert_eq!(policy("dev")["automated"]["prune"], true);
    assert_eq!(policy("dev")["retry"]["limit"], 5);
    assert!(policy("prod")["automated"].is_null(), "prod syncs by hand");
    let elements = sets["ecotrack-dev"]["spec"]["generators"][0]["list"]["elements"]
        .as_array()
        .unwrap();
    assert_eq!(elements.len(), 5);
    assert_eq!(
        sets["ecotrack-dev"]["spec"]["template"]["spec"]["source"]["repoURL"],
        "https://github.com/ecotrack/ecotrack-manifests"
    );

    // Kustomize overlays dev/staging/prod.
    for (env, ns, replicas) in [
        ("dev", "ecotrack-dev", 1),
        ("staging", "ecotrack-staging", 2),
        ("prod", "ecotrack-prod", 3),
    ] {
        let k = e.doc(&format!(
            "gitops/k8s/overlays/{env}/user-service/kustomization.yaml"
        ));
        assert_eq!(k["namespace"], ns);
        assert_eq!(k["replicas"][0]["count"], replicas, "{env} replicas");
        assert_eq!(
            k["images"][0]["name"],
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/user-service"
        );
    }
}

#[test]
fn devpipeline_workflows_overlays_and_canary() {
    let e = compile("devpipeline");
    let ci = e.workflow("ci-cd-pipeline");
    assert_eq!(strings(&ci["on"]["push"]["branches"]), ["main"]);
    assert_eq!(strings(&ci["on"]["pull_request"]["branches"]), ["main"]);

    // Unit tests as a language matrix that does not stop at the first failure.
    let unit = job(&ci, "unit-tests");
    assert_eq!(unit["strategy"]["fail-fast"], false);
    let langs: Vec<String> = unit["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| str_of(&r["language"]))
        .collect();
    assert_eq!(langs, ["node", "python"]);
    // Integration tests with service containers.
    assert_eq!(needs(&ci, "integration-tests"), ["unit-tests"]);
    let services = &job(&ci, "integration-tests")["services"];
    assert!(str_of(&services["postgres"]["image"])
        .starts_with("docker.io/library/postgres:15-alpine@sha256:"));
    assert!(
        str_of(&services["redis"]["image"]).starts_with("docker.io/library/redis:7-alpine@sha256:")
    );
    // Security: CodeQL per language, secret scanners, Trivy.
    assert_eq!(
        strings(&job(&ci, "codeql")["strategy"]["matrix"]["language"]),
        ["javascript-typescript", "python"]
    );
    assert_eq!(
        job(&ci, "codeql")["permissions"]["security-events"],
        "write"
    );
    assert!(uses(&ci, "gitleaks").contains(&"gitleaks/gitleaks-action".to_string()));
    assert!(uses(&ci, "trufflehog").contains(&"trufflesecurity/trufflehog".to_string()));
    assert!(uses(&ci, "trivy-fs").contains(&"aquasecurity/trivy-action".to_string()));
    // Code quality.
    assert!(scripts(&ci, "lint-api").contains("black --check"));
    assert!(scripts(&ci, "lint-web").contains("npm run lint"));
    for svc in ["web", "api"] {
        // Multi-arch image after the container scan, on main only.
        let image = format!("image-{svc}");
        assert!(needs(&ci, &image).contains(&format!("container-scan-{svc}")));
        assert_eq!(job(&ci, &image)["if"], "github.ref == 'refs/heads/main'");
        assert!(uses(&ci, &image).contains(&"docker/setup-qemu-action".to_string()));
        let push = step_using(&ci, &image, "docker/build-push-action");
        assert_eq!(push["with"]["platforms"], "linux/amd64,linux/arm64");
        assert!(uses(&ci, &format!("container-scan-{svc}"))
            .contains(&"aquasecurity/trivy-action".to_string()));
        // The GitOps deploy is gated by the dev environment.
        let deploy = format!("deploy-{svc}");
        assert_eq!(environment(&ci, &deploy).as_deref(), Some("dev"));
        assert!(needs(&ci, &deploy).contains(&image));
    }

    // The dispatch-driven promotion workflow.
    let promote = e.workflow("promote");
    let inputs = &promote["on"]["workflow_dispatch"]["inputs"];
    assert_eq!(
        strings(&inputs["target"]["options"]),
        ["staging", "canary", "prod"]
    );
    assert_eq!(inputs["tag"]["required"], true);
    for (env, svc) in [("staging", "web"), ("canary", "api"), ("prod", "web")] {
        let id = format!("to-{env}-{svc}");
        assert_eq!(environment(&promote, &id).as_deref(), Some(env));
        assert!(needs(&promote, &id).contains(&"slo-check".to_string()));
    }
    // The error-budget watch: a CronJob every five minutes in production only, one run at a
    // time, on the API image at the tag prod deploys, with its credentials from Secrets.
    assert!(!e
        .files
        .contains_key("app/.github/workflows/error-budget.yml"));
    let budget = e.doc("gitops/k8s/overlays/prod/api/cronjob-error-budget.yaml");
    assert_eq!(budget["kind"], "CronJob");
    assert_eq!(budget["spec"]["schedule"], "*/5 * * * *");
    assert_eq!(budget["spec"]["concurrencyPolicy"], "Forbid");
    let pod = &budget["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    let container = &pod["containers"][0];
    assert_eq!(container["image"], "ghcr.io/example/api");
    assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
    let secret_of = |name: &str| {
        container["env"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name)
            .map(|v| str_of(&v["valueFrom"]["secretKeyRef"]["name"]))
    };
    assert_eq!(secret_of("GITOPS_TOKEN").as_deref(), Some("gitops-token"));
    assert_eq!(secret_of("SLACK_WEBHOOK").as_deref(), Some("slack-webhook"));
    let prod_api = e.doc("gitops/k8s/overlays/prod/api/kustomization.yaml");
    assert_eq!(prod_api["namespace"], "production");
    assert!(strings(&prod_api["resources"]).contains(&"cronjob-error-budget.yaml".to_string()));
    assert_eq!(prod_api["images"][0]["name"], "ghcr.io/example/api");
    for env in ["dev", "staging", "canary"] {
        let dir = format!("gitops/k8s/overlays/{env}/api");
        assert!(!e
            .files
            .contains_key(&format!("{dir}/cronjob-error-budget.yaml")));
        let k = e.doc(&format!("{dir}/kustomization.yaml"));
        assert!(!strings(&k["resources"])
            .iter()
            .any(|r| r.starts_with("cronjob-")));
    }

    // Four Argo CD Applications, all automated with pruning and self-healing.
    let apps = e.all("Application");
    assert_eq!(
        apps.keys().cloned().collect::<Vec<_>>(),
        ["app-canary", "app-dev", "app-prod", "app-staging"]
    );
    for app in apps.values() {
        assert_eq!(app["spec"]["syncPolicy"]["automated"]["prune"], true);
        assert_eq!(app["spec"]["syncPolicy"]["automated"]["selfHeal"], true);
    }
    assert_eq!(
        apps["app-canary"]["spec"]["destination"]["namespace"],
        "production"
    );

    // Kustomize: base plus dev/staging/canary/prod overlays.
    assert!(e.files.contains_key("gitops/k8s/base/web/deployment.yaml"));
    for (env, ns, replicas) in [
        ("dev", "dev", Some(1)),
        ("staging", "staging", Some(2)),
        ("prod", "production", Some(3)),
        ("canary", "production", None),
    ] {
        let k = e.doc(&format!("gitops/k8s/overlays/{env}/web/kustomization.yaml"));
        assert_eq!(k["namespace"], ns, "{env} namespace");
        if let Some(n) = replicas {
            assert_eq!(k["replicas"][0]["count"], n, "{env} replicas");
        }
    }
    let canary = e.doc("gitops/k8s/overlays/canary/web/kustomization.yaml");
    assert_eq!(canary["namePrefix"], "canary-");

    // The canary Rollout: 10 -> 25 -> 50 -> 75 -> 100 on Istio, with Prometheus analysis.
    let rollout = e.doc("gitops/k8s/overlays/canary/web/rollout.yaml");
    let steps = rollout["spec"]["strategy"]["canary"]["steps"]
        .as_array()
        .unwrap();
    let weights: Vec<i64> = steps
        .iter()
        .filter_map(|s| s["setWeight"].as_i64())
        .collect();
    assert_eq!(weights, [10, 25, 50, 75, 100]);
    let pauses = steps
        .iter()
        .filter(|s| s["pause"]["duration"] == "6h")
        .count();
    assert_eq!(pauses, 4, "24 hours of pauses before 100%");
    assert_eq!(
        rollout["spec"]["strategy"]["canary"]["trafficRouting"]["istio"]["virtualService"]["name"],
        "web"
    );
    assert_eq!(
        rollout["spec"]["strategy"]["canary"]["analysis"]["templates"][0]["templateName"],
        "web-success-rate"
    );
    let analysis = e.doc("gitops/k8s/overlays/canary/web/analysis-template.yaml");
    let metric = &analysis["spec"]["metrics"][0];
    assert_eq!(metric["interval"], "30s");
    assert_eq!(metric["successCondition"], "result[0] >= 0.99");
    assert_eq!(
        metric["provider"]["prometheus"]["address"],
        "http://prometheus.monitoring.svc:9090"
    );
}

const RETAIL_SERVICES: [&str; 5] = ["ui", "cart", "catalog", "checkout", "orders"];

#[test]
fn retail_store_change_detection_ecr_and_helm_values() {
    let e = compile("retail-store");
    let wf = e.workflow("deploy");
    assert_eq!(strings(&wf["on"]["push"]["branches"]), ["main"]);
    assert_eq!(strings(&wf["on"]["push"]["paths"]), ["src/**"]);

    // Change detection over the five service folders.
    let filter = step_using(&wf, "changes", "dorny/paths-filter");
    let filters = str_of(&filter["with"]["filters"]);
    for s in RETAIL_SERVICES {
        assert!(
            filters.contains(&format!("{s}:\n  - 'src/{s}/**'")),
            "filter of {s}"
        );
    }
    // One matrix job over the changed services, fail-fast off: one leg's failure stops no other.
    let build = job(&wf, "build");
    assert_eq!(needs(&wf, "build"), ["changes"]);
    assert_eq!(
        build["strategy"]["matrix"]["svc"],
        "${{ fromJSON(needs.changes.outputs.changes) }}"
    );
    assert_eq!(build["strategy"]["fail-fast"], false);
    assert_eq!(build["if"], "needs.changes.outputs.changes != '[]'");
    assert_eq!(
        job(&wf, "changes")["outputs"]["changes"],
        "${{ steps.filter.outputs.changes }}"
    );
    // ECR through OIDC, the repository created on demand, named after the matrix's service.
    assert_eq!(build["permissions"]["id-token"], "write");
    let aws = step_using(&wf, "build", "aws-actions/configure-aws-credentials");
    assert_eq!(
        aws["with"]["role-to-assume"],
        "arn:aws:iam::123456789012:role/retail-store-github-actions"
    );
    assert_eq!(aws["with"]["aws-region"], "us-west-2");
    assert!(uses(&wf, "build").contains(&"aws-actions/amazon-ecr-login".to_string()));
    assert!(scripts(&wf, "build")
        .contains("aws ecr create-repository --repository-name \"retail-store-${MATRIX_SVC}\""));
    // SHA and latest tags, built from the service's folder.
    let push = step_using(&wf, "build", "docker/build-push-action");
    assert_eq!(push["with"]["context"], "src/${{ matrix.svc }}");
    let tags: Vec<String> = str_of(&push["with"]["tags"])
        .lines()
        .map(|l| l.trim().to_string())
        .collect();
    let repo = "123456789012.dkr.ecr.us-west-2.amazonaws.com/retail-store-${{ matrix.svc }}";
    assert!(
        tags.contains(&format!("{repo}:${{{{ github.sha }}}}")),
        "{tags:?}"
    );
    assert!(tags.contains(&format!("{repo}:latest")), "{tags:?}");
    // The Helm values update, a matrix over the same services after the builds, committed back
    // with [skip ci]; the file path is read between quotes where the script single-quotes it.
    let update = job(&wf, "update");
    assert!(needs(&wf, "update").contains(&"build".to_string()));
    assert_eq!(update["strategy"]["fail-fast"], false);
    let script = scripts(&wf, "update");
    assert!(script.contains("'src/'\"${MATRIX_SVC}\"'/chart/values.yaml'"));
    assert!(script.contains(".image.tag = strenv(TAG)"));
    assert!(script.contains("[skip ci]"));
    assert_eq!(update["permissions"]["contents"], "write");
    // Pull requests build and scan the changed services without pushing.
    let pr = e.workflow("pr-build");
    assert_eq!(strings(&pr["on"]["pull_request"]["branches"]), ["main"]);
    assert_eq!(
        step_using(&pr, "build", "docker/build-push-action")["with"]["push"],
        "false"
    );
    assert_eq!(job(&pr, "build")["strategy"]["fail-fast"], false);
    assert_eq!(
        job(&pr, "build")["strategy"]["matrix"]["svc"],
        "${{ fromJSON(needs.changes.outputs.changes) }}"
    );

    // Argo CD: one Application per service from its chart, under one AppProject.
    let project = e.find("AppProject", "retail-store");
    assert!(strings(&project["spec"]["sourceRepos"])
        .contains(&"https://github.com/aws-containers/retail-store-sample-app".to_string()));
    let apps = e.all("Application");
    assert_eq!(apps.len(), 5);
    for s in RETAIL_SERVICES {
        let app = &apps[&format!("{s}-prod")];
        assert_eq!(app["spec"]["project"], "retail-store");
        assert_eq!(app["spec"]["source"]["path"], format!("src/{s}/chart"));
        assert_eq!(
            strings(&app["spec"]["source"]["helm"]["valueFiles"]),
            ["values.yaml"]
        );
        assert_eq!(app["spec"]["destination"]["namespace"], "retail-store");
        assert_eq!(app["spec"]["syncPolicy"]["automated"]["selfHeal"], true);
    }
}

#[test]
fn blueprint_pr_checks_promotions_and_blue_green() {
    let e = compile("blueprint");
    let names = |wf: &Value| -> Vec<String> {
        wf["jobs"]
            .as_object()
            .unwrap()
            .values()
            .map(|j| str_of(&j["name"]))
            .collect()
    };
    // PR validation and the GitOps checks carry the same required check names.
    let pr = e.workflow("pr-validation");
    assert_eq!(
        strings(&pr["on"]["pull_request"]["paths"]),
        ["backend/**", "frontend/**"]
    );
    assert_eq!(
        names(&pr),
        ["Backend Tests & SonarQube", "Frontend Tests & SonarQube"]
    );
    assert!(uses(&pr, "backend-tests").contains(&"SonarSource/sonarqube-scan-action".to_string()));
    let checks = e.workflow("gitops-checks");
    assert_eq!(
        strings(&checks["on"]["pull_request"]["paths"]),
        ["infra/k8s/overlays/**"]
    );
    let check_names = names(&checks);
    for n in names(&pr) {
        assert!(check_names.contains(&n), "{n} in gitops-checks");
    }
    assert!(check_names.contains(&"Validate Kustomization".to_string()));
    assert!(scripts(&checks, "validate").contains("kubectl kustomize"));

    // Dev: tests again, build and scan, push, then a self-merging PR to the dev overlay.
    let dev = e.workflow("ci-dev");
    assert_eq!(strings(&dev["on"]["push"]["branches"]), ["main"]);
    for s in ["backend", "frontend"] {
        assert_eq!(
            needs(&dev, &format!("scan-{s}")),
            ["backend-tests", "frontend-tests"]
        );
        assert_eq!(needs(&dev, &format!("image-{s}")), [format!("scan-{s}")]);
        let gitops = format!("gitops-{s}");
        assert_eq!(environment(&dev, &gitops).as_deref(), Some("dev"));
        let script = scripts(&dev, &gitops);
        assert!(script.contains(&format!("infra/k8s/overlays/dev/{s}")));
        assert!(script.contains("gh pr create"));
        assert!(script.contains("gh pr merge"));
    }

    // Staging: typed inputs, one run at a time, preview, e2e and load tests, approval.
    let staging = e.workflow("ci-staging");
    let inputs = &staging["on"]["workflow_dispatch"]["inputs"];
    assert_eq!(inputs["image_tag"]["type"], "string");
    assert_eq!(inputs["image_tag"]["required"], true);
    assert_eq!(inputs["load_tests"]["type"], "boolean");
    assert_eq!(staging["concurrency"]["group"], "deploy-staging");
    assert_eq!(staging["concurrency"]["cancel-in-progress"], false);
    assert_eq!(needs(&staging, "e2e-tests"), ["preview"]);
    assert_eq!(job(&staging, "load-tests")["if"], "inputs.load_tests");
    for s in ["backend", "frontend"] {
        let id = format!("promote-{s}");
        assert_eq!(environment(&staging, &id).as_deref(), Some("staging"));
        assert_eq!(needs(&staging, &id), ["e2e-tests", "load-tests"]);
    }
    assert_eq!(job(&staging, "cleanup")["if"], "always()");

    // Prod: a required tag, a reviewed PR, approval before promotion, monitoring, rollback.
    let prod = e.workflow("ci-prod");
    assert_eq!(
        prod["on"]["workflow_dispatch"]["inputs"]["image_tag"]["required"],
        true
    );
    for s in ["backend", "frontend"] {
        assert_eq!(
            environment(&prod, &format!("deploy-{s}")).as_deref(),
            Some("prod")
        );
        assert!(
            !scripts(&prod, &format!("deploy-{s}")).contains("gh pr merge"),
            "prod PRs are merged by people"
        );
        assert_eq!(
            environment(&prod, &format!("promote-{s}")).as_deref(),
            Some("prod")
        );
        assert!(scripts(&prod, &format!("promote-{s}")).contains("promote-full"));
        let rollback = format!("rollback-{s}");
        assert!(needs(&prod, &rollback).contains(&"monitor".to_string()));
        assert!(str_of(&job(&prod, &rollback)["if"]).contains("needs.monitor.result == 'failure'"));
    }
    assert!(needs(&prod, "monitor").contains(&"promote-backend".to_string()));

    // Argo CD: one Application per environment; prod does not self-heal.
    let apps = e.all("Application");
    assert_eq!(
        apps.keys().cloned().collect::<Vec<_>>(),
        ["ai-incident-dev", "ai-incident-prod", "ai-incident-staging"]
    );
    assert_eq!(
        apps["ai-incident-dev"]["spec"]["syncPolicy"]["automated"]["selfHeal"],
        true
    );
    assert_eq!(
        apps["ai-incident-prod"]["spec"]["syncPolicy"]["automated"]["selfHeal"],
        false
    );
    assert_eq!(
        apps["ai-incident-prod"]["spec"]["syncPolicy"]["automated"]["prune"],
        true
    );
    assert_eq!(
        apps["ai-incident-staging"]["spec"]["source"]["path"],
        "infra/k8s/overlays/staging"
    );

    // Overlays, with the blue-green Rollout in prod.
    for env in ["dev", "staging", "prod"] {
        let k = e.doc(&format!(
            "gitops/infra/k8s/overlays/{env}/backend/kustomization.yaml"
        ));
        assert_eq!(k["namespace"], env);
        assert_eq!(k["images"][0]["name"], "ghcr.io/0019-kdu/backend");
    }
    let rollout = e.doc("gitops/infra/k8s/overlays/prod/backend/rollout.yaml");
    let bg = &rollout["spec"]["strategy"]["blueGreen"];
    assert_eq!(bg["autoPromotionEnabled"], false);
    assert_eq!(bg["activeService"], "backend");
    assert_eq!(bg["previewService"], "backend-preview");
    assert_eq!(rollout["spec"]["replicas"], 3);
}

const CRAFTISTA: [(&str, &str); 4] = [
    ("frontend", "actions/setup-node"),
    ("catalogue", "actions/setup-python"),
    ("voting", "actions/setup-java"),
    ("recommendation", "actions/setup-go"),
];

#[test]
fn craftista_per_service_workflows_database_tests_and_twelve_apps() {
    let e = compile("craftista");
    for (svc, setup) in CRAFTISTA {
        let wf = e.workflow(&format!("{svc}-ci"));
        assert_eq!(strings(&wf["on"]["push"]["paths"]), [format!("{svc}/**")]);
        assert!(
            uses(&wf, "test").contains(&setup.to_string()),
            "{svc} uses {setup}"
        );
        assert!(uses(&wf, "sast").contains(&"SonarSource/sonarqube-scan-action".to_string()));
        assert!(needs(&wf, "image-scan").contains(&"sca".to_string()));
        // Docker Hub, tagged with the commit and the branch, after the image scan, on main.
        assert_eq!(needs(&wf, "push"), ["image-scan"]);
        assert_eq!(job(&wf, "push")["if"], "github.ref == 'refs/heads/main'");
        assert!(uses(&wf, "push").contains(&"docker/login-action".to_string()));
        let tags = str_of(&step_using(&wf, "push", "docker/build-push-action")["with"]["tags"]);
        assert!(tags.contains(&format!(
            "docker.io/charliepoker/craftista-{svc}:${{{{ github.sha }}}}"
        )));
        assert!(tags.contains(&format!("docker.io/charliepoker/craftista-{svc}:main")));
        // The shared GitOps update, called once the push succeeded: its input and its secret,
        // passed by name, and the permissions its jobs request.
        let update = job(&wf, "update-gitops");
        assert_eq!(update["uses"], "$/.github/workflows/update-gitops.yml");
        assert_eq!(update["with"], serde_json::json!({ "service": svc }));
        assert_eq!(
            update["secrets"],
            serde_json::json!({ "GITOPS_TOKEN": "${{ secrets.GITOPS_TOKEN }}" })
        );
        assert_eq!(needs(&wf, "update-gitops"), ["push"]);
        assert_eq!(
            update["if"],
            "!cancelled() && needs.push.result == 'success'"
        );
        assert_eq!(update["permissions"]["contents"], "write");
        assert!(update["runs-on"].is_null() && update["steps"].is_null());
    }
    // The reusable workflow: the dev overlay of the separate GitOps repository.
    let shared = e.workflow("update-gitops");
    let call = &shared["on"]["workflow_call"];
    assert_eq!(call["inputs"]["service"]["required"], true);
    assert_eq!(call["secrets"]["GITOPS_TOKEN"]["required"], true);
    assert!(shared["on"]["push"].is_null());
    for (svc, _) in CRAFTISTA {
        let id = format!("update-{svc}");
        assert_eq!(
            job(&shared, &id)["if"],
            format!("inputs.service == '{svc}'")
        );
        let checkout = step_using(&shared, &id, "actions/checkout");
        assert_eq!(
            checkout["with"]["repository"],
            "charliepoker/craftista-gitops"
        );
        assert_eq!(checkout["with"]["token"], "${{ secrets.GITOPS_TOKEN }}");
        assert_eq!(
            job(&shared, &id)["steps"][1]["working-directory"],
            format!("kubernetes/overlays/dev/{svc}")
        );
    }

    // Database tests run only for changed services, against service containers.
    let db = e.workflow("database-tests");
    assert!(uses(&db, "changes").contains(&"dorny/paths-filter".to_string()));
    for (id, svc, container, image) in [
        (
            "voting-postgres",
            "voting",
            "postgres",
            "docker.io/library/postgres:15-alpine@",
        ),
        (
            "catalogue-mongodb",
            "catalogue",
            "mongodb",
            "docker.io/library/mongo:7.0@",
        ),
        (
            "recommendation-redis",
            "recommendation",
            "redis",
            "docker.io/library/redis:7-alpine@",
        ),
    ] {
        assert_eq!(
            job(&db, id)["if"],
            format!("needs.changes.outputs.{svc} == 'true'")
        );
        assert!(str_of(&job(&db, id)["services"][container]["image"]).starts_with(image));
    }

    // 12 Applications under per-environment AppProjects; prod syncs by hand.
    let projects = e.all("AppProject");
    assert_eq!(
        projects.keys().cloned().collect::<Vec<_>>(),
        ["craftista-dev", "craftista-prod", "craftista-staging"]
    );
    let apps = e.all("Application");
    assert_eq!(apps.len(), 12);
    for (svc, _) in CRAFTISTA {
        for env in ["dev", "staging", "prod"] {
            let app = &apps[&format!("{svc}-{env}")];
            assert_eq!(app["spec"]["project"], format!("craftista-{env}"));
            assert_eq!(
                app["spec"]["source"]["repoURL"],
                "https://github.com/charliepoker/craftista-gitops"
            );
            assert_eq!(
                app["spec"]["source"]["path"],
                format!("kubernetes/overlays/{env}/{svc}")
            );
            assert_eq!(
                app["spec"]["destination"]["namespace"],
                format!("craftista-{env}")
            );
            let automated = &app["spec"]["syncPolicy"]["automated"];
            if env == "prod" {
                assert!(automated.is_null(), "{svc}-prod syncs by hand");
            } else {
                assert_eq!(automated["prune"], true);
                assert_eq!(automated["selfHeal"], true);
            }
        }
        // Overlays per service and environment.
        let prod = e.doc(&format!(
            "gitops/kubernetes/overlays/prod/{svc}/kustomization.yaml"
        ));
        assert_eq!(prod["namespace"], "craftista-prod");
        assert_eq!(prod["replicas"][0]["count"], 3);
        assert_eq!(
            prod["images"][0]["name"],
            format!("docker.io/charliepoker/craftista-{svc}")
        );
        let staging = e.doc(&format!(
            "gitops/kubernetes/overlays/staging/{svc}/kustomization.yaml"
        ));
        assert_eq!(staging["replicas"][0]["count"], 2);
    }
    // Promotion to prod is a pull request behind the prod environment's reviewers.
    let promote = e.workflow("promote");
    assert_eq!(
        environment(&promote, "to-prod-voting").as_deref(),
        Some("prod")
    );
    assert!(scripts(&promote, "to-prod-voting").contains("gh pr create"));
}

#[test]
fn every_program_is_at_most_a_fifth_of_what_it_emits() {
    for name in [
        "ecotrack",
        "devpipeline",
        "retail-store",
        "blueprint",
        "craftista",
    ] {
        assert_compact(&compile(name));
    }
}

/// A program that calls every task of the standard library, on GitHub and (where the task has a
/// Tekton realisation) on Tekton.
const EVERY_STDLIB_TASK: &str = r#"
project shop {
  app_repo = "https://github.com/example/shop"
}
registry ghcr = ghcr { owner = "example" }
secret SLACK_WEBHOOK
secret SONAR_TOKEN
secret GITOPS_TOKEN
secret ARGOCD_TOKEN
secret HUB_USER
secret HUB_TOKEN
service api { path = "services/api", build = maven { version = "17" }, port = 8080 }
service web { path = "web", build = npm, port = 3000 }
service py { path = "py", build = python, port = 8000 }
service gosvc { path = "go", build = go, port = 8080 }
service gr { path = "gr", build = gradle, port = 8080 }
environment dev { sync = auto }
environment prod { promote_from = dev, gate = manual { reviewers = ["ops"] } }
deployment shop { }

pipeline ci {
  targets = [github, tekton]
  on push { branches = ["main"] }
  job mb = std.maven.build(api)
  job mt = std.maven.test(api)
  job gb = std.gradle.build(gr)
  job gt = std.gradle.test(gr)
  job nt = std.npm.test(web)
  job nl = std.npm.lint(web)
  job pt = std.python.test(py)
  job pl = std.python.lint(py)
  job gob = std.go.build(gosvc)
  job got = std.go.test(gosvc)
  job gov = std.go.vet(gosvc)
  job ti = std.scan.trivy_image(api)
  job tf = std.scan.trivy_fs()
  job push = std.image.push_ghcr(api)
  job ecr = std.image.push_ecr(api, region = "us-east-1", role = "arn:aws:iam::123456789012:role/ci", create_repository = true)
  job hub = std.image.push_dockerhub(api, username = secrets.HUB_USER, token = secrets.HUB_TOKEN)
  job harbor = std.image.push_harbor(api, host = "harbor.example.com", username = secrets.HUB_USER, token = secrets.HUB_TOKEN)
  job deploy = std.gitops.set_image(api, env = dev, digest = push.digest, token = secrets.GITOPS_TOKEN)
  job prodpr = std.gitops.set_image(api, env = prod, via = "pull_request", token = secrets.GITOPS_TOKEN) { environment = prod }
  job sync = std.argocd.sync(app = "shop-api-dev", server = "argocd.example.com", token = secrets.ARGOCD_TOKEN) { needs = [deploy] }
  job promote = std.argocd.rollout(app = "shop-api-prod", resource = "api", server = "argocd.example.com", token = secrets.ARGOCD_TOKEN) { needs = [prodpr] }
  job smoke = std.check.smoke(url = "https://shop.example.com/healthz") { needs = [sync] }
  job watch = std.check.monitor(url = "https://shop.example.com/healthz") { needs = [smoke] }
  finally notify = std.notify.slack(webhook = secrets.SLACK_WEBHOOK, text = "ci finished")
}

pipeline gh {
  on push { branches = ["main"] }
  job leaks = std.scan.gitleaks()
  job hog = std.scan.trufflehog()
  job codeql = std.scan.codeql()
  job sonar = std.scan.sonar(api, host = "https://sonar.example.com", token = secrets.SONAR_TOKEN)
  job helm = std.gitops.set_helm_value(web, file = "web/chart/values.yaml", token = secrets.GITHUB_TOKEN)
  job pr = std.gitops.set_image(web, env = dev, via = "pull_request", auto_merge = true, token = secrets.GITOPS_TOKEN)
}
"#;

#[test]
fn every_stdlib_task_compiles_for_its_engines() {
    let c = gitopsc::check(&[gitopsc::Source::new("stdlib.gitops", EVERY_STDLIB_TASK)]);
    let outputs = gitopsc::outputs(&c);
    let shown = render(&c.diagnostics, &c.sources, MessageFormat::Human, false);
    assert!(c.diagnostics.is_empty(), "{shown}");
    let files = gitopsc::emit::render("stdlib.gitops", &outputs).expect("renders");
    let tekton: Vec<&str> = files
        .iter()
        .filter_map(|f| f.path.strip_prefix(".tekton/tasks/"))
        .collect();
    for task in [
        "maven-build",
        "maven-test",
        "gradle-build",
        "gradle-test",
        "npm-test",
        "npm-lint",
        "python-test",
        "python-lint",
        "go-build",
        "go-test",
        "go-vet",
        "scan-trivy-image",
        "scan-trivy-fs",
        "image-push-ghcr",
        "image-push-ecr",
        "image-push-dockerhub",
        "image-push-harbor",
        "gitops-set-image",
        "argocd-sync",
        "argocd-rollout",
        "check-smoke",
        "check-monitor",
        "notify-slack",
    ] {
        assert!(
            tekton.contains(&format!("{task}.yaml").as_str()),
            "Tekton Task {task}: {tekton:?}"
        );
    }
    let gh = files
        .iter()
        .find(|f| f.path == ".github/workflows/gh.yml")
        .expect("the GitHub-only pipeline");
    for action in [
        "gitleaks/gitleaks-action@",
        "trufflesecurity/trufflehog@",
        "github/codeql-action/init@",
        "SonarSource/sonarqube-scan-action@",
    ] {
        assert!(gh.text.contains(action), "{action}");
    }
}
