//! Task calls: binding arguments to typed parameters.

use super::task::{PType, ParamSig, ENV_PARAM_FIELDS, SERVICE_PARAM_FIELDS};
use super::value::{CallV, V, VK};
use super::Ctx;
use crate::diagnostics::{Code, Diagnostic, Span};
use crate::ir::{self, ParamType, Ref, Taint, Template};

/// A call's arguments, by (expanded) parameter name.
#[derive(Debug, Clone, Default)]
pub struct BoundArgs {
    pub args: ir::Args,
    /// The environment passed to an `environment` parameter, if any.
    pub env: Option<usize>,
    /// The service passed to a `service` parameter, if any.
    pub service: Option<usize>,
}

impl<'a> Ctx<'a> {
    /// Checks a call against the task's signature; `None` when the task is unknown.
    pub fn bind_call(&mut self, call: &CallV, span: Span) -> Option<BoundArgs> {
        let sig = self.task_sig(&call.task)?;
        let mut out = BoundArgs {
            args: ir::Args::with_capacity_and_hasher(sig.expanded_len(), Default::default()),
            env: None,
            service: None,
        };
        // Parameters passed so far; a call passes few, so a list beats a map.
        let mut set: Vec<(&str, Span)> = Vec::with_capacity(call.args.len());
        let mut positional = 0;
        for (name, v) in &call.args {
            let p = match name {
                Some((n, nspan)) => match sig.params.iter().find(|p| &p.name == n) {
                    Some(p) => p,
                    None => {
                        let names: Vec<&str> = sig.params.iter().map(|p| p.name.as_str()).collect();
                        let d = Diagnostic::new(
                            Code::UnknownField,
                            *nspan,
                            format!("task `{}` has no parameter `{n}`", call.task),
                        )
                        .label("unknown parameter")
                        .did_you_mean(n, names);
                        self.diags.push(d);
                        continue;
                    }
                },
                None => {
                    let Some(p) = sig.params.get(positional) else {
                        let d = Diagnostic::new(
                            Code::ArgumentCount,
                            v.span,
                            format!(
                                "task `{}` takes {} positional argument{}",
                                call.task,
                                sig.params.len(),
                                if sig.params.len() == 1 { "" } else { "s" }
                            ),
                        )
                        .label("one too many");
                        self.diags.push(d);
                        positional += 1;
                        continue;
                    };
                    positional += 1;
                    p
                }
            };
            if let Some((_, first)) = set.iter().find(|(n, _)| *n == p.name) {
                let d = Diagnostic::new(
                    Code::Duplicate,
                    v.span,
                    format!("parameter `{}` is passed twice", p.name),
                )
                .label("passed again")
                .secondary(*first, "first passed here");
                self.diags.push(d);
                continue;
            }
            set.push((&p.name, v.span));
            self.bind_arg(p, v, &mut out);
        }
        for p in &sig.params {
            if !p.has_default && !set.iter().any(|(n, _)| *n == p.name) {
                let d = Diagnostic::new(
                    Code::MissingField,
                    span,
                    format!("task `{}` needs the argument `{}`", call.task, p.name),
                )
                .label(format!("`{}` is missing", p.name));
                self.diags.push(d);
            }
        }
        Some(out)
    }

    /// The arguments alone (for inlining a call as steps).
    pub fn call_args(&mut self, call: &CallV, span: Span) -> Option<ir::Args> {
        self.bind_call(call, span).map(|b| b.args)
    }

