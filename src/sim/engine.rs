//! The event queue: pending events ordered by (time, insertion sequence).
//!
//! Ties at the same instant pop in the order they were scheduled, so a run never depends on
//! heap internals. The queue knows nothing of what an event means; the driver (`sim::request`)
//! owns the closed event enum. It must never read a clock or reorder same-time events.

use crate::units::SimTime;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Bits of a key that hold the payload slot; the rest of the low word is the sequence number.
const SLOT_BITS: u32 = 24;
/// Upper bound on pending events. A park of a few dozen components has thousands of pending
/// events at most; a queue this large means a runaway feedback loop (a bug), so we stop loudly.
pub(crate) const EVENTS_PENDING_MAX: usize = 1 << SLOT_BITS;
/// Upper bound on events scheduled in one run (the sequence number's width): 1.1e12, about
/// 40 hours of the engine's top speed.
pub(crate) const EVENTS_SCHEDULED_MAX: u64 = 1 << (64 - SLOT_BITS);
const _: () = assert!(SLOT_BITS < 32, "slots are u32");

/// A future-event list with deterministic tie-breaking.
///
/// The heap orders 16-byte keys `time << 64 | seq << 24 | slot`; payloads sit in a slab and
/// never move while queued. Comparing one u128 orders by (time, seq) exactly, and keeping the
/// payload out of the heap makes every sift move 16 bytes instead of the whole event.
pub(crate) struct EventQueue<E> {
    heap: BinaryHeap<Reverse<u128>>,
    /// One event outside the heap (the arrival stream: always exactly one pending). It is
    /// ordered by the same (time, seq) key, so the pop order is exactly as if it were in the
    /// heap; it only saves a heap push and pop per arrival.
    lane: Option<(u128, E)>,
    /// Payloads by slot; a free slot keeps its last event (events are `Copy`, so reading one
    /// out is a plain aligned copy: an `Option` made it a byte-offset copy and a
    /// store-forwarding stall after every pop).
    slab: Vec<E>,
    free: Vec<u32>,
    seq: u64,
    now: SimTime,
    /// The heap's top is the key of the event `pop` returned last, not yet removed: the next
    /// `schedule` overwrites it in place (one sift-down instead of a pop's sift plus a push's),
    /// the next `pop` removes it first. Keys are unique (time, seq), so the pop order is the
    /// same whatever the heap's internal layout.
    top_stale: bool,
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> EventQueue<E> {
    pub(crate) fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(1024),
            lane: None,
            slab: Vec::with_capacity(1024),
            free: Vec::with_capacity(1024),
            seq: 0,
            now: SimTime::ZERO,
            top_stale: false,
        }
    }

    /// The time of the last popped event.
    #[inline]
    pub(crate) fn now(&self) -> SimTime {
        self.now
    }

    /// Schedule `event` at `time`, which must not be in the past. Inlined into each caller
    /// (fat LTO kept it out of line: a call's saves and restores per event).
    #[inline(always)]
    pub(crate) fn schedule(&mut self, time: SimTime, event: E) {
        assert!(
            time >= self.now,
            "event scheduled in the past: {time:?} < {:?}",
            self.now
        );
        assert!(
            self.seq < EVENTS_SCHEDULED_MAX,
            "more than {EVENTS_SCHEDULED_MAX} events in one run"
        );
        let slot = match self.free.pop() {
            Some(s) => {
                self.slab[s as usize] = event;
                s
            }
            None => {
                assert!(
                    self.slab.len() < EVENTS_PENDING_MAX,
                    "event queue runaway: {EVENTS_PENDING_MAX} pending"
                );
                self.slab.push(event);
                (self.slab.len() - 1) as u32
            }
        };
        let key = (u128::from(time.as_nanos()) << 64) | u128::from(self.seq << SLOT_BITS) | u128::from(slot);
        if self.top_stale {
            self.top_stale = false;
            let mut top = self.heap.peek_mut().expect("a stale top is in the heap");
            *top = Reverse(key);
        } else {
            self.heap.push(Reverse(key));
        }
        self.seq += 1;
    }

    /// Schedule the lane event (see `lane`); at most one may be pending.
    #[inline]
    pub(crate) fn schedule_lane(&mut self, time: SimTime, event: E) {
        assert!(
            time >= self.now,
            "event scheduled in the past: {time:?} < {:?}",
            self.now
        );
        assert!(self.lane.is_none(), "the lane holds one event at a time");
        assert!(
            self.seq < EVENTS_SCHEDULED_MAX,
            "more than {EVENTS_SCHEDULED_MAX} events in one run"
        );
        let key = (u128::from(time.as_nanos()) << 64) | u128::from(self.seq << SLOT_BITS);
        self.lane = Some((key, event));
        self.seq += 1;
    }

    /// Pop the earliest event and advance `now` to its time.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<(SimTime, E)> {
        self.drop_stale_top();
        if let Some((lane_key, _)) = &self.lane
            && self.heap.peek().is_none_or(|Reverse(k)| lane_key < k)
        {
            let (key, event) = self.lane.take().expect("lane checked");
            let time = SimTime::from_nanos((key >> 64) as u64);
            self.now = time;
            return Some((time, event));
        }
        let Reverse(key) = *self.heap.peek()?;
        self.top_stale = true;
        let time = SimTime::from_nanos((key >> 64) as u64);
        let slot = (key as u64 & ((1 << SLOT_BITS) - 1)) as u32;
        let event = self.slab[slot as usize];
        self.free.push(slot);
        debug_assert!(time >= self.now);
        self.now = time;
        Some((time, event))
    }

    /// Removes the key `pop` left on the heap's top (see `top_stale`).
    #[inline]
    fn drop_stale_top(&mut self) {
        if self.top_stale {
            self.top_stale = false;
            self.heap.pop();
        }
    }

    /// The time of the earliest pending event.
    #[inline]
    #[cfg(test)]
    pub(crate) fn peek_time(&mut self) -> Option<SimTime> {
        self.drop_stale_top();
        let heap = self.heap.peek().map(|Reverse(k)| *k);
        let lane = self.lane.as_ref().map(|(k, _)| *k);
        heap.into_iter()
            .chain(lane)
            .min()
            .map(|k| SimTime::from_nanos((k >> 64) as u64))
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.heap.len() - usize::from(self.top_stale) + usize::from(self.lane.is_some())
    }

    /// Events scheduled so far (the insertion sequence), a cheap work counter.
    pub(crate) fn scheduled_total(&self) -> u64 {
        self.seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_time_events_pop_in_insertion_order() {
        let mut q = EventQueue::new();
        q.schedule(SimTime::from_millis(5), 'c');
        q.schedule(SimTime::from_millis(1), 'a');
        q.schedule(SimTime::from_millis(5), 'd');
        q.schedule(SimTime::from_millis(1), 'b');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, ['a', 'b', 'c', 'd']);
        assert_eq!(q.now(), SimTime::from_millis(5));
    }

    #[test]
    fn lane_events_keep_time_and_insertion_order() {
        let mut q = EventQueue::new();
        q.schedule(SimTime::from_millis(5), 'b');
        q.schedule_lane(SimTime::from_millis(5), 'c');
        q.schedule(SimTime::from_millis(5), 'd');
        q.schedule(SimTime::from_millis(1), 'a');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, ['a', 'b', 'c', 'd']);
        q.schedule_lane(SimTime::from_millis(9), 'x');
        assert_eq!(q.peek_time(), Some(SimTime::from_millis(9)));
        assert_eq!(q.len(), 1);
    }

    /// Pops interleaved with schedules (the in-place reschedule of a popped top) come out in
    /// exactly (time, insertion) order, checked against a sorted reference list.
    #[test]
    fn interleaved_pops_and_schedules_keep_time_and_insertion_order() {
        let mut q = EventQueue::new();
        let mut reference: Vec<(u64, u32)> = Vec::new();
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut id = 0u32;
        let mut now = 0u64;
        for _ in 0..20_000 {
            let r = next();
            if r % 3 != 0 || reference.is_empty() {
                // Small offsets so same-time ties are common.
                let t = now + (r >> 8) % 4;
                if r % 7 == 0 && q.lane.is_none() {
                    q.schedule_lane(SimTime::from_nanos(t), id);
                } else {
                    q.schedule(SimTime::from_nanos(t), id);
                }
                reference.push((t, id));
                id += 1;
            } else {
                let want = *reference.iter().min().expect("non-empty");
                reference.retain(|&e| e != want);
                let (t, got) = q.pop().expect("as many events as the reference");
                assert_eq!((t.as_nanos(), got), want);
                now = t.as_nanos();
            }
            assert_eq!(q.len(), reference.len());
        }
    }

    #[test]
    #[should_panic(expected = "in the past")]
    fn scheduling_in_the_past_is_a_bug() {
        let mut q = EventQueue::new();
        q.schedule(SimTime::from_millis(5), ());
        q.pop();
        q.schedule(SimTime::from_millis(4), ());
    }
}
