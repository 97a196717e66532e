//! `[monitoring]`: the request-level monitoring host (cores, memory, the disk that fills).

use super::checks::{count, positive};
use super::{Checked, Draft, Invalid, refuse};
use crate::scenario::{Mode, MonitoringModel, Scenario};

pub(super) fn monitoring(spec: &Scenario, d: &mut Draft) -> Checked {
    let mo = &spec.monitoring;
    if !mo.enabled {
        d.monitoring = Some(None);
        return Ok(());
    }
    let pct = |key: &str, v: f64| -> Result<f64, Invalid> {
        if v.is_finite() && (0.0..=100.0).contains(&v) {
            Ok(v)
        } else {
            Err((
                format!("monitoring.{key}"),
                format!("{v} is not valid; expected a percentage 0..=100"),
            ))
        }
    };
    if spec.mode == Mode::Requests && spec.backup.data_gb >= mo.disk_capacity_gb {
        return refuse(
            "monitoring.disk_capacity_gb",
            format!(
                "{} GB cannot hold the site's data (backup.data_gb = {}); the disk would be full from the start",
                mo.disk_capacity_gb, spec.backup.data_gb
            ),
        );
    }
    d.monitoring = Some(Some(MonitoringModel {
        cores: count("monitoring.cores", mo.cores, 1, 1024)?,
        memory_base_percent: pct("memory_base_percent", mo.memory_base_percent)?,
        memory_per_worker_percent: pct("memory_per_worker_percent", mo.memory_per_worker_percent)?,
        disk_capacity_bytes: positive("monitoring.disk_capacity_gb", mo.disk_capacity_gb)? * 1e9,
        data_bytes: spec.backup.data_gb.max(0.0) * 1e9,
        growth_bytes_per_ns: spec.backup.growth_gb_per_day.max(0.0) * 1e9 / 86_400e9,
        rules: crate::scenario::monitoring::rules(mo)?,
        notifier: crate::scenario::monitoring::notifier(mo)?,
        imported: !mo.rules.is_empty() || mo.alertmanager.is_some(),
    }));
    Ok(())
}
