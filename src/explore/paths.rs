//! Looking states up after a search and rebuilding paths to them.
//!
//! No parent links are stored. A path to a state at BFS level `d` is rebuilt
//! backwards: its predecessor is the lowest-numbered state of level `d - 1`
//! with a transition to it, found by re-expanding that level (in parallel);
//! the event is the first such transition in the system's order. This keeps
//! counterexamples deterministic and shortest.

use super::search::Exploration;
use super::store::{hash_word, hash_words, prefetch, shard_of, Index, Probe, Shard};
use super::system::TransitionSystem;
use rayon::prelude::*;
use std::sync::atomic::{AtomicU32, Ordering};

/// One step of a path: the event taken and the state reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// Event number (0 = τ, 1 = ✓).
    pub event: u32,
    /// State number reached.
    pub state: u32,
}

/// Where the one-word state `word` (hash `h`) sits in a direct index:
/// (shard, slot), or `None` if it was never stored.
fn direct_slot(shards: &[Shard<u64>], word: u64, h: u64) -> Option<(usize, usize)> {
    let shard = shard_of(h);
    match shards[shard].probe(h, |e| e == word + 1) {
        Probe::Found(slot, _) => Some((shard, slot)),
        Probe::Vacant(_) => None,
    }
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
            Index::Direct(shards) => {
                let (shard, slot) = direct_slot(shards, packed[0], hash_words(packed))?;
                self.slot_ids(shards)[shard][slot].checked_sub(1)
            }
        }
    }

    /// The numbers of many packed states (`words` words each, concatenated),
    /// `u32::MAX` for one never reached. Same answers as
    /// [`lookup_packed`](Self::lookup_packed), but with a direct index the
    /// probes of later states are prefetched while earlier ones are read, so
    /// cache misses overlap.
    pub fn lookup_batch(&self, packed: &[u64], words: usize) -> Vec<u32> {
        let Index::Direct(shards) = &self.index else {
            return packed
                .chunks_exact(words)
                .map(|p| self.lookup_packed(p).unwrap_or(u32::MAX))
                .collect();
        };
        const AHEAD: usize = 16;
        let ids = self.slot_ids(shards);
        let hashes: Vec<u64> = packed.iter().map(|&w| hash_word(w)).collect();
        let mut found: Vec<(u32, u32)> = Vec::with_capacity(packed.len());
        for (k, (&w, &h)) in packed.iter().zip(&hashes).enumerate() {
            if let Some(&a) = hashes.get(k + AHEAD) {
                shards[shard_of(a)].prefetch(a);
            }
            found.push(
                direct_slot(shards, w, h)
                    .map_or((u32::MAX, 0), |(shard, slot)| (shard as u32, slot as u32)),
            );
        }
        (0..found.len())
            .map(|k| {
                if let Some(&(s, slot)) = found.get(k + AHEAD) {
                    if s != u32::MAX {
                        prefetch(&ids[s as usize][slot as usize]);
                    }
                }
                let (s, slot) = found[k];
                if s == u32::MAX {
                    return u32::MAX;
                }
                ids[s as usize][slot as usize].wrapping_sub(1)
            })
            .collect()
    }

    /// For a direct index, per shard and slot: the number of the state held
    /// there + 1 (0 = empty). Built on first use (one probe per state, in
    /// parallel), so lookups after a search cost two loads.
    fn slot_ids(&self, shards: &[Shard<u64>]) -> &[Vec<u32>] {
        self.slot_ids.get_or_init(|| {
            self.on_threads(|| {
                let ids: Vec<Vec<AtomicU32>> = shards
                    .iter()
                    .map(|s| (0..s.capacity()).map(|_| AtomicU32::new(0)).collect())
                    .collect();
                (0..self.store.len() as u32).into_par_iter().for_each(|id| {
                    let word = self.store.get(id)[0];
                    if let Some((shard, slot)) = direct_slot(shards, word, hash_word(word)) {
                        ids[shard][slot].store(id + 1, Ordering::Relaxed);
                    }
                });
                ids.into_iter()
                    .map(|v| v.into_iter().map(AtomicU32::into_inner).collect())
                    .collect()
            })
        })
    }

    /// Whether any τ transition was generated.
    pub fn tau_seen(&self) -> bool {
        self.tau_transitions > 0
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

    /// The number of states of each BFS level, from the initial state's on.
    pub fn level_sizes(&self) -> Vec<u32> {
        self.level_starts.windows(2).map(|w| w[1] - w[0]).collect()
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
        // On the search's threads (`--jobs`), the level scans and the rest.
        self.on_threads(|| {
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
        })
    }
}
