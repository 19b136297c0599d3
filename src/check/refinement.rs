//! Refinement checks `S [T= I`, `S [F= I`, `S [FD= I` with FDR's semantics.
//!
//! The specification is normalised ([`super::normal`]); then the product of
//! its normal form with the implementation is searched by the parallel
//! explorer, as one more [`TransitionSystem`] ([`Product`]): a product state
//! is the implementation's state vector plus one component for the normal
//! node. A violation found while expanding a state becomes a transition to
//! an *error state* (the normal component set to an error value), and the
//! explorer stops at the first error state reached
//! ([`crate::explore::Explorer::stop_at`]). The search is therefore parallel,
//! breadth-first (shortest counterexamples) and identical for any thread
//! count. What is a violation at a product state `(n, i)`:
//! - **T**: `i` performs a visible event (or ✓) that `n` cannot;
//! - **F**: also, `i` is stable (or can terminate, which lets it refuse all
//!   but ✓) and offers no superset of any minimal acceptance of `n`: it
//!   refuses a set the specification cannot refuse;
//! - **FD**: also, `i` can perform τ forever and `n` is not divergent. After
//!   a divergent `n` everything is allowed, so the product stops there.
//!   Divergence is not local: it is found after the search as a τ-cycle of
//!   the product (τ steps keep `n`), and the violation nearer the initial
//!   state is reported.
//!
//! Every counterexample is replayed through the reference semantics, on the
//! implementation (it can do the trace and the claimed end) and on the
//! specification (it cannot), before it is reported.

use super::counterexample::{after_events, confirm, visible_names};
use super::normal::{Graph, NormalError, NormalForm, NormalModel};
use super::replay::Claim;
use super::{explore_with, find_divergence, CheckOptions, Checker, Failure, Outcome};
use crate::eval::ProcRef;
use crate::explore::{Exploration, Explorer, Step, TransitionSystem, TAU, TICK};
use crate::lts::{compile, EventTable, Forcer, Label, Network};
use crate::report::{group, Counterexample};
use crate::syntax::ast::Model;

/// The step into an error state for a refusal (or nondeterminism) violation
/// that is not an event of the implementation.
pub(crate) const REFUSAL_STEP: u32 = u32::MAX;
/// The step into an error state for a divergence found locally.
pub(crate) const DIVERGENCE_STEP: u32 = u32::MAX - 1;
/// An implementation event the specification never performs.
const NO_EVENT: u32 = u32::MAX;
/// Error values of the normal component, above the last node.
const ERR_TRACE: u32 = 0;
const ERR_REFUSAL: u32 = 1;
const ERR_DIVERGENCE: u32 = 2;

/// What kind of violation a counterexample shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViolationKind {
    /// The implementation performs an event the specification cannot.
    Trace,
    /// The implementation refuses a set the specification cannot refuse.
    Refusal,
    /// The implementation diverges where the specification does not (or, for
    /// determinism in FD, the process diverges).
    Divergence,
    /// The process can both accept and refuse an event after a trace.
    Nondeterminism,
}

impl ViolationKind {
    /// The `kind` of the reported counterexample.
    pub fn name(self) -> &'static str {
        match self {
            ViolationKind::Trace => "trace",
            ViolationKind::Refusal => "refusal",
            ViolationKind::Divergence => "divergence",
            ViolationKind::Nondeterminism => "nondeterminism",
        }
    }
}

/// A violation in terms of labels, as the library returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// What went wrong.
    pub kind: ViolationKind,
    /// The visible trace of the implementation before the violation.
    pub trace: Vec<Label>,
    /// The offending event (trace violations and nondeterminism).
    pub event: Option<Label>,
    /// Events the implementation refuses together that the specification
    /// cannot (refusal violations).
    pub refusal: Vec<Label>,
    /// The specification's minimal acceptances after the trace (refusal
    /// violations).
    pub acceptances: Vec<Vec<Label>>,
}

