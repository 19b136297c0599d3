//! Refinement and determinism checks on the fixture scripts under
//! `tests/fixtures/refinement/`: every assertion's expected result is the
//! comment after it (`-- pass`, `-- fail: why`), and the whole report
//! (verdicts, exact product state counts, counterexamples) is snapshotted.
//! Plus the exact counterexamples the issue names, limits, `assert not`,
//! and identical reports for any thread count.

use hoare::check::{check_file, check_file_with, CheckOptions};
use hoare::report::{AssertionReport, Counterexample, FileReport, Verdict};
use std::path::{Path, PathBuf};

const FIXTURES: &str = "tests/fixtures/refinement";

fn fixture(name: &str) -> PathBuf {
    Path::new(FIXTURES).join(name)
}

fn report(path: &Path, options: &CheckOptions) -> FileReport {
    match check_file_with(path, options) {
        Ok((r, _)) => r,
        Err(e) => panic!("{}: {}", path.display(), e.render()),
    }
}

/// The report on the assertion whose text contains `text`.
fn assertion<'a>(r: &'a FileReport, text: &str) -> &'a AssertionReport {
    r.assertions
        .iter()
        .find(|a| a.assertion.contains(text))
        .unwrap_or_else(|| panic!("no assertion `{text}` in {}", r.file))
}

fn counterexample<'a>(r: &'a FileReport, text: &str) -> &'a Counterexample {
    let a = assertion(r, text);
    a.counterexample
        .as_ref()
        .unwrap_or_else(|| panic!("`{text}` has no counterexample: {a:?}"))
}

/// The verdict stated in the comment after the assertion on `line`.
fn stated(source: &str, line: usize) -> Verdict {
    let text = source.lines().nth(line - 1).unwrap_or_default();
    let comment = text.split("--").nth(1).unwrap_or_default().trim();
    match comment.split([':', ' ']).next().unwrap_or_default() {
        "pass" => Verdict::Pass,
        "fail" => Verdict::Fail,
        "unknown" => Verdict::Unknown,
        "error" => Verdict::Error,
        other => panic!("line {line} states no result (`{other}`): {text}"),
    }
}

#[test]
fn fixtures_give_their_stated_results() {
    insta::glob!("fixtures/refinement/*.csp", |path| {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let rel = fixture(&name);
        let source = std::fs::read_to_string(&rel).unwrap();
        let r = match check_file(&rel) {
            Ok(r) => r,
            Err(e) => panic!("{name}: {}", e.render()),
        };
        assert!(!r.assertions.is_empty(), "{name} has no assertions");
        for a in &r.assertions {
            assert_eq!(
                a.result,
                stated(&source, a.line),
                "{name}:{} {} gave {a:?}",
                a.line,
                a.assertion
            );
            // A counterexample exactly where the property itself fails.
            let property_fails =
                (a.result == Verdict::Fail) != a.assertion.starts_with("assert not");
            assert_eq!(
                a.counterexample.is_some(),
                property_fails,
                "{name}:{} {a:?}",
                a.line
            );
        }
        insta::assert_yaml_snapshot!(r);
    });
}

#[test]
fn spec_refinements_hold_as_their_headers_state() {
    let r = check_file("specs/buffer.csp").unwrap();
    assert_eq!(r.assertions.len(), 6);
    for a in &r.assertions {
        assert_eq!(a.result, Verdict::Pass, "{a:?}");
    }
    assert_eq!(r.exit_code(), 0);
    let r = check_file("specs/datatypes.csp").unwrap();
    let a = assertion(&r, "SPEC [T= PROTOCOL");
    assert_eq!(a.result, Verdict::Pass, "{a:?}");
}

#[test]
fn chain_of_copies_is_a_two_place_buffer_but_not_a_one_place_one() {
    let r = report(&fixture("buffers.csp"), &CheckOptions::new());
    for model in ["[T=", "[F=", "[FD="] {
        for text in [
            format!("BUFF(<>) {model} CHAIN"),
            format!("CHAIN {model} BUFF(<>)"),
        ] {
            let a = assertion(&r, &text);
            assert_eq!(a.result, Verdict::Pass, "{a:?}");
        }
    }
    // The chain accepts a second input that the one-place buffer cannot:
    // the 2-event trace <left.0, left.0>.
    let c = counterexample(&r, "assert ONE [T= CHAIN");
    assert_eq!(c.kind, "trace");
    assert_eq!(c.trace, vec!["left.0"]);
    assert_eq!(c.steps, vec!["left.0", "τ"]);
    assert_eq!(c.event.as_deref(), Some("left.0"));
    assert_eq!(c.leaves.len(), 2);
    // The one-place buffer refuses input the chain must accept.
    let c = counterexample(&r, "assert CHAIN [F= ONE");
    assert_eq!(c.kind, "refusal");
    assert_eq!(c.trace, vec!["left.0"]);
    assert_eq!(c.refusal, vec!["left.0", "left.1"]);
    assert_eq!(c.acceptances, vec![vec!["left.0", "left.1", "right.0"]]);
    assert_eq!(c.leaves[0].process, "ONE");
}

#[test]
fn internal_choice_of_prefixes_is_not_deterministic() {
    let r = report(&fixture("determinism.csp"), &CheckOptions::new());
    let c = counterexample(&r, "assert ND :[deterministic]");
    assert_eq!(c.kind, "nondeterminism");
    assert_eq!(c.trace, vec!["a"]);
    assert_eq!(c.event.as_deref(), Some("b"));
    assert_eq!(
        assertion(&r, "assert D :[deterministic]").result,
        Verdict::Pass
    );
    let c = counterexample(&r, "LOOP \\ {a} :[deterministic]");
    assert_eq!((c.kind.as_str(), c.cycle.len()), ("divergence", 1));
    assert_eq!(
        assertion(&r, "LOOP \\ {a} :[deterministic [F]]").result,
        Verdict::Pass
    );
}

