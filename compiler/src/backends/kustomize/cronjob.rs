//! Scheduled workloads: `overlays/<env>/<svc>/cronjob-<name>.yaml` for every CronJob in every
//! environment it runs in, listed in the `resources` of that service overlay.
//!
//! Decisions, and why:
//! - the CronJob lives in the overlay, not in the base: its schedule, time zone, suspension,
//!   resources and variables may differ per environment and it may run in only some
//!   environments, so each overlay holds the whole object with that environment's values and
//!   needs no patch. The overlay's `namespace`, `namePrefix`, `labels` and `images` apply to it as
//!   to the Deployment, so a CronJob that runs the service's image follows every deploy;
//! - its objects and pods are labelled `app.kubernetes.io/name: <cronjob>` and
//!   `app.kubernetes.io/part-of: <service>`, never with the service's selector, which would let
//!   the service's Service and Rollout select the CronJob's pods;
//! - the pod has the Deployment's security defaults (non-root, `RuntimeDefault` seccomp, no
//!   privilege escalation, read-only root file system, no capabilities, an `emptyDir` at `/tmp`);
//! - a secret is read through `valueFrom.secretKeyRef` from the Secret named like the Tekton
//!   backend names it (`SLACK_WEBHOOK` is `slack-webhook`), key `value`.
//!
//! Invariant: every file this module writes is listed by [`resources`] for the same pair, so
//! `kubectl kustomize` renders it with the overlay.

use crate::emit::{OutputFile, Repo};
use crate::ir::{self, EnvId, EnvValue, Program, ServiceId};

use super::base::{pod_spec, restricted, TMP_MOUNTS};
use super::k8s::{self, Container, NameLabels, ObjectMeta, PodTemplate, ResourceRequirements};
use super::Layout;

/// The key under which a Secret holds a declared secret's value.
const SECRET_KEY: &str = "value";

/// The CronJobs of service `svc` that run in `env`.
fn of(program: &Program, svc: ServiceId, env: EnvId) -> impl Iterator<Item = &ir::CronJob> {
    program
        .cronjobs
        .iter()
        .filter(move |c| c.service == svc && c.environments.contains(&env))
}

/// The file name of a CronJob inside an overlay folder.
fn file_name(c: &ir::CronJob) -> String {
    ["cronjob-", &c.name, ".yaml"].concat()
}

/// What the overlay of `svc` in `env` lists for its CronJobs.
pub(super) fn resources(
    program: &Program,
    svc: ServiceId,
    env: EnvId,
) -> impl Iterator<Item = String> + '_ {
    of(program, svc, env).map(file_name)
}

/// The CronJob files of `svc` in `env`.
pub(super) fn files<'p>(
    program: &'p Program,
    layout: &Layout,
    svc: ServiceId,
    env: EnvId,
) -> Vec<OutputFile<'p>> {
    let s = &program.services[svc];
    let env_name = &program.environments[env].name;
    of(program, svc, env)
        .map(|c| {
            let path = layout.overlay_file(env_name, &s.name, &file_name(c));
            OutputFile::new(Repo::Gitops, path).doc(cronjob(c, s, env))
        })
        .collect()
}

/// The CronJob `c` with the values of environment `env`.
fn cronjob<'p>(c: &'p ir::CronJob, svc: &'p ir::Service, env: EnvId) -> k8s::CronJob<'p> {
    let o = c.overrides.get(&env);
    let labels = NameLabels {
        name: &c.name,
        part_of: Some(&svc.name),
    };
    let suspend = o.and_then(|o| o.suspend).unwrap_or(c.suspend);
    let resources = o
        .and_then(|o| o.resources.as_ref())
        .or(c.resources.as_ref());
    let container = Container {
        name: &c.name,
        image: c.image.as_deref().unwrap_or(&svc.image),
        command: &c.command,
        args: &c.args,
        ports: None,
        env: env_vars(c, o),
        resources: resources.and_then(ResourceRequirements::from_ir),
        liveness_probe: None,
        readiness_probe: None,
        security_context: restricted(),
        volume_mounts: TMP_MOUNTS,
    };
    k8s::CronJob {
        api_version: "batch/v1",
        kind: "CronJob",
        metadata: ObjectMeta {
            name: c.name.as_str().into(),
            labels: Some(labels),
        },
        spec: k8s::CronJobSpec {
            schedule: o.and_then(|o| o.schedule.as_deref()).unwrap_or(&c.schedule),
            time_zone: o
                .and_then(|o| o.time_zone.as_deref())
                .or(c.time_zone.as_deref()),
            concurrency_policy: c.concurrency.as_str(),
            suspend: suspend.then_some(true),
            starting_deadline_seconds: c.starting_deadline_seconds,
            successful_jobs_history_limit: c.successful_history,
            failed_jobs_history_limit: c.failed_history,
            job_template: k8s::JobTemplate {
                metadata: k8s::TemplateMeta { labels },
                spec: k8s::JobSpec {
                    backoff_limit: c.backoff_limit,
                    active_deadline_seconds: c.active_deadline_seconds,
                    template: PodTemplate {
                        metadata: k8s::TemplateMeta { labels },
                        spec: pod_spec(container, Some(c.restart.as_str())),
                    },
                },
            },
        },
    }
}

/// The CronJob's variables, the environment's values replacing its own, in declaration order.
fn env_vars<'p>(c: &'p ir::CronJob, o: Option<&'p ir::CronJobOverride>) -> Vec<k8s::EnvVar<'p>> {
    let overrides = o.map(|o| &o.env).filter(|env| !env.is_empty());
    let var = |name: &'p str, value: &'p EnvValue| match value {
        EnvValue::Plain(v) => k8s::EnvVar::plain(name, v),
        EnvValue::Secret(s) => k8s::EnvVar::secret(name, secret_name(s), SECRET_KEY),
    };
    // The declared order, each value replaced by the environment's; then the environment's
    // variables the CronJob does not declare, in their order (what inserting them into a copy
    // of the CronJob's map gives).
    let mut vars: Vec<_> = c
        .env
        .iter()
        .map(|(k, v)| var(k, overrides.and_then(|o| o.get(k)).unwrap_or(v)))
        .collect();
    if let Some(overrides) = overrides {
        vars.extend(
            overrides
                .iter()
                .filter(|(k, _)| !c.env.contains_key(*k))
                .map(|(k, v)| var(k, v)),
        );
    }
    vars
}

/// The Kubernetes Secret that holds a declared secret: lower case, runs of other characters
/// as one `-` (the Tekton backend's rule, so one Secret serves both).
pub fn secret_name(secret: &str) -> String {
    let mut out = String::with_capacity(secret.len());
    for c in secret.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let name = out.trim_matches('-');
    if name.is_empty() {
        "secret".to_string()
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::secret_name;

    #[test]
    fn secret_names_are_dns_labels() {
        assert_eq!(secret_name("SLACK_WEBHOOK"), "slack-webhook");
        assert_eq!(secret_name("GITOPS__TOKEN_"), "gitops-token");
        assert_eq!(secret_name("__"), "secret");
    }
}
