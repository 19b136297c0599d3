//! The spec corpus is a test suite: every `specs/*.csp` is checked and its
//! report (verdicts, state and transition counts, counterexamples; never
//! timings) is an insta snapshot, so any change of behaviour shows up in
//! review as a diff.
//!
//! The expected result of every assertion is also written in its spec, twice:
//! as a trailing `-- expect: pass` / `-- expect: fail` on the assert line, and
//! in the header comment as the assertion's text followed by `HOLDS` or
//! `FAILS` (both describe the assertion as written: for `assert not …`,
//! HOLDS means the property itself fails). [`expectations_match_verdicts`]
//! checks both against the report, so the comments cannot drift from the
//! behaviour.
//!
//! Paths are relative to the crate root, where `cargo test` runs tests, so
//! that the report's `file` field and the counterexamples' locations are the
//! same on every machine.
//!
//! Assertions whose check is not implemented yet (result `error`, message
//! "… not implemented yet") are pending: their annotations are still checked
//! for presence and agreement, and the test prints them.

use hoare::check::check_file;
use hoare::report::{AssertionReport, Verdict};
use std::path::Path;

/// `specs/NAME.csp` for a path under the crate root.
fn relative(path: &Path) -> String {
    path.strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Every spec, as `specs/NAME.csp`, sorted.
fn spec_files() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("specs/")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "csp"))
        .map(|p| relative(&p))
        .collect();
    files.sort();
    files
}

/// One snapshot per spec: README "Snapshot-testing your specs", verbatim.
#[test]
fn every_spec() {
    insta::glob!("../specs", "*.csp", |path| {
        let rel = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap();
        let report = hoare::check::check_file(rel).unwrap_or_else(|e| panic!("{e}"));
        insta::assert_yaml_snapshot!(report);
    });
}

/// The single-spec example of README "Snapshot-testing your specs", verbatim.
#[test]
fn deadlock_spec() {
    let report =
        hoare::check::check_file("specs/go_deadlock.csp").unwrap_or_else(|e| panic!("{e}"));
    insta::assert_yaml_snapshot!(report);
}

/// What a spec says about one assertion's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Pass,
    Fail,
}

impl Expect {
    fn matches(self, v: Verdict) -> bool {
        matches!(
            (self, v),
            (Expect::Pass, Verdict::Pass) | (Expect::Fail, Verdict::Fail)
        )
    }
}

/// The `-- expect: pass|fail` annotation at the end of `line`.
fn line_annotation(line: &str) -> Result<Expect, String> {
    let Some((_, rest)) = line.split_once("-- expect:") else {
        return Err("no `-- expect: pass|fail` annotation on the assert line".into());
    };
    match rest.split_whitespace().next() {
        Some("pass") => Ok(Expect::Pass),
        Some("fail") => Ok(Expect::Fail),
        other => Err(format!(
            "`-- expect:` must be followed by `pass` or `fail`, found {other:?}"
        )),
    }
}

