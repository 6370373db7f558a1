//! Every complete program in the book (a ```gitops block) compiles without errors or warnings.

fn markdown_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            markdown_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "md") {
            out.push(p);
        }
    }
}

fn gitops_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("```gitops\n") {
        let body = &rest[i + "```gitops\n".len()..];
        let Some(end) = body.find("```") else { break };
        blocks.push(body[..end].to_string());
        rest = &body[end..];
    }
    blocks
}

#[test]
fn every_book_program_compiles_cleanly() {
    let mut files = Vec::new();
    markdown_files(std::path::Path::new("book/src"), &mut files);
    files.sort();
    let mut count = 0;
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, block) in gitops_blocks(&text).into_iter().enumerate() {
            count += 1;
            let c = gitopsc::check(&[gitopsc::Source::new(format!("{}#{i}", f.display()), block)]);
            let rendered = gitopsc::diagnostics::render(
                &c.diagnostics,
                &c.sources,
                gitopsc::diagnostics::MessageFormat::Human,
                false,
            );
            assert!(
                c.diagnostics.is_empty(),
                "{} block {i}:\n{rendered}",
                f.display()
            );
        }
    }
    assert!(count >= 1, "the book has no program");
}
