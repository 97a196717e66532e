//! An indexed 4-ary min-heap of servers by a unique `u64` sort key, plus a sorted run: the
//! ordered "tree" of HAProxy's fwrr (src/lb_fwrr.c) for large backends. fwrr only ever asks
//! its trees for the first server, inserts, and removes a server it names, so a heap gives
//! the same first server as an ordered set at a fraction of the cost (a pick on 256
//! servers, issue 15).
//!
//! Keys are unique within a tree (the balancer packs an insertion sequence number into their
//! low 32 bits, [`KeyHeap::renumber`] when that runs out), so the first server is the same
//! whatever order the heap keeps its other entries in. Four children per node: 16-byte
//! entries, so a node's children share a cache line, and half the levels of a binary heap.
//!
//! The run: roundrobin moves the server it picks, and each full server it skips, behind all
//! the others (a rotation), and a heap pays a root-to-leaf descent for each. A key that falls
//! among the last `RUN_REACH` keys of the run, or above them, enters the run instead, and the
//! first server is the smaller of the heap's and the run's fronts: a rotation is O(1),
//! anything else O(log n). A server removed from the middle of the run leaves a stale entry
//! (its position no longer says "run", or its key changed), skipped at the front and dropped
//! when stale entries outnumber the servers, so the run holds at most `2n + 1` entries.
//!
//! Invariants: the run's keys increase from front to back; its front entry is live; every
//! server in the tree has exactly one live entry, in the heap or in the run.

use std::collections::VecDeque;

/// Position of a server that is in no tree.
const NOT_IN_HEAP: u32 = u32::MAX;
/// Position of a server whose live entry is in its tree's run.
const IN_RUN: u32 = u32::MAX - 1;
/// Children per node.
const ARITY: usize = 4;
/// How far from its back an entry may enter the run (the entries an insertion moves).
const RUN_REACH: usize = 32;

/// The heap entries of one tree. A server's position lives in the [`Slots`] shared by all
/// the heaps of one backend (a server is in at most one tree at a time).
#[derive(Clone, Debug, Default)]
pub(crate) struct KeyHeap {
    entries: Vec<(u64, u32)>,
    /// (key, server), keys increasing; may hold stale entries (see the module's notes).
    run: VecDeque<(u64, u32)>,
}

/// Where each server sits in its tree (a heap index, `IN_RUN` or `NOT_IN_HEAP`) and its
/// current key, shared by the trees of one backend.
#[derive(Clone, Debug)]
pub(crate) struct Slots {
    pos: Vec<u32>,
    key: Vec<u64>,
}

impl Slots {
    /// `n` servers, none in a tree.
    pub(crate) fn new(n: usize) -> Self {
        assert!(n < IN_RUN as usize, "server positions stay below IN_RUN");
        Slots {
            pos: vec![NOT_IN_HEAP; n],
            key: vec![0; n],
        }
    }

    /// Whether the run entry `e` is the live entry of its server.
    fn live(&self, e: (u64, u32)) -> bool {
        self.pos[e.1 as usize] == IN_RUN && self.key[e.1 as usize] == e.0
    }
}

impl KeyHeap {
    /// The server with the smallest key.
    pub(crate) fn first(&self) -> Option<u32> {
        match (self.entries.first(), self.run.front()) {
            (Some(h), Some(r)) => Some(if r.0 < h.0 { r.1 } else { h.1 }),
            (Some(h), None) => Some(h.1),
            (None, r) => r.map(|e| e.1),
        }
    }

    /// Adds server `s` (not in any tree) with `key`: into the run if it falls within
    /// `RUN_REACH` entries of the run's back, else into the heap.
    #[inline(never)] // keeps the balancer's small-backend scans inlined
    pub(crate) fn insert(&mut self, slots: &mut Slots, s: u32, key: u64) {
        debug_assert_eq!(slots.pos[s as usize], NOT_IN_HEAP, "server {s} is already in a tree");
        slots.key[s as usize] = key;
        if let Some(p) = self.run_position(key) {
            self.run.insert(p, (key, s));
            slots.pos[s as usize] = IN_RUN;
            return;
        }
        self.entries.push((key, s));
        let i = self.entries.len() - 1;
        slots.pos[s as usize] = i as u32;
        self.sift_up(slots, i);
    }

