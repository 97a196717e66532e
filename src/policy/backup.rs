//! Daily backups to the separate backup server, restic-style retention, and restore planning.
//!
//! Seed requirement: every day a backup of all data is made on a separate server (the backup
//! server) and kept for a long time, so that data lost through human or technical error can
//! always be restored.
//!
//! Where this sits: the policy layer. This is production logic written as a sans-IO state
//! machine: the caller (the simulator, or in principle a real cron wrapper) feeds it inputs
//! through `handle_*` methods, asks `poll_timeout()` when it next needs to be woken, and drains
//! decisions through `poll_action()`. It knows nothing of the simulator.
//!
//! It must never: read a clock (time only arrives as `now` arguments), do I/O, spawn threads,
//! draw random numbers (the caller draws backup outcomes with its own RNG and reports them), or
//! iterate a `HashMap` (only `Vec` / `BTreeMap`, so that results are deterministic).
//!
//! # Calendar
//! Simulated time 0 is **Monday 2024-01-01 00:00 UTC**. Civil dates are computed from the days
//! since then in the proleptic Gregorian calendar (leap years handled), so that the retention
//! buckets are real calendar days, ISO weeks, months and years, as in restic. There are no time
//! zones and no daylight-saving shifts: every day is exactly 86 400 s.
//!
//! # Choices (documented, not sourced)
//! - **Previous backup still running at the scheduled instant**: the new start is *skipped*
//!   (counted in [`BackupStats::skipped_still_running`]), like a cron job wrapped in
//!   `flock -n`. It is not queued, so backups never pile up.
//! - **Backup server down at the scheduled instant**: the start is *postponed* until the target
//!   is back up, then run once (catch-up), like a systemd timer with `Persistent=true`. If the
//!   target is still down when the next daily slot arrives, the missed slot is counted in
//!   [`BackupStats::missed_target_down`] and there is still only one pending catch-up.
//! - **Snapshot time** is the instant the backup *started* (restic records the start time as
//!   the snapshot's time); its size is the data size reported at that instant.

use crate::units::{SimDuration, SimTime};
use std::collections::VecDeque;

/// Days from 1970-01-01 to 2024-01-01, the civil date of simulated time 0.
const EPOCH_DAYS_FROM_1970: i64 = 19_723;
const NANOS_PER_DAY: u64 = 86_400 * 1_000_000_000;

/// Backup scheduler and retention configuration.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct BackupConfig {
    /// Time of day at which the daily backup starts (offset from midnight).
    pub(crate) time_of_day: SimDuration,
    /// Throughput of backup and restore to/from the backup server [bytes/s].
    pub(crate) bandwidth_bytes_per_s: f64,
    /// restic `--keep-daily`.
    pub(crate) keep_daily: u32,
    /// restic `--keep-weekly`.
    pub(crate) keep_weekly: u32,
    /// restic `--keep-monthly`.
    pub(crate) keep_monthly: u32,
    /// restic `--keep-yearly`.
    pub(crate) keep_yearly: u32,
}

impl Default for BackupConfig {
    fn default() -> Self {
        BackupConfig {
            // 02:00: a common low-traffic slot for nightly jobs (model choice).
            time_of_day: SimDuration::from_hours(2),
            // 100 MB/s: roughly a saturated 1 Gbit/s link (model choice).
            bandwidth_bytes_per_s: 100e6,
            // The retention numbers are the example policy in restic's documentation
            // (doc/060_forget.rst, "Removing snapshots according to a policy"):
            // `forget --keep-daily 7 --keep-weekly 5 --keep-monthly 12 --keep-yearly 75`.
            keep_daily: 7,
            keep_weekly: 5,
            keep_monthly: 12,
            keep_yearly: 75,
        }
    }
}

/// Identifies one backup run, and the snapshot it produces if it succeeds.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct BackupId(pub(crate) u64);

/// How a backup run ended (drawn by the caller).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum BackupOutcome {
    /// A good snapshot exists.
    Ok,
    /// The run failed; no snapshot.
    Failed,
    /// A snapshot exists but is bad; this is only discovered when a restore from it is tried.
    SilentlyCorrupt,
}

/// Decisions for the caller.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Action {
    /// Start a backup of `data_bytes`; at the configured bandwidth it takes `expected_duration`.
    /// The caller reports the end with `handle_backup_finished`.
    StartBackup {
        id: BackupId,
        data_bytes: u64,
        expected_duration: SimDuration,
    },
    /// Retention removed these snapshots (restic `forget`); their space may be reclaimed.
    Forget { ids: Vec<BackupId> },
}

/// A kept snapshot.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Snapshot {
    pub(crate) id: BackupId,
    pub(crate) taken_at: SimTime,
    pub(crate) data_bytes: u64,
    /// Ground truth, for reporting only: restore planning never reads it; it only learns that a
    /// snapshot is bad through `handle_restore_result`.
    pub(crate) corrupt: bool,
}