    fn bind_arg(&mut self, p: &ParamSig, v: &V, out: &mut BoundArgs) {
        match &p.ty {
            PType::Service | PType::Environment if matches!(v.kind, VK::Record(_)) => {
                self.forward_record(p, v, out)
            }
            PType::Service => {
                let Some(i) = self.service_(v) else { return };
                out.service = Some(i);
                let s = &self.services[i];
                let values = [
                    s.name.as_str(),
                    s.path.as_str(),
                    s.image.as_str(),
                    s.toolchain.version.as_str(),
                    s.dockerfile.as_str(),
                    "",
                    s.repository.as_str(),
                ];
                for ((name, field), value) in
                    p.expanded.iter().zip(SERVICE_PARAM_FIELDS).zip(values)
                {
                    let value = match (*field, s.port) {
                        ("port", Some(port)) => Template::lit(port.to_string()),
                        _ => Template::lit(value),
                    };
                    out.args.insert(name.clone(), value);
                }
            }
            PType::Environment => {
                let Some(i) = self.env_(v) else { return };
                out.env = Some(i);
                let e = &self.envs[i];
                for (name, value) in p
                    .expanded
                    .iter()
                    .zip([e.name.as_str(), e.namespace.as_str()])
                {
                    out.args.insert(name.clone(), Template::lit(value));
                }
            }
            PType::Plain(ParamType::Secret) => match &v.kind {
                VK::Secret(name) => {
                    out.args.insert(
                        p.name.as_str().into(),
                        Template::of_ref(Ref::Secret(name.clone())),
                    );
                }
                VK::Tmpl(t) if self.taint_of(t) == Taint::Secret => {
                    out.args.insert(p.name.as_str().into(), t.clone());
                }
                _ => {
                    self.mismatch(v, "a secret (`secrets.NAME`)");
                }
            },
            PType::Plain(pt) => {
                if let Some(t) = self.plain_arg(p, pt, v) {
                    out.args.insert(p.name.as_str().into(), t);
                }
            }
            PType::Untrusted => {
                let Some(t) = self.to_template(v) else { return };
                if self.taint_of(&t) == Taint::Secret {
                    self.secret_into_param(p, v.span);
                    return;
                }
                out.args.insert(p.name.as_str().into(), t);
            }
        }
    }

    /// A `service` or `environment` parameter of the calling task passed on to a nested call:
    /// each expanded field is forwarded.
    fn forward_record(&mut self, p: &ParamSig, v: &V, out: &mut BoundArgs) {
        let VK::Record(rec) = &v.kind else { return };
        let fields = if p.ty == PType::Service {
            SERVICE_PARAM_FIELDS
        } else {
            ENV_PARAM_FIELDS
        };
        if !fields.iter().all(|f| rec.contains_key(*f)) {
            let expected = if p.ty == PType::Service {
                "a service"
            } else {
                "an environment"
            };
            self.mismatch(v, expected);
            return;
        }
        for (name, field) in p.expanded.iter().zip(fields) {
            if let Some((_, fv)) = rec.get(*field) {
                if let Some(t) = self.to_template(fv) {
                    out.args.insert(name.clone(), t);
                }
            }
        }
    }

    fn plain_arg(&mut self, p: &ParamSig, pt: &ParamType, v: &V) -> Option<Template> {
        match (pt, &v.kind) {
            (ParamType::Bool, VK::Bool(_) | VK::Tmpl(_))
            | (ParamType::Int, VK::Int(_) | VK::Tmpl(_)) => {}
            (ParamType::Bool, _) => {
                self.mismatch(v, "`true` or `false`");
                return None;
            }
            (ParamType::Int, _) => {
                self.mismatch(v, "an integer");
                return None;
            }
            (ParamType::Choice(cs), VK::Str(s)) if !cs.contains(s) => {
                self.not_a_choice(s, cs, v.span);
                return None;
            }
            _ => {}
        }
        let t = self.to_template(v)?;
        match self.taint_of(&t) {
            Taint::Secret => {
                self.secret_into_param(p, v.span);
                None
            }
            Taint::Untrusted => {
                let d = Diagnostic::new(
                    Code::UntrustedInScript,
                    v.span,
                    format!("untrusted text is passed to the parameter `{}`", p.name),
                )
                .label("an outsider controls this value")
                .secondary(
                    p.span,
                    "declared here as a plain string, which may reach a script",
                )
                .help(
                    "declare the parameter `untrusted` and read it in the task only through `env`",
                );
                self.diags.push(d);
                None
            }
            Taint::Clean => Some(t),
        }
    }

    fn secret_into_param(&mut self, p: &ParamSig, span: Span) {
        let d = Diagnostic::new(
            Code::SecretLeak,
            span,
            format!("a secret is passed to the plain parameter `{}`", p.name),
        )
        .label("this value holds a secret")
        .secondary(p.span, "declared here without the `secret` type")
        .help("declare the parameter `: secret` so the task can only put it in `env`");
        self.diags.push(d);
    }
}

/// The name of one field of an expanded `service` or `environment` parameter: `svc-path`.
pub fn expanded_name(param: &str, field: &str) -> String {
    let mut s = String::with_capacity(param.len() + 1 + field.len());
    s.push_str(param);
    s.push('-');
    s.push_str(field);
    s
}