    /// Removes server `s`, which must be in this tree.
    #[inline(never)] // keeps the balancer's small-backend scans inlined
    pub(crate) fn remove(&mut self, slots: &mut Slots, s: u32) {
        let i = slots.pos[s as usize];
        slots.pos[s as usize] = NOT_IN_HEAP;
        if i == IN_RUN {
            self.drop_stale(slots);
            return;
        }
        let i = i as usize;
        debug_assert!(
            self.entries.get(i).is_some_and(|e| e.1 == s),
            "server {s} is not in this tree"
        );
        let last = self.entries.pop().expect("a heap holding a server is not empty");
        if i < self.entries.len() {
            self.entries[i] = last;
            slots.pos[last.1 as usize] = i as u32;
            if self.sift_up(slots, i) == i {
                self.sift_down(slots, i);
            }
        }
    }

    /// Gives server `s`, which must be in this tree, a new `key`: a removal and an insertion,
    /// in one step when it stays in the heap.
    #[inline(never)] // keeps the balancer's small-backend scans inlined
    pub(crate) fn rekey(&mut self, slots: &mut Slots, s: u32, key: u64) {
        let i = slots.pos[s as usize];
        if i == IN_RUN || self.run_position(key).is_some() {
            self.remove(slots, s);
            self.insert(slots, s, key);
            return;
        }
        let i = i as usize;
        debug_assert!(
            self.entries.get(i).is_some_and(|e| e.1 == s),
            "server {s} is not in this tree"
        );
        slots.key[s as usize] = key;
        let old = std::mem::replace(&mut self.entries[i].0, key);
        if key < old {
            self.sift_up(slots, i);
        } else {
            self.sift_down(slots, i);
        }
    }

    /// Where `key` goes in the run, if at most `RUN_REACH` entries from its back: fwrr
    /// requeues the server it picks, then the full servers it skipped in the reverse order,
    /// each just before the ones requeued after it. A scan from the back: the position is
    /// almost always within a few entries of it.
    #[inline]
    fn run_position(&self, key: u64) -> Option<usize> {
        let n = self.run.len();
        if n > RUN_REACH && self.run[n - RUN_REACH - 1].0 > key {
            return None;
        }
        let mut p = n;
        while p > 0 && self.run[p - 1].0 > key {
            p -= 1;
        }
        Some(p)
    }

    /// Drops stale entries from the front of the run, so that its front is live, and all of
    /// them once they outnumber the servers (each was a removal: amortised O(1)).
    fn drop_stale(&mut self, slots: &Slots) {
        while self.run.front().is_some_and(|&e| !slots.live(e)) {
            self.run.pop_front();
        }
        if self.run.len() > 2 * slots.pos.len() {
            self.run.retain(|&e| slots.live(e));
        }
    }

    /// Drops every stale entry of the run. Before [`KeyHeap::renumber`], in every tree of the
    /// backend first: a renumbered key may equal the key of a stale entry elsewhere.
    pub(crate) fn forget_stale(&mut self, slots: &Slots) {
        self.run.retain(|&e| slots.live(e));
    }

    /// Replaces the low 32 bits of every key (the balancer's insertion sequence) by the
    /// entry's rank in key order, 0..len: the same order among the entries, and room for new
    /// sequence numbers from `len` on. The run must hold no stale entry
    /// ([`KeyHeap::forget_stale`]). Returns `len`.
    pub(crate) fn renumber(&mut self, slots: &mut Slots) -> u32 {
        debug_assert!(self.run.iter().all(|&e| slots.live(e)), "stale entries forgotten first");
        let mut keys: Vec<u64> = self.entries.iter().chain(&self.run).map(|e| e.0).collect();
        keys.sort_unstable();
        let renumbered = |k: u64| {
            let rank = keys.binary_search(&k).expect("every key was collected");
            (k & !u64::from(u32::MAX)) | rank as u64
        };
        for e in self.entries.iter_mut().chain(self.run.iter_mut()) {
            e.0 = renumbered(e.0);
            slots.key[e.1 as usize] = e.0;
        }
        keys.len() as u32
    }

