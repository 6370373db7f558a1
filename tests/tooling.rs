//! The tooling around the compiler: `gitopsc graph`, `gitopsc diff` and `gitopsc init`, run as
//! users run them (through the binary) and, for the graph, through the library.

#[path = "common/run.rs"]
mod run;
use run::gitopsc;

use gitopsc::ir::ToolchainKind;
use gitopsc::Source;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Two services, three environments, a fanned-out pipeline with a `finally` job, and a second
/// pipeline: every kind of node and edge the graph draws.
const PROGRAM: &str = r#"project shop { app_repo = "https://github.com/example/shop" }
registry ghcr = ghcr { owner = "example" }
service api { path = "api", build = go, port = 8080 }
service web { path = "web", build = npm, port = 3000 }
environment dev { namespace = "shop-dev", sync = auto }
environment staging { namespace = "shop-staging", sync = auto, promote_from = dev }
environment prod {
  namespace = "shop-prod", sync = manual, promote_from = staging
  gate = manual { reviewers = ["leads"] }
}
deployment shop { }
secret SLACK_WEBHOOK
task hello {
  param who: string = "world"
  step say { run = "echo hello ${who}" }
}
pipeline ci {
  on push { branches = ["main"] }
  job lint = hello(who = "lint")
  for svc in services.changed {
    job test = std.go.test(svc) { needs = [lint] }
  }
  finally notify = std.notify.slack(webhook = secrets.SLACK_WEBHOOK, text = "done")
}
pipeline release {
  on tag { patterns = ["v*"] }
  job stage = hello(who = "staging")
  job ship = hello(who = "prod") { needs = [stage] }
}
"#;

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh, empty folder for one test.
fn temp(name: &str) -> PathBuf {
    run::scratch("tooling", name)
}

fn program(text: &str) -> gitopsc::ir::Program {
    let c = gitopsc::check(&[Source::new("shop.gitops", text)]);
    assert!(!c.has_errors(), "{:?}", c.diagnostics);
    c.program.unwrap()
}

/// Every file under `root` with its bytes, in path order.
fn files(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap();
                out.push((p, bytes));
            }
        }
    }
    out.sort();
    out
}

// ---------------------------------------------------------------- graph

#[test]
fn graph_mermaid_draws_the_exact_nodes_and_edges() {
    let text = gitopsc::cli::graph_mermaid(&program(PROGRAM));
    let expected = [
        "flowchart LR",
        "  subgraph p0[\"pipeline ci\"]",
        "    p0_j0[\"lint\"]",
        "    p0_j1([\"notify\"]):::finally",
        "    p0_j2[\"test-api\"]",
        "    p0_j3[\"test-web\"]",
        "    p0_j4{{\"changes\"}}:::changes",
        "    p0_j0 --> p0_j2",
        "    p0_j0 --> p0_j3",
        "    p0_j2 -.-> p0_j1",
        "    p0_j3 -.-> p0_j1",
        "    p0_j4 -.->|\"changed\"| p0_j2",
        "    p0_j4 -.->|\"changed\"| p0_j3",
        "  end",
        "  subgraph p1[\"pipeline release\"]",
        "    p1_j0[\"stage\"]",
        "    p1_j1[\"ship\"]",
        "    p1_j0 --> p1_j1",
        "  end",
        "  subgraph promotion[\"promotion\"]",
        "    env_0([\"dev (auto sync)\"]):::auto",
        "    env_1([\"staging (auto sync)\"]):::auto",
        "    env_2[\"prod (manual sync)\"]:::manual",
        "    env_0 -->|\"auto\"| env_1",
        "    env_1 ==>|\"manual gate: leads\"| env_2",
        "  end",
    ];
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(&lines[..expected.len()], &expected[..], "{text}");
    assert!(lines[expected.len()..]
        .iter()
        .all(|l| l.starts_with("  classDef ")));
}

#[test]
fn graph_output_is_deterministic() {
    let first = gitopsc::cli::graph_mermaid(&program(PROGRAM));
    for _ in 0..3 {
        assert_eq!(gitopsc::cli::graph_mermaid(&program(PROGRAM)), first);
    }
    let dir = temp("graph-determinism");
    std::fs::write(dir.join("shop.gitops"), PROGRAM).unwrap();
    let a = gitopsc(&["graph", "shop.gitops", "--format", "dot"], &dir);
    let b = gitopsc(&["graph", "shop.gitops", "--format", "dot"], &dir);
    assert_eq!(a.status.code(), Some(0), "{}", stderr(&a));
    assert_eq!(a.stdout, b.stdout);
    let m = gitopsc(&["graph", "shop.gitops"], &dir);
    assert_eq!(stdout(&m), first, "the default format is Mermaid");
}

