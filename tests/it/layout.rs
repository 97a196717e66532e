//! The architecture's layering, checked on the source text (ARCHITECTURE.md, "Invariants"):
//! which module may name which, and who may read the wall clock. A `use` that breaks a rule
//! fails here with the file and line, before it can grow into an import cycle.

use crate::repo;
use std::path::{Path, PathBuf};

/// Every `.rs` file below `dir`, in name order.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
    out
}

/// `file:line: text` of every code line (comments left out) of module `src/<module>` (a
/// folder or a file) that contains one of `needles`.
fn offending(module: &str, needles: &[&str]) -> Vec<String> {
    let dir = repo("src").join(module);
    let files = if dir.is_dir() {
        rust_files(&dir)
    } else {
        vec![repo("src").join(format!("{module}.rs"))]
    };
    let mut hits = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if needles.iter().any(|n| code.contains(n)) {
                hits.push(format!("{}:{}: {}", file.display(), i + 1, line.trim()));
            }
        }
    }
    hits
}

/// The crate's top-level modules, as `crate::x` and `simpark::x` paths.
const MODULES: [&str; 11] = [
    "check", "cli", "import", "model", "policy", "report", "run", "scenario", "sim", "study", "stats",
];

fn paths_to(modules: &[&str]) -> Vec<String> {
    modules
        .iter()
        .flat_map(|m| [format!("crate::{m}"), format!("simpark::{m}")])
        .collect()
}

#[test]
fn the_model_scenario_and_import_layers_never_name_the_simulator() {
    let sim = paths_to(&["sim", "check", "study", "report", "cli"]);
    let sim: Vec<&str> = sim.iter().map(String::as_str).collect();
    for dir in ["model", "scenario", "import"] {
        let hits = offending(dir, &sim);
        assert!(
            hits.is_empty(),
            "src/{dir} names a layer above it:\n{}",
            hits.join("\n")
        );
    }
}

/// The checked model is the bottom of the scenario side: `scenario/` builds it, `import/` feeds
/// `scenario/`, so `model/` naming either would be an import cycle.
#[test]
fn the_model_never_names_the_scenario_or_the_importers() {
    let upper = paths_to(&["scenario", "import"]);
    let upper: Vec<&str> = upper.iter().map(String::as_str).collect();
    let hits = offending("model", &upper);
    assert!(
        hits.is_empty(),
        "src/model names a layer above it:\n{}",
        hits.join("\n")
    );
}

#[test]
fn policy_machines_know_only_units_and_themselves() {
    let others: Vec<&str> = MODULES.iter().copied().filter(|m| *m != "policy").collect();
    let others = paths_to(&others);
    let others: Vec<&str> = others.iter().map(String::as_str).collect();
    let hits = offending("policy", &others);
    assert!(hits.is_empty(), "src/policy names another layer:\n{}", hits.join("\n"));
}

#[test]
fn only_the_cli_reads_the_wall_clock() {
    for dir in MODULES.iter().filter(|m| **m != "cli") {
        let hits = offending(dir, &["Instant::now", "SystemTime::now", "thread::sleep"]);
        assert!(hits.is_empty(), "src/{dir} reads the wall clock:\n{}", hits.join("\n"));
    }
}

/// The checks above are not vacuous: the scanner finds what it looks for.
#[test]
fn the_scanner_finds_known_uses() {
    assert!(!offending("sim", &["crate::policy"]).is_empty());
    assert!(!offending("cli", &["Instant::now"]).is_empty());
}
