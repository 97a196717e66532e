//! The storage tier: sequential storage calls to the primary, their completion or timeout,
//! and web workers frozen while their storage node hangs.

use super::*;

impl World<'_> {
    pub(super) fn at_storage(&mut self, now: SimTime, slot: u32) {
        let tag = self.bump(slot);
        let Some(p) = self.primary else {
            // No writable primary (a takeover): wait for one, up to the client's timeout.
            self.storage_waiting.push((slot, tag));
            self.q
                .schedule(now + STORAGE_CALL_TIMEOUT, Ev::StorageFail { slot, tag });
            return;
        };
        let s = self.reqs[slot as usize].server as usize;
        // Checked first: no cut at all is the hot path's only case.
        if !self.cuts.is_empty()
            && (self.cut(self.web_node[s], self.store_node[p]) || self.cut(self.store_node[p], self.web_node[s]))
        {
            // Partitioned from the primary: the connection times out.
            self.q
                .schedule(now + STORAGE_CALL_TIMEOUT, Ev::StorageFail { slot, tag });
            return;
        }
        if self.reqs[slot as usize].call_is_write && self.disk_full(now, p) {
            // ENOSPC: the database refuses the write at once.
            self.q.schedule(now, Ev::StorageFail { slot, tag });
            return;
        }
        let node = &mut self.store[p];
        match node.failure {
            Some(Failure::Crash | Failure::LinkDown | Failure::Hang) => self
                .q
                .schedule(now + STORAGE_CALL_TIMEOUT, Ev::StorageFail { slot, tag }),
            Some(Failure::ProcessDeath) => self.q.schedule(now, Ev::StorageFail { slot, tag }),
            None | Some(Failure::Slowdown) if node.busy < node.workers => {
                self.storage_join(p, slot);
                self.start_storage(now, p, slot);
            }
            None | Some(Failure::Slowdown) if node.queued < node.queue_max => {
                node.queue.push_back((slot, tag));
                node.queued += 1;
                self.storage_join(p, slot);
            }
            None | Some(Failure::Slowdown) => self.q.schedule(now, Ev::StorageFail { slot, tag }),
        }
    }

    pub(super) fn storage_join(&mut self, p: usize, slot: u32) {
        let r = &mut self.reqs[slot as usize];
        r.store = p as u32;
        r.in_store_service = false;
    }

    pub(super) fn storage_leave(&mut self, p: usize, slot: u32) {
        let r = &mut self.reqs[slot as usize];
        assert_eq!(r.store, p as u32, "request left a storage node it was not at");
        r.store = u32::MAX;
    }

    /// Requests alive at a server, in slot order (deterministic). Faults are rare, so a scan
    /// of the slab here is cheaper than keeping member lists on the hot path.
    pub(super) fn members(&self, is_member: impl Fn(&Req) -> bool) -> Vec<u32> {
        (0..self.reqs.len() as u32)
            .filter(|&i| {
                let r = &self.reqs[i as usize];
                r.phase != Phase::Free && is_member(r)
            })
            .collect()
    }

    pub(super) fn start_storage(&mut self, now: SimTime, p: usize, slot: u32) {
        let write = self.reqs[slot as usize].call_is_write;
        self.reqs[slot as usize].in_store_service = true;
        let node = &mut self.store[p];
        node.busy += 1;
        let dist = if write {
            &self.m.storage_write
        } else {
            &self.m.storage.service
        };
        let mut d = dist.sample(&mut node.service);
        if node.factor != 1.0 {
            d = d.mul_f64(node.factor);
        }
        self.metrics.storage_busy_ns[p] += self.metrics.clip(now, d);
        node.cpu_ns += d.as_nanos();
        let tag = self.reqs[slot as usize].tag;
        self.q.schedule(
            now + d,
            Ev::StorageDone {
                node: p as u32,
                epoch: node.epoch,
                slot,
                tag,
            },
        );
    }

    pub(super) fn on_storage_done(&mut self, now: SimTime, p: u32, epoch: u32, slot: u32, tag: u32) {
        let p = p as usize;
        if self.store[p].epoch != epoch {
            return; // the node failed since: its workers were reset
        }
        assert!(self.store[p].busy > 0, "store{} worker count underflow", p + 1);
        self.store[p].busy -= 1;
        let live = self.live(slot, tag);
        if live {
            self.storage_leave(p, slot);
        }
        while self.store[p].busy < self.store[p].workers {
            let Some((next, g)) = self.store[p].queue.pop_front() else {
                break;
            };
            if self.reqs[next as usize].tag == g && self.reqs[next as usize].store == p as u32 {
                self.store[p].queued -= 1;
                self.start_storage(now, p, next);
            }
        }
        if !live {
            return;
        }
        let s = self.reqs[slot as usize].server as usize;
        // Checked first: no cut at all is the hot path's only case.
        if !self.cuts.is_empty() && self.cut(self.store_node[p], self.web_node[s]) {
            // The reply is dropped by a partition: the client times out.
            let tag = self.bump(slot);
            self.q
                .schedule(now + STORAGE_CALL_TIMEOUT, Ev::StorageFail { slot, tag });
            return;
        }
        let lat = if self.web_store_zero {
            SimDuration::ZERO
        } else {
            self.m
                .topology
                .web_storage_latency(s, p)
                .expect("validated link")
                .sample(&mut self.rng.web_store_net[s])
        };
        if lat.is_zero() {
            self.next_step(now, slot);
        } else {
            let tag = self.bump(slot);
            self.q.schedule(now + lat, Ev::StorageBack { slot, tag });
        }
    }

    /// The storage call failed: the web application answers 500 at once.
    pub(super) fn storage_failed(&mut self, now: SimTime, slot: u32) {
        let r = self.reqs[slot as usize];
        assert_eq!(r.phase, Phase::WebActive, "a storage call holds its web worker");
        if !r.recorded {
            assert!(r.lb_open, "lb1 counts the connection of a request not yet recorded");
            self.record_failure(now, slot, FailReason::StorageError);
            self.reqs[slot as usize].recorded = true;
        }
        // A stalled web server holds the worker until it resumes.
        if !self.freeze_if_hung(slot, SimDuration::ZERO) {
            self.finish_web(now, slot);
        }
        self.pump(now);
    }

    /// If the request's web server is stalled, park the request (`Frozen`) with `left` of CPU
    /// time to run when it resumes, and say so.
    pub(super) fn freeze_if_hung(&mut self, slot: u32, left: SimDuration) -> bool {
        let s = self.reqs[slot as usize].server as usize;
        if self.web[s].failure != Some(Failure::Hang) {
            return false;
        }
        self.bump(slot);
        let r = &mut self.reqs[slot as usize];
        assert!(
            matches!(r.phase, Phase::WebActive),
            "only a request holding a worker freezes"
        );
        r.phase = Phase::Frozen;
        r.frozen_left = left;
        r.web_done_at = SimTime::MAX;
        true
    }

    /// web `s` stalls: requests in their CPU phase freeze with the time they still need;
    /// those in a storage call freeze when the answer comes back; queued ones wait.
    pub(super) fn web_stall(&mut self, now: SimTime, s: usize) {
        self.web[s].failure = Some(Failure::Hang);
        for slot in
            self.members(|r| r.server as usize == s && r.phase == Phase::WebActive && r.web_done_at != SimTime::MAX)
        {
            let left = self.reqs[slot as usize].web_done_at.since(now);
            let frozen = self.freeze_if_hung(slot, left);
            assert!(frozen, "web{} is stalled", s + 1);
        }
    }

    /// web `s` resumes after a stall: frozen requests carry on where they stopped (those whose
    /// `timeout server` expired meanwhile only free their worker), queued ones get workers,
    /// and a health check waiting on the stalled process gets its answer.
    pub(super) fn web_resume(&mut self, now: SimTime, s: usize) {
        assert_eq!(self.web[s].failure, Some(Failure::Hang));
        self.web[s].failure = None;
        for slot in self.members(|r| r.server as usize == s && r.phase == Phase::Frozen) {
            let tag = self.bump(slot);
            let r = &mut self.reqs[slot as usize];
            r.phase = Phase::WebActive;
            r.web_done_at = now + r.frozen_left;
            self.q.schedule(r.web_done_at, Ev::WebDone { slot, tag });
        }
        self.start_next_web(now, s);
        if let Some(seq) = self.hung_probe[s].take() {
            let d = self.m.topology.lb_web_latency(s);
            let back = d.sample(&mut self.rng.check_net[s]);
            self.q.schedule(
                now + back,
                Ev::ProbeResult {
                    server: s as u32,
                    seq,
                    passed: true,
                },
            );
        }
    }
}
