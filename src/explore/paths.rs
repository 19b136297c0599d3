//! Looking states up after a search and rebuilding paths to them.
//!
//! No parent links are stored. A path to a state at BFS level `d` is rebuilt
//! backwards: its predecessor is the lowest-numbered state of level `d - 1`
//! with a transition to it, found by re-expanding that level (in parallel);
//! the event is the first such transition in the system's order. This keeps
//! counterexamples deterministic and shortest.

use super::search::Exploration;
use super::store::{hash_words, shard_of, Index, Probe};
use super::system::TransitionSystem;
use rayon::prelude::*;

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
        match &self.index {
            Index::Indirect(shards) => {
                let h = hash_words(packed);
                match shards[shard_of(h)].probe(h, |e| self.store.get(e - 1) == packed) {
                    Probe::Found(_, e) => Some(e - 1),
                    Probe::Vacant(_) => None,
                }
            }
            Index::Direct(_) => {
                let sorted = self.sorted_ids.get_or_init(|| {
                    let mut ids: Vec<u32> = (0..self.store.len() as u32).collect();
                    ids.par_sort_unstable_by_key(|&i| self.store.get(i)[0]);
                    ids
                });
                let at = sorted.partition_point(|&i| self.store.get(i)[0] < packed[0]);
                sorted
                    .get(at)
                    .copied()
                    .filter(|&i| self.store.get(i) == packed)
            }
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
    pub fn event_between<S: TransitionSystem + ?Sized>(
        &self,
        sys: &S,
        from: u32,
        to: u32,
    ) -> Option<u32> {
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
        let mut steps = Vec::new();
        let mut cur = id;
        for level in (0..self.depth(id) as usize).rev() {
            let (lo, hi) = (self.level_starts[level], self.level_starts[level + 1]);
            let pred = (lo..hi)
                .into_par_iter()
                .find_first(|&u| self.event_between(sys, u, cur).is_some());
            // BFS levels guarantee a predecessor in the previous level.
            let Some(pred) = pred else { break };
            steps.push(Step {
                event: self.event_between(sys, pred, cur).unwrap_or(u32::MAX),
                state: cur,
            });
            cur = pred;
        }
        steps.reverse();
        steps
    }
}
