//! Explicit labelled transition systems and the simple analyses used as
//! oracles: deadlock, divergence, traces and stable initials.
//!
//! Both the reference explorer (terms) and a plain BFS over any
//! [`TransitionSystem`] produce an [`ExplicitLts`], so the fast engine and
//! the reference semantics can be compared with the same, obviously right,
//! code. Nothing here is meant to be fast.

use super::event::EventTable;
use super::semantics::Label;
use crate::explore::{TransitionSystem, TAU};
use crate::syntax::Diagnostic;
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// An explicit LTS: states `0..n` (0 is initial) with their transitions.
#[derive(Clone, Debug)]
pub struct ExplicitLts {
    /// The events the transitions are labelled with.
    pub events: EventTable,
    /// Per state, its transitions `(event, target)` in the order produced.
    pub transitions: Vec<Vec<(u32, u32)>>,
    /// Per state, whether it is the terminated state Ω.
    pub terminated: Vec<bool>,
}

/// Sets of traces (and what stable states offer after them), by label.
pub type StableInitials = BTreeMap<Vec<Label>, BTreeSet<BTreeSet<Label>>>;

/// Error for an exploration that exceeded its state limit.
pub(crate) fn limit_error(what: &str, limit: usize) -> Diagnostic {
    lts_error(
        "state-limit",
        format!("{what} has more than {limit} states; exploration stopped"),
    )
}

/// A diagnostic without a source location (the term has none).
pub(crate) fn lts_error(code: &'static str, message: String) -> Diagnostic {
    Diagnostic {
        severity: crate::syntax::Severity::Error,
        code,
        message,
        labels: Vec::new(),
        notes: Vec::new(),
        help: None,
    }
}

impl ExplicitLts {
    /// Explores `system` breadth-first into an explicit LTS (at most
    /// `max_states` states). States are numbered in BFS order.
    pub fn from_system(
        system: &dyn TransitionSystem,
        events: &EventTable,
        max_states: usize,
    ) -> Result<ExplicitLts, Diagnostic> {
        let mut index: FxHashMap<Vec<u32>, u32> = FxHashMap::default();
        let mut states: Vec<Vec<u32>> = vec![system.initial()];
        index.insert(system.initial(), 0);
        let mut transitions = Vec::new();
        let mut terminated = Vec::new();
        let mut i = 0;
        while i < states.len() {
            let mut out = Vec::new();
            let mut overflow = false;
            let current = states[i].clone();
            system.successors(&current, &mut |e, succ| {
                let n = states.len() as u32;
                let id = *index.entry(succ.to_vec()).or_insert_with(|| {
                    states.push(succ.to_vec());
                    n
                });
                if states.len() > max_states {
                    overflow = true;
                }
                out.push((e, id));
            });
            if overflow {
                return Err(limit_error("the system", max_states));
            }
            terminated.push(system.is_terminated(&current));
            transitions.push(out);
            i += 1;
        }
        Ok(ExplicitLts {
            events: events.clone(),
            transitions,
            terminated,
        })
    }

    /// Number of states.
    pub fn num_states(&self) -> usize {
        self.transitions.len()
    }

    /// Number of transitions.
    pub fn num_transitions(&self) -> usize {
        self.transitions.iter().map(Vec::len).sum()
    }

    /// The deadlocked states (no transitions, not Ω), in increasing order.
    pub fn deadlocks(&self) -> Vec<u32> {
        (0..self.num_states() as u32)
            .filter(|&s| self.transitions[s as usize].is_empty() && !self.terminated[s as usize])
            .collect()
    }

    /// Per state, whether an infinite sequence of τ steps starts there.
    /// Computed by repeatedly removing states whose τ-successors are all removed:
    /// what is left can always take another τ step.
    pub fn divergent_states(&self) -> Vec<bool> {
        let n = self.num_states();
        let mut out_degree = vec![0usize; n];
        let mut preds: Vec<Vec<u32>> = vec![Vec::new(); n];
        for (s, ts) in self.transitions.iter().enumerate() {
            for &(e, t) in ts {
                if e == TAU {
                    out_degree[s] += 1;
                    preds[t as usize].push(s as u32);
                }
            }
        }
        let mut alive = vec![true; n];
        let mut queue: VecDeque<usize> = (0..n).filter(|&s| out_degree[s] == 0).collect();
        while let Some(s) = queue.pop_front() {
            alive[s] = false;
            for &p in &preds[s] {
                out_degree[p as usize] -= 1;
                if out_degree[p as usize] == 0 {
                    queue.push_back(p as usize);
                }
            }
        }
        alive
    }

