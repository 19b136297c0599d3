//! Compilation into leaves and rules: what becomes a leaf, shared leaves,
//! the rules, the bounds that stop infinite-state leaves, and graph export.

mod lts_support;

use hoare::eval::{Proc, ProcRef, Thunk, Value};
use hoare::explore::{TransitionSystem, TAU, TICK};
use hoare::lts::{self, CompileOptions, ExplicitLts, Forcer};
use lts_support::*;
use std::sync::Arc;

fn abc() -> (Value, Value, Value) {
    let (a, b, c) = (chan(0, "a", &[]), chan(1, "b", &[]), chan(2, "c", &[]));
    (ev(&a, &[]), ev(&b, &[]), ev(&c, &[]))
}

/// `P(n) = up -> P(n+1)` through the thunk environment.
fn counter() -> (ProcRef, impl Forcer) {
    let up = ev(&chan(0, "up", &[]), &[]);
    let up2 = up.clone();
    let step = move |n: i64| {
        p(Proc::Prefix(
            up2.clone(),
            Thunk {
                code: 0,
                env: Arc::new([Value::Int(n + 1)]),
            },
        ))
    };
    let start = step(-1);
    let forcer = FnForcer(move |t: &Thunk| match t.env.first() {
        Some(Value::Int(n)) => step(*n),
        _ => stop(),
    });
    let _ = up;
    (start, forcer)
}

#[test]
fn infinite_counter_is_a_clear_error() {
    let (term, f) = counter();
    let err = lts::compile(term, &f, &CompileOptions::default().max_leaf_states(1_000))
        .expect_err("infinite");
    assert_eq!(err.code, "leaf-state-limit");
    assert_eq!(
        err.message,
        "the sequential process `up -> P0(0)` has more than 1000 states; it is probably infinite-state"
    );
    assert_eq!(err.notes, ["one of its states: up -> P0(1000)"]);
}

#[test]
fn infinite_counter_under_the_default_bound() {
    // The default bound (250,000 states) is reached in well under a second in release.
    let (term, f) = counter();
    let err =
        lts::compile(hide(term, set([])), &f, &CompileOptions::default()).expect_err("infinite");
    assert_eq!(err.code, "leaf-state-limit");
    assert!(err.message.contains("more than 250000 states"));
}

#[test]
fn recursion_through_parallel_inside_a_leaf_is_bounded() {
    let (a, _, _) = abc();
    let mut t = Table::default();
    let pc = t.reserve("P");
    let par_code = t.add("(P ||| P)", inter(prefix(&a, pc), prefix(&a, pc)));
    t.set(pc, prefix(&a, par_code));
    // P = a -> (P ||| P): the leaf is P itself (a prefix), so the parallel is inside it.
    let options = CompileOptions::default().max_leaf_states(20_000);
    let err = lts::compile(t.get(pc), &t, &options).expect_err("infinite");
    assert_eq!(err.code, "leaf-state-limit");
    assert!(err.message.contains("infinite-state"), "{}", err.message);
}

#[test]
fn recursion_through_sequential_composition_hits_the_depth_bound() {
    let (a, b, _) = abc();
    let mut t = Table::default();
    let stop_code = t.add("STOP", stop());
    let bs = t.add("b -> STOP", prefix(&b, stop_code));
    let pc = t.reserve("P");
    let body = t.add(
        "(P ; b -> STOP)",
        p(Proc::Sequential(prefix(&a, pc), thunk(bs))),
    );
    t.set(pc, prefix(&a, body));
    let err = lts::compile(t.get(pc), &t, &CompileOptions::default()).expect_err("infinite");
    assert_eq!(err.code, "term-depth");
    assert_eq!(
        err.message,
        "a state nests more than 256 process operators; the process is probably infinite-state"
    );
    // The reference explorer stops the same way.
    let err = lts::explore_reference(&t.get(pc), &t, 1_000_000).expect_err("infinite");
    assert_eq!(err.code, "term-depth");
}

