//! The firing rules of CSP (DESIGN.md §2) on process terms.
//!
//! [`transitions`] is the one place that says what a term can do; the
//! reference explorer and the leaf compiler both build on it. Two
//! conventions keep the state spaces canonical: every ✓ leads to the term Ω
//! (so all terminated states are one state), and the transitions of a term
//! are sorted by label, then target, without duplicates.

use super::Forcer;
use crate::eval::{Proc, ProcRef, Value};
use crate::syntax::Diagnostic;
use std::fmt;
use std::sync::{Arc, OnceLock};

/// What a transition does: τ, ✓, or a visible event.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Label {
    /// The internal action τ.
    Tau,
    /// Successful termination ✓.
    Tick,
    /// A visible event (a complete channel value).
    Event(Value),
}

impl fmt::Display for Label {
    /// `τ`, `✓`, or the event in CSPM notation.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Label::Tau => f.write_str("τ"),
            Label::Tick => f.write_str("✓"),
            Label::Event(v) => write!(f, "{v}"),
        }
    }
}

/// The shared term Ω.
pub fn omega() -> ProcRef {
    static OMEGA: OnceLock<ProcRef> = OnceLock::new();
    OMEGA.get_or_init(|| Arc::new(Proc::Omega)).clone()
}

/// The shared term `STOP`.
pub fn stop() -> ProcRef {
    static STOP: OnceLock<ProcRef> = OnceLock::new();
    STOP.get_or_init(|| Arc::new(Proc::Stop)).clone()
}

/// All transitions of `term`, sorted by label then target, without duplicates.
/// Thunks are forced (through `forcer`) only where a rule takes that step.
pub fn transitions(
    term: &ProcRef,
    forcer: &dyn Forcer,
) -> Result<Vec<(Label, ProcRef)>, Diagnostic> {
    let mut out = Vec::new();
    step(term, forcer, &mut out)?;
    out.sort();
    out.dedup();
    Ok(out)
}

fn steps(term: &ProcRef, forcer: &dyn Forcer) -> Result<Vec<(Label, ProcRef)>, Diagnostic> {
    let mut out = Vec::new();
    step(term, forcer, &mut out)?;
    Ok(out)
}

fn is_omega(p: &ProcRef) -> bool {
    matches!(**p, Proc::Omega)
}

/// Appends the transitions of `term` (unsorted) to `out`.
fn step(
    term: &ProcRef,
    forcer: &dyn Forcer,
    out: &mut Vec<(Label, ProcRef)>,
) -> Result<(), Diagnostic> {
    use Label::{Event, Tau, Tick};
    match &**term {
        Proc::Stop | Proc::Omega => {}
        Proc::Skip => out.push((Tick, omega())),
        Proc::Div => out.push((Tau, term.clone())),
        Proc::Run(a) => out.extend(a.iter().map(|e| (Event(e.clone()), term.clone()))),
        Proc::Chaos(a) => {
            out.push((Tau, stop()));
            out.extend(a.iter().map(|e| (Event(e.clone()), term.clone())));
        }
        Proc::Prefix(e, k) => out.push((Event(e.clone()), forcer.force(k)?)),
        Proc::ExternalChoice(ps) => {
            for (i, p) in ps.iter().enumerate() {
                for (l, t) in steps(p, forcer)? {
                    if l == Tau {
                        let mut branches = ps.clone();
                        branches[i] = t;
                        out.push((Tau, Arc::new(Proc::ExternalChoice(branches))));
                    } else {
                        out.push((l, t));
                    }
                }
            }
        }
        Proc::InternalChoice(ps) => out.extend(ps.iter().map(|p| (Tau, p.clone()))),
        Proc::Sequential(p, k) => {
            for (l, t) in steps(p, forcer)? {
                if l == Tick {
                    out.push((Tau, forcer.force(k)?));
                } else {
                    out.push((l, Arc::new(Proc::Sequential(t, k.clone()))));
                }
            }
        }
        Proc::SlidingChoice(p, k) => {
            for (l, t) in steps(p, forcer)? {
                if l == Tau {
                    out.push((Tau, Arc::new(Proc::SlidingChoice(t, k.clone()))));
                } else {
                    out.push((l, t));
                }
            }
            out.push((Tau, forcer.force(k)?));
        }
        Proc::Interrupt(p, q) => {
            for (l, t) in steps(p, forcer)? {
                if l == Tick {
                    out.push((Tick, omega()));
                } else {
                    out.push((l, Arc::new(Proc::Interrupt(t, q.clone()))));
                }
            }
            for (l, t) in steps(q, forcer)? {
                if l == Tau {
                    out.push((Tau, Arc::new(Proc::Interrupt(p.clone(), t))));
                } else {
                    out.push((l, t));
                }
            }
        }
        Proc::Parallel(p, a, q) => {
            let mk = |l: ProcRef, r: ProcRef| Arc::new(Proc::Parallel(l, a.clone(), r));
            let synced = |e: &Value| a.contains(e);
            parallel(p, q, forcer, out, &mk, &synced, &synced, &|_| true, &|_| {
                true
            })?;
        }
        Proc::AlphaParallel(p, a, b, q) => {
            let mk =
                |l: ProcRef, r: ProcRef| Arc::new(Proc::AlphaParallel(l, a.clone(), b.clone(), r));
            let synced = |e: &Value| a.contains(e) && b.contains(e);
            parallel(
                p,
                q,
                forcer,
                out,
                &mk,
                &synced,
                &synced,
                &|e| a.contains(e),
                &|e| b.contains(e),
            )?;
        }
        Proc::Linked(p, links, q) => {
            let ps = steps(p, forcer)?;
            let qs = steps(q, forcer)?;
            let mk = |l: ProcRef, r: ProcRef| Arc::new(Proc::Linked(l, links.clone(), r));
            if is_omega(p) && is_omega(q) {
                out.push((Tick, omega()));
            }
            for (l, t) in &ps {
                match l {
                    Tau => out.push((Tau, mk(t.clone(), q.clone()))),
                    Tick => out.push((Tau, mk(omega(), q.clone()))),
                    Event(e) if links.iter().any(|(x, _)| x == e) => {
                        for (_, y) in links.iter().filter(|(x, _)| x == e) {
                            for (l2, t2) in &qs {
                                if matches!(l2, Event(f) if f == y) {
                                    out.push((Tau, mk(t.clone(), t2.clone())));
                                }
                            }
                        }
                    }
                    Event(_) => out.push((l.clone(), mk(t.clone(), q.clone()))),
                }
            }
            for (l, t) in &qs {
                match l {
                    Tau => out.push((Tau, mk(p.clone(), t.clone()))),
                    Tick => out.push((Tau, mk(p.clone(), omega()))),
                    Event(f) if links.iter().any(|(_, y)| y == f) => {}
                    Event(_) => out.push((l.clone(), mk(p.clone(), t.clone()))),
                }
            }
        }
        Proc::Hide(p, a) => {
            for (l, t) in steps(p, forcer)? {
                match l {
                    Tick => out.push((Tick, omega())),
                    Event(e) if a.contains(&e) => {
                        out.push((Tau, Arc::new(Proc::Hide(t, a.clone()))))
                    }
                    l => out.push((l, Arc::new(Proc::Hide(t, a.clone())))),
                }
            }
        }
        Proc::Rename(p, pairs) => {
            for (l, t) in steps(p, forcer)? {
                let t = Arc::new(Proc::Rename(t, pairs.clone()));
                match l {
                    Tick => out.push((Tick, omega())),
                    Event(e) if pairs.iter().any(|(x, _)| *x == e) => {
                        for (_, y) in pairs.iter().filter(|(x, _)| *x == e) {
                            out.push((Event(y.clone()), t.clone()));
                        }
                    }
                    l => out.push((l, t)),
                }
            }
        }
    }
    Ok(())
}

