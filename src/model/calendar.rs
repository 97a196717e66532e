//! The scenario's calendar: the wall-clock date and time zone of simulation time 0
//! (`start`, `timezone`), and the calendar months of the measured window in that zone, with
//! their real lengths (28 to 31 days, and an hour less or more at a DST change).
//!
//! Time-zone rules come from the IANA database bundled into the binary (`jiff`'s
//! `tzdb-bundle-always`), never from the machine's `/usr/share/zoneinfo`, so the same scenario
//! gives the same months everywhere. Pure: no clock, no files.

use crate::units::{SimDuration, SimTime};
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime};

/// One calendar month, as far as it overlaps the measured window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CalendarMonth {
    pub(crate) year: i16,
    /// 1 = January.
    pub(crate) month: i8,
    /// The part of the month inside the measured window, in simulation time.
    pub(crate) from: SimTime,
    pub(crate) to: SimTime,
    /// The whole month lies inside the window (not cut by warm-up or the horizon).
    pub(crate) whole: bool,
}

impl CalendarMonth {
    /// `2027-03`.
    pub(crate) fn label(&self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    /// Minutes of the month inside the window [min].
    pub(crate) fn minutes(&self) -> f64 {
        self.to.since(self.from).as_secs_f64() / 60.0
    }
}

/// The calendar of a run: where simulation time 0 falls, and the months of the window.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Calendar {
    /// IANA name, e.g. `Europe/Amsterdam`.
    pub(crate) timezone: String,
    /// Day of the week of simulation time 0: 0 = Monday.
    pub(crate) weekday_monday0: u8,
    /// Every month the measured window `[warmup, horizon)` touches, in order; consecutive
    /// (`to` of one is `from` of the next), the first from `warmup`, the last to `horizon`.
    pub(crate) months: Vec<CalendarMonth>,
    /// Local wall-clock time to simulation time (maintenance windows at a local hour).
    pub(crate) clock: LocalClock,
}

/// Simulation time 0 is local midnight of `start` in the zone; this maps a local wall-clock
/// time (start plus a civil offset) to simulation time, across DST changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LocalClock {
    tz: TimeZone,
    start: DateTime,
    /// The instant of simulation time 0 [ns since the Unix epoch].
    zero_ns: i128,
}

impl LocalClock {
    /// When the local wall clock shows `start + offset` (civil arithmetic: a day is 24 hours of
    /// the wall clock whatever DST does), in simulation time. A wall-clock time a DST change
    /// skips is read as the later instant (02:30 on the spring-forward night is 03:30 summer
    /// time), a repeated one as the earlier (jiff's `compatible`, as RFC 5545 does). `None`
    /// past the years jiff represents.
    pub(crate) fn at_local(&self, offset: SimDuration) -> Option<SimTime> {
        let civil = self
            .start
            .checked_add(jiff::SignedDuration::from_nanos(i64::try_from(offset.as_nanos()).ok()?))
            .ok()?;
        let ts = civil.to_zoned_datetime(self.tz.clone()).ok()?.timestamp();
        let ns = ts.as_nanosecond() - self.zero_ns;
        // Local midnight of `start` is time 0, and `offset` is at or after it on the wall
        // clock; only a gap at midnight itself could put the instant before it.
        Some(SimTime::from_nanos(u64::try_from(ns.max(0)).ok()?))
    }
}

/// The latest year `start` may name: the horizon's maximum (200 years, `units.rs`) after it
/// stays inside the years jiff represents (up to 9999).
const START_YEAR_MAX: i16 = 9000;

/// `start` as the scenario writes it: `2029-01-01` or `2029-01-01T00:00`, at midnight.
fn parse_start(start: &str) -> Result<DateTime, String> {
    let dt = start
        .parse::<DateTime>()
        .or_else(|_| {
            start
                .parse::<Date>()
                .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
        })
        .map_err(|_| {
            format!("`{start}` is not a date and time; write e.g. \"2029-01-01T00:00\" (local time, in `timezone`)")
        })?;
    // jiff's range ends with the year 9999; the longest horizon (200 years) stays inside it.
    if !(1..=START_YEAR_MAX).contains(&dt.year()) {
        return Err(format!("`{start}`: the year must be between 1 and {START_YEAR_MAX}"));
    }
    if dt.time() != jiff::civil::Time::midnight() {
        return Err(format!(
            "`{start}` is not at midnight; write e.g. \"{}T00:00\" (the scenario clock's hours of day, for the traffic rhythm, night response and maintenance windows, count from it)",
            dt.date()
        ));
    }
    Ok(dt)
}

