//! Normalising a specification for refinement and determinism checks.
//!
//! The specification is explored with the parallel explorer, its transition
//! relation extracted ([`Graph`]), and then made deterministic by the subset
//! construction over τ-closures ([`NormalForm`]): a normal node is the set of
//! specification states reachable by one visible trace (τ steps included).
//! Each node records what the models need:
//! - its visible transitions (one target node per event: that is what makes
//!   the normal form deterministic, so a trace has exactly one node);
//! - for the failures models, its *minimal acceptances*: the sets of events
//!   offered by its stable states, keeping only the minimal ones. A state
//!   that can terminate may refuse every other event (FDR's treatment of ✓:
//!   `SKIP [] a -> STOP` can refuse `a`), so it contributes the acceptance
//!   `{✓}`;
//! - for the failures-divergences model, whether one of its states can
//!   perform τ forever. After such a node every behaviour is allowed, so the
//!   construction does not expand it.
//!
//! The number of nodes (and of member states, summed) is bounded: a normal
//! form that would be huge stops the check with a limit, never by running
//! out of memory.

use crate::explore::{Exploration, TransitionSystem, TAU, TICK};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Default bound on the number of normal nodes.
pub const DEFAULT_MAX_NORMAL_NODES: usize = 1_000_000;
/// Member states per normal node, on average, allowed before the
/// construction stops (bounds the memory the subsets take).
const MEMBERS_PER_NODE: usize = 64;

/// The transition relation of an explored system, in compressed rows.
#[derive(Clone, Debug)]
pub struct Graph {
    offsets: Vec<u64>,
    edges: Vec<(u32, u32)>,
}

impl Graph {
    /// Extracts the transitions of every state of a complete exploration of
    /// `sys` (in parallel; each row in the system's order).
    pub fn extract<S: TransitionSystem + ?Sized>(sys: &S, ex: &Exploration) -> Graph {
        let n = ex.states as u32;
        // States packed into one word are looked up in a hash map from the
        // packed word (the explorer's own lookup for them is a binary search
        // through an index of state numbers: a cache miss per step).
        let direct: Option<FxHashMap<u64, u32>> = (ex.codec.words() == 1).then(|| {
            let mut m = FxHashMap::with_capacity_and_hasher(n as usize, Default::default());
            for id in 0..n {
                m.insert(ex.store.get(id)[0], id);
            }
            m
        });
        const CHUNK: u32 = 4096;
        // Per chunk of states: each state's transition count, and the transitions.
        type Rows = (Vec<u32>, Vec<(u32, u32)>);
        // On the search's threads (`--jobs`).
        let chunks: Vec<Rows> = ex.on_threads(|| {
            (0..n.div_ceil(CHUNK))
                .into_par_iter()
                .map(|c| {
                    let mut counts = Vec::with_capacity(CHUNK as usize);
                    let mut edges = Vec::new();
                    let mut state = vec![0u32; ex.codec.width()];
                    let mut buf = vec![0u64; ex.codec.words()];
                    for id in c * CHUNK..((c + 1) * CHUNK).min(n) {
                        ex.codec.unpack(ex.store.get(id), &mut state);
                        let before = edges.len();
                        sys.successors(&state, &mut |ev, succ| {
                            let target = match &direct {
                                Some(m) => m.get(&ex.codec.pack_word(succ)).copied(),
                                None => {
                                    ex.codec.pack(succ, &mut buf);
                                    ex.lookup_packed(&buf)
                                }
                            };
                            if let Some(t) = target {
                                edges.push((ev, t));
                            }
                        });
                        counts.push((edges.len() - before) as u32);
                    }
                    (counts, edges)
                })
                .collect()
        });
        let mut offsets = Vec::with_capacity(n as usize + 1);
        offsets.push(0u64);
        let mut edges = Vec::with_capacity(chunks.iter().map(|c| c.1.len()).sum());
        for (counts, e) in chunks {
            let mut at = edges.len() as u64;
            for c in counts {
                at += c as u64;
                offsets.push(at);
            }
            edges.extend_from_slice(&e);
        }
        Graph { offsets, edges }
    }

    /// Number of states.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// True if there are no states.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The transitions `(event, target)` of state `s`.
    pub fn edges(&self, s: u32) -> &[(u32, u32)] {
        &self.edges[self.offsets[s as usize] as usize..self.offsets[s as usize + 1] as usize]
    }

