//! Environments: sync policy, gates, rollout strategies, and the promotion graph.

use super::convert::cron_error;
use super::value::{Record, V, VK};
use super::{Ctx, Item};
use crate::diagnostics::{Code, Diagnostic, Span};
use crate::ir::{self, Strategy};
use indexmap::IndexMap;

const ENV_FIELDS: &[&str] = &[
    "namespace",
    "cluster",
    "sync",
    "promote_from",
    "gate",
    "rollout",
    "replicas",
    "resources",
    "branch",
    "sync_windows",
    "url",
    "wave",
    "name_prefix",
    "labels",
];

impl<'a> Ctx<'a> {
    pub(super) fn check_environments(&mut self) {
        let items = self.env_items.clone();
        let mut from_spans: Vec<Vec<Span>> = Vec::new();
        for item in &items {
            let (env, spans) = self.environment(item);
            std::sync::Arc::make_mut(&mut self.envs).push(env);
            from_spans.push(spans);
        }
        self.check_promotion(&items, &from_spans);
    }

    fn environment(&mut self, item: &Item<'a>) -> (ir::Environment, Vec<Span>) {
        let what = super::fields::What::named("environment", &item.name);
        let f = self.fields(
            item.decl.body.as_ref(),
            what,
            item.name_span,
            ENV_FIELDS,
            &[],
        );
        let sc = &item.scope;
        self.k8s_name(&item.name, item.name_span, "an environment");
        let namespace = self.get(&f, "namespace", sc).and_then(|v| {
            let s = self.str_(&v)?;
            self.k8s_name(&s, v.span, "a namespace").then_some(s)
        });
        let text = |cx: &mut Self, k: &str| cx.get(&f, k, sc).and_then(|v| cx.into_str(v));
        let mut promote_from = Vec::new();
        let mut from_spans = Vec::new();
        if let Some(v) = self.get(&f, "promote_from", sc) {
            for x in self.list_(&v) {
                if let Some(e) = self.env_(&x) {
                    promote_from.push(e);
                    from_spans.push(x.span);
                }
            }
        }
        let sync = self.get(&f, "sync", sc).map_or(
            ir::SyncPolicy {
                automated: None,
                options: Vec::new(),
                retry: None,
            },
            |v| self.sync_policy(&v),
        );
        let gate = self
            .get(&f, "gate", sc)
            .map_or(ir::Gate::Auto, |v| self.gate(&v));
        let rollout = self
            .get(&f, "rollout", sc)
            .map_or(Strategy::Rolling, |v| self.strategy(&v));
        let replicas = self
            .get(&f, "replicas", sc)
            .and_then(|v| self.int_in(&v, 0, 1000, "replicas"))
            .map(|n| n as u32);
        let resources = self
            .get(&f, "resources", sc)
            .and_then(|v| self.resources(&v));
        let sync_windows = self
            .get(&f, "sync_windows", sc)
            .map_or(Vec::new(), |v| self.sync_windows(&v));
        let wave = self
            .get(&f, "wave", sc)
            .and_then(|v| self.int_in(&v, -100, 100, "a sync wave"))
            .map(|n| n as i32);
        let labels = self
            .get(&f, "labels", sc)
            .map_or(IndexMap::new(), |v| self.string_map_(&v));
        let env = ir::Environment {
            name: item.name.clone(),
            namespace: namespace.unwrap_or_else(|| item.name.clone()),
            cluster: text(self, "cluster")
                .unwrap_or_else(|| "https://kubernetes.default.svc".into()),
            sync,
            promote_from,
            gate,
            rollout,
            replicas,
            resources,
            target_revision: text(self, "branch")
                .unwrap_or_else(|| self.project_ir.default_branch.clone()),
            sync_windows,
            url: text(self, "url"),
            wave,
            name_prefix: text(self, "name_prefix"),
            labels,
        };
        (env, from_spans)
    }

