//! Human-readable process terms for counterexamples, graphs and errors.
//!
//! A term's own `Display` prints suspended parts as `…#n`; here each thunk
//! is printed by the [`Forcer`] (the evaluator shows the source expression),
//! and very long descriptions are shortened.

use super::Forcer;
use crate::eval::{Proc, Value};
use std::collections::BTreeSet;
use std::fmt::Write;

/// Longest description produced, in characters (longer ones end in `…`).
pub const MAX_DESCRIPTION: usize = 400;

/// The term in CSPM-like notation, thunks described by `forcer`, shortened
/// to at most [`MAX_DESCRIPTION`] characters.
pub fn describe_term(term: &Proc, forcer: &dyn Forcer) -> String {
    let mut out = String::new();
    write_term(&mut out, term, forcer);
    shorten(out)
}

fn shorten(s: String) -> String {
    if s.chars().count() <= MAX_DESCRIPTION {
        return s;
    }
    let mut t: String = s.chars().take(MAX_DESCRIPTION - 1).collect();
    t.push('…');
    t
}

fn set(s: &BTreeSet<Value>) -> String {
    let mut out = String::from("{");
    for (i, v) in s.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{v}");
    }
    out.push('}');
    out
}

fn pairs(ps: &[(Value, Value)], arrow: &str) -> String {
    ps.iter()
        .map(|(a, b)| format!("{a} {arrow} {b}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn write_term(out: &mut String, term: &Proc, forcer: &dyn Forcer) {
    // Stop early on huge terms: only the first MAX_DESCRIPTION characters are kept.
    if out.len() > 4 * MAX_DESCRIPTION {
        return;
    }
    let join = |out: &mut String, ps: &[crate::eval::ProcRef], op: &str| {
        out.push('(');
        for (i, p) in ps.iter().enumerate() {
            if i > 0 {
                let _ = write!(out, " {op} ");
            }
            write_term(out, p, forcer);
        }
        out.push(')');
    };
    match term {
        Proc::Stop => out.push_str("STOP"),
        Proc::Skip => out.push_str("SKIP"),
        Proc::Omega => out.push('Ω'),
        Proc::Div => out.push_str("DIV"),
        Proc::Run(a) => {
            let _ = write!(out, "RUN({})", set(a));
        }
        Proc::Chaos(a) => {
            let _ = write!(out, "CHAOS({})", set(a));
        }
        Proc::Prefix(e, k) => {
            let _ = write!(out, "{e} -> {}", forcer.describe(k));
        }
        Proc::ExternalChoice(ps) => join(out, ps, "[]"),
        Proc::InternalChoice(ps) => join(out, ps, "|~|"),
        Proc::Sequential(p, k) => {
            out.push('(');
            write_term(out, p, forcer);
            let _ = write!(out, " ; {})", forcer.describe(k));
        }
        Proc::SlidingChoice(p, k) => {
            out.push('(');
            write_term(out, p, forcer);
            let _ = write!(out, " [> {})", forcer.describe(k));
        }
        Proc::Interrupt(p, q) => binary(out, p, " /\\ ", q, forcer),
        Proc::Parallel(p, a, q) if a.is_empty() => binary(out, p, " ||| ", q, forcer),
        Proc::Parallel(p, a, q) => binary(out, p, &format!(" [| {} |] ", set(a)), q, forcer),
        Proc::AlphaParallel(p, a, b, q) => {
            binary(out, p, &format!(" [{} || {}] ", set(a), set(b)), q, forcer)
        }
        Proc::Linked(p, links, q) => {
            binary(out, p, &format!(" [{}] ", pairs(links, "<->")), q, forcer)
        }
        Proc::Hide(p, a) => {
            out.push('(');
            write_term(out, p, forcer);
            let _ = write!(out, " \\ {})", set(a));
        }
        Proc::Rename(p, ps) => {
            write_term(out, p, forcer);
            let _ = write!(out, "[[{}]]", pairs(ps, "<-"));
        }
    }
}

fn binary(out: &mut String, p: &Proc, op: &str, q: &Proc, forcer: &dyn Forcer) {
    out.push('(');
    write_term(out, p, forcer);
    out.push_str(op);
    write_term(out, q, forcer);
    out.push(')');
}
