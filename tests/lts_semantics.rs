//! Exact transitions of every operator under the firing rules, and small
//! whole-process properties, checked on the reference explorer and the
//! compiled network alike.

mod lts_support;

use hoare::eval::{Proc, ProcRef, Value};
use hoare::lts::{self, describe_term, CompileOptions, ExplicitLts, Forcer, Label};
use lts_support::*;

/// Transitions of `term` as `label -> target` lines.
fn show(term: &ProcRef, f: &dyn Forcer) -> Vec<String> {
    lts::transitions(term, f)
        .expect("transitions")
        .iter()
        .map(|(l, t)| format!("{l} -> {}", describe_term(t, f)))
        .collect()
}

/// Channels `a`, `b`, `c` without fields and `d` with one field in 0..2.
struct Events {
    a: Value,
    b: Value,
    c: Value,
    d0: Value,
    d1: Value,
}

fn events() -> Events {
    let (a, b, c, d) = (
        chan(0, "a", &[]),
        chan(1, "b", &[]),
        chan(2, "c", &[]),
        chan(3, "d", &[2]),
    );
    Events {
        a: ev(&a, &[]),
        b: ev(&b, &[]),
        c: ev(&c, &[]),
        d0: ev(&d, &[0]),
        d1: ev(&d, &[1]),
    }
}

/// A table with `STOP` (code 0) and `SKIP` (code 1).
fn base() -> Table {
    let mut t = Table::default();
    t.add("STOP", stop());
    t.add("SKIP", skip());
    t
}

fn reference(term: &ProcRef, f: &dyn Forcer) -> ExplicitLts {
    lts::explore_reference(term, f, 10_000)
        .expect("reference")
        .lts
}

fn network(term: &ProcRef, f: &dyn Forcer) -> ExplicitLts {
    let net = lts::compile(term.clone(), f, &CompileOptions::default()).expect("compile");
    ExplicitLts::from_system(&net, net.events(), 10_000).expect("network lts")
}

fn trace(labels: &[&Value]) -> Vec<Label> {
    labels.iter().map(|v| Label::Event((*v).clone())).collect()
}

#[test]
fn basic_processes() {
    let e = events();
    let t = base();
    assert!(show(&stop(), &t).is_empty());
    assert_eq!(show(&skip(), &t), ["✓ -> Ω"]);
    assert!(show(&p(Proc::Omega), &t).is_empty());
    assert_eq!(show(&p(Proc::Div), &t), ["τ -> DIV"]);
    let ab = set([e.a.clone(), e.b.clone()]);
    assert_eq!(
        show(&p(Proc::Run(ab.clone())), &t),
        ["a -> RUN({a, b})", "b -> RUN({a, b})"]
    );
    assert_eq!(
        show(&p(Proc::Chaos(ab)), &t),
        ["τ -> STOP", "a -> CHAOS({a, b})", "b -> CHAOS({a, b})"]
    );
    assert_eq!(show(&prefix(&e.d1, 1), &t), ["d.1 -> SKIP"]);
}

#[test]
fn external_choice() {
    let e = events();
    let t = base();
    // (STOP |~| SKIP) [] a -> STOP: the τs stay inside the choice, a resolves it.
    let term = ext(vec![int(vec![stop(), skip()]), prefix(&e.a, 0)]);
    assert_eq!(
        show(&term, &t),
        [
            "τ -> (STOP [] a -> STOP)",
            "τ -> (SKIP [] a -> STOP)",
            "a -> STOP"
        ]
    );
    // SKIP [] b -> STOP: ✓ resolves it too; duplicates collapse.
    let term = ext(vec![skip(), prefix(&e.b, 0), prefix(&e.b, 0)]);
    assert_eq!(show(&term, &t), ["✓ -> Ω", "b -> STOP"]);
}

#[test]
fn internal_choice() {
    let e = events();
    let t = base();
    let term = int(vec![prefix(&e.a, 0), skip()]);
    assert_eq!(show(&term, &t), ["τ -> SKIP", "τ -> a -> STOP"]);
}

#[test]
fn sequential_composition() {
    let e = events();
    let mut t = base();
    let q = t.add("Q", prefix(&e.b, 0));
    // (SKIP [] a -> STOP) ; Q: ✓ becomes τ into Q, other steps stay under `;`.
    let term = p(Proc::Sequential(
        ext(vec![skip(), prefix(&e.a, 0)]),
        thunk(q),
    ));
    assert_eq!(show(&term, &t), ["τ -> b -> STOP", "a -> (STOP ; Q)"]);
    let term = p(Proc::Sequential(int(vec![stop(), skip()]), thunk(q)));
    assert_eq!(show(&term, &t), ["τ -> (STOP ; Q)", "τ -> (SKIP ; Q)"]);
}

