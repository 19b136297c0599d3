//! Reports: the serde types `hoare check` produces, and their text form.
//!
//! A [`FileReport`] is deterministic (same spec, same report, whatever the
//! thread count) and holds no timings, so users can snapshot it with insta.
//! Timings live beside it in [`Timing`], which the CLI prints but snapshots
//! never see. The JSON printed by `hoare check --format json` is this type
//! plus a `seconds` field per assertion; the field names are a wire format.

use serde::Serialize;

/// The outcome of one assertion, as written (an `assert not` that fails its
/// property passes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The assertion holds.
    Pass,
    /// The assertion does not hold; a counterexample is given where the
    /// property itself failed.
    Fail,
    /// The assertion could not be checked (evaluation or compilation error).
    Error,
    /// A resource limit stopped the check before its verdict.
    Unknown,
}

/// One process's part in a counterexample.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LeafState {
    /// The leaf process (its name with arguments, or its term).
    pub process: String,
    /// Its state at the end of the trace.
    pub state: String,
    /// The source location (`file:line:col`) of that state, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// Evidence that a property fails.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Counterexample {
    /// `deadlock`, `divergence`, `trace`, `refusal`, `nondeterminism`, …
    pub kind: String,
    /// The visible events, in CSPM notation.
    pub trace: Vec<String>,
    /// The same path with τ steps (`τ`) and ✓ shown.
    pub steps: Vec<String>,
    /// For divergence: the τ-cycle reached after `trace`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cycle: Vec<String>,
    /// Each leaf process's state at the end of the trace.
    pub leaves: Vec<LeafState>,
    /// A sentence saying what went wrong at the end of the trace.
    pub explanation: String,
}

/// The result of checking one assertion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AssertionReport {
    /// 1-based line of the assertion in its file.
    pub line: usize,
    /// The assertion's source text.
    pub assertion: String,
    /// The verdict of the assertion as written.
    pub result: Verdict,
    /// Number of states explored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub states: Option<u64>,
    /// Number of transitions explored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transitions: Option<u64>,
    /// Why the property fails (or, for `assert not`, why it fails as expected).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counterexample: Option<Counterexample>,
    /// An error or limit message (for `error` and `unknown`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Counts of verdicts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Assertions that hold.
    pub passed: usize,
    /// Assertions that do not hold.
    pub failed: usize,
    /// Assertions that could not be checked.
    pub errors: usize,
    /// Assertions stopped by a limit.
    pub unknown: usize,
}

/// The report on one file: every assertion checked, in source order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileReport {
    /// The file as named.
    pub file: String,
    /// One report per assertion.
    pub assertions: Vec<AssertionReport>,
    /// Verdict counts.
    pub summary: Summary,
}

/// Wall time per assertion (never part of snapshots).
#[derive(Clone, Debug, Default)]
pub struct Timing {
    /// Seconds per assertion, in the order of `FileReport::assertions`.
    pub seconds: Vec<f64>,
}

impl FileReport {
    /// A report for `file` over `assertions`, with the summary computed.
    pub fn new(file: impl Into<String>, assertions: Vec<AssertionReport>) -> FileReport {
        let mut summary = Summary::default();
        for a in &assertions {
            match a.result {
                Verdict::Pass => summary.passed += 1,
                Verdict::Fail => summary.failed += 1,
                Verdict::Error => summary.errors += 1,
                Verdict::Unknown => summary.unknown += 1,
            }
        }
        FileReport {
            file: file.into(),
            assertions,
            summary,
        }
    }

    /// The process exit code for this report: 0 all pass, 1 some fail,
    /// 2 an error, 3 a limit stopped a check.
    pub fn exit_code(&self) -> i32 {
        if self.summary.errors > 0 {
            2
        } else if self.summary.unknown > 0 {
            3
        } else if self.summary.failed > 0 {
            1
        } else {
            0
        }
    }