    /// The invariants (tests): the heap is a heap, the run's keys increase and its front is
    /// live, every server positioned in the heap is where its position says, and the run is
    /// bounded.
    #[cfg(test)]
    fn check(&self, slots: &Slots) {
        for (i, e) in self.entries.iter().enumerate() {
            assert_eq!(slots.pos[e.1 as usize], i as u32, "heap position of server {}", e.1);
            assert_eq!(slots.key[e.1 as usize], e.0, "heap key of server {}", e.1);
            assert!(i == 0 || self.entries[(i - 1) / ARITY].0 < e.0, "heap order at {i}");
        }
        assert!(
            self.run.iter().zip(self.run.iter().skip(1)).all(|(a, b)| a.0 < b.0),
            "run order"
        );
        assert!(self.run.front().is_none_or(|&e| slots.live(e)), "live front");
        assert!(self.run.len() <= 2 * slots.pos.len() + 1, "run bounded");
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
            slots.pos[self.entries[i].1 as usize] = i as u32;
            i = parent;
        }
        self.entries[i] = e;
        slots.pos[e.1 as usize] = i as u32;
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
            slots.pos[self.entries[i].1 as usize] = i as u32;
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
            heap.check(&slots);
            assert_eq!(heap.first(), set.first().map(|e| e.1), "step {seq}");
        }
    }

    /// Two trees sharing their slots, as fwrr's: mostly rotations (the first server moved
    /// behind all others), some removals, lower keys and moves between the trees, and
    /// renumberings; each tree's first server is always its ordered set's.
    #[test]
    fn rotations_through_the_run_match_ordered_sets() {
        let n = 48u32;
        let mut trees = [KeyHeap::default(), KeyHeap::default()];
        let mut slots = Slots::new(n as usize);
        let mut sets: [BTreeSet<(u64, u32)>; 2] = [BTreeSet::new(), BTreeSet::new()];
        let mut at: Vec<Option<(usize, u64)>> = vec![None; n as usize];
        let (mut seq, mut longest_run) = (0u64, 0);
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let next = |x: &mut u64| {
            *x ^= *x << 13;
            *x ^= *x >> 7;
            *x ^= *x << 17;
            *x
        };
        for step in 0..60_000u32 {
            let r = next(&mut x);
            let t = (r >> 40) as usize % 2;
            seq += 1;
            if seq == 1 << 12 {
                // renumber as the balancer does: stale entries of every tree first
                for h in &mut trees {
                    h.forget_stale(&slots);
                }
                seq = trees
                    .iter_mut()
                    .map(|h| u64::from(h.renumber(&mut slots)))
                    .max()
                    .unwrap();
                for (s, a) in at.iter_mut().enumerate() {
                    if let Some((tree, k)) = a {
                        let new = slots.key[s];
                        assert!(sets[*tree].remove(&(*k, s as u32)) && sets[*tree].insert((new, s as u32)));
                        *k = new;
                    }
                }
            }
            match (r % 10, sets[t].first().copied()) {
                // rotate the first server to the back (high part above every other)
                (0..=5, Some((k, s))) => {
                    let k2 = ((k >> 32) + 1 + (r >> 60)) << 32 | seq;
                    trees[t].rekey(&mut slots, s, k2);
                    sets[t].remove(&(k, s));
                    sets[t].insert((k2, s));
                    at[s as usize] = Some((t, k2));
                }
                _ => {
                    let s = (r >> 8) as u32 % n;
                    match at[s as usize] {
                        Some((tree, k)) => {
                            trees[tree].remove(&mut slots, s);
                            sets[tree].remove(&(k, s));
                            at[s as usize] = None;
                        }
                        None => {
                            let k = ((r >> 20) % 64) << 32 | seq;
                            trees[t].insert(&mut slots, s, k);
                            sets[t].insert((k, s));
                            at[s as usize] = Some((t, k));
                        }
                    }
                }
            }
            for (h, set) in trees.iter().zip(&sets) {
                longest_run = longest_run.max(h.run.len());
                h.check(&slots);
                assert_eq!(h.first(), set.first().map(|e| e.1), "step {step}");
            }
        }
        assert!(longest_run > 8, "the run was used: {longest_run}");
    }

    /// Renumbering keeps the order: the same first server after every later step.
    #[test]
    fn renumbering_keeps_the_order() {
        let mut heap = KeyHeap::default();
        let mut slots = Slots::new(8);
        for (s, hi, seq) in [(0u32, 5u64, 900u64), (1, 5, 100), (2, 3, 950), (3, 3, 960), (4, 9, 10)] {
            heap.insert(&mut slots, s, hi << 32 | seq);
        }
        heap.forget_stale(&slots);
        assert_eq!(heap.renumber(&mut slots), 5);
        heap.check(&slots);
        let keys: std::collections::BTreeMap<u32, u64> =
            heap.entries.iter().chain(&heap.run).map(|&(k, s)| (s, k)).collect();
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