#[test]
fn sliding_choice() {
    let e = events();
    let mut t = base();
    let q = t.add("Q", prefix(&e.b, 0));
    // (a -> STOP |~| SKIP) [> Q: P's τ stays, Q may be taken at any time by τ.
    let term = p(Proc::SlidingChoice(
        int(vec![prefix(&e.a, 0), skip()]),
        thunk(q),
    ));
    assert_eq!(
        show(&term, &t),
        [
            "τ -> b -> STOP",
            "τ -> (SKIP [> Q)",
            "τ -> (a -> STOP [> Q)"
        ]
    );
    let term = p(Proc::SlidingChoice(
        ext(vec![skip(), prefix(&e.a, 0)]),
        thunk(q),
    ));
    assert_eq!(show(&term, &t), ["τ -> b -> STOP", "✓ -> Ω", "a -> STOP"]);
}

#[test]
fn interrupt() {
    let e = events();
    let t = base();
    // (a -> SKIP [] SKIP) /\ (STOP |~| c -> STOP)
    let term = p(Proc::Interrupt(
        ext(vec![prefix(&e.a, 1), skip()]),
        int(vec![stop(), prefix(&e.c, 0)]),
    ));
    assert_eq!(
        show(&term, &t),
        [
            "τ -> ((a -> SKIP [] SKIP) /\\ STOP)",
            "τ -> ((a -> SKIP [] SKIP) /\\ c -> STOP)",
            "✓ -> Ω",
            "a -> (SKIP /\\ (STOP |~| c -> STOP))",
        ]
    );
    let term = p(Proc::Interrupt(prefix(&e.a, 0), prefix(&e.c, 1)));
    assert_eq!(show(&term, &t), ["a -> (STOP /\\ c -> SKIP)", "c -> SKIP"]);
}

#[test]
fn interrupt_can_always_interrupt_until_termination() {
    let e = events();
    let mut t = base();
    let bs = t.add("b -> STOP", prefix(&e.b, 0));
    let term = p(Proc::Interrupt(prefix(&e.a, bs), prefix(&e.c, 1)));
    for lts in [reference(&term, &t), network(&term, &t)] {
        let c = lts.events.get(&e.c).expect("c occurs");
        let ts = &lts.transitions;
        // a, b steps under the interrupt, c from each of those three states, then ✓.
        assert_eq!(lts.num_states(), 5);
        let after_c: Vec<u32> = ts
            .iter()
            .flatten()
            .filter(|(ev, _)| *ev == c)
            .map(|&(_, s)| s)
            .collect();
        for s in 0..lts.num_states() as u32 {
            if !after_c.contains(&s) && !lts.terminated[s as usize] {
                assert!(
                    ts[s as usize].iter().any(|&(ev, _)| ev == c),
                    "state {s} cannot do c"
                );
            }
        }
        assert!(lts
            .traces(4)
            .contains(&[trace(&[&e.a, &e.b, &e.c]), vec![Label::Tick]].concat()));
        assert!(lts.deadlocks().is_empty());
    }
    assert_eq!(
        reference(&term, &t)
            .traces(5)
            .iter()
            .map(|tr| tr
                .iter()
                .map(|l| l.to_string())
                .collect::<Vec<_>>()
                .join(","))
            .collect::<Vec<_>>(),
        [
            "",
            "a",
            "a,b",
            "a,b,c",
            "a,b,c,✓",
            "a,c",
            "a,c,✓",
            "c",
            "c,✓"
        ]
    );
}

#[test]
fn generalised_parallel() {
    let e = events();
    let mut t = base();
    let sa = t.add("SKIP", skip());
    let both = par(
        ext(vec![prefix(&e.a, 0), prefix(&e.b, 0)]),
        set([e.a.clone()]),
        prefix(&e.a, sa),
    );
    assert_eq!(
        show(&both, &t),
        [
            "a -> (STOP [| {a} |] SKIP)",
            "b -> (STOP [| {a} |] a -> SKIP)"
        ]
    );
    // A side's ✓ becomes τ to Ω; both Ω: ✓.
    assert_eq!(show(&inter(skip(), stop()), &t), ["τ -> (Ω ||| STOP)"]);
    assert_eq!(show(&inter(p(Proc::Omega), p(Proc::Omega)), &t), ["✓ -> Ω"]);
}

#[test]
fn interleaved_skips_terminate_with_tau_tau_tick() {
    let t = base();
    let term = inter(skip(), skip());
    let r = reference(&term, &t);
    assert_eq!(r.num_states(), 5);
    let path = r.path_to(r.terminated.iter().position(|&x| x).expect("terminates") as u32);
    assert_eq!(r.names(&path.expect("path")), ["τ", "τ", "✓"]);
    let n = network(&term, &t);
    assert_eq!(n.num_states(), 5);
    assert_eq!(n.traces(3), r.traces(3));
    assert!(n.deadlocks().is_empty() && r.deadlocks().is_empty());
}