#[test]
fn divergence_after_hiding_fails_fd_but_not_f() {
    let r = report(&fixture("divergence.csp"), &CheckOptions::new());
    assert_eq!(assertion(&r, "SPEC [F= P").result, Verdict::Pass);
    let c = counterexample(&r, "assert SPEC [FD= P");
    assert_eq!(c.kind, "divergence");
    assert_eq!(c.trace, vec!["a"]);
    assert_eq!(c.cycle, vec!["τ"]);
    let not = assertion(&r, "assert not SPEC [FD= P");
    assert_eq!(not.result, Verdict::Pass);
    assert!(not.counterexample.is_some());
}

#[test]
fn huge_normal_form_is_a_limit_not_a_crash() {
    let path = fixture("normal_form.csp");
    let r = report(&path, &CheckOptions::new().max_normal_nodes(1_000));
    for a in &r.assertions {
        assert_eq!(a.result, Verdict::Unknown, "{a:?}");
        let m = a.message.as_deref().unwrap_or_default();
        assert!(
            m.contains("normal form of the specification has more than 1,000 nodes"),
            "{m}"
        );
    }
    assert_eq!(r.exit_code(), 3);
    // With room for its 4,096 nodes the same checks pass.
    let r = report(&path, &CheckOptions::new().max_normal_nodes(4_096));
    assert_eq!(r.exit_code(), 0);
}

#[test]
fn state_limit_on_the_product_is_unknown() {
    let r = report(&fixture("buffers.csp"), &CheckOptions::new().max_states(3));
    let a = assertion(&r, "BUFF(<>) [FD= CHAIN");
    assert_eq!(a.result, Verdict::Unknown, "{a:?}");
    assert!(a
        .message
        .as_deref()
        .unwrap_or_default()
        .contains("state limit"));
    assert_eq!(r.exit_code(), 3);
}

#[test]
fn same_reports_for_any_thread_count() {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(FIXTURES)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csp"))
        .collect();
    paths.sort();
    paths.push(PathBuf::from("specs/buffer.csp"));
    for p in paths {
        let one = report(&p, &CheckOptions::new().jobs(1));
        let two = report(&p, &CheckOptions::new().jobs(2));
        assert_eq!(one, two, "{}", p.display());
    }
}

#[test]
fn cli_reports_refinement_counterexamples_in_json() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hoare"))
        .args(["check", "--format", "json", "--jobs", "2"])
        .arg(fixture("buffers.csp"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = v["assertions"].as_array().unwrap();
    let refusal = list
        .iter()
        .find(|a| a["assertion"] == "assert CHAIN [F= ONE")
        .unwrap();
    assert_eq!(refusal["counterexample"]["kind"], "refusal");
    assert_eq!(
        refusal["counterexample"]["refusal"],
        serde_json::json!(["left.0", "left.1"])
    );
    let trace = list
        .iter()
        .find(|a| a["assertion"] == "assert ONE [T= CHAIN")
        .unwrap();
    assert_eq!(trace["counterexample"]["event"], "left.0");
    // Fields of other kinds are left out.
    assert!(trace["counterexample"].get("refusal").is_none());
}

/// A grid walk: (x, y) moves to (x+1, y) and (x, y+1) below `n`.
struct Grid {
    n: u32,
}

impl hoare::explore::TransitionSystem for Grid {
    fn width(&self) -> usize {
        2
    }
    fn component_sizes(&self) -> Vec<u32> {
        vec![self.n, self.n]
    }
    fn initial(&self) -> Vec<u32> {
        vec![0, 0]
    }
    fn successors(&self, s: &[u32], f: &mut dyn FnMut(u32, &[u32])) {
        if s[0] + 1 < self.n {
            f(2, &[s[0] + 1, s[1]]);
        }
        if s[1] + 1 < self.n {
            f(3, &[s[0], s[1] + 1]);
        }
    }
    fn is_terminated(&self, _: &[u32]) -> bool {
        true
    }
}

#[test]
fn explorer_stops_at_the_lowest_numbered_target_for_any_thread_count() {
    use hoare::explore::{Explorer, StopReason};
    let grid = Grid { n: 400 };
    let target = |s: &[u32]| s[0] + s[1] == 300 && s[0] % 7 == 3;
    let full = Explorer::new(&grid).jobs(1).run();
    let lowest = (0..full.states as u32)
        .find(|&id| target(&full.state(id)))
        .unwrap();
    for jobs in [1, 2, 3] {
        let ex = Explorer::new(&grid).jobs(jobs).stop_at(target).run();
        assert_eq!(ex.stopped, Some(StopReason::FoundTarget));
        assert_eq!(ex.found, Some(lowest), "jobs {jobs}");
        assert_eq!(ex.path_to(&grid, lowest).len(), 300);
        // The search stopped in the level that reached the target.
        assert_eq!(ex.levels, 301);
        assert!(ex.states < full.states);
    }
    // A target that is the initial state stops at once.
    let ex = Explorer::new(&grid).stop_at(|s| s == [0, 0]).run();
    assert_eq!((ex.found, ex.states), (Some(0), 1));
    // No target reached: a complete search.
    let ex = Explorer::new(&grid).stop_at(|s| s[0] > 500).run();
    assert_eq!((ex.found, ex.stopped, ex.states), (None, None, full.states));
}
