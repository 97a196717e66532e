//! The value checks every section uses: durations, spans, factors, counts, probabilities,
//! distributions and weight vectors. Each returns the checked value or an `Invalid` naming
//! the key and what is valid.

use super::Invalid;
use crate::model::dist::Dist;
use crate::scenario::{DistKind, DistSpec};
use crate::units::{SimDuration, parse_duration};

pub(super) fn bad<T>(key: impl Into<String>, msg: impl Into<String>) -> Result<T, Invalid> {
    Err((key.into(), msg.into()))
}

pub(super) fn duration(key: &str, text: &str) -> Result<SimDuration, Invalid> {
    let d = parse_duration(text).map_err(|m| (key.to_string(), m))?;
    let whole_run = key == "horizon" || key == "warmup";
    if whole_run && d > SimDuration::HORIZON_MAX {
        return bad(
            key,
            format!(
                "`{text}` is too long; the longest horizon is 200y (simulated time holds about 584 years, and the model adds a few spans to the horizon)"
            ),
        );
    }
    if !whole_run && d > SimDuration::MODEL_MAX {
        return bad(
            key,
            format!("`{text}` is too long; the limit for any duration is {DURATION_LIMIT_TEXT}"),
        );
    }
    Ok(d)
}

/// A number as a person would write it: plain when moderate, in e-notation when huge or tiny
/// (`1e308`, not 309 digits).
pub(super) fn shown(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-4..1e9).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// How `SimDuration::MODEL_MAX` is named in messages.
pub(super) const DURATION_LIMIT_TEXT: &str =
    "100y (simulated time holds about 584 years, and the model adds a few spans to the horizon)";

/// A span given as a number `v` in `unit` (`ns_per_unit` ns each), as written in the file.
pub(super) fn span(key: &str, v: f64, unit: &str, ns_per_unit: f64, allow_zero: bool) -> Result<SimDuration, Invalid> {
    if !v.is_finite() || v < 0.0 || (!allow_zero && v == 0.0) {
        let want = if allow_zero {
            "a finite number >= 0"
        } else {
            "a finite number > 0"
        };
        return bad(key, format!("{} is not valid; expected {want} ({unit})", shown(v)));
    }
    let limit = SimDuration::MODEL_MAX.as_nanos() as f64 / ns_per_unit;
    if v > limit {
        return bad(
            key,
            format!(
                "{} {unit} is too long; at most {} {unit}, i.e. {DURATION_LIMIT_TEXT}",
                shown(v),
                shown(limit)
            ),
        );
    }
    Ok(SimDuration::from_nanos_f64(v * ns_per_unit))
}

pub(super) fn ms(key: &str, v: f64, allow_zero: bool) -> Result<SimDuration, Invalid> {
    span(key, v, "milliseconds", 1e6, allow_zero)
}

/// The largest multiplier of a duration or rate (slowdowns, night response, bursts, hazard):
/// beyond it products with model durations leave the range `SimTime` can hold.
pub(crate) const FACTOR_MAX: f64 = 1000.0;

pub(super) fn factor(key: &str, v: f64, min: f64) -> Result<f64, Invalid> {
    if v.is_finite() && v >= min && v <= FACTOR_MAX && v > 0.0 {
        Ok(v)
    } else {
        let low = if min > 0.0 {
            format!(">= {min}")
        } else {
            "> 0".to_string()
        };
        bad(
            key,
            format!("{} is not valid; expected a factor {low} and <= {FACTOR_MAX}", shown(v)),
        )
    }
}

pub(super) fn positive(key: &str, v: f64) -> Result<f64, Invalid> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        bad(key, format!("{} is not valid; expected a finite number > 0", shown(v)))
    }
}

pub(super) fn count(key: &str, v: u32, min: u32, max: u32) -> Result<u32, Invalid> {
    if (min..=max).contains(&v) {
        Ok(v)
    } else {
        bad(key, format!("{v} is out of range; expected {min}..={max}"))
    }
}

pub(super) fn probability(key: &str, v: f64) -> Result<f64, Invalid> {
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        bad(key, format!("{} is not a probability; expected 0..=1", shown(v)))
    }
}

/// Coefficient of variation of a lognormal: beyond it the sampler's sigma is meaningless.
pub(crate) const CV_MAX: f64 = 100.0;
/// Weibull shape range: outside it the scale, mean / Gamma(1 + 1/k), under- or overflows.
pub(crate) const WEIBULL_SHAPE_MIN: f64 = 0.1;
pub(crate) const WEIBULL_SHAPE_MAX: f64 = 100.0;

