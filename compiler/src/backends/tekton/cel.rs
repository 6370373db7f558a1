//! CEL text for the Triggers CEL interceptor: string literals, branch and tag filters, and the
//! guarded lookups of event fields.
//!
//! Invariant: program text only ever enters an expression as a quoted CEL string literal (or a
//! regular expression inside one), never as expression syntax.

/// A CEL string literal.
pub fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A filter on `subject` for GitHub-style glob patterns (`*`, `**`, `?`, `+`, `[…]`, and `!` to
/// exclude), each written after `prefix`. `None` when there are no patterns.
pub fn glob_filter(subject: &str, prefix: &str, patterns: &[String]) -> Option<String> {
    let (negative, positive): (Vec<&String>, Vec<&String>) =
        patterns.iter().partition(|p| p.starts_with('!'));
    let mut parts: Vec<String> = Vec::new();
    let exact: Vec<&String> = positive.iter().copied().filter(|p| !is_glob(p)).collect();
    let globs: Vec<&String> = positive.iter().copied().filter(|p| is_glob(p)).collect();
    let mut any: Vec<String> = Vec::new();
    if !exact.is_empty() {
        let list: Vec<String> = exact
            .iter()
            .map(|p| string(&format!("{prefix}{p}")))
            .collect();
        any.push(format!("{subject} in [{}]", list.join(", ")));
    }
    for g in globs {
        any.push(matches(subject, prefix, g));
    }
    match any.len() {
        0 => {}
        1 => parts.extend(any),
        _ => parts.push(format!("({})", any.join(" || "))),
    }
    for n in negative {
        let p = &n[1..];
        if is_glob(p) {
            parts.push(format!("!{}", matches(subject, prefix, p)));
        } else {
            parts.push(format!("{subject} != {}", string(&format!("{prefix}{p}"))));
        }
    }
    (!parts.is_empty()).then(|| parts.join(" && "))
}

fn is_glob(p: &str) -> bool {
    p.contains(['*', '?', '+', '['])
}

fn matches(subject: &str, prefix: &str, glob: &str) -> String {
    format!("{subject}.matches({})", string(&glob_regex(prefix, glob)))
}

/// An anchored RE2 expression for a glob after a literal prefix.
pub fn glob_regex(prefix: &str, glob: &str) -> String {
    let mut out = String::from("^");
    out.push_str(&escape(prefix));
    let chars: Vec<char> = glob.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' if chars.get(i + 1) == Some(&'*') => {
                out.push_str(".*");
                i += 1;
            }
            '*' => out.push_str("[^/]*"),
            '?' | '+' => out.push(chars[i]),
            '[' => match chars[i..].iter().position(|c| *c == ']') {
                Some(end) => {
                    out.extend(&chars[i..=i + end]);
                    i += end;
                }
                None => out.push_str("\\["),
            },
            c => out.push_str(&escape(&c.to_string())),
        }
        i += 1;
    }
    out.push('$');
    out
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `body.a.b`, or `''` when the event has no such field (a binding of a missing field would
/// make Triggers reject the event).
pub fn guarded_field(path: &str) -> String {
    let segments: Vec<&str> = path.split('.').collect();
    if !segments.iter().all(|s| is_ident(s)) {
        return format!("body.{path}");
    }
    let checks: Vec<String> = (1..=segments.len())
        .map(|n| format!("has(body.{})", segments[..n].join(".")))
        .collect();
    format!("{} ? body.{path} : ''", checks.join(" && "))
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_quoted() {
        assert_eq!(string(r"it's \ here"), r"'it\'s \\ here'");
    }

    #[test]
    fn branch_filters() {
        let f = glob_filter(
            "body.ref",
            "refs/heads/",
            &["main".into(), "release/**".into(), "!release/old".into()],
        );
        assert_eq!(
            f.as_deref(),
            Some("(body.ref in ['refs/heads/main'] || body.ref.matches('^refs/heads/release/.*$')) && body.ref != 'refs/heads/release/old'")
        );
        assert_eq!(glob_regex("", "v*.x"), r"^v[^/]*\.x$");
        assert_eq!(glob_filter("x", "", &[]), None);
    }

    #[test]
    fn fields_are_guarded() {
        assert_eq!(
            guarded_field("pull_request.title"),
            "has(body.pull_request) && has(body.pull_request.title) ? body.pull_request.title : ''"
        );
    }
}
