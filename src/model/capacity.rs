//! The capacity schedule (`[[capacity]]`): how many web servers lb1 keeps in rotation in each
//! hour of the week, on the scenario clock. A planned, administrative change of capacity ("two
//! web servers at night"), not a failure: the drivers take the servers out through lb1's
//! admin states (`drain`, then `maint`), which pages nobody and is neither downtime nor
//! maintenance.
//!
//! Hours are those of the scenario clock: simulation time 0 is local midnight of `start` in
//! `timezone`, and hours count on in 24-hour days from there, as the traffic profile's
//! `hourly_weights` do (a DST change moves neither). Weekdays are the calendar's: `start`'s
//! weekday in that zone (`Calendar::weekday_monday0`).
//!
//! Which servers go out: the highest-numbered first, by name, whatever their state. With
//! `web_in_rotation = 2` of three, web3 goes out; if web3 has failed it goes out all the
//! same, and if web1 fails meanwhile web3 is not brought back nor is web2 taken out in its
//! place: the schedule is the operator's plan by server, not an autoscaler (a failed server
//! is never replaced by taking another out, nor by bringing one in).
//!
//! Pure: no clock, knows nothing of `sim`.

use crate::units::SimTime;

/// Hours in a week: the schedule's grid.
pub(crate) const WEEK_HOURS: usize = 168;
const HOUR_NS: u64 = 3_600_000_000_000;

/// The checked schedule: web servers in rotation in each hour of the week.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CapacitySchedule {
    /// Per hour of the week, Monday 00:00 first: the web servers in rotation (`None`: all).
    week: Vec<Option<u32>>,
    /// Hour of the week (Monday 00:00 = 0) at simulation time 0.
    hour0: usize,
    /// Web servers in the park.
    web_count: u32,
}

impl CapacitySchedule {
    /// A schedule over `week` (`WEEK_HOURS` entries, Monday 00:00 first) for a park of
    /// `web_count` web servers whose simulation time 0 is midnight of weekday `weekday0`
    /// (0 = Monday).
    pub(crate) fn new(week: Vec<Option<u32>>, weekday0: u8, web_count: u32) -> CapacitySchedule {
        assert_eq!(week.len(), WEEK_HOURS);
        assert!(weekday0 < 7);
        assert!(
            week.iter().flatten().all(|&k| (1..web_count).contains(&k)),
            "validated: 1 <= web_in_rotation < web.count"
        );
        CapacitySchedule {
            week,
            hour0: usize::from(weekday0) * 24,
            web_count,
        }
    }

    fn slot(&self, hour: u64) -> Option<u32> {
        self.week[(self.hour0 + (hour % WEEK_HOURS as u64) as usize) % WEEK_HOURS]
    }

    /// Web servers in rotation at `t` (`web_count` outside every rule).
    pub(crate) fn in_rotation_at(&self, t: SimTime) -> u32 {
        self.slot(t.as_nanos() / HOUR_NS).unwrap_or(self.web_count)
    }

    /// Whether web server `i` (0-based) is out of rotation at `t`: the highest-numbered
    /// `web_count - in_rotation_at(t)` servers are.
    pub(crate) fn out_at(&self, t: SimTime, i: usize) -> bool {
        assert!(i < self.web_count as usize);
        i >= self.in_rotation_at(t) as usize
    }

    /// The first hour boundary after `t` at which the number in rotation changes; `None` if
    /// it never does (the same all week).
    pub(crate) fn next_change_after(&self, t: SimTime) -> Option<SimTime> {
        let hour = t.as_nanos() / HOUR_NS;
        let now = self.slot(hour);
        (1..=WEEK_HOURS as u64)
            .map(|d| hour + d)
            .find(|&h| self.slot(h) != now)
            .map(|h| SimTime::from_nanos(h.saturating_mul(HOUR_NS)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u64) -> SimTime {
        SimTime::from_nanos(h * HOUR_NS)
    }

    /// Nights (22:00-07:00) on two of three servers, starting on a Wednesday: hour 0 of the
    /// run is Wednesday 00:00.
    #[test]
    fn nights_keep_the_lowest_numbered_servers_and_change_on_the_hour() {
        let mut week = vec![None; WEEK_HOURS];
        for d in 0..7 {
            for h in (d * 24 + 22)..(d * 24 + 31) {
                week[h % WEEK_HOURS] = Some(2);
            }
        }
        let s = CapacitySchedule::new(week, 2, 3);
        assert_eq!(s.in_rotation_at(at(3)), 2);
        assert_eq!(s.in_rotation_at(at(7)), 3);
        assert!(s.out_at(at(23), 2) && !s.out_at(at(23), 1) && !s.out_at(at(12), 2));
        assert_eq!(s.next_change_after(at(0)), Some(at(7)));
        assert_eq!(s.next_change_after(SimTime::from_nanos(7 * HOUR_NS + 1)), Some(at(22)));
        assert_eq!(s.next_change_after(at(22)), Some(at(31)));
        // Weekends only: Saturday is day 5 (hours 120..144 of the week).
        let mut weekend = vec![None; WEEK_HOURS];
        weekend[120..168].iter_mut().for_each(|x| *x = Some(1));
        let s = CapacitySchedule::new(weekend, 2, 3);
        // Wednesday + 3 days = Saturday 00:00 at hour 72 of the run; Monday at hour 120.
        assert_eq!(s.next_change_after(at(0)), Some(at(72)));
        assert_eq!(s.in_rotation_at(at(80)), 1);
        assert_eq!(s.next_change_after(at(80)), Some(at(120)));
        assert_eq!(
            CapacitySchedule::new(vec![Some(1); WEEK_HOURS], 0, 2).next_change_after(at(5)),
            None
        );
    }
}
