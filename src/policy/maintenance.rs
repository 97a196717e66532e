//! The operator's rule for overlapping planned-maintenance windows: **one roll at a time**.
//! A roll is one window's pass over its servers (a cadence's or a scripted window's). A window
//! that opens while another roll is running waits, and the waiting rolls start in the order
//! their windows opened, each as soon as the one before it is done (after its last server's
//! `wait_between_servers`). A window whose roll is already running or waiting (its previous
//! window is not done yet) is skipped: those servers are being patched anyway. So two rolls
//! never take servers out at the same time, and at most one window per roll waits.
//!
//! Within a roll, servers take their turns in the roll's order; a server that cannot be
//! patched now (failed, already out, a role that cannot move) is skipped, and past the last
//! server the roll is done. [`RollQueue::turn`] is that rule for both drivers.
//!
//! Sans-IO: the drivers say when a window opens and which turn they are done with; the machine
//! says which roll runs and whose turn it is. It knows nothing of servers or time.

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

/// A server's turn in the running roll: the driver tries to take server `pos` of roll `roll`
/// out of service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Turn {
    pub(crate) roll: u32,
    pub(crate) pos: usize,
    /// The turn starts its roll: a waiting roll that follows the one just done.
    pub(crate) starts_roll: bool,
}

/// The rolls of planned maintenance: which one runs, which wait.
#[derive(Clone, Debug)]
pub(crate) struct RollQueue {
    running: Option<u32>,
    /// Waiting rolls, first opened first; each at most once.
    waiting: std::collections::VecDeque<u32>,
    /// How many servers each roll passes over (its length is the number of rolls; `waiting`
    /// never holds more).
    sizes: Vec<usize>,
}

impl RollQueue {
    /// A queue for rolls `0..sizes.len()`, roll `r` passing over `sizes[r]` servers.
    pub(crate) fn new(sizes: Vec<usize>) -> RollQueue {
        RollQueue {
            running: None,
            waiting: std::collections::VecDeque::with_capacity(sizes.len()),
            sizes,
        }
    }

    /// The turn at position `pos` of the running roll `roll` (the driver is done with, or
    /// skipped, the one before): that server's, or past the roll's last server the roll is
    /// done and the first turn of the next waiting roll, if any, comes now.
    pub(crate) fn turn(&mut self, roll: u32, pos: usize) -> Option<Turn> {
        assert_eq!(self.running, Some(roll), "only the running roll takes turns");
        if pos < self.sizes[roll as usize] {
            return Some(Turn {
                roll,
                pos,
                starts_roll: false,
            });
        }
        let next = self.handle_roll_done(roll)?;
        Some(Turn {
            roll: next,
            pos: 0,
            starts_roll: true,
        })
    }

    /// Roll `roll`'s window opens.
    pub(crate) fn handle_window(&mut self, roll: u32) -> Opened {
        assert!(
            (roll as usize) < self.sizes.len(),
            "roll {roll} of {}",
            self.sizes.len()
        );
        if self.running == Some(roll) || self.waiting.contains(&roll) {
            return Opened::Skip;
        }
        if self.running.is_none() {
            assert!(self.waiting.is_empty(), "nobody waits while nothing runs");
            self.running = Some(roll);
            return Opened::Start;
        }
        self.waiting.push_back(roll);
        assert!(self.waiting.len() < self.sizes.len(), "each roll waits at most once");
        Opened::Wait
    }

    /// The running roll `roll` is done: the next waiting roll, which runs from now.
    fn handle_roll_done(&mut self, roll: u32) -> Option<u32> {
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
        let mut q = RollQueue::new(vec![0; 3]);
        for (n, step) in table.into_iter().enumerate() {
            match step {
                Open(r, want) => assert_eq!(q.handle_window(r), want, "step {n}: {step:?}"),
                Done(r, want) => assert_eq!(q.handle_roll_done(r), want, "step {n}: {step:?}"),
            }
        }
        assert_eq!(q.running(), None);
    }

    /// Turns go through a roll's servers in order; past the last, the next waiting roll's
    /// first turn follows at once, marked as starting its roll; then nothing.
    #[test]
    fn turns_pass_over_each_roll_then_the_next_waiting_one() {
        let mut q = RollQueue::new(vec![2, 1]);
        assert_eq!(q.handle_window(0), Opened::Start);
        assert_eq!(q.handle_window(1), Opened::Wait);
        let turn = |roll, pos, starts_roll| Some(Turn { roll, pos, starts_roll });
        assert_eq!(q.turn(0, 0), turn(0, 0, false));
        assert_eq!(q.turn(0, 1), turn(0, 1, false));
        assert_eq!(q.turn(0, 2), turn(1, 0, true));
        assert_eq!(q.running(), Some(1));
        assert_eq!(q.turn(1, 1), None);
        assert_eq!(q.running(), None);
        assert_eq!(q.handle_window(0), Opened::Start, "a new window starts at once");
    }

    #[test]
    #[should_panic(expected = "only the running roll takes turns")]
    fn a_roll_that_is_not_running_takes_no_turn() {
        let mut q = RollQueue::new(vec![1, 1]);
        q.handle_window(0);
        q.turn(1, 0);
    }

    #[test]
    #[should_panic(expected = "only the running roll finishes")]
    fn a_roll_that_is_not_running_cannot_finish() {
        let mut q = RollQueue::new(vec![0; 2]);
        q.handle_window(0);
        q.handle_roll_done(1);
    }
}
