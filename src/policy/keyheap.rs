//! An indexed 4-ary min-heap of servers by a unique `u64` sort key: the ordered "tree" of
//! HAProxy's fwrr (src/lb_fwrr.c) for large backends. fwrr only ever asks its trees for the
//! first server, inserts, and removes a server it names, so a heap gives the same first
//! server as an ordered set at a fraction of the cost (a pick on 256 servers, issue 15).
//!
//! Keys are unique within a heap (the balancer packs an insertion sequence number into their
//! low 32 bits, [`KeyHeap::renumber`] when that runs out), so the first server is the same
//! whatever order the heap keeps its other entries in. Four children per node: 16-byte
//! entries, so a node's children share a cache line, and half the levels of a binary heap.

/// Position of a server that is in no heap.
const NOT_IN_HEAP: u32 = u32::MAX;
/// Children per node.
const ARITY: usize = 4;

/// The heap entries of one tree. A server's position lives in the [`Slots`] shared by all
/// the heaps of one backend (a server is in at most one tree at a time).
#[derive(Clone, Debug, Default)]
pub(crate) struct KeyHeap {
    entries: Vec<(u64, u32)>,
}

/// Where each server sits in its heap, shared by the heaps of one backend.
#[derive(Clone, Debug)]
pub(crate) struct Slots(Vec<u32>);

impl Slots {
    /// `n` servers, none in a heap.
    pub(crate) fn new(n: usize) -> Self {
        Slots(vec![NOT_IN_HEAP; n])
    }
}

impl KeyHeap {
    /// The server with the smallest key.
    pub(crate) fn first(&self) -> Option<u32> {
        self.entries.first().map(|&(_, s)| s)
    }

    /// Adds server `s` (not in any heap) with `key`.
    #[inline(never)] // keeps the balancer's small-backend scans inlined
    pub(crate) fn insert(&mut self, slots: &mut Slots, s: u32, key: u64) {
        debug_assert_eq!(slots.0[s as usize], NOT_IN_HEAP, "server {s} is already in a heap");
        self.entries.push((key, s));
        let i = self.entries.len() - 1;
        slots.0[s as usize] = i as u32;
        self.sift_up(slots, i);
    }

    /// Removes server `s`, which must be in this heap.
    #[inline(never)] // keeps the balancer's small-backend scans inlined
    pub(crate) fn remove(&mut self, slots: &mut Slots, s: u32) {
        let i = slots.0[s as usize] as usize;
        debug_assert!(
            self.entries.get(i).is_some_and(|e| e.1 == s),
            "server {s} is not in this heap"
        );
        slots.0[s as usize] = NOT_IN_HEAP;
        let last = self.entries.pop().expect("a heap holding a server is not empty");
        if i < self.entries.len() {
            self.entries[i] = last;
            slots.0[last.1 as usize] = i as u32;
            if self.sift_up(slots, i) == i {
                self.sift_down(slots, i);
            }
        }
    }

    /// Gives server `s`, which must be in this heap, a new `key` (a removal and an insertion
    /// in one step).
    #[inline(never)] // keeps the balancer's small-backend scans inlined
    pub(crate) fn rekey(&mut self, slots: &mut Slots, s: u32, key: u64) {
        let i = slots.0[s as usize] as usize;
        debug_assert!(
            self.entries.get(i).is_some_and(|e| e.1 == s),
            "server {s} is not in this heap"
        );
        let old = std::mem::replace(&mut self.entries[i].0, key);
        if key < old {
            self.sift_up(slots, i);
        } else {
            self.sift_down(slots, i);
        }
    }

    /// Replaces the low 32 bits of every key (the balancer's insertion sequence) by the
    /// entry's rank in key order, 0..len: the same order among the entries, and room for new
    /// sequence numbers from `len` on. Returns `len`.
    pub(crate) fn renumber(&mut self) -> u32 {
        let mut order: Vec<usize> = (0..self.entries.len()).collect();
        order.sort_unstable_by_key(|&i| self.entries[i].0);
        for (rank, &i) in order.iter().enumerate() {
            let e = &mut self.entries[i].0;
            *e = (*e & !u64::from(u32::MAX)) | rank as u64;
        }
        self.entries.len() as u32
    }

