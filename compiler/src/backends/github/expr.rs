//! GitHub expressions: how each run-time reference and run condition is spelled.
//!
//! Invariant: this module only produces text for positions GitHub evaluates without a shell
//! (`with:`, `env:`, `if:`, concurrency groups, environment URLs, job outputs). Scripts never
//! receive its `${{ }}` text; they go through [`super::script`], which routes every reference
//! through an environment variable.

use super::Ctx;
use crate::ir::{Cond, GitField, JobStatus, ParamType, Ref, Template, TemplatePart};
use std::borrow::Cow;

/// The expression (without `${{ }}`) a reference stands for.
///
/// GitHub expressions have no substring function: `git.short_sha` is read from the job's
/// short-SHA step where there is one, and is the full SHA at job level (scripts cut it to seven
/// characters themselves).
pub fn ref_expr(ctx: &Ctx, r: &Ref) -> String {
    let mut out = String::new();
    push_ref_expr(ctx, r, &mut out);
    out
}

/// Appends [`ref_expr`] of `r` to `out`.
fn push_ref_expr(ctx: &Ctx, r: &Ref, out: &mut String) {
    use std::fmt::Write;
    // Writing to a String cannot fail.
    let _ = match r {
        Ref::Git(GitField::ShortSha) if ctx.short_sha_step => {
            write!(out, "steps.{}.outputs.sha", super::steps::SHORT_SHA_STEP)
        }
        Ref::Git(f) => out.write_str(git_expr(*f)),
        Ref::Input(n) => write!(out, "inputs.{n}"),
        Ref::Result { job, name } => write!(out, "needs.{}.outputs.{name}", ctx.job_id(*job)),
        Ref::Secret(n) => write!(out, "secrets.{n}"),
        // Parameters are replaced before rendering; one left over is a compiler bug, and the
        // empty string is the least surprising value for it.
        Ref::Param(_) => out.write_str("''"),
        Ref::Event(p) => write!(out, "github.event.{p}"),
        Ref::Matrix(a) => write!(out, "matrix.{a}"),
        Ref::RunId => out.write_str("github.run_id"),
    };
}

fn git_expr(f: GitField) -> &'static str {
    match f {
        GitField::Sha | GitField::ShortSha => "github.sha",
        GitField::Ref => "github.ref",
        GitField::RefName => "github.ref_name",
        GitField::Repository => "github.repository",
        GitField::RepoUrl => "format('{0}/{1}', github.server_url, github.repository)",
        GitField::Actor => "github.actor",
    }
}

/// A reference written where GitHub substitutes `${{ }}` into text.
pub fn ref_inline(ctx: &Ctx, r: &Ref) -> String {
    let mut out = String::new();
    push_ref_inline(ctx, r, &mut out);
    out
}

fn push_ref_inline(ctx: &Ctx, r: &Ref, out: &mut String) {
    if let Ref::Git(GitField::RepoUrl) = r {
        out.push_str("${{ github.server_url }}/${{ github.repository }}");
        return;
    }
    out.push_str("${{ ");
    push_ref_expr(ctx, r, out);
    out.push_str(" }}");
}

/// Where the text `${{` starts in `s`, if it does.
pub fn find_expr_open(s: &str) -> Option<usize> {
    // Most texts are short and hold no `$`: a plain byte loop beats a searcher's set-up.
    s.as_bytes().windows(3).position(|w| w == b"${{")
}

/// Literal text for a position GitHub scans for `${{`: an opening that is text, not an
/// expression, is written as an expression yielding it (text without one is borrowed).
pub fn lit_inline(s: &str) -> Cow<'_, str> {
    if find_expr_open(s).is_none() {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    push_lit_inline(s, &mut out);
    Cow::Owned(out)
}

