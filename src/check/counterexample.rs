//! Turning explorer paths into reported counterexamples: events in CSPM
//! notation, each leaf's part, and a replay through the reference semantics.

use super::replay::{follow_exactly, is_deadlocked, replay, Claim, Replay};
use super::{Checker, Failure};
use crate::eval::{Proc, ProcRef};
use crate::explore::{Divergence, Exploration, Step, TAU};
use crate::lts::{Forcer, Label, Network};
use crate::report::{Counterexample, LeafState};

/// Longest process name shown for a leaf.
const NAME_WIDTH: usize = 60;

fn shorten(s: String, width: usize) -> String {
    if s.chars().count() <= width {
        return s;
    }
    let mut t: String = s.chars().take(width - 1).collect();
    t.push('…');
    t
}

/// The first suspended expression in a term: where its state was written.
fn first_thunk(t: &Proc) -> Option<&crate::eval::Thunk> {
    match t {
        Proc::Prefix(_, k) | Proc::Sequential(_, k) | Proc::SlidingChoice(_, k) => Some(k),
        Proc::ExternalChoice(ps) | Proc::InternalChoice(ps) => {
            ps.iter().find_map(|p| first_thunk(p))
        }
        Proc::Interrupt(p, q)
        | Proc::Parallel(p, _, q)
        | Proc::AlphaParallel(p, _, _, q)
        | Proc::Linked(p, _, q) => first_thunk(p).or_else(|| first_thunk(q)),
        Proc::Hide(p, _) | Proc::Rename(p, _) => first_thunk(p),
        _ => None,
    }
}

impl Checker<'_> {
    /// Each leaf's part in global state `state`.
    pub(crate) fn leaves(&self, net: &Network, state: &[u32]) -> Vec<LeafState> {
        let final_state = net.is_final(state);
        (0..net.leaf_count())
            .filter_map(|i| {
                let leaf = net.leaf(i)?;
                let process = net
                    .leaf_term(i)
                    .and_then(|t| self.ev.process_name(t))
                    .unwrap_or_else(|| {
                        shorten(leaf.describe_state(leaf.initial, self.ev), NAME_WIDTH)
                    });
                if final_state {
                    return Some(LeafState {
                        process,
                        state: "Ω (terminated)".into(),
                        location: None,
                    });
                }
                let s = state.get(i).copied()?;
                let term = leaf.terms.get(s as usize);
                let mut text = leaf.describe_state(s, self.ev);
                let offers: Vec<String> = leaf
                    .transitions_of(s)
                    .iter()
                    .map(|&(e, _)| net.events().name(e))
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                text = if offers.is_empty() {
                    format!("{text}   [offers nothing]")
                } else {
                    format!("{text}   [offers {}]", offers.join(", "))
                };
                let location = term
                    .and_then(|t| first_thunk(t))
                    .map(|k| self.location(self.ev.thunk_span(k)));
                Some(LeafState {
                    process,
                    state: text,
                    location,
                })
            })
            .collect()
    }

    /// Replays a counterexample through the reference semantics: first state
    /// by state (each network state's term must be reached from the previous
    /// one by the step's event; for a divergence the cycle must return to its
    /// first term), which is exact and cheap; if that does not apply (the
    /// network and the terms differ in τ steps of terminating tails), by the
    /// visible trace with τ-closures. A refuted replay is an internal error.
    fn validate(
        &self,
        term: &ProcRef,
        net: &Network,
        ex: &Exploration,
        steps: &[Step],
        cycle: &[Step],
        claim: Claim,
    ) -> Result<(), Failure> {
        if self
            .replays_exactly(term, net, ex, steps, cycle, &claim)
            .map_err(Failure::Diagnostic)?
        {
            return Ok(());
        }
        let trace: Vec<Label> = steps
            .iter()
            .filter(|s| s.event != TAU)
            .map(|s| net.events().label(s.event))
            .collect();
        confirm(term, self.ev, &trace, claim)
    }

    /// Whether `steps` then `cycle` replay state by state from `term` and end
    /// as `claim` says (a deadlock, or a τ-cycle back to the cycle's start).
    /// `false` means only "not shown this way".
    fn replays_exactly(
        &self,
        term: &ProcRef,
        net: &Network,
        ex: &Exploration,
        steps: &[Step],
        cycle: &[Step],
        claim: &Claim,
    ) -> Result<bool, crate::syntax::Diagnostic> {
        if net.term_of(&ex.state(0)).as_ref() != Some(term) {
            return Ok(false);
        }
        let mut exact = Vec::with_capacity(steps.len() + cycle.len());
        for s in steps.iter().chain(cycle) {
            let Some(t) = net.term_of(&ex.state(s.state)) else {
                return Ok(false);
            };
            exact.push((net.events().label(s.event), t));
        }
        let (path, around) = exact.split_at(steps.len());
        let Some(end) = follow_exactly(term, self.ev, path)? else {
            return Ok(false);
        };
        Ok(match claim {
            Claim::Deadlock => is_deadlocked(&end, self.ev)?,
            Claim::Divergence => {
                !around.is_empty()
                    && around.iter().all(|(l, _)| *l == Label::Tau)
                    && around.last().map(|(_, t)| t) == Some(&end)
                    && follow_exactly(&end, self.ev, around)?.is_some()
            }
            _ => false,
        })
    }

    fn names(net: &Network, steps: &[Step]) -> (Vec<String>, Vec<String>) {
        let all: Vec<String> = steps.iter().map(|s| net.events().name(s.event)).collect();
        (
            visible_names(net.events(), steps.iter().map(|s| s.event)),
            all,
        )
    }
}

