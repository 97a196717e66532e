//! Replay capsules: a failing check written down as one self-contained scenario file that
//! fails the same way when run again (`simpark check CAPSULE`, `simpark shrink CAPSULE`).
//!
//! A capsule is the resolved scenario (every default filled in) with its seed, its
//! `[[expect]]` blocks, and `replications` cut to the smallest prefix of the run in which the
//! same expectation (`expect[i].key`) still fails. Replication `i` depends only on (seed, i),
//! so that prefix is found from the finished run without simulating again. Request-mode
//! faults are all scripted `[[fault]]`s already, so the capsule replays them exactly; the
//! availability mode draws its failures from (seed, replication) and the capsule pins both.
//!
//! Reads finished results only: never simulates, never writes files.

use super::expect::CheckResult;
use super::run::{Replications, evaluate_prefix};
use crate::scenario::{self, Mode, Model};

/// A failing run written down for replay.
#[derive(Clone, Debug)]
pub struct Capsule {
    /// Replications the capsule keeps (a prefix of the original run).
    pub replications: u32,
    /// The failing expectation the capsule reproduces, as evaluated on the prefix.
    pub failure: CheckResult,
    /// The file text: a header comment saying what this is, then the scenario as TOML.
    pub text: String,
}

/// The capsule of a run of `model` whose expectation `key` (`expect[i].key`) failed;
/// `origin` names the scenario file in the header. `None` if `key` did not fail in `reps`.
pub fn capsule(model: &Model, reps: &Replications, key: &str, origin: &str) -> Option<Capsule> {
    let failing = |n: usize| {
        evaluate_prefix(model, reps, n)
            .into_iter()
            .find(|r| r.name == key && !r.passed)
    };
    let (n, failure) = (1..=reps.len()).find_map(|n| failing(n).map(|f| (n, f)))?;
    let replications = u32::try_from(n).expect("replications fit u32");
    let mut spec = model.spec.clone();
    spec.seed = model.seed;
    spec.replications = replications;
    let how = match model.mode {
        Mode::Requests => "Every fault of a request-mode run is a scripted [[fault]]: this file is the whole run.",
        Mode::Availability => {
            "Availability mode draws its failures from (seed, replication), both pinned here;\n\
             # `simpark run THIS_FILE --write-faults F` writes replication 0's web-server failures\n\
             # as scripted faults at request level."
        }
    };
    let text = format!(
        "# Replay capsule written by `simpark check`: scenario `{name}` from {origin}, seed {seed},\n\
         # replications {replications} of {total} (the smallest prefix of the run in which\n\
         # `{key}` still fails: measured {measured}, expected {bound}).\n\
         # {how}\n\
         # Replay: simpark check THIS_FILE    Minimise: simpark shrink THIS_FILE\n{body}",
        name = model.spec.name,
        seed = model.seed,
        total = reps.len(),
        measured = failure.measured,
        bound = failure.bound,
        body = scenario::to_toml(&spec),
    );
    Some(Capsule {
        replications,
        failure,
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::run::simulate;

    #[test]
    fn the_capsule_fails_the_same_expectation_when_loaded_again() {
        let model = scenario::from_str(
            "name = \"c\"\nreplications = 3\nhorizon = \"5m\"\nwarmup = \"1m\"\n[[expect]]\nlatency_ms_p99_max = 1\n",
            "c.toml",
            &[],
        )
        .unwrap();
        let reps = simulate(&model, 1);
        let c = capsule(&model, &reps, "expect[0].latency_ms_p99_max", "c.toml").unwrap();
        // Every replication breaks a 1 ms p99, so the first alone reproduces it.
        assert_eq!(c.replications, 1);
        let again = scenario::from_str(&c.text, "capsule.toml", &[]).unwrap();
        assert_eq!((again.seed, again.replications), (model.seed, 1));
        let checked = crate::check::run::run_model(&again, 1);
        let f: Vec<_> = checked.failures().collect();
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].name.as_str(), &f[0].measured),
            (c.failure.name.as_str(), &c.failure.measured)
        );
        assert!(capsule(&model, &reps, "expect[0].nothing", "c.toml").is_none());
    }
}
