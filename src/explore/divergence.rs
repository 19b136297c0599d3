//! Finding τ-cycles (divergence, livelock) in an explored state space.
//!
//! The τ-edges are recovered by re-expanding every state (in parallel) and
//! looking successors up; Tarjan's algorithm (iterative) finds the strongly
//! connected components; a state in a component with an edge inside it lies
//! on a τ-cycle. The lowest-numbered such state has the shortest path.

use super::paths::Step;
use super::search::Exploration;
use super::system::{TransitionSystem, NO_VIA, TAU};
use rayon::prelude::*;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};

/// The search for τ-cycles was cancelled before its answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interrupted;

/// A reachable τ-cycle: the path to it and the cycle itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// The state on the cycle closest to the initial state.
    pub state: u32,
    /// A shortest path from the initial state to `state`.
    pub path: Vec<Step>,
    /// τ-steps from `state` back to `state`.
    pub cycle: Vec<Step>,
}

/// The τ-edges of an explored space in compressed rows, one block per run
/// of [`GRAPH_CHUNK`] states (as built in parallel; never concatenated, so
/// the graph is held once).
struct TauGraph {
    blocks: Vec<GraphBlock>,
}

/// The rows of one run of states: row `i` is `targets[offsets[i]..offsets[i + 1]]`.
struct GraphBlock {
    offsets: Vec<u32>,
    targets: Vec<u32>,
}

impl TauGraph {
    fn edges(&self, v: u32) -> &[u32] {
        let b = &self.blocks[(v / GRAPH_CHUNK) as usize];
        let i = (v % GRAPH_CHUNK) as usize;
        &b.targets[b.offsets[i] as usize..b.offsets[i + 1] as usize]
    }
}

/// States per parallel task when the τ-graph is built.
const GRAPH_CHUNK: u32 = 4096;

/// The τ-graph of `ex`, or `None` if `cancel` was set while it was built.
fn tau_graph<S: TransitionSystem>(
    ex: &Exploration,
    sys: &S,
    cancel: &AtomicBool,
) -> Option<TauGraph> {
    let n = ex.states as u32;
    // Each task builds the rows of a run of states.
    let blocks: Option<Vec<GraphBlock>> = (0..n.div_ceil(GRAPH_CHUNK))
        .into_par_iter()
        .map(|c| {
            if cancel.load(Ordering::Relaxed) {
                return None;
            }
            let (lo, hi) = (c * GRAPH_CHUNK, ((c + 1) * GRAPH_CHUNK).min(n));
            let words = ex.codec.words();
            let mut buf = vec![0u64; words];
            let mut state = vec![0u32; ex.codec.width()];
            // The τ-successors of the whole run, packed, then looked up at once.
            let (mut counts, mut packed) = (Vec::with_capacity((hi - lo) as usize), Vec::new());
            for id in lo..hi {
                let before = packed.len();
                let parent = ex.store.get(id);
                if words == 1 {
                    // The packed successor function, which changes only the
                    // moved leaves' bits (nothing pruned: no via).
                    let codec = &ex.codec;
                    sys.for_each_packed_successor(
                        parent[0],
                        NO_VIA,
                        codec,
                        &mut state,
                        |ev, succ, _| {
                            if ev == TAU {
                                packed.push(succ);
                            }
                        },
                    );
                } else {
                    ex.codec.unpack(parent, &mut state);
                    sys.for_each_successor(&state, |ev, succ| {
                        if ev == TAU {
                            ex.codec.pack(succ, &mut buf);
                            packed.extend_from_slice(&buf);
                        }
                    });
                }
                counts.push((packed.len() - before) / words);
            }
            let found = ex.lookup_batch(&packed, words);
            let mut offsets = Vec::with_capacity(counts.len() + 1);
            offsets.push(0u32);
            let mut targets = Vec::new();
            let mut at = 0;
            for count in counts {
                let start = targets.len();
                targets.extend(
                    found[at..at + count]
                        .iter()
                        .copied()
                        .filter(|&t| t != u32::MAX),
                );
                at += count;
                let row = &mut targets[start..];
                row.sort_unstable();
                let mut kept = 0;
                for k in 0..row.len() {
                    if k == 0 || row[k] != row[kept - 1] {
                        row[kept] = row[k];
                        kept += 1;
                    }
                }
                targets.truncate(start + kept);
                offsets.push(targets.len() as u32);
            }
            targets.shrink_to_fit();
            Some(GraphBlock { offsets, targets })
        })
        .collect();
    Some(TauGraph { blocks: blocks? })
}

