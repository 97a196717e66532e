//! Scenario validation as a table of section checks: every value is checked and resolved into a
//! `Model`, and every refusal is collected (not only the first).
//!
//! Each row of `SECTIONS` checks one part of the file (traffic, web, balancer, faults, ...) and
//! fills its part of a `Draft`. A later section may read what an earlier one resolved; when
//! that part is missing (its section was refused), the later one skips the checks that need it,
//! so one mistake is reported once. **A new key's validation goes in its section's function**
//! (or a new row), never in the driver.

mod backup;
mod balancer;
mod budget;
mod capacity;
mod checks;
mod expect;
mod faults;
mod maintenance;
mod monitoring;
mod reliability;
mod run;
#[cfg(test)]
mod tests;
mod tiers;
mod traffic;

pub(crate) use budget::expected_work;
pub(crate) use faults::fault_table;

use super::{
    BackupModel, LATENCY_SAMPLE_HORIZON, LATENCY_SAMPLE_REPLICATIONS, MaintenanceModel, Mode, Model, MonitoringModel,
    ReliabilityModel, Scenario, ScriptedFault, TierModel, TrafficModel, latency_sample_spec,
};
use crate::model::calendar::Calendar;
use crate::model::dist::Dist;
use crate::model::topology::Topology;
use crate::policy::balancer::BackendSpec;
use crate::policy::health::{CheckSpec, Observe};
use crate::units::SimDuration;

/// A refusal: the dotted key (`web.count`, `fault[2].target`) and what is wrong and valid.
pub(crate) type Invalid = (String, String);

/// The refusals of one section (at least one).
pub(super) struct Refusals(Vec<Invalid>);

impl From<Invalid> for Refusals {
    fn from(e: Invalid) -> Self {
        Refusals(vec![e])
    }
}

/// The result of one section.
type Checked = Result<(), Refusals>;

/// One section check: reads the scenario and what earlier sections resolved.
type Check = fn(&Scenario, &mut Draft) -> Checked;

/// The sections, in order (a row may read what the rows above it resolved).
const SECTIONS: &[(&str, Check)] = &[
    ("name", run::name),
    ("replications", run::replications),
    ("horizon and warmup", run::horizon),
    ("start and timezone", run::calendar),
    ("traffic", traffic::traffic),
    ("requests", traffic::requests),
    ("web", tiers::web),
    ("storage", tiers::storage),
    ("balancer", balancer::backend),
    ("balancer.check", balancer::check),
    ("balancer.vrrp_advert_ms", balancer::vrrp),
    ("topology", faults::topology),
    ("fault", faults::faults),
    ("reliability", reliability::section),
    ("slo", expect::slo),
    ("expect", expect::expects),
    ("backup", backup::backup),
    ("monitoring", monitoring::monitoring),
    ("maintenance", maintenance::section),
    ("capacity", capacity::section),
    ("storage.colocated and promotion", tiers::standby_storage),
    ("budget", budget::section),
];

/// What the sections have resolved so far; `None` = not yet, or refused.
#[derive(Default)]
pub(super) struct Draft {
    replications: Option<u32>,
    horizon: Option<SimDuration>,
    warmup: Option<SimDuration>,
    calendar: Option<Calendar>,
    traffic: Option<TrafficModel>,
    write_fraction: Option<f64>,
    /// The tiers' sizes, which other sections need, apart from the rest of each tier.
    web_count: Option<u32>,
    storage_count: Option<u32>,
    web: Option<TierModel>,
    storage: Option<TierModel>,
    storage_write: Option<Dist>,
    backend: Option<BackendSpec>,
    uris: Option<Option<crate::model::uri::UriPopulation>>,
    timeout_server: Option<SimDuration>,
    /// Per web server.
    check: Option<Vec<Option<CheckSpec>>>,
    /// Per web server.
    observe: Option<Vec<Option<Observe>>>,
    lb_pair: Option<Option<[crate::policy::vrrp::VrrpConfig; 2]>>,
    lb_track: Option<crate::scenario::LbTrack>,
    topology: Option<Topology>,
    faults: Option<Vec<ScriptedFault>>,
    reliability: Option<ReliabilityModel>,
    backup: Option<Option<BackupModel>>,
    monitoring: Option<Option<MonitoringModel>>,
    maintenance: Option<Option<MaintenanceModel>>,
    capacity: Option<Option<crate::model::capacity::CapacitySchedule>>,
}