/// Counters for reporting.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct BackupStats {
    pub(crate) started: u64,
    pub(crate) succeeded: u64,
    pub(crate) failed: u64,
    pub(crate) silently_corrupt: u64,
    pub(crate) skipped_still_running: u64,
    pub(crate) missed_target_down: u64,
    pub(crate) forgotten: u64,
}

/// One attempt of a restore: restore `snapshot`; report with `handle_restore_result` at
/// `finishes_at` (a corrupt snapshot is detected at that instant, after reading it all).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RestoreAttempt {
    pub(crate) snapshot: BackupId,
    pub(crate) taken_at: SimTime,
    pub(crate) data_bytes: u64,
    pub(crate) started_at: SimTime,
    pub(crate) finishes_at: SimTime,
}

/// Result of a successful restore.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RestoreReport {
    /// When the data was lost.
    pub(crate) error_at: SimTime,
    /// The snapshot finally restored.
    pub(crate) snapshot: BackupId,
    pub(crate) snapshot_taken_at: SimTime,
    /// Recovery point: `error_at - snapshot_taken_at`.
    pub(crate) rpo: SimDuration,
    /// Net bytes written between the snapshot and the error (last reported size at or before
    /// `error_at` minus the snapshot size, floored at 0). Data rewritten in place is not seen.
    pub(crate) bytes_lost: u64,
    /// When the first restore attempt started.
    pub(crate) started_at: SimTime,
    pub(crate) finished_at: SimTime,
    /// Recovery time: `finished_at - started_at`, including attempts on corrupt snapshots.
    pub(crate) rto: SimDuration,
    /// Snapshots tried and found corrupt, newest first.
    pub(crate) corrupt_tried: Vec<BackupId>,
}

/// What to do next about a restore.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum RestorePlan {
    /// Restore from this snapshot and report the result.
    Try(RestoreAttempt),
    /// Done: data restored.
    Done(RestoreReport),
    /// No usable snapshot taken before the error: total loss of the data.
    NothingToRestore {
        error_at: SimTime,
        /// Snapshots that were tried and found corrupt, newest first.
        corrupt_tried: Vec<BackupId>,
        /// Last reported data size at or before `error_at`: all of it is lost.
        bytes_lost: u64,
    },
}

#[derive(Clone, Debug)]
struct Restore {
    error_at: SimTime,
    started_at: SimTime,
    current: RestoreAttempt,
    corrupt_tried: Vec<BackupId>,
}

/// The backup controller.
#[derive(Clone, Debug)]
pub(crate) struct BackupController {
    cfg: BackupConfig,
    next_slot: SimTime,
    /// A slot came while the target was down: start as soon as it is up.
    catch_up_pending: bool,
    target_up: bool,
    running: Option<BackupId>,
    next_id: u64,
    /// (time, bytes) reports, oldest first; trimmed to what restore planning can need.
    data_history: VecDeque<(SimTime, u64)>,
    /// Snapshot sizes of running backups.
    running_meta: Option<(BackupId, SimTime, u64)>,
    /// Kept snapshots, oldest first (strictly increasing `taken_at`).
    snapshots: Vec<Snapshot>,
    /// Each kept snapshot's retention bucket values, index for index: computed once, so a
    /// daily `forget` costs a walk over the kept snapshots and no calendar arithmetic.
    buckets: Vec<[i64; 4]>,
    actions: Vec<Action>,
    restore: Option<Restore>,
    stats: BackupStats,
}

impl BackupController {
    pub(crate) fn new(cfg: BackupConfig) -> Self {
        assert!(
            cfg.time_of_day.as_nanos() < NANOS_PER_DAY,
            "time_of_day must be within a day"
        );
        assert!(
            cfg.bandwidth_bytes_per_s.is_finite() && cfg.bandwidth_bytes_per_s > 0.0,
            "bandwidth must be positive"
        );
        assert!(
            cfg.keep_daily + cfg.keep_weekly + cfg.keep_monthly + cfg.keep_yearly > 0,
            "an empty retention policy would keep everything; restic refuses it too"
        );
        let next_slot = SimTime::ZERO + cfg.time_of_day;
        BackupController {
            cfg,
            next_slot,
            catch_up_pending: false,
            target_up: true,
            running: None,
            next_id: 0,
            data_history: VecDeque::from([(SimTime::ZERO, 0)]),
            running_meta: None,
            snapshots: Vec::new(),
            buckets: Vec::new(),
            actions: Vec::new(),
            restore: None,
            stats: BackupStats::default(),
        }
    }

    /// The next instant at which `handle_timeout` must be called: the next daily slot.
    /// (A postponed catch-up is triggered by `handle_target_up`, not by a timer.)
    pub(crate) fn poll_timeout(&self) -> SimTime {
        self.next_slot
    }

