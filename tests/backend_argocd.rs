//! Tests of the Argo CD backend: the programs in `tests/cases/argocd/` are compiled, the
//! backend's files are rendered and read back as YAML, and the documents are checked field by
//! field. With `GITOPSC_VALIDATE=1` the rendered files also go through `.ci/validate-outputs`.

use gitopsc::backends::argocd::Argocd;
use gitopsc::backends::Backend;
use gitopsc::emit::{render, RenderedFile, Repo};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const CASES: &str = "tests/cases/argocd";

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

fn case_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(CASES)
        .join(format!("{name}.gitops"))
}

/// Compiles a case and renders the Argo CD backend's files.
fn render_case(path: &Path) -> Vec<RenderedFile> {
    let text = std::fs::read_to_string(path).expect("case file");
    render_text(path, text)
}

/// Compiles a program's text (`path` names it in messages) and renders the Argo CD backend's
/// files.
fn render_text(path: &Path, text: String) -> Vec<RenderedFile> {
    let sources = [gitopsc::Source::new("case.gitops", text)];
    let c = gitopsc::check(&sources);
    let Some(program) = &c.program else {
        panic!(
            "{} does not compile:\n{}",
            path.display(),
            gitopsc::diagnostics::render(
                &c.diagnostics,
                &c.sources,
                gitopsc::diagnostics::MessageFormat::Human,
                false
            )
        );
    };
    let files = Argocd.emit(program);
    render("case.gitops", &files).expect("render")
}

fn docs_of(files: &[RenderedFile]) -> Vec<Doc> {
    let mut out = Vec::new();
    for f in files {
        assert_eq!(
            f.repo,
            Repo::Gitops,
            "{} is not in the GitOps repository",
            f.path
        );
        for d in serde_yaml::Deserializer::from_str(&f.text) {
            let value: Value = serde::Deserialize::deserialize(d).expect("YAML");
            out.push(Doc {
                path: f.path.clone(),
                value,
            });
        }
    }
    out
}

fn case(name: &str) -> Vec<Doc> {
    docs_of(&render_case(&case_path(name)))
}

fn of_kind<'a>(docs: &'a [Doc], kind: &str) -> Vec<&'a Doc> {
    docs.iter().filter(|d| d.kind() == kind).collect()
}

