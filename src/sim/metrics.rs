//! What one replication measures: integer counts, a latency histogram, busy times and a
//! per-bucket time series. Floats appear only when a report is made from these.
//!
//! Only requests that arrive after the warm-up and before the horizon are counted; busy time
//! is clipped to the same window. Must never read a clock (wall-clock figures live in perf).

use crate::units::{SimDuration, SimTime};
use hdrhistogram::Histogram;
use serde::Serialize;

/// Why a request failed. The order is the column order of every report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FailReason {
    /// HAProxy 503: no usable server in the backend.
    NoServer,
    /// The backend queue was at its bound.
    QueueFull,
    /// HAProxy 503 after `timeout queue`.
    QueueTimeout,
    /// Every connection attempt failed (`retries` used up).
    RetriesExhausted,
    /// HAProxy 504: no response within `timeout server`.
    ServerTimeout,
    /// HAProxy 502: the server process died while handling the request.
    ConnectionReset,
    /// The web server's accept queue was full.
    WebQueueFull,
    /// The storage primary failed the request's storage call (web answers 500).
    StorageError,
    /// No balancer answers at the site's address (lb1 stopped for its update): refused.
    BalancerDown,
}

impl FailReason {
    pub(crate) const ALL: [FailReason; 9] = [
        FailReason::NoServer,
        FailReason::QueueFull,
        FailReason::QueueTimeout,
        FailReason::RetriesExhausted,
        FailReason::ServerTimeout,
        FailReason::ConnectionReset,
        FailReason::WebQueueFull,
        FailReason::StorageError,
        FailReason::BalancerDown,
    ];
    pub(crate) fn name(self) -> &'static str {
        match self {
            FailReason::NoServer => "no_server",
            FailReason::QueueFull => "queue_full",
            FailReason::QueueTimeout => "queue_timeout",
            FailReason::RetriesExhausted => "retries_exhausted",
            FailReason::ServerTimeout => "server_timeout",
            FailReason::ConnectionReset => "connection_reset",
            FailReason::WebQueueFull => "web_queue_full",
            FailReason::StorageError => "storage_error",
            FailReason::BalancerDown => "balancer_down",
        }
    }
}

/// Highest latency the histogram tracks [ns] (1 hour); larger values are clamped.
pub(crate) const LATENCY_NS_MAX: u64 = 3_600_000_000_000;
/// Histogram precision: 3 significant digits, i.e. relative error <= 0.1%.
pub(crate) const LATENCY_SIGFIG: u8 = 3;
/// Sub-buckets in half a bucket of the latency histogram, as a power of two: hdrhistogram's
/// `sub_bucket_half_count_magnitude` for 1 ns units at `LATENCY_SIGFIG` digits,
/// ceil(log2(2 x 10^digits)) - 1.
const SUB_HALF_MAGNITUDE: u32 = {
    let single_unit_below = 2 * 10u64.pow(LATENCY_SIGFIG as u32);
    u64::BITS - (single_unit_below - 1).leading_zeros() - 1
};

/// The latency histogram's buckets counted by index while a replication runs: a record is a
/// leading-zero count, a shift and an increment, where `Histogram::record` also keeps its
/// total, minimum and maximum (about 60 instructions per request, benches/README.md).
/// `drain_into` records each bucket's lowest value with its count, which gives the histogram
/// that recording every value would have given: its counts are the same, and it keeps its
/// minimum and maximum per bucket. The index is hdrhistogram's (`index_for`, `value_for`, for
/// 1 ns units); a test checks it against the crate on every bucket.
#[derive(Clone, Debug)]
pub(crate) struct LatencyCounts {
    counts: Vec<u64>,
}

impl LatencyCounts {
    fn new() -> Self {
        LatencyCounts {
            counts: vec![0; Self::index(LATENCY_NS_MAX) + 1],
        }
    }

    /// The bucket of `ns` in 1..=`LATENCY_NS_MAX`.
    #[inline]
    fn index(ns: u64) -> usize {
        let lz_base = 64 - SUB_HALF_MAGNITUDE - 1;
        let bucket = lz_base - (ns | ((2 << SUB_HALF_MAGNITUDE) - 1)).leading_zeros();
        let sub = (ns >> bucket) as usize;
        ((bucket as usize + 1) << SUB_HALF_MAGNITUDE) + sub - (1 << SUB_HALF_MAGNITUDE)
    }

    /// The lowest value of bucket `i`.
    fn lowest(i: usize) -> u64 {
        let half = 1usize << SUB_HALF_MAGNITUDE;
        match (i >> SUB_HALF_MAGNITUDE).checked_sub(1) {
            Some(bucket) => (((i & (half - 1)) + half) as u64) << bucket,
            None => i as u64,
        }
    }