#[test]
fn deep_terms_up_to_the_bound_are_explored() {
    // 255 nested `;` around a prefix: within the bound, no stack trouble.
    let (a, _, _) = abc();
    let mut t = Table::default();
    let skip_code = t.add("SKIP", skip());
    let mut term = prefix(&a, skip_code);
    for _ in 0..255 {
        term = p(Proc::Sequential(term, thunk(skip_code)));
    }
    let net = lts::compile(term.clone(), &t, &CompileOptions::default()).expect("within bound");
    let lts = ExplicitLts::from_system(&net, net.events(), 10_000).expect("small");
    // a, then 256 ✓-to-τ steps unwinding the `;`s (the last one is SKIP's own ✓), then Ω.
    assert_eq!(lts.num_states(), 258);
    let deeper = p(Proc::Sequential(term, thunk(skip_code)));
    assert_eq!(
        lts::compile(deeper, &t, &CompileOptions::default())
            .expect_err("too deep")
            .code,
        "term-depth"
    );
}

#[test]
fn leaves_rules_and_sharing() {
    let (a, b, c) = abc();
    let mut t = Table::default();
    let pc = t.reserve("P");
    t.set(pc, ext(vec![prefix(&a, pc), prefix(&b, pc)]));
    let q = t.get(pc);
    // ((P [| {a} |] P) \ {b}) [[a <- c]] ||| P : three leaves, one LTS.
    let inner = hide(
        par(q.clone(), set([a.clone()]), q.clone()),
        set([b.clone()]),
    );
    let term = inter(rename(inner, &[(a.clone(), c.clone())]), q.clone());
    let net = lts::compile(term, &t, &CompileOptions::default()).expect("compiles");
    assert_eq!((net.leaf_count(), net.distinct_leaf_count()), (3, 1));
    assert_eq!(net.component_sizes(), [1, 1, 1]);
    let ev = |e: u32| net.events().name(e);
    let rules: Vec<String> = net
        .rules()
        .iter()
        .map(|r| {
            let parts: Vec<String> = r
                .participants
                .iter()
                .map(|&(l, e)| format!("{l}:{}", ev(e)))
                .collect();
            format!("{} <- {}", ev(r.result), parts.join(" "))
        })
        .collect();
    assert_eq!(
        rules,
        [
            "c <- 0:a 1:a",
            "τ <- 0:b",
            "τ <- 1:b",
            "a <- 2:a",
            "b <- 2:b"
        ]
    );
    let mut succ = Vec::new();
    net.successors(&net.initial(), &mut |e, s| succ.push((ev(e), s.to_vec())));
    assert_eq!(
        succ,
        [
            ("c".to_string(), vec![0, 0, 0]),
            ("τ".to_string(), vec![0, 0, 0]),
            ("τ".to_string(), vec![0, 0, 0]),
            ("a".to_string(), vec![0, 0, 0]),
            ("b".to_string(), vec![0, 0, 0]),
        ]
    );
    assert_eq!(
        net.describe_state(&[0, 0, 0], &t),
        ["(a -> P [] b -> P)"; 3]
    );
}

#[test]
fn termination_of_a_network() {
    let (a, _, _) = abc();
    let mut t = Table::default();
    let s = t.add("SKIP", skip());
    // (a -> SKIP ||| SKIP) \ {a}: leaves terminate by τ, then the network's ✓.
    let term = hide(inter(prefix(&a, s), skip()), set([a.clone()]));
    let net = lts::compile(term, &t, &CompileOptions::default()).expect("compiles");
    assert_eq!(net.component_sizes(), [4, 2]);
    let lts = ExplicitLts::from_system(&net, net.events(), 100).expect("small");
    assert_eq!(lts.num_states(), 7);
    let last = lts.terminated.iter().position(|&x| x).expect("terminates") as u32;
    assert_eq!(
        lts.names(&lts.path_to(last).expect("path")),
        ["τ", "τ", "τ", "✓"]
    );
    assert!(net.is_terminated(&[3, 1]) && !net.is_terminated(&[2, 1]));
    assert_eq!(net.describe_state(&[3, 1], &t), ["Ω", "Ω"]);
    let mut succ = Vec::new();
    net.successors(&[2, 1], &mut |e, s| succ.push((e, s.to_vec())));
    assert_eq!(succ, [(TICK, vec![3, 1])]);
    // A single leaf passes its own ✓ through.
    let net =
        lts::compile(hide(skip(), set([])), &t, &CompileOptions::default()).expect("compiles");
    let mut succ = Vec::new();
    net.successors(&[0], &mut |e, s| succ.push((e, s.to_vec())));
    assert_eq!(succ, [(TICK, vec![1])]);
    assert!(net.is_terminated(&[1]));
    assert_ne!(TAU, TICK);
}

