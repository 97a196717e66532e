//! Why the site (or part of its traffic) was unavailable: the enums shared by the driver that
//! charges downtime and failed requests (`accounting`) and the reports that print them
//! (`report::summary`, `report::customer`, `study::compare`). Never a string across that
//! boundary: [`Cause`] is what a minute is charged to, [`IncidentCause`] what state of the
//! park made an incident (the report words it per language).

use serde::{Deserialize, Serialize};

/// The cause a period of downtime or a failed request is charged to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// No balancer holds the site's address (lb1 failed, no VRRP peer took over yet).
    Lb,
    /// Web servers failed (crash, process death, hang, or a failure the checks miss).
    Web,
    /// No writable storage primary and no takeover under way: both copies down, a
    /// single node down, or a restore after both copies were lost.
    Storage,
    /// The storage primary failed and the failover controller is taking over (detection,
    /// fencing, promotion).
    Takeover,
    /// The link lb1 <-> a web server is down.
    Network,
    /// Planned maintenance (a server in `drain`/`maint`, or back in `ready` and not yet
    /// through its `rise` checks).
    Maintenance,
    /// Data deleted by mistake, from the deletion until its restore from backup is done:
    /// the share of requests that need it (`backup.human_error_failed_share`).
    HumanError,
    /// A slowed web server gets more requests than it can serve.
    Overload,
}

impl Cause {
    pub(crate) const COUNT: usize = 8;
    pub(crate) const ALL: [Cause; Cause::COUNT] = [
        Cause::Lb,
        Cause::Web,
        Cause::Storage,
        Cause::Takeover,
        Cause::Network,
        Cause::Maintenance,
        Cause::HumanError,
        Cause::Overload,
    ];

    /// Position in [`Cause::ALL`] (and in per-cause arrays).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The snake_case name used in JSON keys and tables.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Cause::Lb => "lb",
            Cause::Web => "web",
            Cause::Storage => "storage",
            Cause::Takeover => "takeover",
            Cause::Network => "network",
            Cause::Maintenance => "maintenance",
            Cause::HumanError => "human_error",
            Cause::Overload => "overload",
        }
    }
}

const _: () = assert!(Cause::Overload as usize + 1 == Cause::COUNT);

/// The state of the park that made requests fail during an incident, as `accounting` found it
/// (serialised with a `kind` tag: `{"kind": "undetected_failure", "servers": ["web2"]}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IncidentCause {
    /// No balancer holds the site address: every request fails.
    NoBalancer,
    /// No writable storage primary (a takeover under way, or no copy left): every request fails.
    NoStoragePrimary,
    /// lb1 has no web server in rotation (all DOWN or out for maintenance): every request fails.
    NoWebInRotation,
    /// Every web server lb1 routes to has failed, none detected yet: every request fails.
    AllWebFailed,
    /// Some servers in rotation failed and the health checks have not caught them yet (or a
    /// slowed server is overloaded): their share of requests fails.
    UndetectedFailure {
        /// The failed servers in rotation, in park order.
        servers: Vec<String>,
    },
    /// Data deleted by mistake awaits its restore from backup: the requests that need it
    /// fail (`backup.human_error_failed_share`; `full` when that is all of them).
    DataMissing {
        /// Every request fails.
        full: bool,
    },
}

impl IncidentCause {
    /// The snake_case `kind` tag it is serialised with.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            IncidentCause::NoBalancer => "no_balancer",
            IncidentCause::NoStoragePrimary => "no_storage_primary",
            IncidentCause::NoWebInRotation => "no_web_in_rotation",
            IncidentCause::AllWebFailed => "all_web_failed",
            IncidentCause::UndetectedFailure { .. } => "undetected_failure",
            IncidentCause::DataMissing { .. } => "data_missing",
        }
    }

    /// Whether every request fails while it holds (a full outage, not a partial one).
    pub(crate) fn full_outage(&self) -> bool {
        match self {
            IncidentCause::UndetectedFailure { .. } => false,
            IncidentCause::DataMissing { full } => *full,
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_in_index_order_and_names_match_serde() {
        for (i, c) in Cause::ALL.iter().enumerate() {
            assert_eq!(c.index(), i);
            assert_eq!(serde_json::to_string(c).unwrap(), format!("\"{}\"", c.name()));
        }
    }

    #[test]
    fn incident_causes_round_trip_with_their_kind_tag() {
        let servers = vec!["web2".to_string(), "web3".to_string()];
        for c in [
            IncidentCause::NoBalancer,
            IncidentCause::NoStoragePrimary,
            IncidentCause::NoWebInRotation,
            IncidentCause::AllWebFailed,
            IncidentCause::UndetectedFailure { servers },
            IncidentCause::DataMissing { full: false },
            IncidentCause::DataMissing { full: true },
        ] {
            let json = serde_json::to_value(&c).unwrap();
            assert_eq!(json["kind"], c.kind());
            assert_eq!(serde_json::from_value::<IncidentCause>(json).unwrap(), c);
            let partial = c.kind() == "undetected_failure" || c == IncidentCause::DataMissing { full: false };
            assert_eq!(c.full_outage(), !partial);
        }
    }
}