    #[inline]
    fn record(&mut self, ns: u64) {
        self.counts[Self::index(ns.clamp(1, LATENCY_NS_MAX))] += 1;
    }

    /// Moves the counts into `h` (a histogram of 1..=`LATENCY_NS_MAX` at `LATENCY_SIGFIG`) and
    /// frees them: a record after this is a bug, and fails.
    fn drain_into(&mut self, h: &mut Histogram<u64>) {
        for (i, &c) in std::mem::take(&mut self.counts).iter().enumerate() {
            if c > 0 {
                h.record_n(Self::lowest(i), c)
                    .expect("a bucket of the histogram's range");
            }
        }
    }
}

/// Upper bound on time-series buckets per replication.
pub(crate) const TIMESERIES_BUCKETS_MAX: u64 = 200_000;

/// One time-series bucket.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Bucket {
    pub(crate) arrivals: u64,
    pub(crate) ok: u64,
    pub(crate) failed: u64,
    pub(crate) latency_ns_sum: u128,
    pub(crate) latency_ns_max: u64,
}

/// A health-check transition, for the event log and detection-time checks.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct StateChange {
    pub(crate) at_ms: f64,
    pub(crate) server: String,
    pub(crate) up: bool,
}

/// Everything one replication measured.
/// Pages kept per replication.
pub(crate) const ALERTS_MAX: usize = 1000;

/// A page to on-call: Alertmanager sent a firing notification.
#[derive(Clone, Debug, serde::Serialize)]
pub(crate) struct AlertRecord {
    pub(crate) at_ms: f64,
    pub(crate) alert: String,
    pub(crate) target: String,
    /// When the alert that paged stopped firing (Prometheus resolved it); `None` if it was
    /// still firing at the end of the run.
    pub(crate) resolved_ms: Option<f64>,
}

/// A successful response slower than this was noticed by the visitor: one second, the limit
/// for a user's flow of thought to stay uninterrupted (Nielsen, "Response Times: The 3
/// Important Limits", 1993).
pub(crate) const SLOW_NS: u64 = 1_000_000_000;

#[derive(Clone, Debug)]
/// What one request-level replication measured, over its measured window.
pub struct RepMetrics {
    pub(crate) window_start: SimTime,
    pub(crate) window_end: SimTime,
    /// Requests that arrived.
    pub arrivals: u64,
    /// Requests that succeeded.
    pub ok: u64,
    pub(crate) failed: [u64; FailReason::ALL.len()],
    pub(crate) retries: u64,
    pub(crate) redispatches: u64,
    /// Sum of the successful requests' latencies [ns].
    pub latency_ns_sum: u128,
    /// Successful latencies in the window, whole when the run is over (`settle_latency`).
    pub(crate) latency: Histogram<u64>,
    /// The same while the run goes on.
    latency_counts: LatencyCounts,
    /// CPU busy time of each web server within the window [ns].
    pub(crate) web_busy_ns: Vec<u64>,
    pub(crate) web_workers: u32,
    /// Requests each web server received within the window.
    pub(crate) web_requests: Vec<u64>,
    /// Requests sent to each web server after the balancer marked it DOWN (must be 0).
    pub(crate) web_requests_while_down: Vec<u64>,
    pub(crate) storage_busy_ns: Vec<u64>,
    pub(crate) storage_workers: u32,
    pub(crate) bucket_width: SimDuration,
    pub(crate) buckets: Vec<Bucket>,
    arrival_bucket: u32,
    arrival_bucket_end: u64,
    pub(crate) state_changes: Vec<StateChange>,
    /// Storage takeovers: from the primary failing (or being cut off) to a new primary [ms].
    pub takeover_ms: Vec<f64>,
    /// Acknowledged writes lost at takeovers (the async replication lag) [ns of writes].
    pub(crate) failover_lost_writes_ns: u64,
    /// The most lost at one takeover [ns of writes].
    pub(crate) failover_lost_writes_ns_max: u64,
    /// Time two storage nodes were writable at once, within the window [ns].
    pub split_brain_ns: u64,
    /// Pages to on-call (firing notifications), first `ALERTS_MAX`.
    pub(crate) alerts: Vec<AlertRecord>,
    /// Successful requests slower than `SLOW_MS` (visitors who noticed without an error).
    pub(crate) slow: u64,
    /// Planned maintenance windows opened within the window.
    pub(crate) maintenance_windows: u64,
    /// Time some server was out for planned maintenance (from `drain` to back in service),
    /// within the window [ns].
    pub(crate) maintenance_ns: u64,
    /// Requests that arrived while a server was out for planned maintenance and succeeded,
    /// or failed (counted in `ok` and `failed` too).
    pub(crate) maintenance_ok: u64,
    pub(crate) maintenance_failed: u64,
    /// Simulator work, for perf.json.
    pub events: u64,
    /// Arrivals, successes and failures since time 0 (warm-up included): the HAProxy
    /// exporter's request and response counters that monitoring scrapes. Not a result.
    pub(crate) arrivals_all: u64,
    pub(crate) ok_all: u64,
    pub(crate) failed_all: u64,
}

