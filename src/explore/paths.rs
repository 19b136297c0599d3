//! Looking states up after a search and rebuilding paths to them.
//!
//! Only parent numbers are stored; the event on each step is recovered by
//! re-expanding the parent and taking the first transition (in the system's
//! deterministic order) that leads to the child (DESIGN.md §3.6).

use super::search::Exploration;
use super::store::{hash_words, shard_of, Probe};
use super::system::TransitionSystem;

/// One step of a path: the event taken and the state reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// Event number (0 = τ, 1 = ✓).
    pub event: u32,
    /// State number reached.
    pub state: u32,
}

impl Exploration {
    /// The number of the state packed as `packed`, if it was reached.
    pub fn lookup_packed(&self, packed: &[u64]) -> Option<u32> {
        let h = hash_words(packed);
        match self.index[shard_of(h)].probe(h, |e| self.store.get(e - 1) == packed) {
            Probe::Found(_, e) => Some(e - 1),
            Probe::Vacant(_) => None,
        }
    }

    /// The number of state vector `state`, if it was reached.
    pub fn lookup(&self, state: &[u32]) -> Option<u32> {
        let mut buf = vec![0u64; self.codec.words()];
        self.codec.pack(state, &mut buf);
        self.lookup_packed(&buf)
    }

    /// The state vector of state number `id`.
    pub fn state(&self, id: u32) -> Vec<u32> {
        let mut out = vec![0u32; self.codec.width()];
        self.codec.unpack(self.store.get(id), &mut out);
        out
    }

    /// The BFS level (distance from the initial state) of state `id`.
    pub fn depth(&self, id: u32) -> u32 {
        (self.level_starts.partition_point(|&s| s <= id) - 1) as u32
    }

    /// Bits per packed state.
    pub fn state_bits(&self) -> u32 {
        self.codec.bits()
    }

    /// The first event (in the system's order) leading from `from` to `to`.
    pub fn event_between<S: TransitionSystem + ?Sized>(&self, sys: &S, from: u32, to: u32) -> Option<u32> {
        let target = self.store.get(to);
        let mut buf = vec![0u64; self.codec.words()];
        let mut found = None;
        sys.successors(&self.state(from), &mut |ev, succ| {
            if found.is_none() {
                self.codec.pack(succ, &mut buf);
                if buf == target {
                    found = Some(ev);
                }
            }
        });
        found
    }

    /// A shortest path from the initial state to `id` (τ steps included).
    pub fn path_to<S: TransitionSystem + ?Sized>(&self, sys: &S, id: u32) -> Vec<Step> {
        let mut ids = vec![id];
        let mut cur = id;
        while self.store.parent(cur) != u32::MAX {
            cur = self.store.parent(cur);
            ids.push(cur);
        }
        ids.reverse();
        ids.windows(2)
            .map(|w| Step {
                // A parent link always comes from a transition of the parent.
                event: self.event_between(sys, w[0], w[1]).unwrap_or(u32::MAX),
                state: w[1],
            })
            .collect()
    }
}