/// The rules shared by `[| A |]` and `[A || B]`: `synced_*` says which events
/// of a side need the other side, `allowed_*` which events a side may do at all.
#[allow(clippy::too_many_arguments)]
fn parallel(
    p: &ProcRef,
    q: &ProcRef,
    forcer: &dyn Forcer,
    out: &mut Vec<(Label, ProcRef)>,
    mk: &dyn Fn(ProcRef, ProcRef) -> ProcRef,
    synced_p: &dyn Fn(&Value) -> bool,
    synced_q: &dyn Fn(&Value) -> bool,
    allowed_p: &dyn Fn(&Value) -> bool,
    allowed_q: &dyn Fn(&Value) -> bool,
) -> Result<(), Diagnostic> {
    use Label::{Event, Tau, Tick};
    let ps = steps(p, forcer)?;
    let qs = steps(q, forcer)?;
    if is_omega(p) && is_omega(q) {
        out.push((Tick, omega()));
    }
    for (l, t) in &ps {
        match l {
            Tau => out.push((Tau, mk(t.clone(), q.clone()))),
            Tick => out.push((Tau, mk(omega(), q.clone()))),
            Event(e) if !allowed_p(e) => {}
            Event(e) if synced_p(e) => {
                for (l2, t2) in &qs {
                    if l2 == l {
                        out.push((l.clone(), mk(t.clone(), t2.clone())));
                    }
                }
            }
            Event(_) => out.push((l.clone(), mk(t.clone(), q.clone()))),
        }
    }
    for (l, t) in &qs {
        match l {
            Tau => out.push((Tau, mk(p.clone(), t.clone()))),
            Tick => out.push((Tau, mk(p.clone(), omega()))),
            Event(e) if !allowed_q(e) || synced_q(e) => {}
            Event(_) => out.push((l.clone(), mk(p.clone(), t.clone()))),
        }
    }
    Ok(())
}

/// True if `term` nests operators deeper than `limit` (thunks not counted).
/// Explorers refuse such terms: the rules recurse over the nesting, so an
/// unbounded nesting (`P = a -> (P ; Q)`) must end in an error, not a stack overflow.
pub fn deeper_than(term: &ProcRef, limit: usize) -> bool {
    let mut stack: Vec<(&Proc, usize)> = vec![(&**term, 1)];
    while let Some((p, d)) = stack.pop() {
        if d > limit {
            return true;
        }
        match p {
            Proc::ExternalChoice(ps) | Proc::InternalChoice(ps) => {
                stack.extend(ps.iter().map(|q| (&**q, d + 1)))
            }
            Proc::Sequential(q, _)
            | Proc::SlidingChoice(q, _)
            | Proc::Hide(q, _)
            | Proc::Rename(q, _) => stack.push((&**q, d + 1)),
            Proc::Interrupt(q, r)
            | Proc::Parallel(q, _, r)
            | Proc::AlphaParallel(q, _, _, r)
            | Proc::Linked(q, _, r) => {
                stack.push((&**q, d + 1));
                stack.push((&**r, d + 1));
            }
            _ => {}
        }
    }
    false
}
