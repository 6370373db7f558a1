//! Scheduled workloads: `cronjob NAME { ... }` declarations, checked and lowered to
//! [`ir::CronJob`]s.
//!
//! A CronJob belongs to a service and is delivered with it, so this pass runs after the
//! deployments. Invariants of every lowered CronJob: its service is delivered through Kustomize
//! to each of its environments (E0037 otherwise), and there is at least one; its name, with
//! each environment's name prefix, is a DNS-1123 label of at most 52 characters (E0010); its
//! schedule is a valid cron expression (E0012) that can fire (E0038); its image is pinned
//! (E0020) or is the service's own; secrets reach it only as whole `env` values.

use super::convert::{cron_error, is_dns_label};
use super::fields::Fields;
use super::value::{V, VK};
use super::{Ctx, Item};
use crate::diagnostics::{Code, Diagnostic, Span};
use crate::ir::{self, EnvValue, Manifests};
use indexmap::IndexMap;

const FIELDS: &[&str] = &[
    "service",
    "schedule",
    "time_zone",
    "image",
    "command",
    "args",
    "env",
    "resources",
    "concurrency",
    "suspend",
    "history",
    "backoff_limit",
    "active_deadline",
    "starting_deadline",
    "restart",
    "environments",
];
const OVERRIDE_FIELDS: &[&str] = &["schedule", "time_zone", "suspend", "env", "resources"];
/// The longest CronJob name: the controller appends an 11-character suffix to name its Jobs.
const NAME_LIMIT: usize = 52;
/// Kubernetes does not guarantee to start a job whose starting deadline is under 10 seconds.
const MIN_STARTING_DEADLINE: u64 = 10;
const MACROS: &[&str] = &[
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
];
const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

impl<'a> Ctx<'a> {
    pub(super) fn check_cronjobs(&mut self) {
        for item in self.cronjob_items.clone() {
            if let Some(c) = self.cronjob(&item) {
                std::sync::Arc::make_mut(&mut self.cronjobs).push(c);
            }
        }
    }

    fn cronjob(&mut self, item: &Item<'a>) -> Option<ir::CronJob> {
        let f = self.fields(
            item.decl.body.as_ref(),
            format!("cronjob `{}`", item.name),
            item.name_span,
            FIELDS,
            &["in"],
        );
        let sc = &item.scope;
        self.cronjob_name(item);
        let service = self
            .require(&f, "service", sc)
            .and_then(|v| self.service_(&v).map(|s| (s, v.span)));
        let schedule = self
            .require(&f, "schedule", sc)
            .and_then(|v| self.cron_schedule(&v));
        let time_zone = self
            .get(&f, "time_zone", sc)
            .and_then(|v| self.cron_time_zone(&v));
        let image = match (self.get(&f, "image", sc), service) {
            (Some(v), Some((s, _))) => self.workload_image(&v, s),
            _ => None,
        };
        let command = self
            .get(&f, "command", sc)
            .map_or(Vec::new(), |v| self.strings_(&v));
        let args = self
            .get(&f, "args", sc)
            .map_or(Vec::new(), |v| self.strings_(&v));
        let env = self
            .get(&f, "env", sc)
            .map_or(IndexMap::new(), |v| self.workload_env(&v));
        let resources = self
            .get(&f, "resources", sc)
            .and_then(|v| self.resources(&v));
        let concurrency = self
            .get(&f, "concurrency", sc)
            .map_or(ir::ConcurrencyPolicy::Forbid, |v| self.cron_concurrency(&v));
        let suspend = self
            .get(&f, "suspend", sc)
            .and_then(|v| self.bool_(&v))
            .unwrap_or(false);
        let (successful_history, failed_history) = self
            .get(&f, "history", sc)
            .map_or((3, 1), |v| self.cron_history(&v));
        let backoff_limit = self
            .get(&f, "backoff_limit", sc)
            .and_then(|v| self.int_in(&v, 0, 100, "a backoff limit"))
            .map(|n| n as u32);
        let active_deadline_seconds = self
            .get(&f, "active_deadline", sc)
            .and_then(|v| self.seconds_(&v));
        let starting_deadline_seconds = self
            .get(&f, "starting_deadline", sc)
            .and_then(|v| self.cron_starting_deadline(&v));
        let restart = self
            .get(&f, "restart", sc)
            .map_or(ir::RestartPolicy::Never, |v| self.cron_restart(&v));
        let (service, service_span) = service?;
        let environments = self.workload_environments(item, &f, service, service_span)?;
        let overrides = self.workload_overrides(item, &f, &environments);
        self.prefixed_names(item, &environments);
        Some(ir::CronJob {
            name: item.name.clone(),
            service,
            environments,
            schedule: schedule?,
            time_zone,
            image,
            command,
            args,
            env,
            resources,
            concurrency,
            suspend,
            successful_history,
            failed_history,
            backoff_limit,
            active_deadline_seconds,
            starting_deadline_seconds,
            restart,
            overrides,
        })
    }