    /// Run the scheduler at `now`: start the daily backup if its slot has come.
    pub(crate) fn handle_timeout(&mut self, now: SimTime) {
        while self.next_slot <= now {
            self.next_slot += SimDuration::from_days(1);
            if !self.target_up {
                if self.catch_up_pending {
                    self.stats.missed_target_down += 1;
                }
                self.catch_up_pending = true;
            } else if self.running.is_some() {
                self.stats.skipped_still_running += 1;
            } else {
                self.start_backup(now);
            }
        }
    }

    /// The caller reports the current size of the data to back up (it grows with writes).
    pub(crate) fn handle_data_size(&mut self, now: SimTime, bytes: u64) {
        let last = self.data_history.back().expect("history never empty");
        assert!(now >= last.0, "data size reported out of order");
        if last.0 == now {
            self.data_history.pop_back();
        }
        self.data_history.push_back((now, bytes));
    }

    /// The backup server went down.
    pub(crate) fn handle_target_down(&mut self, _now: SimTime) {
        self.target_up = false;
    }

    /// The backup server is back: run a postponed backup now if one is pending.
    pub(crate) fn handle_target_up(&mut self, now: SimTime) {
        self.target_up = true;
        if self.catch_up_pending {
            self.catch_up_pending = false;
            if self.running.is_some() {
                self.stats.skipped_still_running += 1;
            } else {
                self.start_backup(now);
            }
        }
    }

    /// A backup run ended. On success (including a silently corrupt snapshot) retention runs.
    pub(crate) fn handle_backup_finished(&mut self, now: SimTime, id: BackupId, outcome: BackupOutcome) {
        assert_eq!(self.running, Some(id), "finished a backup that is not running");
        let (meta_id, taken_at, data_bytes) = self.running_meta.take().expect("running meta");
        assert_eq!(meta_id, id);
        assert!(now >= taken_at, "backup finished before it started");
        self.running = None;
        match outcome {
            BackupOutcome::Failed => {
                self.stats.failed += 1;
                return;
            }
            BackupOutcome::Ok => self.stats.succeeded += 1,
            BackupOutcome::SilentlyCorrupt => self.stats.silently_corrupt += 1,
        }
        assert!(
            self.snapshots.last().is_none_or(|l| l.taken_at < taken_at),
            "one backup runs at a time: snapshots are taken in order"
        );
        self.buckets.push(buckets(taken_at));
        self.snapshots.push(Snapshot {
            id,
            taken_at,
            data_bytes,
            corrupt: outcome == BackupOutcome::SilentlyCorrupt,
        });
        self.apply_retention();
    }

    /// Drain decisions.
    pub(crate) fn poll_action(&mut self) -> Option<Action> {
        if self.actions.is_empty() {
            None
        } else {
            Some(self.actions.remove(0))
        }
    }

    /// Kept snapshots, oldest first.
    pub(crate) fn snapshots(&self) -> &[Snapshot] {
        &self.snapshots
    }

    pub(crate) fn stats(&self) -> &BackupStats {
        &self.stats
    }

    /// Whether a backup is running.
    #[cfg(test)]
    pub(crate) fn running(&self) -> Option<BackupId> {
        self.running
    }

    /// Data written at `error_at` was lost (e.g. deleted by human error); plan the restore,
    /// starting at `now`. Snapshots are tried newest first among those taken strictly before
    /// `error_at`; the controller does not know which are corrupt until it has tried them.
    pub(crate) fn plan_restore(&mut self, error_at: SimTime, now: SimTime) -> RestorePlan {
        assert!(now >= error_at, "cannot restore before the error");
        assert!(self.restore.is_none(), "a restore is already in progress");
        self.next_restore_step(error_at, now, now, Vec::new())
    }

    /// The caller reports the result of the current restore attempt at `now`.
    /// `ok == false` means the snapshot turned out to be unusable; the next older one is tried.
    pub(crate) fn handle_restore_result(&mut self, now: SimTime, ok: bool) -> RestorePlan {
        let r = self.restore.take().expect("no restore in progress");
        assert!(now >= r.current.started_at, "restore result before its start");
        let snap = self
            .snapshots
            .iter()
            .find(|s| s.id == r.current.snapshot)
            .expect("snapshot under restore was forgotten");
        assert!(!(ok && snap.corrupt), "a corrupt snapshot cannot restore successfully");
        if ok {
            let rpo = r.error_at.since(snap.taken_at);
            let size_at_error = self.data_size_at(r.error_at);
            return RestorePlan::Done(RestoreReport {
                error_at: r.error_at,
                snapshot: snap.id,
                snapshot_taken_at: snap.taken_at,
                rpo,
                bytes_lost: size_at_error.saturating_sub(snap.data_bytes),
                started_at: r.started_at,
                finished_at: now,
                rto: now.since(r.started_at),
                corrupt_tried: r.corrupt_tried,
            });
        }
        let mut corrupt_tried = r.corrupt_tried;
        corrupt_tried.push(r.current.snapshot);
        self.next_restore_step(r.error_at, r.started_at, now, corrupt_tried)
    }

