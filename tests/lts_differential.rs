//! Differential test: the compiled network against the reference explorer
//! on thousands of generated processes over every operator.
//!
//! Each case is a small table of named terms (recursion goes through thunks
//! into the table, see [`Ctx`]) and a top term. Both engines must agree on traces up to
//! length 6, on what stable states offer after each of those traces, on
//! deadlock and on divergence; without termination inside a network they
//! must also have exactly the same number of states.

mod lts_support;

use hoare::eval::{Proc, ProcRef, Value};
use hoare::explore::TICK;
use hoare::lts::{self, CompileOptions, ExplicitLts};
use lts_support::*;

const CASES: u64 = 3_000;
/// Codes 0..4: recursive definitions; 4..8: finite definitions (each refers
/// only to later ones); 8: SKIP; 9: STOP.
const RECURSIVE: u32 = 4;
const CODES: u32 = 10;
const DEPTH: usize = 6;
const MAX_STATES: usize = 1_000;
const MAX_DEPTH: usize = 24;

/// Where a subterm sits, which decides how far its thunks may recurse.
/// A thunk forced in a nested position (under `;`, `/\`, a parallel, hiding,
/// renaming, or reached by τ inside `[]`) stays wrapped in that operator, so
/// recursing there builds ever larger terms; such thunks may only lead to
/// finite definitions.
#[derive(Clone, Copy, PartialEq)]
enum Ctx {
    /// Replaces the whole definition when it moves (root, `|~|` branches).
    Tail,
    /// Replaced by its target on a visible step (`[]` branches, left of `[>`).
    Resolving,
    /// Stays inside an operator.
    Nested,
}

struct Gen {
    rng: Rng,
    alphabet: Vec<Value>,
    /// Codes a thunk may use in tail/resolving positions.
    free: std::ops::Range<u32>,
    /// Codes a thunk may use in nested positions.
    nested: std::ops::Range<u32>,
}

impl Gen {
    fn event(&mut self) -> Value {
        self.rng.pick(&self.alphabet).clone()
    }

    fn events(&mut self) -> Vec<Value> {
        let n = self.rng.below(4);
        (0..n).map(|_| self.event()).collect()
    }

    fn pairs(&mut self) -> Vec<(Value, Value)> {
        let n = 1 + self.rng.below(2);
        (0..n).map(|_| (self.event(), self.event())).collect()
    }

    fn code(&mut self, free: bool) -> u32 {
        let r = if free {
            self.free.clone()
        } else {
            self.nested.clone()
        };
        r.start + self.rng.below((r.end - r.start) as usize) as u32
    }

    /// A term whose top operators are (mostly) network operators.
    fn network(&mut self, depth: usize) -> ProcRef {
        if depth == 0 || self.rng.chance(20) {
            return self.term(2, Ctx::Tail);
        }
        let d = depth - 1;
        match self.rng.below(6) {
            0 | 1 => {
                let a = set(self.events());
                par(self.network(d), a, self.network(d))
            }
            2 => {
                let (a, b) = (set(self.events()), set(self.events()));
                apar(self.network(d), a, b, self.network(d))
            }
            3 => {
                let links = self.pairs();
                linked(self.network(d), &links, self.network(d))
            }
            4 => {
                let a = set(self.events());
                hide(self.network(d), a)
            }
            _ => {
                let r = self.pairs();
                rename(self.network(d), &r)
            }
        }
    }

    fn term(&mut self, depth: usize, ctx: Ctx) -> ProcRef {
        use Ctx::*;
        let simple = depth == 0 || self.rng.chance(30);
        if simple {
            return match self.rng.below(12) {
                0 => stop(),
                1 => skip(),
                2 if self.rng.chance(30) => p(Proc::Div),
                3 => p(Proc::Run(set(self.events()))),
                4 => p(Proc::Chaos(set(self.events()))),
                _ => {
                    let e = self.event();
                    prefix(&e, self.code(ctx != Nested))
                }
            };
        }
        let d = depth - 1;
        let inner = if ctx == Nested { Nested } else { Resolving };
        match self.rng.below(14) {
            0 | 1 => {
                let n = 2 + self.rng.below(2);
                ext((0..n).map(|_| self.term(d, inner)).collect())
            }
            2 => int(vec![self.term(d, ctx), self.term(d, ctx)]),
            3 => p(Proc::Sequential(
                self.term(d, Nested),
                thunk(self.code(ctx == Tail)),
            )),
            4 => p(Proc::SlidingChoice(
                self.term(d, inner),
                thunk(self.code(ctx == Tail)),
            )),
            5 => p(Proc::Interrupt(self.term(d, Nested), self.term(d, Nested))),
            6 | 7 => {
                let a = set(self.events());
                par(self.term(d, Nested), a, self.term(d, Nested))
            }
            8 => {
                let (a, b) = (set(self.events()), set(self.events()));
                apar(self.term(d, Nested), a, b, self.term(d, Nested))
            }
            9 => {
                let links = self.pairs();
                linked(self.term(d, Nested), &links, self.term(d, Nested))
            }
            10 | 11 => {
                let a = set(self.events());
                hide(self.term(d, Nested), a)
            }
            12 => {
                let r = self.pairs();
                rename(self.term(d, Nested), &r)
            }
            _ => {
                let e = self.event();
                prefix(&e, self.code(ctx != Nested))
            }
        }
    }
}

