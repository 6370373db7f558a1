//! Step scripts: the interpreter line, strict-mode options and the guard that skips a step
//! whose condition does not hold.
//!
//! Tekton steps have no stable per-step condition, so a step's `if` becomes a shell test at the
//! top of its script. Invariant: a value from outside (a parameter, a result, event text) never
//! appears inside the script text of a guard; it reaches the test through an environment
//! variable, so no value can change the script.

use crate::ir::{Cond, Program, Ref, Template};

/// Prefix of the environment variables that carry the operands of a step's condition.
pub const GUARD_ENV: &str = "GITOPSC_IF_";

/// The first lines of a script for `shell`: the interpreter and, for POSIX shells, strict mode.
/// `None` means a POSIX shell (`/bin/sh`).
pub fn prelude(shell: Option<&str>) -> (String, bool) {
    let word = shell
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or("sh");
    match word {
        "sh" => ("#!/bin/sh\nset -eu\n".to_string(), true),
        "bash" => (
            "#!/usr/bin/env bash\nset -eu -o pipefail\n".to_string(),
            true,
        ),
        "python" => ("#!/usr/bin/env python3\n".to_string(), false),
        other => (format!("#!/usr/bin/env {other}\n"), false),
    }
}

/// A complete step script: the user's text after the prelude and, for POSIX shells, the guard.
/// A script that brings its own `#!` line is kept as written.
pub fn compose(shell: Option<&str>, guard: Option<&str>, body: &str) -> String {
    if body.starts_with("#!") {
        return body.to_string();
    }
    let (mut out, posix) = prelude(shell);
    if let (Some(g), true) = (guard, posix) {
        out.push_str(g);
    }
    let body = body.strip_prefix("set -eu\n").unwrap_or(body);
    out.push_str(body);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// The guard for a step condition, and the environment variables its test reads (name and
/// template, in order). `None` when the condition always holds or cannot be tested in a step.
pub fn guard(program: &Program, cond: &Cond) -> Option<(String, Vec<(String, Template)>)> {
    let cond = cond.simplify()?;
    let mut env = Vec::new();
    let test = test_of(program, &cond, &mut env)?;
    let text = format!(
        "if ! {{ {test}; }}; then\n  echo 'skipped: the condition of this step does not hold'\n  exit 0\nfi\n"
    );
    Some((text, env))
}

/// The templates a step condition reads (to know which parameters the Task needs).
pub fn cond_operands(program: &Program, cond: &Cond) -> Vec<Template> {
    let mut env = Vec::new();
    let _ = test_of(program, cond, &mut env);
    env.into_iter().map(|(_, t)| t).collect()
}

/// A `change detected` test reads the boolean result the change-detection job wrote.
pub fn changed_ref(program: &Program, job: usize, service: usize) -> Ref {
    let name = program
        .services
        .get(service)
        .map_or_else(String::new, |s| s.name.clone());
    Ref::Result { job, name }
}

fn test_of(program: &Program, c: &Cond, env: &mut Vec<(String, Template)>) -> Option<String> {
    Some(match c {
        Cond::Always | Cond::Success => "true".to_string(),
        Cond::Eq(a, b) => format!("[ {} = {} ]", operand(a, env), operand(b, env)),
        Cond::Ne(a, b) => format!("[ {} != {} ]", operand(a, env), operand(b, env)),
        Cond::Truthy(t) => format!("[ {} = true ]", operand(t, env)),
        Cond::Changed { job, service } => {
            let t = Template::of_ref(changed_ref(program, *job, *service));
            format!("[ {} = true ]", operand(&t, env))
        }
        Cond::Not(inner) => format!("! {{ {}; }}", test_of(program, inner, env)?),
        Cond::And(cs) => join(program, cs, " && ", env)?,
        Cond::Or(cs) => join(program, cs, " || ", env)?,
        Cond::Failure | Cond::JobStatus { .. } => return None,
    })
}

fn join(
    program: &Program,
    cs: &[Cond],
    op: &str,
    env: &mut Vec<(String, Template)>,
) -> Option<String> {
    let parts: Option<Vec<String>> = cs.iter().map(|c| test_of(program, c, env)).collect();
    Some(format!("{{ {}; }}", parts?.join(op)))
}

/// A literal as a single-quoted shell word; anything else as a quoted variable.
fn operand(t: &Template, env: &mut Vec<(String, Template)>) -> String {
    if let Some(text) = t.as_literal() {
        return format!("'{}'", text.replace('\'', r"'\''"));
    }
    let name = format!("{GUARD_ENV}{}", env.len() + 1);
    env.push((name.clone(), t.clone()));
    format!("\"${name}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_start_with_an_interpreter() {
        let s = compose(None, None, "echo hi");
        assert_eq!(s, "#!/bin/sh\nset -eu\necho hi\n");
        let s = compose(Some("bash"), None, "echo hi\n");
        assert!(s.starts_with("#!/usr/bin/env bash\nset -eu -o pipefail\n"));
        assert_eq!(compose(None, None, "#!/bin/zsh\necho"), "#!/bin/zsh\necho");
    }

    #[test]
    fn guards_read_values_from_the_environment() {
        let p = Program::default();
        let c = Cond::Eq(
            Template::of_ref(Ref::Param("mode".into())),
            Template::lit("it's"),
        );
        let (text, env) = guard(&p, &c).unwrap_or_default();
        assert!(
            text.contains(r#"[ "$GITOPSC_IF_1" = 'it'\''s' ]"#),
            "{text}"
        );
        assert_eq!(env.len(), 1);
    }
}
