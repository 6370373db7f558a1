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
    let mut wanted = vec![false; MODULES.len()];
    wanted[0] = true;
    let mut queue: Vec<&str> = texts.collect();
    while let Some(text) = queue.pop() {
        for name in mentioned(text) {
            if let Some(i) = MODULES.iter().position(|(n, _)| *n == name) {
                if !wanted[i] {
                    wanted[i] = true;
                    queue.push(MODULES[i].1);
                }
            }
        }
    }
    MODULES
        .iter()
        .zip(wanted)
        .filter(|(_, w)| *w)
        .map(|(m, _)| *m)
        .collect()
}

/// Every name that follows `std.` in a text, read in one pass (a name is what an identifier
/// may hold: letters, digits, `_` and `-`).
fn mentioned(text: &str) -> impl Iterator<Item = &str> {
    text.match_indices("std.").map(move |(i, m)| {
        let rest = &text[i + m.len()..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(rest.len());
        &rest[..end]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<&'static str> {
        modules_for(std::iter::once(text))
            .into_iter()
            .map(|(n, _)| n)
            .collect()
    }

    #[test]
    fn a_module_is_wanted_only_when_named_in_full() {
        assert_eq!(names("step x = std.go.build(svc)"), ["pins", "go"]);
        // `std.gox` and `std.go_x` name no module; `std.image` pulls in what it names itself.
        assert_eq!(names("std.gox std.go_x std.go-x"), ["pins"]);
        assert_eq!(names("no library at all"), ["pins"]);
        assert_eq!(names("std.npm\nstd.npm"), ["pins", "npm"]);
    }

    #[test]
    fn modules_named_by_modules_are_wanted_too() {
        for (name, body) in MODULES {
            let direct = names(&format!("std.{name}"));
            assert!(direct.contains(name), "{name}");
            for other in mentioned(body).filter(|n| MODULES.iter().any(|(m, _)| m == n)) {
                assert!(direct.contains(&other), "{name} names {other}");
            }
        }
    }
}
