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
use super::model::{Kustomization, LabelPairs, Labels};
use super::Layout;

/// The files of the generated base of `svc`.
pub(super) fn files<'p>(layout: &Layout, svc: &'p ir::Service) -> Vec<OutputFile<'p>> {
    let has_service = svc.port.is_some();
    let resources = if has_service {
        vec!["deployment.yaml".into(), "service.yaml".into()]
    } else {
        vec!["deployment.yaml".into()]
    };
    let mut kustomization = Kustomization::new(resources);
    kustomization.labels = Some(Labels {
        pairs: LabelPairs::Fixed(k8s::selector_labels(&svc.name)),
        include_selectors: true,
        include_templates: None,
    });
    let file = |name: &str| OutputFile::new(Repo::Gitops, layout.base_file(&svc.name, name));
    let mut out = Vec::with_capacity(3);
    out.push(file("kustomization.yaml").doc(kustomization));
    out.push(file("deployment.yaml").doc(deployment(svc)));
    if has_service {
        let service = k8s::cluster_ip_service(svc.name.as_str(), &svc.name, svc.port);
        out.push(file("service.yaml").doc(service));
    }
    out
}

/// The Deployment of `svc` with its default replica count.
fn deployment(svc: &ir::Service) -> Deployment<'_> {
    let labels = k8s::selector_labels(&svc.name);
    Deployment {
        api_version: "apps/v1",
        kind: "Deployment",
        metadata: ObjectMeta::named(svc.name.as_str()),
        spec: k8s::DeploymentSpec {
            replicas: svc.replicas,
            selector: k8s::LabelSelector {
                match_labels: labels,
            },
            template: PodTemplate {
                metadata: k8s::TemplateMeta { labels },
                spec: pod_spec(container(svc), None),
            },
        },
    }
}

/// The one container of `svc`.
fn container(svc: &ir::Service) -> Container<'_> {
    let probe = |path| {
        svc.port.map(|_| k8s::Probe {
            http_get: k8s::HttpGetAction {
                path,
                port: k8s::PORT_NAME,
            },
        })
    };
    let ports = svc.port.map(|p| k8s::ContainerPort {
        name: k8s::PORT_NAME,
        container_port: p,
        protocol: "TCP",
    });
    Container {
        name: &svc.name,
        image: &svc.image,
        command: &[],
        args: &[],
        ports,
        env: env_vars(&svc.env),
        resources: svc
            .resources
            .as_ref()
            .and_then(k8s::ResourceRequirements::from_ir),
        liveness_probe: svc.health.as_ref().and_then(|h| probe(&h.liveness)),
        readiness_probe: svc.health.as_ref().and_then(|h| probe(&h.readiness)),
        security_context: restricted(),
        volume_mounts: TMP_MOUNTS,
    }
}

/// A pod of one container, non-root with the runtime's default seccomp profile, with an
/// `emptyDir` for `/tmp` (the root file system is read-only).
pub(super) fn pod_spec<'p>(
    container: Container<'p>,
    restart_policy: Option<&'static str>,
) -> k8s::PodSpec<'p> {
    k8s::PodSpec {
        restart_policy,
        security_context: k8s::PodSecurityContext {
            run_as_non_root: true,
            seccomp_profile: k8s::SeccompProfile {
                kind: "RuntimeDefault",
            },
        },
        containers: vec![container],
        volumes: TMP_VOLUMES,
    }
}

/// The `/tmp` scratch volume of [`pod_spec`].
const TMP_VOLUMES: &[k8s::Volume] = &[k8s::Volume {
    name: "tmp",
    empty_dir: k8s::EmptyDir {},
}];

/// The mount of the `/tmp` scratch folder of [`pod_spec`].
pub(super) const TMP_MOUNTS: &[k8s::VolumeMount] = &[k8s::VolumeMount {
    name: "tmp",
    mount_path: "/tmp",
}];

/// Plain `env` entries in declaration order.
fn env_vars(env: &indexmap::IndexMap<String, String>) -> Vec<k8s::EnvVar<'_>> {
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
        capabilities: k8s::Capabilities { drop: &["ALL"] },
    }
}
