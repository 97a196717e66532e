//! `[[capacity]]`: the capacity schedule, web servers in rotation by hour of day and weekday
//! on the scenario clock (`model::capacity`). Each rule's hours are ranges of whole local
//! hours, its weekdays names, its `web_in_rotation` between 1 and `web.count - 1`; no hour of
//! the week may be claimed by two rules.

use super::checks::bad;
use super::{Checked, Draft, Invalid, Refusals};
use crate::model::capacity::{CapacitySchedule, WEEK_HOURS};
use crate::scenario::{Capacity, Mode, Scenario};

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

pub(super) fn section(spec: &Scenario, d: &mut Draft) -> Checked {
    if spec.capacity.is_empty() {
        d.capacity = Some(None);
        return Ok(());
    }
    let (Some(web_count), Some(calendar)) = (d.web_count, d.calendar.as_ref()) else {
        return Ok(()); // `web` or `start and timezone` refused already
    };
    if spec.mode == Mode::Availability {
        return Err(Refusals(vec![(
            "capacity[0]".into(),
            "a capacity schedule is simulated in request mode only (mode = \"requests\"); the availability mode does not take [[capacity]] yet, and would otherwise ignore it".into(),
        )]));
    }
    let mut week: Vec<Option<(u32, usize)>> = vec![None; WEEK_HOURS];
    let mut refused = Vec::new();
    for (n, rule) in spec.capacity.iter().enumerate() {
        if let Err(e) = claim(rule, n, web_count, &mut week) {
            refused.push(e);
        }
    }
    if !refused.is_empty() {
        return Err(Refusals(refused));
    }
    let week = week.into_iter().map(|x| x.map(|(k, _)| k)).collect();
    d.capacity = Some(Some(CapacitySchedule::new(week, calendar.weekday_monday0, web_count)));
    Ok(())
}

/// Rule `n`: checked, and its hours of the week marked in `week` (with the rule's index).
fn claim(rule: &Capacity, n: usize, web_count: u32, week: &mut [Option<(u32, usize)>]) -> Result<(), Invalid> {
    let k = format!("capacity[{n}]");
    let keep = rule.web_in_rotation;
    if !(1..web_count).contains(&keep) {
        let why = if keep == 0 {
            "0 would take every web server out of rotation (the site down on purpose)".to_string()
        } else {
            format!("{keep} leaves no server out of rotation (web.count is {web_count})")
        };
        let valid = if web_count >= 2 {
            format!("expected 1 to {}", web_count - 1)
        } else {
            "a park of one web server has none to spare; expected web.count of 2 or more".into()
        };
        return bad(format!("{k}.web_in_rotation"), format!("{why}; {valid}"));
    }
    if rule.hours.is_empty() {
        return bad(format!("{k}.hours"), "no hours; expected e.g. \"22-07\" (local time)");
    }
    let mut days = Vec::new();
    for (i, name) in rule.weekdays.iter().enumerate() {
        let key = format!("{k}.weekdays[{i}]");
        let Some(day) = WEEKDAYS.iter().position(|w| name.eq_ignore_ascii_case(w)) else {
            return bad(
                key,
                format!("{name:?} is not a weekday; expected one of {}", WEEKDAYS.join(", ")),
            );
        };
        if days.contains(&day) {
            return bad(key, format!("{name:?} is named twice; expected each day once"));
        }
        days.push(day);
    }
    if days.is_empty() {
        days = (0..7).collect();
    }
    let mut mine = [false; WEEK_HOURS];
    for (i, text) in rule.hours.iter().enumerate() {
        let key = if rule.hours.len() == 1 {
            format!("{k}.hours")
        } else {
            format!("{k}.hours[{i}]")
        };
        let (from, to) = range(text).map_err(|m| (key.clone(), m))?;
        let len = if to > from { to - from } else { to + 24 - from };
        for &day in &days {
            for h in 0..len {
                let slot = (day * 24 + from + h) % WEEK_HOURS;
                if mine[slot] {
                    return bad(
                        key,
                        format!(
                            "{text:?} covers {} again; expected hours that do not overlap",
                            hour_name(slot)
                        ),
                    );
                }
                mine[slot] = true;
                if let Some((_, other)) = week[slot] {
                    return bad(
                        key,
                        format!(
                            "{text:?} covers {}, which capacity[{other}] covers too; expected each hour of the week in one rule at most",
                            hour_name(slot)
                        ),
                    );
                }
            }
        }
    }
    for (slot, &m) in mine.iter().enumerate() {
        if m {
            week[slot] = Some((keep, n));
        }
    }
    Ok(())
}

/// `"22-07"`: (22, 7), from 22:00 up to 07:00 the next morning; `"00-24"` is a whole day.
fn range(text: &str) -> Result<(usize, usize), String> {
    let expected = "expected \"FROM-TO\" in whole local hours from 0 to 24, e.g. \"22-07\" (22:00 to 07:00 the next morning) or \"09-17\"";
    let parse = |s: &str| s.trim().parse::<usize>().ok().filter(|&h| h <= 24);
    let Some((from, to)) = text.split_once('-').and_then(|(a, b)| Some((parse(a)?, parse(b)?))) else {
        return Err(format!("{text:?} is not a range of hours; {expected}"));
    };
    if from == 24 {
        return Err(format!("{text:?} starts at 24:00; {expected}"));
    }
    if from == to {
        return Err(format!(
            "{text:?} covers no hour; {expected} (a whole day is \"00-24\")"
        ));
    }
    Ok((from, to))
}

/// `Sat 23:00` for hour `slot` of the week (Monday 00:00 = 0).
fn hour_name(slot: usize) -> String {
    let day = WEEKDAYS[slot / 24];
    let mut name = day.to_string();
    name[..1].make_ascii_uppercase();
    format!("{name} {:02}:00", slot % 24)
}