impl RepMetrics {
    pub(crate) fn new(
        window_start: SimTime,
        window_end: SimTime,
        web: usize,
        web_workers: u32,
        storage: usize,
        storage_workers: u32,
    ) -> Self {
        let span = window_end.as_nanos();
        let mut bucket_width = SimDuration::from_mins(1);
        while span / bucket_width.as_nanos() >= TIMESERIES_BUCKETS_MAX {
            bucket_width = bucket_width.saturating_mul(2);
        }
        let n = span.div_ceil(bucket_width.as_nanos()) as usize;
        RepMetrics {
            window_start,
            window_end,
            arrivals: 0,
            ok: 0,
            failed: [0; FailReason::ALL.len()],
            retries: 0,
            redispatches: 0,
            latency_ns_sum: 0,
            latency: Histogram::new_with_bounds(1, LATENCY_NS_MAX, LATENCY_SIGFIG).expect("valid histogram bounds"),
            latency_counts: LatencyCounts::new(),
            web_busy_ns: vec![0; web],
            web_workers,
            web_requests: vec![0; web],
            web_requests_while_down: vec![0; web],
            storage_busy_ns: vec![0; storage],
            storage_workers,
            bucket_width,
            buckets: vec![Bucket::default(); n],
            arrival_bucket: 0,
            arrival_bucket_end: bucket_width.as_nanos(),
            state_changes: Vec::new(),
            takeover_ms: Vec::new(),
            failover_lost_writes_ns: 0,
            failover_lost_writes_ns_max: 0,
            split_brain_ns: 0,
            slow: 0,
            maintenance_windows: 0,
            maintenance_ns: 0,
            maintenance_ok: 0,
            maintenance_failed: 0,
            alerts: Vec::new(),
            events: 0,
            arrivals_all: 0,
            ok_all: 0,
            failed_all: 0,
        }
    }

    /// Whether a request that arrived at `t` is measured.
    #[inline]
    pub(crate) fn in_window(&self, t: SimTime) -> bool {
        self.window_start <= t && t < self.window_end
    }

    /// Count an arrival at `t` (arrivals come in time order) and return its time-series
    /// bucket, which the request carries so its outcome lands in the same bucket without a
    /// division on the hot path.
    #[inline]
    pub(crate) fn record_arrival(&mut self, t: SimTime) -> u32 {
        debug_assert!(t.as_nanos() >= self.arrival_bucket_end.saturating_sub(self.bucket_width.as_nanos()));
        while t.as_nanos() >= self.arrival_bucket_end {
            self.arrival_bucket += 1;
            self.arrival_bucket_end = self.arrival_bucket_end.saturating_add(self.bucket_width.as_nanos());
        }
        if let Some(b) = self.buckets.get_mut(self.arrival_bucket as usize) {
            b.arrivals += 1;
        }
        self.arrivals_all += 1;
        if self.in_window(t) {
            self.arrivals += 1;
        }
        self.arrival_bucket
    }

    /// A success: `arrived` is when the request reached the balancer, `bucket` what
    /// `record_arrival` returned for it.
    #[inline]
    pub(crate) fn record_ok(&mut self, bucket: u32, arrived: SimTime, latency: SimDuration) {
        let ns = latency.as_nanos();
        self.ok_all += 1;
        if let Some(b) = self.buckets.get_mut(bucket as usize) {
            b.ok += 1;
            b.latency_ns_sum += u128::from(ns);
            b.latency_ns_max = b.latency_ns_max.max(ns);
        }
        if self.in_window(arrived) {
            self.ok += 1;
            self.slow += u64::from(ns > SLOW_NS);
            self.latency_ns_sum += u128::from(ns);
            self.latency_counts.record(ns);
        }
    }

    /// Moves the latencies counted during the run into `latency`; the run's end calls it.
    pub(crate) fn settle_latency(&mut self) {
        self.latency_counts.drain_into(&mut self.latency);
    }

    #[inline]
    pub(crate) fn record_failure(&mut self, bucket: u32, arrived: SimTime, reason: FailReason) {
        self.failed_all += 1;
        if let Some(b) = self.buckets.get_mut(bucket as usize) {
            b.failed += 1;
        }
        if self.in_window(arrived) {
            self.failed[reason as usize] += 1;
        }
    }