    /// Per state, whether it can perform τ forever (it reaches a τ-cycle by
    /// τ steps): what is left after repeatedly removing states whose
    /// τ-successors are all removed.
    pub fn divergent(&self) -> Vec<bool> {
        let n = self.len();
        let mut out_degree = vec![0u32; n];
        let mut pred_count = vec![0u32; n + 1];
        for s in 0..n as u32 {
            for &(e, t) in self.edges(s) {
                if e == TAU {
                    out_degree[s as usize] += 1;
                    pred_count[t as usize + 1] += 1;
                }
            }
        }
        for i in 0..n {
            pred_count[i + 1] += pred_count[i];
        }
        let mut fill = pred_count.clone();
        let mut preds = vec![0u32; pred_count[n] as usize];
        for s in 0..n as u32 {
            for &(e, t) in self.edges(s) {
                if e == TAU {
                    preds[fill[t as usize] as usize] = s;
                    fill[t as usize] += 1;
                }
            }
        }
        let mut alive = vec![true; n];
        let mut queue: Vec<u32> = (0..n as u32)
            .filter(|&s| out_degree[s as usize] == 0)
            .collect();
        while let Some(s) = queue.pop() {
            alive[s as usize] = false;
            for &p in &preds[pred_count[s as usize] as usize..pred_count[s as usize + 1] as usize] {
                out_degree[p as usize] -= 1;
                if out_degree[p as usize] == 0 {
                    queue.push(p);
                }
            }
        }
        alive
    }
}

/// What the normal form must record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NormalModel {
    /// Record minimal acceptances (failures models).
    pub acceptances: bool,
    /// Record divergence and do not expand divergent nodes (FD).
    pub divergences: bool,
}

/// Why a normal form could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NormalError {
    /// More nodes (or member states) than allowed: the nodes built so far.
    TooLarge(usize),
    /// The cancel flag was set: the nodes built so far.
    Cancelled(usize),
}

/// A deterministic form of a specification (see the module documentation).
#[derive(Clone, Debug)]
pub struct NormalForm {
    /// Per node, the range of `trans` holding its transitions.
    offsets: Vec<u32>,
    /// `(event, node)`, sorted by event within each node.
    trans: Vec<(u32, u32)>,
    /// Per node, whether it is divergent (only with `divergences`).
    divergent: Vec<bool>,
    /// Per node, its family of minimal acceptances (index into `families`).
    family: Vec<u32>,
    /// Distinct families: each a list of acceptances (sorted event ids),
    /// smallest first.
    families: Vec<Vec<Box<[u32]>>>,
}

/// Marks states in a τ-closure computation without clearing between uses.
struct Marks {
    stamp: Vec<u32>,
    now: u32,
}

impl Marks {
    fn next(&mut self) {
        self.now = self.now.wrapping_add(1);
        if self.now == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.now = 1;
        }
    }
    fn insert(&mut self, s: u32) -> bool {
        let slot = &mut self.stamp[s as usize];
        if *slot == self.now {
            return false;
        }
        *slot = self.now;
        true
    }
}

/// Replaces `set` by its τ-closure in `g`, sorted.
fn close(g: &Graph, set: &mut Vec<u32>, marks: &mut Marks) {
    marks.next();
    set.retain(|&s| marks.insert(s));
    let mut i = 0;
    while i < set.len() {
        let s = set[i];
        for &(e, t) in g.edges(s) {
            if e == TAU && marks.insert(t) {
                set.push(t);
            }
        }
        i += 1;
    }
    set.sort_unstable();
}

/// The minimal acceptances of a set of states: the visible initials of each
/// stable state, `{✓}` for a state that can terminate; only minimal sets kept.
fn acceptances(g: &Graph, members: &[u32]) -> Vec<Box<[u32]>> {
    let mut sets: Vec<Vec<u32>> = Vec::new();
    for &s in members {
        let edges = g.edges(s);
        let set = if edges.iter().any(|&(e, _)| e == TICK) {
            vec![TICK]
        } else if edges.iter().all(|&(e, _)| e != TAU) {
            let mut v: Vec<u32> = edges.iter().map(|&(e, _)| e).collect();
            v.sort_unstable();
            v.dedup();
            v
        } else {
            continue;
        };
        sets.push(set);
    }
    sets.sort_unstable_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    sets.dedup();
    let mut minimal: Vec<Box<[u32]>> = Vec::new();
    for s in sets {
        if !minimal.iter().any(|m| is_subset(m, &s)) {
            minimal.push(s.into_boxed_slice());
        }
    }
    minimal
}

