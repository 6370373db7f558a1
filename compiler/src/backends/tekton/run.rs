//! PipelineRuns: the example run written next to each Pipeline and the run a TriggerTemplate
//! creates.
//!
//! Invariant: a run binds every workspace the Pipeline declares (`source` to a fresh
//! ReadWriteOnce claim of 1Gi, every other workspace to an `emptyDir`) and passes every
//! parameter that has no default, so the Pipeline can start from it as is.

use super::model::{
    ClaimResources, ClaimSpec, ClaimTemplate, EmptyDir, GenMeta, Labels, NameRef, Param, ParamSpec,
    Pipeline, PipelineRun, PipelineRunSpec, RunWorkspace, TaskRunTemplate, Timeouts, Value,
    PIPELINES_API,
};
use super::refs::{self, GIT_REVISION, GIT_URL};
use super::task::SOURCE;
use crate::ir::{self, Program};

/// The default timeout of a PipelineRun, in minutes.
const DEFAULT_TIMEOUT: u32 = 60;

/// A run of `pipeline` with the given parameters.
pub fn pipeline_run(
    pl: &ir::Pipeline,
    pipeline: &Pipeline,
    metadata: GenMeta,
    params: Vec<Param>,
) -> PipelineRun {
    PipelineRun {
        api_version: PIPELINES_API,
        kind: "PipelineRun",
        metadata,
        spec: PipelineRunSpec {
            pipeline_ref: NameRef {
                name: pipeline.metadata.name.clone(),
            },
            params,
            timeouts: timeouts(pl),
            task_run_template: pl.service_account.as_ref().map(|name| TaskRunTemplate {
                service_account_name: name.clone(),
            }),
            workspaces: pipeline
                .spec
                .workspaces
                .iter()
                .map(|w| run_workspace(&w.name))
                .collect(),
        },
    }
}

/// The example PipelineRun: the repository's default branch, example values for the other
/// parameters without a default.
pub fn example_run(program: &Program, pl: &ir::Pipeline, pipeline: &Pipeline) -> PipelineRun {
    let params = pipeline
        .spec
        .params
        .iter()
        .filter(|p| p.default.is_none() || p.name == GIT_URL || p.name == GIT_REVISION)
        .map(|p| Param::string(&p.name, example_value(program, p)))
        .collect();
    let metadata = GenMeta {
        generate_name: format!("{}-", pl.name),
        namespace: Some(program.project.tekton_namespace.clone()),
        labels: Labels {
            managed_by: Some("gitopsc".into()),
            ..Labels::default()
        },
    };
    pipeline_run(pl, pipeline, metadata, params)
}

fn example_value(program: &Program, p: &ParamSpec) -> String {
    if let Some(Value::Str(d)) = &p.default {
        return d.clone();
    }
    let branch = &program.project.default_branch;
    match p.name.as_str() {
        "git-ref" => format!("refs/heads/{branch}"),
        "git-ref-name" => branch.clone(),
        "git-repository" => repository_of(&program.project.app_repo),
        _ => String::new(),
    }
}

/// `owner/name` from a clone URL.
fn repository_of(url: &str) -> String {
    let path = url.trim_end_matches('/').trim_end_matches(".git");
    let parts: Vec<&str> = path.rsplitn(3, ['/', ':']).collect();
    match parts.as_slice() {
        [name, owner, ..] => format!("{owner}/{name}"),
        _ => path.to_string(),
    }
}

fn run_workspace(name: &str) -> RunWorkspace {
    if name == SOURCE {
        RunWorkspace {
            name: name.to_string(),
            volume_claim_template: Some(ClaimTemplate {
                spec: ClaimSpec {
                    access_modes: vec!["ReadWriteOnce".into()],
                    resources: ClaimResources {
                        requests: super::model::Storage {
                            storage: "1Gi".into(),
                        },
                    },
                },
            }),
            empty_dir: None,
        }
    } else {
        RunWorkspace {
            name: name.to_string(),
            volume_claim_template: None,
            empty_dir: Some(EmptyDir {}),
        }
    }
}

/// A pipeline timeout long enough for every job's own timeout, when one exceeds Tekton's
/// default hour (Tekton refuses a task timeout longer than its pipeline's).
fn timeouts(pl: &ir::Pipeline) -> Option<Timeouts> {
    let longest = pl.jobs.iter().filter_map(|j| j.timeout_minutes).max()?;
    if longest <= DEFAULT_TIMEOUT {
        return None;
    }
    let total: u32 = pl
        .jobs
        .iter()
        .map(|j| j.timeout_minutes.unwrap_or(DEFAULT_TIMEOUT))
        .fold(0u32, u32::saturating_add);
    Some(Timeouts {
        pipeline: refs::duration(total),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_from_urls() {
        assert_eq!(
            repository_of("https://github.com/example/shop"),
            "example/shop"
        );
        assert_eq!(
            repository_of("git@github.com:example/shop.git"),
            "example/shop"
        );
    }
}
