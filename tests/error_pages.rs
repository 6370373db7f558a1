//! Every diagnostic code has a book page; a page names no other code; a page's example
//! produces exactly its code.

use gitopsc::diagnostics::{Code, ALL_CODES};
use std::collections::BTreeSet;

fn example(page: &str, code: &str) -> Option<String> {
    let fence = format!("```gitops,{code}\n");
    let start = page.find(&fence)? + fence.len();
    let end = page[start..].find("```")?;
    Some(page[start..start + end].to_string())
}

#[test]
fn every_code_has_a_page_naming_only_itself() {
    let code_re: Vec<&str> = ALL_CODES.iter().map(|c| c.as_str()).collect();
    for code in ALL_CODES {
        let page = gitopsc::diagnostics::page(*code);
        assert!(
            page.starts_with(&format!("# {}: ", code.as_str())),
            "{} has no page or a wrong title",
            code.as_str()
        );
        let path = format!("book/src/errors/{}.md", code.as_str());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            page,
            "{path} differs from the embedded page"
        );
        for other in &code_re {
            if *other != code.as_str() {
                assert!(
                    !page.contains(other),
                    "the page of {} names {other}",
                    code.as_str()
                );
            }
        }
    }
}

#[test]
fn every_page_example_produces_exactly_its_code() {
    for code in ALL_CODES.iter().filter(|c| **c != Code::Internal) {
        let page = gitopsc::diagnostics::page(*code);
        let src = example(page, code.as_str())
            .unwrap_or_else(|| panic!("{} has no example", code.as_str()));
        let c = gitopsc::check(&[gitopsc::Source::new(
            format!("{}.gitops", code.as_str()),
            src,
        )]);
        let found: BTreeSet<&str> = c.diagnostics.iter().map(|d| d.code.as_str()).collect();
        let rendered = gitopsc::diagnostics::render(
            &c.diagnostics,
            &c.sources,
            gitopsc::diagnostics::MessageFormat::Human,
            false,
        );
        assert_eq!(
            found,
            BTreeSet::from([code.as_str()]),
            "example of {}:\n{rendered}",
            code.as_str()
        );
    }
}

#[test]
fn no_page_exists_without_a_code() {
    for entry in std::fs::read_dir("book/src/errors").unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let code = name.trim_end_matches(".md");
        assert!(
            Code::parse(code).is_some(),
            "book/src/errors/{name} documents no code"
        );
    }
}
