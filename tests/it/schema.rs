//! `simpark schema`: the JSON Schema of scenario files accepts every shipped scenario, refuses
//! what simpark refuses for its keys and types, and the committed copy editors use is the
//! command's output byte for byte.

use crate::{repo, run_ok, simpark, tmpdir};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Where the schema is committed for editors (`"$schema"` or a TOML language server's
/// association point at it).
const COMMITTED: &str = "docs/scenario.schema.json";

fn printed_schema() -> String {
    String::from_utf8(run_ok(simpark().arg("schema")).stdout).unwrap()
}

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(&printed_schema()).unwrap();
    // `validator_for` checks the schema against its draft's meta-schema first.
    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("not a valid JSON Schema: {e}"))
}

/// A TOML text as the JSON the schema describes.
fn as_json(text: &str) -> Value {
    let table: toml::Table = toml::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    serde_json::to_value(table).unwrap()
}

/// The schema's complaints about `text`, one line each.
fn complaints(v: &jsonschema::Validator, text: &str) -> Vec<String> {
    let json = as_json(text);
    v.iter_errors(&json)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn toml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            toml_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "toml") {
            out.push(p);
        }
    }
}

#[test]
fn the_committed_schema_is_what_simpark_schema_prints() {
    let printed = printed_schema();
    let committed = std::fs::read_to_string(repo(COMMITTED)).unwrap_or_default();
    assert!(
        printed == committed,
        "{COMMITTED} is out of date: run `simpark schema --out {COMMITTED}`"
    );
    // --out writes the same bytes, atomically, and prints only where it wrote.
    let d = tmpdir("schema-out");
    let file = d.join("sub/scenario.schema.json");
    let out = run_ok(simpark().args(["schema", "--out"]).arg(&file));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), printed);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("wrote {}", file.display())
    );
    let leftovers: Vec<_> = std::fs::read_dir(d.join("sub")).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "a temporary file was left behind");
}

#[test]
fn the_schema_describes_durations_unit_keys_enums_and_docs() {
    let schema: Value = serde_json::from_str(&printed_schema()).unwrap();
    let top = &schema["properties"];
    assert_eq!(
        schema["additionalProperties"],
        Value::Bool(false),
        "misspelt keys are refused"
    );
    let horizon = &top["horizon"];
    assert_eq!(horizon["type"], "string");
    assert!(horizon["pattern"].is_string(), "{horizon}");
    assert!(
        horizon["description"].as_str().unwrap().contains("Simulated span"),
        "doc comments are descriptions: {horizon}"
    );
    assert_eq!(horizon["default"], "7d", "defaults are the built-in park's");
    assert_eq!(top["extends"]["type"], "string", "what-if files may extend the park");
    let text = schema.to_string();
    for needle in [
        "\"inter_ms\"",
        "\"vrrp_advert_ms\"",
        "\"static-rr\"",
        "\"process_death\"",
        "\"poisson\"",
        "\"for\"",
    ] {
        assert!(text.contains(needle), "{needle} is not in the schema");
    }
}

#[test]
fn every_shipped_scenario_validates_against_the_schema() {
    let v = validator();
    let mut files = Vec::new();
    toml_files(&repo("scenarios"), &mut files);
    toml_files(&repo("examples"), &mut files);
    assert!(files.len() >= 20, "only {} scenario files found", files.len());
    let mut wrong = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        // Every TOML file shipped there is a scenario: simpark loads it.
        let model = simpark::scenario::load(file, &[]).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        // As written, and resolved (every key, as `scenario.resolved.toml` has them).
        for (form, text) in [
            ("as written", text),
            ("resolved", simpark::scenario::to_toml(&model.spec)),
        ] {
            let c = complaints(&v, &text);
            if !c.is_empty() {
                wrong.push(format!("{} ({form}):\n  {}", file.display(), c.join("\n  ")));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_misspelt_key_or_a_wrong_type_fails_the_schema_as_it_fails_simpark() {
    let v = validator();
    let d = tmpdir("schema-ok");
    // Control: what simpark accepts, the schema accepts.
    for ok in [
        "",
        "extends = \"xpos\"\nname = \"four_web\"\n[web]\ncount = 4",
        "horizon = \"1d 2h\"\nwarmup = \"1h30m\"",
        "[balancer]\nalgorithm = \"static-rr\"\n[balancer.check]\ninter_ms = 500",
        "horizon = \"1d\"\n[[fault]]\nat = \"90m\"\ntarget = \"web2\"\nkind = \"process_death\"",
    ] {
        assert!(complaints(&v, ok).is_empty(), "{ok:?}: {:?}", complaints(&v, ok));
        // A file, as `extends` is read from one.
        let file = d.join("ok.toml");
        std::fs::write(&file, ok).unwrap();
        simpark::scenario::load(&file, &[]).unwrap_or_else(|e| panic!("{ok:?}: {e}"));
    }
    for bad in [
        "horizn = \"7d\"",
        "[web]\ncont = 4",
        "[balancer.check]\ninter = 500",
        "replications = \"ten\"",
        "[web]\ncount = -1",
        "[web]\ncount = 2.5",
        "[traffic]\nkind = \"nope\"",
        "[balancer]\nalgorithm = \"rr\"",
        "horizon = \"7 days\"",
        "horizon = 7",
        "[[fault]]\nat = \"1h\"\ntarget = \"web1\"\nkind = \"explode\"",
        "[[fault]]\nat = \"1h\"\nkind = \"crash\"",
        "[[fault]]\nat = \"1h\"\ntarget = \"web1\"\nkind = \"crash\"\nfactr = 2",
        "[[expect]]\navailability_min = 0.99",
    ] {
        assert!(!complaints(&v, bad).is_empty(), "the schema accepts {bad:?}");
        assert!(
            simpark::scenario::from_str(bad, "bad.toml", &[]).is_err(),
            "simpark accepts {bad:?}"
        );
    }
}