    fn sync_policy(&mut self, v: &V) -> ir::SyncPolicy {
        let mut policy = ir::SyncPolicy {
            automated: None,
            options: Vec::new(),
            retry: None,
        };
        let Some(var) = self.variant_(v, "a sync policy", &["auto", "manual"]) else {
            return policy;
        };
        let allowed: &[&str] = if var.tag == "auto" {
            &["prune", "self_heal", "options", "retry"]
        } else {
            &["options", "retry"]
        };
        self.check_keys(&var.fields, format_args!("`{}` sync", var.tag), allowed);
        let flag = |cx: &mut Self, k: &str| {
            var.fields
                .get(k)
                .and_then(|(_, v)| cx.bool_(v))
                .unwrap_or(true)
        };
        if var.tag == "auto" {
            policy.automated = Some(ir::Automated {
                prune: flag(self, "prune"),
                self_heal: flag(self, "self_heal"),
            });
        }
        if let Some((_, o)) = var.fields.get("options") {
            policy.options = self.strings_(o);
        }
        if let Some((_, r)) = var.fields.get("retry") {
            policy.retry = self.retry(r);
        }
        policy
    }

    fn retry(&mut self, v: &V) -> Option<ir::Retry> {
        let rec = self.record_(v)?;
        self.check_keys(
            &rec,
            "`retry`",
            &["limit", "backoff", "factor", "max_backoff"],
        );
        let limit = rec
            .get("limit")
            .and_then(|(_, v)| self.int_in(v, 0, 100, "a retry limit"))
            .unwrap_or(5) as u32;
        let backoff = rec
            .get("backoff")
            .and_then(|(_, v)| self.seconds_(v))
            .unwrap_or(5);
        let factor = rec
            .get("factor")
            .and_then(|(_, v)| self.int_in(v, 1, 10, "a backoff factor"))
            .unwrap_or(2) as u32;
        let max = rec
            .get("max_backoff")
            .and_then(|(_, v)| self.seconds_(v))
            .unwrap_or(180);
        Some(ir::Retry {
            limit,
            backoff_seconds: backoff,
            factor,
            max_backoff_seconds: max,
        })
    }

    fn gate(&mut self, v: &V) -> ir::Gate {
        let Some(var) = self.variant_(v, "a gate", &["auto", "manual"]) else {
            return ir::Gate::Auto;
        };
        if var.tag == "auto" {
            self.check_keys(&var.fields, "the `auto` gate", &[]);
            return ir::Gate::Auto;
        }
        self.check_keys(&var.fields, "the `manual` gate", &["reviewers"]);
        let reviewers = var
            .fields
            .get("reviewers")
            .map_or(Vec::new(), |(_, r)| self.strings_(r));
        ir::Gate::Manual { reviewers }
    }

    pub(super) fn resources(&mut self, v: &V) -> Option<ir::Resources> {
        let rec = self.record_(v)?;
        self.check_keys(
            &rec,
            "`resources`",
            &["cpu", "memory", "cpu_limit", "memory_limit"],
        );
        let mut get = |k: &str| rec.get(k).and_then(|(_, v)| self.quantity(v));
        Some(ir::Resources {
            cpu_request: get("cpu"),
            memory_request: get("memory"),
            cpu_limit: get("cpu_limit"),
            memory_limit: get("memory_limit"),
        })
    }

    /// A Kubernetes quantity such as `250m`, `1`, `512Mi`.
    fn quantity(&mut self, v: &V) -> Option<String> {
        let s = match &v.kind {
            VK::Int(n) if *n >= 0 => n.to_string(),
            _ => self.str_(v)?,
        };
        let digits_end = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        let suffix = &s[digits_end..];
        const SUFFIXES: &[&str] = &["", "m", "k", "M", "G", "T", "Ki", "Mi", "Gi", "Ti"];
        if digits_end == 0 || !SUFFIXES.contains(&suffix) {
            let d = Diagnostic::new(
                Code::InvalidValue,
                v.span,
                format!("`{s}` is not a Kubernetes quantity"),
            )
            .label("expected e.g. \"250m\" or \"512Mi\"");
            self.diags.push(d);
            return None;
        }
        Some(s)
    }

