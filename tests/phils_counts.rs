//! Exact state counts of the dining philosophers (issues 3 and 4), through
//! the whole pipeline: parse, evaluate, compile, explore.

use hoare::{check_source, Verdict};

fn phils(n: u32) -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/specs/phils.csp"))
        .expect("specs/phils.csp")
        .replace("N = 5", &format!("N = {n}"))
}

#[test]
fn alphabetised_and_butler_counts_for_n_4_5_6() {
    for (n, plain, butler) in [(4, 1_296, 753), (5, 7_774, 5_151), (6, 46_656, 33_985)] {
        let report = check_source(&format!("phils{n}.csp"), &phils(n)).expect("loads");
        let [system, bsystem] = &report.assertions[..] else {
            panic!("two assertions expected")
        };
        assert_eq!(system.result, Verdict::Fail, "N={n}");
        assert_eq!(system.states, Some(plain), "N={n}");
        let c = system.counterexample.as_ref().expect("a counterexample");
        assert_eq!(c.kind, "deadlock");
        assert_eq!(
            c.trace.len(),
            2 * n as usize,
            "N={n}: everyone sits and picks the left fork"
        );
        assert_eq!(bsystem.result, Verdict::Pass, "N={n}");
        assert_eq!(bsystem.states, Some(butler), "N={n}");
    }
}
