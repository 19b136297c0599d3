//! The runtime (`hoare::run`): every run is a trace of the spec, checked two
//! independent ways — along the compiled network's own successor function
//! (τ steps included), and through the reference semantics on the process
//! term (visible trace with τ-closure) — over many seeds, both schedulers
//! and specs exercising every operator; plus determinism, deadlock,
//! termination, fairness, callbacks, limits and counterexample replay.

use hoare::check::load;
use hoare::check::replay::{replay, Claim, Replay};
use hoare::eval::{with_big_stack, Evaluator, ProcRef, Value};
use hoare::explore::TransitionSystem;
use hoare::lts::{compile, transitions, CompileOptions, Label, Network};
use hoare::run::{read_counterexample, Plan, RunOutcome, RunReport, Runtime, Scheduler};
use hoare::syntax::load::load_file;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const OPS: &str = "tests/fixtures/run/operators.csp";

/// Loads `file`, compiles the global process `name` and calls `f` on it.
fn with_process<R: Send>(
    file: &str,
    name: &str,
    f: impl FnOnce(&Evaluator, &ProcRef, &Network) -> R + Send,
) -> R {
    let (file, name) = (file.to_string(), name.to_string());
    with_big_stack(move || {
        let (_, ev) = load(load_file(Path::new(&file))).unwrap_or_else(|e| panic!("{e}"));
        let term = match ev.global(&name) {
            Some(Ok(Value::Proc(p))) => p,
            other => panic!("{name} is not a process: {other:?}"),
        };
        let net = compile(term.clone(), &ev, &CompileOptions::default())
            .unwrap_or_else(|d| panic!("{}", d.message));
        f(&ev, &term, &net)
    })
}

fn event_ids(net: &Network) -> HashMap<String, u32> {
    let table = net.events();
    (0..table.len() as u32)
        .map(|id| (table.name(id), id))
        .collect()
}

/// Follows the run's whole path (τ included) along `Network::successors`
/// and checks the outcome against the states reached.
fn check_on_network(net: &Network, r: &RunReport) {
    let ids = event_ids(net);
    let mut current: HashSet<Vec<u32>> = HashSet::from([net.initial()]);
    for (k, step) in r.path.iter().enumerate() {
        let id = ids[&step.event];
        let mut next = HashSet::new();
        for s in &current {
            net.successors(s, &mut |e, t| {
                if e == id {
                    next.insert(t.to_vec());
                }
            });
        }
        assert!(
            !next.is_empty(),
            "step {} ({}) of the run is not a step of the network",
            k + 1,
            step.event
        );
        current = next;
    }
    let visible: Vec<&str> = r
        .path
        .iter()
        .filter(|s| s.event != "τ")
        .map(|s| s.event.as_str())
        .collect();
    assert_eq!(visible, r.trace, "the trace is the path without τ");
    let local: u64 = r
        .path
        .iter()
        .filter(|s| s.event == "τ" && s.hidden.is_none() && s.threads.len() == 1)
        .count() as u64;
    assert!(local >= r.internal_steps);
    assert_eq!(r.path.len() as u64, r.steps + r.internal_steps);
    let stuck = |s: &Vec<u32>| {
        let mut any = false;
        net.successors(s, &mut |_, _| any = true);
        !any
    };
    match &r.outcome {
        RunOutcome::Deadlock { blocked } => {
            assert_eq!(blocked.len(), net.leaf_count());
            assert!(
                current.iter().any(|s| stuck(s) && !net.is_terminated(s)),
                "a reported deadlock is a deadlocked state of the network"
            );
        }
        RunOutcome::Terminated => {
            assert_eq!(r.trace.last().map(String::as_str), Some("✓"));
            assert!(current.iter().any(|s| net.is_terminated(s)));
        }
        RunOutcome::StepLimit { limit } => {
            assert_eq!(r.steps, *limit);
            assert!(current.iter().any(|s| !stuck(s)));
        }
        other => panic!("unexpected outcome {other:?}"),
    }
}

