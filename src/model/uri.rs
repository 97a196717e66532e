//! The request URIs `balance uri` hashes: `requests.uri_count` paths ranked by Zipf
//! popularity (`requests.uri_zipf_s`), each with the hash the balancer computes for it.
//!
//! Pure data built once per model; the request driver draws a rank per request from its own
//! named stream, the long-horizon driver uses the popularities as weights. Never samples by
//! itself and never names `sim`.

/// Bound on `requests.uri_count` (the table holds one entry per URI).
pub(crate) const URI_COUNT_MAX: u32 = 1_000_000;

/// The path of the URI of popularity rank `rank` (0 = most requested): directories, a file
/// and a query string, so that `balance uri`'s `depth`, `len` and `whole` all matter.
pub fn path(rank: u32) -> String {
    format!("/s{}/p{rank}.html?v={}", rank % 16, rank % 4)
}

/// The URI population as the balancer sees it.
#[derive(Clone, Debug)]
pub(crate) struct UriPopulation {
    /// Per rank: (the balancer's hash of the URI, share of requests); shares sum to 1.
    pub(crate) keys: Vec<(u32, f64)>,
    /// Cumulative shares, per rank (the last is 1).
    cumulative: Vec<f64>,
}

impl UriPopulation {
    /// `count` URIs (1..=URI_COUNT_MAX) with Zipf exponent `s` (finite, >= 0), hashed by `hash`.
    pub(crate) fn new(count: u32, s: f64, hash: impl Fn(&[u8]) -> u32) -> Self {
        assert!((1..=URI_COUNT_MAX).contains(&count) && s.is_finite() && s >= 0.0);
        let weights: Vec<f64> = (1..=count).map(|i| f64::from(i).powf(-s)).collect();
        let total: f64 = weights.iter().sum();
        let mut keys = Vec::with_capacity(count as usize);
        let mut cumulative = Vec::with_capacity(count as usize);
        let mut sum = 0.0;
        for (rank, w) in (0..count).zip(&weights) {
            keys.push((hash(path(rank).as_bytes()), w / total));
            sum += w / total;
            cumulative.push(sum);
        }
        *cumulative.last_mut().expect("count >= 1") = 1.0;
        UriPopulation { keys, cumulative }
    }

    /// The hash of the URI a uniform draw `u` in [0, 1) selects (inverse CDF).
    pub(crate) fn hash_at(&self, u: f64) -> u32 {
        debug_assert!((0.0..1.0).contains(&u));
        let rank = self.cumulative.partition_point(|&c| c <= u).min(self.keys.len() - 1);
        self.keys[rank].0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zipf_shares_and_inverse_cdf() {
        let p = UriPopulation::new(3, 1.0, |b| b.len() as u32);
        let h = 1.0 + 0.5 + 1.0 / 3.0;
        let shares: Vec<f64> = p.keys.iter().map(|k| k.1).collect();
        for (got, want) in shares.iter().zip([1.0 / h, 0.5 / h, 1.0 / 3.0 / h]) {
            assert!((got - want).abs() < 1e-12, "{shares:?}");
        }
        assert_eq!(path(17), "/s1/p17.html?v=1");
        assert_eq!(p.hash_at(0.0), p.keys[0].0);
        assert_eq!(p.hash_at(0.999_999), p.keys[2].0);
        let uniform = UriPopulation::new(4, 0.0, |b| b.len() as u32);
        assert!(uniform.keys.iter().all(|k| (k.1 - 0.25).abs() < 1e-12));
    }
}