/// Replays the visible `trace` from `term` and checks `claim` at its end; a
/// refuted replay is an internal error, reported loudly.
pub(crate) fn confirm(
    term: &ProcRef,
    forcer: &dyn Forcer,
    trace: &[Label],
    claim: Claim,
) -> Result<(), Failure> {
    match replay(term, forcer, trace, claim).map_err(Failure::Diagnostic)? {
        Replay::Confirmed | Replay::TooLarge => Ok(()),
        Replay::Refuted(why) => Err(Failure::Message(format!(
            "internal error: the counterexample found does not replay in the reference semantics ({why}); \
             please report this with the script"
        ))),
    }
}

/// "at the start", "after this event", "after these 3 events".
pub(crate) fn after_events(n: usize) -> String {
    match n {
        0 => "at the start".into(),
        n => format!("after {}", events(n)),
    }
}

/// The visible events among `events` (τ left out), in CSPM notation.
pub(crate) fn visible_names(
    table: &crate::lts::EventTable,
    events: impl Iterator<Item = u32>,
) -> Vec<String> {
    events
        .filter(|&e| e != TAU)
        .map(|e| table.name(e))
        .collect()
}

/// "these 3 events", "this event", "no event".
pub(crate) fn events(n: usize) -> String {
    match n {
        0 => "no event".into(),
        1 => "this event".into(),
        n => format!("these {n} events"),
    }
}

/// A counterexample ending in state `id` (a deadlock).
pub(crate) fn path_counterexample(
    c: &Checker<'_>,
    term: &ProcRef,
    net: &Network,
    ex: &Exploration,
    id: u32,
    kind: &str,
) -> Result<Counterexample, Failure> {
    let steps = ex.path_to(net, id);
    c.validate(term, net, ex, &steps, &[], Claim::Deadlock)?;
    let (trace, all) = Checker::names(net, &steps);
    let state = ex.state(id);
    Ok(Counterexample {
        kind: kind.into(),
        explanation: format!(
            "after {} no process can move: each waits for an event its partners do not offer",
            events(trace.len())
        ),
        trace,
        steps: all,
        cycle: Vec::new(),
        leaves: c.leaves(net, &state),
        ..Default::default()
    })
}

/// A counterexample reaching a τ-cycle.
pub(crate) fn divergence_counterexample(
    c: &Checker<'_>,
    term: &ProcRef,
    net: &Network,
    ex: &Exploration,
    d: &Divergence,
) -> Result<Counterexample, Failure> {
    c.validate(term, net, ex, &d.path, &d.cycle, Claim::Divergence)?;
    let (trace, all) = Checker::names(net, &d.path);
    let state = ex.state(d.state);
    Ok(Counterexample {
        kind: "divergence".into(),
        explanation: format!(
            "after {} the process can perform internal (τ) actions forever",
            events(trace.len())
        ),
        trace,
        steps: all,
        cycle: d.cycle.iter().map(|s| net.events().name(s.event)).collect(),
        leaves: c.leaves(net, &state),
        ..Default::default()
    })
}
