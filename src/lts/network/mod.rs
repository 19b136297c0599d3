//! The network: leaves under parallel, hiding, renaming and linking,
//! compiled into synchronisation rules.
//!
//! The operators above the leaves are flattened once into [`SyncRule`]s: for
//! each network-level event (τ, ✓ or visible), which leaves take part and
//! with which of their own events. Hiding and renaming are folded into the
//! rules' results. A global state is then a vector of leaf-state numbers and
//! [`Network`] implements [`TransitionSystem`] without touching any value.
//!
//! # Termination
//!
//! A leaf's ✓ becomes τ moving that leaf to its Ω state; when every leaf is
//! at Ω, the network does ✓ into a distinct final state, encoded as the value
//! `leaf(0).num_states` of component 0 (one extra value for the first leaf,
//! no extra component). A network of a single leaf (no parallel operator)
//! passes the leaf's ✓ through unchanged, exactly as the term semantics does.
//!
//! This differs from the term semantics only in τ steps of terminating
//! tails: there each parallel node turns its own ✓ (both sides at Ω) into
//! one more τ of the enclosing parallel. Those τ steps are only possible in a
//! sub-network that has wholly terminated, commute with everything else and
//! happen at most once each, so they cannot create τ cycles, remove or add
//! traces, change which events stable states offer after a trace (a stable
//! term state has taken all of them), or change whether a deadlock is
//! reachable. They change state counts only of terminating processes. ✓ is
//! never hidden, renamed, linked or synchronised, so Hide/Rename/Linked above
//! a parallel never see it: it is handled only at the top.

mod flat;

use super::event::EventTable;
use super::explicit::lts_error;
use super::leaf::LeafLts;
use super::{CompileOptions, Forcer};
use crate::eval::{Proc, ProcRef};
use crate::explore::codec::StateCodec;
use crate::explore::system::{packed_by_unpacking, Pruned};
use crate::explore::{TransitionSystem, TAU, TICK};
use crate::syntax::Diagnostic;
use flat::{flatten_moves, FlatMoves};
use rustc_hash::FxHashMap;
use std::sync::Arc;

/// One way the network can move: the listed leaves each take one transition
/// on their own event, and the network performs `result`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SyncRule {
    /// The network-level event (after hiding and renaming).
    pub result: u32,
    /// `(leaf index, leaf event id)`, by increasing leaf index.
    pub participants: Vec<(u32, u32)>,
}

/// A rule as the successor function reads it: its driving leaf and event are
/// implied by its position; the other participants are a slice of `others`.
#[derive(Clone, Copy, Debug)]
struct HotRule {
    result: u32,
    others_start: u32,
    others_end: u32,
}

/// Another participant of a rule: leaf and the local index of its event.
#[derive(Clone, Copy, Debug)]
struct Part {
    leaf: u32,
    local: u32,
    /// Start of this (leaf LTS, event) pair's column in `Network::columns`,
    /// or [`NO_COLUMN`] when the columns would be too big.
    column: u32,
}

/// [`Part::column`] when the part is looked up in its leaf instead.
const NO_COLUMN: u32 = u32::MAX;

/// Most entries of all partner columns together (8 bytes each).
const MAX_COLUMN_ENTRIES: usize = 1 << 24;

/// A compiled network of leaves; implements [`TransitionSystem`].
#[derive(Clone, Debug)]
pub struct Network {
    /// The term the network was compiled from.
    root: ProcRef,
    events: EventTable,
    /// Per leaf: its LTS (shared between leaves with the same term).
    leaves: Vec<Arc<LeafLts>>,
    /// Per leaf: its term.
    leaf_terms: Vec<ProcRef>,
    /// Number of distinct leaf LTSs.
    distinct: usize,
    rules: Vec<SyncRule>,
    /// Per leaf, per local event: the range of `hot` of rules it drives.
    drivers: Vec<Vec<(u32, u32)>>,
    /// The leaves that drive at least one rule, in order.
    driving: Vec<u32>,
    hot: Vec<HotRule>,
    others: Vec<Part>,
    /// The targets of every distinct leaf LTS's transitions, concatenated.
    targets: Vec<u32>,
    /// Per leaf: where its LTS's transitions start in `targets`.
    target_base: Vec<u32>,
    /// Per (leaf LTS, event) pair some part reads, per state of that LTS:
    /// the range of `targets` of its transitions on the event (empty if
    /// none). A partner's transitions are then one load away.
    columns: Vec<(u32, u32)>,
    /// The moves of the driving leaves, flattened (`None` when too many).
    flat: Option<FlatMoves>,
    /// Per leaf: its Ω state, or `u32::MAX`.
    omega: Vec<u32>,
    /// Multi-leaf networks that can terminate: component 0's value for the final Ω.
    final_state: Option<u32>,
}

