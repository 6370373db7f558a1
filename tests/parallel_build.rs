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

/// A program of several large files: enough text besides the largest for the files to be
/// parsed on several threads.
fn large_program(error_in_last: bool) -> Vec<gitopsc::Source> {
    let mut sources = vec![gitopsc::Source::new(
        "main.gitops",
        "project big { app_repo = \"https://github.com/example/big.git\" }\n\
         registry ghcr = ghcr { owner = \"example\" }\n\
         environment dev { }\n\
         deployment big { project = \"default\" }\n",
    )];
    for part in 0..5 {
        let mut text = String::new();
        for i in 0..1500 {
            text.push_str(&format!(
                "service \"s{part}-{i}\" {{ path = \"services/s{part}-{i}\", port = 8080, \
                 manifests = existing {{ path = \"base/s{part}-{i}\" }} }}\n"
            ));
        }
        if error_in_last && part == 4 {
            text.push_str("service broken { port = }\n");
        }
        sources.push(gitopsc::Source::new(format!("part{part}.gitops"), text));
    }
    let besides_largest: usize = sources.iter().skip(1).map(|s| s.text.len()).sum::<usize>()
        - sources.iter().map(|s| s.text.len()).max().unwrap_or(0);
    assert!(besides_largest > 300_000, "{besides_largest} bytes");
    sources
}

#[test]
fn large_programs_parsed_on_several_threads_check_as_on_one() {
    let sources = large_program(false);
    let (c1, one) = gitopsc::build_rendered(&sources, 1);
    let (c2, two) = gitopsc::build_rendered(&sources, 2);
    assert!(!c1.has_errors(), "{:?}", c1.diagnostics.first());
    let (one, two) = (one.unwrap(), two.unwrap());
    assert!(one.len() > 7_000, "{} files", one.len());
    assert_eq!(one, two);
    assert_eq!(
        format!("{:?}", c1.diagnostics),
        format!("{:?}", c2.diagnostics)
    );

    let broken = large_program(true);
    let (c1, _) = gitopsc::build_rendered(&broken, 1);
    let (c2, _) = gitopsc::build_rendered(&broken, 2);
    assert!(c1.has_errors());
    assert_eq!(
        format!("{:?}", c1.diagnostics),
        format!("{:?}", c2.diagnostics)
    );
}

/// An example with a pipeline added that calls a task that does not exist: it checks up to
/// its pipelines.
fn broken_in_a_pipeline() -> Vec<gitopsc::Source> {
    let (_, mut sources) = common::programs(&[])
        .into_iter()
        .find(|(n, _)| n.ends_with("ecotrack"))
        .expect("the ecotrack example");
    sources[0]
        .text
        .push_str("\npipeline broken {\n  job nothing = no_such_task()\n}\n");
    sources
}

#[test]
fn the_delivery_part_is_the_checked_programs_and_comes_once() {
    let mut checked = 0;
    for (name, sources) in common::programs(&[]) {
        let mut handed = Vec::new();
        let c = gitopsc::check_with_delivery(&sources, 1, &mut |d| handed.push(d));
        let program = c.program.as_ref().expect("compiles");
        assert_eq!(
            handed.len(),
            1,
            "{name}: handed over {} times",
            handed.len()
        );
        let d = &handed[0];
        // The lists are the program's own, not copies, and what the analysis left out is
        // empty rather than half there.
        use std::sync::Arc;
        for (list, same) in [
            ("services", Arc::ptr_eq(&d.services, &program.services)),
            (
                "environments",
                Arc::ptr_eq(&d.environments, &program.environments),
            ),
            (
                "deployments",
                Arc::ptr_eq(&d.deployments, &program.deployments),
            ),
            ("cronjobs", Arc::ptr_eq(&d.cronjobs, &program.cronjobs)),
            (
                "registries",
                Arc::ptr_eq(&d.registries, &program.registries),
            ),
        ] {
            assert!(same, "{name}: the delivery part's {list} are a copy");
        }
        assert!(d.pipelines.is_empty() && d.tasks.is_empty(), "{name}");
        assert!(d.secrets.is_empty() && d.images.is_empty(), "{name}");
        assert_eq!(d.source_name, program.source_name, "{name}");
        assert_eq!(format!("{:?}", d.project), format!("{:?}", program.project));
        assert_eq!(format!("{:?}", d.routing), format!("{:?}", program.routing));
        assert_eq!(
            format!("{:?}", d.promotion),
            format!("{:?}", program.promotion),
            "{name}"
        );
        checked += 1;
    }
    assert!(checked > 30, "only {checked} programs");

    // An error before the delivery part is settled: nothing is handed over.
    let early_error = [gitopsc::Source::new(
        "bad.gitops",
        "project p { app_repo = \"https://github.com/example/p\" }\nservice api { port = \"x\" }\n",
    )];
    let mut handed = 0;
    let c = gitopsc::check_with_delivery(&early_error, 1, &mut |_| handed += 1);
    assert!(c.has_errors());
    assert_eq!(handed, 0);
}

#[test]
fn backends_that_read_no_pipeline_render_the_delivery_part_as_the_program() {
    let mut compared = 0;
    for (name, sources) in common::programs(&[]) {
        let mut handed = None;
        let c = gitopsc::check_with_delivery(&sources, 1, &mut |d| handed = Some(d));
        let (program, delivery) = (c.program.as_ref().unwrap(), handed.unwrap());
        for b in gitopsc::backends::all()
            .iter()
            .filter(|b| !b.reads_pipelines())
        {
            let whole = gitopsc::emit::render(&program.source_name, &b.emit(program)).unwrap();
            let part = gitopsc::emit::render(&delivery.source_name, &b.emit(&delivery)).unwrap();
            assert_eq!(whole, part, "{name}: {}", b.name());
            compared += whole.len();
        }
    }
    assert!(compared > 300, "only {compared} files compared");
}

#[test]
fn an_error_in_a_pipeline_drops_what_the_first_backends_rendered() {
    let sources = broken_in_a_pipeline();
    let mut handed = 0;
    let checked = gitopsc::check_with_delivery(&sources, 1, &mut |_| handed += 1);
    assert_eq!(
        handed, 1,
        "the error is found after the delivery part is handed over"
    );
    assert!(
        checked
            .diagnostics
            .iter()
            .any(|d| d.is_error() && d.message.contains("no_such_task")),
        "{:?}",
        checked.diagnostics
    );
    for threads in [1, 2, 3] {
        let (c, files) = gitopsc::build_rendered(&sources, threads);
        assert!(c.program.is_none(), "{threads} thread(s)");
        assert!(files.unwrap().is_empty(), "{threads} thread(s)");
        assert_eq!(
            format!("{:?}", c.diagnostics),
            format!("{:?}", checked.diagnostics),
            "{threads} thread(s)"
        );
    }
}