    /// A DNS-1123 label of at most 52 characters that no service uses: a CronJob's pods are
    /// labelled with its name, and a service's selector must never match them.
    fn cronjob_name(&mut self, item: &Item<'a>) {
        if !self.k8s_name(&item.name, item.name_span, "a cronjob") {
            return;
        }
        if item.name.len() > NAME_LIMIT {
            self.long_name(&item.name, item.name_span, None);
            return;
        }
        let clash = self
            .service_items
            .iter()
            .find(|s| s.name == item.name)
            .map(|s| s.name_span);
        if let Some(first) = clash {
            let d = Diagnostic::new(
                Code::Duplicate,
                item.name_span,
                format!("`{}` is declared twice", item.name),
            )
            .label("a cronjob with the name of a service")
            .secondary(first, "the service")
            .help("a service's selector would match the cronjob's pods: rename the cronjob");
            self.diags.push(d);
        }
    }

    fn long_name(&mut self, name: &str, span: Span, prefix: Option<(&str, &str)>) {
        let (message, help) = match prefix {
            None => (
                format!(
                    "the cronjob name `{name}` is {} characters long; the limit is {NAME_LIMIT}",
                    name.len()
                ),
                "Kubernetes appends an 11-character suffix to name each run's Job: shorten the name"
                    .to_string(),
            ),
            Some((env, prefix)) => (
                format!(
                    "in `{env}` the cronjob is named `{prefix}{name}`, {} characters long; the limit is {NAME_LIMIT}",
                    prefix.len() + name.len()
                ),
                format!("the environment's `name_prefix` adds `{prefix}`: shorten the name"),
            ),
        };
        let d = Diagnostic::new(Code::InvalidK8sName, span, message)
            .label("too long for a CronJob")
            .help(help);
        self.diags.push(d);
    }

    /// Checks the name with the prefix of every environment it runs in.
    fn prefixed_names(&mut self, item: &Item<'a>, environments: &[usize]) {
        if item.name.len() > NAME_LIMIT || !is_dns_label(&item.name) {
            return;
        }
        for &e in environments {
            let env = &self.envs[e];
            let prefix = env.name_prefix.clone().unwrap_or_default();
            if item.name.len() + prefix.len() > NAME_LIMIT {
                let env_name = env.name.clone();
                self.long_name(&item.name, item.name_span, Some((&env_name, &prefix)));
                return;
            }
        }
    }

    /// Environments the service is delivered to through Kustomize, in declaration order.
    fn kustomize_envs(&self, service: usize) -> Vec<usize> {
        let helm = self
            .services
            .get(service)
            .is_some_and(|s| matches!(s.manifests, Manifests::Helm { .. }));
        if helm {
            return Vec::new();
        }
        (0..self.envs.len())
            .filter(|e| {
                self.deployments
                    .iter()
                    .any(|d| d.services.contains(&service) && d.environments.contains(e))
            })
            .collect()
    }

