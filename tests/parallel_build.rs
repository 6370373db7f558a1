//! The fast build path (backends on several threads, each rendering its own files) gives
//! byte for byte the files of the plain path (every backend, then one render), for every
//! example and feature case and any number of threads.

mod common;

#[test]
fn threaded_builds_render_the_same_files_as_the_plain_path() {
    let mut compared = 0;
    for (name, sources) in common::programs(&[]) {
        let c = gitopsc::check(&sources);
        let files = gitopsc::outputs(&c);
        let program = c.program.as_ref().expect("compiles");
        let plain = gitopsc::emit::render(&program.source_name, &files).unwrap();
        assert!(!plain.is_empty(), "{name} emits nothing");
        for threads in [1, 2, 3, 8] {
            let (_, fast) = gitopsc::build_rendered(&sources, threads);
            let fast = fast.unwrap();
            assert_eq!(
                fast.len(),
                plain.len(),
                "{name}: {threads} thread(s) give another number of files"
            );
            for (a, b) in fast.iter().zip(&plain) {
                assert_eq!(
                    (a.repo, &a.path, &a.text),
                    (b.repo, &b.path, &b.text),
                    "{name}: {threads} thread(s)"
                );
            }
        }
        compared += plain.len();
    }
    assert!(compared > 500, "only {compared} files compared");
}

#[test]
fn a_program_with_errors_renders_nothing() {
    let sources = [gitopsc::Source::new(
        "bad.gitops",
        "project p { app_repo = \"https://github.com/example/p\" }\nservice api { port = \"x\" }\n",
    )];
    let (c, files) = gitopsc::build_rendered(&sources, 2);
    assert!(c.has_errors());
    assert!(files.unwrap().is_empty());
}
