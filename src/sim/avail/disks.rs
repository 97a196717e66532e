//! RAID-1 disks in the long-horizon driver: failures at a (batch-correlated) hazard, SMART
//! warnings, degraded arrays, rebuilds and array losses (which fail the server, and both
//! storage copies lost is the disaster path).

use super::*;

impl AvailWorld<'_> {
    /// Next failure of disk `d` of component `c`, at `factor` x the base hazard. Exponential
    /// lifetimes are memoryless, so re-drawing at a changed hazard is exact.
    pub(super) fn schedule_disk(&mut self, now: SimTime, c: usize, d: usize, factor: f64) {
        let Some(disk) = &self.m.reliability.disk else { return };
        let e: f64 = rand_distr::Distribution::sample(&rand_distr::Exp1, &mut self.comps[c].disk_rng);
        let swarm = self
            .swarm
            .as_ref()
            .map_or(1.0, |sw| if sw.on[4] { sw.intensity[4] } else { 0.0 });
        let ns = e / (disk.rate_per_ns * factor * swarm * self.comps[c].frailty[d]);
        let at = if ns >= (u64::MAX - now.as_nanos()) as f64 {
            SimTime::MAX
        } else {
            now + SimDuration::from_nanos(ns as u64)
        };
        let comp = &mut self.comps[c];
        comp.disk_draw[d] = comp.disk_draw[d].wrapping_add(1);
        let draw = comp.disk_draw[d];
        if at < SimTime::MAX && disk.smart_share > 0.0 && comp.disk_rng.random::<f64>() < disk.smart_share {
            let lead = disk.smart_lead.sample(&mut comp.disk_rng);
            if at.as_nanos() > now.as_nanos() + lead.as_nanos() {
                let warn = SimTime::from_nanos(at.as_nanos() - lead.as_nanos());
                self.q.schedule(
                    warn,
                    Ev::SmartWarning {
                        comp: c as u32,
                        disk: d as u8,
                        draw,
                    },
                );
            }
        }
        let comp = &mut self.comps[c];
        if at < SimTime::MAX {
            self.q.schedule(
                at,
                Ev::DiskFail {
                    comp: c as u32,
                    disk: d as u8,
                    array_epoch: comp.array_epoch,
                    draw,
                },
            );
        }
    }

    /// The hazard multiplier of a new batch of disks (1 without batch correlation).
    pub(super) fn new_batch(&mut self) -> f64 {
        match self.m.reliability.disk.as_ref() {
            Some(d) if d.batch_cv > 0.0 => frailty(d.batch_cv, &mut self.batch_rng),
            _ => 1.0,
        }
    }

    pub(super) fn disk_failed(&mut self, now: SimTime, c: usize, d: usize, array_epoch: u32, draw: u32) {
        if self.comps[c].disk_draw[d] != draw
            || self.comps[c].array_epoch != array_epoch
            || self.comps[c].disks[d] != DiskState::Ok
        {
            return;
        }
        let partner = self.comps[c].disks[1 - d];
        if self.m.reliability.budget_design && partner != DiskState::Ok {
            // The design survives one disk per mirror: do not fail the last copy.
            if now >= self.warmup {
                self.metrics.faults_suppressed_by_budget += 1;
            }
            self.schedule_disk(now, c, d, 1.0);
            return;
        }
        self.comps[c].disks[d] = DiskState::Failed;
        if now >= self.warmup {
            self.metrics.disk_failures += 1;
        }
        if partner == DiskState::Ok {
            // Degraded: the survivor carries on at a raised hazard until the rebuild is done.
            let factor = self.m.reliability.disk.as_ref().expect("disks").degraded_factor;
            self.schedule_disk(now, c, 1 - d, factor);
            let notice = self
                .notice_delay(now, c, RAID)
                .expect("the built-in InstanceDown pages for a degraded array");
            let epoch = self.comps[c].epoch;
            self.q.schedule(
                now + notice,
                Ev::Noticed {
                    job_comp: c as u32,
                    epoch,
                    disk: d as u8,
                },
            );
        } else {
            // The mirror's last good copy is gone: the array is lost with its data.
            if now >= self.warmup {
                self.metrics.raid_array_losses += 1;
            }
            self.comps[c].array_epoch = self.comps[c].array_epoch.wrapping_add(1);
            if let Kind::Storage(_) = self.comps[c].kind {
                let other_has_data = (0..self.m.storage.count as usize).any(|j| {
                    self.store0 + j != c
                        && self.comps[self.store0 + j]
                            .disks
                            .iter()
                            .all(|x| *x != DiskState::Failed)
                });
                if !other_has_data {
                    self.disaster_at = Some(now);
                    if now >= self.warmup {
                        self.metrics.data_loss_events += 1;
                    }
                }
            }
            if self.comps[c].up {
                self.fail(now, c, Failure::Crash, true);
            }
        }
    }
}

/// A batch's hazard multiplier: the shared-frailty model of correlated lifetimes, Z gamma with
/// coefficient of variation `cv` < 1 (shape k = 1/cv^2 > 1), scaled by E[1/Z] = k/(k-1) so the
/// mean lifetime stays 1/rate: the AFR remains the fleet's long-run replacement rate (a
/// replaced slot renews at 1/E[lifetime]), and only the clustering changes.
pub(super) fn frailty(cv: f64, rng: &mut StreamRng) -> f64 {
    let shape = 1.0 / (cv * cv);
    let g = rand_distr::Gamma::new(shape, 1.0 / shape).expect("validated 0 < cv < 1");
    rand_distr::Distribution::sample(&g, rng) * shape / (shape - 1.0)
}