    /// The JSON document of `--format json`: this report plus `seconds` per assertion.
    pub fn to_json(&self, timing: &Timing) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let Some(list) = v.get_mut("assertions").and_then(|a| a.as_array_mut()) {
            for (a, s) in list.iter_mut().zip(&timing.seconds) {
                if let Some(obj) = a.as_object_mut() {
                    obj.insert("seconds".into(), serde_json::json!(s));
                }
            }
        }
        v
    }

    /// Human-readable text: one line per assertion, then its counterexample.
    pub fn to_text(&self, timing: &Timing, quiet: bool) -> String {
        let mut out = String::new();
        for (i, a) in self.assertions.iter().enumerate() {
            let mark = match a.result {
                Verdict::Pass => "✓ pass",
                Verdict::Fail => "✗ FAIL",
                Verdict::Error => "! error",
                Verdict::Unknown => "? unknown",
            };
            let mut stats = Vec::new();
            if let Some(s) = a.states {
                stats.push(format!("{} states", group(s)));
            }
            if let Some(t) = a.transitions {
                stats.push(format!("{} transitions", group(t)));
            }
            if let Some(s) = timing.seconds.get(i) {
                stats.push(format!("{s:.2}s"));
            }
            let at = if a.line > 0 {
                format!("{}:{}", self.file, a.line)
            } else {
                self.file.clone()
            };
            out.push_str(&format!(
                "{mark}  {at}  {}  ({})\n",
                a.assertion,
                stats.join(", ")
            ));
            if let Some(m) = &a.message {
                out.push_str(&format!("    {m}\n"));
            }
            if quiet {
                continue;
            }
            if let Some(c) = &a.counterexample {
                out.push_str(&counterexample_text(c));
            }
        }
        let s = &self.summary;
        out.push_str(&format!(
            "{}: {} passed, {} failed, {} errors, {} unknown\n",
            self.file, s.passed, s.failed, s.errors, s.unknown
        ));
        out
    }
}

fn counterexample_text(c: &Counterexample) -> String {
    let mut out = format!("    {} counterexample: {}\n", c.kind, c.explanation);
    let trace = if c.trace.is_empty() {
        "<>".to_string()
    } else {
        format!("<{}>", c.trace.join(", "))
    };
    out.push_str(&format!("    trace ({} events): {trace}\n", c.trace.len()));
    if c.steps.len() != c.trace.len() {
        out.push_str(&format!("    with τ: {}\n", c.steps.join(", ")));
    }
    if !c.cycle.is_empty() {
        out.push_str(&format!("    then forever: {}\n", c.cycle.join(", ")));
    }
    if !c.leaves.is_empty() {
        out.push_str("    processes at the end:\n");
        for l in &c.leaves {
            match &l.location {
                Some(loc) => {
                    out.push_str(&format!("      {:<24} {}   ({loc})\n", l.process, l.state))
                }
                None => out.push_str(&format!("      {:<24} {}\n", l.process, l.state)),
            }
        }
    }
    out
}

/// `1234567` as `1,234,567`.
pub fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(7774), "7,774");
        assert_eq!(group(42588493), "42,588,493");
    }

    #[test]
    fn exit_codes_rank_error_over_limit_over_fail() {
        let a = |result| AssertionReport {
            line: 1,
            assertion: "assert P :[deadlock free]".into(),
            result,
            states: None,
            transitions: None,
            counterexample: None,
            message: None,
        };
        assert_eq!(FileReport::new("f", vec![a(Verdict::Pass)]).exit_code(), 0);
        assert_eq!(
            FileReport::new("f", vec![a(Verdict::Pass), a(Verdict::Fail)]).exit_code(),
            1
        );
        assert_eq!(
            FileReport::new("f", vec![a(Verdict::Fail), a(Verdict::Unknown)]).exit_code(),
            3
        );
        assert_eq!(
            FileReport::new("f", vec![a(Verdict::Unknown), a(Verdict::Error)]).exit_code(),
            2
        );
    }
}