/// The result of a refinement or determinism check on process terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    /// True if the refinement (determinism) holds.
    pub holds: bool,
    /// Product states explored.
    pub states: u64,
    /// Product transitions explored.
    pub transitions: u64,
    /// Nodes of the normal form.
    pub normal_nodes: usize,
    /// The violation found, replayed through the reference semantics.
    pub violation: Option<Violation>,
}

/// What the product checks at each state.
#[derive(Clone, Copy)]
pub(crate) enum Mode<'a> {
    /// Refinement against the normal form of a specification.
    Refinement {
        /// Check refusals (F and FD).
        failures: bool,
        /// Stop below divergent specification nodes (FD).
        divergences: bool,
    },
    /// Determinism of a process against its own normal form: a stable state
    /// must not refuse an event its normal node can perform.
    Determinism {
        /// Per implementation state: can it diverge (FD only).
        divergent: Option<&'a [bool]>,
    },
}

/// The product of an implementation with a normal form (see the module
/// documentation).
pub(crate) struct Product<'a, I: TransitionSystem + ?Sized> {
    imp: &'a I,
    width: usize,
    nf: &'a NormalForm,
    /// Implementation event id -> specification event id (`NO_EVENT` when
    /// the specification never performs it); empty for the identity.
    map: Vec<u32>,
    mode: Mode<'a>,
    nodes: u32,
}

/// Events a state offers, collected without allocating in the common case.
struct Offers {
    inline: [u32; 32],
    len: usize,
    spill: Vec<u32>,
}

impl Offers {
    fn new() -> Offers {
        Offers {
            inline: [0; 32],
            len: 0,
            spill: Vec::new(),
        }
    }
    #[inline]
    fn push(&mut self, e: u32) {
        if self.len < self.inline.len() {
            self.inline[self.len] = e;
            self.len += 1;
        } else {
            self.spill.push(e);
        }
    }
    #[inline]
    fn contains(&self, e: u32) -> bool {
        self.inline[..self.len].contains(&e) || self.spill.contains(&e)
    }
}

/// Widths up to this use buffers on the stack in `successors`.
const STACK_WIDTH: usize = 64;

impl<'a, I: TransitionSystem + ?Sized> Product<'a, I> {
    /// The product of `imp` with `nf`; `map` translates implementation event
    /// ids to the normal form's (empty: the same ids).
    pub(crate) fn new(imp: &'a I, nf: &'a NormalForm, map: Vec<u32>, mode: Mode<'a>) -> Self {
        Product {
            imp,
            width: imp.width(),
            nf,
            map,
            mode,
            nodes: nf.len() as u32,
        }
    }

    /// True for an error state.
    pub(crate) fn is_error(&self, state: &[u32]) -> bool {
        state[self.width] >= self.nodes
    }

    #[inline]
    fn spec_event(&self, e: u32) -> u32 {
        if self.map.is_empty() || e == TICK {
            e
        } else {
            self.map.get(e as usize).copied().unwrap_or(NO_EVENT)
        }
    }

