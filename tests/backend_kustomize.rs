//! Tests of the Kustomize and Argo Rollouts backends: bases, overlays, rollouts and the files
//! both write into the GitOps repository, checked by parsing the rendered YAML.
//!
//! The feature cases live in `tests/cases/kustomize/*.gitops`. `every_case_renders_to_a_tree`
//! writes each case's rendered files (plus a stand-in for every existing base a case refers
//! to) into a temporary folder and, when `GITOPSC_VALIDATE=1`, runs `.ci/validate-outputs`
//! over it: yamllint, the Kustomization schema, `kubectl kustomize` on every overlay and the
//! Argo schemas on what it renders.

use std::path::{Path, PathBuf};

use gitopsc::backends::kustomize::Kustomize;
use gitopsc::backends::rollouts::Rollouts;
use gitopsc::backends::Backend;
use gitopsc::emit::{self, RenderedFile, Repo};
use gitopsc::ir::{Manifests, Program};
use serde_yaml::Value;

const CASES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cases/kustomize");

/// The checked program of `text`; fails the test with the diagnostics otherwise.
fn program(name: &str, text: &str) -> Program {
    let c = gitopsc::check(&[gitopsc::Source::new(name, text)]);
    match c.program {
        Some(p) => p,
        None => panic!(
            "{name} does not check:\n{}",
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
    let path = format!("{CASES}/{case}.gitops");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The files the two backends render for `p`.
fn render(p: &Program) -> Vec<RenderedFile> {
    let mut files = Kustomize.emit(p);
    files.extend(Rollouts.emit(p));
    emit::render(&p.source_name, &files).unwrap_or_else(|e| panic!("render failed: {e}"))
}

/// A rendered case: its program and files.
struct Case {
    program: Program,
    files: Vec<RenderedFile>,
}

impl Case {
    fn load(case: &str) -> Case {
        let program = program(&format!("{case}.gitops"), &case_text(case));
        let files = render(&program);
        Case { program, files }
    }

    fn paths(&self) -> Vec<&str> {
        self.files.iter().map(|f| f.path.as_str()).collect()
    }

    fn has(&self, path: &str) -> bool {
        self.files.iter().any(|f| f.path == path)
    }

    /// The single document of the file at `path`.
    fn doc(&self, path: &str) -> Value {
        let f = self
            .files
            .iter()
            .find(|f| f.path == path)
            .unwrap_or_else(|| panic!("no file {path}; have {:#?}", self.paths()));
        serde_yaml::from_str(&f.text).unwrap_or_else(|e| panic!("{path}: {e}\n{}", f.text))
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_sequence()
        .unwrap_or_else(|| panic!("not a list: {v:?}"))
        .iter()
        .map(|x| x.as_str().unwrap_or_default().to_string())
        .collect()
}

/// The operations of the inline patch `i` of a kustomization (its `patch` text parsed).
fn patch(k: &Value, i: usize) -> Value {
    let text = k["patches"][i]["patch"]
        .as_str()
        .expect("inline patch text");
    serde_yaml::from_str(text).expect("patch parses")
}

#[test]
fn a_program_without_deployments_gets_no_kustomize_files() {
    let text = r#"
project p { app_repo = "https://github.com/example/p" }
registry ghcr = ghcr { owner = "example" }
service api { build = go, port = 8080 }
environment dev { rollout = canary { steps = [50%, 100%] } }
"#;
    let p = program("none.gitops", text);
    assert!(Kustomize.emit(&p).is_empty());
    assert!(Rollouts.emit(&p).is_empty());
}

#[test]
fn generated_base_has_probes_resources_and_a_restricted_container() {
    let c = Case::load("generated_base");
    let k = c.doc("k8s/base/api/kustomization.yaml");
    assert_eq!(k["apiVersion"], "kustomize.config.k8s.io/v1beta1");
    assert_eq!(
        strings(&k["resources"]),
        ["deployment.yaml", "service.yaml"]
    );
    assert_eq!(k["labels"][0]["pairs"]["app.kubernetes.io/name"], "api");
    assert_eq!(k["labels"][0]["includeSelectors"], true);

    let d = c.doc("k8s/base/api/deployment.yaml");
    assert_eq!(d["spec"]["replicas"], 2);
    let ctr = &d["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        ctr["image"], "ghcr.io/example/api",
        "the base image has no tag"
    );
    assert_eq!(ctr["ports"][0]["containerPort"], 8080);
    assert_eq!(ctr["livenessProbe"]["httpGet"]["path"], "/livez");
    assert_eq!(ctr["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(ctr["readinessProbe"]["httpGet"]["port"], "http");
    assert_eq!(ctr["resources"]["requests"]["cpu"], "250m");
    assert_eq!(ctr["resources"]["limits"]["memory"], "512Mi");
    assert_eq!(ctr["env"][0]["name"], "LOG_LEVEL");
    assert_eq!(ctr["securityContext"]["allowPrivilegeEscalation"], false);
    assert_eq!(ctr["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(ctr["securityContext"]["runAsNonRoot"], true);

    let s = c.doc("k8s/base/api/service.yaml");
    assert_eq!(s["spec"]["type"], "ClusterIP");
    assert_eq!(s["spec"]["ports"][0]["port"], 8080);
    assert_eq!(s["spec"]["selector"]["app.kubernetes.io/name"], "api");

    // A service without a port: no Service, no probes.
    assert!(!c.has("k8s/base/worker/service.yaml"));
    let w = c.doc("k8s/base/worker/deployment.yaml");
    let wc = &w["spec"]["template"]["spec"]["containers"][0];
    assert!(wc.get("livenessProbe").is_none() && wc.get("ports").is_none());
}

#[test]
fn overlays_set_namespace_tag_and_replicas_per_environment() {
    let c = Case::load("generated_base");
    let expect = [
        ("dev", "dev", 2),
        ("staging", "shop-staging", 1),
        ("prod", "shop-prod", 4),
    ];
    for (env, namespace, replicas) in expect {
        let k = c.doc(&format!("k8s/overlays/{env}/api/kustomization.yaml"));
        assert_eq!(k["namespace"], namespace, "{env}");
        assert_eq!(strings(&k["resources"]), ["../../../base/api"], "{env}");
        assert_eq!(k["images"][0]["name"], "ghcr.io/example/api");
        assert_eq!(k["images"][0]["newName"], "ghcr.io/example/api");
        assert_eq!(
            k["images"][0]["newTag"], env,
            "initial tag is the environment"
        );
        assert_eq!(k["replicas"][0]["name"], "api");
        assert_eq!(k["replicas"][0]["count"], replicas, "{env}");
        assert!(k.get("namePrefix").is_none());
    }
    // The environment-wide replica count applies to a service without its own override.
    let w = c.doc("k8s/overlays/prod/worker/kustomization.yaml");
    assert_eq!(w["replicas"][0]["count"], 3);
    let dev = c.doc("k8s/overlays/dev/api/kustomization.yaml");
    assert!(dev.get("patches").is_none(), "dev equals the base");
}

#[test]
fn overrides_become_patches_and_a_config_map() {
    let c = Case::load("generated_base");
    let staging = c.doc("k8s/overlays/staging/api/kustomization.yaml");
    let cm = &staging["configMapGenerator"][0];
    assert_eq!(cm["name"], "api-env");
    // Kustomize strips one pair of quotes, so the quoted value carries one more.
    assert_eq!(
        strings(&cm["literals"]),
        ["LOG_LEVEL=debug", "FEATURE_FLAGS=\"\"quoted\"\""]
    );
    let ops = patch(&staging, 0);
    assert_eq!(staging["patches"][0]["target"]["kind"], "Deployment");
    assert_eq!(ops[0]["path"], "/spec/template/spec/containers/0/resources");
    assert_eq!(
        ops[0]["value"]["requests"]["memory"], "384Mi",
        "environment resources"
    );
    assert_eq!(
        ops[0]["value"]["requests"]["cpu"], "250m",
        "service resources"
    );
    assert_eq!(ops[1]["op"], "remove");
    assert_eq!(ops[2]["value"][0]["configMapRef"]["name"], "api-env");

    let prod = c.doc("k8s/overlays/prod/api/kustomization.yaml");
    let ops = patch(&prod, 0);
    assert_eq!(ops[0]["value"]["requests"]["cpu"], "500m");
    assert_eq!(ops[0]["value"]["limits"]["memory"], "1Gi");
    assert_eq!(ops[0]["value"]["limits"]["cpu"], "1");
    assert!(prod.get("configMapGenerator").is_none());
}

#[test]
fn existing_bases_are_referenced_and_helm_services_get_nothing() {
    let c = Case::load("existing_base");
    let root = "deploy/kustomize";
    assert!(
        !c.paths().iter().any(|p| p.contains("reports")),
        "helm service"
    );
    assert!(!c.has(&format!("{root}/base/billing/kustomization.yaml")));
    assert!(c.has(&format!("{root}/base/gateway/deployment.yaml")));
    let dev = c.doc(&format!("{root}/overlays/dev/billing/kustomization.yaml"));
    assert_eq!(
        strings(&dev["resources"]),
        ["../../../../../apps/billing/base"]
    );
    // The existing base does not hold the program's variables and resources: the overlay adds them.
    let literals = strings(&dev["configMapGenerator"][0]["literals"]);
    assert_eq!(literals, ["SPRING_PROFILES_ACTIVE=cloud"]);
    let ops = patch(&dev, 0);
    assert_eq!(ops[0]["value"]["requests"]["memory"], "768Mi");
    assert_eq!(ops[1]["path"], "/spec/template/spec/containers/0/envFrom");
    let prod = c.doc(&format!("{root}/overlays/prod/billing/kustomization.yaml"));
    let literals = strings(&prod["configMapGenerator"][0]["literals"]);
    assert_eq!(literals, ["SPRING_PROFILES_ACTIVE=cloud,prod"]);
    // Blue-green on an existing base: the preview Service copies the base Service.
    let r = &prod["replacements"];
    assert_eq!(r[0]["source"]["name"], "billing");
    assert_eq!(r[0]["source"]["fieldPath"], "spec.selector");
    assert_eq!(r[0]["targets"][0]["select"]["name"], "billing-preview");
    assert_eq!(r[1]["source"]["fieldPath"], "spec.ports");
    // An Istio canary on an existing base: the subsets copy the base Service's selector.
    let staging = c.doc(&format!(
        "{root}/overlays/staging/billing/kustomization.yaml"
    ));
    let r = &staging["replacements"][0];
    assert_eq!(r["targets"][0]["select"]["kind"], "DestinationRule");
    assert_eq!(
        strings(&r["targets"][0]["fieldPaths"]),
        [
            "spec.subsets.[name=stable].labels",
            "spec.subsets.[name=canary].labels"
        ]
    );
    assert_eq!(staging["namePrefix"], "stg-");
    let agg = c.doc(&format!("{root}/overlays/prod/kustomization.yaml"));
    assert_eq!(strings(&agg["resources"]), ["billing", "gateway"]);
}

#[test]
fn canary_on_istio_steps_pauses_and_background_analysis() {
    let c = Case::load("canary_istio");
    let dir = "k8s/overlays/prod/api";
    let r = c.doc(&format!("{dir}/rollout.yaml"));
    assert_eq!(r["apiVersion"], "argoproj.io/v1alpha1");
    assert_eq!(r["spec"]["replicas"], 6);
    assert_eq!(r["spec"]["workloadRef"]["kind"], "Deployment");
    assert_eq!(r["spec"]["workloadRef"]["name"], "api");
    assert_eq!(r["spec"]["workloadRef"]["scaleDown"], "progressively");
    let canary = &r["spec"]["strategy"]["canary"];
    let steps = canary["steps"].as_sequence().expect("steps");
    let weights: Vec<u64> = steps
        .iter()
        .filter_map(|s| s["setWeight"].as_u64())
        .collect();
    assert_eq!(weights, [10, 25, 50, 75, 100]);
    for (i, s) in steps.iter().enumerate() {
        let expected = if i % 2 == 1 { Some("5m") } else { None };
        assert_eq!(s["pause"]["duration"].as_str(), expected, "step {i}");
    }
    assert_eq!(steps.len(), 9);
    let analysis = &canary["analysis"];
    assert_eq!(analysis["templates"][0]["templateName"], "api-success-rate");
    assert_eq!(
        analysis["startingStep"], 2,
        "program step 1 follows a weight and a pause"
    );
    assert_eq!(analysis["args"][0]["name"], "service-name");
    assert_eq!(
        analysis["args"][0]["value"], "prod-api",
        "the prefixed Service name"
    );
    let istio = &canary["trafficRouting"]["istio"];
    assert_eq!(istio["virtualService"]["name"], "api");
    assert_eq!(strings(&istio["virtualService"]["routes"]), ["primary"]);
    assert_eq!(istio["destinationRule"]["canarySubsetName"], "canary");
    assert_eq!(istio["destinationRule"]["stableSubsetName"], "stable");

    let t = c.doc(&format!("{dir}/analysis-template.yaml"));
    let m = &t["spec"]["metrics"][0];
    assert_eq!(m["interval"], "1m");
    assert_eq!(m["failureLimit"], 2);
    assert_eq!(m["successCondition"], "result[0] >= 0.99");
    assert_eq!(
        m["provider"]["prometheus"]["address"],
        "http://prometheus.monitoring:9090"
    );
    assert_eq!(t["spec"]["args"][0]["name"], "service-name");

    let vs = c.doc(&format!("{dir}/virtual-service.yaml"));
    assert_eq!(vs["apiVersion"], "networking.istio.io/v1");
    assert_eq!(strings(&vs["spec"]["hosts"]), ["api.example.com", "api"]);
    assert_eq!(
        strings(&vs["spec"]["gateways"]),
        ["istio-system/public", "mesh"]
    );
    assert_eq!(vs["spec"]["http"][0]["route"][0]["weight"], 100);
    let dr = c.doc(&format!("{dir}/destination-rule.yaml"));
    assert_eq!(dr["spec"]["subsets"][1]["name"], "canary");
}

#[test]
fn a_rollout_owns_the_replica_count_of_its_overlay() {
    let c = Case::load("canary_istio");
    let k = c.doc("k8s/overlays/prod/api/kustomization.yaml");
    assert_eq!(k["namePrefix"], "prod-");
    assert_eq!(k["labels"][0]["pairs"]["tier"], "production");
    assert_eq!(k["labels"][0]["includeSelectors"], false);
    assert!(k.get("replicas").is_none(), "the Rollout carries the count");
    assert_eq!(
        strings(&k["resources"]),
        [
            "../../../base/api",
            "rollout.yaml",
            "analysis-template.yaml",
            "virtual-service.yaml",
            "destination-rule.yaml"
        ]
    );
    assert_eq!(strings(&k["configurations"]), ["rollout-transform.yaml"]);
    let clear = k["patches"]
        .as_sequence()
        .expect("patches")
        .iter()
        .map(|p| serde_yaml::from_str::<Value>(p["patch"].as_str().unwrap_or("")))
        .find_map(|v| v.ok().filter(|v| v.get("spec").is_some()))
        .expect("a patch that clears the Deployment's replicas");
    assert!(clear["spec"]["replicas"].is_null());
    // Staging rolls out as a plain Deployment: no Rollout files.
    let staging = c.doc("k8s/overlays/staging/api/kustomization.yaml");
    assert_eq!(staging["replicas"][0]["count"], 1);
    assert!(!c.has("k8s/overlays/staging/api/rollout.yaml"));
    // A service without a port cannot be routed: a canary by replica ratio.
    let w = c.doc("k8s/overlays/prod/worker/rollout.yaml");
    assert!(w["spec"]["strategy"]["canary"]
        .get("trafficRouting")
        .is_none());
    assert!(!c.has("k8s/overlays/prod/worker/virtual-service.yaml"));
}

#[test]
fn canary_on_nginx_has_a_canary_service_and_a_manual_pause() {
    let c = Case::load("canary_nginx");
    let dir = "k8s/overlays/prod/web";
    let r = c.doc(&format!("{dir}/rollout.yaml"));
    let canary = &r["spec"]["strategy"]["canary"];
    assert_eq!(canary["canaryService"], "web-canary");
    assert_eq!(canary["stableService"], "web");
    assert_eq!(canary["trafficRouting"]["nginx"]["stableIngress"], "web");
    let steps = canary["steps"].as_sequence().expect("steps");
    assert_eq!(steps[0]["setWeight"], 20);
    assert_eq!(
        steps[1]["pause"],
        Value::Mapping(Default::default()),
        "manual"
    );
    assert_eq!(steps[2]["setWeight"], 50);
    assert_eq!(steps[3]["pause"]["duration"], "10m");
    assert_eq!(steps[4]["setWeight"], 100);
    assert_eq!(steps.len(), 5);
    assert_eq!(canary["analysis"]["startingStep"], 2);
    let s = c.doc(&format!("{dir}/canary-service.yaml"));
    assert_eq!(s["metadata"]["name"], "web-canary");
    assert_eq!(s["spec"]["selector"]["app.kubernetes.io/name"], "web");
    assert_eq!(s["spec"]["ports"][0]["port"], 3000);
    let m = &c.doc(&format!("{dir}/analysis-template.yaml"))["spec"]["metrics"][0];
    assert_eq!(
        m["successCondition"], "result[0] >= 0.95",
        "the default condition"
    );
}

#[test]
fn blue_green_fields_and_preview_service() {
    let c = Case::load("blue_green");
    let staging = c.doc("k8s/overlays/staging/ledger/rollout.yaml");
    let bg = &staging["spec"]["strategy"]["blueGreen"];
    assert_eq!(bg["activeService"], "ledger");
    assert_eq!(bg["previewService"], "ledger-preview");
    assert_eq!(bg["autoPromotionEnabled"], true);
    assert_eq!(bg["autoPromotionSeconds"], 600);
    assert_eq!(bg["scaleDownDelaySeconds"], 30);
    assert!(bg.get("previewReplicaCount").is_none());
    assert_eq!(staging["spec"]["replicas"], 2);

    let prod = c.doc("k8s/overlays/prod/ledger/rollout.yaml");
    let bg = &prod["spec"]["strategy"]["blueGreen"];
    assert_eq!(bg["autoPromotionEnabled"], false);
    assert_eq!(bg["scaleDownDelaySeconds"], 300);
    assert_eq!(bg["previewReplicaCount"], 1);
    assert_eq!(prod["spec"]["replicas"], 5);
    assert!(prod["spec"]["strategy"].get("canary").is_none());

    let preview = c.doc("k8s/overlays/prod/ledger/preview-service.yaml");
    assert_eq!(preview["metadata"]["name"], "ledger-preview");
    assert_eq!(preview["spec"]["ports"][0]["port"], 9000);
    let k = c.doc("k8s/overlays/prod/ledger/kustomization.yaml");
    assert_eq!(
        strings(&k["resources"]),
        [
            "../../../base/ledger",
            "rollout.yaml",
            "preview-service.yaml"
        ]
    );
    assert_eq!(k["images"][0]["name"], c.program.services[0].image.as_str());
}

#[test]
fn name_prefixes_labels_and_environment_folders() {
    let c = Case::load("prefix_labels");
    let us = c.doc("k8s/overlays/us/auth/kustomization.yaml");
    assert_eq!(us["namePrefix"], "us-");
    assert_eq!(us["namespace"], "platform");
    assert_eq!(us["labels"][0]["pairs"]["region"], "us-east-1");
    assert_eq!(us["labels"][0]["includeTemplates"], true);
    let eu = c.doc("k8s/overlays/eu/search/kustomization.yaml");
    assert_eq!(eu["namePrefix"], "eu-");
    assert_eq!(eu["replicas"][0]["count"], 2);
    assert_eq!(
        strings(&eu["configMapGenerator"][0]["literals"]),
        ["INDEX=products-eu"]
    );
    let envs = [
        ("dev", vec!["auth", "search"]),
        ("us", vec!["auth", "search"]),
        ("eu", vec!["search"]),
    ];
    for (env, services) in envs {
        let k = c.doc(&format!("k8s/overlays/{env}/kustomization.yaml"));
        assert_eq!(strings(&k["resources"]), services, "{env}");
    }
    assert!(!c.has("k8s/overlays/eu/auth/kustomization.yaml"));
    assert!(!c.paths().iter().any(|p| p.contains("sandbox")));
}

#[test]
fn unusual_programs_render_without_panicking() {
    use gitopsc::ir::{BlueGreen, Canary, Strategy};
    // The program's lists are shared: changing one takes a copy of it.
    use std::sync::Arc;
    let base = Case::load("canary_istio").program;
    let mut variants: Vec<Program> = Vec::new();
    // Indices out of range are ignored.
    let mut p = base.clone();
    let d = &mut Arc::make_mut(&mut p.deployments)[0];
    d.services.push(99);
    d.environments.push(99);
    variants.push(p);
    // A canary without steps and an analysis that starts past the end; an empty name prefix.
    let mut p = base.clone();
    if let Strategy::Canary(c) = &mut Arc::make_mut(&mut p.environments)[1].rollout {
        c.steps.clear();
        if let Some(a) = c.analysis.as_mut() {
            a.start_step = 1000;
        }
    }
    Arc::make_mut(&mut p.environments)[1].name_prefix = Some(String::new());
    variants.push(p);
    // Blue-green for a service without a port stays a plain Deployment.
    let mut p = base.clone();
    Arc::make_mut(&mut p.environments)[1].rollout = Strategy::BlueGreen(BlueGreen {
        auto_promote: true,
        auto_promote_seconds: None,
        scale_down_delay_seconds: None,
        preview_replicas: None,
    });
    Arc::make_mut(&mut p.services)[0].port = None;
    variants.push(p);
    // The repository root as the Kustomize root, an existing base path that climbs, a canary
    // without analysis or traffic.
    let mut p = base.clone();
    p.routing.kustomize = "./".into();
    Arc::make_mut(&mut p.services)[1].manifests = Manifests::Existing {
        path: "../legacy/./worker/".into(),
    };
    Arc::make_mut(&mut p.environments)[1].rollout = Strategy::Canary(Canary {
        steps: Vec::new(),
        analysis: None,
        traffic: None,
    });
    variants.push(p);
    for (i, p) in variants.iter().enumerate() {
        let files = render(p);
        for f in &files {
            serde_yaml::from_str::<Value>(&f.text)
                .unwrap_or_else(|e| panic!("variant {i}: {}: {e}", f.path));
        }
    }
    let p = &variants[2];
    let files = render(p);
    assert!(files.iter().all(|f| !f.path.ends_with("api/rollout.yaml")));
    let files = render(&variants[3]);
    let k = files
        .iter()
        .find(|f| f.path == "overlays/prod/worker/kustomization.yaml")
        .expect("overlay at the repository root");
    let k: Value = serde_yaml::from_str(&k.text).expect("kustomization");
    assert_eq!(strings(&k["resources"])[0], "../../../legacy/worker");
}

#[test]
fn fields_the_rollouts_controller_changes_are_listed_for_argo_cd() {
    use gitopsc::backends::rollouts::controller_owned;
    let c = Case::load("canary_istio");
    let (api, prod, staging) = (0, 1, 0);
    let owned = controller_owned(&c.program, api, prod);
    let kinds: Vec<(&str, &str)> = owned.iter().map(|f| (f.kind, f.name.as_str())).collect();
    assert_eq!(
        kinds,
        [
            ("Deployment", "prod-api"),
            ("VirtualService", "prod-api"),
            ("DestinationRule", "prod-api")
        ]
    );
    assert_eq!(owned[1].json_pointers, ["/spec/http"]);
    assert!(controller_owned(&c.program, api, staging).is_empty());
    let bg = Case::load("blue_green");
    let owned = controller_owned(&bg.program, 0, 1);
    let services: Vec<&str> = owned
        .iter()
        .filter(|f| f.kind == "Service")
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(services, ["ledger", "ledger-preview"]);
}

/// A minimal existing base for service `name` (Deployment and Service named after it), with a
/// pod label gitopsc does not use, so the copy of the base Service's selector is exercised.
fn existing_base(name: &str, image: &str) -> [(&'static str, String); 3] {
    let kustomization =
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deployment.yaml\n  - service.yaml\n".to_string();
    let deployment = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      containers:\n        - name: {name}\n          image: {image}\n"
    );
    let service = format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  selector:\n    app: {name}\n  ports:\n    - port: 80\n      targetPort: 8080\n"
    );
    [
        ("kustomization.yaml", kustomization),
        ("deployment.yaml", deployment),
        ("service.yaml", service),
    ]
}

fn write(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// Writes the case's GitOps files (and stand-ins for its existing bases) below `dir`.
fn write_case(dir: &Path, case: &Case) {
    for f in &case.files {
        assert_eq!(f.repo, Repo::Gitops, "{}", f.path);
        write(&dir.join(&f.path), &f.text);
    }
    for s in case.program.services.iter() {
        if let Manifests::Existing { path } = &s.manifests {
            for (file, text) in existing_base(&s.name, &s.image) {
                write(&dir.join(path).join(file), &text);
            }
        }
    }
}

fn case_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(CASES)
        .expect("cases folder")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            name.strip_suffix(".gitops").map(str::to_string)
        })
        .collect();
    names.sort();
    names
}

#[test]
fn every_case_renders_to_a_tree() {
    let names = case_names();
    assert!(names.len() >= 5, "at least five feature cases: {names:?}");
    let root: PathBuf =
        std::env::temp_dir().join(format!("gitopsc-kustomize-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    for name in &names {
        let case = Case::load(name);
        assert!(!case.files.is_empty(), "{name} generates files");
        let again = render(&case.program);
        assert_eq!(case.files, again, "{name}: output is deterministic");
        for f in &case.files {
            assert!(f.text.starts_with(emit::HEADER_PREFIX), "{}", f.path);
            serde_yaml::from_str::<Value>(&f.text)
                .unwrap_or_else(|e| panic!("{name}: {}: {e}", f.path));
        }
        write_case(&root.join(name), &case);
    }
    if std::env::var("GITOPSC_VALIDATE").as_deref() == Ok("1") {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/validate-outputs");
        let out = std::process::Command::new(script)
            .arg(&root)
            .output()
            .expect("run .ci/validate-outputs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        println!("{stdout}");
        assert!(
            out.status.success(),
            "validation failed:\n{stdout}\n{stderr}"
        );
    }
    let _ = std::fs::remove_dir_all(&root);
}