    /// The environments listed (each one the service is delivered to), or all of those.
    fn workload_environments(
        &mut self,
        item: &Item<'a>,
        f: &Fields,
        service: usize,
        service_span: Span,
    ) -> Option<Vec<usize>> {
        let delivered = self.kustomize_envs(service);
        let svc = self.services.get(service).map(|s| s.name.clone())?;
        if delivered.is_empty() {
            let helm = matches!(self.services[service].manifests, Manifests::Helm { .. });
            let (label, help) = if helm {
                ("deployed with Helm", "a CronJob is written into the service's Kustomize overlays; give the service generated or existing manifests")
            } else {
                (
                    "no deployment delivers this service",
                    "add the service to a `deployment`",
                )
            };
            let d = Diagnostic::new(
                Code::WorkloadNotDelivered,
                service_span,
                format!("cronjob `{}` has nowhere to run: service `{svc}` is not delivered through Kustomize", item.name),
            )
            .label(label)
            .help(help);
            self.diags.push(d);
            return None;
        }
        let Some(v) = self.get(f, "environments", &item.scope) else {
            return Some(delivered);
        };
        let mut out = Vec::new();
        for x in self.list_(&v) {
            let Some(e) = self.env_(&x) else { continue };
            if !delivered.contains(&e) {
                let env = self.envs[e].name.clone();
                let d = Diagnostic::new(
                    Code::WorkloadNotDelivered,
                    x.span,
                    format!("service `{svc}` is not delivered to `{env}`, so its cronjob `{}` cannot run there", item.name),
                )
                .label("the service has no overlay in this environment")
                .secondary(service_span, "the cronjob's service")
                .help(format!("deliver `{svc}` to `{env}` in a deployment, or remove `{env}` from `environments`"));
                self.diags.push(d);
            } else if !out.contains(&e) {
                out.push(e);
            }
        }
        if out.is_empty() {
            if matches!(v.kind, VK::List(ref l) if l.is_empty()) {
                self.missing(v.span, &format!("cronjob `{}`", item.name), "environments");
            }
            return None;
        }
        out.sort_unstable();
        Some(out)
    }

    /// `in ENV { ... }` blocks, each for an environment the CronJob runs in.
    fn workload_overrides(
        &mut self,
        item: &Item<'a>,
        f: &Fields,
        environments: &[usize],
    ) -> IndexMap<usize, ir::CronJobOverride> {
        let mut out = IndexMap::new();
        for d in f.decls.clone() {
            let Some((env, name, of)) =
                self.in_env_block(d, "in prod { suspend = true }", OVERRIDE_FIELDS)
            else {
                continue;
            };
            if !environments.contains(&env) {
                let diag = Diagnostic::new(
                    Code::WorkloadNotDelivered,
                    name.span,
                    format!("cronjob `{}` does not run in `{}`", item.name, name.name),
                )
                .label("an override for an environment the cronjob is not in")
                .help("add the environment to `environments`, or remove the override");
                self.diags.push(diag);
                continue;
            }
            let o = self.workload_override(&of, &item.scope);
            if out.insert(env, o).is_some() {
                let diag = Diagnostic::new(
                    Code::Duplicate,
                    name.span,
                    format!("`in {}` is written twice", name.name),
                )
                .label("second override for this environment");
                self.diags.push(diag);
            }
        }
        out
    }

    fn workload_override(&mut self, of: &Fields, sc: &super::Scope) -> ir::CronJobOverride {
        ir::CronJobOverride {
            schedule: self
                .get(of, "schedule", sc)
                .and_then(|v| self.cron_schedule(&v)),
            time_zone: self
                .get(of, "time_zone", sc)
                .and_then(|v| self.cron_time_zone(&v)),
            suspend: self.get(of, "suspend", sc).and_then(|v| self.bool_(&v)),
            resources: self
                .get(of, "resources", sc)
                .and_then(|v| self.resources(&v)),
            env: self
                .get(of, "env", sc)
                .map_or(IndexMap::new(), |v| self.workload_env(&v)),
        }
    }

    /// `None` for the service's own image (the overlay sets its tag), else a pinned reference.
    fn workload_image(&mut self, v: &V, service: usize) -> Option<String> {
        let own = self.services.get(service).map(|s| s.image.clone());
        match &v.kind {
            VK::Image(i) if Some(i) == own.as_ref() => None,
            VK::RegImage(r, repo) if Some(self.registries[*r].image(repo)) == own => None,
            _ => self.image_ref(v),
        }
    }

    /// Container variables: plain values, or declared secrets as whole values.
    fn workload_env(&mut self, v: &V) -> IndexMap<String, EnvValue> {
        self.check_credential_literals(v);
        let mut out = IndexMap::new();
        let Some(rec) = self.record_(v) else {
            return out;
        };
        for (k, (_, val)) in rec.iter() {
            let value = match &val.kind {
                VK::Secret(s) => Some(EnvValue::Secret(s.clone())),
                VK::Int(n) => Some(EnvValue::Plain(n.to_string())),
                VK::Bool(b) => Some(EnvValue::Plain(b.to_string())),
                VK::Tmpl(t) if t.refs().any(|r| matches!(r, ir::Ref::Secret(_))) => {
                    let d = Diagnostic::new(
                        Code::SecretLeak,
                        val.span,
                        "a secret in a cronjob's `env` must be the whole value",
                    )
                    .label("a secret mixed with other text")
                    .help(format!(
                        "write `{k} = secrets.NAME` and build the text in the container"
                    ));
                    self.diags.push(d);
                    None
                }
                _ => self.str_(val).map(EnvValue::Plain),
            };
            if let Some(value) = value {
                out.insert(k.clone(), value);
            }
        }
        out
    }