/// Check every value and resolve the scenario into a `Model`; the first refusal if any.
pub fn validate(spec: Scenario) -> Result<Model, Invalid> {
    validate_all(spec).map_err(|mut all| all.swap_remove(0))
}

/// Check every value and resolve the scenario into a `Model`, or every refusal (in section
/// order, at least one).
pub(crate) fn validate_all(spec: Scenario) -> Result<Model, Vec<Invalid>> {
    let mut draft = Draft::default();
    let mut refused = Vec::new();
    for (_, check) in SECTIONS {
        if let Err(Refusals(r)) = check(&spec, &mut draft) {
            refused.extend(r);
        }
    }
    if refused.is_empty() && spec.mode == Mode::Availability {
        // `run` adds a request-level latency sample of the same park: it must be runnable too,
        // so that `validate` and `run` never disagree.
        if let Err(all) = validate_all(latency_sample_spec(&spec)) {
            refused.extend(all.into_iter().map(|(key, message)| {
                (
                    key,
                    format!("{message} (in the request-level latency sample an availability run adds: {LATENCY_SAMPLE_REPLICATIONS} x {LATENCY_SAMPLE_HORIZON} in request mode)"),
                )
            }));
        }
    }
    if !refused.is_empty() {
        return Err(refused);
    }
    Ok(draft.into_model(spec))
}

impl Draft {
    /// The model, once every section has passed (each then filled its part).
    fn into_model(self, spec: Scenario) -> Model {
        const FILLED: &str = "every section passed, so each filled its part";
        Model {
            seed: spec.seed,
            replications: self.replications.expect(FILLED),
            horizon: self.horizon.expect(FILLED),
            warmup: self.warmup.expect(FILLED),
            traffic: self.traffic.expect(FILLED),
            storage_reads: spec.requests.storage_reads,
            write_fraction: self.write_fraction.expect(FILLED),
            backend: self.backend.expect(FILLED),
            uris: self.uris.expect(FILLED),
            checks: self.check.expect(FILLED),
            observes: self.observe.expect(FILLED),
            timeout_server: self.timeout_server.expect(FILLED),
            web: self.web.expect(FILLED),
            storage: self.storage.expect(FILLED),
            storage_write: self.storage_write.expect(FILLED),
            topology: self.topology.expect(FILLED),
            faults: self.faults.expect(FILLED),
            mode: spec.mode,
            reliability: self.reliability.expect(FILLED),
            lb_pair: self.lb_pair.expect(FILLED),
            lb_track: self.lb_track.expect(FILLED),
            backup: self.backup.expect(FILLED),
            monitoring: self.monitoring.expect(FILLED),
            maintenance: self.maintenance.expect(FILLED),
            capacity: self.capacity.expect(FILLED),
            calendar: self.calendar.expect(FILLED),
            spec,
            sources: Default::default(),
        }
    }
}

/// Run `check` on each item, collecting every refusal (items are independent of each other).
fn each<T>(items: impl IntoIterator<Item = T>, mut check: impl FnMut(T) -> Result<(), Invalid>) -> Checked {
    let refused: Vec<Invalid> = items.into_iter().filter_map(|i| check(i).err()).collect();
    if refused.is_empty() {
        Ok(())
    } else {
        Err(Refusals(refused))
    }
}

/// Refuse `key` with `message`.
fn refuse(key: impl Into<String>, message: impl Into<String>) -> Checked {
    Err(Refusals(vec![(key.into(), message.into())]))
}