fn push_lit_inline(s: &str, out: &mut String) {
    let mut rest = s;
    while let Some(i) = find_expr_open(rest) {
        out.push_str(&rest[..i]);
        out.push_str("${{ '${{' }}");
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
}

/// A template in a text position: literals as they are, references as `${{ expr }}`. A template
/// of one literal without an expression opening is borrowed.
pub fn inline<'t>(ctx: &Ctx, t: &'t Template) -> Cow<'t, str> {
    match t.parts.as_slice() {
        [] => return Cow::Borrowed(""),
        [TemplatePart::Lit(s)] => return lit_inline(s),
        _ => {}
    }
    // Room for the literals and a typical `${{ needs.<job>.outputs.<name> }}` per reference.
    let room = t
        .parts
        .iter()
        .map(|p| match p {
            TemplatePart::Lit(s) => s.len(),
            TemplatePart::Ref(_) => 48,
        })
        .sum();
    let mut out = String::with_capacity(room);
    for p in &t.parts {
        match p {
            TemplatePart::Lit(s) => push_lit_inline(s, &mut out),
            TemplatePart::Ref(r) => push_ref_inline(ctx, r, &mut out),
        }
    }
    Cow::Owned(out)
}

/// A string literal of the expression language.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_quoted(s, &mut out);
    out
}

/// Appends [`quote`] of `s` to `out`.
fn push_quoted(s: &str, out: &mut String) {
    out.push('\'');
    for (i, piece) in s.split('\'').enumerate() {
        if i > 0 {
            out.push_str("''");
        }
        out.push_str(piece);
    }
    out.push('\'');
}

/// Appends a template as one expression to `out`: a reference, a quoted literal, or
/// `format(...)` of both.
fn push_template_expr(ctx: &Ctx, t: &Template, out: &mut String) {
    if let [TemplatePart::Ref(r)] = t.parts.as_slice() {
        return push_ref_expr(ctx, r, out);
    }
    if let Some(lit) = t.literal() {
        return push_quoted(&lit, out);
    }
    let mut pattern = String::new();
    let mut args = 0;
    for p in &t.parts {
        match p {
            TemplatePart::Lit(s) => pattern.push_str(&s.replace('{', "{{").replace('}', "}}")),
            TemplatePart::Ref(_) => {
                pattern.push_str(&format!("{{{args}}}"));
                args += 1;
            }
        }
    }
    out.push_str("format(");
    push_quoted(&pattern, out);
    for r in t.refs() {
        out.push_str(", ");
        push_ref_expr(ctx, r, out);
    }
    out.push(')');
}

/// Appends one side of a comparison to `out`: a literal compared with a typed (boolean or
/// number) input is written as a boolean or number, since GitHub compares `true` and `'true'`
/// as unequal.
fn push_comparand(ctx: &Ctx, t: &Template, other: &Template, out: &mut String) {
    if let (Some(lit), [TemplatePart::Ref(Ref::Input(n))]) = (t.literal(), other.parts.as_slice()) {
        let typed = match ctx.input_type(n) {
            Some(ParamType::Bool) => lit == "true" || lit == "false",
            Some(ParamType::Int) => lit.parse::<i64>().is_ok(),
            _ => false,
        };
        if typed {
            return out.push_str(&lit);
        }
    }
    push_template_expr(ctx, t, out);
}

/// A run condition as a GitHub expression (without `${{ }}`).
pub fn cond_expr(ctx: &Ctx, c: &Cond) -> String {
    let mut out = String::new();
    push_cond_expr(ctx, c, &mut out);
    out
}

/// Appends [`cond_expr`] of `c` to `out`.
pub fn push_cond_expr(ctx: &Ctx, c: &Cond, out: &mut String) {
    if c.is_never() {
        return out.push_str("false");
    }
    match c {
        Cond::Always => out.push_str("always()"),
        Cond::Success => out.push_str("success()"),
        Cond::Failure => out.push_str("failure()"),
        Cond::JobStatus { job, status } => {
            for part in ["needs.", ctx.job_id(*job), ".result == '"] {
                out.push_str(part);
            }
            out.push_str(status_word(*status));
            out.push('\'');
        }
        Cond::Changed { job, service } => {
            for part in ["needs.", ctx.job_id(*job), ".outputs."] {
                out.push_str(part);
            }
            out.push_str(ctx.service_name(*service));
            out.push_str(" == 'true'");
        }
        Cond::Eq(a, b) | Cond::Ne(a, b) => {
            push_comparand(ctx, a, b, out);
            out.push_str(if matches!(c, Cond::Eq(..)) {
                " == "
            } else {
                " != "
            });
            push_comparand(ctx, b, a, out);
        }
        Cond::Truthy(t) => push_template_expr(ctx, t, out),
        Cond::Not(inner) => match inner.as_ref() {
            Cond::Always | Cond::Success | Cond::Failure => {
                out.push('!');
                push_cond_expr(ctx, inner, out);
            }
            Cond::Truthy(t) if t.parts.len() == 1 => {
                out.push('!');
                push_cond_expr(ctx, inner, out);
            }
            other => {
                out.push_str("!(");
                push_cond_expr(ctx, other, out);
                out.push(')');
            }
        },
        Cond::And(cs) => join(ctx, cs, " && ", out),
        Cond::Or(cs) => join(ctx, cs, " || ", out),
    }
}

