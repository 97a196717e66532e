//! The operator's rule for overlapping planned-maintenance windows: **one roll at a time**.
//! A roll is one window's pass over its servers (a cadence's or a scripted window's). A window
//! that opens while another roll is running waits, and the waiting rolls start in the order
//! their windows opened, each as soon as the one before it is done (after its last server's
//! `wait_between_servers`). A window whose roll is already running or waiting (its previous
//! window is not done yet) is skipped: those servers are being patched anyway. So two rolls
//! never take servers out at the same time, and at most one window per roll waits.
//!
//! Sans-IO: the drivers say when a window opens and when a roll is done; the machine says
//! which roll runs. It knows nothing of servers or time.

/// What becomes of a window that opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Opened {
    /// Nothing else runs: the roll starts now.
    Start,
    /// Another roll runs: this one starts after it (and after those waiting before it).
    Wait,
    /// The same roll is still running or waiting from its previous window: skipped.
    Skip,
}

/// The rolls of planned maintenance: which one runs, which wait.
#[derive(Clone, Debug)]
pub(crate) struct RollQueue {
    running: Option<u32>,
    /// Waiting rolls, first opened first; each at most once.
    waiting: std::collections::VecDeque<u32>,
    /// How many rolls there are (`waiting` never holds more).
    rolls: u32,
}

impl RollQueue {
    /// A queue for rolls `0..rolls`.
    pub(crate) fn new(rolls: u32) -> RollQueue {
        RollQueue {
            running: None,
            waiting: std::collections::VecDeque::with_capacity(rolls as usize),
            rolls,
        }
    }

    /// Roll `roll`'s window opens.
    pub(crate) fn handle_window(&mut self, roll: u32) -> Opened {
        assert!(roll < self.rolls, "roll {roll} of {}", self.rolls);
        if self.running == Some(roll) || self.waiting.contains(&roll) {
            return Opened::Skip;
        }
        if self.running.is_none() {
            assert!(self.waiting.is_empty(), "nobody waits while nothing runs");
            self.running = Some(roll);
            return Opened::Start;
        }
        self.waiting.push_back(roll);
        assert!(self.waiting.len() < self.rolls as usize, "each roll waits at most once");
        Opened::Wait
    }

    /// The running roll `roll` is done: the next waiting roll, which runs from now.
    pub(crate) fn handle_roll_done(&mut self, roll: u32) -> Option<u32> {
        assert_eq!(self.running, Some(roll), "only the running roll finishes");
        self.running = self.waiting.pop_front();
        self.running
    }

    /// The roll running now, if any.
    #[cfg(test)]
    pub(crate) fn running(&self) -> Option<u32> {
        self.running
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (event, expected): `Open(r)` a window of roll r opens; `Done(r)` roll r is done.
    #[derive(Clone, Copy, Debug)]
    enum Step {
        Open(u32, Opened),
        Done(u32, Option<u32>),
    }

    #[test]
    fn one_roll_at_a_time_in_the_order_windows_open() {
        use Opened::*;
        use Step::*;
        let table = [
            Open(0, Start),
            Open(2, Wait),
            Open(1, Wait),
            Open(2, Skip), // already waiting
            Open(0, Skip), // still running
            Done(0, Some(2)),
            Open(0, Wait),
            Done(2, Some(1)),
            Done(1, Some(0)),
            Done(0, None),
            Open(1, Start),
            Done(1, None),
        ];
        let mut q = RollQueue::new(3);
        for (n, step) in table.into_iter().enumerate() {
            match step {
                Open(r, want) => assert_eq!(q.handle_window(r), want, "step {n}: {step:?}"),
                Done(r, want) => assert_eq!(q.handle_roll_done(r), want, "step {n}: {step:?}"),
            }
        }
        assert_eq!(q.running(), None);
    }

    #[test]
    #[should_panic(expected = "only the running roll finishes")]
    fn a_roll_that_is_not_running_cannot_finish() {
        let mut q = RollQueue::new(2);
        q.handle_window(0);
        q.handle_roll_done(1);
    }
}
