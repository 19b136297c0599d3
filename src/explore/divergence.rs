//! Finding τ-cycles (divergence, livelock) in an explored state space.
//!
//! The τ-edges are recovered by re-expanding every state (in parallel) and
//! looking successors up; Tarjan's algorithm (iterative) finds the strongly
//! connected components; a state in a component with an edge inside it lies
//! on a τ-cycle. The lowest-numbered such state has the shortest path.

use super::paths::Step;
use super::search::Exploration;
use super::system::{TransitionSystem, TAU};
use rayon::prelude::*;
use std::collections::VecDeque;

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

/// The τ-edges of an explored space in compressed rows.
struct TauGraph {
    offsets: Vec<u64>,
    targets: Vec<u32>,
}

impl TauGraph {
    fn edges(&self, v: u32) -> &[u32] {
        &self.targets[self.offsets[v as usize] as usize..self.offsets[v as usize + 1] as usize]
    }
}

fn tau_graph<S: TransitionSystem + ?Sized>(ex: &Exploration, sys: &S) -> TauGraph {
    let n = ex.states as u32;
    let rows: Vec<Vec<u32>> = (0..n)
        .into_par_iter()
        .map_init(
            || vec![0u64; ex.codec.words()],
            |buf, id| {
                let mut out = Vec::new();
                sys.successors(&ex.state(id), &mut |ev, succ| {
                    if ev == TAU {
                        ex.codec.pack(succ, buf);
                        if let Some(t) = ex.lookup_packed(buf) {
                            out.push(t);
                        }
                    }
                });
                out.sort_unstable();
                out.dedup();
                out
            },
        )
        .collect();
    let mut offsets = Vec::with_capacity(rows.len() + 1);
    offsets.push(0u64);
    let mut targets = Vec::new();
    for r in rows {
        targets.extend_from_slice(&r);
        offsets.push(targets.len() as u64);
    }
    TauGraph { offsets, targets }
}

/// Lowest-numbered state lying on a τ-cycle, by iterative Tarjan.
fn lowest_on_cycle(g: &TauGraph, n: u32) -> Option<u32> {
    const UNSEEN: u32 = u32::MAX;
    let mut index = vec![UNSEEN; n as usize];
    let mut low = vec![0u32; n as usize];
    let mut on_stack = vec![false; n as usize];
    let mut stack: Vec<u32> = Vec::new();
    let mut next = 0u32;
    let mut best: Option<u32> = None;
    for root in 0..n {
        if index[root as usize] != UNSEEN || g.edges(root).is_empty() {
            continue;
        }
        // (vertex, next edge position)
        let mut calls: Vec<(u32, usize)> = vec![(root, 0)];
        index[root as usize] = next;
        low[root as usize] = next;
        next += 1;
        stack.push(root);
        on_stack[root as usize] = true;
        while let Some(&mut (v, ref mut ei)) = calls.last_mut() {
            let edges = g.edges(v);
            if *ei < edges.len() {
                let w = edges[*ei];
                *ei += 1;
                if index[w as usize] == UNSEEN {
                    index[w as usize] = next;
                    low[w as usize] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w as usize] = true;
                    calls.push((w, 0));
                } else if on_stack[w as usize] {
                    low[v as usize] = low[v as usize].min(index[w as usize]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(u, _)) = calls.last() {
                low[u as usize] = low[u as usize].min(low[v as usize]);
            }
            if low[v as usize] == index[v as usize] {
                let mut comp = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w as usize] = false;
                    comp.push(w);
                    if w == v {
                        break;
                    }
                }
                let cyclic = comp.len() > 1 || g.edges(v).contains(&v);
                if cyclic {
                    let m = comp.iter().copied().min().unwrap_or(v);
                    best = Some(best.map_or(m, |b: u32| b.min(m)));
                }
            }
        }
    }
    best
}

/// Shortest τ-path from `s` back to `s` (BFS over τ-edges).
fn cycle_from(g: &TauGraph, s: u32) -> Vec<u32> {
    let mut prev: rustc_hash::FxHashMap<u32, u32> = Default::default();
    let mut queue = VecDeque::from([s]);
    while let Some(v) = queue.pop_front() {
        for &w in g.edges(v) {
            if w == s {
                let mut path = vec![s];
                let mut cur = v;
                while cur != s {
                    path.push(cur);
                    cur = prev[&cur];
                }
                path.reverse();
                return path;
            }
            if let std::collections::hash_map::Entry::Vacant(e) = prev.entry(w) {
                e.insert(v);
                queue.push_back(w);
            }
        }
    }
    Vec::new()
}

impl Exploration {
    /// The reachable τ-cycle closest to the initial state, if any.
    /// Only meaningful for a complete exploration.
    pub fn find_divergence<S: TransitionSystem + ?Sized>(&self, sys: &S) -> Option<Divergence> {
        if !self.tau_seen {
            return None;
        }
        let g = tau_graph(self, sys);
        let s = lowest_on_cycle(&g, self.states as u32)?;
        let cycle_states = cycle_from(&g, s);
        let cycle = cycle_states
            .iter()
            .map(|&t| Step {
                event: TAU,
                state: t,
            })
            .collect();
        Some(Divergence {
            state: s,
            path: self.path_to(sys, s),
            cycle,
        })
    }
}
