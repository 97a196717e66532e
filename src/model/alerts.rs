//! The names of the alerts the availability mode pages with, so that the scenario layer can
//! validate `[[expect]]` alert names without knowing the simulator.

/// `RaidDegraded`: mdadm's degraded-array event, paged with `InstanceDown`'s timing.
pub(crate) const RAID_DEGRADED: &str = "RaidDegraded";

/// The alerts the availability mode pages with: the rules it steps (`InstanceDown`,
/// `HighLoad`, `SmartWarning`) and [`RAID_DEGRADED`].
pub(crate) const ALERTS: [&str; 4] = ["InstanceDown", "HighLoad", "SmartWarning", RAID_DEGRADED];