    fn next_restore_step(
        &mut self,
        error_at: SimTime,
        started_at: SimTime,
        now: SimTime,
        corrupt_tried: Vec<BackupId>,
    ) -> RestorePlan {
        let candidate = self
            .snapshots
            .iter()
            .rev()
            .filter(|s| s.taken_at < error_at && !corrupt_tried.contains(&s.id))
            .find(|s| corrupt_tried.last().is_none_or(|&last| s.id < last));
        match candidate {
            None => RestorePlan::NothingToRestore {
                error_at,
                corrupt_tried,
                bytes_lost: self.data_size_at(error_at),
            },
            Some(s) => {
                let attempt = RestoreAttempt {
                    snapshot: s.id,
                    taken_at: s.taken_at,
                    data_bytes: s.data_bytes,
                    started_at: now,
                    finishes_at: now + self.transfer_time(s.data_bytes),
                };
                self.restore = Some(Restore {
                    error_at,
                    started_at,
                    current: attempt.clone(),
                    corrupt_tried,
                });
                RestorePlan::Try(attempt)
            }
        }
    }

    /// Time to move `bytes` at the configured bandwidth.
    pub(crate) fn transfer_time(&self, bytes: u64) -> SimDuration {
        SimDuration::from_secs_f64(bytes as f64 / self.cfg.bandwidth_bytes_per_s)
    }

    /// Last reported data size at or before `t` (the history is in time order: a binary
    /// search, so the cost does not grow with the history).
    fn data_size_at(&self, t: SimTime) -> u64 {
        let after = self.data_history.partition_point(|(at, _)| *at <= t);
        after.checked_sub(1).map_or(0, |i| self.data_history[i].1)
    }

    fn start_backup(&mut self, now: SimTime) {
        assert!(self.running.is_none() && self.target_up);
        let id = BackupId(self.next_id);
        self.next_id += 1;
        let data_bytes = self.data_size_at(now);
        self.running = Some(id);
        self.running_meta = Some((id, now, data_bytes));
        self.stats.started += 1;
        self.actions.push(Action::StartBackup {
            id,
            data_bytes,
            expected_duration: self.transfer_time(data_bytes),
        });
    }

    fn apply_retention(&mut self) {
        // Snapshots are in time order, so newest first is the reverse (what `apply_policy`
        // sorts into).
        let mut keep = keep_newest_first(self.buckets.iter().rev().copied(), &self.policy());
        keep.reverse();
        let under_restore = self.restore.as_ref().map(|r| r.current.snapshot);
        // A snapshot being restored from is locked (restic `forget` waits for the repository
        // lock); keep it. Usually one or two go a day: remove them where they are.
        let forget: Vec<usize> = (0..keep.len())
            .filter(|&i| !keep[i] && Some(self.snapshots[i].id) != under_restore)
            .collect();
        let mut forgotten = Vec::with_capacity(forget.len());
        for &i in forget.iter().rev() {
            self.buckets.remove(i);
            forgotten.push(self.snapshots.remove(i).id);
        }
        forgotten.reverse();
        assert_eq!(self.buckets.len(), self.snapshots.len());
        if !forgotten.is_empty() {
            self.stats.forgotten += forgotten.len() as u64;
            self.actions.push(Action::Forget { ids: forgotten });
        }
        // Trim data-size history: only sizes at or after the oldest snapshot can be asked for
        // (an error before every snapshot is a total loss, reported with the size then; keep
        // one entry before the oldest snapshot for that).
        // A binary search: the oldest snapshot may be decades old (the yearly rule keeps the
        // first one), and walking back to it every day made a run quadratic in its horizon.
        if let Some(oldest) = self.snapshots.first().map(|s| s.taken_at) {
            let first_needed = self
                .data_history
                .partition_point(|(at, _)| *at <= oldest)
                .saturating_sub(1);
            // A deque: dropping the front costs what is dropped, not what stays.
            self.data_history.drain(..first_needed);
        }
    }

    fn policy(&self) -> RetentionPolicy {
        RetentionPolicy {
            daily: self.cfg.keep_daily,
            weekly: self.cfg.keep_weekly,
            monthly: self.cfg.keep_monthly,
            yearly: self.cfg.keep_yearly,
        }
    }
}

/// The calendar-bucket part of a restic `forget` policy (`--keep-last`, `--keep-hourly`,
/// `--keep-within*` and `--keep-tag` are not modelled).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct RetentionPolicy {
    pub(crate) daily: u32,
    pub(crate) weekly: u32,
    pub(crate) monthly: u32,
    pub(crate) yearly: u32,
}

