//! Daily backups and restores in the long-horizon driver: feeds the `BackupController` the
//! data size and the backup server's state, draws run outcomes, and follows its restore plans
//! (human errors and the disaster path). The retention and restore rules are the controller's.

use super::*;

impl AvailWorld<'_> {
    pub(super) fn backup_comp(&self) -> Option<usize> {
        self.comps.iter().position(|c| c.kind == Kind::Backup)
    }

    pub(super) fn data_bytes(&self, now: SimTime) -> u64 {
        let b = self.m.backup.as_ref().expect("backups configured");
        (b.data_bytes + b.growth_bytes_per_ns * now.as_nanos() as f64) as u64
    }

    pub(super) fn schedule_human_error(&mut self, now: SimTime) {
        let rate = self
            .m
            .backup
            .as_ref()
            .expect("backups configured")
            .human_error_rate_per_ns;
        if rate <= 0.0 {
            return;
        }
        let e: f64 = rand_distr::Distribution::sample(&rand_distr::Exp1, &mut self.backup_rng);
        let ns = e / rate;
        if ns < (u64::MAX - now.as_nanos()) as f64 {
            self.q
                .schedule(now + SimDuration::from_nanos(ns as u64), Ev::HumanError);
        }
    }

    pub(super) fn on_backup_timer(&mut self, now: SimTime) {
        let bytes = self.data_bytes(now);
        let b = self.backup.as_mut().expect("backups configured");
        b.handle_data_size(now, bytes);
        b.handle_timeout(now);
        self.drain_backup_actions(now);
        let next = self.backup.as_ref().expect("backups configured").poll_timeout();
        self.q.schedule(next.max(now), Ev::BackupTimer);
    }

    pub(super) fn drain_backup_actions(&mut self, now: SimTime) {
        let model = self.m.backup.as_ref().expect("backups configured");
        let epoch = self.backup_comp().map_or(0, |c| self.comps[c].epoch);
        while let Some(a) = self.backup.as_mut().expect("backups configured").poll_action() {
            if let BackupAction::StartBackup {
                id, expected_duration, ..
            } = a
            {
                let u: f64 = self.backup_rng.random();
                let outcome = if u < model.fail_probability {
                    1
                } else if u < model.fail_probability + model.corrupt_probability {
                    2
                } else {
                    0
                };
                self.q.schedule(
                    now + expected_duration,
                    Ev::BackupDone {
                        id: id.0,
                        outcome,
                        epoch,
                    },
                );
            }
        }
    }

    pub(super) fn on_backup_done(&mut self, now: SimTime, id: u64, outcome: u8, epoch: u32) {
        // The backup server failing mid-run fails the run.
        let server_ok = self
            .backup_comp()
            .is_none_or(|c| self.comps[c].epoch == epoch && self.comps[c].up);
        let outcome = match (server_ok, outcome) {
            (false, _) | (_, 1) => BackupOutcome::Failed,
            (true, 2) => BackupOutcome::SilentlyCorrupt,
            _ => BackupOutcome::Ok,
        };
        self.backup
            .as_mut()
            .expect("backups configured")
            .handle_backup_finished(now, BackupId(id), outcome);
        self.drain_backup_actions(now);
    }

    pub(super) fn on_restore_requested(&mut self, now: SimTime, error_at: SimTime, disaster: bool) {
        self.restores.push_back((error_at, disaster));
        if !self.restoring {
            self.next_restore(now);
        }
    }

    pub(super) fn next_restore(&mut self, now: SimTime) {
        let Some((error_at, disaster)) = self.restores.pop_front() else {
            self.restoring = false;
            return;
        };
        self.restoring = true;
        self.restore_disaster = disaster;
        let plan = self
            .backup
            .as_mut()
            .expect("backups configured")
            .plan_restore(error_at, now);
        self.follow_restore(now, plan);
    }

    pub(super) fn follow_restore(&mut self, now: SimTime, plan: RestorePlan) {
        match plan {
            RestorePlan::Try(attempt) => {
                self.restore_snapshot = Some(attempt.snapshot);
                self.q.schedule(attempt.finishes_at.max(now), Ev::RestoreAttemptDone);
            }
            RestorePlan::Done(report) if self.restore_disaster => {
                if report.error_at >= self.warmup {
                    self.metrics.disaster_rpo_h.push(report.rpo.as_secs_f64() / 3600.0);
                    self.metrics.disaster_rto_h.push(report.rto.as_secs_f64() / 3600.0);
                }
                self.storage_back(now);
                self.next_restore(now);
            }
            RestorePlan::NothingToRestore { error_at, .. } if self.restore_disaster => {
                if error_at >= self.warmup {
                    self.metrics.restores_failed += 1;
                }
                self.storage_back(now);
                self.next_restore(now);
            }
            RestorePlan::Done(report) => {
                self.deletion_done();
                if report.error_at >= self.warmup {
                    self.metrics.rpo_h.push(report.rpo.as_secs_f64() / 3600.0);
                    self.metrics.rto_h.push(report.rto.as_secs_f64() / 3600.0);
                    if report.bytes_lost > 0 || !report.rpo.is_zero() {
                        self.metrics.data_loss_events += 1;
                    }
                }
                self.next_restore(now);
            }
            RestorePlan::NothingToRestore { error_at, .. } => {
                // No snapshot to restore: the data is rebuilt by hand or given up; the
                // pages stop failing either way (counted as a data-loss event).
                self.deletion_done();
                if error_at >= self.warmup {
                    self.metrics.restores_failed += 1;
                    self.metrics.data_loss_events += 1;
                }
                self.next_restore(now);
            }
        }
    }

    /// A deletion's restore has ended: its pages serve again.
    fn deletion_done(&mut self) {
        assert!(
            self.deletions_pending > 0,
            "a restore after human error follows a deletion"
        );
        self.deletions_pending -= 1;
    }

    pub(super) fn on_restore_attempt_done(&mut self, now: SimTime) {
        // Whether the snapshot reads back clean is a fact of the simulated data, learnt only
        // now by the restore (the controller cannot know it in advance).
        let b = self.backup.as_mut().expect("backups configured");
        let id = self.restore_snapshot.take().expect("a restore attempt runs");
        let clean = !b.snapshots().iter().any(|s| s.id == id && s.corrupt);
        let plan = b.handle_restore_result(now, clean);
        self.follow_restore(now, plan);
    }
}
