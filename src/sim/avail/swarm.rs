//! Swarm testing: one replication's draw of which failure classes are on, how hard, and with
//! which failure modes. Drawn once per replication from its own stream; never reads a clock.

use super::*;

/// Failure classes, in the order of `Swarm` arrays.
const CLASSES: [&str; 5] = ["lb", "web", "storage", "backup", "disk"];

/// One replication's swarm draw: which failure classes are on, how hard, which modes.
#[derive(Clone, Debug)]
pub(crate) struct Swarm {
    pub(crate) on: [bool; 5],
    /// Failure-rate multiplier per class.
    pub(crate) intensity: [f64; 5],
    /// Cumulative crash / process-death / hang shares per server class (lb, web, storage,
    /// backup).
    pub(crate) modes: [[f64; 3]; 4],
}

impl Swarm {
    /// Each class on with probability 1/2 (at least one), rate x 1..30 log-uniform, mode
    /// shares uniform on the simplex.
    pub(super) fn draw(rng: &mut StreamRng) -> Swarm {
        let mut on = [false; 5];
        for x in on.iter_mut() {
            *x = rng.random_bool(0.5);
        }
        if !on.iter().any(|x| *x) {
            on[1] = true;
        }
        let mut intensity = [1.0; 5];
        for x in intensity.iter_mut() {
            *x = (rng.random::<f64>() * 30f64.ln()).exp();
        }
        let mut modes = [[0.0; 3]; 4];
        for m in modes.iter_mut() {
            // Uniform on the simplex: sorted uniforms as cut points.
            let (a, b): (f64, f64) = (rng.random(), rng.random());
            let (lo, hi) = if a < b { (a, b) } else { (b, a) };
            *m = [lo, hi, 1.0];
        }
        Swarm { on, intensity, modes }
    }

    /// One line: what this replication injects.
    pub(crate) fn describe(&self) -> String {
        let mut parts = Vec::new();
        for (i, name) in CLASSES.iter().enumerate() {
            if !self.on[i] {
                parts.push(format!("{name} off"));
            } else if i < 4 {
                let m = self.modes[i];
                parts.push(format!(
                    "{name} x{:.1} (crash {:.2}, death {:.2}, hang {:.2})",
                    self.intensity[i],
                    m[0],
                    m[1] - m[0],
                    1.0 - m[1]
                ));
            } else {
                parts.push(format!("{name} x{:.1}", self.intensity[i]));
            }
        }
        parts.join(", ")
    }
}
