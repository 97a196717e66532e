//! A bounded, deterministic mutation fuzzer over the scenario schema (issue 9).
//!
//! Every shipped scenario is mutated (a leaf replaced by an extreme number, NaN or infinity,
//! a wrong type, an odd duration, deep nesting; or bytes of the text flipped, cut, duplicated
//! or made invalid UTF-8) and loaded as `simpark validate` and `run` do. Asserted: loading
//! never panics; a refusal names the file, and a located one the key (and, for syntax, the
//! line); an accepted mutant runs (one short replication, plus the latency sample of an
//! availability run) without a panic. The generator is ChaCha8 with a fixed seed, so a
//! failure reproduces; past failures are kept under `scenarios/regressions/` and checked by
//! `regressions.rs`.

use crate::repo;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use simpark::scenario::{self, ScenarioError};
use std::path::PathBuf;

/// Mutants per run: a few thousand, well under a minute in a release build
/// (`SIMPARK_FUZZ_CASES` runs more, for a deeper search by hand).
const CASES: usize = 3000;
/// Accepted mutants that are also simulated (the expensive part): one in `RUN_EVERY` cases.
const RUN_EVERY: usize = 20;
const ORIGIN: &str = "fuzz.toml";
/// Expected requests + storage reads above which an accepted mutant is not simulated.
const WORK_RUN_MAX: f64 = 2e6;

fn shipped() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    let mut stack = vec![repo("scenarios")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "toml") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let t = std::fs::read_to_string(&p).unwrap();
            (p, t)
        })
        .collect()
}

const NUMBERS: &[f64] = &[
    0.0,
    -1.0,
    5e-324,
    1e-300,
    1e-6,
    0.5,
    1.0,
    1e6,
    1e9,
    1e13,
    1e15,
    1e100,
    1e308,
    -1e308,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
];
const DURATIONS: &[&str] = &[
    "0s", "1ns", "1ms", "3602s", "100y", "101y", "200y", "584y", "1e30y", "-1s", "7", "1.5.5s", "",
];

fn leaf_paths(v: &toml::Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t {
                path.push(k.clone());
                leaf_paths(v, path, out);
                path.pop();
            }
        }
        toml::Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                path.push(format!("#{i}"));
                leaf_paths(v, path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

fn at_mut<'a>(v: &'a mut toml::Value, path: &[String]) -> &'a mut toml::Value {
    path.iter().fold(v, |v, seg| match seg.strip_prefix('#') {
        Some(i) => &mut v.as_array_mut().unwrap()[i.parse::<usize>().unwrap()],
        None => v.as_table_mut().unwrap().get_mut(seg).unwrap(),
    })
}

fn random_value(rng: &mut ChaCha8Rng, old: &toml::Value) -> toml::Value {
    match rng.random_range(0..20) {
        0..=4 => toml::Value::Float(NUMBERS[rng.random_range(0..NUMBERS.len())]),
        5 => toml::Value::Integer([0, -1, 1, 3, i64::MAX, i64::MIN, 1 << 32][rng.random_range(0..7)]),
        6..=8 => toml::Value::String(DURATIONS[rng.random_range(0..DURATIONS.len())].into()),
        9 => toml::Value::Boolean(rng.random()),
        10 => {
            // Deep nesting.
            let mut v = old.clone();
            for _ in 0..rng.random_range(1..300) {
                v = toml::Value::Array(vec![v]);
            }
            v
        }
        11 => toml::Value::Table(toml::Table::new()),
        // Scale what is there (most mutants stay well-typed and get past validation).
        _ => match old {
            toml::Value::Float(x) => toml::Value::Float(x * 10f64.powi(rng.random_range(-30..30))),
            toml::Value::Integer(x) => toml::Value::Integer(x.saturating_mul(rng.random_range(-3..1000))),
            toml::Value::String(d) if d.ends_with(|c: char| c.is_ascii_alphabetic()) => {
                let unit = d.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
                toml::Value::String(format!("{}{unit}", rng.random_range(0..100_000)))
            }
            other => other.clone(),
        },
    }
}

/// One mutant of `text`: structural (a leaf replaced) or textual (bytes).
fn mutate(rng: &mut ChaCha8Rng, text: &str) -> Vec<u8> {
    if rng.random_range(0..4) == 0 {
        let mut b = text.as_bytes().to_vec();
        match rng.random_range(0..4) {
            0 => {
                let i = rng.random_range(0..b.len());
                b[i] = rng.random();
            }
            1 => b.truncate(rng.random_range(0..b.len())),
            2 => {
                // Duplicate a line (duplicate keys and tables).
                let lines: Vec<&str> = text.lines().collect();
                let i = rng.random_range(0..lines.len());
                let mut t: Vec<&str> = lines.clone();
                t.insert(i, lines[i]);
                b = t.join("\n").into_bytes();
            }
            _ => {
                let i = rng.random_range(0..b.len());
                b.insert(i, 0xff);
            }
        }
        return b;
    }
    let mut doc = toml::Value::Table(toml::from_str(text).unwrap());
    let mut leaves = Vec::new();
    leaf_paths(&doc, &mut Vec::new(), &mut leaves);
    for _ in 0..rng.random_range(1..=2) {
        let path = &leaves[rng.random_range(0..leaves.len())];
        let slot = at_mut(&mut doc, path);
        let new = random_value(rng, slot);
        *slot = new;
    }
    // NaN and infinities have TOML spellings; `toml` writes them as `nan`, `inf`, `-inf`.
    toml::to_string(&doc).unwrap_or_default().into_bytes()
}