    fn expand(&self, state: &[u32], buf: &mut [u32], f: &mut dyn FnMut(u32, &[u32])) {
        let w = self.width;
        let n = state[w];
        if n >= self.nodes {
            return;
        }
        let (failures, divergent) = match self.mode {
            Mode::Refinement {
                failures,
                divergences,
            } => {
                if divergences && self.nf.is_divergent(n) {
                    return;
                }
                (failures, None)
            }
            Mode::Determinism { divergent } => (true, divergent),
        };
        let nf = self.nf;
        let err_trace = self.nodes + ERR_TRACE;
        let mut stable = true;
        let mut tick = false;
        let mut offers = Offers::new();
        self.imp.successors(&state[..w], &mut |e, succ| {
            if e == TAU {
                stable = false;
                buf[..w].copy_from_slice(succ);
                buf[w] = n;
                f(TAU, buf);
                return;
            }
            tick |= e == TICK;
            let se = self.spec_event(e);
            if failures {
                offers.push(se);
            }
            match nf.after(n, se) {
                Some(m) if se != NO_EVENT => {
                    buf[..w].copy_from_slice(succ);
                    buf[w] = m;
                    f(e, buf);
                }
                _ => {
                    buf[..w].copy_from_slice(&state[..w]);
                    buf[w] = err_trace;
                    f(e, buf);
                }
            }
        });
        buf[..w].copy_from_slice(&state[..w]);
        match self.mode {
            Mode::Refinement { .. } => {
                if failures && (stable || tick) {
                    let ok = if tick {
                        nf.accepts_within(n, |x| x == TICK)
                    } else {
                        nf.accepts_within(n, |x| offers.contains(x))
                    };
                    if !ok {
                        buf[w] = self.nodes + ERR_REFUSAL;
                        f(REFUSAL_STEP, buf);
                    }
                }
            }
            Mode::Determinism { .. } => {
                if divergent.is_some_and(|d| d.get(state[0] as usize) == Some(&true)) {
                    buf[w] = self.nodes + ERR_DIVERGENCE;
                    f(DIVERGENCE_STEP, buf);
                }
                if stable || tick {
                    let refused = nf
                        .transitions(n)
                        .iter()
                        .map(|&(a, _)| a)
                        .find(|&a| (tick && a != TICK) || (stable && !offers.contains(a)));
                    if let Some(a) = refused {
                        buf[w] = self.nodes + ERR_REFUSAL;
                        f(a, buf);
                    }
                }
            }
        }
    }
}

impl<I: TransitionSystem + ?Sized> TransitionSystem for Product<'_, I> {
    fn width(&self) -> usize {
        self.width + 1
    }

    fn component_sizes(&self) -> Vec<u32> {
        let mut sizes = self.imp.component_sizes();
        sizes.push(self.nodes + 3);
        sizes
    }

    fn initial(&self) -> Vec<u32> {
        let mut s = self.imp.initial();
        s.push(0);
        s
    }

    fn successors(&self, state: &[u32], f: &mut dyn FnMut(u32, &[u32])) {
        let n = self.width + 1;
        if n <= STACK_WIDTH {
            let mut buf = [0u32; STACK_WIDTH];
            self.expand(state, &mut buf[..n], f);
        } else {
            let mut buf = vec![0u32; n];
            self.expand(state, &mut buf, f);
        }
    }

    /// The product has no deadlocks of its own.
    fn is_terminated(&self, _: &[u32]) -> bool {
        true
    }
}

/// A violation found by a product search, in the networks' event ids.
pub(crate) struct RawViolation {
    /// What went wrong.
    pub kind: ViolationKind,
    /// The implementation's path (τ included) before the violation.
    pub steps: Vec<u32>,
    /// The offending implementation event (trace, nondeterminism).
    pub event: Option<u32>,
    /// Refused events (specification ids).
    pub refusal: Vec<u32>,
    /// Minimal acceptances of the specification (specification ids).
    pub acceptances: Vec<Vec<u32>>,
    /// What the specification can perform after the trace (its ids).
    pub spec_offers: Vec<u32>,
    /// What the implementation offers at the end (its ids, ✓ included).
    pub offers: Vec<u32>,
    /// The implementation's state vector at the end.
    pub state: Vec<u32>,
    /// τ steps repeated forever (divergence).
    pub cycle: Vec<u32>,
}