/// The zone `name` from the bundled database.
fn zone(name: &str) -> Result<TimeZone, String> {
    if name == "UTC" {
        return Ok(TimeZone::UTC);
    }
    TimeZone::get(name).map_err(|_| {
        format!("`{name}` is not a time zone of the IANA database; write e.g. \"Europe/Amsterdam\" or \"UTC\"")
    })
}

/// Local midnight on the first of `year`-`month` in `tz`, as an instant (the earlier
/// instant if midnight is repeated, the later one if a DST gap skips it).
fn month_start(year: i16, month: i8, tz: &TimeZone) -> Timestamp {
    let d = Date::new(year, month, 1).expect("the first of a month exists");
    let z: ZonedDateTime = d
        .to_datetime(jiff::civil::Time::midnight())
        .to_zoned_datetime(tz.clone())
        .expect("a month start in the supported range (years -9999 to 9999)");
    z.timestamp()
}

fn next_month(year: i16, month: i8) -> (i16, i8) {
    if month == 12 { (year + 1, 1) } else { (year, month + 1) }
}

impl Calendar {
    /// The calendar of a run whose simulation time 0 is `start` (local, midnight) in
    /// `timezone`, measured over `[warmup, horizon)`. Errors are in the user's words.
    pub(crate) fn new(
        start: &str,
        timezone: &str,
        warmup: SimDuration,
        horizon: SimDuration,
    ) -> Result<Calendar, (&'static str, String)> {
        assert!(warmup < horizon, "validated: the warm-up ends before the horizon");
        let tz = zone(timezone).map_err(|e| ("timezone", e))?;
        let dt = parse_start(start).map_err(|e| ("start", e))?;
        let zero = dt
            .to_zoned_datetime(tz.clone())
            .map_err(|e| ("start", format!("`{start}` in {timezone}: {e}")))?;
        let zero_ns = zero.timestamp().as_nanosecond();
        let at = |ns: u64| -> Result<ZonedDateTime, (&'static str, String)> {
            let ts = Timestamp::from_nanosecond(zero_ns + i128::from(ns))
                .map_err(|_| ("start", format!("`{start}` plus the horizon lies past the year 9999")))?;
            Ok(ts.to_zoned_datetime(tz.clone()))
        };
        let (w, h) = (warmup.as_nanos(), horizon.as_nanos());
        let first = at(w)?.date();
        at(h)?; // the horizon is in range
        let sim = |ts: Timestamp| -> u64 {
            let ns = ts.as_nanosecond() - zero_ns;
            ns.clamp(i128::from(w), i128::from(h)) as u64
        };
        let (mut year, mut month) = (first.year(), first.month());
        let mut months = Vec::new();
        loop {
            let begin = month_start(year, month, &tz);
            let (ny, nm) = next_month(year, month);
            let end = month_start(ny, nm, &tz);
            let (from, to) = (sim(begin), sim(end));
            if from >= h {
                break;
            }
            let whole =
                begin.as_nanosecond() - zero_ns >= i128::from(w) && end.as_nanosecond() - zero_ns <= i128::from(h);
            months.push(CalendarMonth {
                year,
                month,
                from: SimTime::from_nanos(from),
                to: SimTime::from_nanos(to),
                whole,
            });
            (year, month) = (ny, nm);
        }
        assert!(!months.is_empty() && months[0].from.as_nanos() == w && months.last().unwrap().to.as_nanos() == h);
        Ok(Calendar {
            timezone: timezone.to_string(),
            weekday_monday0: dt.date().weekday().to_monday_zero_offset() as u8,
            months,
            clock: LocalClock { tz, start: dt, zero_ns },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400_000_000_000;

    #[test]
    fn months_have_their_real_lengths() {
        let c = Calendar::new(
            "2029-01-01T00:00",
            "UTC",
            SimDuration::ZERO,
            SimDuration::from_nanos(365 * DAY),
        )
        .unwrap();
        let days: Vec<f64> = c.months.iter().map(|m| m.minutes() / 1440.0).collect();
        assert_eq!(
            days,
            [31.0, 28.0, 31.0, 30.0, 31.0, 30.0, 31.0, 31.0, 30.0, 31.0, 30.0, 31.0]
        );
        assert!(c.months.iter().all(|m| m.whole));
        assert_eq!(c.weekday_monday0, 0, "2029-01-01 is a Monday");
        assert_eq!(c.months[1].label(), "2029-02");
    }

    #[test]
    fn dst_changes_make_march_short_and_october_long_in_amsterdam() {
        let c = Calendar::new(
            "2029-01-01",
            "Europe/Amsterdam",
            SimDuration::ZERO,
            SimDuration::from_nanos(365 * DAY),
        )
        .unwrap();
        // 2029: CEST from 25 March, CET again from 28 October.
        assert_eq!(c.months[2].minutes(), 31.0 * 1440.0 - 60.0);
        assert_eq!(c.months[9].minutes(), 31.0 * 1440.0 + 60.0);
        assert_eq!(c.months[5].minutes(), 30.0 * 1440.0);
        // Simulation time 0 is local midnight (23:00 UTC the day before), so a year of
        // simulation time is the 12 whole local months.
        assert!(c.months.len() == 12 && c.months.iter().all(|m| m.whole));
        let utc = Calendar::new(
            "2029-03-01",
            "UTC",
            SimDuration::ZERO,
            SimDuration::from_nanos(31 * DAY),
        )
        .unwrap();
        assert_eq!(utc.months[0].minutes(), 31.0 * 1440.0, "no DST in UTC");
    }

    #[test]
    fn warmup_and_horizon_cut_the_first_and_last_month() {
        let c = Calendar::new(
            "2027-01-01",
            "UTC",
            SimDuration::from_nanos(DAY),
            SimDuration::from_nanos(60 * DAY),
        )
        .unwrap();
        assert_eq!(c.months.len(), 3);
        assert!(!c.months[0].whole && c.months[1].whole && !c.months[2].whole);
        assert_eq!(c.months[0].from.as_nanos(), DAY);
        assert_eq!(c.weekday_monday0, 4, "2027-01-01 is a Friday");
        assert_eq!(c.months[1].from, SimTime::from_nanos(31 * DAY));
    }

    /// 03:00 in Amsterdam is 02:00 UTC in winter and 01:00 UTC in summer: across the change
    /// on 25 March 2029 (02:00 CET -> 03:00 CEST) the local hour holds and the night is an
    /// hour short; a time the change skips (02:30) is read as 03:30 summer time.
    #[test]
    fn a_local_hour_holds_across_the_spring_dst_change() {
        let c = Calendar::new(
            "2029-03-20",
            "Europe/Amsterdam",
            SimDuration::ZERO,
            SimDuration::from_nanos(30 * DAY),
        )
        .unwrap();
        let h = |x: u64| SimDuration::from_nanos(x * 3_600_000_000_000);
        let at = |day: u64, hour: u64| c.clock.at_local(h(24 * day + hour)).unwrap().as_nanos();
        assert_eq!(at(0, 3), h(3).as_nanos(), "time 0 is local midnight");
        assert_eq!(at(4, 3), h(4 * 24 + 3).as_nanos(), "24 March, still winter time");
        assert_eq!(
            at(5, 3),
            h(5 * 24 + 2).as_nanos(),
            "25 March 03:00 CEST, an hour earlier"
        );
        assert_eq!(at(6, 3) - at(5, 3), h(24).as_nanos());
        let half = SimDuration::from_nanos(1_800_000_000_000);
        let skipped = c.clock.at_local(h(5 * 24 + 2) + half).unwrap().as_nanos();
        assert_eq!(skipped, (h(5 * 24 + 2) + half).as_nanos(), "02:30 is 03:30 CEST");
        assert_eq!(c.clock.at_local(h(5 * 24)).unwrap().as_nanos(), h(5 * 24).as_nanos());
    }

    #[test]
    fn bad_start_and_zone_are_refused_in_words() {
        let (w, h) = (SimDuration::ZERO, SimDuration::from_nanos(DAY));
        let e = Calendar::new("2027-13-01", "UTC", w, h).unwrap_err();
        assert_eq!(e.0, "start");
        let e = Calendar::new("2027-01-01T06:00", "UTC", w, h).unwrap_err();
        assert!(e.1.contains("midnight"), "{}", e.1);
        let e = Calendar::new("9999-12-01", "UTC", w, h).unwrap_err();
        assert!(e.1.contains("between 1 and 9000"), "{}", e.1);
        let e = Calendar::new("2027-01-01", "Europe/Amsterdm", w, h).unwrap_err();
        assert_eq!(e.0, "timezone");
        assert!(e.1.contains("IANA"));
    }
}
