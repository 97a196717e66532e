//! lb1's side of a request: arrivals, the HAProxy backend's decisions (dispatch, queue,
//! reject), the connect to a web server and its retries and redispatches.

use super::*;

impl World<'_> {
    pub(super) fn on_arrival(&mut self, now: SimTime) {
        let next = self.arrivals.next_after(now);
        if next < SimTime::ZERO + self.m.horizon {
            self.q.schedule_lane(next, Ev::Arrival);
        }
        let slot = self.alloc(now);
        // The key the hash algorithms read: the client (`source`) or the URI's hash (`uri`).
        let hash = match &self.m.uris {
            _ if self.source_hash => self.arrivals.client(),
            Some(uris) => u64::from(uris.hash_at(self.rng.uri.random::<f64>())),
            None => 0,
        };
        let write = self.m.write_fraction > 0.0 && self.rng.mix.random_bool(self.m.write_fraction);
        let bucket = self.metrics.record_arrival(now);
        {
            let r = &mut self.reqs[slot as usize];
            r.hash = hash;
            r.write_left = write;
            r.bucket = bucket;
            r.in_maint = self.maint_out > 0;
        }
        if self.lb_out {
            // lb1 is stopped for its update and there is no second balancer: refused.
            self.fail(now, slot, FailReason::BalancerDown);
            return;
        }
        match self
            .backend
            .handle_request(now, u64::from(slot), hash, &mut self.rng.lb)
        {
            Decision::Dispatch(s) => self.dispatch(now, slot, s as u32),
            Decision::Queued => {
                self.reqs[slot as usize].phase = Phase::LbQueued;
                self.arm_queue_timer();
            }
            Decision::Rejected(why) => self.fail(now, slot, reject_reason(why)),
        }
    }

    /// Act on what the backend decided for queued requests.
    #[inline(always)]
    pub(super) fn pump(&mut self, now: SimTime) {
        while let Some((req, s)) = self.backend.poll_dispatch() {
            let slot = req as u32;
            assert_eq!(
                self.reqs[slot as usize].phase,
                Phase::LbQueued,
                "backend dispatched a request that is not queued"
            );
            self.dispatch(now, slot, s as u32);
        }
        while let Some((req, why)) = self.backend.poll_rejected() {
            let slot = req as u32;
            assert_eq!(
                self.reqs[slot as usize].phase,
                Phase::LbQueued,
                "backend rejected a request that is not queued"
            );
            self.fail(now, slot, reject_reason(why));
        }
        self.arm_queue_timer();
    }

    #[inline(always)]
    pub(super) fn arm_queue_timer(&mut self) {
        if let Some(t) = self.backend.poll_timeout()
            && self.queue_timer.is_none_or(|q| t < q)
        {
            self.queue_timer = Some(t);
            self.q.schedule(t.max(self.q.now()), Ev::QueueTimer);
        }
    }

    /// Open a connection from lb1 to web server `s`.
    #[inline(always)]
    pub(super) fn dispatch(&mut self, now: SimTime, slot: u32, s: u32) {
        let r = &mut self.reqs[slot as usize];
        r.tag = r.tag.wrapping_add(1);
        let tag = r.tag;
        let in_window = self.metrics.in_window(r.arrived);
        r.server = s;
        r.attempt += 1;
        r.lb_open = true;
        r.phase = Phase::Connecting;
        let si = s as usize;
        if in_window {
            self.metrics.web_requests[si] += 1;
            if !self.backend.is_up(si) {
                self.metrics.web_requests_while_down[si] += 1;
            }
        }
        let lat = if self.lb_web_zero {
            SimDuration::ZERO
        } else {
            self.m.topology.lb_web_latency(si).sample(&mut self.rng.lb_web_net[si])
        };
        match self.web_seen(si) {
            Some(Failure::Crash | Failure::LinkDown) => self.q.schedule(
                now + self.m.backend.timeout_connect,
                Ev::ConnectFail {
                    slot,
                    tag,
                    refused: false,
                },
            ),
            Some(Failure::ProcessDeath) => self.q.schedule(
                now + lat + lat,
                Ev::ConnectFail {
                    slot,
                    tag,
                    refused: true,
                },
            ),
            None | Some(Failure::Hang | Failure::Slowdown) => {
                if lat.is_zero() {
                    // What `on_connect` would ask `web_seen` now, it just said.
                    self.accept(now, slot, si);
                } else {
                    self.q.schedule(now + lat, Ev::Connect { slot, tag });
                }
            }
        }
    }

    pub(super) fn on_connect_fail(&mut self, now: SimTime, slot: u32, refused: bool) {
        let r = self.reqs[slot as usize];
        self.observe_traffic(now, r.server as usize, false);
        let cause = if refused {
            ConnectFailure::Refused
        } else {
            ConnectFailure::Timeout
        };
        let decision = self.backend.handle_connect_failure_with(
            now,
            u64::from(slot),
            r.server as usize,
            r.attempt,
            r.hash,
            cause,
            &mut self.rng.lb,
        );
        if !matches!(decision, RetryDecision::Fail(_)) && self.metrics.in_window(r.arrived) {
            self.metrics.retries += 1;
            if !matches!(decision, RetryDecision::Retry { server, .. } if server as u32 == r.server) {
                self.metrics.redispatches += 1;
            }
        }
        match decision {
            // The backend holds a slot on `server` for this request.
            RetryDecision::Retry { server, after } => {
                if after.is_zero() {
                    self.dispatch(now, slot, server as u32);
                } else {
                    let tag = self.bump(slot);
                    self.reqs[slot as usize].server = server as u32;
                    self.q.schedule(now + after, Ev::Retry { slot, tag });
                }
            }
            RetryDecision::Redispatch { after } => {
                let tag = self.bump(slot);
                let rr = &mut self.reqs[slot as usize];
                rr.lb_open = false;
                rr.phase = Phase::Connecting;
                self.q.schedule(now + after, Ev::Redispatch { slot, tag });
            }
            RetryDecision::Queued => {
                let rr = &mut self.reqs[slot as usize];
                rr.lb_open = false;
                rr.phase = Phase::LbQueued;
            }
            RetryDecision::Fail(why) => {
                self.reqs[slot as usize].lb_open = false;
                self.fail(now, slot, reject_reason(why));
            }
        }
        self.pump(now);
    }

    /// The turn-around before a redispatch is over: run the algorithm again.
    pub(super) fn on_redispatch(&mut self, now: SimTime, slot: u32) {
        let r = self.reqs[slot as usize];
        match self
            .backend
            .handle_redispatch(now, u64::from(slot), r.server as usize, r.hash, &mut self.rng.lb)
        {
            Decision::Dispatch(s) => self.dispatch(now, slot, s as u32),
            Decision::Queued => {
                self.reqs[slot as usize].phase = Phase::LbQueued;
                self.arm_queue_timer();
            }
            Decision::Rejected(why) => self.fail(now, slot, reject_reason(why)),
        }
    }
}

fn reject_reason(r: RejectReason) -> FailReason {
    match r {
        RejectReason::NoServer => FailReason::NoServer,
        RejectReason::QueueFull => FailReason::QueueFull,
        RejectReason::QueueTimeout => FailReason::QueueTimeout,
        RejectReason::RetriesExhausted => FailReason::RetriesExhausted,
    }
}
