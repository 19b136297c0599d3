//! What a run returns: the serde [`RunReport`] (trace, outcome, counts) and
//! its text form, plus [`Occurrence`], the view of one event that observers
//! and callbacks receive.
//!
//! The report holds no timings, so with a fixed seed it is the same on every
//! run and can be snapshot-tested; `hoare run --format json` adds `seconds`.

use serde::Serialize;
use std::time::Duration;

/// Longest thread state shown in the text summary (JSON has it whole).
const MAX_STATE_SHOWN: usize = 120;
/// Most offered events listed per thread in the text summary.
const MAX_OFFERS_SHOWN: usize = 8;

fn shorten(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut t: String = s.chars().take(width - 1).collect();
    t.push('…');
    t
}

/// One thread's state when a run stopped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ThreadState {
    /// The thread's process (its name with arguments, or its term).
    pub process: String,
    /// Its current state, as a process term (`Ω` once terminated).
    pub state: String,
    /// The events it offers there (its own names, before hiding and
    /// renaming; `τ` and `✓` included).
    pub offers: Vec<String>,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RunOutcome {
    /// Every process terminated: the network did ✓.
    Terminated,
    /// No event is possible and not every process has terminated.
    Deadlock {
        /// Every thread, with its state and what it was offering.
        blocked: Vec<ThreadState>,
    },
    /// The step limit stopped a run that could still move.
    StepLimit {
        /// The limit.
        limit: u64,
    },
    /// The time limit stopped the run.
    Timeout {
        /// The limit, in seconds.
        seconds: f64,
    },
    /// The cancel flag (Ctrl-C) stopped the run.
    Interrupted,
    /// A followed counterexample ended and the system can still move.
    Replayed {
        /// Steps of the counterexample performed.
        followed: u64,
    },
}

impl RunOutcome {
    /// The CLI's exit code: 0 terminated or stopped by a limit or at the end
    /// of a replay, 1 deadlock, 3 interrupted.
    pub fn exit_code(&self) -> u8 {
        match self {
            RunOutcome::Deadlock { .. } => 1,
            RunOutcome::Interrupted => 3,
            _ => 0,
        }
    }
}

/// One step of a run, τ included.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PathStep {
    /// The network event in CSPM notation (`τ` for hidden and internal steps, `✓`).
    pub event: String,
    /// The threads that took part (indices into [`RunReport::threads`]).
    pub threads: Vec<u32>,
    /// For a hidden event: its name in the first participating thread.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hidden: Option<String>,
}

/// The result of a run. Deterministic for a given seed (no timings).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunReport {
    /// The seed of every choice the run made.
    pub seed: u64,
    /// The threads, one per leaf process, by index.
    pub threads: Vec<String>,
    /// How the run ended.
    pub outcome: RunOutcome,
    /// Events the scheduler performed (visible, hidden and ✓; what `--steps` limits).
    pub steps: u64,
    /// τ steps threads resolved on their own (internal choice, `;`, …).
    pub internal_steps: u64,
    /// The visible events and ✓, in order (empty if recording was off).
    pub trace: Vec<String>,
    /// Every step with τ, in order (empty if recording was off).
    pub path: Vec<PathStep>,
}

impl RunReport {
    /// The CLI's exit code (see [`RunOutcome::exit_code`]).
    pub fn exit_code(&self) -> u8 {
        self.outcome.exit_code()
    }

    /// The closing summary in text: what happened, and for a deadlock the
    /// trace and every thread's state, the way Go reports one.
    pub fn to_text(&self, elapsed: Duration) -> String {
        let secs = elapsed.as_secs_f64();
        let rate = if secs > 0.0 {
            format!(", {:.0} events/s", self.steps as f64 / secs)
        } else {
            String::new()
        };
        let counts = format!(
            "{} events, {} internal steps, {:.3}s{rate}",
            crate::report::group(self.steps),
            crate::report::group(self.internal_steps),
            secs
        );
        let mut out = String::new();
        match &self.outcome {
            RunOutcome::Terminated => {
                out.push_str(&format!(
                    "✓ all {} processes terminated ({counts})\n",
                    self.threads.len()
                ));
            }
            RunOutcome::Deadlock { blocked } => {
                out.push_str("all processes are blocked — deadlock!\n\n");
                out.push_str(&format!(
                    "trace ({} events): <{}>\n",
                    self.trace.len(),
                    self.trace.join(", ")
                ));
                out.push_str("threads:\n");
                let width = blocked.iter().map(|t| t.process.chars().count()).max();
                let width = width.unwrap_or(0).min(28);
                for t in blocked {
                    let offers = match t.offers.len() {
                        0 => "offers nothing".to_string(),
                        n if n > MAX_OFFERS_SHOWN => format!(
                            "offers {}, … ({} more)",
                            t.offers[..MAX_OFFERS_SHOWN].join(", "),
                            n - MAX_OFFERS_SHOWN
                        ),
                        _ => format!("offers {}", t.offers.join(", ")),
                    };
                    out.push_str(&format!(
                        "  {:<width$}  {}   [{offers}]\n",
                        t.process,
                        shorten(&t.state, MAX_STATE_SHOWN)
                    ));
                }
                out.push_str(&format!("({counts}, seed {})\n", self.seed));
            }
            RunOutcome::StepLimit { limit } => out.push_str(&format!(
                "stopped at the step limit ({} events); the system could still move ({counts}, seed {})\n",
                crate::report::group(*limit),
                self.seed
            )),
            RunOutcome::Timeout { seconds } => out.push_str(&format!(
                "stopped at the time limit ({seconds}s); the system could still move ({counts}, seed {})\n",
                self.seed
            )),
            RunOutcome::Interrupted => out.push_str(&format!(
                "interrupted ({counts}, seed {})\n",
                self.seed
            )),
            RunOutcome::Replayed { followed } => out.push_str(&format!(
                "the counterexample was followed to its end ({followed} steps); the system can still move ({counts})\n"
            )),
        }
        out
    }
}

/// One event as observers and callbacks see it.
#[derive(Clone, Copy, Debug)]
pub struct Occurrence<'a> {
    /// 1-based number of the event in the run.
    pub step: u64,
    /// The network event in CSPM notation (`τ` if hidden, `✓`).
    pub event: &'a str,
    /// For a hidden event: its name in the first participating thread.
    pub hidden: Option<&'a str>,
    /// The threads that took part (indices into `names`).
    pub threads: &'a [u32],
    /// The names of all threads.
    pub names: &'a [String],
    /// Time since the run started.
    pub elapsed: Duration,
}

impl Occurrence<'_> {
    /// The names of the threads that took part.
    pub fn processes(&self) -> impl Iterator<Item = &str> + '_ {
        self.threads
            .iter()
            .filter_map(|&t| self.names.get(t as usize).map(String::as_str))
    }

    /// The live line `hoare run` prints: time, step, event, processes.
    pub fn line(&self) -> String {
        let event = match self.hidden {
            Some(h) => format!("{} ({h})", self.event),
            None => self.event.to_string(),
        };
        format!(
            "{:>11.6}s {:>8}  {:<20} {}\n",
            self.elapsed.as_secs_f64(),
            self.step,
            event,
            self.processes().collect::<Vec<_>>().join(", ")
        )
    }
}