#[test]
fn process_graph_as_dot_and_json() {
    let (a, _, _) = abc();
    let mut t = Table::default();
    let s = t.add("SKIP", skip());
    let term = ext(vec![prefix(&a, s), int(vec![stop(), skip()])]);
    let g = lts::process_graph("P", &term, &t, 100).expect("small");
    assert_eq!(
        g.to_dot(),
        r#"digraph "P" {
  node [shape=box, style=rounded, fontname="monospace"];
  start [shape=point, label=""];
  start -> s0;
  s0 [label="(a -> SKIP [] (STOP |~| SKIP))"];
  s1 [label="(a -> SKIP [] STOP)"];
  s2 [label="(a -> SKIP [] SKIP)"];
  s3 [label="SKIP"];
  s4 [label="Ω", peripheries=2];
  s0 -> s1 [label="τ", style=dashed];
  s0 -> s2 [label="τ", style=dashed];
  s0 -> s3 [label="a"];
  s1 -> s3 [label="a"];
  s2 -> s4 [label="✓"];
  s2 -> s3 [label="a"];
  s3 -> s4 [label="✓"];
}
"#
    );
    let json: serde_json::Value = serde_json::from_str(&g.to_json()).expect("json");
    assert_eq!(json["states"].as_array().map(Vec::len), Some(5));
    assert_eq!(
        json["transitions"][4],
        serde_json::json!({"from": 2, "to": 4, "event": "✓"})
    );
    assert_eq!(
        json["states"][4],
        serde_json::json!({"id": 4, "label": "Ω", "terminated": true})
    );
    let err = lts::process_graph("P", &term, &t, 3).expect_err("too big");
    assert_eq!(err.code, "state-limit");
}

#[test]
fn leaf_graphs_of_a_network() {
    let (a, b, _) = abc();
    let mut t = Table::default();
    let pc = t.reserve("P");
    t.set(pc, prefix(&a, pc));
    let s = t.add("SKIP", skip());
    let term = par(t.get(pc), set([a.clone()]), prefix(&b, s));
    let gs = lts::leaf_graphs(&term, &t, &CompileOptions::default()).expect("compiles");
    assert_eq!(gs.len(), 2);
    assert_eq!(gs[0].name, "leaf 0: a -> P");
    assert_eq!(gs[1].name, "leaf 1: b -> SKIP");
    let edges: Vec<(u32, u32, &str)> = gs[1]
        .transitions
        .iter()
        .map(|e| (e.from, e.to, e.event.as_str()))
        .collect();
    assert_eq!(edges, [(0, 1, "b"), (1, 2, "✓")]);
    let dot = lts::graph::graphs_to_dot("system", &gs);
    assert!(dot.starts_with(
        "digraph \"system\" {\n  subgraph cluster_0 {\n    label=\"leaf 0: a -> P\";\n"
    ));
    assert!(dot.contains("    g1_s1 -> g1_s2 [label=\"✓\"];\n"));
}

#[test]
fn too_many_rules_is_an_error() {
    let (a, b, c) = abc();
    let t = Table::default();
    let run = p(Proc::Run(set([a.clone(), b.clone(), c.clone()])));
    let term = inter(run.clone(), run);
    let err = lts::compile(term.clone(), &t, &CompileOptions::default().max_rules(5))
        .expect_err("6 rules");
    assert_eq!(err.code, "rule-limit");
    assert_eq!(
        lts::compile(term, &t, &CompileOptions::default().max_rules(6))
            .map(|n| n.rules().len())
            .ok(),
        Some(6)
    );
}
