//! Operational semantics and process graphs (labelled transition systems).
//!
//! Two levels, as in DESIGN.md §3: the sequential parts of a process (the
//! leaves) are explored from their terms into small explicit LTSs
//! ([`leaf`]), and the parallel / hiding / renaming / linking operators above
//! them become synchronisation rules of a [`Network`] ([`network`]), which
//! the explorer searches as vectors of leaf states. [`semantics`] holds the
//! firing rules on terms, and [`reference`] a direct, slow explorer of whole
//! terms that serves as the oracle for tests. [`graph`] exports LTSs as DOT
//! or JSON.

pub mod describe;
pub mod event;
pub mod explicit;
pub mod graph;
pub mod leaf;
pub mod network;
pub mod reference;
pub mod semantics;

pub use describe::describe_term;
pub use event::{EventBits, EventTable};
pub use explicit::ExplicitLts;
pub use graph::{leaf_graphs, process_graph, LtsGraph};
pub use leaf::LeafLts;
pub use network::{Network, SyncRule};
pub use reference::ReferenceLts;
pub use semantics::{transitions, Label};

use crate::eval::{ProcRef, Thunk};
use crate::syntax::Diagnostic;

/// Forces suspended process expressions; implemented by the evaluator.
pub trait Forcer {
    /// Evaluates the suspended process `t`.
    fn force(&self, t: &Thunk) -> Result<ProcRef, Diagnostic>;
    /// `t` described for people (e.g. the source text of the expression).
    fn describe(&self, t: &Thunk) -> String {
        t.to_string()
    }
}

/// Default bound on the states of one leaf.
pub const DEFAULT_MAX_LEAF_STATES: usize = 250_000;
/// Default bound on how deeply a state's operators may nest.
pub const DEFAULT_MAX_TERM_DEPTH: usize = 256;
/// Default bound on the number of synchronisation rules.
pub const DEFAULT_MAX_RULES: usize = 10_000_000;

/// Bounds for [`compile`]; each turns a runaway model into an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileOptions {
    /// At most this many states per leaf.
    pub max_leaf_states: usize,
    /// At most this nesting of operators in a leaf state.
    pub max_term_depth: usize,
    /// At most this many synchronisation rules.
    pub max_rules: usize,
}

impl Default for CompileOptions {
    fn default() -> CompileOptions {
        CompileOptions {
            max_leaf_states: DEFAULT_MAX_LEAF_STATES,
            max_term_depth: DEFAULT_MAX_TERM_DEPTH,
            max_rules: DEFAULT_MAX_RULES,
        }
    }
}

impl CompileOptions {
    /// Sets the bound on states per leaf.
    pub fn max_leaf_states(mut self, n: usize) -> CompileOptions {
        self.max_leaf_states = n;
        self
    }

    /// Sets the bound on operator nesting in a leaf state.
    pub fn max_term_depth(mut self, n: usize) -> CompileOptions {
        self.max_term_depth = n;
        self
    }

    /// Sets the bound on synchronisation rules.
    pub fn max_rules(mut self, n: usize) -> CompileOptions {
        self.max_rules = n;
        self
    }
}

/// Compiles a process term into a network of leaf LTSs and synchronisation
/// rules (see [`network`] for what becomes a leaf and how ✓ is handled).
pub fn compile(
    term: ProcRef,
    forcer: &dyn Forcer,
    options: &CompileOptions,
) -> Result<Network, Diagnostic> {
    network::compile(&term, forcer, options)
}

/// Explores a whole term with the reference semantics (at most `max_states` states).
pub fn explore_reference(
    term: &ProcRef,
    forcer: &dyn Forcer,
    max_states: usize,
) -> Result<ReferenceLts, Diagnostic> {
    reference::explore(term, forcer, max_states)
}
