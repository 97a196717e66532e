//! Units live in types: simulated instants, durations and rates.
//!
//! `SimTime` and `SimDuration` are integer nanoseconds (u64): exact, totally ordered and
//! portable, so that event order never depends on floating-point rounding. Floats appear only
//! at the edges (sampling a distribution, reporting a figure).
//!
//! This module must never read a clock: simulated time is the only time.

use serde::Serialize;
use std::fmt;
use std::ops::{Add, AddAssign, Sub};

const NANOS_PER_MICRO: u64 = 1_000;
const NANOS_PER_MILLI: u64 = 1_000_000;
const NANOS_PER_SEC: u64 = 1_000_000_000;

/// An instant of simulated time [ns since the start of the run].
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct SimTime(u64);

/// A span of simulated time [ns].
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct SimDuration(u64);

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// Later than any instant a run can reach (about 584 years).
    pub(crate) const MAX: SimTime = SimTime(u64::MAX);

    pub(crate) const fn from_nanos(ns: u64) -> Self {
        SimTime(ns)
    }
    #[cfg(test)]
    pub(crate) const fn from_millis(ms: u64) -> Self {
        SimTime(ms * NANOS_PER_MILLI)
    }
    /// `s` seconds after the start.
    pub const fn from_secs(s: u64) -> Self {
        SimTime(s * NANOS_PER_SEC)
    }
    pub(crate) const fn as_nanos(self) -> u64 {
        self.0
    }
    /// Time since the start [s], for reporting.
    pub(crate) fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }
    /// Time since the start [ms], for reporting.
    pub(crate) fn as_millis_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_MILLI as f64
    }
    /// The duration from `earlier` to `self`; panics if `earlier` is later (a logic error).
    pub fn since(self, earlier: SimTime) -> SimDuration {
        assert!(earlier <= self, "time went backwards: {earlier:?} > {self:?}");
        SimDuration(self.0 - earlier.0)
    }
    /// The duration from `earlier` to `self`, or zero if `earlier` is later.
    pub(crate) fn saturating_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
    /// `self + d`, or the latest representable instant on overflow.
    pub fn saturating_add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