/// Replays the visible trace on the process term with the reference
/// semantics (no compiled network involved), with τ-closure.
fn check_in_reference(ev: &Evaluator, term: &ProcRef, net: &Network, r: &RunReport) {
    let ids = event_ids(net);
    let labels: Vec<Label> = r.trace.iter().map(|e| net.events().label(ids[e])).collect();
    let mut cache: HashMap<ProcRef, Vec<(Label, ProcRef)>> = HashMap::new();
    let mut succ = |t: &ProcRef| -> Vec<(Label, ProcRef)> {
        cache
            .entry(t.clone())
            .or_insert_with(|| transitions(t, ev).expect("the term has transitions"))
            .clone()
    };
    let closure = |set: HashSet<ProcRef>,
                   succ: &mut dyn FnMut(&ProcRef) -> Vec<(Label, ProcRef)>| {
        let mut out = set.clone();
        let mut todo: Vec<ProcRef> = set.into_iter().collect();
        while let Some(t) = todo.pop() {
            for (l, u) in succ(&t) {
                if l == Label::Tau && out.insert(u.clone()) {
                    todo.push(u);
                }
            }
        }
        out
    };
    let mut current = closure(HashSet::from([term.clone()]), &mut succ);
    for (k, label) in labels.iter().enumerate() {
        let mut next = HashSet::new();
        for t in &current {
            for (l, u) in succ(t) {
                if &l == label {
                    next.insert(u);
                }
            }
        }
        assert!(
            !next.is_empty(),
            "event {} ({label}) of the run is not possible in the reference semantics",
            k + 1
        );
        current = closure(next, &mut succ);
    }
    if matches!(r.outcome, RunOutcome::Deadlock { .. }) {
        assert_eq!(
            replay(term, ev, &labels, Claim::Deadlock).expect("replay runs"),
            Replay::Confirmed
        );
    }
}

fn run(net: &Network, seed: u64, scheduler: Scheduler, steps: u64) -> RunReport {
    Runtime::new(net)
        .seed(seed)
        .scheduler(scheduler)
        .max_steps(steps)
        .run()
        .expect("the run starts")
}

#[test]
fn every_run_is_a_trace_of_the_spec() {
    let cases: &[(&str, &str, u64)] = &[
        ("specs/phils.csp", "SYSTEM", 200),
        ("specs/phils.csp", "BSYSTEM", 200),
        ("specs/buffer.csp", "SYSTEM", 100),
        ("bench/models/pipeline.csp", "SYSTEM", 200),
        ("bench/models/pipeline.csp", "BUGGY", 200),
        (OPS, "INTERLEAVE", 50),
        (OPS, "SEQ", 50),
        (OPS, "CHOOSE", 50),
        (OPS, "HIDE", 60),
        (OPS, "REN", 60),
        (OPS, "NONDET", 60),
        (OPS, "TIMEOUT", 60),
        (OPS, "INTR", 60),
        (OPS, "LINKED", 60),
        (OPS, "THREE", 60),
        (OPS, "SPIN", 30),
        (OPS, "WORKERS", 30),
    ];
    for &(file, name, steps) in cases {
        let outcomes = with_process(file, name, |ev, term, net| {
            let mut outcomes = HashSet::new();
            for scheduler in [Scheduler::Fair, Scheduler::Random] {
                for seed in 0..10 {
                    let r = run(net, seed, scheduler, steps);
                    check_on_network(net, &r);
                    check_in_reference(ev, term, net, &r);
                    outcomes.insert(std::mem::discriminant(&r.outcome));
                }
            }
            outcomes
        });
        assert!(!outcomes.is_empty(), "{file} {name}");
    }
}

#[test]
fn same_seed_same_run_and_seeds_differ() {
    with_process("specs/phils.csp", "BSYSTEM", |_, _, net| {
        for scheduler in [Scheduler::Fair, Scheduler::Random] {
            let a = run(net, 42, scheduler, 2000);
            let b = run(net, 42, scheduler, 2000);
            assert_eq!(a, b);
            let traces: HashSet<Vec<String>> =
                (0..8).map(|s| run(net, s, scheduler, 200).trace).collect();
            assert!(traces.len() > 1, "different seeds give different runs");
        }
    });
    with_process(OPS, "CHOOSE", |_, _, net| {
        // Internal choices are made by the threads themselves, seeded too.
        let a = run(net, 9, Scheduler::Fair, 100);
        assert!(a.internal_steps > 0);
        assert_eq!(a, run(net, 9, Scheduler::Fair, 100));
    });
}

