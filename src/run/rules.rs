//! The network's synchronisation rules in the form the arbiter reads them.
//!
//! The checker's [`Network`] enumerates successor *states*; the runtime needs
//! the rules themselves (which leaves take part, with which of their own
//! events) to tell each participant what to do. This table is built from
//! [`Network::rules`] and the leaves' CSR arrays, so the runtime applies
//! exactly the checker's synchronisation semantics; nothing here re-derives
//! CSP rules from terms.

use crate::lts::{LeafLts, Network};
use rustc_hash::FxHashMap;

/// The rules of a network, flattened: rule `k`'s participants are
/// `leaf[start[k]..start[k+1]]` with their events at `local` (positions in
/// the leaf's alphabet). Rules are ordered by first participant and event.
#[derive(Debug)]
pub(crate) struct Rules<'n> {
    /// The leaves' LTSs, by leaf index.
    pub leaves: Vec<&'n LeafLts>,
    /// Per rule: the network-level event (τ for hidden, ✓ for a single leaf's ✓).
    pub result: Vec<u32>,
    start: Vec<u32>,
    leaf: Vec<u32>,
    local: Vec<u32>,
    /// Per leaf, per local event: the rules it drives (is first participant of).
    drivers: Vec<Vec<(u32, u32)>>,
}

impl<'n> Rules<'n> {
    /// The rule table of `net`.
    pub fn new(net: &'n Network) -> Rules<'n> {
        let leaves: Vec<&LeafLts> = (0..net.leaf_count()).filter_map(|i| net.leaf(i)).collect();
        let local_of = |l: u32, e: u32| {
            net.leaf(l as usize)
                .and_then(|lts| lts.local_index(e))
                .unwrap_or(0)
        };
        let mut order: Vec<usize> = (0..net.rules().len())
            .filter(|&k| !net.rules()[k].participants.is_empty())
            .collect();
        order.sort_by_key(|&k| {
            let (l, e) = net.rules()[k].participants[0];
            (l, local_of(l, e), k)
        });
        let mut rules = Rules {
            drivers: leaves
                .iter()
                .map(|l| vec![(0, 0); l.alphabet.len()])
                .collect(),
            leaves,
            result: Vec::with_capacity(order.len()),
            start: vec![0],
            leaf: Vec::new(),
            local: Vec::new(),
        };
        for &k in &order {
            let r = &net.rules()[k];
            let index = rules.result.len() as u32;
            rules.result.push(r.result);
            for &(l, e) in &r.participants {
                rules.leaf.push(l);
                rules.local.push(local_of(l, e));
            }
            rules.start.push(rules.leaf.len() as u32);
            let (l, e) = r.participants[0];
            if let Some(slot) = rules
                .drivers
                .get_mut(l as usize)
                .and_then(|d| d.get_mut(local_of(l, e) as usize))
            {
                if slot.1 == 0 {
                    *slot = (index, index);
                }
                slot.1 = index + 1;
            }
        }
        rules
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.result.len()
    }

    /// Number of leaves.
    pub fn leaf_count(&self) -> usize {
        self.leaves.len()
    }

    /// The leaves that take part in rule `k`, by increasing index.
    pub fn threads(&self, k: u32) -> &[u32] {
        &self.leaf[self.start[k as usize] as usize..self.start[k as usize + 1] as usize]
    }

    /// `(leaf, local event)` of each participant of rule `k`.
    pub fn parts(&self, k: u32) -> impl Iterator<Item = (u32, u32)> + '_ {
        let r = self.start[k as usize] as usize..self.start[k as usize + 1] as usize;
        self.leaf[r.clone()]
            .iter()
            .copied()
            .zip(self.local[r].iter().copied())
    }

    /// The event id leaf `leaf` performs in rule `k` (its own, before hiding and renaming).
    pub fn leaf_event(&self, k: u32, leaf: u32) -> u32 {
        self.parts(k)
            .find(|&(l, _)| l == leaf)
            .and_then(|(l, local)| {
                self.leaves
                    .get(l as usize)
                    .and_then(|lts| lts.alphabet.get(local as usize).copied())
            })
            .unwrap_or(0)
    }

    /// The transitions `(event, target)` leaf `leaf` can take in state `s` on
    /// its `local`-th event (empty if it cannot).
    pub fn targets(&self, leaf: u32, s: u32, local: u32) -> &'n [(u32, u32)] {
        let lts = self.leaves[leaf as usize];
        match lts.find_group(s, local) {
            Some(g) => &lts.transitions[g.start as usize..g.end as usize],
            None => &[],
        }
    }

    /// True if every leaf is at its Ω and the network (of several leaves)
    /// can therefore do its final ✓.
    pub fn final_tick(&self, state: &[u32]) -> bool {
        self.leaves.len() > 1 && self.all_omega(state)
    }

    /// True if every leaf is at its Ω.
    pub fn all_omega(&self, state: &[u32]) -> bool {
        self.leaves
            .iter()
            .zip(state)
            .all(|(l, &s)| l.omega == Some(s))
    }
}

/// The enabled rules of global states, with a per-leaf cache of the rules
/// each leaf state drives (a leaf state may offer thousands of events that
/// drive nothing, e.g. a worker's `jobs?x`; the cache keeps the per-step cost
/// proportional to the rules that can actually fire).
#[derive(Debug, Default)]
pub(crate) struct Enabler {
    driven: Vec<FxHashMap<u32, Box<[u32]>>>,
}

impl Enabler {
    /// An empty cache for `rules`.
    pub fn new(rules: &Rules<'_>) -> Enabler {
        Enabler {
            driven: vec![FxHashMap::default(); rules.leaf_count()],
        }
    }

    /// Appends the rules enabled in `state` to `out`, in increasing order.
    pub fn enabled(&mut self, rules: &Rules<'_>, state: &[u32], out: &mut Vec<u32>) {
        for (i, &s) in state.iter().enumerate() {
            let lts = rules.leaves[i];
            let driven = self.driven[i].entry(s).or_insert_with(|| {
                let mut v = Vec::new();
                if s < lts.num_states {
                    for g in lts.groups_of(s) {
                        let (lo, hi) = rules.drivers[i][g.local as usize];
                        v.extend(lo..hi);
                    }
                }
                v.into_boxed_slice()
            });
            'rule: for &k in driven.iter() {
                for (l, local) in rules.parts(k).skip(1) {
                    let ls = state[l as usize];
                    let other = rules.leaves[l as usize];
                    if ls >= other.num_states || other.find_group(ls, local).is_none() {
                        continue 'rule;
                    }
                }
                out.push(k);
            }
        }
    }
}
