//! The Kustomize backend: generated bases and per-environment overlays in the GitOps repository.
//!
//! Layout below `routing.kustomize` (`<root>`):
//! - `<root>/base/<svc>/` for every delivered service whose manifests are generated:
//!   `kustomization.yaml`, `deployment.yaml` and (when the service has a port) `service.yaml`;
//! - `<root>/overlays/<env>/<svc>/kustomization.yaml` for every service an `ir::Deployment`
//!   delivers to `env`, unless the service is deployed with Helm;
//! - `<root>/overlays/<env>/kustomization.yaml`, listing the service folders of that environment;
//! - `<root>/overlays/<env>/<svc>/cronjob-<name>.yaml` for every CronJob of the service that runs
//!   in `env` (see [`cronjob`]).
//!
//! Invariants: only services and environments some deployment names get files (a program
//! without deployments gets none); each path is produced once, even when several deployments
//! deliver the same pair; files appear in service and environment declaration order. Files of
//! progressive rollouts in an overlay folder belong to the `rollouts` backend, which tells this
//! one (through [`crate::backends::rollouts::overlay_hook`]) what to list and patch.

mod base;
mod cronjob;
pub mod k8s;
pub mod model;
mod overlay;

use std::collections::BTreeSet;

use crate::backends::Backend;
use crate::emit::OutputFile;
use crate::ir::{EnvId, Manifests, Program, ServiceId};

/// Generates Kustomize bases and overlays.
pub struct Kustomize;

impl Backend for Kustomize {
    fn name(&self) -> &'static str {
        "kustomize"
    }
    fn reads_pipelines(&self) -> bool {
        false
    }

    fn emit_each<'p>(&self, program: &'p Program, out: &mut dyn FnMut(OutputFile<'p>)) {
        let layout = Layout::new(program);
        let pairs = delivered(program);
        let services: BTreeSet<ServiceId> = pairs.iter().map(|&(s, _)| s).collect();
        for &svc in &services {
            if let Some(s) = program.services.get(svc) {
                if s.manifests == Manifests::Generated {
                    base::files(&layout, s).into_iter().for_each(&mut *out);
                }
            }
        }
        for &(svc, env) in &pairs {
            out(overlay::service_overlay(program, &layout, svc, env));
            cronjob::files(program, &layout, svc, env)
                .into_iter()
                .for_each(&mut *out);
        }
        overlay::environment_overlays(program, &layout, &pairs)
            .into_iter()
            .for_each(out);
    }
}

/// Every (service, environment) pair some deployment delivers through Kustomize: services
/// deployed with Helm are left out. Sorted by environment, then service; no duplicates.
pub fn delivered(program: &Program) -> Vec<(ServiceId, EnvId)> {
    let mut set = BTreeSet::new();
    for d in program.deployments.iter() {
        for &svc in &d.services {
            let Some(s) = program.services.get(svc) else {
                continue;
            };
            if matches!(s.manifests, Manifests::Helm { .. }) {
                continue;
            }
            for &env in &d.environments {
                if env < program.environments.len() {
                    set.insert((env, svc));
                }
            }
        }
    }
    set.into_iter().map(|(env, svc)| (svc, env)).collect()
}

/// Folder names below the Kustomize root of the GitOps repository.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The normalised root: no leading `./`, no trailing `/`; empty for the repository root.
    root: String,
}

impl Layout {
    pub fn new(program: &Program) -> Layout {
        Layout {
            root: normalize(&program.routing.kustomize).join("/"),
        }
    }

    /// The parts of `<root>/base/<svc>`, for [`relative`].
    pub fn base_parts<'a>(&'a self, svc: &'a str) -> [&'a str; 3] {
        [&self.root, "base", svc]
    }

    /// `<root>/base/<svc>/<file>`.
    pub fn base_file(&self, svc: &str, file: &str) -> String {
        self.path(&["base", svc, file])
    }

    /// `<root>/overlays/<env>/<file>`.
    pub fn env_file(&self, env: &str, file: &str) -> String {
        self.path(&["overlays", env, file])
    }

    /// `<root>/overlays/<env>/<svc>/<file>`.
    pub fn overlay_file(&self, env: &str, svc: &str, file: &str) -> String {
        self.path(&["overlays", env, svc, file])
    }

    /// The root, then `parts`, joined by `/` (the root has no trailing `/`), in one
    /// allocation.
    fn path(&self, parts: &[&str]) -> String {
        let len = self.root.len() + parts.iter().map(|p| p.len() + 1).sum::<usize>();
        let mut out = String::with_capacity(len);
        out.push_str(&self.root);
        for part in parts {
            if !out.is_empty() {
                out.push('/');
            }
            out.push_str(part);
        }
        out
    }
}

