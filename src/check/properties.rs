//! Deadlock freedom, divergence freedom and `has trace`, over the compiled
//! network.

use super::counterexample::{divergence_counterexample, path_counterexample};
use super::{find_divergence, Checker, Failure, Outcome};
use crate::eval::{ProcRef, Value};
use crate::explore::{Exploration, Explorer, TransitionSystem, TAU};
use crate::lts::{compile, Network};
use crate::syntax::ast::Model;
use crate::syntax::{Diagnostic, Span};
use std::collections::BTreeSet;

impl Checker<'_> {
    /// Compiles `term` into a network.
    pub(crate) fn network(&self, term: &ProcRef) -> Result<Network, Failure> {
        compile(term.clone(), self.ev, &self.options.compile).map_err(Failure::Diagnostic)
    }

    /// Explores the whole state space of `net`, or fails with a limit.
    pub(crate) fn explore(&self, net: &Network, label: &str) -> Result<Exploration, Failure> {
        super::explore_with(&self.options, Explorer::new(net), label)
    }

    /// `P :[deadlock free [F]]` or `[FD]` (a divergence also fails FD).
    pub(crate) fn deadlock(
        &self,
        term: &ProcRef,
        model: Model,
        label: &str,
    ) -> Result<Outcome, Failure> {
        let net = self.network(term)?;
        let ex = self.explore(&net, label)?;
        let divergence = match model {
            Model::FailuresDivergences => find_divergence(&self.options, &ex, &net, label)?,
            _ => None,
        };
        let deadlock = ex.first_deadlock;
        // Report whichever failure is reached first (the lower state number is
        // at least as close to the initial state).
        let counterexample = match (deadlock, &divergence) {
            (Some(d), Some(v)) if v.state < d => {
                Some(divergence_counterexample(self, term, &net, &ex, v)?)
            }
            (Some(d), _) => Some(path_counterexample(self, term, &net, &ex, d, "deadlock")?),
            (None, Some(v)) => Some(divergence_counterexample(self, term, &net, &ex, v)?),
            (None, None) => None,
        };
        Ok(Outcome {
            holds: counterexample.is_none(),
            states: Some(ex.states),
            transitions: Some(ex.transitions),
            counterexample,
        })
    }

    /// `P :[divergence free]`.
    pub(crate) fn divergence(&self, term: &ProcRef, label: &str) -> Result<Outcome, Failure> {
        let net = self.network(term)?;
        let ex = self.explore(&net, label)?;
        let counterexample = match find_divergence(&self.options, &ex, &net, label)? {
            Some(v) => Some(divergence_counterexample(self, term, &net, &ex, &v)?),
            None => None,
        };
        Ok(Outcome {
            holds: counterexample.is_none(),
            states: Some(ex.states),
            transitions: Some(ex.transitions),
            counterexample,
        })
    }

    /// `P :[has trace]: <…>`: follows the trace through the network, τ-closed.
    pub(crate) fn has_trace(
        &self,
        term: &ProcRef,
        trace: &Value,
        span: Span,
    ) -> Result<Outcome, Failure> {
        let Value::Seq(events) = trace else {
            return Err(Failure::Diagnostic(Diagnostic::error(
                "not-a-trace",
                format!(
                    "a trace must be a sequence of events, found the {} {}",
                    trace.type_name(),
                    trace
                ),
                span,
            )));
        };
        let net = self.network(term)?;
        let mut current: BTreeSet<Vec<u32>> = tau_closure(&net, BTreeSet::from([net.initial()]));
        for e in events.iter() {
            let id = net.events().get(e);
            let mut next = BTreeSet::new();
            if let Some(id) = id {
                for s in &current {
                    net.successors(s, &mut |ev, t| {
                        if ev == id {
                            next.insert(t.to_vec());
                        }
                    });
                }
            }
            current = tau_closure(&net, next);
            if current.is_empty() {
                break;
            }
        }
        Ok(Outcome {
            holds: !current.is_empty(),
            states: None,
            transitions: None,
            counterexample: None,
        })
    }
}

/// All states reachable from `set` by τ steps (✓ excluded).
fn tau_closure(net: &Network, set: BTreeSet<Vec<u32>>) -> BTreeSet<Vec<u32>> {
    let mut out = set.clone();
    let mut todo: Vec<Vec<u32>> = set.into_iter().collect();
    while let Some(s) = todo.pop() {
        net.successors(&s, &mut |ev, t| {
            if ev == TAU && out.insert(t.to_vec()) {
                todo.push(t.to_vec());
            }
        });
    }
    out
}
