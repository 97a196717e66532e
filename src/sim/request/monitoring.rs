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
    /// a server that does not serve reports `up` = 0 and nothing else.
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
            let up = srv.status == Status::Up;
            samples.push((i, Metric::Up, if up { 1.0 } else { 0.0 }));
            let cpu = (srv.cpu_ns - srv.cpu_ns_scraped) as f64 / interval.as_nanos() as f64;
            srv.cpu_ns_scraped = srv.cpu_ns;
            if !up {
                continue;
            }
            let load = (cpu + f64::from(srv.queued)) / cores;
            samples.push((i, Metric::LoadPerCore, load));
            let mem = mo.memory_base_percent + mo.memory_per_worker_percent * f64::from(srv.busy);
            samples.push((i, Metric::MemoryUsedPercent, mem.min(100.0)));
        }
        for p in 0..self.store.len() {
            if self.store[p].status != Status::Up {
                continue;
            }
            let used = self.disk_used(now, p).min(mo.disk_capacity_bytes);
            samples.push((
                web_n + p,
                Metric::DiskUsedPercent,
                100.0 * used / mo.disk_capacity_bytes,
            ));
            samples.push((web_n + p, Metric::DiskFreeBytes, mo.disk_capacity_bytes - used));
        }
        let a = self.alerting.as_mut().expect("monitoring");
        for (target, metric, value) in samples {
            a.handle_sample(now, target, metric, value);
        }
    }

    /// Storage node `p`'s disk is full: writes fail.
    pub(super) fn disk_full(&self, now: SimTime, p: usize) -> bool {
        self.m
            .monitoring
            .as_ref()
            .is_some_and(|mo| self.disk_used(now, p) >= mo.disk_capacity_bytes)
    }
}
