//! Leaves: the sequential parts of a system, compiled once into small
//! explicit LTSs.
//!
//! A leaf term is explored under the rules of [`super::semantics`] into a
//! petgraph graph (hash-consed terms, BFS numbering), then frozen into a
//! compact CSR form: per state a slice of `(event, target)` sorted by event,
//! and per state the distinct events it offers with their slice ranges, which
//! is what the network's successor function reads. A leaf that keeps growing
//! (`P(n) = up -> P(n+1)`) stops with an error naming it after a bound.

use super::event::EventTable;
use super::explicit::lts_error;
use super::reference::depth_error;
use super::semantics::{deeper_than, transitions};
use super::{describe_term, CompileOptions, Forcer};
use crate::eval::{Proc, ProcRef};
use crate::syntax::Diagnostic;
use petgraph::graph::{DiGraph, NodeIndex};
use rustc_hash::FxHashMap;

/// The transitions of one leaf state on one event: a slice of the CSR array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventGroup {
    /// Position of the event in the leaf's [`LeafLts::alphabet`].
    pub local: u32,
    /// The event id.
    pub event: u32,
    /// First transition (index into [`LeafLts::transitions`]).
    pub start: u32,
    /// One past the last transition.
    pub end: u32,
}

/// The compiled LTS of one leaf, in compressed sparse row form.
#[derive(Clone, Debug)]
pub struct LeafLts {
    /// Number of states.
    pub num_states: u32,
    /// The initial state (always 0).
    pub initial: u32,
    /// `transitions[offsets[s]..offsets[s+1]]` are the transitions of state `s`.
    pub offsets: Vec<u32>,
    /// `(event, target)`, sorted by event then target within each state.
    pub transitions: Vec<(u32, u32)>,
    /// The state Ω (after ✓), if the leaf can terminate (or is Ω).
    pub omega: Option<u32>,
    /// Every event id the leaf ever performs (τ and ✓ included), sorted.
    pub alphabet: Vec<u32>,
    /// The term of each state.
    pub terms: Vec<ProcRef>,
    group_offsets: Vec<u32>,
    groups: Vec<EventGroup>,
    /// `dense[s * alphabet.len() + local]` = index into `groups` + 1 (0 = none),
    /// when that table is small enough; makes a partner's lookup one load.
    dense: Vec<u32>,
}

/// Largest dense group table (entries) a leaf keeps.
const MAX_DENSE: usize = 1 << 22;

impl LeafLts {
    /// Explores `term` into a leaf LTS, interning its events in `events`.
    /// Fails (naming the process) beyond `options.max_leaf_states` states.
    pub fn compile(
        term: &ProcRef,
        forcer: &dyn Forcer,
        events: &mut EventTable,
        options: &CompileOptions,
    ) -> Result<LeafLts, Diagnostic> {
        let mut graph: DiGraph<(), u32, u32> = DiGraph::default();
        let mut index: FxHashMap<ProcRef, u32> = FxHashMap::default();
        let mut terms: Vec<ProcRef> = Vec::new();
        let mut add = |t: ProcRef,
                       graph: &mut DiGraph<(), u32, u32>,
                       terms: &mut Vec<ProcRef>|
         -> Result<u32, Diagnostic> {
            if let Some(&s) = index.get(&t) {
                return Ok(s);
            }
            if terms.len() >= options.max_leaf_states {
                return Err(too_many_states(term, &t, forcer, options.max_leaf_states));
            }
            if deeper_than(&t, options.max_term_depth) {
                return Err(depth_error(&t, forcer, options.max_term_depth));
            }
            let s = graph.add_node(()).index() as u32;
            index.insert(t.clone(), s);
            terms.push(t);
            Ok(s)
        };
        add(term.clone(), &mut graph, &mut terms)?;
        let mut i = 0;
        while i < terms.len() {
            let from = terms[i].clone();
            for (label, target) in transitions(&from, forcer)? {
                let e = events.intern_label(&label);
                let t = add(target, &mut graph, &mut terms)?;
                graph.add_edge(NodeIndex::new(i), NodeIndex::new(t as usize), e);
            }
            i += 1;
        }
        Ok(LeafLts::freeze(&graph, terms))
    }