/// Lowest-numbered state lying on a τ-cycle, by iterative Tarjan.
///
/// Per state one pair `(index, low)` (one cache line touched per visit);
/// a state whose component is finished gets index `DONE`, so "on the stack"
/// is "visited and not done". Roots are taken in increasing order, so once a
/// cycle through a state below the next root is known, no later component
/// (all of whose states are above that root) can hold a lower one.
/// `Err(Interrupted)` if `cancel` is set meanwhile (polled every 4,096 roots).
fn lowest_on_cycle(g: &TauGraph, n: u32, cancel: &AtomicBool) -> Result<Option<u32>, Interrupted> {
    const UNSEEN: u32 = u32::MAX;
    const DONE: u32 = u32::MAX - 1;
    let mut meta = vec![(UNSEEN, 0u32); n as usize];
    let mut stack: Vec<u32> = Vec::new();
    let mut calls: Vec<(u32, usize)> = Vec::new();
    let mut next = 0u32;
    let mut best: Option<u32> = None;
    for root in 0..n {
        if best.is_some_and(|b| b < root) {
            break;
        }
        if root % 4096 == 0 && cancel.load(Ordering::Relaxed) {
            return Err(Interrupted);
        }
        if meta[root as usize].0 != UNSEEN || g.edges(root).is_empty() {
            continue;
        }
        // (vertex, next edge position)
        calls.push((root, 0));
        meta[root as usize] = (next, next);
        next += 1;
        stack.push(root);
        while let Some(&mut (v, ref mut ei)) = calls.last_mut() {
            let edges = g.edges(v);
            if *ei < edges.len() {
                let w = edges[*ei];
                *ei += 1;
                let (wi, _) = meta[w as usize];
                if wi == UNSEEN {
                    meta[w as usize] = (next, next);
                    next += 1;
                    stack.push(w);
                    calls.push((w, 0));
                } else if wi != DONE {
                    let m = &mut meta[v as usize].1;
                    *m = (*m).min(wi);
                }
                continue;
            }
            calls.pop();
            let (vi, vl) = meta[v as usize];
            if let Some(&(u, _)) = calls.last() {
                let m = &mut meta[u as usize].1;
                *m = (*m).min(vl);
            }
            if vl == vi {
                let mut size = 0usize;
                let mut lowest = v;
                while let Some(w) = stack.pop() {
                    meta[w as usize].0 = DONE;
                    size += 1;
                    lowest = lowest.min(w);
                    if w == v {
                        break;
                    }
                }
                if size > 1 || g.edges(v).contains(&v) {
                    best = Some(best.map_or(lowest, |b: u32| b.min(lowest)));
                }
            }
        }
    }
    Ok(best)
}

/// Shortest τ-path from `s` back to `s` (BFS over τ-edges), if one is found
/// within `budget` states.
fn cycle_from(g: &TauGraph, s: u32, n: u32, budget: usize) -> Vec<u32> {
    const NONE: u32 = u32::MAX;
    let mut prev = vec![NONE; n as usize];
    let mut queue = VecDeque::from([s]);
    let mut visited = 0usize;
    while let Some(v) = queue.pop_front() {
        visited += 1;
        if visited > budget {
            break;
        }
        for &w in g.edges(v) {
            if w == s {
                let mut path = vec![s];
                let mut cur = v;
                while cur != s {
                    path.push(cur);
                    cur = prev[cur as usize];
                }
                path.reverse();
                return path;
            }
            if prev[w as usize] == NONE {
                prev[w as usize] = v;
                queue.push_back(w);
            }
        }
    }
    Vec::new()
}

impl Exploration {
    /// Bytes [`find_divergence`](Self::find_divergence) may allocate beyond
    /// the exploration itself (an upper bound): the τ-graph, Tarjan's and the
    /// cycle search's per-state arrays, and the slot-to-state table.
    pub fn divergence_bytes(&self) -> u64 {
        if !self.tau_seen() {
            return 0;
        }
        let slots = self.index.bytes() as u64 / 8 * 4;
        4 * self.tau_transitions + (4 + 8 + 4) * self.states + slots
    }

    /// The reachable τ-cycle closest to the initial state, if any.
    /// Only meaningful for a complete exploration.
    pub fn find_divergence<S: TransitionSystem>(&self, sys: &S) -> Option<Divergence> {
        let never = AtomicBool::new(false);
        self.find_divergence_until(sys, &never).unwrap_or(None)
    }

    /// [`find_divergence`](Self::find_divergence) that gives up with
    /// `Err(Interrupted)` soon after `cancel` becomes true (Ctrl-C).
    pub fn find_divergence_until<S: TransitionSystem>(
        &self,
        sys: &S,
        cancel: &AtomicBool,
    ) -> Result<Option<Divergence>, Interrupted> {
        if !self.tau_seen() {
            return Ok(None);
        }
        let n = self.states as u32;
        let g = self
            .on_threads(|| tau_graph(self, sys, cancel))
            .ok_or(Interrupted)?;
        // Often the lowest state with a τ-edge is itself on a τ-cycle (the
        // initial state of `P \ Events`, say); then it is the answer and a
        // search from it, much cheaper than Tarjan over the whole graph,
        // shows it. Otherwise Tarjan decides.
        let Some(first) = (0..n).find(|&v| !g.edges(v).is_empty()) else {
            return Ok(None);
        };
        let quick = cycle_from(&g, first, n, n as usize / 4);
        let (s, cycle_states) = if quick.is_empty() {
            let Some(s) = lowest_on_cycle(&g, n, cancel)? else {
                return Ok(None);
            };
            (s, cycle_from(&g, s, n, usize::MAX))
        } else {
            (first, quick)
        };
        let cycle = cycle_states
            .iter()
            .map(|&t| Step {
                event: TAU,
                state: t,
            })
            .collect();
        Ok(Some(Divergence {
            state: s,
            path: self.path_to(sys, s),
            cycle,
        }))
    }
}
