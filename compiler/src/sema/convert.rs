//! Typed views of values: each accessor checks one expected type and reports a mismatch once.

use super::value::{Record, V, VK};
use super::Ctx;
use crate::diagnostics::{Code, Diagnostic, Span};
use indexmap::IndexMap;
use std::rc::Rc;

thread_local! {
    /// The fields of a bare variant (`auto`): shared, as they are never changed.
    static EMPTY: Rc<Record> = Rc::new(Record::default());
}

/// A variant value: its tag, payload and span.
pub struct Variant<'s> {
    /// The tag, as spelled in the list of accepted tags.
    pub tag: &'s str,
    pub fields: Rc<Record>,
    pub span: Span,
}

impl Ctx<'_> {
    /// A string known at compile time.
    pub fn str_(&mut self, v: &V) -> Option<String> {
        match &v.kind {
            VK::Str(s) => Some(s.clone()),
            VK::RegImage(r, repo) => Some(self.registries[*r].image(repo)),
            VK::Image(s) | VK::PinnedImage(s) => Some(s.clone()),
            VK::Tmpl(_) | VK::Event(_) => {
                self.not_constant(v.span);
                None
            }
            VK::Secret(_) => {
                let d = Diagnostic::new(
                    Code::SecretLeak,
                    v.span,
                    "a secret cannot be used as a plain string",
                )
                .label("this is a secret")
                .help("pass secrets through `env = { NAME = secrets.X }` or a `secret` parameter");
                self.diags.push(d);
                None
            }
            _ => {
                self.mismatch(v, "a string");
                None
            }
        }
    }

    pub fn not_constant(&mut self, span: Span) {
        let d = Diagnostic::new(
            Code::NotConstant,
            span,
            "this value is known only when the pipeline runs",
        )
        .label("depends on a run-time value")
        .help("this field must be known when gitopsc compiles the program");
        self.diags.push(d);
    }

    pub fn int_(&mut self, v: &V) -> Option<i64> {
        match v.kind {
            VK::Int(n) => Some(n),
            _ => {
                self.mismatch(v, "an integer");
                None
            }
        }
    }

    /// An integer in `lo..=hi`.
    pub fn int_in(&mut self, v: &V, lo: i64, hi: i64, what: &str) -> Option<i64> {
        let n = self.int_(v)?;
        if n < lo || n > hi {
            let d = Diagnostic::new(
                Code::InvalidValue,
                v.span,
                format!("{what} must be between {lo} and {hi}, not {n}"),
            )
            .label("out of range");
            self.diags.push(d);
            return None;
        }
        Some(n)
    }

    pub fn bool_(&mut self, v: &V) -> Option<bool> {
        match v.kind {
            VK::Bool(b) => Some(b),
            _ => {
                self.mismatch(v, "`true` or `false`");
                None
            }
        }
    }

    /// A duration in milliseconds.
    pub fn duration_(&mut self, v: &V) -> Option<u64> {
        match v.kind {
            VK::Duration(ms) => Some(ms),
            _ => {
                self.mismatch(v, "a duration such as `30s` or `5m`");
                None
            }
        }
    }

    /// A duration in whole seconds, at least one second.
    pub fn seconds_(&mut self, v: &V) -> Option<u64> {
        let ms = self.duration_(v)?;
        if ms < 1000 || ms % 1000 != 0 {
            let d = Diagnostic::new(
                Code::InvalidDuration,
                v.span,
                "this duration must be a whole number of seconds, at least `1s`",
            )
            .label("not whole seconds");
            self.diags.push(d);
            return None;
        }
        Some(ms / 1000)
    }

    pub fn percent_(&mut self, v: &V) -> Option<u32> {
        match v.kind {
            VK::Percent(p) if p <= 100 => Some(p),
            VK::Percent(p) => {
                let d = Diagnostic::new(
                    Code::InvalidValue,
                    v.span,
                    format!("a percentage is at most 100%, not {p}%"),
                )
                .label("over 100%");
                self.diags.push(d);
                None
            }
            _ => {
                self.mismatch(v, "a percentage such as `25%`");
                None
            }
        }
    }

    /// [`Ctx::list_`] of a value that is no longer needed: its items are moved, not copied.
    pub fn into_list(&mut self, v: V) -> Vec<V> {
        match v.kind {
            VK::List(items) => items,
            VK::Error => Vec::new(),
            _ => vec![v],
        }
    }

    /// [`Ctx::str_`] of a value that is no longer needed: its text is moved, not copied.
    pub fn into_str(&mut self, v: V) -> Option<String> {
        match v.kind {
            VK::Str(s) => Some(s),
            _ => self.str_(&v),
        }
    }

    /// A list, or a single value taken as a one-element list.
    pub fn list_(&mut self, v: &V) -> Vec<V> {
        match &v.kind {
            VK::List(items) => items.clone(),
            VK::Error => Vec::new(),
            _ => vec![v.clone()],
        }
    }

    /// A list of compile-time strings.
    pub fn strings_(&mut self, v: &V) -> Vec<String> {
        self.list_(v).iter().filter_map(|x| self.str_(x)).collect()
    }

    pub fn env_(&mut self, v: &V) -> Option<usize> {
        match &v.kind {
            VK::Env(i) => Some(*i),
            VK::Sym(s) => {
                let names: Vec<String> = self.envs.iter().map(|e| e.name.clone()).collect();
                let d = Diagnostic::new(
                    Code::UnknownName,
                    v.span,
                    format!("there is no environment `{s}`"),
                )
                .label("not an environment")
                .did_you_mean(s, names.iter().map(String::as_str));
                self.diags.push(d);
                None
            }
            _ => {
                self.mismatch(v, "an environment");
                None
            }
        }
    }

    pub fn service_(&mut self, v: &V) -> Option<usize> {
        match &v.kind {
            VK::Service(i) => Some(*i),
            VK::Sym(s) => {
                let names: Vec<String> =
                    self.service_items.iter().map(|e| e.name.clone()).collect();
                let d = Diagnostic::new(
                    Code::UnknownName,
                    v.span,
                    format!("there is no service `{s}`"),
                )
                .label("not a service")
                .did_you_mean(s, names.iter().map(String::as_str));
                self.diags.push(d);
                None
            }
            _ => {
                self.mismatch(v, "a service");
                None
            }
        }
    }

    /// A list of services: `services`, `[a, b]` or one service.
    pub fn services_(&mut self, v: &V) -> Vec<usize> {
        match &v.kind {
            VK::Services { .. } => (0..self.service_items.len()).collect(),
            _ => self
                .list_(v)
                .iter()
                .filter_map(|x| self.service_(x))
                .collect(),
        }
    }

    /// A record literal.
    pub fn record_(&mut self, v: &V) -> Option<Rc<Record>> {
        match &v.kind {
            VK::Record(r) => Some(r.clone()),
            _ => {
                self.mismatch(v, "a record `{ … }`");
                None
            }
        }
    }

    /// A map of compile-time strings (values may be numbers or booleans, written as text).
    pub fn string_map_(&mut self, v: &V) -> IndexMap<String, String> {
        let mut out = IndexMap::new();
        let Some(rec) = self.record_(v) else {
            return out;
        };
        for (k, (_, val)) in rec.iter() {
            let text = match &val.kind {
                VK::Int(n) => Some(n.to_string()),
                VK::Bool(b) => Some(b.to_string()),
                _ => self.str_(val),
            };
            if let Some(t) = text {
                out.insert(k.clone(), t);
            }
        }
        out
    }

    /// One of the named variants: a bare name (`auto`) or a name with fields (`auto { … }`).
    pub fn variant_<'s>(&mut self, v: &V, what: &str, allowed: &[&'s str]) -> Option<Variant<'s>> {
        let (tag, fields) = match &v.kind {
            VK::Sym(s) => (s.as_str(), None),
            VK::Tagged(t, r) => (t.as_str(), Some(r)),
            VK::Error => return None,
            _ => {
                self.mismatch(v, &format!("{what} ({})", allowed.join(", ")));
                return None;
            }
        };
        let Some(&known) = allowed.iter().find(|a| **a == tag) else {
            let d = Diagnostic::new(Code::UnknownName, v.span, format!("`{tag}` is not {what}"))
                .label(format!("expected one of: {}", allowed.join(", ")))
                .did_you_mean(tag, allowed.iter().copied());
            self.diags.push(d);
            return None;
        };
        Some(Variant {
            tag: known,
            fields: fields.map_or_else(|| EMPTY.with(Rc::clone), Rc::clone),
            span: v.span,
        })
    }

    /// Reports record fields not in `allowed`; returns whether all were known.
    pub fn check_keys(
        &mut self,
        rec: &Record,
        what: impl std::fmt::Display,
        allowed: &[&str],
    ) -> bool {
        let mut ok = true;
        for (k, (span, _)) in rec.iter() {
            if !allowed.contains(&k.as_str()) {
                ok = false;
                let d = Diagnostic::new(
                    Code::UnknownField,
                    *span,
                    format!("{what} has no field `{k}`"),
                )
                .label("unknown field")
                .did_you_mean(k, allowed.iter().copied());
                self.diags.push(d);
            }
        }
        ok
    }

    /// Reports a missing record field at `span`.
    pub fn missing(&mut self, span: Span, what: &str, field: &str) {
        let d = Diagnostic::new(
            Code::MissingField,
            span,
            format!("{what} needs a `{field}` field"),
        )
        .label(format!("`{field}` is missing"));
        self.diags.push(d);
    }

    /// Checks that `name` (a `what`, declared at `span`) keeps a Tekton parameter of its own:
    /// Tekton spells it in kebab case (`dry_run` is `dry-run`), and that spelling must be
    /// neither `reserved` (which says what the name is kept for) nor that of a name in
    /// `earlier` (with where each is declared).
    pub fn tekton_param(
        &mut self,
        what: &str,
        name: &str,
        span: Span,
        earlier: &[(&str, Span)],
        reserved: &dyn Fn(&str) -> Option<&'static str>,
    ) -> bool {
        let spelled = crate::backends::tekton::param_name(name);
        let d = if let Some(why) = reserved(&spelled) {
            Diagnostic::new(
                Code::TektonParamClash,
                span,
                format!(
                    "{what} `{name}` would be the Tekton parameter `{spelled}`, which is taken"
                ),
            )
            .label(format!("`{spelled}` is taken on Tekton"))
            .help(format!("{why}; rename the {what}"))
        } else if let Some((other, first)) = earlier
            .iter()
            .find(|(o, _)| *o != name && crate::backends::tekton::param_name(o) == spelled)
        {
            Diagnostic::new(
                Code::TektonParamClash,
                span,
                format!(
                    "{what}s `{other}` and `{name}` would both be the Tekton parameter `{spelled}`"
                ),
            )
            .label(format!("the same Tekton name as `{other}`"))
            .secondary(*first, format!("`{other}` is declared here"))
            .help(format!(
                "Tekton spells names in kebab case (lowercase, `_` as `-`); rename one {what}"
            ))
        } else {
            return true;
        };
        self.diags.push(d);
        false
    }

    /// Checks a Kubernetes name (RFC 1123 label, at most 63 characters).
    pub fn k8s_name(&mut self, name: &str, span: Span, what: &str) -> bool {
        if is_dns_label(name) {
            return true;
        }
        let why = if name.len() > 63 {
            format!("it is {} characters long; the limit is 63", name.len())
        } else {
            "use lowercase letters, digits and `-`, starting and ending with a letter or digit"
                .into()
        };
        let d = Diagnostic::new(
            Code::InvalidK8sName,
            span,
            format!("`{name}` is not a valid Kubernetes name for {what}"),
        )
        .label("not a DNS-1123 label")
        .help(why);
        self.diags.push(d);
        false
    }
}

