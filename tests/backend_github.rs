//! Tests of the GitHub Actions backend: each program under `tests/cases/github/` is compiled,
//! its workflows are parsed back from the emitted YAML, and the fields that carry the
//! backend's guarantees (triggers, needs, conditions, permissions, pins, environment routing
//! of references) are checked. With `GITOPSC_VALIDATE=1` the workflows also go through
//! `.ci/validate-outputs` (actionlint, zizmor pedantic, the workflow schema, yamllint).

use gitopsc::backends::Backend;
use gitopsc::emit::{self, RenderedFile};
use gitopsc::ir::Program;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const CASES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cases/github");

/// Checks a program, panicking with its diagnostics when it has errors.
fn program(name: &str, text: &str) -> Program {
    let c = gitopsc::check(&[gitopsc::Source::new(name, text)]);
    match c.program {
        Some(p) => p,
        None => panic!(
            "{name} does not compile:\n{}",
            gitopsc::diagnostics::render(
                &c.diagnostics,
                &c.sources,
                gitopsc::diagnostics::MessageFormat::Human,
                false
            )
        ),
    }
}

fn case_text(case: &str) -> String {
    let path = Path::new(CASES).join(format!("{case}.gitops"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn render(p: &Program) -> Vec<RenderedFile> {
    let files = gitopsc::backends::github::Github.emit(p);
    emit::render(&p.source_name, &files).expect("workflows render")
}

/// Every case name, sorted.
fn cases() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(CASES)
        .expect("case folder")
        .filter_map(|e| {
            let path = e.ok()?.path();
            (path.extension()? == "gitops").then(|| path.file_stem()?.to_str().map(String::from))?
        })
        .collect();
    names.sort();
    names
}

/// The rendered workflows of a case, by path.
fn rendered(case: &str) -> Vec<RenderedFile> {
    render(&program(&format!("{case}.gitops"), &case_text(case)))
}

fn parse(text: &str) -> Value {
    serde_yaml::from_str(text).expect("emitted YAML parses")
}

/// The parsed workflow of `pipeline` in `case`.
fn workflow(case: &str, pipeline: &str) -> Value {
    let path = format!(".github/workflows/{pipeline}.yml");
    let files = rendered(case);
    let f = files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("{case}: no {path}"));
    parse(&f.text)
}

fn job<'v>(wf: &'v Value, id: &str) -> &'v Value {
    let j = &wf["jobs"][id];
    assert!(j.is_object(), "no job {id} in {wf:#}");
    j
}

/// The step of a job with this `id:`.
fn step<'v>(job: &'v Value, id: &str) -> &'v Value {
    job["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["id"] == id))
        .unwrap_or_else(|| panic!("no step {id} in {job:#}"))
}