    fn sync_windows(&mut self, v: &V) -> Vec<ir::SyncWindow> {
        let mut out = Vec::new();
        for w in self.list_(v) {
            let Some(var) = self.variant_(&w, "a sync window", &["allow", "deny"]) else {
                continue;
            };
            self.check_keys(
                &var.fields,
                "a sync window",
                &["schedule", "duration", "manual_sync", "time_zone"],
            );
            let schedule = match var.fields.get("schedule") {
                Some((_, s)) => self.cron(s),
                None => {
                    self.missing(var.span, "a sync window", "schedule");
                    None
                }
            };
            let duration = match var.fields.get("duration") {
                Some((_, d)) => self.seconds_(d),
                None => {
                    self.missing(var.span, "a sync window", "duration");
                    None
                }
            };
            let manual_sync = var
                .fields
                .get("manual_sync")
                .and_then(|(_, b)| self.bool_(b))
                .unwrap_or(false);
            let time_zone = var.fields.get("time_zone").and_then(|(_, t)| self.str_(t));
            if let (Some(schedule), Some(duration_seconds)) = (schedule, duration) {
                out.push(ir::SyncWindow {
                    allow: var.tag == "allow",
                    schedule,
                    duration_seconds,
                    manual_sync,
                    time_zone,
                });
            }
        }
        out
    }

    /// A validated five-field cron expression.
    pub fn cron(&mut self, v: &V) -> Option<String> {
        let s = self.str_(v)?;
        if let Some(why) = cron_error(&s) {
            let d = Diagnostic::new(Code::InvalidCron, v.span, format!("`{s}` is not a valid cron expression"))
                .label(why)
                .help("cron has five fields: minute hour day-of-month month day-of-week, e.g. \"0 6 * * 1-5\"");
            self.diags.push(d);
            return None;
        }
        Some(s)
    }

    fn strategy(&mut self, v: &V) -> Strategy {
        let Some(var) = self.variant_(
            v,
            "a rollout strategy",
            &["rolling", "canary", "blue_green"],
        ) else {
            return Strategy::Rolling;
        };
        match var.tag {
            "rolling" => {
                self.check_keys(&var.fields, "`rolling`", &[]);
                Strategy::Rolling
            }
            "canary" => self.canary(&var.fields, var.span),
            _ => self.blue_green(&var.fields),
        }
    }

    fn canary(&mut self, rec: &Record, span: Span) -> Strategy {
        self.check_keys(rec, "`canary`", &["steps", "pause", "analysis", "traffic"]);
        let pause = rec.get("pause").and_then(|(_, p)| self.pause(p));
        let mut steps = Vec::new();
        let mut prev: Option<(u32, Span)> = None;
        match rec.get("steps") {
            None => self.missing(span, "`canary`", "steps"),
            Some((_, list)) => {
                for s in self.list_(list) {
                    let Some(step) = self.canary_step(&s, pause) else {
                        continue;
                    };
                    if let Some((p, pspan)) = prev {
                        if step.weight <= p {
                            let d = Diagnostic::new(
                                Code::CanaryWeights,
                                s.span,
                                format!(
                                    "canary weights must increase: {}% comes after {p}%",
                                    step.weight
                                ),
                            )
                            .label("not more than the step before")
                            .secondary(pspan, "previous step");
                            self.diags.push(d);
                        }
                    }
                    prev = Some((step.weight, s.span));
                    steps.push(step);
                }
            }
        }
        let analysis = rec.get("analysis").and_then(|(_, a)| self.analysis(a));
        let traffic = rec.get("traffic").and_then(|(_, t)| self.traffic(t));
        Strategy::Canary(ir::Canary {
            steps,
            analysis,
            traffic,
        })
    }