fn named<'a>(docs: &'a [Doc], kind: &str, name: &str) -> &'a Doc {
    docs.iter()
        .find(|d| d.kind() == kind && d.name() == name)
        .unwrap_or_else(|| panic!("no {kind} named {name}"))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn wave(d: &Doc) -> &str {
    d.value["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]
        .as_str()
        .unwrap_or("")
}

const SERVICES: [&str; 4] = ["api", "web", "worker", "billing"];
const ENVS: [(&str, &str, &str); 3] = [
    ("dev", "shop-dev", "https://kubernetes.default.svc"),
    ("staging", "shop-staging", "https://staging.k8s.example.com"),
    ("prod", "shop-prod", "https://prod.k8s.example.com"),
];

#[test]
fn per_service_layout_has_one_application_per_service_and_environment() {
    let docs = case("per_service");
    let apps: Vec<&Doc> = of_kind(&docs, "Application")
        .into_iter()
        .filter(|d| d.name() != "shop-apps")
        .collect();
    assert_eq!(apps.len(), 12);
    for (env, ns, server) in ENVS {
        for svc in SERVICES {
            let app = named(&docs, "Application", &format!("{svc}-{env}"));
            let v = &app.value;
            assert_eq!(app.path, format!("argocd/shop/apps/{env}/{svc}-{env}.yaml"));
            assert_eq!(v["apiVersion"], "argoproj.io/v1alpha1");
            assert_eq!(v["metadata"]["namespace"], "argocd");
            assert_eq!(v["spec"]["project"], "shop");
            assert_eq!(
                v["spec"]["destination"],
                json!({"server": server, "namespace": ns})
            );
            let src = &v["spec"]["source"];
            assert_eq!(src["repoURL"], "https://github.com/example/shop-deploy");
            assert_eq!(src["path"], format!("k8s/overlays/{env}/{svc}"));
            let branch = if env == "staging" { "release" } else { "main" };
            assert_eq!(src["targetRevision"], branch);
            assert!(src.get("helm").is_none());
            assert_eq!(
                strings(&v["metadata"]["finalizers"]),
                ["resources-finalizer.argocd.argoproj.io"]
            );
            assert_eq!(v["metadata"]["labels"]["app.kubernetes.io/name"], svc);
            assert_eq!(v["metadata"]["labels"]["app.kubernetes.io/part-of"], "shop");
        }
    }
}

#[test]
fn sync_policy_follows_each_environment() {
    let docs = case("per_service");
    for svc in SERVICES {
        let dev = &named(&docs, "Application", &format!("{svc}-dev")).value["spec"]["syncPolicy"];
        assert_eq!(dev["automated"], json!({"prune": true, "selfHeal": true}));
        assert_eq!(
            dev["retry"],
            json!({"limit": 5, "backoff": {"duration": "5s", "factor": 2, "maxDuration": "3m"}})
        );
        let staging =
            &named(&docs, "Application", &format!("{svc}-staging")).value["spec"]["syncPolicy"];
        assert_eq!(
            staging["automated"],
            json!({"prune": false, "selfHeal": false})
        );
        assert!(staging.get("retry").is_none());
        assert_eq!(
            strings(&staging["syncOptions"]),
            [
                "ServerSideApply=true",
                "CreateNamespace=true",
                "RespectIgnoreDifferences=true"
            ]
        );
        let prod = &named(&docs, "Application", &format!("{svc}-prod")).value["spec"]["syncPolicy"];
        assert!(prod.get("automated").is_none(), "prod must sync by hand");
        assert_eq!(
            prod["retry"],
            json!({"limit": 3, "backoff": {"duration": "10s", "factor": 3, "maxDuration": "90m"}})
        );
    }
}

#[test]
fn sync_waves_follow_promotion_unless_declared() {
    let docs = case("per_service");
    for svc in SERVICES {
        assert_eq!(
            wave(named(&docs, "Application", &format!("{svc}-dev"))),
            "0"
        );
        assert_eq!(
            wave(named(&docs, "Application", &format!("{svc}-staging"))),
            "1"
        );
        assert_eq!(
            wave(named(&docs, "Application", &format!("{svc}-prod"))),
            "10"
        );
    }
    assert_eq!(wave(named(&docs, "AppProject", "shop")), "-1");
}

#[test]
fn project_allows_exactly_what_was_declared() {
    let docs = case("per_service");
    let projects = of_kind(&docs, "AppProject");
    assert_eq!(projects.len(), 2, "the deployment's project and the root's");
    let p = named(&docs, "AppProject", "shop");
    assert_eq!(p.path, "argocd/shop/projects/shop.yaml");
    let spec = &p.value["spec"];
    assert_eq!(
        strings(&spec["sourceRepos"]),
        [
            "https://github.com/example/shop-deploy",
            "https://charts.example.com"
        ]
    );
    let expected: Vec<Value> = ENVS
        .iter()
        .map(|(_, ns, server)| json!({"server": server, "namespace": ns}))
        .collect();
    assert_eq!(spec["destinations"], Value::Array(expected));
    let namespaces: Vec<Value> = ENVS
        .iter()
        .map(|(_, ns, _)| json!({"group": "", "kind": "Namespace", "name": ns}))
        .collect();
    assert_eq!(spec["clusterResourceWhitelist"], Value::Array(namespaces));
    assert!(spec.get("namespaceResourceWhitelist").is_none());
    assert_eq!(
        spec["roles"],
        json!([{
            "name": "ci",
            "description": "sync from CI",
            "policies": ["p, proj:shop:ci, applications, sync, shop/*, allow"],
            "groups": ["platform"]
        }])
    );
}

#[test]
fn sync_windows_select_the_environment_applications() {
    let docs = case("per_service");
    let windows = &named(&docs, "AppProject", "shop").value["spec"]["syncWindows"];
    let prod_apps: Vec<String> = SERVICES.iter().map(|s| format!("{s}-prod")).collect();
    assert_eq!(
        windows,
        &json!([
            {
                "kind": "allow",
                "schedule": "0 9 * * 1-5",
                "duration": "8h",
                "applications": prod_apps,
                "manualSync": false,
                "timeZone": "Europe/Berlin"
            },
            {
                "kind": "deny",
                "schedule": "0 0 * * 0",
                "duration": "90m",
                "applications": prod_apps,
                "manualSync": true
            }
        ])
    );
}

#[test]
fn ignore_differences_reach_every_application() {
    let docs = case("per_service");
    for app in of_kind(&docs, "Application")
        .into_iter()
        .filter(|d| d.name() != "shop-apps")
    {
        assert_eq!(
            app.value["spec"]["ignoreDifferences"],
            json!([{"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]}]),
            "{}",
            app.name()
        );
    }
    let docs = case("helm_values");
    let app = named(&docs, "Application", "products-qa");
    assert_eq!(
        app.value["spec"]["ignoreDifferences"],
        json!([{"kind": "Secret", "jsonPointers": ["/data"]}])
    );
}

/// Renders the Argo CD files of `tests/cases/kustomize/canary_istio.gitops` with its deployment
/// in layout `apps`.
fn canary_istio_as(apps: &str) -> Vec<Doc> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/kustomize/canary_istio.gitops");
    let text = std::fs::read_to_string(&path).expect("case file");
    let text = text.replace(
        "deployment shop { }",
        &format!("deployment shop {{ apps = {apps} }}"),
    );
    docs_of(&render_text(&path, text))
}

fn ignored(doc: &Value) -> Vec<(String, String, String, Vec<String>)> {
    doc["ignoreDifferences"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let text = |k: &str| e[k].as_str().unwrap_or("").to_string();
            (
                text("group"),
                text("kind"),
                text("name"),
                strings(&e["jsonPointers"]),
            )
        })
        .collect()
}

fn respects_ignored(spec: &Value) -> bool {
    strings(&spec["syncPolicy"]["syncOptions"])
        .contains(&"RespectIgnoreDifferences=true".to_string())
}

#[test]
fn fields_the_rollouts_controller_changes_are_ignored_in_every_layout() {
    let entry = |group: &str, kind: &str, name: &str, pointer: &str| {
        (
            group.to_string(),
            kind.to_string(),
            name.to_string(),
            vec![pointer.to_string()],
        )
    };
    // In prod, `api` is a canary with Istio routing and `worker` a canary without a Service;
    // staging rolls out plain Deployments.
    let api = [
        entry("apps", "Deployment", "prod-api", "/spec/replicas"),
        entry(
            "networking.istio.io",
            "VirtualService",
            "prod-api",
            "/spec/http",
        ),
        entry(
            "networking.istio.io",
            "DestinationRule",
            "prod-api",
            "/spec/subsets",
        ),
    ];
    let worker = [entry("apps", "Deployment", "prod-worker", "/spec/replicas")];

    let docs = canary_istio_as("per_service");
    let spec = |name| &named(&docs, "Application", name).value["spec"];
    assert_eq!(ignored(spec("api-prod")), api);
    assert_eq!(ignored(spec("worker-prod")), worker);
    assert!(respects_ignored(spec("api-prod")) && respects_ignored(spec("worker-prod")));
    for name in ["api-staging", "worker-staging"] {
        assert!(ignored(spec(name)).is_empty(), "{name}");
        assert!(!respects_ignored(spec(name)), "{name}");
    }

    let docs = canary_istio_as("per_environment");
    let prod = &named(&docs, "Application", "shop-prod").value["spec"];
    assert_eq!(ignored(prod), [&api[..], &worker[..]].concat());
    assert!(respects_ignored(prod));
    assert!(ignored(&named(&docs, "Application", "shop-staging").value["spec"]).is_empty());

    // An ApplicationSet's Applications each hold one service's objects: its template names no
    // object, and lists each field once.
    for layout in ["application_set", "application_set_git"] {
        let docs = canary_istio_as(layout);
        let template =
            &named(&docs, "ApplicationSet", "shop-prod").value["spec"]["template"]["spec"];
        let unnamed: Vec<_> = api
            .iter()
            .map(|(g, k, _, p)| (g.clone(), k.clone(), String::new(), p.clone()))
            .collect();
        assert_eq!(ignored(template), unnamed, "{layout}");
        assert!(respects_ignored(template), "{layout}");
        let staging =
            &named(&docs, "ApplicationSet", "shop-staging").value["spec"]["template"]["spec"];
        assert!(ignored(staging).is_empty(), "{layout}");
    }
}

#[test]
fn app_of_apps_root_never_manages_itself() {
    let files = render_case(&case_path("per_service"));
    let root = files
        .iter()
        .find(|f| f.path == "argocd/shop/root.yaml")
        .expect("root.yaml");
    let docs = docs_of(std::slice::from_ref(root));
    assert_eq!(docs.len(), 2);
    let app = named(&docs, "Application", "shop-apps");
    let spec = &app.value["spec"];
    assert_eq!(spec["project"], "shop-apps");
    assert_eq!(spec["source"]["path"], "argocd/shop");
    assert_eq!(spec["source"]["targetRevision"], "main");
    assert_eq!(
        spec["source"]["directory"],
        json!({"recurse": true, "exclude": "root.yaml"})
    );
    assert_eq!(
        spec["destination"],
        json!({"server": "https://kubernetes.default.svc", "namespace": "argocd"})
    );
    assert!(app.value["metadata"].get("finalizers").is_none());
    let project = named(&docs, "AppProject", "shop-apps");
    assert_eq!(
        strings(&project.value["spec"]["sourceRepos"]),
        ["https://github.com/example/shop-deploy"]
    );
    assert_eq!(project.value["spec"]["clusterResourceWhitelist"], json!([]));
    // Everything else lies below the root's folder, one level down, so only root.yaml is
    // excluded.
    for f in files.iter().filter(|f| f.path != root.path) {
        let rel = f
            .path
            .strip_prefix("argocd/shop/")
            .expect("inside the folder");
        assert!(rel.contains('/'), "{} sits next to root.yaml", f.path);
    }
}

#[test]
fn per_environment_layout_reads_the_aggregate_overlay() {
    let docs = case("per_environment");
    let names: Vec<&str> = of_kind(&docs, "Application")
        .iter()
        .map(|d| d.name())
        .collect();
    assert_eq!(
        names,
        [
            "payments-dev",
            "platform-dev",
            "payments-prod",
            "platform-prod"
        ]
    );
    let dev = named(&docs, "Application", "platform-dev");
    assert_eq!(
        dev.path,
        "deploy/argocd/platform/apps/dev/platform-dev.yaml"
    );
    assert_eq!(dev.value["metadata"]["namespace"], "gitops");
    assert_eq!(
        dev.value["spec"]["source"]["path"],
        "deploy/k8s/overlays/dev"
    );
    assert_eq!(
        dev.value["spec"]["source"]["repoURL"],
        "https://github.com/example/shop"
    );
    assert_eq!(dev.value["spec"]["destination"]["namespace"], "dev");
    let prod = named(&docs, "Application", "platform-prod");
    assert!(prod.value["spec"]["syncPolicy"].get("automated").is_none());
    assert_eq!(
        prod.value["spec"]["destination"]["server"],
        "https://prod.k8s.example.com"
    );
    let helm = named(&docs, "Application", "payments-prod");
    assert_eq!(helm.value["spec"]["source"]["path"], "charts/payments");
    assert_eq!(
        helm.value["spec"]["source"]["helm"],
        json!({"releaseName": "payments", "valueFiles": ["values/prod.yaml"]})
    );
}

#[test]
fn helm_services_read_their_environment_value_file() {
    let docs = case("helm_values");
    for (svc, chart, qa, live) in [
        (
            "products",
            "charts/products",
            "env/values-qa.yaml",
            "env/values-live.yaml",
        ),
        (
            "images",
            "charts/images",
            "values-qa.yaml",
            "values-live.yaml",
        ),
    ] {
        for (env, file) in [("qa", qa), ("live", live)] {
            let src = &named(&docs, "Application", &format!("{svc}-{env}")).value["spec"]["source"];
            assert_eq!(src["path"], chart);
            assert_eq!(
                src["helm"],
                json!({"releaseName": svc, "valueFiles": [file]})
            );
        }
    }
    let qa = &named(&docs, "Application", "products-qa").value["spec"]["syncPolicy"];
    assert_eq!(
        qa["retry"],
        json!({"limit": 10, "backoff": {"duration": "30s", "factor": 2, "maxDuration": "10m"}})
    );
}

#[test]
fn application_set_list_is_made_per_environment() {
    let docs = case("appset_list");
    let sets = of_kind(&docs, "ApplicationSet");
    let mut names: Vec<&str> = sets.iter().map(|d| d.name()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "shop-dev",
            "shop-dev-helm",
            "shop-prod",
            "shop-prod-helm",
            "shop-staging",
            "shop-staging-helm"
        ]
    );
    assert!(of_kind(&docs, "Application")
        .iter()
        .all(|d| d.name() == "shop-apps"));
    let dev = named(&docs, "ApplicationSet", "shop-dev");
    assert_eq!(dev.path, "argocd/shop/applicationsets/shop-dev.yaml");
    let spec = &dev.value["spec"];
    assert_eq!(spec["goTemplate"], true);
    assert_eq!(strings(&spec["goTemplateOptions"]), ["missingkey=error"]);
    assert_eq!(
        spec["generators"],
        json!([{"list": {"elements": [
            {"service": "api", "path": "k8s/overlays/dev/api"},
            {"service": "web", "path": "k8s/overlays/dev/web"}
        ]}}])
    );
    let t = &spec["template"];
    assert_eq!(t["metadata"]["name"], "{{.service}}-dev");
    assert_eq!(t["spec"]["source"]["path"], "{{.path}}");
    assert_eq!(t["spec"]["source"]["targetRevision"], "trunk");
    assert_eq!(t["spec"]["destination"]["namespace"], "shop-dev");
    assert_eq!(
        strings(&t["spec"]["syncPolicy"]["syncOptions"]),
        ["PruneLast=true", "CreateNamespace=true"]
    );
    let prod = &named(&docs, "ApplicationSet", "shop-prod").value["spec"]["template"]["spec"];
    assert!(prod["syncPolicy"].get("automated").is_none());
    assert_eq!(
        strings(&prod["syncPolicy"]["syncOptions"]),
        ["CreateNamespace=false"]
    );
    let staging = &named(&docs, "ApplicationSet", "shop-staging").value["spec"]["template"]["spec"];
    assert_eq!(
        staging["syncPolicy"]["automated"],
        json!({"prune": true, "selfHeal": false})
    );
    assert_eq!(staging["syncPolicy"]["retry"]["limit"], 2);
    let helm = &named(&docs, "ApplicationSet", "shop-prod-helm").value["spec"];
    assert_eq!(
        helm["generators"][0]["list"]["elements"],
        json!([{"service": "search", "chart": "charts/search", "valueFile": "values-prod.yaml"}])
    );
    assert_eq!(
        helm["template"]["spec"]["source"]["helm"],
        json!({"releaseName": "{{.service}}", "valueFiles": ["{{.valueFile}}"]})
    );
    // Prod creates no namespace, so its project whitelists none for it.
    let project = &named(&docs, "AppProject", "shop").value["spec"];
    assert_eq!(
        project["clusterResourceWhitelist"],
        json!([
            {"group": "", "kind": "Namespace", "name": "shop-dev"},
            {"group": "", "kind": "Namespace", "name": "shop-staging"}
        ])
    );
    assert_eq!(
        project["syncWindows"][0]["applications"],
        json!(["api-prod", "web-prod", "search-prod"])
    );
    assert_eq!(project["syncWindows"][0]["duration"], "48h");
}

#[test]
fn application_set_git_reads_only_the_deployment_overlays() {
    let docs = case("appset_git");
    let set = named(&docs, "ApplicationSet", "storefront-prod");
    let spec = &set.value["spec"];
    assert_eq!(
        spec["generators"],
        json!([{"git": {
            "repoURL": "https://github.com/example/shop-deploy",
            "revision": "main",
            "directories": [
                {"path": "k8s/overlays/prod/*"},
                {"path": "k8s/overlays/prod/admin", "exclude": true}
            ]
        }}])
    );
    assert_eq!(
        spec["template"]["metadata"]["name"],
        "{{.path.basename}}-prod"
    );
    assert_eq!(spec["template"]["spec"]["source"]["path"], "{{.path.path}}");
    assert_eq!(spec["template"]["spec"]["project"], "storefront");
    // Names come from folders, so the sync window selects the environment by destination.
    let window = &named(&docs, "AppProject", "storefront").value["spec"]["syncWindows"][0];
    assert_eq!(
        window,
        &json!({
            "kind": "allow",
            "schedule": "0 10 * * 2",
            "duration": "4h",
            "namespaces": ["shop-prod"],
            "clusters": ["https://kubernetes.default.svc"],
            "andOperator": true,
            "manualSync": true,
            "timeZone": "America/New_York"
        })
    );
    // The second deployment has its own folder, project and Application.
    let admin = named(&docs, "Application", "admin-prod");
    assert_eq!(admin.path, "argocd/backoffice/apps/prod/admin-prod.yaml");
    assert_eq!(admin.value["spec"]["project"], "backoffice");
    let root = named(&docs, "Application", "storefront-apps");
    assert_eq!(root.value["spec"]["source"]["path"], "argocd/storefront");
}

#[test]
fn per_environment_projects_hold_one_destination_and_their_own_policies() {
    let docs = case("project_per_env");
    let projects = of_kind(&docs, "AppProject");
    let names: Vec<&str> = projects.iter().map(|d| d.name()).collect();
    assert_eq!(names, ["payments-dev", "payments-prod"]);
    for (env, ns, server) in [
        ("dev", "payments-dev", "https://kubernetes.default.svc"),
        ("prod", "payments", "https://prod.k8s.example.com"),
    ] {
        let name = format!("payments-{env}");
        let p = named(&docs, "AppProject", &name);
        assert_eq!(p.path, format!("argocd/payments/projects/{name}.yaml"));
        let spec = &p.value["spec"];
        assert_eq!(
            spec["destinations"],
            json!([{"server": server, "namespace": ns}])
        );
        assert_eq!(
            spec["roles"][0]["policies"],
            json!([
                format!("p, proj:{name}:deployer, applications, sync, {name}/*, allow"),
                format!("p, proj:{name}:deployer, applications, get, {name}/*, allow")
            ])
        );
        assert_eq!(spec["roles"][0]["groups"], json!(["payments-ci"]));
        assert!(spec["roles"][1].get("description").is_none());
        assert_eq!(spec["syncWindows"].as_array().map(Vec::len), Some(1));
        assert_eq!(wave(p), "-1");
        for svc in ["ledger", "gateway"] {
            let app = named(&docs, "Application", &format!("{svc}-{env}"));
            assert_eq!(app.value["spec"]["project"], name.as_str());
        }
    }
    let prod = &named(&docs, "AppProject", "payments-prod").value["spec"]["syncWindows"][0];
    assert_eq!(prod["kind"], "deny");
    assert_eq!(prod["applications"], json!(["ledger-prod", "gateway-prod"]));
    let app = named(&docs, "Application", "ledger-prod");
    assert_eq!(wave(app), "3");
    assert_eq!(
        app.value["spec"]["syncPolicy"]["automated"],
        json!({"prune": false, "selfHeal": false})
    );
}

#[test]
fn wildcards_appear_only_when_the_program_opted_in() {
    let docs = case("any_destination");
    let spec = &named(&docs, "AppProject", "sandbox").value["spec"];
    assert_eq!(
        strings(&spec["sourceRepos"]),
        ["https://github.com/example/sandbox", "*"]
    );
    assert_eq!(
        spec["destinations"],
        json!([{"server": "*", "namespace": "*"}])
    );
    for name in case_names().iter().filter(|n| *n != "any_destination") {
        for p in of_kind(&case(name), "AppProject") {
            let spec = &p.value["spec"];
            let text = format!("{}{}", spec["sourceRepos"], spec["destinations"]);
            assert!(
                !text.contains("\"*\""),
                "{name}: {} has a wildcard",
                p.name()
            );
        }
    }
}

#[test]
fn output_is_deterministic() {
    for name in case_names() {
        assert_eq!(
            render_case(&case_path(&name)),
            render_case(&case_path(&name))
        );
    }
}

fn case_names() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(CASES);
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("cases folder")
        .filter_map(|e| {
            let p = e.ok()?.path();
            (p.extension()? == "gitops").then(|| p.file_stem()?.to_str().map(String::from))?
        })
        .collect();
    names.sort_unstable();
    names
}