/// Checks the shape of a DOT document: one `digraph` whose braces balance and whose statements
/// all end in `;`. When Graphviz is installed, `dot` must also accept it.
fn assert_digraph(text: &str) {
    assert!(text.starts_with("digraph gitops {\n"), "{text}");
    assert!(text.ends_with("}\n"), "{text}");
    let mut depth = 0i32;
    for line in text.lines() {
        let t = line.trim();
        depth += t.matches('{').count() as i32 - t.matches('}').count() as i32;
        assert!(depth >= 0, "unbalanced at {line}");
        assert!(
            t.ends_with(';') || t.ends_with('{') || t == "}",
            "not a statement: {line}"
        );
    }
    assert_eq!(depth, 0);
    if let Ok(mut child) = Command::new("dot")
        .arg("-Tcanon")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success(), "Graphviz rejects:\n{text}");
    }
}

#[test]
fn graph_dot_is_a_digraph_with_the_same_edges() {
    let text = gitopsc::cli::graph_dot(&program(PROGRAM));
    assert_digraph(&text);
    for line in [
        "subgraph cluster_p0 {",
        "p0_j1 [label=\"notify\", shape=box, style=\"rounded,dashed\", xlabel=\"finally\"];",
        "p0_j0 -> p0_j2;",
        "p0_j2 -> p0_j1 [style=dotted];",
        "p0_j4 -> p0_j2 [label=\"changed\", style=dashed];",
        "p1_j0 -> p1_j1;",
        "env_0 -> env_1 [label=\"auto\"];",
        "env_1 -> env_2 [label=\"manual gate: leads\", style=bold, color=\"#c62828\"];",
    ] {
        assert!(text.lines().any(|l| l.trim() == line), "{line} in\n{text}");
    }
}

#[test]
fn graph_of_one_pipeline_and_of_an_unknown_one() {
    let dir = temp("graph-pipeline");
    std::fs::write(dir.join("shop.gitops"), PROGRAM).unwrap();
    let o = gitopsc(&["graph", "--pipeline", "release", "--format", "dot"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert_digraph(&text);
    assert!(text.contains("cluster_p1") && !text.contains("cluster_p0"));
    assert!(!text.contains("promotion"));
    let o = gitopsc(&["graph", "--pipeline", "relase"], &dir);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean `release`?"),
        "{}",
        stderr(&o)
    );
    assert!(o.stdout.is_empty());
}

#[test]
fn every_example_graphs_as_a_digraph() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut seen = 0;
    for e in std::fs::read_dir(&root).unwrap() {
        let dir = e.unwrap().path();
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut sources: Vec<Source> = entries
            .map(|f| f.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "gitops"))
            .map(|p| {
                Source::new(
                    p.display().to_string(),
                    std::fs::read_to_string(&p).unwrap(),
                )
            })
            .collect();
        if sources.is_empty() {
            continue;
        }
        sources.sort_by(|a, b| a.name.cmp(&b.name));
        let c = gitopsc::check(&sources);
        let p = c.program.expect("examples check");
        assert_digraph(&gitopsc::cli::graph_dot(&p));
        assert!(gitopsc::cli::graph_mermaid(&p).starts_with("flowchart LR\n"));
        seen += 1;
    }
    assert!(seen >= 5);
}

// ---------------------------------------------------------------- diff

