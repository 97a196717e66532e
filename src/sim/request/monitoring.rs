//! Monitoring glue: disk fill, Prometheus scrapes and the `Alerting` machine's pages.

use super::*;

impl World<'_> {
    /// Disk in use on storage node `p` at `now` [bytes].
    pub(super) fn disk_used(&self, now: SimTime, p: usize) -> f64 {
        let mo = self.m.monitoring.as_ref().expect("monitoring on");
        let (bytes, since, rate) = self.disk_fill[p];
        mo.data_bytes
            + mo.growth_bytes_per_ns * now.as_nanos() as f64
            + bytes
            + rate * now.since(since).as_nanos() as f64
    }

    /// Prometheus scrapes every server (node_exporter plus a blackbox HTTP probe for `up`):
    /// a server that does not serve reports `up` = 0 and nothing else. Targets are web1..N,
    /// store1..M, then lb1 (`target_names`).
    pub(super) fn on_scrape(&mut self, now: SimTime) {
        let Some(mo) = self.m.monitoring.as_ref() else { return };
        let interval = self.alerting.as_ref().expect("monitoring").config().scrape_interval;
        if now + interval < SimTime::ZERO + self.m.horizon {
            self.q.schedule(now + interval, Ev::Scrape);
        }
        let web_n = self.web.len();
        let cores = f64::from(mo.cores);
        let mut samples: Vec<(usize, Metric, f64)> = Vec::new();
        for (i, srv) in self.web.iter_mut().chain(self.store.iter_mut()).enumerate() {
            let up = srv.failure.is_none();
            samples.push((i, Metric::Up, if up { 1.0 } else { 0.0 }));
            let cpu = (srv.cpu_ns - srv.cpu_ns_scraped) as f64 / interval.as_nanos() as f64;
            srv.cpu_ns_scraped = srv.cpu_ns;
            if !up {
                continue;
            }
            let load1 = cpu + f64::from(srv.queued);
            samples.push((i, Metric::LoadPerCore, load1 / cores));
            samples.push((i, Metric::Load1, load1));
            let mem = mo.memory_base_percent + mo.memory_per_worker_percent * f64::from(srv.busy);
            samples.push((i, Metric::MemoryUsedPercent, mem.min(100.0)));
        }
        for p in 0..self.store.len() {
            if self.store[p].failure.is_some() {
                continue;
            }
            let used = self.disk_used(now, p).min(mo.disk_capacity_bytes);
            samples.push((
                web_n + p,
                Metric::DiskUsedPercent,
                100.0 * used / mo.disk_capacity_bytes,
            ));
            samples.push((web_n + p, Metric::DiskFreeBytes, mo.disk_capacity_bytes - used));
            samples.push((web_n + p, Metric::DiskSizeBytes, mo.disk_capacity_bytes));
        }
        // lb1's HAProxy exporter: requests and responses by class since the start (every
        // failure is a 5xx: 502/503/504 from the balancer or a 500 from the application).
        let lb = web_n + self.store.len();
        let m = &self.metrics;
        samples.push((lb, Metric::HttpRequests, m.arrivals_all as f64));
        samples.push((lb, Metric::HttpResponses2xx, m.ok_all as f64));
        samples.push((lb, Metric::HttpResponses5xx, m.failed_all as f64));
        let a = self.alerting.as_mut().expect("monitoring");
        for (target, metric, value) in samples {
            a.handle_sample(now, target, metric, value);
        }
    }

    /// The `instance` label of every monitoring target, by index.
    pub(super) fn target_names(web_n: usize, store_n: usize) -> Vec<String> {
        (1..=web_n)
            .map(|i| format!("web{i}"))
            .chain((1..=store_n).map(|j| format!("store{j}")))
            .chain(["lb1".to_string()])
            .collect()
    }

    /// Alertmanager notified: a firing notification is a page (one per alert and instant,
    /// whatever the receivers); when Prometheus resolves an alert that paged, its pages get
    /// their resolve time.
    pub(super) fn on_notifications(&mut self, now: SimTime) {
        let names = Self::target_names(self.web.len(), self.store.len());
        let a = self.alerting.as_mut().expect("timer implies monitoring");
        while let Some(n) = a.poll_notification() {
            let target = n.labels.target.map_or_else(|| "park".to_string(), |t| names[t].clone());
            let at_ms = now.as_millis_f64();
            let seen = self
                .metrics
                .alerts
                .iter()
                .any(|p| p.at_ms == at_ms && p.alert == n.alert && p.target == target);
            if n.status == NotificationStatus::Firing && !seen && self.metrics.alerts.len() < ALERTS_MAX {
                self.metrics.alerts.push(crate::sim::metrics::AlertRecord {
                    at_ms,
                    alert: n.alert.clone(),
                    target,
                    resolved_ms: None,
                });
            }
        }
        // Resolve times from the machine's log (state changes since the last look).
        let log = a.log();
        for e in &log[self.alert_log_seen..] {
            if e.change != crate::policy::alerting::StateChange::Resolved {
                continue;
            }
            let target = e.labels.target.map_or_else(|| "park".to_string(), |t| names[t].clone());
            for p in self.metrics.alerts.iter_mut() {
                if p.resolved_ms.is_none() && p.alert == e.rule && p.target == target {
                    p.resolved_ms = Some(e.at.as_millis_f64());
                }
            }
        }
        self.alert_log_seen = log.len();
    }

    /// Storage node `p`'s disk is full: writes fail.
    pub(super) fn disk_full(&self, now: SimTime, p: usize) -> bool {
        self.m
            .monitoring
            .as_ref()
            .is_some_and(|mo| self.disk_used(now, p) >= mo.disk_capacity_bytes)
    }

    /// The alerting machines' timer fired: evaluate, take the notifications, re-arm.
    pub(super) fn on_alert_timer(&mut self, now: SimTime) {
        let a = self.alerting.as_mut().expect("timer implies monitoring");
        a.handle_timeout(now);
        self.on_notifications(now);
        let a = self.alerting.as_ref().expect("timer implies monitoring");
        self.alert_timer = a.poll_timeout();
        if self.alert_timer < SimTime::ZERO + self.m.horizon {
            self.q.schedule(self.alert_timer, Ev::AlertTimer);
        }
    }
}