    /// True if some (reachable) state can perform τ forever.
    pub fn has_divergence(&self) -> bool {
        self.divergent_states().into_iter().any(|d| d)
    }

    /// The states reachable from `set` by τ steps (including `set`).
    pub fn tau_closure(&self, set: &BTreeSet<u32>) -> BTreeSet<u32> {
        let mut out = set.clone();
        let mut todo: Vec<u32> = set.iter().copied().collect();
        while let Some(s) = todo.pop() {
            for &(e, t) in &self.transitions[s as usize] {
                if e == TAU && out.insert(t) {
                    todo.push(t);
                }
            }
        }
        out
    }

    /// Every trace of length at most `k` (τ omitted, ✓ included), with the
    /// τ-closed set of states reached after it.
    pub fn trace_states(&self, k: usize) -> BTreeMap<Vec<Label>, BTreeSet<u32>> {
        let mut result = BTreeMap::new();
        let start = self.tau_closure(&BTreeSet::from([0]));
        let mut frontier = vec![(Vec::new(), start)];
        for depth in 0..=k {
            let mut next = Vec::new();
            for (trace, set) in frontier {
                if depth < k {
                    let mut by_event: BTreeMap<u32, BTreeSet<u32>> = BTreeMap::new();
                    for &s in &set {
                        for &(e, t) in &self.transitions[s as usize] {
                            if e != TAU {
                                by_event.entry(e).or_default().insert(t);
                            }
                        }
                    }
                    for (e, targets) in by_event {
                        let mut t2: Vec<Label> = trace.clone();
                        t2.push(self.events.label(e));
                        next.push((t2, self.tau_closure(&targets)));
                    }
                }
                result.insert(trace, set);
            }
            frontier = next;
        }
        result
    }

    /// The traces of length at most `k`.
    pub fn traces(&self, k: usize) -> BTreeSet<Vec<Label>> {
        self.trace_states(k).into_keys().collect()
    }

    /// For every trace of length at most `k`: the sets of events offered by
    /// the stable states (no τ) reached after it. Stable refusals are the
    /// complements of these.
    pub fn stable_initials(&self, k: usize) -> StableInitials {
        self.trace_states(k)
            .into_iter()
            .map(|(trace, set)| {
                let offers = set
                    .iter()
                    .filter(|&&s| self.transitions[s as usize].iter().all(|&(e, _)| e != TAU))
                    .map(|&s| {
                        self.transitions[s as usize]
                            .iter()
                            .map(|&(e, _)| self.events.label(e))
                            .collect::<BTreeSet<Label>>()
                    })
                    .collect();
                (trace, offers)
            })
            .collect()
    }

    /// A shortest trace (τ included) from the initial state to `target`, by BFS.
    pub fn path_to(&self, target: u32) -> Option<Vec<u32>> {
        let n = self.num_states();
        let mut parent: Vec<Option<(u32, u32)>> = vec![None; n];
        let mut seen = vec![false; n];
        let mut queue = VecDeque::from([0u32]);
        seen[0] = true;
        while let Some(s) = queue.pop_front() {
            if s == target {
                let mut path = Vec::new();
                let mut cur = s;
                while let Some((p, e)) = parent[cur as usize] {
                    path.push(e);
                    cur = p;
                }
                path.reverse();
                return Some(path);
            }
            for &(e, t) in &self.transitions[s as usize] {
                if !seen[t as usize] {
                    seen[t as usize] = true;
                    parent[t as usize] = Some((s, e));
                    queue.push_back(t);
                }
            }
        }
        None
    }

    /// Labels of a sequence of event ids, in CSPM notation.
    pub fn names(&self, events: &[u32]) -> Vec<String> {
        events.iter().map(|&e| self.events.name(e)).collect()
    }
}
