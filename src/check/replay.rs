//! Replaying counterexamples through the reference semantics.
//!
//! The explorer works on the compiled network; before a counterexample is
//! reported it is replayed on the process term with the firing rules of
//! `lts::semantics`, which share no code with the compiled network. The
//! replay follows the visible events with τ-closure (the network and the
//! term semantics may differ in τ steps of terminating tails), then checks
//! the claimed end: a deadlocked term, a term on a τ-cycle, a refusal, or
//! (for the specification side of a refinement) that the trace is impossible
//! or that no refusal or divergence is possible after it.
//!
//! Refusals follow FDR's treatment of ✓: a stable state refuses the events
//! it does not offer, and a state that can terminate may refuse every event
//! but ✓ (so `SKIP [] a -> STOP` can refuse `a`).

use crate::eval::ProcRef;
use crate::lts::{transitions, Forcer, Label};
use crate::syntax::Diagnostic;
use rustc_hash::{FxHashMap, FxHashSet};

/// The most terms a replay may visit before it gives up (and says so).
pub const MAX_REPLAY_TERMS: usize = 200_000;

/// What the end of a counterexample claims.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// Some state after the trace has no transitions and has not terminated.
    Deadlock,
    /// Some state after the trace lies on a τ-cycle.
    Divergence,
    /// Nothing beyond the trace: it can be performed.
    Trace,
    /// The trace cannot be performed: all its events but the last can.
    Impossible,
    /// Some state after the trace refuses every one of these events.
    Refusal(Vec<Label>),
    /// No state after the trace refuses all of these events.
    NoRefusal(Vec<Label>),
    /// No state after the trace can perform τ forever.
    NoDivergence,
}

/// The result of a replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Replay {
    /// The trace and the claim hold in the reference semantics.
    Confirmed,
    /// Too many terms to finish the replay; neither confirmed nor refuted.
    TooLarge,
    /// The reference semantics disagrees: an internal error.
    Refuted(String),
}

struct Replayer<'a> {
    forcer: &'a dyn Forcer,
    succ: FxHashMap<ProcRef, Vec<(Label, ProcRef)>>,
}

