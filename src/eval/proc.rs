//! Process terms: what process expressions evaluate to.
//!
//! A term is the operator structure of a process with every argument already
//! evaluated (events, event sets, renamings), except where evaluation must
//! wait: the continuation of a prefix and the second process of `;` and `[>`
//! are [`Thunk`]s, forced only when the semantics takes that step. This keeps
//! recursion (`P = a -> P`, `P = Q ; P`) finite. Terms are compared
//! structurally, so equal terms are the same state.

use super::value::Value;
use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

/// A set of events (complete channel values).
pub type EventSet = Arc<BTreeSet<Value>>;

/// Shared, immutable process term.
pub type ProcRef = Arc<Proc>;

/// A suspended process expression: which code, and the values of its free
/// local variables. Forced by the evaluator (`Evaluator::force`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Thunk {
    /// Identity of the suspended expression, assigned by the evaluator.
    pub code: u32,
    /// Values of the expression's free local variables, in the code's order.
    pub env: Arc<[Value]>,
}

/// A process term.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Proc {
    /// `STOP`: no transitions.
    Stop,
    /// `SKIP`: ✓ then Ω.
    Skip,
    /// Ω: the state after ✓ (no transitions; not a deadlock).
    Omega,
    /// `DIV`: τ to itself.
    Div,
    /// `RUN(A)`: any event of A, forever.
    Run(EventSet),
    /// `CHAOS(A)`: may do any event of A or refuse anything, forever.
    Chaos(EventSet),
    /// `e -> P` for one complete event `e`.
    Prefix(Value, Thunk),
    /// `P1 [] P2 [] …` (two or more; an input prefix expands to this).
    ExternalChoice(Vec<ProcRef>),
    /// `P1 |~| P2 |~| …` (two or more).
    InternalChoice(Vec<ProcRef>),
    /// `P ; Q`.
    Sequential(ProcRef, Thunk),
    /// `P [> Q`.
    SlidingChoice(ProcRef, Thunk),
    /// `P /\ Q`.
    Interrupt(ProcRef, ProcRef),
    /// `P [| A |] Q` (`|||` is `A = {}`).
    Parallel(ProcRef, EventSet, ProcRef),
    /// `P [A || B] Q`.
    AlphaParallel(ProcRef, EventSet, EventSet, ProcRef),
    /// `P [a <-> b, …] Q`: P's `a` with Q's `b`, hidden.
    Linked(ProcRef, Arc<[(Value, Value)]>, ProcRef),
    /// `P \ A`.
    Hide(ProcRef, EventSet),
    /// `P [[a <- b, …]]`: a relation from P's events to the result's events.
    Rename(ProcRef, Arc<[(Value, Value)]>),
}

fn write_set(f: &mut fmt::Formatter<'_>, s: &BTreeSet<Value>) -> fmt::Result {
    write!(f, "{}", Value::Set(Arc::new(s.clone())))
}

fn write_pairs(f: &mut fmt::Formatter<'_>, pairs: &[(Value, Value)], arrow: &str) -> fmt::Result {
    for (i, (a, b)) in pairs.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{a} {arrow} {b}")?;
    }
    Ok(())
}

impl fmt::Display for Thunk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "…#{}", self.code)
    }
}

impl fmt::Display for Proc {
    /// CSPM-like notation; suspended parts print as `…#n`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join = |f: &mut fmt::Formatter<'_>, ps: &[ProcRef], op: &str| -> fmt::Result {
            f.write_str("(")?;
            for (i, p) in ps.iter().enumerate() {
                if i > 0 {
                    write!(f, " {op} ")?;
                }
                write!(f, "{p}")?;
            }
            f.write_str(")")
        };
        match self {
            Proc::Stop => f.write_str("STOP"),
            Proc::Skip => f.write_str("SKIP"),
            Proc::Omega => f.write_str("Ω"),
            Proc::Div => f.write_str("DIV"),
            Proc::Run(a) => {
                f.write_str("RUN(")?;
                write_set(f, a)?;
                f.write_str(")")
            }
            Proc::Chaos(a) => {
                f.write_str("CHAOS(")?;
                write_set(f, a)?;
                f.write_str(")")
            }
            Proc::Prefix(e, k) => write!(f, "{e} -> {k}"),
            Proc::ExternalChoice(ps) => join(f, ps, "[]"),
            Proc::InternalChoice(ps) => join(f, ps, "|~|"),
            Proc::Sequential(p, q) => write!(f, "({p} ; {q})"),
            Proc::SlidingChoice(p, q) => write!(f, "({p} [> {q})"),
            Proc::Interrupt(p, q) => write!(f, "({p} /\\ {q})"),
            Proc::Parallel(p, a, q) if a.is_empty() => write!(f, "({p} ||| {q})"),
            Proc::Parallel(p, a, q) => {
                write!(f, "({p} [| ")?;
                write_set(f, a)?;
                write!(f, " |] {q})")
            }
            Proc::AlphaParallel(p, a, b, q) => {
                write!(f, "({p} [")?;
                write_set(f, a)?;
                f.write_str(" || ")?;
                write_set(f, b)?;
                write!(f, "] {q})")
            }
            Proc::Linked(p, links, q) => {
                write!(f, "({p} [")?;
                write_pairs(f, links, "<->")?;
                write!(f, "] {q})")
            }
            Proc::Hide(p, a) => {
                write!(f, "({p} \\ ")?;
                write_set(f, a)?;
                f.write_str(")")
            }
            Proc::Rename(p, pairs) => {
                write!(f, "{p}[[")?;
                write_pairs(f, pairs, "<-")?;
                f.write_str("]]")
            }
        }
    }
}