    /// A pause: a duration, or `manual` (wait for a promotion).
    fn pause(&mut self, v: &V) -> Option<u64> {
        match &v.kind {
            VK::Sym(s) if s == "manual" => Some(0),
            _ => self.seconds_(v),
        }
    }

    fn canary_step(&mut self, v: &V, pause: Option<u64>) -> Option<ir::CanaryStep> {
        let (weight_v, step_pause) = match &v.kind {
            VK::Record(rec) => {
                self.check_keys(rec, "a canary step", &["weight", "pause"]);
                let w = rec.get("weight").map(|(_, w)| w.clone());
                let p = rec.get("pause").and_then(|(_, p)| self.pause(p));
                (w, p.or(pause))
            }
            _ => (Some(v.clone()), pause),
        };
        let Some(weight_v) = weight_v else {
            self.missing(v.span, "a canary step", "weight");
            return None;
        };
        let weight = match weight_v.kind {
            VK::Percent(p) if p > 100 => {
                let d = Diagnostic::new(
                    Code::CanaryWeights,
                    weight_v.span,
                    format!("a canary weight is at most 100%, not {p}%"),
                )
                .label("over 100%");
                self.diags.push(d);
                return None;
            }
            _ => self.percent_(&weight_v)?,
        };
        let pause_seconds = if weight == 100 { None } else { step_pause };
        Some(ir::CanaryStep {
            weight,
            pause_seconds,
        })
    }

    fn analysis(&mut self, v: &V) -> Option<ir::Analysis> {
        let var = self.variant_(v, "an analysis provider", &["prometheus"])?;
        const KEYS: &[&str] = &[
            "address",
            "query",
            "success",
            "interval",
            "failure_limit",
            "start_step",
        ];
        self.check_keys(&var.fields, "`prometheus` analysis", KEYS);
        let text = |cx: &mut Self, k: &str| match var.fields.get(k) {
            Some((_, v)) => cx.str_(v),
            None => {
                cx.missing(var.span, "`prometheus` analysis", k);
                None
            }
        };
        let prometheus = text(self, "address")?;
        let query = text(self, "query")?;
        let success = var
            .fields
            .get("success")
            .and_then(|(_, v)| self.str_(v))
            .unwrap_or_else(|| "result[0] >= 0.95".into());
        let interval = var
            .fields
            .get("interval")
            .and_then(|(_, v)| self.seconds_(v))
            .unwrap_or(60);
        let failure_limit = var
            .fields
            .get("failure_limit")
            .and_then(|(_, v)| self.int_in(v, 0, 100, "a failure limit"))
            .unwrap_or(3) as u32;
        let start_step = var
            .fields
            .get("start_step")
            .and_then(|(_, v)| self.int_in(v, 0, 100, "a start step"))
            .unwrap_or(1) as u32;
        Some(ir::Analysis {
            prometheus,
            query,
            success,
            interval_seconds: interval,
            failure_limit,
            start_step,
        })
    }

    fn traffic(&mut self, v: &V) -> Option<ir::Traffic> {
        let var = self.variant_(v, "a traffic router", &["istio", "nginx"])?;
        if var.tag == "istio" {
            self.check_keys(&var.fields, "`istio`", &["host", "gateway"]);
            let host = var.fields.get("host").and_then(|(_, v)| self.str_(v));
            let gateway = var.fields.get("gateway").and_then(|(_, v)| self.str_(v));
            return Some(ir::Traffic::Istio { host, gateway });
        }
        self.check_keys(&var.fields, "`nginx`", &["ingress"]);
        match var.fields.get("ingress") {
            Some((_, v)) => self.str_(v).map(|ingress| ir::Traffic::Nginx { ingress }),
            None => {
                self.missing(var.span, "`nginx`", "ingress");
                None
            }
        }
    }