/// restic's `ApplyPolicy` (internal/restic/snapshot_policy.go) for the daily, weekly, monthly
/// and yearly rules. `times` are snapshot times in any order; returns, index for index,
/// whether each snapshot is kept.
///
/// The algorithm, as in restic: walk the snapshots newest first. Each rule has a remaining
/// count and the bucket value (`YYYYMMDD`, ISO `YYYYWW`, `YYYYMM`, `YYYY`) of the last snapshot
/// it kept. For every rule with count left, if the snapshot's bucket value differs from that
/// rule's last one, **or the snapshot is the oldest of all** (restic PR #4366, issue #3624:
/// keep the oldest snapshot while counts are left, to maximise the history kept), the snapshot
/// is kept, that rule's last value becomes this bucket and its count is decremented. So one
/// snapshot may satisfy, and use up a count of, several rules at once (the newest snapshot
/// of a Sunday counts as a daily *and* a weekly). Borg's `prune` differs: a snapshot kept by
/// one rule is not counted by the next rule, so borg keeps more.
///
/// An empty policy keeps everything (restic does the same).
#[cfg(test)]
pub(crate) fn apply_policy(times: &[SimTime], p: &RetentionPolicy) -> Vec<bool> {
    // Newest first; stable for equal times (restic uses sort.Stable on time).
    let mut order: Vec<usize> = (0..times.len()).collect();
    order.sort_by(|&a, &b| times[b].cmp(&times[a]));
    let walked = keep_newest_first(order.iter().map(|&i| buckets(times[i])), p);
    let mut keep = vec![false; times.len()];
    for (&i, k) in order.iter().zip(walked) {
        keep[i] = k;
    }
    keep
}

/// A snapshot's bucket values for the daily (`YYYYMMDD`), weekly (ISO `YYYYWW`), monthly
/// (`YYYYMM`) and yearly (`YYYY`) rules.
fn buckets(t: SimTime) -> [i64; 4] {
    let c = civil_of(t);
    let (iso_year, iso_week) = c.iso_week();
    [
        c.year * 10_000 + c.month as i64 * 100 + c.day as i64,
        iso_year * 100 + iso_week as i64,
        c.year * 100 + c.month as i64,
        c.year,
    ]
}

/// The walk of [`apply_policy`] over snapshots given newest first by their bucket values;
/// returns, in the same order, whether each is kept.
fn keep_newest_first(walk: impl ExactSizeIterator<Item = [i64; 4]>, p: &RetentionPolicy) -> Vec<bool> {
    let n = walk.len();
    if p.daily + p.weekly + p.monthly + p.yearly == 0 {
        return vec![true; n];
    }
    let mut keep = vec![false; n];
    let mut count = [p.daily, p.weekly, p.monthly, p.yearly];
    let mut last: [Option<i64>; 4] = [None; 4];
    for (nr, vals) in walk.enumerate() {
        for r in 0..4 {
            if count[r] == 0 {
                continue;
            }
            if last[r] != Some(vals[r]) || nr == n - 1 {
                keep[nr] = true;
                last[r] = Some(vals[r]);
                count[r] -= 1;
            }
        }
    }
    keep
}

/// A civil (proleptic Gregorian, UTC) date.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Civil {
    pub(crate) year: i64,
    pub(crate) month: u32,
    pub(crate) day: u32,
    /// Days since 1970-01-01.
    days_from_1970: i64,
}

impl Civil {
    /// ISO weekday, 1 = Monday .. 7 = Sunday.
    pub(crate) fn iso_weekday(self) -> u32 {
        // 1970-01-01 was a Thursday (ISO 4).
        ((self.days_from_1970 + 3).rem_euclid(7) + 1) as u32
    }

    /// ISO 8601 (year, week): the week belongs to the year that holds its Thursday
    /// (Go's `time.ISOWeek`, used by restic's weekly bucket).
    pub(crate) fn iso_week(self) -> (i64, u32) {
        let thursday = self.days_from_1970 - self.iso_weekday() as i64 + 4;
        let t = civil_from_days(thursday);
        let jan1 = days_from_civil(t.year, 1, 1);
        let week = (thursday - jan1) / 7 + 1;
        (t.year, week as u32)
    }
}

/// The civil date of a simulated instant (time 0 = Monday 2024-01-01 00:00 UTC).
pub(crate) fn civil_of(t: SimTime) -> Civil {
    let day = (t.as_nanos() / NANOS_PER_DAY) as i64;
    civil_from_days(EPOCH_DAYS_FROM_1970 + day)
}

/// Howard Hinnant's `civil_from_days` (public-domain algorithm, "chrono-Compatible Low-Level
/// Date Algorithms").
fn civil_from_days(z: i64) -> Civil {
    let zz = z + 719_468;
    let era = zz.div_euclid(146_097);
    let doe = zz.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    Civil {
        year: if m <= 2 { y + 1 } else { y },
        month: m,
        day: d,
        days_from_1970: z,
    }
}

