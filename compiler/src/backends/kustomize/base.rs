//! Generated Kustomize bases: `base/<svc>/` with a Deployment, a Service and the Kustomization
//! that lists them and labels everything with `app.kubernetes.io/name: <svc>`.
//!
//! Invariants: the base is environment-independent (namespace, name prefix, image tag, replica
//! count per environment and overrides belong to overlays); the container image carries no tag,
//! because every overlay sets one through `images`; the container runs as non-root with a
//! read-only root filesystem (an `emptyDir` at `/tmp` gives it a writable scratch folder), no
//! privilege escalation and no capabilities. A service without a port gets no Service and no
//! probes (an HTTP probe needs a port).

use crate::emit::{OutputFile, Repo};
use crate::ir;

use super::k8s::{self, Container, Deployment, ObjectMeta, PodTemplate};
use super::model::{Kustomization, Labels};
use super::Layout;

/// The files of the generated base of `svc`.
pub(super) fn files(layout: &Layout, svc: &ir::Service) -> Vec<OutputFile<'static>> {
    let dir = layout.base_dir(&svc.name);
    let mut resources = vec!["deployment.yaml".to_string()];
    let mut out =
        vec![OutputFile::new(Repo::Gitops, format!("{dir}/deployment.yaml")).doc(deployment(svc))];
    if svc.port.is_some() {
        resources.push("service.yaml".to_string());
        let service = k8s::cluster_ip_service(&svc.name, &svc.name, svc.port);
        out.push(OutputFile::new(Repo::Gitops, format!("{dir}/service.yaml")).doc(service));
    }
    let mut kustomization = Kustomization::new(resources);
    kustomization.labels = vec![Labels {
        pairs: k8s::selector_labels(&svc.name),
        include_selectors: true,
        include_templates: None,
    }];
    out.insert(
        0,
        OutputFile::new(Repo::Gitops, format!("{dir}/kustomization.yaml")).doc(kustomization),
    );
    out
}

/// The Deployment of `svc` with its default replica count.
fn deployment(svc: &ir::Service) -> Deployment {
    let labels = k8s::selector_labels(&svc.name);
    Deployment {
        api_version: "apps/v1",
        kind: "Deployment",
        metadata: ObjectMeta::named(&svc.name),
        spec: k8s::DeploymentSpec {
            replicas: svc.replicas,
            selector: k8s::LabelSelector {
                match_labels: labels.clone(),
            },
            template: PodTemplate {
                metadata: k8s::TemplateMeta { labels },
                spec: pod_spec(container(svc), None),
            },
        },
    }
}

/// The one container of `svc`.
fn container(svc: &ir::Service) -> Container {
    let probe = |path: &str| {
        svc.port.map(|_| k8s::Probe {
            http_get: k8s::HttpGetAction {
                path: path.to_string(),
                port: k8s::PORT_NAME,
            },
        })
    };
    let ports = svc
        .port
        .map(|p| k8s::ContainerPort {
            name: k8s::PORT_NAME,
            container_port: p,
            protocol: "TCP",
        })
        .into_iter()
        .collect();
    Container {
        name: svc.name.clone(),
        image: svc.image.clone(),
        command: Vec::new(),
        args: Vec::new(),
        ports,
        env: env_vars(&svc.env),
        resources: svc
            .resources
            .as_ref()
            .and_then(k8s::ResourceRequirements::from_ir),
        liveness_probe: svc.health.as_ref().and_then(|h| probe(&h.liveness)),
        readiness_probe: svc.health.as_ref().and_then(|h| probe(&h.readiness)),
        security_context: restricted(),
        volume_mounts: vec![tmp_mount()],
    }
}

/// A pod of one container, non-root with the runtime's default seccomp profile, with an
/// `emptyDir` for `/tmp` (the root file system is read-only).
pub(super) fn pod_spec(container: Container, restart_policy: Option<&'static str>) -> k8s::PodSpec {
    k8s::PodSpec {
        restart_policy,
        security_context: k8s::PodSecurityContext {
            run_as_non_root: true,
            seccomp_profile: k8s::SeccompProfile {
                kind: "RuntimeDefault",
            },
        },
        containers: vec![container],
        volumes: vec![k8s::Volume {
            name: "tmp",
            empty_dir: k8s::EmptyDir {},
        }],
    }
}

/// The mount of the `/tmp` scratch folder of [`pod_spec`].
pub(super) fn tmp_mount() -> k8s::VolumeMount {
    k8s::VolumeMount {
        name: "tmp",
        mount_path: "/tmp",
    }
}

/// Plain `env` entries in declaration order.
fn env_vars(env: &indexmap::IndexMap<String, String>) -> Vec<k8s::EnvVar> {
    env.iter()
        .map(|(name, value)| k8s::EnvVar::plain(name, value))
        .collect()
}

/// The container security context of the Kubernetes "restricted" pod security standard.
pub(super) fn restricted() -> k8s::SecurityContext {
    k8s::SecurityContext {
        allow_privilege_escalation: false,
        read_only_root_filesystem: true,
        run_as_non_root: true,
        capabilities: k8s::Capabilities { drop: vec!["ALL"] },
    }
}