    fn blue_green(&mut self, rec: &Record) -> Strategy {
        const KEYS: &[&str] = &[
            "auto_promote",
            "auto_promote_after",
            "scale_down_delay",
            "preview_replicas",
        ];
        self.check_keys(rec, "`blue_green`", KEYS);
        let auto_promote = rec
            .get("auto_promote")
            .and_then(|(_, v)| self.bool_(v))
            .unwrap_or(true);
        let after = rec
            .get("auto_promote_after")
            .and_then(|(_, v)| self.seconds_(v));
        let delay = rec
            .get("scale_down_delay")
            .and_then(|(_, v)| self.seconds_(v));
        let preview = rec
            .get("preview_replicas")
            .and_then(|(_, v)| self.int_in(v, 0, 1000, "preview replicas"))
            .map(|n| n as u32);
        Strategy::BlueGreen(ir::BlueGreen {
            auto_promote,
            auto_promote_seconds: after,
            scale_down_delay_seconds: delay,
            preview_replicas: preview,
        })
    }

    /// The promotion graph must be acyclic and every chain must start auto-synced.
    fn check_promotion(&mut self, items: &[Item<'a>], from_spans: &[Vec<Span>]) {
        let n = self.envs.len();
        // Depth-first search for a cycle, keeping the path.
        let mut state = vec![0u8; n];
        for start in 0..n {
            if state[start] == 0 {
                let mut path = Vec::new();
                if let Some(cycle) = self.promo_dfs(start, &mut state, &mut path) {
                    self.report_promotion_cycle(&cycle, items, from_spans);
                    return;
                }
            }
        }
        for (i, env) in self.envs.iter().enumerate() {
            let has_successor = self.envs.iter().any(|e| e.promote_from.contains(&i));
            if env.promote_from.is_empty() && has_successor && env.sync.automated.is_none() {
                let d = Diagnostic::new(
                    Code::PromotionRoot,
                    items[i].name_span,
                    format!(
                        "promotion starts at `{}`, which is not auto-synced",
                        env.name
                    ),
                )
                .label("first environment of a promotion chain")
                .help("the first environment must sync automatically: set `sync = auto`");
                self.diags.push(d);
            }
        }
    }

    fn promo_dfs(&self, at: usize, state: &mut [u8], path: &mut Vec<usize>) -> Option<Vec<usize>> {
        state[at] = 1;
        path.push(at);
        for &next in &self.envs[at].promote_from {
            if state[next] == 1 {
                let pos = path.iter().position(|p| *p == next).unwrap_or(0);
                return Some(path[pos..].to_vec());
            }
            if state[next] == 0 {
                if let Some(c) = self.promo_dfs(next, state, path) {
                    return Some(c);
                }
            }
        }
        path.pop();
        state[at] = 2;
        None
    }

    fn report_promotion_cycle(
        &mut self,
        cycle: &[usize],
        items: &[Item<'a>],
        from_spans: &[Vec<Span>],
    ) {
        let names: Vec<&str> = cycle.iter().map(|i| self.envs[*i].name.as_str()).collect();
        let mut labels = Vec::new();
        for (k, &to) in cycle.iter().enumerate() {
            let from = cycle[(k + 1) % cycle.len()];
            let idx = self.envs[to]
                .promote_from
                .iter()
                .position(|f| *f == from)
                .unwrap_or(0);
            let span = from_spans[to]
                .get(idx)
                .copied()
                .unwrap_or(items[to].name_span);
            labels.push((
                span,
                format!(
                    "`{}` promotes from `{}`",
                    self.envs[to].name, self.envs[from].name
                ),
            ));
        }
        let mut d = Diagnostic::new(
            Code::PromotionCycle,
            labels[0].0,
            format!(
                "environments promote in a cycle: {} -> {}",
                names.join(" -> "),
                names[0]
            ),
        )
        .label(labels[0].1.clone());
        for (s, l) in labels.into_iter().skip(1) {
            d = d.secondary(s, l);
        }
        self.diags
            .push(d.help("promotion must flow one way; remove one `promote_from`"));
    }
}