/// A rule while the network is compiled: participants with global event ids.
#[derive(Clone, Debug)]
struct Draft {
    result: u32,
    parts: Vec<(u32, u32)>,
}

/// True for operators that form the network (everything else is a leaf).
pub fn is_network_operator(p: &Proc) -> bool {
    matches!(
        p,
        Proc::Parallel(..)
            | Proc::AlphaParallel(..)
            | Proc::Linked(..)
            | Proc::Hide(..)
            | Proc::Rename(..)
    )
}

/// A step of [`post_order`].
enum NetworkNode<'a> {
    /// A leaf (any term that is not a network operator).
    Leaf(&'a ProcRef),
    /// A network operator, after all its children.
    Operator(&'a ProcRef),
}

/// Walks the network operators of `root` and its leaves in post-order, left
/// child first (so leaves come in the network's leaf order), stopping at the
/// first error. Iterative: nesting depth is not bounded by the stack.
fn post_order<'a, E>(
    root: &'a ProcRef,
    mut visit: impl FnMut(NetworkNode<'a>) -> Result<(), E>,
) -> Result<(), E> {
    enum Frame<'a> {
        Visit(&'a ProcRef),
        Combine(&'a ProcRef),
    }
    let mut stack = vec![Frame::Visit(root)];
    while let Some(frame) = stack.pop() {
        match frame {
            Frame::Visit(t) => match &**t {
                Proc::Parallel(p, _, q)
                | Proc::AlphaParallel(p, _, _, q)
                | Proc::Linked(p, _, q) => {
                    stack.push(Frame::Combine(t));
                    stack.push(Frame::Visit(q));
                    stack.push(Frame::Visit(p));
                }
                Proc::Hide(p, _) | Proc::Rename(p, _) => {
                    stack.push(Frame::Combine(t));
                    stack.push(Frame::Visit(p));
                }
                _ => visit(NetworkNode::Leaf(t))?,
            },
            Frame::Combine(t) => visit(NetworkNode::Operator(t))?,
        }
    }
    Ok(())
}

/// Compiles `term` into a network of leaves and synchronisation rules.
pub fn compile(
    term: &ProcRef,
    forcer: &dyn Forcer,
    options: &CompileOptions,
) -> Result<Network, Diagnostic> {
    let mut events = EventTable::new();
    let mut cache: FxHashMap<ProcRef, Arc<LeafLts>> = FxHashMap::default();
    let mut leaves: Vec<Arc<LeafLts>> = Vec::new();
    let mut leaf_terms: Vec<ProcRef> = Vec::new();
    let mut results: Vec<Vec<Draft>> = Vec::new();
    post_order(term, |node| {
        match node {
            NetworkNode::Leaf(t) => {
                let lts = match cache.get(t) {
                    Some(l) => l.clone(),
                    None => {
                        let l = Arc::new(LeafLts::compile(t, forcer, &mut events, options)?);
                        cache.insert(t.clone(), l.clone());
                        l
                    }
                };
                let i = leaves.len() as u32;
                results.push(
                    lts.alphabet
                        .iter()
                        .filter(|&&e| e != TICK)
                        .map(|&e| Draft {
                            result: e,
                            parts: vec![(i, e)],
                        })
                        .collect(),
                );
                leaves.push(lts);
                leaf_terms.push(t.clone());
            }
            NetworkNode::Operator(t) => {
                let combined = combine(t, &mut results, &mut events)?;
                if combined.len() > options.max_rules {
                    return Err(lts_error(
                        "rule-limit",
                        format!(
                            "the network has more than {} synchronisation rules; exploration stopped",
                            options.max_rules
                        ),
                    ));
                }
                results.push(combined);
            }
        }
        Ok(())
    })?;
    let mut rules = results.pop().unwrap_or_default();
    let single = leaves.len() == 1;
    for (i, lts) in leaves.iter().enumerate() {
        if lts.alphabet.contains(&TICK) {
            rules.push(Draft {
                result: if single { TICK } else { TAU },
                parts: vec![(i as u32, TICK)],
            });
        }
    }
    let omega: Vec<u32> = leaves.iter().map(|l| l.omega.unwrap_or(u32::MAX)).collect();
    let final_state = match leaves.first() {
        Some(first) if !single && omega.iter().all(|&o| o != u32::MAX) => Some(first.num_states),
        _ => None,
    };
    let distinct = cache.len();
    Ok(Network::index(
        term.clone(),
        events,
        leaves,
        leaf_terms,
        distinct,
        rules,
        omega,
        final_state,
    ))
}

/// Combines the rule sets of the children of network operator `t` (popped from `results`).
fn combine(
    t: &ProcRef,
    results: &mut Vec<Vec<Draft>>,
    events: &mut EventTable,
) -> Result<Vec<Draft>, Diagnostic> {
    let mut pop = || {
        results.pop().ok_or_else(|| {
            lts_error(
                "internal",
                "network compilation lost a rule set".to_string(),
            )
        })
    };
    let merge = |l: &Draft, r: &Draft, result: u32| Draft {
        result,
        parts: l.parts.iter().chain(r.parts.iter()).copied().collect(),
    };
    let by_result = |rs: &[Draft]| {
        let mut m: FxHashMap<u32, Vec<usize>> = FxHashMap::default();
        for (i, r) in rs.iter().enumerate() {
            m.entry(r.result).or_default().push(i);
        }
        m
    };
    let out = match &**t {
        Proc::Hide(_, a) => {
            let bits = events.bits_of(a);
            let mut rs = pop()?;
            for r in &mut rs {
                if bits.contains(r.result) {
                    r.result = TAU;
                }
            }
            rs
        }
        Proc::Rename(_, pairs) => {
            let mut images: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
            for (x, y) in pairs.iter() {
                if let Some(xid) = events.get(x) {
                    let yid = events.intern(y);
                    let v = images.entry(xid).or_default();
                    if !v.contains(&yid) {
                        v.push(yid);
                    }
                }
            }
            let mut out = Vec::new();
            for r in pop()? {
                match images.get(&r.result) {
                    Some(ys) if r.result != TAU => out.extend(ys.iter().map(|&y| Draft {
                        result: y,
                        parts: r.parts.clone(),
                    })),
                    _ => out.push(r),
                }
            }
            out
        }
        Proc::Parallel(_, a, _) => {
            let bits = events.bits_of(a);
            let right = pop()?;
            let left = pop()?;
            let sync = |e: u32| e != TAU && bits.contains(e);
            let mut out: Vec<Draft> = left
                .iter()
                .chain(right.iter())
                .filter(|r| !sync(r.result))
                .cloned()
                .collect();
            let index = by_result(&right);
            for l in left.iter().filter(|l| sync(l.result)) {
                for &j in index.get(&l.result).into_iter().flatten() {
                    out.push(merge(l, &right[j], l.result));
                }
            }
            out
        }
        Proc::AlphaParallel(_, a, b, _) => {
            let (abits, bbits) = (events.bits_of(a), events.bits_of(b));
            let right = pop()?;
            let left = pop()?;
            let both = |e: u32| e != TAU && abits.contains(e) && bbits.contains(e);
            let left_alone = |e: u32| e == TAU || (abits.contains(e) && !bbits.contains(e));
            let right_alone = |e: u32| e == TAU || (bbits.contains(e) && !abits.contains(e));
            let mut out: Vec<Draft> = left
                .iter()
                .filter(|r| left_alone(r.result))
                .cloned()
                .collect();
            out.extend(right.iter().filter(|r| right_alone(r.result)).cloned());
            let index = by_result(&right);
            for l in left.iter().filter(|l| both(l.result)) {
                for &j in index.get(&l.result).into_iter().flatten() {
                    out.push(merge(l, &right[j], l.result));
                }
            }
            out
        }
        Proc::Linked(_, links, _) => {
            let mut partners: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
            let mut linked_right = super::event::EventBits::new();
            for (x, y) in links.iter() {
                if let Some(yid) = events.get(y) {
                    linked_right.insert(yid);
                }
                if let Some(xid) = events.get(x) {
                    let v = partners.entry(xid).or_default();
                    // An unknown right event cannot occur: no partner rule.
                    if let Some(yid) = events.get(y) {
                        if !v.contains(&yid) {
                            v.push(yid);
                        }
                    }
                }
            }
            let right = pop()?;
            let left = pop()?;
            let linked_left = |e: u32| e != TAU && partners.contains_key(&e);
            let mut out: Vec<Draft> = left
                .iter()
                .filter(|r| !linked_left(r.result))
                .cloned()
                .collect();
            out.extend(
                right
                    .iter()
                    .filter(|r| r.result == TAU || !linked_right.contains(r.result))
                    .cloned(),
            );
            let index = by_result(&right);
            for l in left.iter().filter(|l| linked_left(l.result)) {
                for y in partners.get(&l.result).into_iter().flatten() {
                    for &j in index.get(y).into_iter().flatten() {
                        out.push(merge(l, &right[j], TAU));
                    }
                }
            }
            out
        }
        _ => return Err(lts_error("internal", "not a network operator".to_string())),
    };
    Ok(out)
}

impl Network {
    /// Builds the successor index: rules grouped by their first participant.
    #[allow(clippy::too_many_arguments)]
    fn index(
        root: ProcRef,
        events: EventTable,
        leaves: Vec<Arc<LeafLts>>,
        leaf_terms: Vec<ProcRef>,
        distinct: usize,
        drafts: Vec<Draft>,
        omega: Vec<u32>,
        final_state: Option<u32>,
    ) -> Network {
        let local = |leaf: u32, e: u32| leaves[leaf as usize].local_index(e).unwrap_or(0);
        let mut order: Vec<usize> = (0..drafts.len())
            .filter(|&i| !drafts[i].parts.is_empty())
            .collect();
        order.sort_by_key(|&i| {
            let (leaf, e) = drafts[i].parts[0];
            (leaf, local(leaf, e), i)
        });
        let mut drivers: Vec<Vec<(u32, u32)>> = leaves
            .iter()
            .map(|l| vec![(0, 0); l.alphabet.len()])
            .collect();
        let mut hot = Vec::with_capacity(order.len());
        let mut others = Vec::new();
        for &i in &order {
            let d = &drafts[i];
            let (leaf, e) = d.parts[0];
            let slot = &mut drivers[leaf as usize][local(leaf, e) as usize];
            if slot.1 == 0 {
                *slot = (hot.len() as u32, hot.len() as u32);
            }
            let start = others.len() as u32;
            others.extend(d.parts[1..].iter().map(|&(j, f)| Part {
                leaf: j,
                local: local(j, f),
                column: NO_COLUMN,
            }));
            hot.push(HotRule {
                result: d.result,
                others_start: start,
                others_end: others.len() as u32,
            });
            slot.1 = hot.len() as u32;
        }
        let (targets, target_base) = flatten_targets(&leaves);
        let columns = build_columns(&leaves, &target_base, &mut others);
        let driving: Vec<u32> = (0..leaves.len() as u32)
            .filter(|&i| drivers[i as usize].iter().any(|&(lo, hi)| lo < hi))
            .collect();
        let rules = order
            .iter()
            .map(|&i| SyncRule {
                result: drafts[i].result,
                participants: drafts[i].parts.clone(),
            })
            .collect();
        let mut net = Network {
            root,
            events,
            leaves,
            leaf_terms,
            distinct,
            rules,
            drivers,
            driving,
            hot,
            others,
            targets,
            target_base,
            columns,
            flat: None,
            omega,
            final_state,
        };
        // Laid out for the codec an explorer makes for this network.
        let codec = StateCodec::new(&net.component_sizes());
        net.flat = flatten_moves(&net, codec);
        net
    }

    /// The events of the network, for printing.
    pub fn events(&self) -> &EventTable {
        &self.events
    }

    /// Number of leaves.
    pub fn leaf_count(&self) -> usize {
        self.leaves.len()
    }

    /// Number of distinct leaf LTSs (leaves with equal terms share one).
    pub fn distinct_leaf_count(&self) -> usize {
        self.distinct
    }

    /// The compiled LTS of leaf `i`.
    pub fn leaf(&self, i: usize) -> Option<&LeafLts> {
        self.leaves.get(i).map(|l| &**l)
    }

    /// The term of leaf `i`.
    pub fn leaf_term(&self, i: usize) -> Option<&ProcRef> {
        self.leaf_terms.get(i)
    }

    /// The synchronisation rules (τ, visible and the leaves' ✓ rules; the
    /// network's final ✓ when all leaves are Ω is implicit).
    pub fn rules(&self) -> &[SyncRule] {
        &self.rules
    }

    /// True if `state` is the final state after the network's ✓.
    pub fn is_final(&self, state: &[u32]) -> bool {
        self.final_state.is_some() && state.first().copied() == self.final_state
    }

    /// The process term of network state `state`: the compiled term with
    /// each leaf replaced by its term in `state` (Ω for the final state).
    /// Lets a counterexample be replayed state by state in the term
    /// semantics. `None` only if `state` is not a state of this network.
    pub fn term_of(&self, state: &[u32]) -> Option<ProcRef> {
        if self.is_final(state) {
            return Some(Arc::new(Proc::Omega));
        }
        let mut built: Vec<ProcRef> = Vec::new();
        let mut leaf = 0usize;
        post_order(&self.root, |node| {
            match node {
                NetworkNode::Leaf(_) => {
                    let s = *state.get(leaf).ok_or(())? as usize;
                    let lts = self.leaves.get(leaf).ok_or(())?;
                    built.push(lts.terms.get(s).ok_or(())?.clone());
                    leaf += 1;
                }
                NetworkNode::Operator(t) => {
                    let node = match &**t {
                        // Hiding and renaming vanish when their process has
                        // terminated (`P \ A` does ✓ to Ω).
                        Proc::Hide(..) | Proc::Rename(..)
                            if built.last().is_some_and(|p| matches!(**p, Proc::Omega)) =>
                        {
                            return Ok(());
                        }
                        Proc::Hide(_, a) => Proc::Hide(built.pop().ok_or(())?, a.clone()),
                        Proc::Rename(_, pairs) => {
                            Proc::Rename(built.pop().ok_or(())?, pairs.clone())
                        }
                        binary => {
                            let q = built.pop().ok_or(())?;
                            let p = built.pop().ok_or(())?;
                            match binary {
                                Proc::Parallel(_, a, _) => Proc::Parallel(p, a.clone(), q),
                                Proc::AlphaParallel(_, a, b, _) => {
                                    Proc::AlphaParallel(p, a.clone(), b.clone(), q)
                                }
                                Proc::Linked(_, links, _) => Proc::Linked(p, links.clone(), q),
                                _ => return Err(()),
                            }
                        }
                    };
                    built.push(Arc::new(node));
                }
            }
            Ok(())
        })
        .ok()?;
        built.pop()
    }

    /// Each leaf's state in `state` described for people (thunks shown by `forcer`).
    pub fn describe_state(&self, state: &[u32], forcer: &dyn Forcer) -> Vec<String> {
        if self.is_final(state) {
            return vec!["Ω".to_string(); self.leaves.len()];
        }
        self.leaves
            .iter()
            .zip(state)
            .map(|(l, &s)| l.describe_state(s, forcer))
            .collect()
    }

    /// Fills `buf` (a copy of `state`) with each successor in turn and calls
    /// `f(event, successor)`.
    #[inline]
    fn expand<F: FnMut(u32, &[u32])>(
        &self,
        state: &[u32],
        buf: &mut [u32],
        slots: &mut [(u32, u32, u32)],
        f: &mut F,
    ) {
        buf.copy_from_slice(state);
        if self.is_final(state) {
            return;
        }
        for &i in &self.driving {
            let i = i as usize;
            let lts = &self.leaves[i];
            let s = state[i];
            let drivers = &self.drivers[i];
            for g in lts.groups_of(s) {
                let (lo, hi) = drivers[g.local as usize];
                let targets = &lts.transitions[g.start as usize..g.end as usize];
                for r in &self.hot[lo as usize..hi as usize] {
                    let others = &self.others[r.others_start as usize..r.others_end as usize];
                    match others {
                        [] => {
                            for &(_, t) in targets {
                                buf[i] = t;
                                f(r.result, buf);
                            }
                        }
                        [p] => {
                            let j = p.leaf as usize;
                            let sj = state[j];
                            let (start, end) = self.partner(p, sj);
                            if start == end {
                                continue;
                            }
                            let partner = &self.targets[start as usize..end as usize];
                            for &(_, t) in targets {
                                buf[i] = t;
                                for &u in partner {
                                    buf[j] = u;
                                    f(r.result, buf);
                                }
                                buf[j] = sj;
                            }
                        }
                        _ => {
                            let mut enabled = true;
                            for (k, p) in others.iter().enumerate() {
                                let (start, end) = self.partner(p, state[p.leaf as usize]);
                                if start == end {
                                    enabled = false;
                                    break;
                                }
                                slots[k] = (p.leaf, start, end);
                            }
                            if !enabled {
                                continue;
                            }
                            for &(_, t) in targets {
                                buf[i] = t;
                                self.product(&slots[..others.len()], buf, r.result, f);
                            }
                        }
                    }
                }
                buf[i] = s;
            }
        }
        if let Some(fin) = self.final_tick(state) {
            buf[0] = fin;
            f(TICK, buf);
            buf[0] = state[0];
        }
    }

    /// When every leaf of `state` is at Ω: component 0's value after the
    /// network's ✓ (the final state).
    #[inline]
    fn final_tick(&self, state: &[u32]) -> Option<u32> {
        let fin = self.final_state?;
        state
            .iter()
            .zip(&self.omega)
            .all(|(s, o)| s == o)
            .then_some(fin)
    }

    /// The range of `targets` holding the transitions of part `p`'s leaf
    /// from state `s` on the part's event (empty if it has none).
    #[inline(always)]
    fn partner(&self, p: &Part, s: u32) -> (u32, u32) {
        if p.column != NO_COLUMN {
            return self.columns[(p.column + s) as usize];
        }
        let j = p.leaf as usize;
        let base = self.target_base[j];
        self.leaves[j]
            .find_group(s, p.local)
            .map_or((0, 0), |g| (base + g.start, base + g.end))
    }

    /// Emits every combination of the participants' transitions in `slots`
    /// (ranges of `targets`).
    fn product<F: FnMut(u32, &[u32])>(
        &self,
        slots: &[(u32, u32, u32)],
        buf: &mut [u32],
        result: u32,
        f: &mut F,
    ) {
        let Some((&(leaf, start, end), rest)) = slots.split_first() else {
            f(result, buf);
            return;
        };
        let old = buf[leaf as usize];
        for &t in &self.targets[start as usize..end as usize] {
            buf[leaf as usize] = t;
            self.product(rest, buf, result, f);
        }
        buf[leaf as usize] = old;
    }

    /// Runs `expand` with buffers on the stack when the network is narrow.
    #[inline]
    fn with_buffers<F: FnMut(u32, &[u32])>(&self, state: &[u32], mut f: F) {
        let f = &mut f;
        let n = self.leaves.len();
        if n <= STACK_WIDTH {
            let mut buf = [0u32; STACK_WIDTH];
            let mut slots = [(0u32, 0u32, 0u32); STACK_WIDTH];
            self.expand(state, &mut buf[..n], &mut slots, f);
        } else {
            let mut buf = vec![0u32; n];
            let mut slots = vec![(0u32, 0u32, 0u32); n];
            self.expand(state, &mut buf, &mut slots, f);
        }
    }
}

/// The targets of all distinct leaf LTSs concatenated, and where each
/// leaf's start.
fn flatten_targets(leaves: &[Arc<LeafLts>]) -> (Vec<u32>, Vec<u32>) {
    let mut targets = Vec::new();
    let mut seen: FxHashMap<*const LeafLts, u32> = FxHashMap::default();
    let base = leaves
        .iter()
        .map(|l| {
            *seen.entry(Arc::as_ptr(l)).or_insert_with(|| {
                let b = targets.len() as u32;
                targets.extend(l.transitions.iter().map(|&(_, t)| t));
                b
            })
        })
        .collect();
    (targets, base)
}

/// Builds one column per (leaf LTS, event) pair that `parts` read, sets each
/// part's `column`, and returns the columns; parts past
/// [`MAX_COLUMN_ENTRIES`] keep [`NO_COLUMN`].
fn build_columns(
    leaves: &[Arc<LeafLts>],
    target_base: &[u32],
    parts: &mut [Part],
) -> Vec<(u32, u32)> {
    let mut columns: Vec<(u32, u32)> = Vec::new();
    let mut made: FxHashMap<(*const LeafLts, u32), u32> = FxHashMap::default();
    for p in parts.iter_mut() {
        let j = p.leaf as usize;
        let lts = &leaves[j];
        let key = (Arc::as_ptr(lts), p.local);
        if let Some(&c) = made.get(&key) {
            p.column = c;
            continue;
        }
        if columns.len() + lts.num_states as usize > MAX_COLUMN_ENTRIES {
            continue;
        }
        let c = columns.len() as u32;
        let base = target_base[j];
        columns.extend((0..lts.num_states).map(|s| {
            lts.find_group(s, p.local)
                .map_or((0, 0), |g| (base + g.start, base + g.end))
        }));
        made.insert(key, c);
        p.column = c;
    }
    columns
}

/// Widths up to this use buffers on the stack in `successors`.
const STACK_WIDTH: usize = 32;

impl TransitionSystem for Network {
    fn width(&self) -> usize {
        self.leaves.len()
    }

    fn component_sizes(&self) -> Vec<u32> {
        let mut sizes: Vec<u32> = self.leaves.iter().map(|l| l.num_states).collect();
        if let (Some(fin), Some(first)) = (self.final_state, sizes.first_mut()) {
            *first = fin + 1;
        }
        sizes
    }

    fn codec(&self) -> StateCodec {
        match &self.flat {
            Some(flat) => flat.codec.clone(),
            None => StateCodec::new(&self.component_sizes()),
        }
    }

    fn initial(&self) -> Vec<u32> {
        self.leaves.iter().map(|l| l.initial).collect()
    }

    fn successors(&self, state: &[u32], f: &mut dyn FnMut(u32, &[u32])) {
        self.for_each_successor(state, f);
    }

    #[inline]
    fn for_each_successor<F: FnMut(u32, &[u32])>(&self, state: &[u32], mut f: F) {
        self.with_buffers(state, |e, succ| f(e, succ));
    }

    #[inline]
    fn for_each_packed_successor<F: FnMut(u32, u64, u32)>(
        &self,
        packed: u64,
        via: u32,
        codec: &StateCodec,
        scratch: &mut [u32],
        mut f: F,
    ) -> Pruned {
        match &self.flat {
            Some(flat) if flat.codec.same_layout(codec) => {
                self.expand_word(flat, packed, via, scratch, &mut f)
            }
            _ => packed_by_unpacking(self, packed, codec, scratch, f),
        }
    }

    fn is_terminated(&self, state: &[u32]) -> bool {
        match self.final_state {
            Some(fin) => state.first() == Some(&fin),
            None => {
                self.leaves.len() == 1
                    && state.first() == self.omega.first()
                    && self.omega[0] != u32::MAX
            }
        }
    }
}
