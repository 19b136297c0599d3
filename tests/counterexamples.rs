//! Counterexamples are replayed through the term semantics before they are
//! reported: state by state where the network and the terms agree, by the
//! visible trace where they differ only in τ steps of terminating tails.
//! Both ways must confirm real counterexamples (a refuted replay would be
//! reported as an internal error).

use hoare::{check_source, Verdict};

#[test]
fn counterexamples_through_terminated_parallel_branches_are_confirmed() {
    // After a and b both interleaved branches are Ω; the term semantics then
    // has one more τ (the inner ||| terminating) that the network has not, so
    // only the trace-based replay can confirm this deadlock.
    let src = "channel a, b, c\n\
               P = (a -> SKIP ||| b -> SKIP) [| {c} |] c -> STOP\n\
               assert P :[deadlock free [F]]\n\
               Q = (a -> SKIP ||| b -> SKIP) ; Q\n\
               assert Q \\ {a, b} :[divergence free]\n\
               A = a -> A\n\
               R = (A ||| b -> SKIP) \\ {a}\n\
               assert R :[divergence free]\n";
    let report = check_source("tails.csp", src).expect("loads");
    let results: Vec<(Verdict, Option<String>)> = report
        .assertions
        .iter()
        .map(|a| (a.result, a.counterexample.as_ref().map(|c| c.kind.clone())))
        .collect();
    assert_eq!(
        results,
        vec![
            (Verdict::Fail, Some("deadlock".into())),
            (Verdict::Fail, Some("divergence".into())),
            (Verdict::Fail, Some("divergence".into())),
        ],
        "{report:#?}"
    );
    let p = report.assertions[0]
        .counterexample
        .as_ref()
        .expect("deadlock");
    assert_eq!(p.trace, vec!["a", "b"]);
    assert_eq!(p.steps, vec!["a", "τ", "b", "τ"]);
    let r = report.assertions[2]
        .counterexample
        .as_ref()
        .expect("divergence");
    assert_eq!(r.trace, Vec::<String>::new());
    assert_eq!(r.cycle, vec!["τ"]);
}