    /// The CSR form of an explored graph (node `i` has term `terms[i]`).
    fn freeze(graph: &DiGraph<(), u32, u32>, terms: Vec<ProcRef>) -> LeafLts {
        let n = graph.node_count();
        let mut offsets = Vec::with_capacity(n + 1);
        let mut transitions = Vec::with_capacity(graph.edge_count());
        offsets.push(0);
        for s in 0..n {
            let mut ts: Vec<(u32, u32)> = graph
                .edges(NodeIndex::new(s))
                .map(|e| {
                    use petgraph::visit::EdgeRef;
                    (*e.weight(), e.target().index() as u32)
                })
                .collect();
            ts.sort_unstable();
            ts.dedup();
            transitions.extend(ts);
            offsets.push(transitions.len() as u32);
        }
        let mut alphabet: Vec<u32> = transitions.iter().map(|&(e, _)| e).collect();
        alphabet.sort_unstable();
        alphabet.dedup();
        let mut group_offsets = Vec::with_capacity(n + 1);
        let mut groups = Vec::new();
        group_offsets.push(0);
        for s in 0..n {
            let (lo, hi) = (offsets[s] as usize, offsets[s + 1] as usize);
            let mut j = lo;
            while j < hi {
                let e = transitions[j].0;
                let mut k = j;
                while k < hi && transitions[k].0 == e {
                    k += 1;
                }
                let local = alphabet.binary_search(&e).unwrap_or(0) as u32;
                groups.push(EventGroup {
                    local,
                    event: e,
                    start: j as u32,
                    end: k as u32,
                });
                j = k;
            }
            group_offsets.push(groups.len() as u32);
        }
        let omega = terms
            .iter()
            .position(|t| matches!(**t, Proc::Omega))
            .map(|s| s as u32);
        let mut dense = Vec::new();
        if n.saturating_mul(alphabet.len()) <= MAX_DENSE {
            dense = vec![0u32; n * alphabet.len()];
            for s in 0..n {
                for g in group_offsets[s]..group_offsets[s + 1] {
                    let local = groups[g as usize].local as usize;
                    dense[s * alphabet.len() + local] = g + 1;
                }
            }
        }
        LeafLts {
            num_states: n as u32,
            initial: 0,
            offsets,
            transitions,
            omega,
            alphabet,
            terms,
            group_offsets,
            groups,
            dense,
        }
    }

    /// The transitions of state `s`, sorted by event then target.
    pub fn transitions_of(&self, s: u32) -> &[(u32, u32)] {
        let s = s as usize;
        &self.transitions[self.offsets[s] as usize..self.offsets[s + 1] as usize]
    }

    /// The distinct events state `s` offers, in increasing order, with their transitions.
    #[inline]
    pub fn groups_of(&self, s: u32) -> &[EventGroup] {
        let s = s as usize;
        &self.groups[self.group_offsets[s] as usize..self.group_offsets[s + 1] as usize]
    }

    /// The transitions of state `s` on the alphabet's `local`-th event, if any.
    #[inline]
    pub fn find_group(&self, s: u32, local: u32) -> Option<&EventGroup> {
        if !self.dense.is_empty() {
            let g = self.dense[s as usize * self.alphabet.len() + local as usize];
            return g.checked_sub(1).map(|g| &self.groups[g as usize]);
        }
        let gs = self.groups_of(s);
        if gs.len() <= 8 {
            gs.iter().find(|g| g.local == local)
        } else {
            gs.binary_search_by_key(&local, |g| g.local)
                .ok()
                .map(|i| &gs[i])
        }
    }

    /// Position of event id `e` in the alphabet.
    pub fn local_index(&self, e: u32) -> Option<u32> {
        self.alphabet.binary_search(&e).ok().map(|i| i as u32)
    }

    /// Number of transitions.
    pub fn num_transitions(&self) -> usize {
        self.transitions.len()
    }

    /// State `s` described for people (thunks shown by `forcer`).
    pub fn describe_state(&self, s: u32, forcer: &dyn Forcer) -> String {
        self.terms
            .get(s as usize)
            .map_or_else(|| "Ω".to_string(), |t| describe_term(t, forcer))
    }

    /// The LTS as a petgraph graph (node weight = state number, edge weight = event id).
    pub fn to_petgraph(&self) -> DiGraph<u32, u32, u32> {
        let mut g = DiGraph::default();
        for s in 0..self.num_states {
            g.add_node(s);
        }
        for s in 0..self.num_states {
            for &(e, t) in self.transitions_of(s) {
                g.add_edge(NodeIndex::new(s as usize), NodeIndex::new(t as usize), e);
            }
        }
        g
    }
}

fn too_many_states(
    root: &ProcRef,
    last: &ProcRef,
    forcer: &dyn Forcer,
    limit: usize,
) -> Diagnostic {
    lts_error(
        "leaf-state-limit",
        format!(
            "the sequential process `{}` has more than {limit} states; it is probably infinite-state",
            describe_term(root, forcer)
        ),
    )
    .with_note(format!("one of its states: {}", describe_term(last, forcer)))
    .with_help(
        "bound its parameters (e.g. `P(n) = n < 10 & up -> P(n+1)`), avoid recursion through `;` or a parallel operator \
         below a prefix, or raise the leaf state limit",
    )
}
