//! Named, portable random streams.
//!
//! Every component and purpose draws from its own ChaCha8 stream, seeded from the root seed,
//! the replication index and a stable name ("web2/service", "traffic/arrivals"). Adding a
//! component therefore never shifts the draws of another. ChaCha8 is a named algorithm whose
//! output is fixed by its specification; a golden test pins the first values so that a
//! dependency bump that changed them would fail loudly. Never use `StdRng`, `SmallRng` or
//! `thread_rng` here: their algorithms may change between releases.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The generator every stream uses.
pub(crate) type StreamRng = ChaCha8Rng;

/// FNV-1a 64-bit: a stable, documented hash of a stream name (std's hashers are not stable
/// across releases, so they must not seed anything).
pub(crate) fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// SplitMix64 finaliser: spreads structured inputs (small seeds, indices) over all 64 bits.
pub(crate) fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Seeds for one replication: derive streams by name.
#[derive(Clone, Copy, Debug)]
pub struct Seeds {
    replication_key: u64,
}

impl Seeds {
    /// The seeds of replication `index` under `root_seed`.
    pub fn new(root_seed: u64, index: u32) -> Self {
        let replication_key = splitmix64(splitmix64(root_seed) ^ splitmix64(0x5eed_0000 + u64::from(index)));
        Seeds { replication_key }
    }

    /// The stream called `name` in this replication.
    pub fn stream(&self, name: &str) -> StreamRng {
        let k = self.replication_key ^ fnv1a64(name.as_bytes());
        let mut seed = [0u8; 32];
        let mut z = k;
        for chunk in seed.chunks_exact_mut(8) {
            z = splitmix64(z);
            chunk.copy_from_slice(&z.to_le_bytes());
        }
        ChaCha8Rng::from_seed(seed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngCore;

    /// Golden values: if this fails after a dependency bump, the generator's output changed
    /// and every published result would silently change with it. Do not update casually.
    #[test]
    fn golden_stream_values() {
        let mut r = Seeds::new(1, 0).stream("traffic/arrivals");
        let got: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        assert_eq!(got, GOLDEN);
        // Raw ChaCha8 with a zero seed: the algorithm itself, independent of our derivation.
        let mut z = ChaCha8Rng::from_seed([0u8; 32]);
        assert_eq!(z.next_u64(), GOLDEN_ZERO_SEED);
    }
    const GOLDEN: [u64; 3] = [1988650954552772132, 10607958879623123449, 17984472468877188146];
    const GOLDEN_ZERO_SEED: u64 = 15438444565445410878;

    #[test]
    fn streams_are_independent_of_each_other_and_of_order() {
        let s = Seeds::new(42, 3);
        let a1 = s.stream("web1/service").next_u64();
        let _b = s.stream("web9/service").next_u64();
        let a2 = s.stream("web1/service").next_u64();
        assert_eq!(a1, a2);
        assert_ne!(a1, s.stream("web2/service").next_u64());
        assert_ne!(a1, Seeds::new(42, 4).stream("web1/service").next_u64());
        assert_ne!(a1, Seeds::new(43, 3).stream("web1/service").next_u64());
    }
}
