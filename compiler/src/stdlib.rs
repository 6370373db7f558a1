//! The standard library: `.gitops` modules embedded in the binary.
//!
//! Each module is a file under `stdlib/`, compiled into the binary with `include_str!` and shown
//! in diagnostics under the pseudo-path `<std>/NAME.gitops`. Only the modules a program names
//! (plus `pins`, which every module may use) are parsed.

/// Every module, by name.
pub const MODULES: &[(&str, &str)] = &[
    ("pins", include_str!("../../stdlib/pins.gitops")),
    ("maven", include_str!("../../stdlib/maven.gitops")),
    ("gradle", include_str!("../../stdlib/gradle.gitops")),
    ("npm", include_str!("../../stdlib/npm.gitops")),
    ("python", include_str!("../../stdlib/python.gitops")),
    ("go", include_str!("../../stdlib/go.gitops")),
    ("image", include_str!("../../stdlib/image.gitops")),
    ("scan", include_str!("../../stdlib/scan.gitops")),
    ("gitops", include_str!("../../stdlib/gitops.gitops")),
    ("argocd", include_str!("../../stdlib/argocd.gitops")),
    ("notify", include_str!("../../stdlib/notify.gitops")),
    ("check", include_str!("../../stdlib/check.gitops")),
];

/// The modules the given sources need: `pins`, every module they name as `std.NAME`, and the
/// modules those name in turn.
pub fn modules_for<'t>(texts: impl Iterator<Item = &'t str>) -> Vec<(&'static str, &'static str)> {
    let mut wanted = vec!["pins"];
    let mut queue: Vec<&str> = texts.collect();
    while let Some(text) = queue.pop() {
        for (name, body) in MODULES {
            if !wanted.contains(name) && mentions(text, name) {
                wanted.push(name);
                queue.push(body);
            }
        }
    }
    MODULES
        .iter()
        .filter(|(n, _)| wanted.contains(n))
        .copied()
        .collect()
}

fn mentions(text: &str, module: &str) -> bool {
    let needle = format!("std.{module}");
    text.match_indices(&needle).any(|(i, _)| {
        let after = text[i + needle.len()..].chars().next();
        !matches!(after, Some(c) if c.is_ascii_alphanumeric() || c == '_' || c == '-')
    })
}