/// Whether `s` is an RFC 1123 DNS label.
pub fn is_dns_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// Whether `s` is a valid GitHub Actions job id.
pub fn is_job_id(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Checks a five-field cron expression; returns a reason when invalid.
pub fn cron_error(expr: &str) -> Option<String> {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    if fields.len() != 5 {
        return Some(format!(
            "a cron expression has 5 fields, this one has {}",
            fields.len()
        ));
    }
    let ranges = [
        ("minute", 0, 59),
        ("hour", 0, 23),
        ("day of month", 1, 31),
        ("month", 1, 12),
        ("day of week", 0, 7),
    ];
    for (field, (name, lo, hi)) in fields.iter().zip(ranges) {
        for part in field.split(',') {
            if let Some(e) = cron_part(part, lo, hi, name) {
                return Some(e);
            }
        }
    }
    None
}

fn cron_part(part: &str, lo: u32, hi: u32, name: &str) -> Option<String> {
    let (range, step) = match part.split_once('/') {
        Some((r, s)) => (r, Some(s)),
        None => (part, None),
    };
    if let Some(s) = step {
        match s.parse::<u32>() {
            Ok(n) if n >= 1 && n <= hi.max(1) => {}
            _ => return Some(format!("`{s}` is not a valid step for the {name} field")),
        }
    }
    if range == "*" {
        return None;
    }
    let (a, b) = match range.split_once('-') {
        Some((a, b)) => (a, Some(b)),
        None => (range, None),
    };
    let parse = |x: &str| x.parse::<u32>().ok().filter(|n| *n >= lo && *n <= hi);
    match (parse(a), b.map(parse)) {
        (Some(_), None) => None,
        (Some(x), Some(Some(y))) if x <= y => None,
        _ => Some(format!(
            "`{range}` is not a valid {name} (allowed: {lo}-{hi})"
        )),
    }
}
