//! Replaying a counterexample of `hoare check` on the threads.
//!
//! `hoare check --format json` writes each counterexample's `steps`: the
//! network events of the path, τ and ✓ included. [`read_counterexample`]
//! picks one out of that document, and [`Plan::new`] finds a path of the
//! compiled network whose events are exactly those steps (a breadth-first
//! search over sets of states, since several leaf transitions can carry the
//! same label), resolving every choice: which rule, which target of each
//! participant. [`Runtime::follow`](super::Runtime::follow) then drives the
//! threads along it — no choice is left to the scheduler or to the threads'
//! own τ resolution — so the system reaches the counterexample's end (a
//! deadlock, say) on real threads.

use super::rules::{Enabler, Rules};
use super::RunError;
use crate::explore::TICK;
use crate::lts::Network;
use rustc_hash::{FxHashMap, FxHashSet};

/// The most states one step of the path search may hold.
pub const MAX_PLAN_STATES: usize = 200_000;

/// A counterexample read from `hoare check --format json` output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckCounterexample {
    /// The checked file, as named in the report.
    pub file: String,
    /// The assertion's text (`assert SYSTEM :[deadlock free]`).
    pub assertion: String,
    /// `deadlock`, `divergence`, …
    pub kind: String,
    /// The visible events.
    pub trace: Vec<String>,
    /// The path with τ and ✓: what a replay follows.
    pub steps: Vec<String>,
}

impl CheckCounterexample {
    /// The process the assertion is about, from its text: `P` in
    /// `assert P :[deadlock free]` or in the `--deadlock P` label `P :[…]`.
    pub fn process(&self) -> Option<String> {
        let text = self.assertion.trim();
        let text = text
            .strip_prefix("assert not ")
            .or_else(|| text.strip_prefix("assert "))
            .unwrap_or(text);
        let (process, _) = text.split_once(":[")?;
        let process = process.trim();
        (!process.is_empty()).then(|| process.to_string())
    }
}

/// Reads the counterexample of assertion `assert` (1-based, over all
/// documents in order), or of the first assertion that has one, from the
/// JSON that `hoare check --format json` printed.
pub fn read_counterexample(
    json: &str,
    assert: Option<usize>,
) -> Result<CheckCounterexample, String> {
    let doc: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| format!("not a JSON report of `hoare check`: {e}"))?;
    let docs: Vec<&serde_json::Value> = match &doc {
        serde_json::Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let mut all = Vec::new();
    for d in docs {
        let file = d.get("file").and_then(|f| f.as_str()).unwrap_or("");
        let Some(list) = d.get("assertions").and_then(|a| a.as_array()) else {
            continue;
        };
        all.extend(list.iter().map(|a| (file, a)));
    }
    if all.is_empty() {
        return Err(
            "the JSON has no assertions (is it the output of `hoare check --format json`?)".into(),
        );
    }
    let (file, a) = match assert {
        Some(n) => *all
            .get(n.wrapping_sub(1))
            .ok_or_else(|| format!("--assert {n}: the report has {} assertions", all.len()))?,
        None => *all
            .iter()
            .find(|(_, a)| a.get("counterexample").is_some_and(|c| c.is_object()))
            .ok_or("no assertion in the report has a counterexample")?,
    };
    let assertion = a
        .get("assertion")
        .and_then(|s| s.as_str())
        .unwrap_or("")
        .to_string();
    let c = a
        .get("counterexample")
        .filter(|c| c.is_object())
        .ok_or_else(|| format!("`{assertion}` has no counterexample"))?;
    let strings = |key: &str| -> Result<Vec<String>, String> {
        c.get(key)
            .and_then(|v| v.as_array())
            .ok_or_else(|| format!("the counterexample has no `{key}` list"))?
            .iter()
            .map(|e| {
                e.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("`{key}` holds a non-string"))
            })
            .collect()
    };
    Ok(CheckCounterexample {
        file: file.to_string(),
        assertion,
        kind: c
            .get("kind")
            .and_then(|k| k.as_str())
            .unwrap_or("")
            .to_string(),
        trace: strings("trace")?,
        steps: strings("steps")?,
    })
}

/// One step of a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Planned {
    /// Perform rule `rule`, its participants moving to `targets`.
    Rule { rule: u32, targets: Vec<u32> },
    /// The network's final ✓.
    FinalTick,
}

/// A path through a compiled network, every choice resolved, for
/// [`Runtime::follow`](super::Runtime::follow).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub(crate) steps: Vec<Planned>,
    leaves: usize,
    rules: usize,
}