/// Howard Hinnant's `days_from_civil`.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    const GB: u64 = 1_000_000_000;

    fn day_at(day: u64, hour: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_days(day) + SimDuration::from_hours(hour)
    }

    /// Drive the controller for `days` days with backups that always succeed after their
    /// expected duration. Returns the start instants.
    fn run_days(c: &mut BackupController, days: u64) -> Vec<SimTime> {
        let mut starts = Vec::new();
        let end = day_at(days, 0);
        let mut pending_finish: Option<(SimTime, BackupId)> = None;
        loop {
            let slot = c.poll_timeout();
            let next = match pending_finish {
                Some((f, _)) if f <= slot => f,
                _ => slot,
            };
            if next >= end {
                break;
            }
            if let Some((f, id)) = pending_finish
                && f == next
            {
                c.handle_backup_finished(f, id, BackupOutcome::Ok);
                pending_finish = None;
                continue;
            }
            c.handle_timeout(next);
            while let Some(a) = c.poll_action() {
                if let Action::StartBackup {
                    id, expected_duration, ..
                } = a
                {
                    starts.push(next);
                    pending_finish = Some((next + expected_duration, id));
                }
            }
        }
        starts
    }

    #[test]
    fn calendar_basics() {
        let c = civil_of(SimTime::ZERO);
        assert_eq!((c.year, c.month, c.day, c.iso_weekday()), (2024, 1, 1, 1));
        assert_eq!(c.iso_week(), (2024, 1));
        // 2024 is a leap year: day 59 is Feb 29, day 366 is 2025-01-01.
        let c = civil_of(day_at(59, 0));
        assert_eq!((c.month, c.day), (2, 29));
        let c = civil_of(day_at(366, 0));
        assert_eq!((c.year, c.month, c.day), (2025, 1, 1));
        // 2024-12-30 (Monday, day 364) is in ISO week 2025-W01.
        assert_eq!(civil_of(day_at(364, 0)).iso_week(), (2025, 1));
        // 2027-01-01 is a Friday: ISO week 2026-W53.
        let d = days_from_civil(2027, 1, 1) - EPOCH_DAYS_FROM_1970;
        let c = civil_of(day_at(d as u64, 0));
        assert_eq!((c.year, c.iso_weekday()), (2027, 5));
        assert_eq!(c.iso_week(), (2026, 53));
        // Round trip.
        for z in -1000..100_000 {
            let c = civil_from_days(z);
            assert_eq!(days_from_civil(c.year, c.month, c.day), z);
        }
    }

    #[test]
    fn schedules_daily_at_time_of_day() {
        let mut c = BackupController::new(BackupConfig::default());
        c.handle_data_size(SimTime::ZERO, 50 * GB);
        let starts = run_days(&mut c, 5);
        assert_eq!(
            starts,
            (0..5).map(|d| day_at(d, 2)).collect::<Vec<_>>(),
            "one backup per day at 02:00"
        );
        // 50 GB at 100 MB/s = 500 s.
        assert_eq!(c.transfer_time(50 * GB), SimDuration::from_secs(500));
        assert_eq!(c.stats().succeeded, 5);
    }

    #[test]
    fn skips_when_previous_still_running() {
        let mut c = BackupController::new(BackupConfig::default());
        c.handle_data_size(SimTime::ZERO, GB);
        assert_eq!(c.poll_timeout(), day_at(0, 2));
        c.handle_timeout(day_at(0, 2));
        let Some(Action::StartBackup { id, .. }) = c.poll_action() else {
            panic!("expected a start");
        };
        // Still running a day later (a stuck backup): the next slot is skipped.
        assert_eq!(c.poll_timeout(), day_at(1, 2));
        c.handle_timeout(day_at(1, 2));
        assert_eq!(c.poll_action(), None);
        assert_eq!(c.stats().skipped_still_running, 1);
        c.handle_backup_finished(day_at(1, 3), id, BackupOutcome::Ok);
        c.handle_timeout(day_at(2, 2));
        assert!(matches!(c.poll_action(), Some(Action::StartBackup { .. })));
    }

    #[test]
    fn target_down_postpones_once() {
        let mut c = BackupController::new(BackupConfig::default());
        c.handle_target_down(day_at(0, 1));
        c.handle_timeout(day_at(0, 2));
        c.handle_timeout(day_at(1, 2));
        assert_eq!(c.poll_action(), None);
        assert_eq!(c.stats().missed_target_down, 1);
        c.handle_target_up(day_at(1, 9));
        assert!(matches!(c.poll_action(), Some(Action::StartBackup { .. })));
        assert_eq!(c.poll_action(), None, "only one catch-up");
        assert_eq!(c.running(), Some(BackupId(0)));
    }

    fn kept_dates(times: &[SimTime], p: &RetentionPolicy) -> Vec<(i64, u32, u32)> {
        let keep = apply_policy(times, p);
        let mut v: Vec<_> = times
            .iter()
            .zip(keep)
            .filter(|(_, k)| *k)
            .map(|(t, _)| {
                let c = civil_of(*t);
                (c.year, c.month, c.day)
            })
            .collect();
        v.sort();
        v
    }

    /// Hand-derived: 20 daily snapshots 2024-01-01 (Mon) .. 2024-01-20 (Sat), keep-daily 3,
    /// keep-weekly 2. ISO weeks: 1..7 W01, 8..14 W02, 15..21 W03.
    /// Newest first: Jan 20 is a new day AND a new week: both counts drop (daily 2, weekly 1).
    /// Jan 19, 18: daily (daily 0). Jan 17..15: same week, daily exhausted: removed.
    /// Jan 14: new week W02 (weekly 0). Everything older: all counts 0: removed.
    /// Kept: Jan 14, 18, 19, 20 (4 snapshots). Borg would also keep Jan 7 (W01), because its
    /// weekly rule would not count Jan 20, already kept by the daily rule.
    #[test]
    fn restic_retention_small_case_one_snapshot_satisfies_several_rules() {
        let times: Vec<SimTime> = (0..20).map(|d| day_at(d, 2)).collect();
        let p = RetentionPolicy {
            daily: 3,
            weekly: 2,
            monthly: 0,
            yearly: 0,
        };
        assert_eq!(
            kept_dates(&times, &p),
            vec![(2024, 1, 14), (2024, 1, 18), (2024, 1, 19), (2024, 1, 20)]
        );
        assert!(!kept_dates(&times, &p).contains(&(2024, 1, 7)), "not borg");
    }

    #[test]
    fn restic_keeps_oldest_while_counts_left() {
        // Two snapshots on the same day, keep-daily 5: the newer is the daily; the older is in
        // the same bucket but is the oldest snapshot and the daily rule has counts left.
        let times = vec![day_at(0, 2), day_at(0, 14)];
        let p = RetentionPolicy {
            daily: 5,
            weekly: 0,
            monthly: 0,
            yearly: 0,
        };
        assert_eq!(apply_policy(&times, &p), vec![true, true]);
        // With keep-daily 1 the count is used up by the newer one: the oldest goes.
        let p1 = RetentionPolicy { daily: 1, ..p };
        assert_eq!(apply_policy(&times, &p1), vec![false, true]);
    }

    /// 400 daily backups from 2024-01-01 to 2025-02-03 (Monday) with restic's documented
    /// example policy 7/5/12/75, run through the scheduler (retention after each backup).
    /// Hand-derived expected set:
    /// - daily 7: 2025-02-03 .. 2025-01-28;
    /// - weekly 5: 02-03 (W06, already daily), 02-02 (W05, daily), 01-26, 01-19, 01-12;
    /// - monthly 12: 02-03, 01-31 (both daily), then last day of Dec 2024 .. Mar 2024 (10);
    /// - yearly 75: 02-03 (2025), 2024-12-31 (2024, already monthly), and the oldest snapshot
    ///   2024-01-01 (restic keeps the oldest while counts are left).
    ///
    /// Total 7 + 3 + 10 + 1 = 21.
    #[test]
    fn restic_retention_400_days() {
        let mut c = BackupController::new(BackupConfig::default());
        c.handle_data_size(SimTime::ZERO, GB);
        run_days(&mut c, 400);
        let mut expected: Vec<(i64, u32, u32)> = vec![
            (2025, 2, 3),
            (2025, 2, 2),
            (2025, 2, 1),
            (2025, 1, 31),
            (2025, 1, 30),
            (2025, 1, 29),
            (2025, 1, 28),
            (2025, 1, 26),
            (2025, 1, 19),
            (2025, 1, 12),
            (2024, 12, 31),
            (2024, 11, 30),
            (2024, 10, 31),
            (2024, 9, 30),
            (2024, 8, 31),
            (2024, 7, 31),
            (2024, 6, 30),
            (2024, 5, 31),
            (2024, 4, 30),
            (2024, 3, 31),
            (2024, 1, 1),
        ];
        expected.sort();
        let mut got: Vec<_> = c
            .snapshots()
            .iter()
            .map(|s| {
                let d = civil_of(s.taken_at);
                (d.year, d.month, d.day)
            })
            .collect();
        got.sort();
        assert_eq!(got, expected);
        assert_eq!(c.stats().succeeded, 400);
        assert_eq!(c.stats().forgotten, 400 - 21);
        // Applying the policy once to the full series gives the same set.
        let all: Vec<SimTime> = (0..400).map(|d| day_at(d, 2)).collect();
        assert_eq!(kept_dates(&all, &c.policy()), expected);
    }

    /// Helper: one backup at `day` 02:00 with `outcome`, data size `bytes`.
    fn one_backup(c: &mut BackupController, day: u64, bytes: u64, outcome: BackupOutcome) {
        c.handle_data_size(day_at(day, 1), bytes);
        c.handle_timeout(day_at(day, 2));
        let Some(Action::StartBackup {
            id,
            expected_duration,
            data_bytes,
        }) = c.poll_action()
        else {
            panic!("expected a start");
        };
        assert_eq!(data_bytes, bytes);
        c.handle_backup_finished(day_at(day, 2) + expected_duration, id, outcome);
        while c.poll_action().is_some() {}
    }

    #[test]
    fn restore_picks_newest_before_error_and_reports_rpo_rto() {
        let mut c = BackupController::new(BackupConfig::default());
        for d in 0..3 {
            one_backup(&mut c, d, (10 + d) * GB, BackupOutcome::Ok);
        }
        // Data grows to 13 GB by day 2 14:00; at 15:00 someone deletes everything.
        c.handle_data_size(day_at(2, 14), 13 * GB);
        let error_at = day_at(2, 15);
        let now = day_at(2, 16);
        let RestorePlan::Try(a) = c.plan_restore(error_at, now) else {
            panic!("expected an attempt");
        };
        assert_eq!(a.taken_at, day_at(2, 2));
        assert_eq!(a.data_bytes, 12 * GB);
        // 12 GB at 100 MB/s = 120 s.
        assert_eq!(a.finishes_at, now + SimDuration::from_secs(120));
        let RestorePlan::Done(r) = c.handle_restore_result(a.finishes_at, true) else {
            panic!("expected done");
        };
        assert_eq!(r.rpo, SimDuration::from_hours(13));
        assert_eq!(r.rto, SimDuration::from_secs(120));
        assert_eq!(r.bytes_lost, GB);
        assert!(r.corrupt_tried.is_empty());
    }

    #[test]
    fn restore_falls_back_past_corrupt_snapshot() {
        let mut c = BackupController::new(BackupConfig::default());
        one_backup(&mut c, 0, 10 * GB, BackupOutcome::Ok);
        one_backup(&mut c, 1, 20 * GB, BackupOutcome::Failed);
        one_backup(&mut c, 2, 30 * GB, BackupOutcome::SilentlyCorrupt);
        assert_eq!(c.snapshots().len(), 2);
        assert!(c.snapshots()[1].corrupt);
        let error_at = day_at(3, 0);
        let now = day_at(3, 1);
        let RestorePlan::Try(a) = c.plan_restore(error_at, now) else {
            panic!()
        };
        assert_eq!(a.taken_at, day_at(2, 2), "newest first; corruption unknown");
        // 30 GB: 300 s to find out it is corrupt.
        let t1 = a.finishes_at;
        assert_eq!(t1, now + SimDuration::from_secs(300));
        let RestorePlan::Try(b) = c.handle_restore_result(t1, false) else {
            panic!()
        };
        assert_eq!(b.taken_at, day_at(0, 2));
        assert_eq!(b.started_at, t1);
        let RestorePlan::Done(r) = c.handle_restore_result(b.finishes_at, true) else {
            panic!()
        };
        assert_eq!(r.rpo, SimDuration::from_hours(22 + 24 * 2));
        // 300 s wasted on the corrupt one plus 100 s for 10 GB.
        assert_eq!(r.rto, SimDuration::from_secs(400));
        assert_eq!(r.corrupt_tried, vec![BackupId(2)]);
        assert_eq!(r.bytes_lost, 20 * GB);
    }

    #[test]
    fn nothing_to_restore_is_total_loss() {
        let mut c = BackupController::new(BackupConfig::default());
        c.handle_data_size(SimTime::ZERO, 5 * GB);
        // Error at 01:00 on day 0, before the first backup.
        let plan = c.plan_restore(day_at(0, 1), day_at(0, 1));
        assert_eq!(
            plan,
            RestorePlan::NothingToRestore {
                error_at: day_at(0, 1),
                corrupt_tried: vec![],
                bytes_lost: 5 * GB
            }
        );
        // Only a corrupt snapshot: tried, fails, total loss.
        one_backup(&mut c, 0, 5 * GB, BackupOutcome::SilentlyCorrupt);
        let RestorePlan::Try(a) = c.plan_restore(day_at(0, 12), day_at(0, 12)) else {
            panic!()
        };
        let plan = c.handle_restore_result(a.finishes_at, false);
        assert!(matches!(plan, RestorePlan::NothingToRestore { ref corrupt_tried, .. }
            if corrupt_tried == &vec![BackupId(0)]));
    }

    #[test]
    #[should_panic(expected = "corrupt snapshot cannot restore")]
    fn corrupt_snapshot_cannot_restore_ok() {
        let mut c = BackupController::new(BackupConfig::default());
        one_backup(&mut c, 0, GB, BackupOutcome::SilentlyCorrupt);
        let RestorePlan::Try(a) = c.plan_restore(day_at(1, 0), day_at(1, 0)) else {
            panic!()
        };
        c.handle_restore_result(a.finishes_at, true);
    }
}