    /// Add the part of the busy interval [start, start + d) inside the window.
    #[inline]
    pub(crate) fn clip(&self, start: SimTime, d: SimDuration) -> u64 {
        let a = start.max(self.window_start).as_nanos();
        let b = (start.as_nanos().saturating_add(d.as_nanos())).min(self.window_end.as_nanos());
        b.saturating_sub(a)
    }

    /// Requests that failed, every reason together.
    pub fn failed_total(&self) -> u64 {
        self.failed.iter().sum()
    }

    /// Requests with an outcome (the denominator of the success ratio).
    pub fn completed(&self) -> u64 {
        self.ok + self.failed_total()
    }

    // The replication's figures: the one definition `summary.json` (`report::summary`) and
    // the studies (`study::request_figures`) both read.

    /// The measured window [s].
    pub(crate) fn window_s(&self) -> f64 {
        self.window_end.since(self.window_start).as_nanos() as f64 / 1e9
    }

    /// Latency at `quantile` of the successful requests [ms]; 0 when nothing succeeded.
    pub(crate) fn latency_ms_at(&self, quantile: f64) -> f64 {
        if self.latency.is_empty() {
            0.0
        } else {
            self.latency.value_at_quantile(quantile) as f64 / 1e6
        }
    }

    /// Mean latency of the successful requests [ms]; 0 when nothing succeeded.
    pub(crate) fn latency_ms_mean(&self) -> f64 {
        if self.ok == 0 {
            0.0
        } else {
            self.latency_ns_sum as f64 / self.ok as f64 / 1e6
        }
    }

    /// Share of requests with an outcome that succeeded (1 when none has one); with
    /// `exclude_maintenance` (`maintenance.contract = "exclude"`) the requests that arrived
    /// while a server was out for planned maintenance are left out.
    pub(crate) fn success_ratio(&self, exclude_maintenance: bool) -> f64 {
        let (ok, done) = if exclude_maintenance {
            (
                self.ok - self.maintenance_ok,
                self.completed() - self.maintenance_ok - self.maintenance_failed,
            )
        } else {
            (self.ok, self.completed())
        };
        if done == 0 { 1.0 } else { ok as f64 / done as f64 }
    }

    /// Successful requests per second of the window.
    pub(crate) fn throughput_rps(&self) -> f64 {
        self.ok as f64 / self.window_s()
    }

    /// Busy share of web server `i`'s workers over the window.
    pub(crate) fn web_utilisation(&self, i: usize) -> f64 {
        self.web_busy_ns[i] as f64 / (self.window_s() * 1e9 * f64::from(self.web_workers))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn histogram() -> Histogram<u64> {
        Histogram::new_with_bounds(1, LATENCY_NS_MAX, LATENCY_SIGFIG).expect("valid histogram bounds")
    }

    /// Every bucket from 1 ns to `LATENCY_NS_MAX`: its index and lowest value are the crate's,
    /// and the buckets follow one another with no gap.
    #[test]
    fn buckets_are_hdrhistograms() {
        let h = histogram();
        let last = LatencyCounts::index(LATENCY_NS_MAX);
        assert_eq!(LatencyCounts::new().counts.len(), last + 1);
        for i in 1..=last {
            let low = LatencyCounts::lowest(i);
            assert_eq!(LatencyCounts::index(low), i, "bucket {i}");
            assert_eq!(h.lowest_equivalent(low), low, "bucket {i}");
            let high = h.highest_equivalent(low).min(LATENCY_NS_MAX);
            assert_eq!(LatencyCounts::index(high), i, "bucket {i}: {low}..={high}");
            if i < last {
                assert_eq!(LatencyCounts::lowest(i + 1), high + 1, "bucket {i}");
            }
        }
    }

    /// Counting by bucket and draining gives the histogram that recording each value gives.
    #[test]
    fn drained_counts_are_the_recorded_histogram() {
        let (mut direct, mut drained) = (histogram(), histogram());
        let mut counts = LatencyCounts::new();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut values = vec![0, 1, 2, 2047, 2048, 2049, LATENCY_NS_MAX, LATENCY_NS_MAX + 1, u64::MAX];
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Spread over every magnitude up to past the clamp.
            values.push(x >> (x % 64));
        }
        for &v in &values {
            direct.saturating_record(v.clamp(1, LATENCY_NS_MAX));
            counts.record(v);
        }
        counts.drain_into(&mut drained);
        assert!(counts.counts.is_empty(), "drained counts are freed");
        assert_eq!(direct, drained);
        assert_eq!(
            (direct.min(), direct.max(), direct.len()),
            (drained.min(), drained.max(), drained.len())
        );
        for q in [0.0, 0.5, 0.9, 0.99, 0.999, 1.0] {
            assert_eq!(direct.value_at_quantile(q), drained.value_at_quantile(q), "{q}");
        }
        assert_eq!(direct.mean().to_bits(), drained.mean().to_bits());
    }
}