/// Reads the violation at error state `err` of a product search.
pub(crate) fn read_violation<I: TransitionSystem + ?Sized>(
    product: &Product<'_, I>,
    ex: &Exploration,
    err: u32,
) -> RawViolation {
    let path = ex.path_to(product, err);
    let w = product.width;
    let (last, before) = match path.split_last() {
        Some((last, before)) => (last.event, before),
        None => (REFUSAL_STEP, &path[..]),
    };
    let pred = before.last().map_or(0, |s| s.state);
    let pred_state = ex.state(pred);
    let n = pred_state[w];
    let i = &pred_state[..w];
    let err_value = ex.state(err)[w].saturating_sub(product.nodes);
    let mut offers: Vec<u32> = Vec::new();
    product.imp.successors(i, &mut |e, _| {
        if e != TAU && !offers.contains(&e) {
            offers.push(e);
        }
    });
    offers.sort_unstable();
    let spec_offers: Vec<u32> = product.nf.transitions(n).iter().map(|&(e, _)| e).collect();
    let mut v = RawViolation {
        kind: ViolationKind::Trace,
        steps: before.iter().map(|s| s.event).collect(),
        event: None,
        refusal: Vec::new(),
        acceptances: Vec::new(),
        spec_offers,
        offers,
        state: i.to_vec(),
        cycle: Vec::new(),
    };
    match (err_value, product.mode) {
        (ERR_TRACE, _) => v.event = Some(last),
        (ERR_REFUSAL, Mode::Refinement { .. }) => {
            v.kind = ViolationKind::Refusal;
            let tick = v.offers.contains(&TICK);
            let offered: Vec<u32> = v.offers.iter().map(|&e| product.spec_event(e)).collect();
            let acc = product.nf.acceptances(n);
            let mut refused: Vec<u32> = acc
                .iter()
                .flat_map(|a| a.iter().copied())
                .filter(|&e| {
                    if tick {
                        e != TICK
                    } else {
                        !offered.contains(&e)
                    }
                })
                .collect();
            refused.sort_unstable();
            refused.dedup();
            v.refusal = refused;
            v.acceptances = acc.iter().map(|a| a.to_vec()).collect();
        }
        (ERR_REFUSAL, Mode::Determinism { .. }) => {
            v.kind = ViolationKind::Nondeterminism;
            v.event = Some(last);
        }
        _ => v.kind = ViolationKind::Divergence,
    }
    v
}

/// Explores `net` completely (for normalising `what`) and extracts its
/// transition relation.
pub(crate) fn explore_graph(
    net: &Network,
    options: &CheckOptions,
    label: &str,
    what: &str,
) -> Result<(Exploration, Graph), Failure> {
    let ex = explore_with(options, Explorer::new(net), label).map_err(|f| match f {
        Failure::Limit(m, s, t) => Failure::Limit(format!("exploring the {what}: {m}"), s, t),
        other => other,
    })?;
    let g = Graph::extract(net, &ex);
    Ok((ex, g))
}

/// Normalises the explored system `g`, turning a runaway into a limit.
pub(crate) fn normalise(
    g: &Graph,
    model: NormalModel,
    divergent: Option<&[bool]>,
    options: &CheckOptions,
    what: &str,
) -> Result<NormalForm, Failure> {
    NormalForm::build(
        g,
        model,
        divergent,
        options.max_normal_nodes,
        options.cancel.as_ref(),
    )
    .map_err(|e| match e {
        NormalError::TooLarge(n) => Failure::Limit(
            format!(
                "the normal form of the {what} has more than {} nodes (normal-form limit): no verdict",
                group(options.max_normal_nodes as u64)
            ),
            n as u64,
            0,
        ),
        NormalError::Cancelled(n) => Failure::Limit(
            format!(
                "interrupted while normalising the {what} ({} nodes): no verdict",
                group(n as u64)
            ),
            n as u64,
            0,
        ),
    })
}

/// Everything a refinement search found.
pub(crate) struct Search {
    /// The compiled specification.
    pub spec_net: Network,
    /// The compiled implementation.
    pub imp_net: Network,
    /// Product states explored.
    pub states: u64,
    /// Product transitions explored.
    pub transitions: u64,
    /// Nodes of the specification's normal form.
    pub normal_nodes: usize,
    /// The violation nearest the initial state, if any.
    pub violation: Option<RawViolation>,
}