fn uses_of(job: &Value) -> Vec<String> {
    job["steps"]
        .as_array()
        .map(|s| {
            s.iter()
                .filter_map(|s| s["uses"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Calls `f` on every step of every job.
fn each_step(wf: &Value, f: &mut dyn FnMut(&str, &Value)) {
    for (id, j) in wf["jobs"].as_object().expect("jobs map") {
        // A job that calls a workflow has no steps of its own.
        if j["uses"].is_string() {
            continue;
        }
        for s in j["steps"].as_array().expect("steps list") {
            f(id, s);
        }
    }
}

fn is_pinned(uses: &str) -> bool {
    let Some((name, sha)) = uses.split_once('@') else {
        return false;
    };
    !name.is_empty()
        && sha.len() == 40
        && sha
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

#[test]
fn every_case_compiles_into_safe_workflows() {
    let names = cases();
    assert!(
        names.len() >= 6,
        "expected at least six cases, found {names:?}"
    );
    for case in &names {
        let files = rendered(case);
        assert!(!files.is_empty(), "{case}: no workflow");
        for f in &files {
            assert!(f.path.starts_with(".github/workflows/") && f.path.ends_with(".yml"));
            assert!(
                f.text.starts_with(emit::HEADER_PREFIX),
                "{}: header",
                f.path
            );
            let wf = parse(&f.text);
            let at = format!("{case}:{}", f.path);
            assert!(wf["name"].is_string(), "{at}: workflow name");
            assert_eq!(wf["permissions"], json!({}), "{at}: top-level permissions");
            // A workflow that only runs when called runs inside its caller's group.
            let called_only = wf["on"]
                .as_object()
                .is_some_and(|on| on.len() == 1 && on.contains_key("workflow_call"));
            if !called_only {
                assert!(wf["concurrency"]["group"].is_string(), "{at}: concurrency");
                assert!(
                    !wf["concurrency"]["cancel-in-progress"].is_null(),
                    "{at}: cancel-in-progress"
                );
            }
            for (id, j) in wf["jobs"].as_object().expect("jobs") {
                assert!(j["name"].is_string(), "{at}: job {id} has no name");
                assert!(j["permissions"].is_object(), "{at}: job {id} permissions");
                // A job runs steps on a runner, or calls a workflow of the repository.
                let calls = j["uses"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("$/.github/workflows/"));
                assert!(j["runs-on"].is_string() || calls, "{at}: job {id} runs-on");
            }
            each_step(&wf, &mut |id, s| {
                if let Some(run) = s["run"].as_str() {
                    assert!(
                        !run.contains("${{"),
                        "{at}: job {id} script has an expression: {run}"
                    );
                }
                if let Some(script) = s["with"]["script"].as_str() {
                    assert!(
                        !script.contains("${{"),
                        "{at}: job {id} github-script: {script}"
                    );
                }
                if let Some(u) = s["uses"].as_str() {
                    assert!(is_pinned(u), "{at}: job {id} uses an unpinned action {u}");
                }
                assert!(s["name"].is_string(), "{at}: job {id} has an unnamed step");
            });
        }
    }
}

#[test]
fn pinned_actions_carry_their_version_as_a_comment() {
    let files = rendered("triggers");
    let ci = files
        .iter()
        .find(|f| f.path.ends_with("/ci.yml"))
        .expect("ci");
    assert!(ci
        .text
        .contains("uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1"));
    let nightly = files
        .iter()
        .find(|f| f.path.ends_with("/nightly.yml"))
        .expect("nightly");
    assert!(nightly
        .text
        .contains("uses: actions/cache@55cc8345863c7cc4c66a329aec7e433d2d1c52a9 # v6.1.0"));
}

#[test]
fn push_and_pull_request_filters_merge_into_one_on_map() {
    let wf = workflow("triggers", "ci");
    let push = &wf["on"]["push"];
    assert_eq!(push["branches"], json!(["main"]));
    assert_eq!(push["tags"], json!(["v*"]));
    // GitHub forbids `paths` with `paths-ignore`: ignored paths become negations.
    assert_eq!(
        push["paths"],
        json!(["services/**", "!services/**/docs/**", "!**.md"])
    );
    assert!(push.get("paths-ignore").is_none());
    let pr = &wf["on"]["pull_request"];
    assert_eq!(pr["paths-ignore"], json!(["docs/**"]));
    assert!(pr.get("paths").is_none());
    assert_eq!(pr["types"], json!(["opened", "synchronize", "reopened"]));
    assert_eq!(wf["on"]["schedule"], json!([{ "cron": "0 6 * * 1-5" }]));
    assert_eq!(wf["name"], "CI");

    let nightly = workflow("triggers", "nightly");
    // Only negations would match nothing; everything else is included first.
    assert_eq!(
        nightly["on"]["pull_request"]["paths"],
        json!(["**", "!docs/**"])
    );
    assert_eq!(nightly["on"]["schedule"], json!([{ "cron": "30 2 * * *" }]));
}

#[test]
fn tag_triggered_workflows_restore_no_cache() {
    let ci = workflow("triggers", "ci");
    let lint = job(&ci, "lint");
    assert!(uses_of(lint)
        .iter()
        .all(|u| !u.starts_with("actions/cache@")));
    assert_eq!(lint["permissions"], json!({ "contents": "read" }));

    let nightly = workflow("triggers", "nightly");
    let check = job(&nightly, "check");
    let cache = check["steps"]
        .as_array()
        .and_then(|s| {
            s.iter().find(|s| {
                s["uses"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("actions/cache@"))
            })
        })
        .expect("a cache step");
    assert_eq!(cache["with"]["path"], "~/.npm");
    assert_eq!(
        cache["with"]["key"],
        "${{ runner.os }}-check-${{ hashFiles('**/package-lock.json') }}"
    );
    // The checkout comes first and does not keep the token.
    let first = &check["steps"][0];
    assert!(first["uses"]
        .as_str()
        .unwrap_or("")
        .starts_with("actions/checkout@"));
    assert_eq!(first["with"]["persist-credentials"], json!(false));
}

#[test]
fn scripts_read_git_facts_from_the_environment() {
    let wf = workflow("triggers", "ci");
    let lint = step(job(&wf, "lint"), "lint");
    let run = lint["run"].as_str().expect("run");
    assert!(
        run.contains("linting ${GIT_SHA} (${GIT_SHA:0:7}) of ${GIT_REPOSITORY}"),
        "{run}"
    );
    assert!(run.contains("ref ${GIT_REF}, run ${RUN_ID}"), "{run}");
    assert_eq!(lint["env"]["GIT_SHA"], "${{ github.sha }}");
    assert_eq!(lint["env"]["GIT_REPOSITORY"], "${{ github.repository }}");
    assert_eq!(lint["env"]["GIT_REF"], "${{ github.ref }}");
    assert_eq!(lint["env"]["RUN_ID"], "${{ github.run_id }}");
    assert_eq!(lint["shell"], "bash");
}

#[test]
fn dispatch_inputs_are_typed() {
    let wf = workflow("dispatch", "release");
    let inputs = &wf["on"]["workflow_dispatch"]["inputs"];
    assert_eq!(
        inputs["target"],
        json!({
            "description": "where to release",
            "required": false,
            "type": "choice",
            "default": "staging",
            "options": ["staging", "production"]
        })
    );
    assert_eq!(inputs["env"]["type"], "choice");
    assert_eq!(inputs["env"]["options"], json!(["dev", "prod"]));
    assert_eq!(inputs["env"]["required"], json!(true));
    assert_eq!(inputs["dry_run"]["type"], "boolean");
    assert_eq!(inputs["dry_run"]["default"], json!(false));
    assert_eq!(inputs["replicas"]["type"], "number");
    assert_eq!(inputs["replicas"]["default"], json!(2));
    assert_eq!(inputs["note"]["type"], "string");
    assert_eq!(inputs["note"]["required"], json!(false));

    // A boolean input is compared with a boolean, not the string 'false'.
    let apply = job(&wf, "apply");
    assert_eq!(apply["if"], "inputs.dry_run == false");
    assert_eq!(apply["needs"], json!(["plan"]));
    let dry = job(&wf, "dry");
    assert_eq!(
        dry["if"],
        "inputs.dry_run == true && inputs.target != 'production'"
    );

    // Untrusted inputs reach scripts only through `env`.
    let show = step(job(&wf, "plan"), "show");
    assert_eq!(show["env"]["TARGET"], "${{ inputs.target }}");
    assert_eq!(show["env"]["ENVIRONMENT"], "${{ inputs.env }}");
    assert_eq!(
        show["run"],
        "echo \"releasing to $TARGET ($ENVIRONMENT): $NOTE\""
    );
    let scale = step(apply, "apply");
    assert_eq!(scale["env"]["GIT_ACTOR"], "${{ github.actor }}");
    assert!(scale["run"]
        .as_str()
        .unwrap_or("")
        .contains("by ${GIT_ACTOR}"));
}

#[test]
fn reusable_workflows_declare_inputs_and_secrets() {
    let wf = workflow("reusable", "deploy");
    let call = &wf["on"]["workflow_call"];
    assert_eq!(
        call["inputs"]["version"],
        json!({ "description": "the version to deploy", "required": true, "type": "string" })
    );
    // `choice` does not exist for reusable workflows: a string, with the options described.
    assert_eq!(call["inputs"]["channel"]["type"], "string");
    assert_eq!(call["inputs"]["channel"]["default"], "stable");
    assert!(call["inputs"]["channel"]["description"]
        .as_str()
        .unwrap_or("")
        .contains("stable, beta"));
    assert_eq!(call["inputs"]["wait"]["type"], "boolean");
    assert_eq!(call["inputs"]["wait"]["default"], json!(true));
    assert_eq!(call["inputs"]["attempts"]["default"], json!(3));
    assert_eq!(
        call["secrets"],
        json!({ "DEPLOY_TOKEN": { "required": true }, "SLACK_WEBHOOK": { "required": true } })
    );
    // A workflow that only runs when called has no group of its own: its runs belong to its
    // callers' runs, and a shared group would cancel one of several simultaneous calls.
    assert!(wf.get("concurrency").is_none());

    let deploy = job(&wf, "deploy");
    assert_eq!(deploy["permissions"], json!({}));
    assert!(
        uses_of(deploy).is_empty(),
        "no checkout when checkout = false"
    );
    let s = step(deploy, "deploy");
    assert_eq!(s["env"]["TOKEN"], "${{ secrets.DEPLOY_TOKEN }}");
    assert_eq!(s["env"]["VERSION"], "${{ inputs.version }}");
    assert_eq!(job(&wf, "notify")["if"], "inputs.wait");
}

#[test]
fn needs_conditions_and_outputs() {
    let wf = workflow("dag", "ci");
    assert_eq!(
        wf["concurrency"],
        json!({ "group": "ci-${{ github.ref }}", "cancel-in-progress": true })
    );
    let build = job(&wf, "build");
    assert_eq!(
        build["outputs"],
        json!({
            "version": "${{ steps.build.outputs.version }}",
            "digest": "${{ steps.build.outputs.digest }}"
        })
    );
    assert_eq!(
        build["permissions"],
        json!({ "contents": "read", "packages": "write" })
    );

    let test = job(&wf, "test");
    assert_eq!(test["needs"], json!(["build"]));
    assert!(test.get("if").is_none());
    let t = step(test, "test");
    assert_eq!(t["run"], "echo \"testing ${NEEDS_BUILD_VERSION}\"");
    assert_eq!(
        t["env"]["NEEDS_BUILD_VERSION"],
        "${{ needs.build.outputs.version }}"
    );

    // `docs` has a condition, so `publish` must still run when it was skipped.
    let publish = job(&wf, "publish");
    assert_eq!(publish["needs"], json!(["build", "docs", "test"]));
    assert_eq!(publish["if"], "!cancelled() && !failure()");
    assert_eq!(publish["timeout-minutes"], json!(15));
    assert_eq!(
        publish["permissions"],
        json!({ "contents": "write", "id-token": "write" })
    );
    let p = step(publish, "publish");
    assert_eq!(
        p["run"],
        "echo \"publishing ${NEEDS_BUILD_VERSION} at ${NEEDS_BUILD_DIGEST} as release-${GIT_SHA:0:7}\""
    );
    // A job that may write contents keeps the checkout token.
    assert_eq!(
        publish["steps"][0]["with"]["persist-credentials"],
        json!(true)
    );

    let report = job(&wf, "report");
    assert_eq!(report["needs"], json!(["build", "publish", "test"]));
    assert_eq!(
        report["if"],
        "!cancelled() && (needs.test.result == 'failure' || needs.publish.result == 'success')"
    );
    assert_eq!(job(&wf, "rollback")["if"], "failure()");
    let audit = job(&wf, "audit");
    assert_eq!(audit["if"], "always()");
    assert_eq!(
        step(audit, "audit")["if"],
        "github.ref == 'refs/heads/main'"
    );
    let ids: Vec<&str> = audit["steps"]
        .as_array()
        .map(|s| s.iter().filter_map(|s| s["id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(ids, ["audit"], "a step that can never run is dropped");

    let cleanup = job(&wf, "cleanup");
    assert_eq!(cleanup["if"], "always()");
    assert_eq!(
        cleanup["needs"],
        json!(["audit", "build", "docs", "publish", "report", "rollback", "test"])
    );
}

#[test]
fn permissions_beyond_reading_are_explained() {
    let files = rendered("dag");
    let text = &files[0].text;
    assert!(text.contains("packages: write # pushes images to GitHub Packages, for task build"));
    assert!(text.contains("id-token: write # requests an OIDC token"));
    assert!(text.contains("contents: read\n"));
}

#[test]
fn static_matrix_and_service_containers() {
    let wf = workflow("matrix", "integration");
    let j = job(&wf, "integration");
    assert_eq!(
        j["strategy"],
        json!({
            "matrix": {
                "java": ["17", "21"],
                "os": ["ubuntu-24.04", "ubuntu-22.04"],
                "include": [{ "java": "21", "os": "ubuntu-24.04", "experimental": "true" }],
                "exclude": [{ "java": "17", "os": "ubuntu-22.04" }]
            },
            "fail-fast": false,
            "max-parallel": 2
        })
    );
    assert_eq!(j["timeout-minutes"], json!(45));
    let pg = &j["services"]["postgres"];
    assert!(pg["image"]
        .as_str()
        .unwrap_or("")
        .starts_with("docker.io/library/postgres:15-alpine@sha256:"));
    assert_eq!(pg["ports"], json!(["5432:5432"]));
    assert_eq!(pg["env"]["POSTGRES_DB"], "shop");
    assert_eq!(
        pg["options"],
        "--health-cmd \"pg_isready -U postgres\" --health-interval 10s --health-timeout 5s --health-retries 5"
    );
    assert_eq!(j["services"]["redis"]["ports"], json!(["6379:6379"]));
    let t = step(j, "test");
    assert_eq!(t["env"]["MATRIX_JAVA"], "${{ matrix.java }}");
    assert_eq!(t["env"]["MATRIX_OS"], "${{ matrix.os }}");
    assert!(t["run"]
        .as_str()
        .unwrap_or("")
        .contains("java ${MATRIX_JAVA} on ${MATRIX_OS}"));
    // Pull requests and pushes share the default group; only pull requests cancel.
    assert_eq!(
        wf["concurrency"],
        json!({
            "group": "integration-${{ github.ref }}",
            "cancel-in-progress": "${{ github.event_name == 'pull_request' }}"
        })
    );
    assert_eq!(wf["on"]["pull_request"], json!({}));
}

#[test]
fn change_detection_fans_out_over_services() {
    let wf = workflow("changes", "delivery");
    let changes = job(&wf, "changes");
    assert_eq!(changes["outputs"]["api"], "${{ steps.filter.outputs.api }}");
    assert_eq!(changes["outputs"]["web"], "${{ steps.filter.outputs.web }}");
    assert!(uses_of(changes)
        .iter()
        .any(|u| u.starts_with("dorny/paths-filter@")));

    let build = job(&wf, "build-api");
    assert_eq!(build["needs"], json!(["changes"]));
    assert_eq!(build["if"], "needs.changes.outputs.api == 'true'");
    assert_eq!(
        build["outputs"]["image"],
        "${{ steps.build.outputs.image }}"
    );
    let b = step(build, "build");
    assert_eq!(b["working-directory"], "services/api");
    let cache = build["steps"]
        .as_array()
        .and_then(|s| {
            s.iter().find(|s| {
                s["uses"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("actions/cache@"))
            })
        })
        .expect("cache step");
    assert_eq!(
        cache["with"]["key"],
        "${{ runner.os }}-build-${{ hashFiles('services/api/**/*.lock') }}"
    );

    let deploy = job(&wf, "deploy-dev-web");
    assert_eq!(deploy["needs"], json!(["build-web", "changes"]));
    assert_eq!(
        deploy["if"],
        "!cancelled() && !failure() && needs.changes.outputs.web == 'true'"
    );
    assert_eq!(
        deploy["environment"],
        json!({ "name": "dev", "url": "https://dev.shop.example.com" })
    );
    assert_eq!(
        deploy["concurrency"],
        json!({ "group": "deploy-dev-web", "cancel-in-progress": false })
    );
    let d = step(deploy, "deploy");
    assert_eq!(
        d["env"]["NEEDS_BUILD_WEB_IMAGE"],
        "${{ needs.build-web.outputs.image }}"
    );

    // Builds of unchanged services are skipped; the summary still runs.
    let summary = job(&wf, "summary");
    assert_eq!(summary["needs"], json!(["build-api", "build-web"]));
    assert_eq!(summary["if"], "!cancelled() && !failure()");
    let promote = job(&wf, "promote");
    assert_eq!(
        promote["concurrency"],
        json!({ "group": "promote-prod", "cancel-in-progress": false })
    );
    assert_eq!(promote["environment"]["name"], "prod");
    assert!(promote.get("if").is_none());
}

#[test]
fn a_matrix_over_changed_services_reads_the_detection_result() {
    let mut p = program("changes.gitops", &case_text("changes"));
    let pipe = p
        .pipelines
        .iter_mut()
        .find(|p| p.name == "delivery")
        .expect("delivery pipeline");
    let changes = pipe
        .jobs
        .iter()
        .position(|j| j.id == "changes")
        .expect("changes job");
    let mut fan = pipe
        .jobs
        .iter()
        .find(|j| j.id == "summary")
        .expect("summary job")
        .clone();
    fan.id = "each".into();
    fan.name = "each changed service".into();
    fan.needs = vec![changes];
    fan.condition = None;
    fan.matrix = Some(Box::new(gitopsc::ir::Matrix {
        axes: [(
            "service".to_string(),
            gitopsc::ir::MatrixAxis::Changed {
                job: changes,
                result: "changes".into(),
            },
        )]
        .into_iter()
        .collect(),
        include: Vec::new(),
        exclude: Vec::new(),
        fail_fast: false,
        max_parallel: None,
    }));
    pipe.jobs.push(fan);
    let files = render(&p);
    let delivery = files
        .iter()
        .find(|f| f.path.ends_with("/delivery.yml"))
        .expect("delivery workflow");
    let wf = parse(&delivery.text);
    let each = job(&wf, "each");
    assert_eq!(
        each["strategy"]["matrix"]["service"],
        "${{ fromJSON(needs.changes.outputs.changes) }}"
    );
    // An empty list would fail the job, so it does not start then.
    assert_eq!(each["if"], "needs.changes.outputs.changes != '[]'");
    assert_eq!(
        job(&wf, "changes")["outputs"]["changes"],
        "${{ steps.filter.outputs.changes }}"
    );
}

#[test]
fn scripts_of_every_shell_read_references_from_the_environment() {
    let wf = workflow("scripts", "scripts");
    let j = job(&wf, "tools");
    let bash = step(j, "bash");
    let run = bash["run"].as_str().expect("run");
    assert!(
        run.contains("hi from ${GIT_ACTOR} ${GIT_SHA:0:7} ${GIT_REPO_URL}"),
        "{run}"
    );
    assert!(
        run.contains("${GITOPSC_EXPR_OPEN} not an expression }}"),
        "{run}"
    );
    assert_eq!(bash["env"]["GITOPSC_EXPR_OPEN"], "${{ '${{' }}");
    assert_eq!(
        bash["env"]["GIT_REPO_URL"],
        "${{ github.server_url }}/${{ github.repository }}"
    );
    assert_eq!(bash["working-directory"], "services/api");

    let posix = step(j, "posix");
    assert_eq!(posix["shell"], "sh");
    assert!(posix["run"]
        .as_str()
        .unwrap_or("")
        .contains("${GIT_SHA%\"${GIT_SHA#???????}\"} on ${GIT_REF}"));
    let pwsh = step(j, "pwsh");
    assert!(pwsh["run"]
        .as_str()
        .unwrap_or("")
        .contains("$(${env:GIT_SHA}.Substring(0, 7)) ${env:RUN_ID}"));

    // The step's own GIT_SHA keeps its value; the reference gets another name.
    let collide = step(j, "collide");
    assert_eq!(collide["env"]["GIT_SHA"], "not the sha");
    assert_eq!(collide["env"]["GIT_SHA_2"], "${{ github.sha }}");
    assert_eq!(collide["run"], "echo \"$GIT_SHA vs ${GIT_SHA_2}\"");

    let comment = step(j, "comment");
    let script = comment["with"]["script"].as_str().expect("script");
    // Inside a JavaScript string the value is concatenated, so it stays part of the string.
    assert!(
        script.contains("body: 'built ' + process.env.GIT_SHA + ''"),
        "{script}"
    );
    assert_eq!(comment["env"]["GIT_SHA"], "${{ github.sha }}");
    assert_eq!(comment["if"], "github.event.pull_request.number != ''");

    let upload = step(j, "upload");
    assert_eq!(upload["with"]["name"], "report-${{ github.sha }}");
    let other = step(j, "other");
    assert_eq!(other["with"]["persist-credentials"], json!(false));
    assert_eq!(other["with"]["repository"], "example/shop-deploy");
    assert!(wf["jobs"]["tools"]["permissions"]["pull-requests"] == "write");
}

#[test]
fn publishing_jobs_turn_caches_off() {
    let text = r#"
project shop { app_repo = "https://github.com/example/shop" }
registry ghcr = ghcr { owner = "example" }
task image {
  description = "Builds and pushes an image."
  cache layers { path = "/tmp/layers", key = "Dockerfile" }
  permissions = { packages = write }
  github {
  step go { uses = "actions/setup-go", with = { go-version = "1.22" } }
  step node { uses = "actions/setup-node", with = { node-version = "20", cache = "npm" } }
  step push { uses = "docker/build-push-action", with = { push = "true", tags = "ghcr.io/example/api:${git.sha}" } }
  }
}
pipeline images {
  on push { branches = ["main"] }
  job image = image()
}
"#;
    let p = program("publish.gitops", text);
    let wf = parse(&render(&p)[0].text);
    let j = job(&wf, "image");
    assert!(uses_of(j).iter().all(|u| !u.starts_with("actions/cache@")));
    assert_eq!(step(j, "go")["with"]["cache"], json!(false));
    let node = step(j, "node");
    assert!(node["with"].get("cache").is_none());
    assert_eq!(node["with"]["package-manager-cache"], json!(false));
    assert_eq!(
        step(j, "push")["with"]["tags"],
        "ghcr.io/example/api:${{ github.sha }}"
    );
}

#[test]
fn pipelines_not_targeting_github_get_no_workflow() {
    let text = r#"
project shop { app_repo = "https://github.com/example/shop" }
registry ghcr = ghcr { owner = "example" }
pipeline only-tekton {
  targets = [tekton]
  on push { branches = ["main"] }
  job hello { step hello { run = "echo hello" } }
}
pipeline both {
  targets = [github, tekton]
  on push { branches = ["main"] }
  job hello { step hello { run = "echo hello" } }
}
"#;
    let p = program("targets.gitops", text);
    let paths: Vec<String> = render(&p).into_iter().map(|f| f.path).collect();
    assert_eq!(paths, [".github/workflows/both.yml"]);
}

#[test]
fn output_is_deterministic() {
    for case in cases() {
        let a = rendered(&case);
        let b = rendered(&case);
        assert_eq!(a, b, "{case}: two builds differ");
    }
}

#[test]
fn full_build_includes_the_workflows() {
    let text = case_text("dag");
    let c = gitopsc::check(&[gitopsc::Source::new("dag.gitops", text)]);
    let files = gitopsc::outputs(&c);
    let p = c.program.as_ref().expect("program");
    let rendered = emit::render(&p.source_name, &files).expect("render");
    assert!(rendered
        .iter()
        .any(|f| f.repo == emit::Repo::App && f.path == ".github/workflows/ci.yml"));
}

/// Writes every case's workflows below `<dir>/<case>/` and returns the folder.
fn write_cases(dir: &Path) -> PathBuf {
    for case in cases() {
        for f in rendered(&case) {
            let path = dir.join(&case).join(&f.path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, &f.text).expect("write");
        }
    }
    dir.to_path_buf()
}

#[test]
fn validators_accept_every_case() {
    let dir = std::env::temp_dir().join(format!("gitopsc-github-cases-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let root = write_cases(&dir);
    if std::env::var("GITOPSC_VALIDATE").as_deref() != Ok("1") {
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/validate-outputs");
    let out = std::process::Command::new(script)
        .arg(&root)
        .output()
        .expect("run .ci/validate-outputs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "validate-outputs failed:\n{}\n{stderr}",
        stdout
            .lines()
            .filter(|l| !l.starts_with("PASS"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn indices_out_of_range_do_not_panic() {
    let mut p = program("dag.gitops", &case_text("dag"));
    let pipe = &mut p.pipelines[0];
    pipe.jobs[1].needs.push(99);
    pipe.jobs[1].environment = Some(42);
    pipe.jobs[1].service = Some(17);
    pipe.jobs[2].condition = Some(gitopsc::ir::Cond::JobStatus {
        job: 1234,
        status: gitopsc::ir::JobStatus::Failure,
    });
    pipe.jobs[2].args.insert(
        "x".into(),
        gitopsc::ir::Template::of_ref(gitopsc::ir::Ref::Result {
            job: 777,
            name: "nothing".into(),
        }),
    );
    let docs = pipe
        .jobs
        .iter()
        .position(|j| j.id == "docs")
        .expect("docs job");
    pipe.jobs[docs].task = 9999;
    let files = render(&p);
    let wf = parse(&files[0].text);
    assert!(
        wf["jobs"].get("docs").is_none(),
        "a job without a task is left out"
    );
    assert!(wf["jobs"]["test"].is_object());
}

#[test]
fn release_jobs_publish_without_caches_and_with_short_tags() {
    let wf = workflow("release", "release");
    assert_eq!(wf["on"]["push"]["tags"], json!(["v*.*.*"]));
    assert_eq!(wf["on"]["push"]["branches"], json!(["release/**"]));
    assert_eq!(wf["concurrency"]["cancel-in-progress"], json!(false));
    let j = job(&wf, "release");
    let uses = uses_of(j);
    assert!(
        uses.iter().all(|u| !u.starts_with("actions/cache@")),
        "{uses:?}"
    );
    let node = step(j, "node");
    assert!(node["with"].get("cache").is_none());
    assert_eq!(node["with"]["package-manager-cache"], json!(false));
    assert_eq!(step(j, "go")["with"]["cache"], json!(false));
    assert_eq!(step(j, "buildx")["with"]["cache-binary"], json!(false));
    // GitHub expressions cannot cut a SHA, so a step computes the short one for the inputs.
    let short = &j["steps"][1];
    assert_eq!(short["id"], "gitopsc_short_sha");
    assert_eq!(short["env"]["GIT_SHA"], "${{ github.sha }}");
    assert_eq!(
        step(j, "push")["with"]["tags"],
        "ghcr.io/example/api:${{ steps.gitopsc_short_sha.outputs.sha }}"
    );
    assert_eq!(j["outputs"]["digest"], "${{ steps.push.outputs.digest }}");
    let announce = step(job(&wf, "announce"), "announce");
    assert_eq!(
        announce["env"]["DIGEST"],
        "${{ needs.release.outputs.digest }}"
    );
    assert_eq!(announce["env"]["TAG"], "${{ github.ref_name }}");
}

#[test]
fn change_detection_on_pull_requests_may_list_files() {
    let wf = workflow("changes", "checks");
    let changes = job(&wf, "changes");
    assert_eq!(
        changes["permissions"],
        json!({ "contents": "read", "pull-requests": "read" })
    );
    assert_eq!(
        job(&wf, "build-web")["if"],
        "needs.changes.outputs.web == 'true'"
    );
}

#[test]
fn each_matrix_cell_keeps_a_cache_of_its_own() {
    // Over every case: a cache step of a matrix job names each of the matrix's axes in its key
    // and in its restore prefix, so two cells never save to or restore from one entry.
    let mut checked = 0;
    for case in cases() {
        for f in rendered(&case) {
            if !f.path.starts_with(".github/workflows/") {
                continue;
            }
            let wf = parse(&f.text);
            for (id, j) in wf["jobs"].as_object().expect("jobs map") {
                let Some(axes) = j["strategy"]["matrix"].as_object() else {
                    continue;
                };
                let axes: Vec<&String> = axes
                    .keys()
                    .filter(|k| !matches!(k.as_str(), "include" | "exclude"))
                    .collect();
                for s in j["steps"].as_array().into_iter().flatten() {
                    if !s["uses"]
                        .as_str()
                        .is_some_and(|u| u.starts_with("actions/cache@"))
                    {
                        continue;
                    }
                    for field in ["key", "restore-keys"] {
                        let text = s["with"][field].as_str().unwrap_or_default();
                        for axis in &axes {
                            assert!(
                                text.contains(&format!("${{{{ matrix.{axis} }}}}")),
                                "{case} {}: job {id}: cache {field} `{text}` does not name the \
                                 matrix axis {axis}",
                                f.path
                            );
                        }
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 0, "no case has a cache in a matrix job");
}
