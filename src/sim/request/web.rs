//! The web tier: accepted connections, the web queue and CPU, completion and failure of a
//! request, and the periodic sweep of `timeout server`.
//!
//! A request's common path (here, in `balancer.rs` and the balancer calls it makes per
//! request) is `#[inline(always)]`: fat LTO left about fifteen calls per request out of line,
//! 7% of W1's instructions (benches/README.md, issue 15).

use super::*;

impl World<'_> {
    /// The request's connection reached its web server (after the lb1-web latency).
    pub(super) fn on_connect(&mut self, now: SimTime, slot: u32) {
        let s = self.reqs[slot as usize].server as usize;
        match self.web_seen(s) {
            // The host died or the process was killed while the SYN was in flight.
            Some(Failure::Crash | Failure::LinkDown) => {
                let tag = self.bump(slot);
                self.q.schedule(
                    now + self.m.backend.timeout_connect,
                    Ev::ConnectFail {
                        slot,
                        tag,
                        refused: false,
                    },
                );
            }
            Some(Failure::ProcessDeath) => {
                let tag = self.bump(slot);
                self.q.schedule(
                    now,
                    Ev::ConnectFail {
                        slot,
                        tag,
                        refused: true,
                    },
                );
            }
            None | Some(Failure::Hang | Failure::Slowdown) => self.accept(now, slot, s),
        }
    }

    /// Web server `s` accepts the request's connection (`web_seen(s)` let it through).
    #[inline(always)]
    pub(super) fn accept(&mut self, now: SimTime, slot: u32, s: usize) {
        self.observe_traffic(now, s, true);
        // Accepted: `timeout server` starts.
        let deadline = now + self.m.timeout_server;
        self.sweep_push(slot, deadline);
        if !self.sweep_scheduled {
            self.sweep_scheduled = true;
            self.q.schedule(deadline, Ev::TimeoutSweep);
        }
        let srv = &mut self.web[s];
        // A stalled server's connections wait in its accept queue (`WebQueued`).
        if srv.busy < srv.workers && srv.failure != Some(Failure::Hang) {
            self.start_web(now, slot);
        } else if srv.queued < srv.queue_max {
            let tag = self.reqs[slot as usize].tag;
            srv.queue.push_back((slot, tag));
            srv.queued += 1;
            self.reqs[slot as usize].phase = Phase::WebQueued;
        } else {
            self.fail(now, slot, FailReason::WebQueueFull);
        }
    }

    #[inline(always)]
    pub(super) fn start_web(&mut self, now: SimTime, slot: u32) {
        // The request and its server indexed once each (each index is a bounds check).
        let r = &mut self.reqs[slot as usize];
        let s = r.server as usize;
        let srv = &mut self.web[s];
        debug_assert!(srv.busy < srv.workers);
        srv.busy += 1;
        let mut d = self.m.web.service.sample(&mut srv.service);
        if srv.factor != 1.0 {
            d = d.mul_f64(srv.factor);
        }
        srv.cpu_ns += d.as_nanos();
        r.tag = r.tag.wrapping_add(1);
        r.phase = Phase::WebActive;
        r.web_done_at = now + d;
        let tag = r.tag;
        self.metrics.web_busy_ns[s] += self.metrics.clip(now, d);
        self.q.schedule(now + d, Ev::WebDone { slot, tag });
    }

    /// After the CPU phase or a storage reply: the next storage call, or the response.
    #[inline(always)]
    pub(super) fn next_step(&mut self, now: SimTime, slot: u32) {
        let r = &mut self.reqs[slot as usize];
        if self.web[r.server as usize].failure == Some(Failure::Hang) {
            let frozen = self.freeze_if_hung(slot, SimDuration::ZERO);
            debug_assert!(frozen);
            return;
        }
        if !r.recorded && (r.reads_left > 0 || r.write_left) {
            if r.reads_left > 0 {
                r.reads_left -= 1;
                r.call_is_write = false;
            } else {
                r.write_left = false;
                r.call_is_write = true;
            }
            let s = r.server as usize;
            let Some(p) = self.primary else {
                // A takeover is in progress: the call waits for the new primary.
                self.at_storage(now, slot);
                return;
            };
            let lat = if self.web_store_zero {
                SimDuration::ZERO
            } else {
                self.m
                    .topology
                    .web_storage_latency(s, p)
                    .expect("validated: every web server reaches the primary")
                    .sample(&mut self.rng.web_store_net[s])
            };
            if lat.is_zero() {
                self.at_storage(now, slot);
            } else {
                let tag = self.bump(slot);
                self.q.schedule(now + lat, Ev::AtStorage { slot, tag });
            }
            return;
        }
        self.finish_web(now, slot);
    }

    /// The web worker is done with the request: free it and send the response.
    #[inline(always)]
    pub(super) fn finish_web(&mut self, now: SimTime, slot: u32) {
        let r = &self.reqs[slot as usize];
        // Starting the next queued request leaves this one as it is.
        let (s, recorded) = (r.server as usize, r.recorded);
        let srv = &mut self.web[s];
        assert!(srv.busy > 0, "web{} worker count underflow", s + 1);
        srv.busy -= 1;
        self.start_next_web(now, s);
        if recorded {
            // Abandoned after `timeout server`: nobody waits for the answer.
            self.release(slot);
            return;
        }
        // Checked first: no cut at all is the hot path's only case.
        if !self.cuts.is_empty() && self.cut(self.web_node[s], self.lb_node) {
            // The response is dropped by a partition: lb1 waits for `timeout server`.
            self.bump(slot);
            self.reqs[slot as usize].phase = Phase::Lost;
            return;
        }
        let lat = if self.lb_web_zero {
            SimDuration::ZERO
        } else {
            self.m.topology.lb_web_latency(s).sample(&mut self.rng.lb_web_net[s])
        };
        if lat.is_zero() {
            self.complete(now, slot);
        } else {
            let tag = self.bump(slot);
            self.reqs[slot as usize].phase = Phase::ToLb;
            self.q.schedule(now + lat, Ev::Response { slot, tag });
        }
    }

    #[inline(always)]
    pub(super) fn start_next_web(&mut self, now: SimTime, s: usize) {
        loop {
            let srv = &mut self.web[s];
            if srv.busy >= srv.workers || srv.failure == Some(Failure::Hang) {
                return;
            }
            let Some((next, tag)) = srv.queue.pop_front() else {
                return;
            };
            let r = &self.reqs[next as usize];
            if r.tag == tag && r.phase == Phase::WebQueued && r.server as usize == s {
                srv.queued -= 1;
                self.start_web(now, next);
            }
        }
    }

    /// The response reached lb1: success.
    #[inline(always)]
    pub(super) fn complete(&mut self, now: SimTime, slot: u32) {
        let r = self.lb_close(now, slot);
        debug_assert!(!r.recorded, "a request is recorded once");
        let mut latency = now.since(r.arrived);
        if !self.client_zero {
            let d = self.m.topology.client_latency();
            latency += d.sample(&mut self.rng.client_net) + d.sample(&mut self.rng.client_net);
        }
        self.metrics.record_ok(r.bucket, r.arrived, latency);
        if r.in_maint && self.metrics.in_window(r.arrived) {
            self.metrics.maintenance_ok += 1;
        }
        self.release(slot);
        self.pump(now);
    }

    /// lb1 stops counting the request's connection to its server (its answer or its failure
    /// reached the client); returns the request as it is then.
    #[inline(always)]
    pub(super) fn lb_close(&mut self, now: SimTime, slot: u32) -> Req {
        let r = &mut self.reqs[slot as usize];
        assert!(r.lb_open, "lb1 closes a connection it does not count (slot {slot})");
        r.lb_open = false;
        let r = *r;
        self.backend.handle_done(now, r.server as usize);
        r
    }

    /// Record a failure and close its connection at lb1 if it holds one; what it holds on a
    /// web server is the caller's.
    pub(super) fn record_failure(&mut self, now: SimTime, slot: u32, why: FailReason) {
        let r = self.reqs[slot as usize];
        debug_assert!(!r.recorded, "a request is recorded once");
        self.metrics.record_failure(r.bucket, r.arrived, why);
        if r.in_maint && self.metrics.in_window(r.arrived) {
            self.metrics.maintenance_failed += 1;
        }
        if r.lb_open {
            self.lb_close(now, slot);
        }
    }

    /// Record a failure. Cleans up whatever the request holds at lb1 and on a web server.
    pub(super) fn fail(&mut self, now: SimTime, slot: u32, why: FailReason) {
        let r = self.reqs[slot as usize];
        self.record_failure(now, slot, why);
        match r.phase {
            Phase::WebActive | Phase::Frozen => {
                // The worker finishes it without a client; the slot is freed then.
                self.reqs[slot as usize].recorded = true;
            }
            Phase::WebQueued => {
                // Its queue entry goes stale with the slot and is skipped when popped.
                self.web[r.server as usize].queued -= 1;
                self.release(slot);
            }
            _ => self.release(slot),
        }
        self.pump(now);
    }

    /// Fail every request whose `timeout server` expired; re-arm for the next one still
    /// waiting. Requests that no longer wait for a response are dropped from the list whatever
    /// their deadline, so the sweep wakes about once per `timeout server`, not once per request.
    pub(super) fn on_sweep(&mut self, now: SimTime) {
        self.sweep_scheduled = false;
        while self.sweep_head != NO_SLOT {
            let slot = self.sweep_head;
            let r = self.reqs[slot as usize];
            let waiting = matches!(
                r.phase,
                Phase::WebQueued | Phase::WebActive | Phase::Lost | Phase::Frozen
            );
            let live = waiting && !r.recorded;
            if live && r.deadline > now {
                self.sweep_scheduled = true;
                self.q.schedule(r.deadline, Ev::TimeoutSweep);
                return;
            }
            self.sweep_unlink(slot);
            if live {
                self.fail(now, slot, FailReason::ServerTimeout);
            }
        }
    }

    /// Sets `slot`'s `deadline` and puts it at the back of the `timeout server` list (a
    /// request accepted again after a retry moves there): its deadline is the latest so far.
    #[inline(always)]
    fn sweep_push(&mut self, slot: u32, deadline: SimTime) {
        if self.reqs[slot as usize].in_sweep {
            self.sweep_unlink(slot);
        }
        let tail = self.sweep_tail;
        let r = &mut self.reqs[slot as usize];
        r.deadline = deadline;
        r.in_sweep = true;
        r.sweep_prev = tail;
        r.sweep_next = NO_SLOT;
        if tail != NO_SLOT {
            let t = &mut self.reqs[tail as usize];
            debug_assert!(t.deadline <= deadline);
            t.sweep_next = slot;
        } else {
            self.sweep_head = slot;
        }
        self.sweep_tail = slot;
    }

    /// Removes `slot` from the `timeout server` list if it is in it.
    #[inline(always)]
    pub(super) fn sweep_unlink(&mut self, slot: u32) {
        if let Some((prev, next)) = self.reqs[slot as usize].sweep_mark_out() {
            self.sweep_splice(slot, prev, next);
        }
    }

    /// Joins the neighbours of `slot` in the `timeout server` list (`slot` is already marked
    /// out: `Req::sweep_mark_out`).
    #[inline(always)]
    pub(super) fn sweep_splice(&mut self, slot: u32, prev: u32, next: u32) {
        if prev != NO_SLOT {
            self.reqs[prev as usize].sweep_next = next;
        } else {
            debug_assert_eq!(self.sweep_head, slot);
            self.sweep_head = next;
        }
        if next != NO_SLOT {
            self.reqs[next as usize].sweep_prev = prev;
        } else {
            debug_assert_eq!(self.sweep_tail, slot);
            self.sweep_tail = prev;
        }
    }
}