/// Searches `spec [model= imp` (see the module documentation).
pub(crate) fn search(
    spec: &ProcRef,
    model: Model,
    imp: &ProcRef,
    forcer: &dyn Forcer,
    options: &CheckOptions,
    label: &str,
) -> Result<Search, Failure> {
    let failures = model != Model::Traces;
    let divergences = model == Model::FailuresDivergences;
    let spec_net = compile(spec.clone(), forcer, &options.compile).map_err(Failure::Diagnostic)?;
    let imp_net = compile(imp.clone(), forcer, &options.compile).map_err(Failure::Diagnostic)?;
    let (_, g) = explore_graph(
        &spec_net,
        options,
        &format!("{label} (specification)"),
        "specification",
    )?;
    let divergent = divergences.then(|| g.divergent());
    let nf = normalise(
        &g,
        NormalModel {
            acceptances: failures,
            divergences,
        },
        divergent.as_deref(),
        options,
        "specification",
    )?;
    drop(g);
    let map = event_map(imp_net.events(), spec_net.events());
    let product = Product::new(
        &imp_net,
        &nf,
        map,
        Mode::Refinement {
            failures,
            divergences,
        },
    );
    let explorer = Explorer::new(&product).stop_at(|s| product.is_error(s));
    let ex = explore_with(options, explorer, label)?;
    let mut violation = ex.found.map(|err| read_violation(&product, &ex, err));
    if divergences && ex.tau_seen() {
        if let Some(d) = find_divergence(options, &ex, &product, label)? {
            if !matches!(ex.found, Some(err) if err < d.state) {
                let s = ex.state(d.state);
                violation = Some(RawViolation {
                    kind: ViolationKind::Divergence,
                    steps: d.path.iter().map(|s| s.event).collect(),
                    event: None,
                    refusal: Vec::new(),
                    acceptances: Vec::new(),
                    spec_offers: Vec::new(),
                    offers: Vec::new(),
                    state: s[..product.width].to_vec(),
                    cycle: d.cycle.iter().map(|s: &Step| s.event).collect(),
                });
            }
        }
    }
    Ok(Search {
        states: ex.states,
        transitions: ex.transitions,
        normal_nodes: nf.len(),
        violation,
        spec_net,
        imp_net,
    })
}

/// Implementation event ids to specification event ids.
fn event_map(imp: &EventTable, spec: &EventTable) -> Vec<u32> {
    (0..imp.len() as u32)
        .map(|id| match id {
            TAU | TICK => id,
            _ => imp.value(id).and_then(|v| spec.get(v)).unwrap_or(NO_EVENT),
        })
        .collect()
}

/// The visible events of a path, as labels.
pub(crate) fn trace_labels(events: &EventTable, steps: &[u32]) -> Vec<Label> {
    steps
        .iter()
        .filter(|&&e| e != TAU)
        .map(|&e| events.label(e))
        .collect()
}

/// Replays a refinement violation on both terms: the implementation can do
/// what it claims, the specification cannot match it.
fn validate(
    s: &Search,
    v: &RawViolation,
    spec: &ProcRef,
    imp: &ProcRef,
    forcer: &dyn Forcer,
) -> Result<(), Failure> {
    let mut trace = trace_labels(s.imp_net.events(), &v.steps);
    match v.kind {
        ViolationKind::Trace => {
            if let Some(e) = v.event {
                trace.push(s.imp_net.events().label(e));
            }
            confirm(imp, forcer, &trace, Claim::Trace)?;
            confirm(spec, forcer, &trace, Claim::Impossible)
        }
        ViolationKind::Refusal => {
            let x: Vec<Label> = v
                .refusal
                .iter()
                .map(|&e| s.spec_net.events().label(e))
                .collect();
            confirm(imp, forcer, &trace, Claim::Refusal(x.clone()))?;
            confirm(spec, forcer, &trace, Claim::NoRefusal(x))
        }
        ViolationKind::Divergence | ViolationKind::Nondeterminism => {
            confirm(imp, forcer, &trace, Claim::Divergence)?;
            confirm(spec, forcer, &trace, Claim::NoDivergence)
        }
    }
}

/// A failure as one line of text (for the term-level API).
pub(crate) fn failure_text(f: Failure) -> String {
    match f {
        Failure::Diagnostic(d) => format!("{} ({})", d.message, d.code),
        Failure::Message(m) | Failure::Limit(m, _, _) => m,
    }
}