    #[inline(always)] // into `insert`, `remove` and `rekey`, the only callers
    fn sift_up(&mut self, slots: &mut Slots, mut i: usize) -> usize {
        let e = self.entries[i];
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if self.entries[parent].0 <= e.0 {
                break;
            }
            self.entries[i] = self.entries[parent];
            slots.0[self.entries[i].1 as usize] = i as u32;
            i = parent;
        }
        self.entries[i] = e;
        slots.0[e.1 as usize] = i as u32;
        i
    }

    /// Moves the entry at `i`, which is not below its parent, down to its place: the hole
    /// goes down the smallest children to a leaf, then the entry rises from there (Floyd's
    /// variant).
    #[inline(always)] // into `remove` and `rekey`, the only callers
    fn sift_down(&mut self, slots: &mut Slots, mut i: usize) {
        let e = self.entries[i];
        let n = self.entries.len();
        loop {
            let first = ARITY * i + 1;
            let child = if first + ARITY <= n {
                // All four children: a tournament, two independent comparisons then one.
                let k = &self.entries[first..first + ARITY];
                let a = usize::from(k[1].0 < k[0].0);
                let b = 2 + usize::from(k[3].0 < k[2].0);
                first + if k[b].0 < k[a].0 { b } else { a }
            } else if first < n {
                let mut child = first;
                for c in first + 1..n {
                    if self.entries[c].0 < self.entries[child].0 {
                        child = c;
                    }
                }
                child
            } else {
                break;
            };
            self.entries[i] = self.entries[child];
            slots.0[self.entries[i].1 as usize] = i as u32;
            i = child;
        }
        self.entries[i] = e;
        self.sift_up(slots, i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Random inserts, removals and new keys: the heap's first entry is always the ordered set's.
    #[test]
    fn first_matches_an_ordered_set() {
        let n = 64u32;
        let mut heap = KeyHeap::default();
        let mut slots = Slots::new(n as usize);
        let mut set: BTreeSet<(u64, u32)> = BTreeSet::new();
        let mut keys = vec![None; n as usize];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for seq in 0..50_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let s = (x % n as u64) as u32;
            match keys[s as usize] {
                Some(k) if x.is_multiple_of(3) => {
                    let k2 = ((x >> 16) % 97) << 32 | seq;
                    heap.rekey(&mut slots, s, k2);
                    assert!(set.remove(&(k, s)));
                    set.insert((k2, s));
                    keys[s as usize] = Some(k2);
                }
                Some(k) => {
                    heap.remove(&mut slots, s);
                    assert!(set.remove(&(k, s)));
                    keys[s as usize] = None;
                }
                None => {
                    let k = ((x >> 8) % 97) << 32 | seq;
                    heap.insert(&mut slots, s, k);
                    set.insert((k, s));
                    keys[s as usize] = Some(k);
                }
            }
            assert_eq!(heap.first(), set.first().map(|e| e.1), "step {seq}");
        }
    }

    /// Renumbering keeps the order: the same first server after every later step.
    #[test]
    fn renumbering_keeps_the_order() {
        let mut heap = KeyHeap::default();
        let mut slots = Slots::new(8);
        for (s, hi, seq) in [(0u32, 5u64, 900u64), (1, 5, 100), (2, 3, 950), (3, 3, 960), (4, 9, 10)] {
            heap.insert(&mut slots, s, hi << 32 | seq);
        }
        assert_eq!(heap.renumber(), 5);
        let keys: std::collections::BTreeMap<u32, u64> = heap.entries.iter().map(|&(k, s)| (s, k)).collect();
        // Server 2 before 3 (key 3), then 1 before 0 (key 5), then 4: ranks 0..5.
        let want = [
            (0, 5 << 32 | 3),
            (1, 5 << 32 | 2),
            (2, 3 << 32),
            (3, 3 << 32 | 1),
            (4, 9 << 32 | 4),
        ];
        assert_eq!(keys.into_iter().collect::<Vec<_>>(), want);
        assert_eq!(heap.first(), Some(2));
        heap.remove(&mut slots, 2);
        assert_eq!(heap.first(), Some(3));
        heap.rekey(&mut slots, 3, 5 << 32 | 5);
        assert_eq!(heap.first(), Some(1), "key 5, renumbered 2, before 3's new 5");
    }
}