const _: () = assert!(SimDuration::HORIZON_MAX.0 + 3 * SimDuration::MODEL_MAX.0 < u64::MAX);

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0);
    /// The longest span a model value may have: 100 years of 365 days. Scenario validation
    /// refuses longer durations, and a sampled or scaled duration is clamped to it, so an
    /// instant before the horizon (at most `HORIZON_MAX`) plus three such spans always fits in
    /// `SimTime` (about 584 years): `now + detect + repair + response` cannot overflow.
    pub(crate) const MODEL_MAX: SimDuration = SimDuration(100 * 365 * 86_400 * NANOS_PER_SEC);
    /// The longest horizon: 200 years of 365 days (see `MODEL_MAX`).
    pub(crate) const HORIZON_MAX: SimDuration = SimDuration(200 * 365 * 86_400 * NANOS_PER_SEC);

    pub(crate) const fn from_nanos(ns: u64) -> Self {
        SimDuration(ns)
    }
    /// `us` microseconds.
    pub const fn from_micros(us: u64) -> Self {
        SimDuration(us * NANOS_PER_MICRO)
    }
    /// `ms` milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        SimDuration(ms * NANOS_PER_MILLI)
    }
    /// `s` seconds.
    pub const fn from_secs(s: u64) -> Self {
        SimDuration(s * NANOS_PER_SEC)
    }
    pub(crate) const fn from_mins(m: u64) -> Self {
        SimDuration(m * 60 * NANOS_PER_SEC)
    }
    pub(crate) const fn from_hours(h: u64) -> Self {
        SimDuration(h * 3600 * NANOS_PER_SEC)
    }
    pub(crate) const fn from_days(d: u64) -> Self {
        SimDuration(d * 86_400 * NANOS_PER_SEC)
    }
    /// From seconds as a float, rounded to the nearest nanosecond; negative or NaN gives zero,
    /// longer than `MODEL_MAX` gives `MODEL_MAX`.
    pub(crate) fn from_secs_f64(s: f64) -> Self {
        Self::from_nanos_f64(s * NANOS_PER_SEC as f64)
    }
    /// From milliseconds as a float, rounded to the nearest nanosecond (see `from_secs_f64`).
    #[cfg(test)]
    pub(crate) fn from_millis_f64(ms: f64) -> Self {
        Self::from_nanos_f64(ms * NANOS_PER_MILLI as f64)
    }
    /// From nanoseconds as a float, truncated: negative or NaN to zero, clamped to
    /// `MODEL_MAX`. The same as `(ns as u64).min(MODEL_MAX)`, but below `MODEL_MAX` through the
    /// signed conversion: one instruction on x86-64, where the unsigned one is a sequence (the
    /// samplers call this for every draw).
    #[inline]
    pub(crate) fn from_nanos_trunc(ns: f64) -> Self {
        const MAX_F: f64 = SimDuration::MODEL_MAX.0 as f64;
        const _: () = assert!(
            MAX_F as u64 == SimDuration::MODEL_MAX.0,
            "MODEL_MAX is exact as a float"
        );
        if ns < MAX_F {
            SimDuration((ns as i64).max(0) as u64)
        } else if ns.is_nan() {
            SimDuration::ZERO
        } else {
            Self::MODEL_MAX
        }
    }

    /// From nanoseconds as a float: rounded, negative or NaN to zero, clamped to `MODEL_MAX`.
    pub(crate) fn from_nanos_f64(ns: f64) -> Self {
        Self::from_nanos_trunc(ns.round())
    }
    /// The duration [ns].
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    pub(crate) const fn is_zero(self) -> bool {
        self.0 == 0
    }
    /// The duration [s], for reporting.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }
    /// The duration [ms], for reporting.
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_MILLI as f64
    }
    pub(crate) fn saturating_mul(self, k: u64) -> SimDuration {
        SimDuration(self.0.saturating_mul(k))
    }
    /// Multiply by a non-negative float factor (e.g. a slowdown), rounding to ns and clamping
    /// to `MODEL_MAX`.
    pub(crate) fn mul_f64(self, k: f64) -> SimDuration {
        assert!(k >= 0.0 && k.is_finite(), "bad duration factor {k}");
        Self::from_nanos_f64(self.0 as f64 * k)
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.checked_add(d.0).expect("SimTime overflow"))
    }
}
impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}
impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.checked_add(d.0).expect("SimDuration overflow"))
    }
}
impl AddAssign for SimDuration {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}
impl Sub for SimDuration {
    type Output = SimDuration;
    fn sub(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.checked_sub(d.0).expect("negative SimDuration"))
    }
}

fn fmt_ns(ns: u64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if ns.is_multiple_of(NANOS_PER_SEC) {
        write!(f, "{}s", ns / NANOS_PER_SEC)
    } else if ns.is_multiple_of(NANOS_PER_MILLI) {
        write!(f, "{}ms", ns / NANOS_PER_MILLI)
    } else {
        write!(f, "{:.6}ms", ns as f64 / NANOS_PER_MILLI as f64)
    }
}
impl fmt::Debug for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("t=")?;
        fmt_ns(self.0, f)
    }
}
impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_ns(self.0, f)
    }
}
impl fmt::Debug for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_ns(self.0, f)
    }
}
impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_ns(self.0, f)
    }
}

/// Parse a human duration such as `7d`, `36h`, `90m`, `30s`, `250ms`, `1.5s`, `10y`, or a
/// compound of them, largest first or not: `20h30m`, `1d 12h`, `1m30s`. A year is 365 days.
/// Returns a message naming what would be valid on failure.
pub fn parse_duration(text: &str) -> Result<SimDuration, String> {
    const UNITS: &str = "use ns, us, ms, s, m, h, d, w or y, alone or combined as in 20h30m";
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(format!("`{text}` is empty; {UNITS}"));
    }
    let mut ns = 0.0_f64;
    // Every part consumes at least one character: at most `text.len()` parts.
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("`{text}` has no unit; {UNITS}"))?;
        let (num, after) = rest.split_at(num_end);
        let value: f64 = num.parse().map_err(|_| {
            if num.is_empty() && after.starts_with('-') {
                format!("`{text}` must be a non-negative duration")
            } else {
                format!("`{text}` does not start with a number; {UNITS}")
            }
        })?;
        let after = after.trim_start();
        let unit_end = after.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(after.len());
        let (unit, tail) = after.split_at(unit_end);
        let ns_per_unit: f64 = match unit {
            "ns" => 1.0,
            "us" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" | "min" => 60e9,
            "h" => 3600e9,
            "d" => 86_400e9,
            "w" => 7.0 * 86_400e9,
            "y" => 365.0 * 86_400e9,
            "" => return Err(format!("`{text}` has a number without a unit; {UNITS}")),
            other => return Err(format!("unknown unit `{other}` in `{text}`; {UNITS}")),
        };
        if !value.is_finite() {
            return Err(format!("`{text}` must be a finite duration"));
        }
        ns += value * ns_per_unit;
        rest = tail.trim_start();
    }
    if ns >= u64::MAX as f64 {
        return Err(format!("`{text}` is too long"));
    }
    Ok(SimDuration::from_nanos(ns.round() as u64))
}

