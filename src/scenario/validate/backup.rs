//! `[backup]`: the nightly backup (window, bandwidth, retention, failure odds, human errors).

use super::budget::YEAR_NS;
use super::checks::{bad, dist, positive, probability, shown};
use super::{Checked, Draft, Invalid, refuse};
use crate::policy::backup::BackupConfig;
use crate::scenario::{BackupModel, Scenario};
use crate::units::SimDuration;

pub(super) fn backup(spec: &Scenario, d: &mut Draft) -> Checked {
    let bk = &spec.backup;
    // Checked even with backups off, as every value of the file is.
    let failed_share = probability("backup.human_error_failed_share", bk.human_error_failed_share)?;
    if !bk.enabled {
        d.backup = Some(None);
        return Ok(());
    }
    let k = "backup";
    let tod = bk.time_of_day_h;
    if !(tod.is_finite() && (0.0..24.0).contains(&tod)) {
        return refuse(
            format!("{k}.time_of_day_h"),
            format!("{tod} is not an hour of the day; expected 0 <= h < 24"),
        );
    }
    let nonneg = |key: &str, v: f64| -> Result<f64, Invalid> {
        if v.is_finite() && v >= 0.0 {
            Ok(v)
        } else {
            bad(
                format!("{k}.{key}"),
                format!("{} is not valid; expected >= 0", shown(v)),
            )
        }
    };
    let backup = BackupModel {
        config: BackupConfig {
            time_of_day: SimDuration::from_secs_f64(tod * 3600.0),
            bandwidth_bytes_per_s: positive(&format!("{k}.bandwidth_mb_per_s"), bk.bandwidth_mb_per_s)? * 1e6,
            keep_daily: bk.keep_daily,
            keep_weekly: bk.keep_weekly,
            keep_monthly: bk.keep_monthly,
            keep_yearly: bk.keep_yearly,
        },
        data_bytes: nonneg("data_gb", bk.data_gb)? * 1e9,
        growth_bytes_per_ns: nonneg("growth_gb_per_day", bk.growth_gb_per_day)? * 1e9 / 86_400e9,
        fail_probability: probability(&format!("{k}.fail_probability"), bk.fail_probability)?,
        corrupt_probability: probability(&format!("{k}.corrupt_probability"), bk.corrupt_probability)?,
        human_error_rate_per_ns: nonneg("human_errors_per_year", bk.human_errors_per_year)? / YEAR_NS,
        notice: dist(&format!("{k}.notice"), &bk.notice)?,
        human_error_failed_share: failed_share,
    };
    if backup.fail_probability + backup.corrupt_probability > 1.0 {
        return refuse(
            "backup.corrupt_probability",
            "fail_probability + corrupt_probability must not exceed 1",
        );
    }
    d.backup = Some(Some(backup));
    Ok(())
}