/// True if sorted `a` is a subset of sorted `b`.
fn is_subset(a: &[u32], b: &[u32]) -> bool {
    let mut j = 0;
    for &x in a {
        while j < b.len() && b[j] < x {
            j += 1;
        }
        if j == b.len() || b[j] != x {
            return false;
        }
        j += 1;
    }
    true
}

impl NormalForm {
    /// Normalises the system whose transitions are `g` (state 0 initial).
    /// `divergent` (per state) is required when `model.divergences` is set.
    pub fn build(
        g: &Graph,
        model: NormalModel,
        divergent: Option<&[bool]>,
        max_nodes: usize,
        cancel: Option<&Arc<AtomicBool>>,
    ) -> Result<NormalForm, NormalError> {
        let max_members = max_nodes.saturating_mul(MEMBERS_PER_NODE);
        let mut marks = Marks {
            stamp: vec![0; g.len()],
            now: 0,
        };
        let mut index: FxHashMap<Arc<[u32]>, u32> = FxHashMap::default();
        let mut nodes: Vec<Arc<[u32]>> = Vec::new();
        let mut members_total = 0usize;
        let mut family_index: FxHashMap<Vec<Box<[u32]>>, u32> = FxHashMap::default();
        let mut nf = NormalForm {
            offsets: vec![0],
            trans: Vec::new(),
            divergent: Vec::new(),
            family: Vec::new(),
            families: Vec::new(),
        };
        let mut first = vec![0u32];
        close(g, &mut first, &mut marks);
        let first: Arc<[u32]> = first.into();
        members_total += first.len();
        index.insert(first.clone(), 0);
        nodes.push(first);
        let mut edges: Vec<(u32, u32)> = Vec::new();
        let mut k = 0;
        while k < nodes.len() {
            if k % 1024 == 0 && cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                return Err(NormalError::Cancelled(nodes.len()));
            }
            let members = nodes[k].clone();
            let div = model.divergences
                && divergent.is_some_and(|d| members.iter().any(|&s| d[s as usize]));
            nf.divergent.push(div);
            let family = if model.acceptances && !div {
                acceptances(g, &members)
            } else {
                Vec::new()
            };
            let next_family = nf.families.len() as u32;
            let f = *family_index.entry(family.clone()).or_insert(next_family);
            if f == next_family {
                nf.families.push(family);
            }
            nf.family.push(f);
            if !div {
                edges.clear();
                for &s in members.iter() {
                    edges.extend(g.edges(s).iter().filter(|&&(e, _)| e != TAU));
                }
                edges.sort_unstable();
                edges.dedup();
                let mut i = 0;
                while i < edges.len() {
                    let e = edges[i].0;
                    let mut set: Vec<u32> = Vec::new();
                    while i < edges.len() && edges[i].0 == e {
                        set.push(edges[i].1);
                        i += 1;
                    }
                    close(g, &mut set, &mut marks);
                    let target = match index.get(&set[..]) {
                        Some(&t) => t,
                        None => {
                            members_total += set.len();
                            if nodes.len() >= max_nodes || members_total > max_members {
                                return Err(NormalError::TooLarge(nodes.len()));
                            }
                            let t = nodes.len() as u32;
                            let set: Arc<[u32]> = set.into();
                            index.insert(set.clone(), t);
                            nodes.push(set);
                            t
                        }
                    };
                    nf.trans.push((e, target));
                }
            }
            nf.offsets.push(nf.trans.len() as u32);
            k += 1;
        }
        Ok(nf)
    }

    /// Number of nodes (node 0 is initial).
    pub fn len(&self) -> usize {
        self.divergent.len()
    }

    /// True if there are no nodes (never, for a built form).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The transitions `(event, node)` of node `n`, sorted by event.
    pub fn transitions(&self, n: u32) -> &[(u32, u32)] {
        &self.trans[self.offsets[n as usize] as usize..self.offsets[n as usize + 1] as usize]
    }

    /// The node after event `e` from node `n`, if the specification can do it.
    #[inline]
    pub fn after(&self, n: u32, e: u32) -> Option<u32> {
        let t = self.transitions(n);
        if t.len() <= 8 {
            return t.iter().find(|&&(x, _)| x == e).map(|&(_, m)| m);
        }
        t.binary_search_by_key(&e, |&(x, _)| x).ok().map(|i| t[i].1)
    }

    /// True if node `n` is divergent (recorded only for the FD model).
    #[inline]
    pub fn is_divergent(&self, n: u32) -> bool {
        self.divergent[n as usize]
    }

    /// The minimal acceptances of node `n` (failures models), smallest first.
    pub fn acceptances(&self, n: u32) -> &[Box<[u32]>] {
        &self.families[self.family[n as usize] as usize]
    }

    /// True if some minimal acceptance of `n` is contained in `offered`
    /// (tested with `contains`): the specification can then refuse whatever
    /// a state offering only `offered` refuses.
    #[inline]
    pub fn accepts_within(&self, n: u32, contains: impl Fn(u32) -> bool) -> bool {
        self.acceptances(n)
            .iter()
            .any(|a| a.iter().all(|&e| contains(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A graph from rows of `(event, target)`.
    fn graph(rows: &[&[(u32, u32)]]) -> Graph {
        let mut offsets = vec![0u64];
        let mut edges = Vec::new();
        for r in rows {
            edges.extend_from_slice(r);
            offsets.push(edges.len() as u64);
        }
        Graph { offsets, edges }
    }

    const ALL: NormalModel = NormalModel {
        acceptances: true,
        divergences: true,
    };

    #[test]
    fn internal_choice_merges_into_one_node_with_two_acceptances() {
        // 0 = a -> STOP |~| b -> STOP: 0 -τ-> 1, 0 -τ-> 2, 1 -a-> 3, 2 -b-> 3.
        let g = graph(&[&[(0, 1), (0, 2)], &[(2, 3)], &[(3, 3)], &[]]);
        let nf = NormalForm::build(&g, ALL, Some(&g.divergent()), 10, None).unwrap();
        assert_eq!(nf.len(), 2);
        assert_eq!(nf.transitions(0), &[(2, 1), (3, 1)]);
        let acc: Vec<&[u32]> = nf.acceptances(0).iter().map(|a| &a[..]).collect();
        assert_eq!(acc, vec![&[2][..], &[3][..]]);
        assert_eq!(nf.acceptances(1).len(), 1);
        assert!(nf.acceptances(1)[0].is_empty());
        assert!(nf.accepts_within(0, |e| e == 3));
        assert!(!nf.accepts_within(0, |e| e == 4));
    }

    #[test]
    fn termination_accepts_only_tick_and_supersets_are_dropped() {
        // 0 offers a and ✓; 1 (reached by τ from 2) offers a, b.
        let g = graph(&[
            &[(2, 1), (TICK, 3)],
            &[],
            &[(0, 4), (0, 0)],
            &[],
            &[(2, 1), (3, 1)],
        ]);
        let acc = acceptances(&g, &[0, 2, 4]);
        let acc: Vec<&[u32]> = acc.iter().map(|a| &a[..]).collect();
        assert_eq!(acc, vec![&[TICK][..], &[2, 3][..]]);
    }

    #[test]
    fn divergent_nodes_are_not_expanded_and_limits_stop() {
        // 0 -τ-> 0 (DIV) [] a -> 1.
        let g = graph(&[&[(0, 0), (2, 1)], &[]]);
        let nf = NormalForm::build(&g, ALL, Some(&g.divergent()), 10, None).unwrap();
        assert_eq!((nf.len(), nf.is_divergent(0)), (1, true));
        assert!(nf.transitions(0).is_empty());
        let t = NormalModel {
            acceptances: false,
            divergences: false,
        };
        let nf = NormalForm::build(&g, t, None, 10, None).unwrap();
        assert_eq!(nf.len(), 2);
        assert_eq!(
            NormalForm::build(&g, t, None, 1, None).unwrap_err(),
            NormalError::TooLarge(1)
        );
    }
}