/// One generated case: the top term and its table of definitions. One case
/// in ten lets every thunk go anywhere (such cases are often infinite-state
/// and skipped, but exercise arbitrary recursion where finite).
fn case(seed: u64) -> (ProcRef, Table) {
    let (a, b, c, d) = (
        chan(0, "a", &[]),
        chan(1, "b", &[]),
        chan(2, "c", &[]),
        chan(3, "d", &[2]),
    );
    let mut g = Gen {
        rng: Rng(seed),
        alphabet: vec![
            ev(&a, &[]),
            ev(&b, &[]),
            ev(&c, &[]),
            ev(&d, &[0]),
            ev(&d, &[1]),
        ],
        free: 0..CODES,
        nested: 0..CODES,
    };
    let wild = g.rng.chance(10);
    let mut t = Table::default();
    for i in 0..CODES {
        let term = match i {
            8 => skip(),
            9 => stop(),
            _ => {
                if !wild {
                    let later = (i + 1).max(RECURSIVE)..CODES;
                    g.free = if i < RECURSIVE {
                        0..CODES
                    } else {
                        later.clone()
                    };
                    g.nested = later;
                }
                g.term(2, Ctx::Tail)
            }
        };
        t.add(&format!("T{i}"), term);
    }
    g.free = 0..CODES;
    g.nested = 0..CODES;
    let top = if g.rng.chance(70) {
        g.network(2)
    } else {
        g.term(3, Ctx::Tail)
    };
    (top, t)
}

/// What a compared case covered.
#[derive(Default)]
struct Coverage {
    compared: usize,
    too_big: usize,
    /// Networks of several leaves.
    networks: usize,
    /// Networks of several leaves some of which terminate.
    terminating_networks: usize,
    /// Cases with a divergence / a deadlock.
    divergent: usize,
    deadlocking: usize,
    states: usize,
}

fn compare(seed: u64, cov: &mut Coverage) {
    let (term, t) = case(seed);
    let options = CompileOptions::default()
        .max_leaf_states(MAX_STATES)
        .max_term_depth(MAX_DEPTH);
    let (Ok(r), Ok(net)) = (
        lts::reference::explore_bounded(&term, &t, MAX_STATES, MAX_DEPTH),
        lts::compile(term.clone(), &t, &options),
    ) else {
        cov.too_big += 1;
        return;
    };
    let n = ExplicitLts::from_system(&net, net.events(), 4 * MAX_STATES)
        .expect("network no bigger than its term");
    let r = r.lts;
    let what = || {
        let defs: Vec<String> = t
            .procs
            .iter()
            .enumerate()
            .map(|(i, p)| format!("T{i} = {p}"))
            .collect();
        format!("seed {seed}: {term}\n  {}", defs.join("\n  "))
    };
    assert_eq!(
        n.traces(DEPTH),
        r.traces(DEPTH),
        "traces differ for {}",
        what()
    );
    assert_eq!(
        n.stable_initials(DEPTH),
        r.stable_initials(DEPTH),
        "stable initials differ for {}",
        what()
    );
    assert_eq!(
        n.deadlocks().is_empty(),
        r.deadlocks().is_empty(),
        "deadlock differs for {}",
        what()
    );
    assert_eq!(
        n.has_divergence(),
        r.has_divergence(),
        "divergence differs for {}",
        what()
    );
    let leaf_ticks =
        (0..net.leaf_count()).any(|i| net.leaf(i).is_some_and(|l| l.alphabet.contains(&TICK)));
    if !leaf_ticks || net.leaf_count() == 1 {
        assert_eq!(
            n.num_states(),
            r.num_states(),
            "state counts differ for {}",
            what()
        );
    }
    cov.compared += 1;
    cov.networks += (net.leaf_count() > 1) as usize;
    cov.terminating_networks += (net.leaf_count() > 1 && leaf_ticks) as usize;
    cov.divergent += r.has_divergence() as usize;
    cov.deadlocking += !r.deadlocks().is_empty() as usize;
    cov.states += r.num_states();
}

#[test]
fn network_agrees_with_reference_semantics() {
    let mut cov = Coverage::default();
    for seed in 0..CASES {
        compare(seed, &mut cov);
    }
    // The generator must mostly produce finite processes, and cover what matters.
    let n = CASES as usize;
    assert!(
        cov.compared >= n * 9 / 10,
        "only {} of {n} cases compared",
        cov.compared
    );
    assert!(
        cov.networks >= n / 3,
        "only {} networks of several leaves",
        cov.networks
    );
    assert!(
        cov.terminating_networks >= n / 10,
        "only {} terminating networks",
        cov.terminating_networks
    );
    assert!(
        cov.divergent >= n / 10,
        "only {} divergent cases",
        cov.divergent
    );
    assert!(
        cov.deadlocking >= n / 10,
        "only {} deadlocking cases",
        cov.deadlocking
    );
    if std::env::var("LTS_DIFF_DEBUG").is_ok() {
        eprintln!(
            "compared {} (too big {}), networks {}, terminating networks {}, divergent {}, deadlocking {}, states {}",
            cov.compared, cov.too_big, cov.networks, cov.terminating_networks, cov.divergent, cov.deadlocking, cov.states
        );
    }
}