/// Checks `spec [model= imp` on process terms whose thunks `forcer` forces.
/// Counterexamples are replayed through the reference semantics; an error
/// or a limit is returned as its message.
pub fn check_refinement(
    spec: &ProcRef,
    model: Model,
    imp: &ProcRef,
    forcer: &dyn Forcer,
    options: &CheckOptions,
) -> Result<Checked, String> {
    let s = search(spec, model, imp, forcer, options, "refinement").map_err(failure_text)?;
    if let Some(v) = &s.violation {
        validate(&s, v, spec, imp, forcer).map_err(failure_text)?;
    }
    let violation = s.violation.as_ref().map(|v| {
        let spec_label = |e: &u32| s.spec_net.events().label(*e);
        Violation {
            kind: v.kind,
            trace: trace_labels(s.imp_net.events(), &v.steps),
            event: v.event.map(|e| s.imp_net.events().label(e)),
            refusal: v.refusal.iter().map(spec_label).collect(),
            acceptances: v
                .acceptances
                .iter()
                .map(|a| a.iter().map(spec_label).collect())
                .collect(),
        }
    });
    Ok(Checked {
        holds: violation.is_none(),
        states: s.states,
        transitions: s.transitions,
        normal_nodes: s.normal_nodes,
        violation,
    })
}

/// `{a, b}` in CSPM notation.
pub(crate) fn set_text(events: &EventTable, ids: &[u32]) -> String {
    let names: Vec<String> = ids.iter().map(|&e| events.name(e)).collect();
    format!("{{{}}}", names.join(", "))
}

impl Checker<'_> {
    /// `spec [T= imp`, `[F=`, `[FD=`.
    pub(crate) fn refinement(
        &self,
        spec: &ProcRef,
        model: Model,
        imp: &ProcRef,
        label: &str,
    ) -> Result<Outcome, Failure> {
        let s = search(spec, model, imp, self.ev, &self.options, label)?;
        let counterexample = match &s.violation {
            Some(v) => {
                validate(&s, v, spec, imp, self.ev)?;
                Some(self.refinement_counterexample(&s, v))
            }
            None => None,
        };
        Ok(Outcome {
            holds: counterexample.is_none(),
            states: Some(s.states),
            transitions: Some(s.transitions),
            counterexample,
        })
    }

    fn refinement_counterexample(&self, s: &Search, v: &RawViolation) -> Counterexample {
        let (ie, se) = (s.imp_net.events(), s.spec_net.events());
        let trace = visible_names(ie, v.steps.iter().copied());
        let after = after_events(trace.len());
        let event = v.event.map(|e| ie.name(e));
        let explanation = match v.kind {
            ViolationKind::Trace => {
                let can = if v.spec_offers.is_empty() {
                    "it can perform no event there".to_string()
                } else {
                    format!("it can only perform {}", set_text(se, &v.spec_offers))
                };
                format!(
                    "{after} the implementation can perform {}, which the specification cannot ({can})",
                    event.clone().unwrap_or_default()
                )
            }
            ViolationKind::Refusal => {
                let offers = if v.offers.contains(&TICK) {
                    "it can terminate, so it may refuse every other event".to_string()
                } else if v.offers.is_empty() {
                    "it is stable and offers nothing".to_string()
                } else {
                    format!("it is stable and offers only {}", set_text(ie, &v.offers))
                };
                if v.acceptances.is_empty() {
                    format!(
                        "{after} the implementation can refuse events ({offers}), but the specification \
                         has no stable state there, so it can refuse nothing"
                    )
                } else {
                    format!(
                        "{after} the implementation can refuse {} ({offers}), which the specification \
                         cannot: each of its stable states there accepts one of the listed sets",
                        set_text(se, &v.refusal)
                    )
                }
            }
            _ => format!(
                "{after} the implementation can perform internal (τ) actions forever, which the \
                 specification cannot"
            ),
        };
        Counterexample {
            kind: v.kind.name().into(),
            trace,
            steps: v.steps.iter().map(|&e| ie.name(e)).collect(),
            cycle: v.cycle.iter().map(|&e| ie.name(e)).collect(),
            leaves: self.leaves(&s.imp_net, &v.state),
            explanation,
            event,
            refusal: v.refusal.iter().map(|&e| se.name(e)).collect(),
            acceptances: v
                .acceptances
                .iter()
                .map(|a| a.iter().map(|&e| se.name(e)).collect())
                .collect(),
        }
    }
}
