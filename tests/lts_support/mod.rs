//! Helpers shared by the lts and refinement tests: events built by hand, process terms,
//! a table forcer standing in for the evaluator, a seeded PRNG, and a
//! generator of random terms ([`generate`]).
#![allow(dead_code)]

pub mod generate;

use hoare::eval::{Data, EventSet, Head, HeadKind, Proc, ProcRef, Thunk, Value};
use hoare::lts::Forcer;
use hoare::syntax::{Diagnostic, Span};
use std::collections::BTreeSet;
use std::sync::Arc;

/// A channel whose fields range over `0..n` each.
pub fn chan(id: u32, name: &str, fields: &[i64]) -> Arc<Head> {
    Arc::new(Head {
        id,
        name: name.into(),
        kind: HeadKind::Channel,
        fields: fields
            .iter()
            .map(|&n| Value::set((0..n).map(Value::Int)))
            .collect(),
        datatype: None,
    })
}

/// The event `c.f1.f2…`.
pub fn ev(c: &Arc<Head>, fields: &[i64]) -> Value {
    Value::Data(Arc::new(Data {
        head: c.clone(),
        fields: fields.iter().map(|&i| Value::Int(i)).collect(),
    }))
}

/// All events of a channel (`{| c |}`), given its field ranges.
pub fn all_events(c: &Arc<Head>, ranges: &[i64]) -> Vec<Value> {
    let mut out = vec![Vec::new()];
    for &n in ranges {
        out = out
            .into_iter()
            .flat_map(|prefix: Vec<i64>| {
                (0..n).map(move |i| {
                    let mut p = prefix.clone();
                    p.push(i);
                    p
                })
            })
            .collect();
    }
    out.iter().map(|f| ev(c, f)).collect()
}

/// An event set.
pub fn set(items: impl IntoIterator<Item = Value>) -> EventSet {
    Arc::new(items.into_iter().collect::<BTreeSet<Value>>())
}

/// A thunk with no environment.
pub fn thunk(code: u32) -> Thunk {
    Thunk {
        code,
        env: Arc::new([]),
    }
}

pub fn p(proc: Proc) -> ProcRef {
    Arc::new(proc)
}
pub fn stop() -> ProcRef {
    p(Proc::Stop)
}
pub fn skip() -> ProcRef {
    p(Proc::Skip)
}
pub fn prefix(e: &Value, k: u32) -> ProcRef {
    p(Proc::Prefix(e.clone(), thunk(k)))
}
pub fn ext(ps: Vec<ProcRef>) -> ProcRef {
    p(Proc::ExternalChoice(ps))
}
pub fn int(ps: Vec<ProcRef>) -> ProcRef {
    p(Proc::InternalChoice(ps))
}
pub fn par(l: ProcRef, a: EventSet, r: ProcRef) -> ProcRef {
    p(Proc::Parallel(l, a, r))
}
pub fn inter(l: ProcRef, r: ProcRef) -> ProcRef {
    par(l, set([]), r)
}
pub fn apar(l: ProcRef, a: EventSet, b: EventSet, r: ProcRef) -> ProcRef {
    p(Proc::AlphaParallel(l, a, b, r))
}
pub fn hide(l: ProcRef, a: EventSet) -> ProcRef {
    p(Proc::Hide(l, a))
}
pub fn rename(l: ProcRef, pairs: &[(Value, Value)]) -> ProcRef {
    p(Proc::Rename(l, pairs.to_vec().into()))
}
pub fn linked(l: ProcRef, pairs: &[(Value, Value)], r: ProcRef) -> ProcRef {
    p(Proc::Linked(l, pairs.to_vec().into(), r))
}

/// A forcer over a table of named terms: thunk `code` forces to `procs[code]`.
#[derive(Default)]
pub struct Table {
    pub procs: Vec<ProcRef>,
    pub names: Vec<String>,
}

impl Table {
    /// Adds a term, returning its code.
    pub fn add(&mut self, name: &str, term: ProcRef) -> u32 {
        self.procs.push(term);
        self.names.push(name.to_string());
        self.procs.len() as u32 - 1
    }
    /// Reserves a code to be filled later with `set`.
    pub fn reserve(&mut self, name: &str) -> u32 {
        self.add(name, stop())
    }
    pub fn set(&mut self, code: u32, term: ProcRef) {
        self.procs[code as usize] = term;
    }
    /// `e1 -> e2 -> … -> en -> (thunk end)`, returning the code of the whole chain.
    pub fn chain(&mut self, name: &str, events: &[Value], end: u32) -> u32 {
        let mut k = end;
        for (i, e) in events.iter().enumerate().rev() {
            k = self.add(&format!("{name}#{i}"), prefix(e, k));
        }
        k
    }
    /// The term for `code`.
    pub fn get(&self, code: u32) -> ProcRef {
        self.procs[code as usize].clone()
    }
}

impl Forcer for Table {
    fn force(&self, t: &Thunk) -> Result<ProcRef, Diagnostic> {
        self.procs.get(t.code as usize).cloned().ok_or_else(|| {
            Diagnostic::error("test", format!("no thunk {}", t.code), Span::default())
        })
    }
    fn describe(&self, t: &Thunk) -> String {
        self.names
            .get(t.code as usize)
            .cloned()
            .unwrap_or_else(|| t.to_string())
    }
}

/// A forcer from a closure (for parameterised recursion through the environment).
pub struct FnForcer<F: Fn(&Thunk) -> ProcRef>(pub F);

impl<F: Fn(&Thunk) -> ProcRef> Forcer for FnForcer<F> {
    fn force(&self, t: &Thunk) -> Result<ProcRef, Diagnostic> {
        Ok((self.0)(t))
    }
    fn describe(&self, t: &Thunk) -> String {
        let args: Vec<String> = t.env.iter().map(|v| v.to_string()).collect();
        format!("P{}({})", t.code, args.join(", "))
    }
}

/// splitmix64: a small deterministic PRNG.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}
