//! `examples/`: the GitHub Actions workflow users copy must call simpark the way simpark works.

use crate::{repo, simpark, tmpdir};
use std::collections::BTreeMap;

/// One step of a workflow: its `key: value` pairs (block scalars joined by newlines).
type Step = BTreeMap<String, String>;

/// The steps of every job of a workflow, read with just enough YAML for this file: block
/// mappings and sequences by indentation, `key: value` scalars and `|` block scalars. Anything
/// else (tabs, flow collections in a step) fails the test rather than being misread.
fn workflow_steps(text: &str) -> Vec<Step> {
    assert!(!text.contains('\t'), "YAML forbids tabs for indentation");
    let lines: Vec<(usize, &str)> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|l| (l.len() - l.trim_start().len(), l.trim_start()))
        .collect();
    let mut steps = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (indent, line) = lines[i];
        i += 1;
        if line != "steps:" {
            continue;
        }
        // The sequence items: `- ` at a deeper indent, until the indentation returns.
        while i < lines.len() && lines[i].0 > indent {
            let (item_indent, item) = lines[i];
            let first = item.strip_prefix("- ").expect("a step is a sequence item");
            let key_indent = item_indent + 2;
            let mut step = Step::new();
            let mut pending = Some(first);
            i += 1;
            loop {
                let Some(kv) = pending.take() else {
                    if i < lines.len() && lines[i].0 == key_indent && !lines[i].1.starts_with("- ") {
                        pending = Some(lines[i].1);
                        i += 1;
                        continue;
                    }
                    break;
                };
                let (k, v) = kv.split_once(':').expect("key: value");
                let v = v.trim();
                let mut value = v.to_string();
                if v == "|" || v.is_empty() {
                    // A block scalar or a nested mapping: collect the deeper lines.
                    let mut parts = Vec::new();
                    while i < lines.len() && lines[i].0 > key_indent {
                        parts.push(lines[i].1.to_string());
                        i += 1;
                    }
                    value = parts.join("\n");
                }
                step.insert(k.trim().to_string(), value);
            }
            steps.push(step);
        }
    }
    steps
}

#[test]
fn the_github_actions_example_builds_checks_and_uploads_on_failure() {
    let text = std::fs::read_to_string(repo("examples/github-actions.yml")).unwrap();
    let steps = workflow_steps(&text);
    assert!(steps.len() >= 4, "{steps:#?}");
    let runs: Vec<&str> = steps.iter().filter_map(|s| s.get("run").map(String::as_str)).collect();
    // simpark itself is installed (a pinned tag of its git repository), not the user's
    // checkout: run the install step with a stand-in `cargo` that records its arguments and
    // puts the simpark under test on PATH.
    let install = *runs
        .iter()
        .find(|r| r.contains("cargo install"))
        .expect("a step installs simpark");
    assert!(!install.contains("--path"), "installs the user's checkout: {install}");
    let tag = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("SIMPARK_TAG:"))
        .expect("the workflow pins SIMPARK_TAG")
        .trim();
    assert_eq!(
        tag,
        format!("v{}", env!("CARGO_PKG_VERSION")),
        "the pinned tag is this version"
    );
    let bin = tmpdir("example-install");
    let cargo = bin.join("cargo");
    std::fs::write(
        &cargo,
        format!(
            "#!/bin/sh\necho \"$@\" > {log}\nln -s {simpark} {bin}/simpark\n",
            log = bin.join("cargo-args").display(),
            simpark = env!("CARGO_BIN_EXE_simpark"),
            bin = bin.display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&cargo)
        .status()
        .unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let step = |git: &str| {
        std::process::Command::new("bash")
            .args(["-e", "-c", install])
            .env("PATH", &path)
            .env("SIMPARK_GIT", git)
            .env("SIMPARK_TAG", tag)
            .output()
            .unwrap()
    };
    let unset = step("");
    assert_eq!(unset.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unset.stdout).contains("::error::set the repository variable SIMPARK_GIT"));
    let out = step("https://example.org/simpark.git");
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains(env!("CARGO_PKG_VERSION")),
        "{out:?}"
    );
    assert_eq!(
        std::fs::read_to_string(bin.join("cargo-args")).unwrap().trim(),
        format!("install --locked --git https://example.org/simpark.git --tag {tag} simpark")
    );
    let check = *runs
        .iter()
        .find(|r| r.starts_with("simpark check"))
        .expect("a step runs simpark check");
    let args: Vec<&str> = check.split_whitespace().skip(1).collect();
    let flag = |name: &str| {
        let at = args
            .iter()
            .position(|a| *a == name)
            .unwrap_or_else(|| panic!("{check} lacks {name}"));
        args[at + 1]
    };
    let junit = flag("--junit");
    let capsules = flag("--capsule-dir");
    let upload = steps
        .iter()
        .find(|s| s.get("uses").is_some_and(|u| u.starts_with("actions/upload-artifact@")))
        .expect("an upload step");
    assert_eq!(upload.get("if").map(String::as_str), Some("failure()"), "{upload:?}");
    let with = upload.get("with").expect("upload inputs");
    assert!(with.contains(junit) && with.contains(capsules), "{with}");
    assert!(
        steps
            .iter()
            .any(|s| s.get("uses").is_some_and(|u| u.starts_with("actions/checkout@"))),
        "{steps:#?}"
    );

    // The command line itself must work as written: run it, outputs redirected to a temp dir.
    let d = tmpdir("example-workflow");
    let out = simpark()
        .current_dir(repo(""))
        .args(args.iter().map(|a| {
            if a.starts_with("results/") {
                d.join(a).display().to_string()
            } else {
                a.to_string()
            }
        }))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::read_to_string(d.join(junit)).unwrap().contains("<testsuites"));
}

#[test]
fn the_mini_yaml_reader_reads_block_scalars_and_nested_maps() {
    let steps = workflow_steps(
        "jobs:\n  a:\n    steps:\n      - name: one\n        run: |\n          echo a\n          echo b\n      - uses: x@v1\n        with:\n          path: p\n",
    );
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[0]["run"], "echo a\necho b");
    assert_eq!(steps[1]["with"], "path: p");
}