#[test]
fn every_case_compiles_to_valid_argo_documents() {
    let names = case_names();
    assert!(
        names.len() >= 5,
        "expected at least 5 cases, found {names:?}"
    );
    let out = std::env::temp_dir().join(format!("gitopsc-argocd-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    for name in &names {
        let files = render_case(&case_path(name));
        assert!(!files.is_empty(), "{name} produced nothing");
        for doc in docs_of(&files) {
            assert_eq!(
                doc.value["apiVersion"], "argoproj.io/v1alpha1",
                "{}",
                doc.path
            );
            assert!(
                ["Application", "ApplicationSet", "AppProject"].contains(&doc.kind()),
                "{}",
                doc.path
            );
        }
        for f in &files {
            let dest = out.join(name).join(&f.path);
            std::fs::create_dir_all(dest.parent().expect("parent")).expect("mkdir");
            std::fs::write(&dest, &f.text).expect("write");
        }
    }
    if std::env::var("GITOPSC_VALIDATE").as_deref() == Ok("1") {
        let runner = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/validate-outputs");
        let result = std::process::Command::new(runner)
            .arg(&out)
            .output()
            .expect("run .ci/validate-outputs");
        let stdout = String::from_utf8_lossy(&result.stdout);
        println!("{stdout}");
        eprintln!("{}", String::from_utf8_lossy(&result.stderr));
        assert!(result.status.success(), "validation failed:\n{stdout}");
        assert!(stdout
            .lines()
            .last()
            .is_some_and(|l| l.ends_with(" 0 failed")));
    }
    let _ = std::fs::remove_dir_all(&out);
}

/// The Kustomize source paths of an Argo CD document: an Application's path, or the `path`
/// of every list element of an ApplicationSet.
fn kustomize_paths(doc: &Doc) -> Vec<String> {
    match doc.kind() {
        "Application" => {
            let src = &doc.value["spec"]["source"];
            if src.get("helm").is_some() || src.get("directory").is_some() {
                return Vec::new();
            }
            src["path"].as_str().map(String::from).into_iter().collect()
        }
        "ApplicationSet" => doc.value["spec"]["generators"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|g| {
                g["list"]["elements"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .filter_map(|e| e["path"].as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    }
}

#[test]
fn applications_read_overlays_the_kustomize_backend_writes() {
    for name in case_names() {
        let text = std::fs::read_to_string(case_path(&name)).expect("case");
        let c = gitopsc::check(&[gitopsc::Source::new("case.gitops", text)]);
        let files = gitopsc::outputs(&c);
        assert!(c.program.is_some(), "{name} does not compile");
        let rendered = render("case.gitops", &files).expect("render");
        let gitops: Vec<RenderedFile> = rendered
            .into_iter()
            .filter(|f| f.repo == Repo::Gitops)
            .collect();
        let written: Vec<&str> = gitops.iter().map(|f| f.path.as_str()).collect();
        for doc in docs_of(&gitops) {
            for path in kustomize_paths(&doc) {
                let wanted = format!("{path}/kustomization.yaml");
                assert!(
                    written.contains(&wanted.as_str()),
                    "{name}: {} {} reads {path}, which has no kustomization.yaml",
                    doc.kind(),
                    doc.name()
                );
            }
        }
    }
}

#[test]
fn backend_reads_only_the_ir() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("compiler/src/backends/argocd");
    for entry in std::fs::read_dir(dir).expect("backend folder") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("source");
        for banned in ["crate::ast", "crate::syntax", "crate::sema", "pest"] {
            assert!(
                !text.contains(banned),
                "{} mentions {banned}",
                path.display()
            );
        }
        assert!(
            text.starts_with("//!"),
            "{} lacks a module doc comment",
            path.display()
        );
    }
}