#[test]
fn dining_philosophers_deadlock_is_reached_and_reported() {
    with_process("specs/phils.csp", "SYSTEM", |ev, term, net| {
        for scheduler in [Scheduler::Fair, Scheduler::Random] {
            let deadlocked: Vec<RunReport> = (0..10)
                .map(|seed| {
                    Runtime::new(net)
                        .seed(seed)
                        .scheduler(scheduler)
                        .describe_with(ev)
                        .max_steps(10_000)
                        .run()
                        .unwrap()
                })
                .filter(|r| matches!(r.outcome, RunOutcome::Deadlock { .. }))
                .collect();
            assert!(!deadlocked.is_empty(), "some seed reaches the deadlock");
            for r in &deadlocked {
                check_in_reference(ev, term, net, r);
                let RunOutcome::Deadlock { blocked } = &r.outcome else {
                    unreachable!()
                };
                // The only deadlock: every philosopher holds its left fork
                // and waits for its right one.
                assert_eq!(blocked.len(), 10);
                for (i, t) in blocked.iter().take(5).enumerate() {
                    assert_eq!(t.offers, vec![format!("picks.{i}.{}", (i + 1) % 5)]);
                    assert!(t.state.starts_with(&format!("picks.{i}.{}", (i + 1) % 5)));
                }
                for (i, t) in blocked.iter().skip(5).enumerate() {
                    assert_eq!(t.offers, vec![format!("putsdown.{i}.{i}")]);
                }
            }
        }
    });
}

#[test]
fn butler_runs_100000_steps_without_deadlock_and_everyone_eats() {
    with_process("specs/phils.csp", "BSYSTEM", |_, _, net| {
        let r = run(net, 7, Scheduler::Fair, 100_000);
        assert_eq!(r.outcome, RunOutcome::StepLimit { limit: 100_000 });
        assert_eq!(r.steps, 100_000);
        assert_eq!(r.trace.len(), 100_000);
        check_on_network(net, &r);
        for i in 0..5 {
            let eats = r
                .trace
                .iter()
                .filter(|e| **e == format!("eats.{i}"))
                .count();
            assert!(eats > 2000, "philosopher {i} eats {eats} times");
        }
    });
}

#[test]
fn fair_scheduler_alternates_events_that_stay_enabled() {
    with_process(OPS, "TWO", |_, _, net| {
        let r = run(net, 3, Scheduler::Fair, 1000);
        let a = r.trace.iter().filter(|e| *e == "a").count();
        assert_eq!(a, 500);
        assert!(r.trace.windows(2).all(|w| w[0] != w[1]));
    });
}

#[test]
fn divergent_thread_does_not_stall_the_others() {
    with_process(OPS, "SPIN", |_, _, net| {
        let r = run(net, 1, Scheduler::Fair, 20);
        assert_eq!(r.outcome, RunOutcome::StepLimit { limit: 20 });
        for e in ["a", "b", "c", "d"] {
            assert!(r.trace.iter().any(|t| t == e), "{e} in {:?}", r.trace);
        }
        assert!(r.internal_steps >= hoare::run::LOCAL_TAU_LIMIT as u64);
    });
}

#[test]
fn termination_is_a_tick_at_the_end() {
    with_process(OPS, "SEQ", |_, _, net| {
        let r = run(net, 0, Scheduler::Fair, 100);
        assert_eq!(r.outcome, RunOutcome::Terminated);
        assert_eq!(r.trace, ["a", "b", "c", "✓"]);
        assert_eq!(r.internal_steps, 2);
    });
    with_process(OPS, "INTERLEAVE", |_, _, net| {
        for seed in 0..10 {
            let r = run(net, seed, Scheduler::Random, 100);
            assert_eq!(r.outcome, RunOutcome::Terminated);
            let mut t = r.trace.clone();
            assert_eq!(t.pop().as_deref(), Some("✓"));
            t.sort();
            assert_eq!(t, ["a", "b", "c", "d"]);
            let last = r.path.last().unwrap();
            assert_eq!(last.threads, [0, 1, 2]);
        }
    });
}