fn join(ctx: &Ctx, cs: &[Cond], op: &str, out: &mut String) {
    for (i, c) in cs.iter().enumerate() {
        if i > 0 {
            out.push_str(op);
        }
        if let Cond::And(_) | Cond::Or(_) = c {
            out.push('(');
            push_cond_expr(ctx, c, out);
            out.push(')');
        } else {
            push_cond_expr(ctx, c, out);
        }
    }
}

fn status_word(s: JobStatus) -> &'static str {
    match s {
        JobStatus::Success => "success",
        JobStatus::Failure => "failure",
        JobStatus::Skipped => "skipped",
        JobStatus::Cancelled => "cancelled",
    }
}

/// Whether a condition calls a status function, which turns off GitHub's implicit `success()`.
pub fn has_status_fn(c: &Cond) -> bool {
    match c {
        Cond::Always | Cond::Success | Cond::Failure => !c.is_never(),
        Cond::Not(inner) => !c.is_never() && has_status_fn(inner),
        Cond::And(cs) | Cond::Or(cs) => cs.iter().any(has_status_fn),
        _ => false,
    }
}

/// A condition with constant parts folded ([`Cond::simplify`]), keeping its status functions:
/// `always()` is "true" to the IR but tells GitHub to run after failures too.
pub fn simplified(c: &Cond) -> Option<Cond> {
    let s = c.simplify();
    if !has_status_fn(c) {
        return s;
    }
    match s {
        None => Some(Cond::Always),
        Some(x) if x.is_never() || has_status_fn(&x) => Some(x),
        Some(x) => Some(Cond::And(vec![Cond::Always, x])),
    }
}

/// Whether a condition tests how another job ended.
pub fn tests_job_status(c: &Cond) -> bool {
    match c {
        Cond::JobStatus { .. } => true,
        Cond::Not(inner) => tests_job_status(inner),
        Cond::And(cs) | Cond::Or(cs) => cs.iter().any(tests_job_status),
        _ => false,
    }
}

/// Replaces task parameters inside a condition's templates.
pub fn substitute_cond(c: &Cond, f: &mut dyn FnMut(&Ref) -> Option<Template>) -> Cond {
    match c {
        Cond::Eq(a, b) => Cond::Eq(a.substitute(f), b.substitute(f)),
        Cond::Ne(a, b) => Cond::Ne(a.substitute(f), b.substitute(f)),
        Cond::Truthy(t) => Cond::Truthy(t.substitute(f)),
        Cond::Not(inner) => Cond::Not(Box::new(substitute_cond(inner, f))),
        Cond::And(cs) => Cond::And(cs.iter().map(|c| substitute_cond(c, f)).collect()),
        Cond::Or(cs) => Cond::Or(cs.iter().map(|c| substitute_cond(c, f)).collect()),
        other => other.clone(),
    }
}

/// Calls `f` on every template inside a condition.
pub fn cond_templates<'c>(c: &'c Cond, f: &mut dyn FnMut(&'c Template)) {
    match c {
        Cond::Eq(a, b) | Cond::Ne(a, b) => {
            f(a);
            f(b);
        }
        Cond::Truthy(t) => f(t),
        Cond::Not(inner) => cond_templates(inner, f),
        Cond::And(cs) | Cond::Or(cs) => cs.iter().for_each(|c| cond_templates(c, f)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expression_openings_in_text_are_written_as_expressions() {
        assert_eq!(find_expr_open("a $b ${ c"), None);
        assert_eq!(find_expr_open("$$${{"), Some(2));
        assert_eq!(lit_inline("plain"), "plain");
        assert_eq!(
            lit_inline("$x ${{ y }} $${{"),
            "$x ${{ '${{' }} y }} $${{ '${{' }}"
        );
        assert_eq!(lit_inline("${{${{"), "${{ '${{' }}${{ '${{' }}");
    }
}