impl Plan {
    /// Finds a path of `net` whose events are `steps` (CSPM notation, `τ`
    /// and `✓` included), preferring one that ends in a deadlock.
    pub fn new(net: &Network, steps: &[String]) -> Result<Plan, String> {
        let rules = Rules::new(net);
        let mut enabler = Enabler::new(&rules);
        let table = net.events();
        let ids: FxHashMap<String, u32> = (0..table.len() as u32)
            .map(|id| (table.name(id), id))
            .collect();
        type Node = (Box<[u32]>, u32, Option<Planned>);
        let initial: Box<[u32]> = rules.leaves.iter().map(|l| l.initial).collect();
        let mut layers: Vec<Vec<Node>> = vec![vec![(initial, 0, None)]];
        let mut enabled = Vec::new();
        for (k, label) in steps.iter().enumerate() {
            let Some(&id) = ids.get(label.as_str()) else {
                return Err(format!(
                    "step {} of the counterexample, `{label}`, is not an event of this process",
                    k + 1
                ));
            };
            let mut next: Vec<Node> = Vec::new();
            let mut seen: FxHashSet<Box<[u32]>> = FxHashSet::default();
            let last = layers.last().map(Vec::as_slice).unwrap_or_default();
            for (parent, (state, _, _)) in last.iter().enumerate() {
                if state.is_empty() {
                    continue; // after the final ✓
                }
                if id == TICK && rules.final_tick(state) {
                    next.push((Box::new([]), parent as u32, Some(Planned::FinalTick)));
                }
                enabled.clear();
                enabler.enabled(&rules, state, &mut enabled);
                for &r in enabled.iter().filter(|&&r| rules.result[r as usize] == id) {
                    let parts: Vec<(u32, &[(u32, u32)])> = rules
                        .parts(r)
                        .map(|(l, local)| (l, rules.targets(l, state[l as usize], local)))
                        .collect();
                    if parts.iter().any(|(_, ts)| ts.is_empty()) {
                        continue;
                    }
                    // Every combination of the participants' targets.
                    let mut pick = vec![0usize; parts.len()];
                    loop {
                        let mut s = state.clone();
                        let targets: Vec<u32> = parts
                            .iter()
                            .zip(&pick)
                            .map(|(&(l, ts), &i)| {
                                s[l as usize] = ts[i].1;
                                ts[i].1
                            })
                            .collect();
                        if seen.insert(s.clone()) {
                            next.push((s, parent as u32, Some(Planned::Rule { rule: r, targets })));
                            if next.len() > MAX_PLAN_STATES {
                                return Err(format!(
                                    "following the counterexample needs more than {MAX_PLAN_STATES} states at step {}",
                                    k + 1
                                ));
                            }
                        }
                        let mut j = 0;
                        while j < pick.len() {
                            pick[j] += 1;
                            if pick[j] < parts[j].1.len() {
                                break;
                            }
                            pick[j] = 0;
                            j += 1;
                        }
                        if j == pick.len() {
                            break;
                        }
                    }
                }
            }
            if next.is_empty() {
                return Err(format!(
                    "step {} of the counterexample, `{label}`, is not possible there: \
                     the counterexample does not belong to this process",
                    k + 1
                ));
            }
            layers.push(next);
        }
        // Prefer an end state where nothing is enabled and not all have terminated.
        let last = layers.last().map(Vec::as_slice).unwrap_or_default();
        let mut end = 0;
        for (i, (state, _, _)) in last.iter().enumerate() {
            if state.is_empty() {
                continue;
            }
            enabled.clear();
            enabler.enabled(&rules, state, &mut enabled);
            if enabled.is_empty() && !rules.all_omega(state) {
                end = i;
                break;
            }
        }
        let mut out = Vec::with_capacity(steps.len());
        for layer in layers.iter().skip(1).rev() {
            let (_, parent, step) = &layer[end];
            if let Some(s) = step {
                out.push(s.clone());
            }
            end = *parent as usize;
        }
        out.reverse();
        Ok(Plan {
            steps: out,
            leaves: rules.leaf_count(),
            rules: rules.len(),
        })
    }

    /// Number of steps.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// True if the plan has no steps.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Fails if the plan was made for a network of another shape.
    pub(crate) fn check(&self, rules: &Rules<'_>) -> Result<(), RunError> {
        if self.leaves != rules.leaf_count() || self.rules != rules.len() {
            return Err(RunError {
                message: "the plan was made for another network".into(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx(assertion: &str) -> CheckCounterexample {
        CheckCounterexample {
            file: String::new(),
            assertion: assertion.into(),
            kind: "deadlock".into(),
            trace: Vec::new(),
            steps: Vec::new(),
        }
    }

    #[test]
    fn the_process_comes_from_the_assertion_text() {
        let p = |a: &str| cx(a).process();
        assert_eq!(
            p("assert SYSTEM :[deadlock free]").as_deref(),
            Some("SYSTEM")
        );
        assert_eq!(
            p("assert not P(1, 2) :[divergence free]").as_deref(),
            Some("P(1, 2)")
        );
        assert_eq!(p("BUGGY :[deadlock free [F]]").as_deref(), Some("BUGGY"));
        assert_eq!(p("assert SPEC [T= IMPL"), None);
    }

    #[test]
    fn reports_without_counterexamples_are_refused() {
        assert!(read_counterexample("[]", None).is_err());
        assert!(read_counterexample("not json", None).is_err());
        let doc = r#"{"file": "f.csp", "assertions": [{"assertion": "assert P :[deadlock free]", "result": "pass"}]}"#;
        assert_eq!(
            read_counterexample(doc, None).unwrap_err(),
            "no assertion in the report has a counterexample"
        );
        assert!(read_counterexample(doc, Some(2))
            .unwrap_err()
            .contains("has 1 assertions"));
    }
}
