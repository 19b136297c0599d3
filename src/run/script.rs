//! Running a process of a script file: load, evaluate, compile, name the
//! threads, run. What `hoare run` calls.

use super::{Occurrence, Plan, RunReport, Runtime, Scheduler};
use crate::check::{load, process_in, LoadError};
use crate::eval::{with_big_stack, Evaluator};
use crate::lts::{compile, CompileOptions, Network};
use crate::syntax::load::{load_file, Loaded};
use crate::syntax::{Diagnostic, SourceMap};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Options of [`run_file`]; each `hoare run` flag maps to one builder method.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    seed: u64,
    max_steps: Option<u64>,
    timeout: Option<Duration>,
    scheduler: Scheduler,
    cancel: Option<Arc<AtomicBool>>,
    replay: Option<Vec<String>>,
    compile: CompileOptions,
}

impl RunOptions {
    /// Seed 0, fair scheduling, no limits.
    pub fn new() -> RunOptions {
        RunOptions::default()
    }
    /// The seed of every choice.
    pub fn seed(mut self, s: u64) -> Self {
        self.seed = s;
        self
    }
    /// Stop after this many events.
    pub fn max_steps(mut self, n: u64) -> Self {
        self.max_steps = Some(n);
        self
    }
    /// Stop after this much time.
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = Some(t);
        self
    }
    /// How to pick among enabled events.
    pub fn scheduler(mut self, s: Scheduler) -> Self {
        self.scheduler = s;
        self
    }
    /// Stop when this flag is set (Ctrl-C).
    pub fn cancel_flag(mut self, f: Arc<AtomicBool>) -> Self {
        self.cancel = Some(f);
        self
    }
    /// Follow these steps (a counterexample's `steps`) instead of scheduling.
    pub fn replay(mut self, steps: Vec<String>) -> Self {
        self.replay = Some(steps);
        self
    }
    /// Bounds for compiling the process.
    pub fn compile_options(mut self, c: CompileOptions) -> Self {
        self.compile = c;
        self
    }
}

/// A diagnostic with no source location.
fn plain(code: &'static str, message: String) -> Diagnostic {
    Diagnostic {
        labels: Vec::new(),
        ..Diagnostic::error(code, message, Default::default())
    }
}

/// Runs process expression `process` of the script at `path`, calling
/// `observer` for every event; returns the report and the run's wall time.
pub fn run_file(
    path: impl AsRef<Path>,
    process: &str,
    options: &RunOptions,
    observer: impl FnMut(&Occurrence<'_>) + Send,
) -> Result<(RunReport, Duration), LoadError> {
    let path = path.as_ref().to_path_buf();
    with_big_stack(move || {
        let (loaded, ev) = load(load_file(&path))?;
        let (sources, net) = compile_process(&loaded, &ev, process, &options.compile)?;
        let fail = |code, message| LoadError {
            sources: sources.clone(),
            diagnostics: vec![plain(code, message)],
        };
        let mut rt = Runtime::new(&net)
            .seed(options.seed)
            .scheduler(options.scheduler)
            .describe_with(&ev)
            .thread_names(thread_names(&net, &ev))
            .on_step(observer);
        if let Some(n) = options.max_steps {
            rt = rt.max_steps(n);
        }
        if let Some(t) = options.timeout {
            rt = rt.timeout(t);
        }
        if let Some(c) = &options.cancel {
            rt = rt.cancel_flag(c.clone());
        }
        if let Some(steps) = &options.replay {
            let plan = Plan::new(&net, steps).map_err(|m| fail("replay", m))?;
            rt = rt.follow(plan);
        }
        let t = Instant::now();
        let report = rt.run().map_err(|e| fail("run", e.message))?;
        Ok((report, t.elapsed()))
    })
}

/// Parses, evaluates and compiles `process` in the script's scope.
pub(crate) fn compile_process(
    loaded: &Loaded,
    ev: &Evaluator,
    process: &str,
    options: &CompileOptions,
) -> Result<(SourceMap, Network), LoadError> {
    let (sources, term) = process_in(loaded, ev, process)?;
    match compile(term, ev, options) {
        Ok(net) => Ok((sources, net)),
        Err(d) => Err(LoadError {
            sources,
            diagnostics: vec![d],
        }),
    }
}

/// One name per leaf: the function or constant that made it (`PHIL(0)`),
/// else its term; repeated names get `#1`, `#2`, ….
pub fn thread_names(net: &Network, ev: &Evaluator) -> Vec<String> {
    let names: Vec<String> = (0..net.leaf_count())
        .map(|i| {
            net.leaf_term(i)
                .and_then(|t| ev.process_name(t))
                .or_else(|| {
                    net.leaf_term(i)
                        .map(|t| super::shorten(crate::lts::describe_term(t, ev), 40))
                })
                .unwrap_or_else(|| format!("thread {i}"))
        })
        .collect();
    let mut seen: rustc_hash::FxHashMap<&str, usize> = Default::default();
    let total = {
        let mut m: rustc_hash::FxHashMap<&str, usize> = Default::default();
        for n in &names {
            *m.entry(n.as_str()).or_default() += 1;
        }
        m
    };
    names
        .iter()
        .map(|n| {
            if total.get(n.as_str()).copied().unwrap_or(0) > 1 {
                let k = seen.entry(n.as_str()).or_default();
                *k += 1;
                format!("{n}#{k}")
            } else {
                n.clone()
            }
        })
        .collect()
}
