//! The reference explorer: the firing rules applied directly to whole terms.
//!
//! States are hash-consed terms numbered in BFS order; every transition comes
//! straight from [`transitions`]. It is slow and obviously right, and it is
//! the oracle the compiled network is tested against.

use super::event::EventTable;
use super::explicit::{limit_error, lts_error, ExplicitLts};
use super::semantics::transitions;
use super::{describe_term, Forcer, DEFAULT_MAX_TERM_DEPTH};
use crate::eval::{Proc, ProcRef};
use crate::syntax::Diagnostic;
use rustc_hash::FxHashMap;

/// The LTS of a whole process term, with the term of every state.
#[derive(Clone, Debug)]
pub struct ReferenceLts {
    /// States, transitions and events.
    pub lts: ExplicitLts,
    /// The term of each state.
    pub terms: Vec<ProcRef>,
}

/// Explores `term` breadth-first under the rules of DESIGN.md §2, giving up
/// with an error after `max_states` states (or on a state nesting operators
/// deeper than [`DEFAULT_MAX_TERM_DEPTH`]).
pub fn explore(
    term: &ProcRef,
    forcer: &dyn Forcer,
    max_states: usize,
) -> Result<ReferenceLts, Diagnostic> {
    explore_bounded(term, forcer, max_states, DEFAULT_MAX_TERM_DEPTH)
}

/// As [`explore`], with a bound on how deeply a state's operators may nest.
/// (Terms that keep growing make every step slower; the bound stops them early.)
pub fn explore_bounded(
    term: &ProcRef,
    forcer: &dyn Forcer,
    max_states: usize,
    max_term_depth: usize,
) -> Result<ReferenceLts, Diagnostic> {
    let mut events = EventTable::new();
    let mut index: FxHashMap<ProcRef, u32> = FxHashMap::default();
    let mut terms = vec![term.clone()];
    check_depth(term, forcer, max_term_depth)?;
    index.insert(term.clone(), 0);
    let mut all = Vec::new();
    let mut i = 0;
    while i < terms.len() {
        let mut out = Vec::new();
        for (label, target) in transitions(&terms[i], forcer)? {
            let e = events.intern_label(&label);
            let t = match index.get(&target) {
                Some(&t) => t,
                None => {
                    if terms.len() >= max_states {
                        return Err(limit_error(
                            &format!("process `{}`", describe_term(term, forcer)),
                            max_states,
                        ));
                    }
                    check_depth(&target, forcer, max_term_depth)?;
                    let t = terms.len() as u32;
                    index.insert(target.clone(), t);
                    terms.push(target);
                    t
                }
            };
            out.push((e, t));
        }
        all.push(out);
        i += 1;
    }
    let terminated = terms.iter().map(|t| matches!(**t, Proc::Omega)).collect();
    Ok(ReferenceLts {
        lts: ExplicitLts {
            events,
            transitions: all,
            terminated,
        },
        terms,
    })
}

fn check_depth(term: &ProcRef, forcer: &dyn Forcer, limit: usize) -> Result<(), Diagnostic> {
    if super::semantics::deeper_than(term, limit) {
        return Err(depth_error(term, forcer, limit));
    }
    Ok(())
}

/// The error for a state whose operators nest deeper than `limit`.
pub(crate) fn depth_error(term: &ProcRef, forcer: &dyn Forcer, limit: usize) -> Diagnostic {
    lts_error(
        "term-depth",
        format!("a state nests more than {limit} process operators; the process is probably infinite-state"),
    )
    .with_note(format!("the state begins: {}", describe_term(term, forcer)))
    .with_help("recursion through `;`, `/\\`, `[>` or a parallel operator (`P = a -> (P ; Q)`) builds ever larger terms")
}
