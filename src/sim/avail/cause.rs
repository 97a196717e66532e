//! Why the site (or part of its traffic) was unavailable: one enum shared by the driver that
//! charges downtime and failed requests (`accounting`) and the reports that print them
//! (`report::summary`, `study::compare`). Never a string across that boundary.

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
    /// A human error's restore. The model restores beside the running site (no downtime), so
    /// this stays zero; it is listed so every baseline shows the same catalogue of causes.
    HumanError,
    /// A slowed web server gets more requests than it can serve.
    Overload,
}

impl Cause {
    pub const COUNT: usize = 8;
    pub const ALL: [Cause; Cause::COUNT] = [
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
    pub fn name(self) -> &'static str {
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
}
