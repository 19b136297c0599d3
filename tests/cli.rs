//! The `hoare` binary: exit codes, text and JSON output, determinism across
//! thread counts.

#[path = "common/cli.rs"]
mod cli;

use cli::{hoare, json, stderr, stdout};

/// The report without timings.
fn untimed(mut v: serde_json::Value) -> serde_json::Value {
    if let Some(list) = v["assertions"].as_array_mut() {
        for a in list {
            a.as_object_mut().map(|o| o.remove("seconds"));
        }
    }
    v
}

#[test]
fn phils_deadlock_fails_with_ten_event_trace_and_butler_passes() {
    let o = hoare(&["check", "specs/phils.csp"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("✗ FAIL  specs/phils.csp:49  assert SYSTEM :[deadlock free]  (7,774 states, 34,240 transitions"), "{text}");
    assert!(
        text.contains("✓ pass  specs/phils.csp:50  assert BSYSTEM :[deadlock free]  (5,151 states"),
        "{text}"
    );
    assert!(text.contains("trace (10 events): <sits.0, picks.0.0, sits.1, picks.1.1, sits.2, picks.2.2, sits.3, picks.3.3, sits.4, picks.4.4>"), "{text}");
    assert!(text.contains("1 passed, 1 failed, 0 errors, 0 unknown"));
}

#[test]
fn json_report_has_the_documented_shape() {
    let o = hoare(&["check", "--format", "json", "specs/phils.csp"]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert_eq!(v["file"], "specs/phils.csp");
    let a = &v["assertions"][0];
    assert_eq!(a["line"], 49);
    assert_eq!(a["assertion"], "assert SYSTEM :[deadlock free]");
    assert_eq!(a["result"], "fail");
    assert_eq!(a["states"], 7774);
    assert_eq!(a["transitions"], 34240);
    assert!(a["seconds"].is_number());
    let c = &a["counterexample"];
    assert_eq!(c["kind"], "deadlock");
    let trace: Vec<&str> = c["trace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert_eq!(trace.len(), 10);
    // Every philosopher has sat and picked up its left fork.
    for i in 0..5 {
        assert!(trace.contains(&format!("sits.{i}").as_str()));
        assert!(trace.contains(&format!("picks.{i}.{i}").as_str()));
    }
    assert_eq!(c["leaves"].as_array().unwrap().len(), 10);
    assert_eq!(v["assertions"][1]["result"], "pass");
    assert_eq!(v["assertions"][1]["states"], 5151);
    assert_eq!(v["summary"]["passed"], 1);
    assert_eq!(v["summary"]["failed"], 1);
}

#[test]
fn same_report_for_any_thread_count() {
    let one = untimed(json(&hoare(&[
        "check",
        "--format",
        "json",
        "--jobs",
        "1",
        "specs/phils.csp",
    ])));
    let two = untimed(json(&hoare(&[
        "check",
        "--format",
        "json",
        "--jobs",
        "2",
        "specs/phils.csp",
    ])));
    let four = untimed(json(&hoare(&[
        "check",
        "--format",
        "json",
        "--jobs",
        "4",
        "specs/phils.csp",
    ])));
    assert_eq!(one, two);
    assert_eq!(one, four);
}

#[test]
fn deadlock_flag_checks_a_named_process() {
    let o = hoare(&["check", "--deadlock", "BSYSTEM", "specs/phils.csp"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("BSYSTEM :[deadlock free [F]]"));
    let o = hoare(&[
        "check",
        "--deadlock",
        "SYSTEM",
        "--quiet",
        "specs/phils.csp",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        !stdout(&o).contains("trace"),
        "quiet prints no counterexample"
    );
    // A name the script does not define: an input error shown in the
    // process text (this used to panic), before any check starts.
    let o = hoare(&[
        "check",
        "--divergence",
        "PHIL(1) ||| NOPE(3)",
        "specs/phils.csp",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("`NOPE` is not defined"), "{err}");
    assert!(err.contains("<command line>:1:13"), "{err}");
    assert!(err.contains("1 │ PHIL(1) ||| NOPE(3)"), "{err}");
    // Not a process at all.
    let o = hoare(&["check", "--deadlock", "N + 1", "specs/phils.csp"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("expected a process, found Int 6"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn assert_flag_selects_one_assertion() {
    let o = hoare(&[
        "check",
        "--assert",
        "2",
        "--format",
        "json",
        "specs/phils.csp",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let v = json(&o);
    assert_eq!(v["assertions"].as_array().unwrap().len(), 1);
    assert_eq!(v["assertions"][0]["line"], 50);
    let o = hoare(&["check", "--assert", "9", "specs/phils.csp"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("the file has 2 assertions"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn memory_limit_covers_the_search_for_tau_cycles() {
    let file = "tests/fixtures/check/divergence_memory.csp";
    let o = hoare(&["check", "--max-memory", "1", "--format", "json", file]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let a = &json(&o)["assertions"][0];
    assert_eq!(a["result"], "unknown");
    assert_eq!(a["states"], 20_736);
    let message = a["message"].as_str().unwrap();
    assert!(
        message.starts_with("memory limit of 1 MiB reached: looking for τ-cycles among 20,736 states and 82,944 τ-transitions needs up to 2 MiB"),
        "{message}"
    );
    // Without the limit the divergence is found.
    let o = hoare(&["check", "--format", "json", file]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        json(&o)["assertions"][0]["counterexample"]["kind"],
        "divergence"
    );
}

#[test]
fn state_limit_exits_3_with_partial_counts() {
    let o = hoare(&[
        "check",
        "--max-states",
        "1000",
        "--format",
        "json",
        "tests/fixtures/check/limits.csp",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let a = &json(&o)["assertions"][0];
    assert_eq!(a["result"], "unknown");
    assert!(a["states"].as_u64().unwrap() > 1000);
    assert!(
        a["message"]
            .as_str()
            .unwrap()
            .contains("state limit of 1,000 reached"),
        "{a}"
    );
}

#[test]
fn divergence_has_trace_and_assert_not() {
    let o = hoare(&[
        "check",
        "--format",
        "json",
        "tests/fixtures/check/divergence.csp",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = json(&o);
    let results: Vec<&str> = v["assertions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["result"].as_str().unwrap())
        .collect();
    assert_eq!(
        results,
        ["fail", "pass", "pass", "fail", "pass", "pass", "fail", "pass", "fail"]
    );
    let div = &v["assertions"][0]["counterexample"];
    assert_eq!(div["kind"], "divergence");
    assert_eq!(div["trace"].as_array().unwrap().len(), 0);
    assert_eq!(div["cycle"], serde_json::json!(["τ", "τ"]));
    let fd = &v["assertions"][3]["counterexample"];
    assert_eq!(fd["kind"], "divergence");
    let dead = &v["assertions"][8]["counterexample"];
    assert_eq!(dead["kind"], "deadlock");
    assert_eq!(dead["trace"], serde_json::json!(["a", "b"]));
}

#[test]
fn input_errors_exit_2_with_location() {
    let dir = std::env::temp_dir().join(format!("hoare-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.csp");
    std::fs::write(&bad, "channel a\nP = a -> Q\nassert P :[deadlock free]\n").unwrap();
    let o = hoare(&["check", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("bad.csp:2:10"), "{err}");
    let o = hoare(&["check", "--format", "json", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let v = json(&o);
    assert_eq!(v["diagnostics"][0]["line"], 2);
    assert_eq!(v["diagnostics"][0]["column"], 10);
    let o = hoare(&["check", "no/such/file.csp"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no/such/file.csp"), "{}", stderr(&o));
    let o = hoare(&["check"]);
    assert_eq!(o.status.code(), Some(2), "usage error");
}

#[test]
fn eval_prints_values_in_cspm_notation() {
    let o = hoare(&[
        "eval",
        "specs/phils.csp",
        "{0..3}",
        "N",
        "(N - 6) % N",
        "<1, 2> ^ <3>",
        "card(AlphaP(0))",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "{0, 1, 2, 3}\n5\n4\n<1, 2, 3>\n13\n");
    let o = hoare(&["eval", "specs/phils.csp", "nosuch + 1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("<command line>:1:1"), "{}", stderr(&o));
}

#[test]
fn graph_prints_dot() {
    let o = hoare(&["graph", "specs/phils.csp", "PHIL(0)"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let dot = stdout(&o);
    assert!(dot.starts_with("digraph"), "{dot}");
    let edges = dot
        .lines()
        .filter(|l| l.trim_start().starts_with("s") && !l.contains("start") && l.contains(" -> s"))
        .count();
    assert_eq!(edges, 7, "PHIL has 7 transitions:\n{dot}");
    let o = hoare(&[
        "graph",
        "--leaves",
        "--format",
        "json",
        "specs/phils.csp",
        "BSYSTEM",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(
        v.as_array().unwrap().len(),
        11,
        "5 philosophers, 5 forks, 1 butler"
    );
}

#[test]
fn infinite_state_leaf_is_an_error_not_a_hang() {
    let o = hoare(&[
        "check",
        "--max-leaf-states",
        "20000",
        "tests/fixtures/check/infinite.csp",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("has more than 20000 states; it is probably infinite-state"),
        "{}",
        stdout(&o)
    );
}