    fn cron_concurrency(&mut self, v: &V) -> ir::ConcurrencyPolicy {
        let allowed = ["allow", "forbid", "replace"];
        let Some(var) = self.variant_(v, "a concurrency policy", &allowed) else {
            return ir::ConcurrencyPolicy::Forbid;
        };
        self.check_keys(&var.fields, format_args!("`{}`", var.tag), &[]);
        match var.tag {
            "allow" => ir::ConcurrencyPolicy::Allow,
            "replace" => ir::ConcurrencyPolicy::Replace,
            _ => ir::ConcurrencyPolicy::Forbid,
        }
    }

    fn cron_restart(&mut self, v: &V) -> ir::RestartPolicy {
        let allowed = ["never", "on_failure"];
        let Some(var) = self.variant_(v, "a restart policy", &allowed) else {
            return ir::RestartPolicy::Never;
        };
        self.check_keys(&var.fields, format_args!("`{}`", var.tag), &[]);
        if var.tag == "on_failure" {
            ir::RestartPolicy::OnFailure
        } else {
            ir::RestartPolicy::Never
        }
    }

    /// `{ successful = 3, failed = 1 }`: how many finished Jobs to keep.
    fn cron_history(&mut self, v: &V) -> (u32, u32) {
        let Some(rec) = self.record_(v) else {
            return (3, 1);
        };
        self.check_keys(&rec, "`history`", &["successful", "failed"]);
        let mut get = |k: &str, default: u32| {
            rec.get(k)
                .and_then(|(_, x)| self.int_in(x, 0, 100, "a history limit"))
                .map_or(default, |n| n as u32)
        };
        (get("successful", 3), get("failed", 1))
    }

    fn cron_starting_deadline(&mut self, v: &V) -> Option<u64> {
        let s = self.seconds_(v)?;
        if s < MIN_STARTING_DEADLINE {
            let d = Diagnostic::new(
                Code::InvalidDuration,
                v.span,
                format!("a starting deadline of {s}s may never start a run"),
            )
            .label("under 10 seconds")
            .help("the CronJob controller checks every 10 seconds: use at least `10s`");
            self.diags.push(d);
            return None;
        }
        Some(s)
    }

    /// An IANA time zone name such as `Europe/Berlin` or `UTC`.
    fn cron_time_zone(&mut self, v: &V) -> Option<String> {
        let s = self.str_(v)?;
        if is_time_zone(&s) {
            return Some(s);
        }
        let d = Diagnostic::new(
            Code::InvalidValue,
            v.span,
            format!("`{s}` is not a time zone name"),
        )
        .label("expected an IANA name such as \"Europe/Berlin\" or \"UTC\"")
        .help("Kubernetes takes names from the tz database; offsets and `Local` are not accepted");
        self.diags.push(d);
        None
    }

    /// A Kubernetes CronJob schedule: five fields (month and weekday names allowed, `?` for
    /// "any" day) or a macro such as `@hourly`.
    fn cron_schedule(&mut self, v: &V) -> Option<String> {
        let s = self.str_(v)?;
        let text = s.trim();
        if text.starts_with("TZ=") || text.starts_with("CRON_TZ=") {
            let d = Diagnostic::new(
                Code::InvalidCron,
                v.span,
                "a time zone inside the schedule is not supported",
            )
            .label("`TZ=` prefix")
            .help("set the cronjob's `time_zone` field instead");
            self.diags.push(d);
            return None;
        }
        if text.starts_with('@') {
            if MACROS.contains(&text) {
                return Some(text.to_string());
            }
            let d = Diagnostic::new(
                Code::InvalidCron,
                v.span,
                format!("`{text}` is not a schedule macro"),
            )
            .label(format!("expected one of: {}", MACROS.join(", ")))
            .did_you_mean(text, MACROS.iter().copied());
            self.diags.push(d);
            return None;
        }
        let numeric = numeric_cron(text);
        if let Some(why) = cron_error(&numeric) {
            let d = Diagnostic::new(
                Code::InvalidCron,
                v.span,
                format!("`{text}` is not a valid cron expression"),
            )
            .label(why)
            .help("cron has five fields: minute hour day-of-month month day-of-week, e.g. \"*/5 * * * *\"");
            self.diags.push(d);
            return None;
        }
        if let Some(why) = never_fires(&numeric) {
            let d = Diagnostic::new(
                Code::ScheduleNeverFires,
                v.span,
                format!("the schedule `{text}` never fires"),
            )
            .label(why)
            .help("pick a day of the month that the chosen months have");
            self.diags.push(d);
            return None;
        }
        Some(text.to_string())
    }
}

