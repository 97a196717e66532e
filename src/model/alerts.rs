//! The names of the alerts the availability mode pages with, so that the scenario layer can
//! validate `[[expect]]` alert names without knowing the simulator.

/// `RaidDegraded`: mdadm's degraded-array event, paged with `InstanceDown`'s timing.
pub(crate) const RAID_DEGRADED: &str = "RaidDegraded";

/// The alerts the availability mode pages with: the rules it steps (`InstanceDown`,
/// `HighLoad`, `SmartWarning`) and [`RAID_DEGRADED`].
pub(crate) const ALERTS: [&str; 4] = ["InstanceDown", "HighLoad", "SmartWarning", RAID_DEGRADED];

/// The rules the availability driver steps through the alerting machine over a component
/// failure's whole episode, for "would my alerts have paged?" (`report/paging.rs`): `up == 0`
/// for a failure that silences the target, `load per core > 1` for a slowdown. The other
/// built-in rules watch series the long-horizon driver does not produce (memory, disk usage
/// and its trend); SMART warnings and degraded arrays page, but are not incidents of their own.
pub(crate) const PAGING_RULES: [&str; 2] = ["InstanceDown", "HighLoad"];