impl Replayer<'_> {
    fn transitions(&mut self, t: &ProcRef) -> Result<Vec<(Label, ProcRef)>, Diagnostic> {
        if let Some(v) = self.succ.get(t) {
            return Ok(v.clone());
        }
        let v = transitions(t, self.forcer)?;
        self.succ.insert(t.clone(), v.clone());
        Ok(v)
    }

    fn too_large(&self) -> bool {
        self.succ.len() > MAX_REPLAY_TERMS
    }

    fn tau_closure(
        &mut self,
        set: FxHashSet<ProcRef>,
    ) -> Result<Option<FxHashSet<ProcRef>>, Diagnostic> {
        let mut out = set.clone();
        let mut todo: Vec<ProcRef> = set.into_iter().collect();
        while let Some(t) = todo.pop() {
            if self.too_large() {
                return Ok(None);
            }
            for (l, u) in self.transitions(&t)? {
                if l == Label::Tau && out.insert(u.clone()) {
                    todo.push(u);
                }
            }
        }
        Ok(Some(out))
    }

    /// Whether some term reachable by τ from `set` lies on a τ-cycle.
    fn on_tau_cycle(&mut self, set: &FxHashSet<ProcRef>) -> Result<bool, Diagnostic> {
        // Kahn's algorithm on the τ-graph of the closure: a cycle exists iff
        // some vertex is never peeled.
        let nodes: Vec<ProcRef> = set.iter().cloned().collect();
        let index: FxHashMap<ProcRef, usize> = nodes
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, t)| (t, i))
            .collect();
        let mut indegree = vec![0usize; nodes.len()];
        let mut edges = vec![Vec::new(); nodes.len()];
        for (i, t) in nodes.iter().enumerate() {
            for (l, u) in self.transitions(t)? {
                if l == Label::Tau {
                    if let Some(&j) = index.get(&u) {
                        edges[i].push(j);
                        indegree[j] += 1;
                    }
                }
            }
        }
        let mut queue: Vec<usize> = (0..nodes.len()).filter(|&i| indegree[i] == 0).collect();
        let mut peeled = 0;
        while let Some(i) = queue.pop() {
            peeled += 1;
            for &j in &edges[i] {
                indegree[j] -= 1;
                if indegree[j] == 0 {
                    queue.push(j);
                }
            }
        }
        Ok(peeled < nodes.len())
    }

    /// Whether some term of `set` refuses every event of `refusal`: it is
    /// stable and offers none of them, or it can terminate and ✓ is not
    /// among them.
    fn refuses(&mut self, set: &FxHashSet<ProcRef>, refusal: &[Label]) -> Result<bool, Diagnostic> {
        for t in set {
            let trs = self.transitions(t)?;
            let tick = trs.iter().any(|(l, _)| *l == Label::Tick);
            let stable = trs.iter().all(|(l, _)| *l != Label::Tau);
            if (tick && !refusal.contains(&Label::Tick))
                || (stable && trs.iter().all(|(l, _)| !refusal.contains(l)))
            {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// `{a, b}` in CSPM notation.
fn set_text(labels: &[Label]) -> String {
    let names: Vec<String> = labels.iter().map(|l| l.to_string()).collect();
    format!("{{{}}}", names.join(", "))
}

/// What `claim` says, for people.
fn describe(claim: &Claim) -> String {
    match claim {
        Claim::Deadlock => "a deadlock".into(),
        Claim::Divergence => "a divergence".into(),
        Claim::Trace => "the trace".into(),
        Claim::Impossible => "that the last event is impossible".into(),
        Claim::Refusal(x) => format!("a refusal of {}", set_text(x)),
        Claim::NoRefusal(x) => format!("that {} cannot be refused", set_text(x)),
        Claim::NoDivergence => "that no divergence is possible".into(),
    }
}

/// Follows `steps` from `term` exactly: each `(label, next)` must be a
/// transition of the current term in the reference semantics. Returns the
/// last term, or `None` if some step is not a transition (then only the
/// visible trace can be replayed, with [`replay`]).
pub fn follow_exactly(
    term: &ProcRef,
    forcer: &dyn Forcer,
    steps: &[(Label, ProcRef)],
) -> Result<Option<ProcRef>, Diagnostic> {
    let mut current = term.clone();
    for (label, next) in steps {
        if !transitions(&current, forcer)?
            .iter()
            .any(|(l, u)| l == label && u == next)
        {
            return Ok(None);
        }
        current = next.clone();
    }
    Ok(Some(current))
}

/// Whether `term` is deadlocked in the reference semantics: no transitions
/// and not terminated.
pub fn is_deadlocked(term: &ProcRef, forcer: &dyn Forcer) -> Result<bool, Diagnostic> {
    Ok(deadlocked(term, &transitions(term, forcer)?))
}

/// Whether a term with these transitions is deadlocked (none, and not Ω).
fn deadlocked(term: &ProcRef, transitions: &[(Label, ProcRef)]) -> bool {
    !matches!(**term, crate::eval::Proc::Omega) && transitions.is_empty()
}

/// Replays the visible `trace` from `term` and checks `claim` at its end.
pub fn replay(
    term: &ProcRef,
    forcer: &dyn Forcer,
    trace: &[Label],
    claim: Claim,
) -> Result<Replay, Diagnostic> {
    let mut r = Replayer {
        forcer,
        succ: FxHashMap::default(),
    };
    let Some(mut current) = r.tau_closure(FxHashSet::from_iter([term.clone()]))? else {
        return Ok(Replay::TooLarge);
    };
    for (k, label) in trace.iter().enumerate() {
        let mut next = FxHashSet::default();
        for t in &current {
            for (l, u) in r.transitions(t)? {
                if &l == label {
                    next.insert(u);
                }
            }
        }
        if next.is_empty() {
            if claim == Claim::Impossible && k + 1 == trace.len() {
                return Ok(Replay::Confirmed);
            }
            return Ok(Replay::Refuted(format!(
                "the reference semantics cannot perform event {} ({} of the trace)",
                label,
                k + 1
            )));
        }
        current = match r.tau_closure(next)? {
            Some(c) => c,
            None => return Ok(Replay::TooLarge),
        };
    }
    let holds = match &claim {
        Claim::Deadlock => {
            let mut any = false;
            for t in &current {
                if deadlocked(t, &r.transitions(t)?) {
                    any = true;
                    break;
                }
            }
            any
        }
        Claim::Divergence => r.on_tau_cycle(&current)?,
        Claim::Trace => true,
        Claim::Impossible => false,
        Claim::Refusal(x) => r.refuses(&current, x)?,
        Claim::NoRefusal(x) => !r.refuses(&current, x)?,
        Claim::NoDivergence => !r.on_tau_cycle(&current)?,
    };
    Ok(if holds {
        Replay::Confirmed
    } else {
        Replay::Refuted(format!(
            "{} does not hold after the trace",
            describe(&claim)
        ))
    })
}