/// Check one refusal: it names the file; a located one names a key (a syntax error also the
/// line).
fn check_refusal(e: &ScenarioError, case: usize, text: &[u8]) -> Result<(), String> {
    let msg = e.to_string();
    let show = || format!("case {case}: {msg}\n--- input ---\n{}", String::from_utf8_lossy(text));
    if !msg.contains(ORIGIN) {
        return Err(format!("the message does not name the file: {}", show()));
    }
    if let Some(l) = e.located() {
        let is_syntax = matches!(e, ScenarioError::Syntax(_));
        let whole_file = l.message.contains("end of input") || l.message.contains("recursion");
        if l.key.is_empty() && !whole_file {
            return Err(format!("no key: {}", show()));
        }
        if is_syntax && l.line == 0 {
            return Err(format!("no line: {}", show()));
        }
    }
    Ok(())
}

#[test]
fn mutated_scenarios_never_panic_and_refusals_are_located() {
    let corpus = shipped();
    assert!(corpus.len() >= 10);
    let cases = std::env::var("SIMPARK_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CASES);
    let seed = std::env::var("SIMPARK_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(9);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut refused, mut accepted, mut ran) = (0, 0, 0);
    let mut failures = Vec::new();
    for case in 0..cases {
        let (_, text) = &corpus[case % corpus.len()];
        let bytes = mutate(&mut rng, text);
        let loaded = std::panic::catch_unwind(|| match std::str::from_utf8(&bytes) {
            Ok(t) => scenario::from_str(t, ORIGIN, &[]),
            Err(_) => {
                // What `load` does with a file of these bytes.
                let f = std::env::temp_dir().join(format!("simpark-fuzz-{}-{ORIGIN}", std::process::id()));
                std::fs::write(&f, &bytes).unwrap();
                let r = scenario::load(&f, &[]).map_err(|e| match e {
                    ScenarioError::Syntax(mut l) => {
                        l.file = ORIGIN.into();
                        ScenarioError::Syntax(l)
                    }
                    other => other,
                });
                let _ = std::fs::remove_file(&f);
                r
            }
        });
        let Ok(loaded) = loaded else {
            failures.push(format!(
                "case {case}: loading panicked\n--- input ---\n{}",
                String::from_utf8_lossy(&bytes)
            ));
            continue;
        };
        match loaded {
            Err(e) => {
                refused += 1;
                if let Err(f) = check_refusal(&e, case, &bytes) {
                    failures.push(f);
                }
            }
            Ok(m) => {
                accepted += 1;
                if ran >= cases / RUN_EVERY {
                    continue;
                }
                // One short replication: the horizon capped, everything else as mutated.
                let mut spec = m.spec.clone();
                spec.replications = 1;
                let short = if m.mode == scenario::Mode::Availability {
                    "2y"
                } else {
                    "3h"
                };
                if m.horizon > simpark::units::parse_duration(short).unwrap() {
                    spec.horizon = short.into();
                    spec.warmup = "1h".into();
                }
                let Ok(m) = scenario::validate(spec) else { continue };
                // Costly mutants (validate accepts up to 1e9 requests) are loaded, not run.
                let sample = scenario::validate(scenario::latency_sample_spec(&m.spec));
                let work = sample.as_ref().map_or(0.0, |s| s.expected_work_per_replication());
                if m.expected_work_per_replication().max(work) > WORK_RUN_MAX {
                    continue;
                }
                ran += 1;
                if std::env::var_os("SIMPARK_FUZZ_TRACE").is_some() {
                    eprintln!("case {case}: running\n{}", String::from_utf8_lossy(&bytes));
                }
                let run = std::panic::catch_unwind(|| match m.mode {
                    scenario::Mode::Requests => {
                        simpark::sim::run_replications(&m, 1, &|| {});
                    }
                    scenario::Mode::Availability => {
                        simpark::sim::avail::run_replications(&m, 1, &|| {});
                        let sample = scenario::validate(scenario::latency_sample_spec(&m.spec))
                            .expect("validate checked the latency sample");
                        simpark::sim::run_replications(&sample, 1, &|| {});
                    }
                });
                if run.is_err() {
                    failures.push(format!(
                        "case {case}: an accepted scenario panicked when run\n--- input ---\n{}",
                        String::from_utf8_lossy(&bytes)
                    ));
                }
            }
        }
    }
    eprintln!("fuzz: {cases} cases (seed {seed}), {refused} refused, {accepted} accepted, {ran} simulated");
    assert!(
        refused > cases / 10 && accepted > cases / 10,
        "the mutator must exercise both paths"
    );
    if std::env::var_os("SIMPARK_FUZZ_TRACE").is_some() {
        for f in &failures {
            eprintln!("FAILURE {}", f.lines().next().unwrap_or(""));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures; first:\n{}",
        failures.len(),
        failures[0]
    );
}