#[test]
fn diff_shows_new_files_and_writes_nothing() {
    let dir = temp("diff-new");
    std::fs::write(dir.join("shop.gitops"), PROGRAM).unwrap();
    let before = files(&dir);
    let o = gitopsc(&["diff", "shop.gitops", "-o", "out"], &dir);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("--- /dev/null\n+++ b/.github/workflows/ci.yml\n"));
    assert!(text.contains("+++ b/.gitopsc-files\n"));
    assert!(!text.contains("+++ /dev/null"));
    assert_eq!(files(&dir), before, "diff must write nothing");
    let o = gitopsc(&["build", "shop.gitops", "-o", "out"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = gitopsc(&["diff", "shop.gitops", "-o", "out"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "{}", stdout(&o));
    assert!(stderr(&o).contains("up to date"));
}

#[test]
fn diff_of_a_one_line_change_has_one_minus_and_one_plus_line() {
    let dir = temp("diff-change");
    std::fs::write(dir.join("shop.gitops"), PROGRAM).unwrap();
    let o = gitopsc(&["build", "shop.gitops"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let changed = PROGRAM.replace("who = \"prod\"", "who = \"production\"");
    std::fs::write(dir.join("shop.gitops"), changed).unwrap();
    let before = files(&dir);
    let o = gitopsc(&["diff", "shop.gitops"], &dir);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.starts_with(
            "--- a/.github/workflows/release.yml\n+++ b/.github/workflows/release.yml\n@@ "
        ),
        "{text}"
    );
    let minus: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with('-') && !l.starts_with("---"))
        .collect();
    let plus: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
        .collect();
    assert_eq!(minus.len(), 1, "{text}");
    assert_eq!(plus.len(), 1, "{text}");
    assert!(minus[0].ends_with("echo hello prod"), "{text}");
    assert!(plus[0].ends_with("echo hello production"), "{text}");
    assert_eq!(files(&dir), before, "diff must write nothing");
}

#[test]
fn diff_shows_stale_files_as_removed() {
    let dir = temp("diff-stale");
    std::fs::write(dir.join("shop.gitops"), PROGRAM).unwrap();
    let o = gitopsc(&["build", "shop.gitops", "-o", "out"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let cut = PROGRAM.find("pipeline release").unwrap();
    std::fs::write(dir.join("shop.gitops"), &PROGRAM[..cut]).unwrap();
    let o = gitopsc(&["diff", "shop.gitops", "-o", "out"], &dir);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("--- a/.github/workflows/release.yml\n+++ /dev/null\n"),
        "{text}"
    );
    assert!(text.contains("-.github/workflows/release.yml\n"), "{text}");
    assert!(dir.join("out/.github/workflows/release.yml").exists());
}

#[test]
fn diff_of_a_program_with_errors_exits_1_and_of_a_missing_file_2() {
    let dir = temp("diff-errors");
    std::fs::write(dir.join("bad.gitops"), "project shop { app_repo = 3 }\n").unwrap();
    let o = gitopsc(&["diff", "bad.gitops"], &dir);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    let o = gitopsc(&["diff", "missing.gitops"], &dir);
    assert_eq!(o.status.code(), Some(2));
}

// ---------------------------------------------------------------- init

/// A repository with one service of each kind, plus folders init must pass over.
fn repository(name: &str) -> PathBuf {
    let dir = temp(name);
    let put = |path: &str, text: &str| {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    put(
        "orders/pom.xml",
        "<project><properties><java.version>21</java.version></properties></project>\n",
    );
    put(
        "orders/Dockerfile",
        "FROM eclipse-temurin:21\nEXPOSE 9090\n",
    );
    put("billing/build.gradle", "plugins { id 'java' }\n");
    put("ledger/build.gradle.kts", "plugins { java }\n");
    put(
        "web/package.json",
        "{\"name\": \"web\", \"engines\": {\"node\": \">=22\"}}\n",
    );
    put(
        "gateway/go.mod",
        "module example.com/gateway\n\ngo 1.24.2\n",
    );
    put(
        "ml/pyproject.toml",
        "[project]\nname = \"ml\"\nrequires-python = \">=3.11\"\n",
    );
    put("reports/requirements.txt", "flask\n");
    put("proxy/Dockerfile", "FROM nginx:1.27\n");
    put("docs/index.md", "# docs\n");
    put("node_modules/left-pad/package.json", "{}\n");
    put(".github/Dockerfile", "FROM scratch\n");
    dir
}

/// Each service as (folder, toolchain, version), in folder order; every service must be named
/// after its folder.
fn detected(p: &gitopsc::ir::Program) -> Vec<(String, ToolchainKind, String)> {
    let mut out: Vec<(String, ToolchainKind, String)> = p
        .services
        .iter()
        .map(|s| {
            assert_eq!(s.path, s.name, "a service is named after its folder");
            (
                s.path.clone(),
                s.toolchain.kind,
                s.toolchain.version.clone(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn init_detects_each_kind_of_build_file() {
    let dir = repository("init-detect");
    let o = gitopsc(&["init", "--name", "shop"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let p = program(&std::fs::read_to_string(dir.join("shop.gitops")).unwrap());
    let expected = [
        ("billing", ToolchainKind::Gradle, "17"),
        ("gateway", ToolchainKind::Go, "1.24"),
        ("ledger", ToolchainKind::Gradle, "17"),
        ("ml", ToolchainKind::Python, "3.11"),
        ("orders", ToolchainKind::Maven, "21"),
        ("proxy", ToolchainKind::Docker, ""),
        ("reports", ToolchainKind::Python, "3.12"),
        ("web", ToolchainKind::Npm, "22"),
    ];
    let got = detected(&p);
    let got: Vec<(&str, ToolchainKind, &str)> = got
        .iter()
        .map(|(path, kind, version)| (path.as_str(), *kind, version.as_str()))
        .collect();
    assert_eq!(got, expected);
    let port = |name: &str| p.services[p.service_named(name).unwrap()].port;
    assert_eq!(port("orders"), Some(9090), "from EXPOSE");
    assert_eq!(port("web"), Some(3000));
    assert_eq!(p.project.name, "shop");
    assert_eq!(p.environments.len(), 3);
    assert_eq!(p.promotion.edge_count(), 2);
    assert_eq!(p.deployments.len(), 1);
}

#[test]
fn init_calls_the_test_task_of_each_toolchain() {
    let dir = repository("init-tasks");
    let o = gitopsc(&["init", "--name", "shop"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(dir.join("shop.gitops")).unwrap();
    assert!(text.contains("for svc in services.changed {"));
    for (svc, task) in [
        ("orders", "std.maven.test"),
        ("billing", "std.gradle.test"),
        ("ledger", "std.gradle.test"),
        ("web", "std.npm.test"),
        ("gateway", "std.go.test"),
        ("reports", "std.python.test"),
        ("ml", "std.python.lint"),
    ] {
        let job = format!("  job test-{svc} = {task}({svc}) {{\n    if = changed({svc})\n  }}\n");
        assert!(text.contains(&job), "{job} in\n{text}");
    }
    for call in [
        "job image = std.image.push_ghcr(svc) {",
        concat!(
            "job deploy = std.gitops.set_image(\n",
            "      svc,\n      env = dev,\n      digest = image.digest,",
        ),
    ] {
        assert!(text.contains(call), "{call} in\n{text}");
    }
    assert!(
        !text.contains("(proxy)"),
        "a Dockerfile-only service has no test job"
    );
}

#[test]
fn init_program_checks_and_builds_clean() {
    let dir = repository("init-clean");
    let o = gitopsc(&["init", "--name", "shop"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = gitopsc(&["check", "shop.gitops"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stderr.is_empty(), "no warnings either: {}", stderr(&o));
    let o = gitopsc(&["fmt", "--check", "shop.gitops"], &dir);
    assert_eq!(
        o.status.code(),
        Some(0),
        "in the canonical layout: {}",
        stdout(&o)
    );
    let o = gitopsc(&["build", "shop.gitops", "--validate", "-o", "out"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(dir.join("out/.github/workflows/ci.yml").is_file());
}

#[test]
fn init_puts_a_shared_test_task_inside_the_loop() {
    let dir = temp("init-uniform");
    for svc in ["users", "orders"] {
        std::fs::create_dir_all(dir.join(svc)).unwrap();
        std::fs::write(dir.join(svc).join("go.mod"), "module x\n").unwrap();
    }
    let o = gitopsc(&["init", "--name", "shop"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(dir.join("shop.gitops")).unwrap();
    assert!(text.contains("    job test = std.go.test(svc)\n"), "{text}");
    assert!(text.contains("      needs = [test]\n"), "{text}");
    program(&text);
}

#[test]
fn init_refuses_to_overwrite_without_force() {
    let dir = repository("init-force");
    std::fs::write(dir.join("shop.gitops"), "// mine\n").unwrap();
    let o = gitopsc(&["init", "--name", "shop"], &dir);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(dir.join("shop.gitops")).unwrap(),
        "// mine\n"
    );
    let o = gitopsc(&["init", "--name", "shop", "--force"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(dir.join("shop.gitops")).unwrap();
    assert!(text.contains("project shop {"));
}

#[test]
fn init_names_the_project_after_the_origin_remote() {
    let dir = repository("init-remote");
    std::fs::create_dir_all(dir.join(".git/refs/remotes/origin")).unwrap();
    std::fs::write(
        dir.join(".git/config"),
        concat!(
            "[core]\n\tbare = false\n[remote \"origin\"]\n",
            "\turl = https://bot:s3cret@github.com/Acme/Web-Shop.git\n",
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join(".git/refs/remotes/origin/HEAD"),
        "ref: refs/remotes/origin/trunk\n",
    )
    .unwrap();
    let o = gitopsc(&["init"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(dir.join("web-shop.gitops")).unwrap();
    assert!(
        !text.contains("s3cret"),
        "credentials never reach the program"
    );
    let p = program(&text);
    assert_eq!(p.project.name, "web-shop");
    assert_eq!(p.project.app_repo, "https://github.com/Acme/Web-Shop");
    assert_eq!(p.project.default_branch, "trunk");
    assert_eq!(p.registries[0].image("x"), "ghcr.io/acme/x");
}

#[test]
fn init_takes_the_root_as_a_service_when_nothing_else_is_one() {
    let dir = temp("init-root");
    std::fs::write(dir.join("go.mod"), "module x\n\ngo 1.25\n").unwrap();
    std::fs::write(dir.join("Dockerfile"), "FROM scratch\n").unwrap();
    let o = gitopsc(&["init", "--name", "tool"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let p = program(&std::fs::read_to_string(dir.join("tool.gitops")).unwrap());
    assert_eq!(p.services.len(), 1);
    assert_eq!(p.services[0].path, ".");
    assert_eq!(p.services[0].toolchain.version, "1.25");
}

#[test]
fn init_renames_services_that_clash_with_the_program() {
    let dir = temp("init-clash");
    for svc in ["dev", "ci", "api"] {
        std::fs::create_dir_all(dir.join(svc)).unwrap();
        std::fs::write(dir.join(svc).join("Dockerfile"), "FROM scratch\n").unwrap();
    }
    let o = gitopsc(&["init", "--name", "shop"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let p = program(&std::fs::read_to_string(dir.join("shop.gitops")).unwrap());
    let names: Vec<&str> = p.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["api", "ci-svc", "dev-svc"]);
}

#[test]
fn init_with_no_service_writes_nothing() {
    let dir = temp("init-empty");
    std::fs::write(dir.join("README.md"), "# nothing to build\n").unwrap();
    let o = gitopsc(&["init"], &dir);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("found no service"), "{}", stderr(&o));
    assert_eq!(files(&dir).len(), 1);
}

#[test]
fn graph_draws_a_pipeline_call_to_the_called_pipeline() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("tests/cases/github/call.gitops")).unwrap();
    let p = program(&text);
    let index = |name: &str| p.pipelines.iter().position(|x| x.name == name).unwrap();
    let (release, ci, update) = (index("release"), index("ci"), index("update-gitops"));
    let job = |pipeline: usize, id: &str| {
        let j = p.pipelines[pipeline]
            .jobs
            .iter()
            .position(|j| j.id == id)
            .unwrap();
        format!("p{pipeline}_j{j}")
    };
    let mermaid = gitopsc::cli::graph_mermaid(&p);
    for line in [
        format!("    {}[[\"deploy-dev\"]]:::call", job(ci, "deploy-dev")),
        format!("    {}[[\"release\"]]:::call", job(ci, "release")),
        format!("  {} -.->|\"calls\"| p{update}", job(ci, "deploy-dev")),
        format!("  {} -.->|\"calls\"| p{release}", job(ci, "release")),
        format!("  {} -.->|\"calls\"| p{update}", job(release, "update")),
    ] {
        assert!(mermaid.lines().any(|l| l == line), "{line} in\n{mermaid}");
    }
    // A job that calls nothing keeps its plain shape.
    assert!(
        mermaid.contains(&format!("{}[\"image\"]\n", job(ci, "image"))),
        "{mermaid}"
    );
    let dot = gitopsc::cli::graph_dot(&p);
    assert_digraph(&dot);
    let line = format!(
        "{} -> p{update}_j0 [lhead=cluster_p{update}, label=\"calls\", style=dashed];",
        job(ci, "deploy-dev")
    );
    assert!(dot.lines().any(|l| l.trim() == line), "{line} in\n{dot}");

    // Drawn alone, a calling pipeline still shows which jobs call, but no edge leaves it.
    let dir = temp("graph-call");
    std::fs::write(dir.join("call.gitops"), &text).unwrap();
    let o = gitopsc(&["graph", "--pipeline", "ci"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let alone = stdout(&o);
    assert!(alone.contains(":::call"), "{alone}");
    assert!(!alone.contains("calls"), "{alone}");
}