/// Build a sampler from a spec, checking every parameter.
pub(crate) fn dist(key: &str, d: &DistSpec) -> Result<Dist, Invalid> {
    let kind = format!("{:?}", d.dist).to_lowercase();
    let means = [
        ("mean_ms", d.mean_ms, "milliseconds", 1e6),
        ("mean_s", d.mean_s, "seconds", 1e9),
        ("mean_min", d.mean_min, "minutes", 60e9),
        ("mean_h", d.mean_h, "hours", 3600e9),
    ];
    let given: Vec<_> = means.iter().filter(|m| m.1.is_some()).collect();
    let mean = || -> Result<SimDuration, Invalid> {
        match given.as_slice() {
            [(name, Some(v), unit, ns)] => span(&format!("{key}.{name}"), *v, unit, *ns, true),
            [] => bad(
                format!("{key}.mean_ms"),
                format!("dist = \"{kind}\" needs a mean: one of mean_ms, mean_s, mean_min, mean_h"),
            ),
            _ => bad(format!("{key}.{}", given[1].0), "give the mean once, in one unit"),
        }
    };
    let unused = |name: &str, present: bool| -> Result<(), Invalid> {
        if present {
            bad(format!("{key}.{name}"), format!("not used by dist = \"{kind}\""))
        } else {
            Ok(())
        }
    };
    if d.dist != DistKind::Empirical {
        unused("values_ms", d.values_ms.is_some())?;
        unused("weights", d.weights.is_some())?;
    }
    if d.dist != DistKind::Lognormal {
        unused("cv", d.cv.is_some())?;
    }
    if d.dist != DistKind::Weibull {
        unused("shape", d.shape.is_some())?;
    }
    match d.dist {
        DistKind::Exponential => Ok(Dist::exponential(mean()?)),
        DistKind::Deterministic => Ok(Dist::Deterministic(mean()?)),
        DistKind::Lognormal => {
            let cv =
                d.cv.ok_or_else(|| (format!("{key}.cv"), "lognormal needs cv (sd / mean)".to_string()))?;
            if !(cv.is_finite() && (0.0..=CV_MAX).contains(&cv)) {
                return bad(
                    format!("{key}.cv"),
                    format!("{cv} is not valid; expected 0 <= cv <= {CV_MAX}"),
                );
            }
            Ok(Dist::lognormal(mean()?, cv))
        }
        DistKind::Weibull => {
            let k = d
                .shape
                .ok_or_else(|| (format!("{key}.shape"), "weibull needs shape (k > 0)".to_string()))?;
            if !(k.is_finite() && (WEIBULL_SHAPE_MIN..=WEIBULL_SHAPE_MAX).contains(&k)) {
                return bad(
                    format!("{key}.shape"),
                    format!(
                        "{k} is not valid; expected {WEIBULL_SHAPE_MIN} <= shape <= {WEIBULL_SHAPE_MAX} (beyond, Gamma(1 + 1/k) leaves the range of a float)"
                    ),
                );
            }
            Ok(Dist::weibull(mean()?, k))
        }
        DistKind::Empirical => {
            if let Some((name, _, _, _)) = given.first() {
                return bad(format!("{key}.{name}"), "not used by dist = \"empirical\"");
            }
            let values = d
                .values_ms
                .as_ref()
                .ok_or_else(|| (format!("{key}.values_ms"), "empirical needs values_ms".to_string()))?;
            if values.is_empty() {
                return bad(format!("{key}.values_ms"), "needs at least one value");
            }
            for v in values {
                ms(&format!("{key}.values_ms"), *v, true)?;
            }
            let weights = d.weights.clone().unwrap_or_else(|| vec![1.0; values.len()]);
            if weights.len() != values.len() {
                return bad(
                    format!("{key}.weights"),
                    format!("has {} entries; values_ms has {}", weights.len(), values.len()),
                );
            }
            let sum = weights.iter().sum::<f64>();
            if weights.iter().any(|w| !(w.is_finite() && *w >= 0.0)) || !(sum.is_finite() && sum > 0.0) {
                return bad(
                    format!("{key}.weights"),
                    "weights must be >= 0 with a positive, finite sum",
                );
            }
            Ok(Dist::empirical(values.iter().map(|v| v * 1e6).collect(), &weights))
        }
    }
}

pub(super) fn normalised<const N: usize>(key: &str, w: &[f64]) -> Result<[f64; N], Invalid> {
    if w.len() != N {
        return bad(key, format!("has {} entries; expected {N}", w.len()));
    }
    if w.iter().any(|x| !(x.is_finite() && *x >= 0.0)) {
        return bad(key, "weights must be finite and >= 0");
    }
    let mean = w.iter().sum::<f64>() / N as f64;
    if !mean.is_finite() {
        return bad(
            key,
            "the weights' sum overflows; they are relative, so use smaller numbers",
        );
    }
    if mean <= 0.0 {
        return bad(key, "weights must not all be zero");
    }
    let mut out = [0.0; N];
    for (o, x) in out.iter_mut().zip(w) {
        *o = x / mean;
    }
    Ok(out)
}