#[test]
fn callbacks_run_on_the_participating_thread_for_each_occurrence() {
    with_process("specs/phils.csp", "BSYSTEM", |ev, _, net| {
        let two = AtomicUsize::new(0);
        let all = AtomicUsize::new(0);
        let threads = Mutex::new(HashSet::new());
        let observed = AtomicUsize::new(0);
        let r = Runtime::new(net)
            .seed(11)
            .max_steps(5000)
            .thread_names(hoare::run::thread_names(net, ev))
            .on_event("eats.2", |ev| {
                two.fetch_add(1, Ordering::SeqCst);
                assert_eq!(ev.event, "eats.2");
                let me = std::thread::current().name().map(str::to_string);
                threads.lock().unwrap().insert(me);
            })
            .on_event("eats", |_| {
                all.fetch_add(1, Ordering::SeqCst);
            })
            .on_step(|occ| {
                observed.fetch_add(1, Ordering::SeqCst);
                assert!(occ.step >= 1);
            })
            .run()
            .unwrap();
        let count = |p: &str| r.trace.iter().filter(|e| e.starts_with(p)).count();
        assert_eq!(two.load(Ordering::SeqCst), count("eats.2"));
        assert_eq!(all.load(Ordering::SeqCst), count("eats."));
        assert!(two.load(Ordering::SeqCst) > 0);
        assert_eq!(observed.load(Ordering::SeqCst), 5000);
        // eats.2 involves PHIL(2) alone: its thread ran every callback.
        let names = threads.into_inner().unwrap();
        assert_eq!(names.len(), 1);
        assert_eq!(
            names.into_iter().next().unwrap().as_deref(),
            Some(r.threads[2].as_str())
        );
    });
}

#[test]
fn callbacks_match_hidden_events_by_their_name() {
    with_process(OPS, "HIDE", |_, _, net| {
        let hidden = AtomicUsize::new(0);
        let r = Runtime::new(net)
            .seed(5)
            .max_steps(300)
            .on_event("b", |occ| {
                assert_eq!((occ.event, occ.hidden), ("τ", Some("b")));
                hidden.fetch_add(1, Ordering::SeqCst);
            })
            .run()
            .unwrap();
        let n = r
            .path
            .iter()
            .filter(|s| s.hidden.as_deref() == Some("b"))
            .count();
        assert!(n > 50);
        assert_eq!(hidden.load(Ordering::SeqCst), n);
    });
}

#[test]
fn callbacks_of_independent_events_run_in_parallel() {
    // The four work.i events have no thread in common: they are dispatched in
    // one round, so their callbacks run at the same time. Each callback waits
    // until all four have started; run one after another, the first would
    // wait in vain (and report it after five seconds).
    with_process(OPS, "WORKERS", |_, _, net| {
        let started = AtomicUsize::new(0);
        let all_met = AtomicUsize::new(0);
        let r = Runtime::new(net)
            .on_event("work", |_| {
                started.fetch_add(1, Ordering::SeqCst);
                let t = std::time::Instant::now();
                while started.load(Ordering::SeqCst) < 4 && t.elapsed() < Duration::from_secs(5) {
                    std::thread::sleep(Duration::from_millis(1));
                }
                if started.load(Ordering::SeqCst) == 4 {
                    all_met.fetch_add(1, Ordering::SeqCst);
                }
            })
            .run()
            .unwrap();
        assert_eq!(r.outcome, RunOutcome::Terminated);
        assert_eq!(
            all_met.load(Ordering::SeqCst),
            4,
            "the callbacks overlapped"
        );
    });
}

