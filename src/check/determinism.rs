//! Determinism `P :[deterministic [F]]` and `[FD]` (FD by default, as FDR).
//!
//! A process is deterministic when after no trace it can both accept and
//! refuse the same event; in FD it must also never diverge. FDR's algorithm:
//! normalise `P` (traces only: a normal node after trace `t` knows every
//! event `P` can do after `t`), then search the product of that normal form
//! with `P` itself. At a product state `(n, i)`, if `i` is stable (or can
//! terminate, which lets it refuse every event but ✓) and refuses an event
//! `n` can perform, `P` can both accept and refuse it after the trace. In FD
//! a divergent `i` is a violation too. `P` is explored once, explicitly, and
//! both the normalisation and the product read that graph, so a divergent
//! state is known locally.

use super::counterexample::{after_events, confirm, visible_names};
use super::normal::{Graph, NormalModel};
use super::refinement::{
    explore_graph, failure_text, normalise, read_violation, trace_labels, Checked, Mode, Product,
    RawViolation, Violation, ViolationKind,
};
use super::replay::Claim;
use super::{explore_with, CheckOptions, Checker, Failure, Outcome};
use crate::eval::ProcRef;
use crate::explore::{Exploration, Explorer, TransitionSystem, TAU};
use crate::lts::{compile, Forcer, Network};
use crate::report::Counterexample;
use crate::syntax::ast::Model;
use rustc_hash::FxHashMap;

/// An explored process as a transition system of one component (its state
/// number).
struct Explicit<'a> {
    g: &'a Graph,
}

impl TransitionSystem for Explicit<'_> {
    fn width(&self) -> usize {
        1
    }
    fn component_sizes(&self) -> Vec<u32> {
        vec![self.g.len() as u32]
    }
    fn initial(&self) -> Vec<u32> {
        vec![0]
    }
    fn successors(&self, state: &[u32], f: &mut dyn FnMut(u32, &[u32])) {
        for &(e, t) in self.g.edges(state[0]) {
            f(e, &[t]);
        }
    }
    fn is_terminated(&self, _: &[u32]) -> bool {
        true
    }
}

/// Everything a determinism search found.
pub(crate) struct Search {
    net: Network,
    states: u64,
    transitions: u64,
    normal_nodes: usize,
    violation: Option<RawViolation>,
}

/// Searches for nondeterminism (and, in FD, divergence) of `term`.
pub(crate) fn search(
    term: &ProcRef,
    model: Model,
    forcer: &dyn Forcer,
    options: &CheckOptions,
    label: &str,
) -> Result<Search, Failure> {
    if model == Model::Traces {
        return Err(Failure::Message(
            "determinism is defined in the failures [F] and failures-divergences [FD] models, \
             not in traces [T]"
                .into(),
        ));
    }
    let net = compile(term.clone(), forcer, &options.compile).map_err(Failure::Diagnostic)?;
    let (pex, g) = explore_graph(&net, options, &format!("{label} (normalising)"), "process")?;
    let divergent = (model == Model::FailuresDivergences).then(|| g.divergent());
    let nf = normalise(
        &g,
        NormalModel {
            acceptances: false,
            divergences: false,
        },
        None,
        options,
        "process",
    )?;
    let sys = Explicit { g: &g };
    let product = Product::new(
        &sys,
        &nf,
        Vec::new(),
        Mode::Determinism {
            divergent: divergent.as_deref(),
        },
    );
    let explorer = Explorer::new(&product).stop_at(|s| product.is_error(s));
    let ex = explore_with(options, explorer, label)?;
    let violation = ex.found.map(|err| {
        let mut v = read_violation(&product, &ex, err);
        let p = v.state.first().copied().unwrap_or(0);
        if v.kind == ViolationKind::Divergence {
            if let Some(d) = &divergent {
                v.cycle = vec![TAU; lasso_len(&g, d, p)];
            }
        }
        v.state = network_state(&pex, p);
        v
    });
    Ok(Search {
        net,
        states: ex.states,
        transitions: ex.transitions,
        normal_nodes: nf.len(),
        violation,
    })
}