/// The expression with month and weekday names as numbers and `?` as `*`; other text is kept,
/// so the numeric check reports it.
fn numeric_cron(expr: &str) -> String {
    expr.split_whitespace()
        .enumerate()
        .map(|(i, field)| {
            let names: &[&str] = match i {
                3 => &MONTHS,
                4 => &DAYS,
                _ => &[],
            };
            let offset = usize::from(i == 3);
            let mut out = field.to_ascii_lowercase();
            if (i == 2 || i == 4) && out == "?" {
                out = "*".into();
            }
            for (n, name) in names.iter().enumerate() {
                out = out.replace(name, &(n + offset).to_string());
            }
            if out.chars().any(|c| c.is_ascii_alphabetic()) {
                field.to_string()
            } else {
                out
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Why a valid five-field expression can never fire: the days of the month it names exist in
/// none of its months, and the day of the week does not widen it (cron ORs the two day fields
/// when both are restricted).
fn never_fires(expr: &str) -> Option<String> {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    let [_, _, dom, month, dow] = fields.as_slice() else {
        return None;
    };
    if *dom == "*" || *dow != "*" {
        return None;
    }
    let first_day = expand(dom, 1, 31)?.into_iter().min()?;
    const DAYS_IN: [u32; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let months = expand(month, 1, 12)?;
    if months
        .iter()
        .any(|m| first_day <= DAYS_IN[(*m - 1) as usize])
    {
        return None;
    }
    Some(format!("none of the chosen months has a day {first_day}"))
}

/// The values a valid cron field selects in `lo..=hi`.
fn expand(field: &str, lo: u32, hi: u32) -> Option<Vec<u32>> {
    let mut out = Vec::new();
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse().ok()?),
            None => (part, 1),
        };
        let (a, b) = match range.split_once('-') {
            _ if range == "*" => (lo, hi),
            Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
            None if step > 1 => (range.parse().ok()?, hi),
            None => (range.parse().ok()?, range.parse().ok()?),
        };
        out.extend((a..=b).step_by(step.max(1) as usize));
    }
    Some(out)
}

/// Whether `s` looks like a tz database name: `UTC`, or `Area/Location` parts of letters,
/// digits, `_`, `+` and `-`, each starting with a letter.
fn is_time_zone(s: &str) -> bool {
    if s.eq_ignore_ascii_case("local") || s.len() > 64 {
        return false;
    }
    s.split('/').all(|part| {
        part.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '-'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_numbers_and_unknown_words_stay() {
        assert_eq!(numeric_cron("0 9 * jan-mar MON-FRI"), "0 9 * 1-3 1-5");
        assert_eq!(numeric_cron("0 9 ? * sun"), "0 9 * * 0");
        assert_eq!(numeric_cron("0 9 * foo *"), "0 9 * foo *");
    }

    #[test]
    fn impossible_dates_never_fire() {
        assert!(never_fires("0 0 30 2 *").is_some());
        assert!(never_fires("0 0 31 4,6,9,11 *").is_some());
        assert!(never_fires("0 0 31 4,5 *").is_none());
        assert!(never_fires("0 0 29 2 *").is_none());
        assert!(never_fires("0 0 30 2 1").is_none());
        assert!(never_fires("*/5 * * * *").is_none());
    }

    #[test]
    fn time_zone_names() {
        assert!(is_time_zone("UTC"));
        assert!(is_time_zone("Europe/Berlin"));
        assert!(is_time_zone("America/Argentina/Buenos_Aires"));
        assert!(is_time_zone("Etc/GMT+5"));
        assert!(!is_time_zone("Local"));
        assert!(!is_time_zone("+02:00"));
        assert!(!is_time_zone("Europe/"));
    }
}