/// The leading comment block of a spec, as one whitespace-normalised string
/// (so assertions wrapped over several comment lines read as one).
fn header(source: &str) -> String {
    source
        .lines()
        .map_while(|l| l.trim_start().strip_prefix("--"))
        .flat_map(|l| l.split_whitespace())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The HOLDS/FAILS that follows the assertion's text in the header.
fn header_expectation(header: &str, assertion: &str) -> Result<Expect, String> {
    let mut found = Vec::new();
    for (at, _) in header.match_indices(assertion) {
        let after = &header[at + assertion.len()..];
        let word = after
            .strip_prefix(' ')
            .and_then(|a| a.split_whitespace().next())
            .unwrap_or("")
            .trim_end_matches([':', '.', ',', ';']);
        match word.to_ascii_uppercase().as_str() {
            "HOLDS" => found.push(Expect::Pass),
            "FAILS" => found.push(Expect::Fail),
            _ => {}
        }
    }
    found.dedup();
    match found.as_slice() {
        [e] => Ok(*e),
        [] => Err(format!(
            "the header does not list `{assertion}` followed by HOLDS or FAILS"
        )),
        _ => Err(format!(
            "the header says both HOLDS and FAILS for `{assertion}`"
        )),
    }
}

fn pending(a: &AssertionReport) -> bool {
    a.result == Verdict::Error
        && a.message
            .as_deref()
            .is_some_and(|m| m.contains("not implemented"))
}

/// Problems with one spec's annotations; pending assertions are pushed to `pending_out`.
fn check_expectations(rel: &str, pending_out: &mut Vec<String>) -> Vec<String> {
    let source = std::fs::read_to_string(rel).unwrap_or_default();
    let lines: Vec<&str> = source.lines().collect();
    let header = header(&source);
    let report = check_file(rel).unwrap_or_else(|e| panic!("{rel} does not load:\n{e}"));
    let mut problems = Vec::new();
    if report.assertions.is_empty() {
        problems.push(format!("{rel}: no assertions"));
    }
    for a in &report.assertions {
        let at = format!("{rel}:{}  {}", a.line, a.assertion);
        let line = lines.get(a.line.wrapping_sub(1)).copied().unwrap_or("");
        let inline = line_annotation(line);
        let head = header_expectation(&header, &a.assertion);
        let expect = match (inline, head) {
            (Ok(i), Ok(h)) if i == h => i,
            (Ok(i), Ok(h)) => {
                problems.push(format!(
                    "{at}: the assert line says {i:?} but the header says {h:?}"
                ));
                continue;
            }
            (Err(e), _) | (_, Err(e)) => {
                problems.push(format!("{at}: {e}"));
                continue;
            }
        };
        if pending(a) {
            pending_out.push(format!("{at}  (expect {expect:?})"));
        } else if !expect.matches(a.result) {
            problems.push(format!(
                "{at}: expected {expect:?}, the checker says {:?}{}",
                a.result,
                a.message
                    .as_deref()
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default()
            ));
        }
    }
    problems
}

#[test]
fn expectations_match_verdicts() {
    let files = spec_files();
    assert!(files.len() >= 3, "{files:?}");
    let mut problems = Vec::new();
    let mut pending = Vec::new();
    for rel in &files {
        problems.extend(check_expectations(rel, &mut pending));
    }
    if !pending.is_empty() {
        println!(
            "{} assertion(s) pending (their check is not implemented yet):",
            pending.len()
        );
        for p in &pending {
            println!("  {p}");
        }
    }
    assert!(
        problems.is_empty(),
        "spec comments disagree with the checker:\n{}",
        problems.join("\n")
    );
}

#[test]
fn annotations_are_parsed() {
    assert_eq!(
        line_annotation("assert P :[deadlock free]   -- expect: pass"),
        Ok(Expect::Pass)
    );
    assert_eq!(
        line_annotation("assert not P :[has trace]: <a> -- expect: fail  (why)"),
        Ok(Expect::Fail)
    );
    assert!(line_annotation("assert P :[deadlock free]").is_err());
    assert!(line_annotation("assert P :[deadlock free] -- expect: holds").is_err());

    let h = header(
        "-- A spec.\n--   assert P :[has trace]: <a,\n--                           b>   HOLDS: why\n\
         --   assert Q [T= P   FAILS.\n--   assert Q [T= P \\ {b}   holds\nchannel a, b\n\
         -- assert R :[deadlock free]   HOLDS (not in the header)\n",
    );
    assert_eq!(
        header_expectation(&h, "assert P :[has trace]: <a, b>"),
        Ok(Expect::Pass)
    );
    assert_eq!(header_expectation(&h, "assert Q [T= P"), Ok(Expect::Fail));
    assert_eq!(
        header_expectation(&h, "assert Q [T= P \\ {b}"),
        Ok(Expect::Pass)
    );
    assert!(header_expectation(&h, "assert R :[deadlock free]").is_err());
}