/// An availability as a ratio (`0.999`) or a percentage (`99.9`, `99.9%`): a bare number
/// above 1 is a percentage. Returns the ratio.
pub fn availability_ratio(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let bad = || format!("`{text}` is not valid; expected a ratio (0.999) or a percentage (99.9 or 99.9%)");
    let (num, percent) = match t.strip_suffix('%') {
        Some(n) => (n.trim(), true),
        None => (t, false),
    };
    let v: f64 = num.parse().map_err(|_| bad())?;
    let ratio = if percent || v > 1.0 {
        scaled_decimal(num, -2).ok_or_else(bad)?
    } else {
        v
    };
    if ratio.is_finite() && (0.0..=1.0).contains(&ratio) && v >= 0.0 {
        Ok(ratio)
    } else {
        Err(bad())
    }
}

/// An SLA as a percentage (`99.9`, `99.9%`) or a ratio (`0.999`: a bare number up to 1).
/// Returns the percentage, exactly as typed when typed as one; the range is the report's to
/// check.
pub fn availability_percent(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let (num, percent) = match t.strip_suffix('%') {
        Some(n) => (n.trim(), true),
        None => (t, false),
    };
    let v: f64 =
        num.parse().ok().filter(|v: &f64| v.is_finite()).ok_or_else(|| {
            format!("`{text}` is not valid; expected a percentage (99.9 or 99.9%) or a ratio (0.999)")
        })?;
    Ok(if !percent && (0.0..=1.0).contains(&v) {
        scaled_decimal(num, 2).unwrap_or(v * 100.0)
    } else {
        v
    })
}