/// The network state vector of explored state `p`.
fn network_state(pex: &Exploration, p: u32) -> Vec<u32> {
    pex.state(p)
}

/// The number of τ steps from divergent state `p` around the first τ-cycle
/// it reaches (following the first divergent τ-successor each time).
fn lasso_len(g: &Graph, divergent: &[bool], p: u32) -> usize {
    let mut seen: FxHashMap<u32, usize> = FxHashMap::default();
    let mut cur = p;
    while seen.insert(cur, seen.len()).is_none() {
        let next = g
            .edges(cur)
            .iter()
            .find(|&&(e, t)| e == TAU && divergent.get(t as usize) == Some(&true));
        match next {
            Some(&(_, t)) => cur = t,
            None => break,
        }
    }
    seen.len()
}

/// Replays a determinism violation through the reference semantics.
fn validate(
    s: &Search,
    v: &RawViolation,
    term: &ProcRef,
    forcer: &dyn Forcer,
) -> Result<(), Failure> {
    let mut trace = trace_labels(s.net.events(), &v.steps);
    match (v.kind, v.event) {
        (ViolationKind::Nondeterminism, Some(a)) => {
            let a = s.net.events().label(a);
            confirm(term, forcer, &trace, Claim::Refusal(vec![a.clone()]))?;
            trace.push(a);
            confirm(term, forcer, &trace, Claim::Trace)
        }
        _ => confirm(term, forcer, &trace, Claim::Divergence),
    }
}

/// Checks `term :[deterministic [model]]` on a process term whose thunks
/// `forcer` forces; counterexamples are replayed through the reference
/// semantics. An error or a limit is returned as its message.
pub fn check_determinism(
    term: &ProcRef,
    model: Model,
    forcer: &dyn Forcer,
    options: &CheckOptions,
) -> Result<Checked, String> {
    let s = search(term, model, forcer, options, "determinism").map_err(failure_text)?;
    if let Some(v) = &s.violation {
        validate(&s, v, term, forcer).map_err(failure_text)?;
    }
    let violation = s.violation.as_ref().map(|v| Violation {
        kind: v.kind,
        trace: trace_labels(s.net.events(), &v.steps),
        event: v.event.map(|e| s.net.events().label(e)),
        refusal: Vec::new(),
        acceptances: Vec::new(),
    });
    Ok(Checked {
        holds: violation.is_none(),
        states: s.states,
        transitions: s.transitions,
        normal_nodes: s.normal_nodes,
        violation,
    })
}

impl Checker<'_> {
    /// `P :[deterministic [F]]` or `[FD]`.
    pub(crate) fn determinism(
        &self,
        term: &ProcRef,
        model: Model,
        label: &str,
    ) -> Result<Outcome, Failure> {
        let s = search(term, model, self.ev, &self.options, label)?;
        let counterexample = match &s.violation {
            Some(v) => {
                validate(&s, v, term, self.ev)?;
                let ev = s.net.events();
                let trace = visible_names(ev, v.steps.iter().copied());
                let after = after_events(trace.len());
                let event = v.event.map(|e| ev.name(e));
                let explanation = match &event {
                    Some(a) if v.kind == ViolationKind::Nondeterminism => format!(
                        "{after} the process can both accept and refuse {a}: it can perform {a}, \
                         but it can also reach the state below, which refuses it"
                    ),
                    _ => format!(
                        "{after} the process can perform internal (τ) actions forever; a divergent \
                         process is not deterministic in the FD model"
                    ),
                };
                Some(Counterexample {
                    kind: v.kind.name().into(),
                    trace,
                    steps: v.steps.iter().map(|&e| ev.name(e)).collect(),
                    cycle: v.cycle.iter().map(|&e| ev.name(e)).collect(),
                    leaves: self.leaves(&s.net, &v.state),
                    explanation,
                    event,
                    ..Default::default()
                })
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
}
