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
    // simpark itself is installed at an exact revision of its git repository (never the
    // user's checkout): the workflow resolves a branch, tag or commit (default `main`) to a
    // commit, then installs that. Run both steps against a stand-in simpark repository with a
    // `main` branch and a tag, and a stand-in `cargo` that records its arguments and puts the
    // simpark under test on PATH.
    let step_of = |name: &str| {
        steps
            .iter()
            .find(|s| s.get("name").is_some_and(|n| n == name))
            .and_then(|s| s.get("run"))
            .unwrap_or_else(|| panic!("a step `{name}`: {steps:#?}"))
            .as_str()
    };
    let resolve = step_of("Resolve the simpark revision");
    let install = step_of("Install simpark");
    assert!(
        install.contains("cargo install") && !install.contains("--path"),
        "installs simpark itself: {install}"
    );
    let default_ref = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("SIMPARK_REF: ${{ vars.SIMPARK_REF || '"))
        .and_then(|rest| rest.strip_suffix("' }}"))
        .expect("the workflow defaults SIMPARK_REF");
    assert_eq!(
        default_ref, "main",
        "the default is simpark's branch, which exists without any tag"
    );
    let bin = tmpdir("example-install");
    let git_repo = bin.join("simpark.git");
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@example.org",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .current_dir(&bin)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    git(&["init", "-q", "-b", default_ref, "simpark.git"]);
    let repo_path = git_repo.display().to_string();
    git(&["-C", &repo_path, "commit", "-q", "--allow-empty", "-m", "one"]);
    git(&["-C", &repo_path, "tag", "-a", "-m", "v", "v9.9.9"]);
    let tagged = git(&["-C", &repo_path, "rev-parse", "HEAD"]);
    git(&["-C", &repo_path, "commit", "-q", "--allow-empty", "-m", "two"]);
    let head = git(&["-C", &repo_path, "rev-parse", "HEAD"]);
    let cargo = bin.join("cargo");
    std::fs::write(
        &cargo,
        format!(
            "#!/bin/sh\necho \"$@\" > {log}\nln -sf {simpark} {bin}/simpark\n",
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
    let output = bin.join("github-output");
    let run = |script: &str, envs: &[(&str, &str)]| {
        let _ = std::fs::remove_file(&output);
        std::process::Command::new("bash")
            .args(["-e", "-c", script])
            .env("PATH", &path)
            .env("GITHUB_OUTPUT", &output)
            .envs(envs.iter().copied())
            .output()
            .unwrap()
    };
    let resolved = |git_url: &str, r: &str| {
        let out = run(resolve, &[("SIMPARK_GIT", git_url), ("SIMPARK_REF", r)]);
        let rev = std::fs::read_to_string(&output).unwrap_or_default();
        (out, rev.trim().strip_prefix("rev=").unwrap_or("").to_string())
    };
    let (unset, _) = resolved("", default_ref);
    assert_eq!(unset.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unset.stdout).contains("::error::set the repository variable SIMPARK_GIT"));
    let (missing, _) = resolved(&repo_path, "v0.1.0");
    assert_eq!(missing.status.code(), Some(1), "{missing:?}");
    assert!(String::from_utf8_lossy(&missing.stdout).contains("::error::no branch, tag or commit 'v0.1.0'"));
    assert_eq!(
        resolved(&repo_path, "v9.9.9").1,
        tagged,
        "an annotated tag is its commit"
    );
    assert_eq!(resolved(&repo_path, &tagged).1, tagged, "a commit is itself");
    let (out, rev) = resolved(&repo_path, default_ref);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(rev, head, "the default branch is its newest commit");
    let out = run(install, &[("SIMPARK_GIT", &repo_path), ("SIMPARK_REV", &rev)]);
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains(env!("CARGO_PKG_VERSION")),
        "{out:?}"
    );
    assert_eq!(
        std::fs::read_to_string(bin.join("cargo-args")).unwrap().trim(),
        format!("install --locked --git {repo_path} --rev {head} simpark")
    );
    let cache = steps
        .iter()
        .find(|s| s.get("uses").is_some_and(|u| u.starts_with("actions/cache@")))
        .and_then(|s| s.get("with"))
        .expect("a cache step");
    assert!(
        cache.contains("key: simpark-${{ steps.simpark.outputs.rev }}"),
        "cached by revision: {cache}"
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
