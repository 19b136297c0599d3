//! A generator of random small process terms over every operator, for
//! differential tests against the reference semantics.
//!
//! Each case is a small table of named terms (recursion goes through thunks
//! into the table, see [`Ctx`]) and top terms over it. The recursion
//! discipline keeps most cases finite-state.

use super::*;
use hoare::eval::{Proc, ProcRef, Value};

/// Codes 0..4: recursive definitions; 4..8: finite definitions (each refers
/// only to later ones); 8: SKIP; 9: STOP.
pub const RECURSIVE: u32 = 4;
/// Number of definitions in a case's table.
pub const CODES: u32 = 10;

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
pub fn case(seed: u64) -> (ProcRef, Table) {
    let (mut tops, t) = cases(seed, 1);
    (tops.remove(0), t)
}

/// `n` top terms over one table of definitions (the first as in [`case`]).
pub fn cases(seed: u64, n: usize) -> (Vec<ProcRef>, Table) {
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
    let tops = (0..n)
        .map(|_| {
            if g.rng.chance(70) {
                g.network(2)
            } else {
                g.term(3, Ctx::Tail)
            }
        })
        .collect();
    (tops, t)
}