#[test]
fn synchronised_skips_deadlock_after_b() {
    let e = events();
    let t = base();
    let term = par(prefix(&e.a, 1), set([e.a.clone()]), prefix(&e.b, 1));
    for lts in [reference(&term, &t), network(&term, &t)] {
        let dead = lts.deadlocks();
        assert_eq!(dead.len(), 1);
        let path = lts.path_to(dead[0]).expect("reachable");
        assert_eq!(lts.names(&path), ["b", "τ"]);
        assert_eq!(lts.traces(3).len(), 2);
    }
}

#[test]
fn alphabetised_parallel() {
    let e = events();
    let t = base();
    // P may do only A = {a, b}, Q only B = {b, c}: b synchronises, c and d.0 of P are blocked.
    let l = ext(vec![prefix(&e.a, 0), prefix(&e.b, 0), prefix(&e.c, 0)]);
    let r = ext(vec![prefix(&e.b, 0), prefix(&e.c, 0), prefix(&e.d0, 0)]);
    let term = apar(
        l,
        set([e.a.clone(), e.b.clone()]),
        set([e.b.clone(), e.c.clone()]),
        r,
    );
    let lines = show(&term, &t);
    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with("a -> (STOP [{a, b} || {b, c}] ("));
    assert_eq!(lines[1], "b -> (STOP [{a, b} || {b, c}] STOP)");
    assert!(
        lines[2].starts_with("c -> ((a -> STOP [] b -> STOP [] c -> STOP) [{a, b} || {b, c}] STOP")
    );
}

#[test]
fn hiding() {
    let e = events();
    let mut t = base();
    let pc = t.reserve("P");
    t.set(pc, prefix(&e.a, pc));
    // (a -> P) \ {a} with P = a -> P: a τ self-loop, divergent.
    let term = hide(prefix(&e.a, pc), set([e.a.clone()]));
    assert_eq!(show(&term, &t), ["τ -> (a -> P \\ {a})"]);
    for lts in [reference(&term, &t), network(&term, &t)] {
        assert!(lts.has_divergence());
        assert_eq!(lts.num_states(), 1);
        assert!(lts.deadlocks().is_empty());
    }
    // ✓ is never hidden and leads to Ω.
    let term = hide(ext(vec![skip(), prefix(&e.b, 0)]), set([e.b.clone()]));
    assert_eq!(show(&term, &t), ["τ -> (STOP \\ {b})", "✓ -> Ω"]);
}

#[test]
fn renaming_is_a_relation() {
    let e = events();
    let t = base();
    let term = rename(
        prefix(&e.a, 1),
        &[(e.a.clone(), e.b.clone()), (e.a.clone(), e.c.clone())],
    );
    assert_eq!(
        show(&term, &t),
        ["b -> SKIP[[a <- b, a <- c]]", "c -> SKIP[[a <- b, a <- c]]"]
    );
    for lts in [reference(&term, &t), network(&term, &t)] {
        let traces: Vec<Vec<String>> = lts
            .traces(3)
            .into_iter()
            .map(|tr| tr.iter().map(|l| l.to_string()).collect())
            .collect();
        assert_eq!(
            traces,
            [vec![], vec!["b"], vec!["b", "✓"], vec!["c"], vec!["c", "✓"]]
        );
    }
    // Events outside the domain are unchanged.
    let term = rename(prefix(&e.d0, 0), &[(e.a.clone(), e.b.clone())]);
    assert_eq!(show(&term, &t), ["d.0 -> STOP[[a <- b]]"]);
}

#[test]
fn linked_parallel() {
    let e = events();
    let t = base();
    // P's a links with Q's b; P's c is free; Q's b cannot happen alone, Q's a is free.
    let l = ext(vec![prefix(&e.a, 0), prefix(&e.c, 0)]);
    let r = ext(vec![prefix(&e.b, 1), prefix(&e.a, 0)]);
    let term = linked(l, &[(e.a.clone(), e.b.clone())], r);
    let lines = show(&term, &t);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0], "τ -> (STOP [a <-> b] SKIP)");
    assert!(lines[1].starts_with("a -> ((a -> STOP [] c -> STOP) [a <-> b] STOP)"));
    assert!(lines[2].starts_with("c -> (STOP [a <-> b] ("));
    // ✓ as in parallel.
    let term = linked(skip(), &[(e.a.clone(), e.b.clone())], p(Proc::Omega));
    assert_eq!(show(&term, &t), ["τ -> (Ω [a <-> b] Ω)"]);
}

#[test]
fn transitions_are_sorted_and_deterministic() {
    let e = events();
    let t = base();
    let term = int(vec![
        prefix(&e.c, 0),
        prefix(&e.a, 0),
        skip(),
        prefix(&e.b, 0),
    ]);
    let first = show(&term, &t);
    let mut sorted = lts::transitions(&term, &t).expect("ok");
    sorted.sort();
    assert_eq!(sorted, lts::transitions(&term, &t).expect("ok"));
    assert_eq!(first, show(&term, &t));
}