/// The decimal number `num` times 10^`places`, rounded once to the nearest `f64` (so `99.9`
/// % is exactly the `0.999` a user would type as a ratio; `99.9 / 100.0` is not).
fn scaled_decimal(num: &str, places: i32) -> Option<f64> {
    let (mantissa, exponent) = match num.find(['e', 'E']) {
        Some(i) => (&num[..i], num[i + 1..].parse::<i32>().ok()?),
        None => (num, 0),
    };
    format!("{mantissa}e{}", exponent.checked_add(places)?).parse().ok()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Awkward floats (signs, NaN, infinities, both sides of `MODEL_MAX` and of 2^63) and a
    /// geometric sweep.
    pub(crate) fn edge_floats() -> Vec<f64> {
        let max = SimDuration::MODEL_MAX.as_nanos() as f64;
        let mut v = vec![
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -1e300,
            -1.5,
            -1.0,
            -0.5,
            -0.0,
            0.0,
            0.49,
            0.5,
            1.0,
            1.5,
            1e9 + 0.5,
            max,
            max.next_down(),
            max.next_up(),
            (1u64 << 62) as f64,
            ((1u64 << 62) as f64).next_down(),
            2f64.powi(63),
            2f64.powi(63).next_down(),
            2f64.powi(64),
            1e300,
        ];
        v.extend((0..3000).map(|i| 1.37f64.powi(i % 150) * (1.0 + f64::from(i) / 7.0)));
        v
    }

    #[test]
    fn truncation_is_the_unsigned_conversion_clamped() {
        let max = SimDuration::MODEL_MAX.as_nanos();
        for ns in edge_floats() {
            assert_eq!(
                SimDuration::from_nanos_trunc(ns).as_nanos(),
                (ns as u64).min(max),
                "{ns}"
            );
        }
    }

    #[test]
    fn percentages_and_ratios_are_the_same_number() {
        for (percent, ratio) in [
            ("99.9", "0.999"),
            ("99.95%", "0.9995"),
            ("99.99", "0.9999"),
            ("9.99e1", "0.999"),
        ] {
            let r: f64 = ratio.parse().unwrap();
            assert_eq!(availability_ratio(percent), Ok(r), "{percent}");
            assert_eq!(availability_ratio(ratio), Ok(r), "{ratio}");
            assert_eq!(
                availability_percent(ratio),
                availability_percent(percent.trim_end_matches('%')),
                "{ratio}"
            );
        }
        assert_eq!(availability_percent("0.999"), Ok(99.9));
    }

    #[test]
    fn arithmetic_and_formatting() {
        let t = SimTime::ZERO + SimDuration::from_millis(1500);
        assert_eq!(t.as_nanos(), 1_500_000_000);
        assert_eq!(format!("{t}"), "1500ms");
        assert_eq!(format!("{}", SimDuration::from_secs(2)), "2s");
        assert_eq!(t.since(SimTime::from_secs(1)), SimDuration::from_millis(500));
        assert_eq!(SimDuration::from_millis(3).mul_f64(2.5), SimDuration::from_micros(7500));
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("7d").unwrap(), SimDuration::from_days(7));
        assert_eq!(parse_duration("250ms").unwrap(), SimDuration::from_millis(250));
        assert_eq!(parse_duration("1.5s").unwrap(), SimDuration::from_millis(1500));
        assert_eq!(parse_duration("1y").unwrap(), SimDuration::from_days(365));
        assert!(parse_duration("7").is_err());
        assert!(parse_duration("7 parsecs").is_err());
        assert!(parse_duration("-1s").is_err());
        assert_eq!(
            parse_duration("20h30m").unwrap(),
            SimDuration::from_secs(20 * 3600 + 30 * 60)
        );
        assert_eq!(parse_duration("1d 12h").unwrap(), SimDuration::from_secs(36 * 3600));
        assert_eq!(parse_duration("1m30s").unwrap(), SimDuration::from_secs(90));
        assert_eq!(parse_duration("2min").unwrap(), SimDuration::from_secs(120));
        assert!(parse_duration("20h30").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("1h-5m").is_err());
    }

    #[test]
    fn float_durations_clamp_to_the_model_maximum() {
        assert_eq!(SimDuration::from_secs_f64(1e300), SimDuration::MODEL_MAX);
        assert_eq!(SimDuration::from_millis_f64(f64::INFINITY), SimDuration::MODEL_MAX);
        assert_eq!(SimDuration::from_secs_f64(f64::NAN), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs(1).mul_f64(1e300), SimDuration::MODEL_MAX);
        // The longest horizon plus three spans still fits in a SimTime.
        let t = SimTime::ZERO + SimDuration::HORIZON_MAX;
        let _ = t + SimDuration::MODEL_MAX + SimDuration::MODEL_MAX + SimDuration::MODEL_MAX;
    }

    #[test]
    #[should_panic(expected = "time went backwards")]
    fn since_rejects_reversed_instants() {
        SimTime::from_secs(1).since(SimTime::from_secs(2));
    }

    #[test]
    fn availability_takes_ratio_and_percentage_forms() {
        for (text, ratio) in [
            ("0.999", 0.999),
            ("99.9", 0.999),
            ("99.9%", 0.999),
            ("1", 1.0),
            ("100%", 1.0),
        ] {
            let got = availability_ratio(text).unwrap();
            assert!((got - ratio).abs() < 1e-12, "{text}: {got}");
        }
        for text in ["-1", "101", "abc", "nan", "99.9%%"] {
            assert!(availability_ratio(text).is_err(), "{text}");
        }
        assert_eq!(availability_percent("99.95"), Ok(99.95));
        assert_eq!(availability_percent("99.95%"), Ok(99.95));
        assert_eq!(availability_percent("0.999"), Ok(99.9));
        assert!(availability_percent("x").is_err());
    }
}
