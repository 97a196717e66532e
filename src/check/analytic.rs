//! Closed forms from queueing theory, used to validate the simulator.
//!
//! - M/M/c mean response time via Erlang's C formula (Kleinrock, *Queueing Systems* vol. 1,
//!   eq. 3.40; Gross & Harris, *Fundamentals of Queueing Theory*, sec. 2.3).
//! - GI/M/1 with Erlang-k inter-arrivals (E_k/M/1): the waiting-time distribution is
//!   governed by the root sigma in (0, 1) of sigma = A*(mu (1 - sigma)), where A* is the
//!   Laplace-Stieltjes transform of the inter-arrival time; mean response = 1 / (mu (1 - sigma))
//!   (Kleinrock vol. 1, sec. 6.4; Gross & Harris sec. 5.3). Round robin over k servers turns a
//!   Poisson stream into Erlang-k inter-arrivals at each server.
//!
//! Pure functions of their arguments; they know nothing of the simulator.

/// Erlang C: probability an arrival waits in an M/M/c queue with offered load `a` = lambda/mu
/// [Erlang] and `c` servers. Requires a < c.
pub(crate) fn erlang_c(c: u32, a: f64) -> f64 {
    assert!(c >= 1 && a >= 0.0 && a < f64::from(c), "M/M/c needs a < c");
    // Erlang B by the stable recursion B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1)), then C from B.
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (f64::from(k) + a * b);
    }
    let rho = a / f64::from(c);
    b / (1.0 - rho * (1.0 - b))
}

/// Mean response time [s] of M/M/c with arrival rate `lambda` [1/s] and service rate `mu` [1/s].
pub fn mmc_mean_response_s(lambda: f64, mu: f64, c: u32) -> f64 {
    let a = lambda / mu;
    erlang_c(c, a) / (f64::from(c) * mu - lambda) + 1.0 / mu
}

/// The root sigma in (0, 1) of sigma = (k lambda_s / (k lambda_s + mu (1 - sigma)))^k for an
/// E_k/M/1 queue whose arrivals have rate `lambda_s` [1/s] (Erlang-k inter-arrival times with
/// mean 1 / lambda_s) and service rate `mu` [1/s]. Fixed-point iteration converges from 0
/// because the right-hand side is increasing and convex in sigma with a slope < 1 at the root.
pub(crate) fn ekm1_sigma(k: u32, lambda_s: f64, mu: f64) -> f64 {
    assert!(lambda_s < mu, "E_k/M/1 needs lambda < mu");
    let kl = f64::from(k) * lambda_s;
    let mut s = 0.0_f64;
    for _ in 0..100_000 {
        let next = (kl / (kl + mu * (1.0 - s))).powi(k as i32);
        if (next - s).abs() < 1e-15 {
            return next;
        }
        s = next;
    }
    s
}

/// Mean response time [s] of E_k/M/1 (arrival rate `lambda_s`, service rate `mu`).
pub fn ekm1_mean_response_s(k: u32, lambda_s: f64, mu: f64) -> f64 {
    1.0 / (mu * (1.0 - ekm1_sigma(k, lambda_s, mu)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erlang_c_known_values() {
        // M/M/1: C = rho.
        assert!((erlang_c(1, 0.7) - 0.7).abs() < 1e-12);
        // M/M/2 with a = 1: C = 1/3 (textbook value).
        assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
        // M/M/1 mean response 1 / (mu - lambda).
        assert!((mmc_mean_response_s(90.0, 100.0, 1) - 0.1).abs() < 1e-12);
    }

    #[test]
    fn e1_m_1_is_m_m_1() {
        // k = 1: sigma = rho, response 1/(mu - lambda).
        assert!((ekm1_sigma(1, 90.0, 100.0) - 0.9).abs() < 1e-9);
        assert!((ekm1_mean_response_s(1, 90.0, 100.0) - 0.1).abs() < 1e-9);
    }

    #[test]
    fn w1_and_w2_reference_values() {
        // W1: 270 req/s round robin over 3 servers, mean service 10 ms: E3/M/1 at 90/s, mu 100/s.
        let w1 = ekm1_mean_response_s(3, 90.0, 100.0);
        // W2: M/M/3, lambda 270, mu 100.
        let w2 = mmc_mean_response_s(270.0, 100.0, 3);
        // Pooling beats splitting; splitting evenly beats random splitting (M/M/1 at 90/s: 100 ms).
        assert!(w2 < w1 && w1 < 0.1, "w1 {w1} w2 {w2}");
        // Hand check: a = 2.7, Erlang B(3, 2.7) = 0.30880, C = B / (1 - 0.9 (1 - B)) = 0.81706,
        // W = C / (300 - 270) + 1/100 = 0.0372354 s.
        assert!((w2 - 0.037_235_4).abs() < 1e-6, "{w2}");
    }
}