/// The components of a repository-relative path: `.` and empty parts dropped, `..` applied
/// (never above the repository root), a leading `/` ignored.
fn normalize(path: &str) -> Vec<&str> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts
}

/// The relative path from folder `from` to the folder `to` (the parts joined by `/`), both
/// relative to the repository root.
///
/// Two plain paths (every path gitopsc composes, and most a program names) are compared in one
/// pass, so the answer is the only allocation; any others are normalised first.
pub fn relative(from: &str, to: &[&str]) -> String {
    match to {
        [to] if plain(from) && plain(to) => relative_plain(from, to),
        _ => relative_parts(from, to),
    }
}

/// Whether a path is parts joined by single `/`s, none of them `.` or `..`: the paths gitopsc
/// composes, and most a program names.
fn plain(p: &str) -> bool {
    let (mut len, mut dots) = (0, 0);
    for &b in p.as_bytes().iter().chain([b'/'].iter()) {
        if b == b'/' {
            if len == 0 || (dots == len && len <= 2) {
                return false;
            }
            (len, dots) = (0, 0);
        } else {
            len += 1;
            dots += usize::from(b == b'.');
        }
    }
    true
}

/// [`relative`] between two [`plain`] paths, in one pass over their common beginning.
fn relative_plain(from: &str, to: &str) -> String {
    let (f, t) = (from.as_bytes(), to.as_bytes());
    // `cut`: where the whole parts both paths share end (at a `/` or an end, so a boundary).
    let (mut i, mut cut) = (0, 0);
    loop {
        let from_ends = f.get(i).is_none_or(|&b| b == b'/');
        let to_ends = t.get(i).is_none_or(|&b| b == b'/');
        if from_ends && to_ends {
            cut = i;
        }
        match (f.get(i), t.get(i)) {
            (Some(a), Some(b)) if a == b => i += 1,
            _ => break,
        }
    }
    // What each path has after the shared parts, without the `/` between.
    fn after(p: &str, cut: usize) -> &str {
        let p = p.get(cut..).unwrap_or_default();
        p.strip_prefix('/').unwrap_or(p)
    }
    let (up, down) = (after(from, cut), after(to, cut));
    let ups = if up.is_empty() {
        0
    } else {
        1 + up.bytes().filter(|&b| b == b'/').count()
    };
    let mut out = String::with_capacity(3 * ups + down.len() + 1);
    for k in 0..ups {
        out.push_str(if k == 0 { ".." } else { "/.." });
    }
    if !down.is_empty() {
        if ups > 0 {
            out.push('/');
        }
        out.push_str(down);
    }
    if out.is_empty() {
        out.push('.');
    }
    out
}

/// [`relative`] for any paths: `.`, `..` and empty parts are resolved first.
fn relative_parts(from: &str, to: &[&str]) -> String {
    relative_normalized(&normalize(from), &normalize(&to.join("/")))
}

/// [`relative`] between two normalised paths.
fn relative_normalized(from: &[&str], to: &[&str]) -> String {
    let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<&str> = vec![".."; from.len() - common];
    parts.extend(&to[common..]);
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::{relative, relative_parts};
    use proptest::prelude::*;

    fn path() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just("a"),
                Just("b"),
                Just("ab"),
                Just("é"),
                Just("."),
                Just(".."),
                Just("..."),
                Just(""),
            ],
            0..6,
        )
        .prop_map(|parts| parts.join("/"))
    }

    proptest! {
        #[test]
        fn the_one_pass_answer_is_the_part_by_part_answer(from in path(), to in path()) {
            prop_assert_eq!(relative(&from, &[&to]), relative_parts(&from, &[&to]));
        }
    }

    #[test]
    fn relative_paths_climb_to_the_common_folder() {
        assert_eq!(
            relative("k8s/overlays/dev/api", &["k8s/base/api"]),
            "../../../base/api"
        );
        assert_eq!(
            relative("k8s/overlays/dev/api", &["k8s", "base", "api"]),
            "../../../base/api"
        );
        assert_eq!(
            relative("overlays/dev/api", &["./legacy/api/"]),
            "../../../legacy/api"
        );
        assert_eq!(
            relative("k8s/overlays/dev/api", &["k8s/overlays/dev/api"]),
            "."
        );
        assert_eq!(relative("a/b", &["a/b/c"]), "c");
        assert_eq!(relative("a/b", &["", "a", "b/c"]), "c");
        assert_eq!(relative("a", &["/x/../y"]), "../y");
        assert_eq!(relative("a/../b", &["b/c"]), "c");
        assert_eq!(relative("x/y", &["x", "..", "z"]), "../../z");
    }
}
