//! `hoare run`: exit codes, live output, JSON, determinism by seed, limits
//! and `--replay` of a `hoare check --format json` counterexample.

#[path = "common/cli.rs"]
mod cli;

use cli::{hoare, json, stderr, stdout};

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .expect("a list")
        .iter()
        .map(|e| e.as_str().expect("a string").to_string())
        .collect()
}

/// A file in the temporary directory, unique to this test process.
fn temp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("hoare-run-{}-{name}", std::process::id()))
}

#[test]
fn deadlocking_philosophers_report_the_deadlock_like_go() {
    let o = hoare(&["run", "specs/phils.csp", "SYSTEM", "--seed", "1"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.starts_with("running SYSTEM from specs/phils.csp, seed 1\n"),
        "{text}"
    );
    assert!(
        text.contains("all processes are blocked — deadlock!"),
        "{text}"
    );
    assert!(text.contains("trace (10 events): <"), "{text}");
    assert!(text.contains("threads:\n  PHIL(0)"), "{text}");
    assert!(text.contains("[offers picks.0.1]"), "{text}");
    assert!(text.contains("[offers putsdown.4.4]"), "{text}");
    // Ten live event lines: time, step, event, processes.
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("s  ") && l.contains(", FORK("))
        .collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(
        text.contains(" sits.0 ") || text.contains(" sits.0  "),
        "{text}"
    );
}

#[test]
fn json_report_with_step_limit_is_deterministic_by_seed() {
    let args = [
        "run",
        "specs/phils.csp",
        "BSYSTEM",
        "--seed",
        "5",
        "--steps",
        "500",
        "--format",
        "json",
    ];
    let a = hoare(&args);
    assert_eq!(a.status.code(), Some(0), "{}", stderr(&a));
    let mut a = json(&a);
    assert_eq!(a["outcome"]["kind"], "step_limit");
    assert_eq!(a["outcome"]["limit"], 500);
    assert_eq!(a["steps"], 500);
    assert_eq!(a["seed"], 5);
    assert_eq!(a["file"], "specs/phils.csp");
    assert_eq!(a["process"], "BSYSTEM");
    assert_eq!(a["threads"].as_array().unwrap().len(), 11);
    assert_eq!(strings(&a["trace"]).len(), 500);
    assert!(a["seconds"].is_number());
    let mut b = json(&hoare(&args));
    a.as_object_mut().unwrap().remove("seconds");
    b.as_object_mut().unwrap().remove("seconds");
    assert_eq!(a, b, "same seed, same run");
}

#[test]
fn terminating_pipeline_exits_zero_with_tick() {
    let o = hoare(&["run", "bench/models/pipeline.csp", "SYSTEM", "--seed", "2"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("✓ all 5 processes terminated"), "{text}");
    // Three leaves are the same WORKER: their threads are told apart.
    assert!(text.contains("WORKER#3, COLLECTOR(0)"), "{text}");
    assert!(
        !text.contains(" τ "),
        "hidden steps are not printed by default: {text}"
    );
    let o = hoare(&[
        "run",
        "bench/models/pipeline.csp",
        "SYSTEM",
        "--seed",
        "2",
        "--show-tau",
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(!stdout(&o).contains("jobs.1"), "--quiet prints no events");
    let o = hoare(&[
        "run",
        "bench/models/pipeline.csp",
        "SYSTEM",
        "--seed",
        "2",
        "--show-tau",
    ]);
    assert!(stdout(&o).contains("τ (✓)"), "{}", stdout(&o));
}

#[test]
fn a_time_limit_is_not_a_failure() {
    let o = hoare(&[
        "run",
        "specs/phils.csp",
        "BSYSTEM",
        "--timeout",
        "0.3",
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("stopped at the time limit (0.3s)"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn replay_drives_the_threads_into_the_checkers_deadlock() {
    let check = hoare(&["check", "--format", "json", "specs/phils.csp"]);
    assert_eq!(check.status.code(), Some(1));
    let report = json(&check);
    let path = temp("phils.json");
    std::fs::write(&path, &check.stdout).unwrap();
    let p = path.to_str().unwrap();
    let o = hoare(&["run", "specs/phils.csp", "--replay", p]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.starts_with(
            "replaying the deadlock counterexample of `assert SYSTEM :[deadlock free]` (10 steps)\n\
             running SYSTEM from specs/phils.csp"
        ),
        "{text}"
    );
    assert!(
        text.contains("all processes are blocked — deadlock!"),
        "{text}"
    );
    let o = hoare(&[
        "run",
        "specs/phils.csp",
        "SYSTEM",
        "--replay",
        p,
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert_eq!(v["outcome"]["kind"], "deadlock");
    assert_eq!(
        strings(&v["trace"]),
        strings(&report["assertions"][0]["counterexample"]["trace"])
    );
    // The butler's assertion has no counterexample.
    let o = hoare(&["run", "specs/phils.csp", "--replay", p, "--assert", "2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("has no counterexample"),
        "{}",
        stderr(&o)
    );
    // A counterexample of another process does not fit.
    let o = hoare(&["run", "specs/phils.csp", "BSYSTEM", "--replay", p]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("does not belong to this process"),
        "{}",
        stderr(&o)
    );
    let _ = std::fs::remove_file(&path);
}

#[test]
fn replay_of_a_deadlock_check_on_the_command_line() {
    let check = hoare(&[
        "check",
        "--format",
        "json",
        "--deadlock",
        "BUGGY",
        "bench/models/pipeline.csp",
    ]);
    assert_eq!(check.status.code(), Some(1));
    let path = temp("buggy.json");
    std::fs::write(&path, &check.stdout).unwrap();
    let o = hoare(&[
        "run",
        "bench/models/pipeline.csp",
        "--replay",
        path.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["process"], "BUGGY");
    assert_eq!(v["outcome"]["kind"], "deadlock");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn input_errors_exit_two() {
    let o = hoare(&["run", "specs/phils.csp", "NOPE"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("NOPE"), "{}", stderr(&o));
    let o = hoare(&["run", "specs/phils.csp", "N"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("expected a process"), "{}", stderr(&o));
    let o = hoare(&["run", "specs/phils.csp"]);
    assert_eq!(o.status.code(), Some(2));
    let o = hoare(&[
        "run",
        "specs/phils.csp",
        "SYSTEM",
        "--replay",
        "/nonexistent.json",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let o = hoare(&["run", "specs/phils.csp", "SYSTEM", "--timeout", "-1"]);
    assert_eq!(o.status.code(), Some(2));
    let o = hoare(&["run", "specs/phils.csp", "NOPE", "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(json(&o)["error"], "input");
}