#[test]
fn a_panicking_callback_stops_the_run_and_panics_in_the_caller() {
    with_process(OPS, "TWO", |_, _, net| {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Runtime::new(net)
                .on_event("b", |occ| {
                    if occ.step > 10 {
                        panic!("callback failed");
                    }
                })
                .run()
        }));
        let err = result.expect_err("the panic reaches the caller");
        assert_eq!(err.downcast_ref::<&str>(), Some(&"callback failed"));
    });
}

#[test]
fn time_limit_and_cancel_flag_stop_a_run() {
    with_process(OPS, "TWO", |_, _, net| {
        let r = Runtime::new(net)
            .timeout(Duration::from_millis(100))
            .record(false)
            .run()
            .unwrap();
        assert_eq!(r.outcome, RunOutcome::Timeout { seconds: 0.1 });
        assert!(r.steps > 0);
        assert!(r.trace.is_empty() && r.path.is_empty());
        let flag = Arc::new(AtomicBool::new(false));
        let setter = flag.clone();
        let r = Runtime::new(net)
            .cancel_flag(flag)
            .on_event("a", move |occ| {
                if occ.step >= 50 {
                    setter.store(true, Ordering::SeqCst);
                }
            })
            .run()
            .unwrap();
        assert_eq!(r.outcome, RunOutcome::Interrupted);
        assert!(r.steps >= 50);
    });
}

#[test]
fn a_check_counterexample_replays_to_its_deadlock_on_threads() {
    let report = hoare::check::check_file("specs/phils.csp").unwrap();
    let json = report
        .to_json(&hoare::report::Timing::default())
        .to_string();
    let cx = read_counterexample(&json, None).unwrap();
    assert_eq!(cx.assertion, "assert SYSTEM :[deadlock free]");
    assert_eq!(cx.process().as_deref(), Some("SYSTEM"));
    assert_eq!(cx.kind, "deadlock");
    assert!(
        read_counterexample(&json, Some(2)).is_err(),
        "BSYSTEM passes"
    );
    with_process("specs/phils.csp", "SYSTEM", |ev, term, net| {
        let plan = Plan::new(net, &cx.steps).unwrap();
        assert_eq!(plan.len(), 10);
        let r = Runtime::new(net).follow(plan).run().unwrap();
        assert_eq!(r.trace, cx.trace);
        assert!(matches!(r.outcome, RunOutcome::Deadlock { .. }));
        check_on_network(net, &r);
        check_in_reference(ev, term, net, &r);
        // The first five steps only: the system can still move.
        let plan = Plan::new(net, &cx.steps[..5]).unwrap();
        let r = Runtime::new(net).follow(plan).run().unwrap();
        assert_eq!(r.outcome, RunOutcome::Replayed { followed: 5 });
    });
    with_process("specs/phils.csp", "BSYSTEM", |_, _, net| {
        // BSYSTEM's forks are the same, but its network has other rules.
        let err = Plan::new(net, &cx.steps).unwrap_err();
        assert!(err.contains("does not belong to this process"), "{err}");
    });
}

#[test]
fn replay_follows_tau_steps_of_the_counterexample() {
    // A counterexample whose path has internal steps: BUGGY's deadlock.
    let report = hoare::check::check_file("bench/models/pipeline.csp").unwrap();
    let json = report
        .to_json(&hoare::report::Timing::default())
        .to_string();
    let cx = read_counterexample(&json, None).unwrap();
    assert_eq!(cx.process().as_deref(), Some("BUGGY"));
    assert!(cx.steps.iter().any(|s| s == "τ"), "{:?}", cx.steps);
    with_process("bench/models/pipeline.csp", "BUGGY", |ev, term, net| {
        let plan = Plan::new(net, &cx.steps).unwrap();
        let r = Runtime::new(net).follow(plan).run().unwrap();
        assert!(matches!(r.outcome, RunOutcome::Deadlock { .. }));
        assert_eq!(r.trace, cx.trace);
        let steps: Vec<&str> = r.path.iter().map(|s| s.event.as_str()).collect();
        assert_eq!(steps, cx.steps);
        check_in_reference(ev, term, net, &r);
    });
}
