//! An indexed binary min-heap of servers by a unique `u128` sort key: the ordered "tree" of
//! HAProxy's fwrr (src/lb_fwrr.c) for large backends. fwrr only ever asks its trees for the
//! first server, inserts, and removes a server it names, so a heap gives the same first
//! server as an ordered set at a fraction of the cost (a pick on 256 servers, issue 15).
//!
//! Keys are unique (the balancer packs an insertion sequence number into them), so the first
//! server is the same whatever order the heap keeps its other entries in.

/// Position of a server that is in no heap.
const NOT_IN_HEAP: u32 = u32::MAX;

/// The heap entries of one tree. A server's position lives in the [`Slots`] shared by all
/// the heaps of one backend (a server is in at most one tree at a time).
#[derive(Clone, Debug, Default)]
pub(crate) struct KeyHeap {
    entries: Vec<(u128, u32)>,
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
    pub(crate) fn insert(&mut self, slots: &mut Slots, s: u32, key: u128) {
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
    pub(crate) fn rekey(&mut self, slots: &mut Slots, s: u32, key: u128) {
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

    fn sift_up(&mut self, slots: &mut Slots, mut i: usize) -> usize {
        let e = self.entries[i];
        while i > 0 {
            let parent = (i - 1) / 2;
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
    /// goes down the smaller children to a leaf, then the entry rises from there (Floyd's
    /// variant: one comparison per level on the way down).
    fn sift_down(&mut self, slots: &mut Slots, mut i: usize) {
        let e = self.entries[i];
        let n = self.entries.len();
        loop {
            let mut child = 2 * i + 1;
            if child >= n {
                break;
            }
            if child + 1 < n && self.entries[child + 1].0 < self.entries[child].0 {
                child += 1;
            }
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
        let mut set: BTreeSet<(u128, u32)> = BTreeSet::new();
        let mut keys = vec![None; n as usize];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for seq in 0..50_000u128 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let s = (x % n as u64) as u32;
            match keys[s as usize] {
                Some(k) if x.is_multiple_of(3) => {
                    let k2 = (((x >> 16) % 97) as u128) << 64 | seq;
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
                    let k = (((x >> 8) % 97) as u128) << 64 | seq;
                    heap.insert(&mut slots, s, k);
                    set.insert((k, s));
                    keys[s as usize] = Some(k);
                }
            }
            assert_eq!(heap.first(), set.first().map(|e| e.1), "step {seq}");
        }
    }
}
