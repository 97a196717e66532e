//! The run itself: `name`, `replications`, `horizon` and `warmup`, `start` and `timezone`.

use super::checks::{count, duration};
use super::{Checked, Draft, refuse};
use crate::model::calendar::Calendar;
use crate::scenario::{REPLICATIONS_MAX, Scenario};

/// `name` names the results folder: letters, digits, `_` and `-`.
pub(super) fn name(spec: &Scenario, _: &mut Draft) -> Checked {
    if spec.name.is_empty()
        || !spec
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return refuse(
            "name",
            format!(
                "`{}` is not valid; use letters, digits, `_` and `-` (it names the results folder)",
                spec.name
            ),
        );
    }
    Ok(())
}

pub(super) fn replications(spec: &Scenario, d: &mut Draft) -> Checked {
    d.replications = Some(count("replications", spec.replications, 1, REPLICATIONS_MAX)?);
    Ok(())
}

/// `horizon` > 0 and `warmup` shorter than it.
pub(super) fn horizon(spec: &Scenario, d: &mut Draft) -> Checked {
    let horizon = duration("horizon", &spec.horizon)?;
    if horizon.is_zero() {
        return refuse("horizon", "must be longer than zero");
    }
    let warmup = duration("warmup", &spec.warmup)?;
    if warmup >= horizon {
        return refuse("warmup", format!("{warmup} must be shorter than horizon {horizon}"));
    }
    d.horizon = Some(horizon);
    d.warmup = Some(warmup);
    Ok(())
}

/// `start` (a local midnight) and `timezone` (IANA) give the calendar months of the window.
pub(super) fn calendar(spec: &Scenario, d: &mut Draft) -> Checked {
    let (Some(warmup), Some(horizon)) = (d.warmup, d.horizon) else {
        return Ok(()); // `horizon and warmup` refused already
    };
    match Calendar::new(&spec.start, &spec.timezone, warmup, horizon) {
        Ok(c) => {
            d.calendar = Some(c);
            Ok(())
        }
        Err((key, message)) => refuse(key, message),
    }
}
