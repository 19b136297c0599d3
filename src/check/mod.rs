//! Assertions: deadlock, divergence, has-trace, determinism and refinement,
//! checked over compiled networks by the parallel explorer.
//!
//! Entry points: [`check_file`] / [`check_source`] load a script and check
//! every assertion; [`Checker`] checks single assertions or processes of an
//! already loaded script. Each counterexample is replayed through the
//! reference semantics before it is reported (see [`replay`]).

mod counterexample;
pub mod determinism;
pub mod normal;
mod properties;
pub mod refinement;
pub mod replay;

use crate::eval::{Evaluator, ProcRef, Thunk};
use crate::explore::{Exploration, Explorer, Progress, StopReason, TransitionSystem};
use crate::lts::{CompileOptions, Forcer};
use crate::report::{group, AssertionReport, FileReport, Timing, Verdict};
use crate::syntax::ast::{AssertKind, Assertion, Expr, Model, Property};
use crate::syntax::load::{load_file, load_str, Loaded};
use crate::syntax::parser::parse_expr;
use crate::syntax::{Diagnostic, SourceFile, SourceMap, Span};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

impl Forcer for Evaluator {
    fn force(&self, t: &Thunk) -> Result<ProcRef, Diagnostic> {
        Evaluator::force(self, t)
    }
    fn describe(&self, t: &Thunk) -> String {
        self.describe_thunk(t)
    }
}

/// A progress callback shared by the checks of a run.
pub type ProgressFn = Arc<dyn Fn(&str, &Progress) + Send + Sync>;

/// Options of a check run; each CLI flag maps to one builder method.
#[derive(Clone)]
pub struct CheckOptions {
    pub(crate) jobs: usize,
    pub(crate) max_states: u64,
    pub(crate) max_memory: u64,
    pub(crate) max_normal_nodes: usize,
    pub(crate) compile: CompileOptions,
    pub(crate) cancel: Option<Arc<AtomicBool>>,
    pub(crate) progress: Option<ProgressFn>,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            jobs: 0,
            max_states: crate::explore::store::MAX_STATES,
            max_memory: u64::MAX,
            max_normal_nodes: normal::DEFAULT_MAX_NORMAL_NODES,
            compile: CompileOptions::default(),
            cancel: None,
            progress: None,
        }
    }
}

impl CheckOptions {
    /// Default options: all cores, no limits beyond the store's.
    pub fn new() -> CheckOptions {
        CheckOptions::default()
    }
    /// Worker threads for the search (0 = one per core).
    pub fn jobs(mut self, n: usize) -> Self {
        self.jobs = n;
        self
    }
    /// Stop a check (verdict `unknown`) beyond this many states.
    pub fn max_states(mut self, n: u64) -> Self {
        self.max_states = n;
        self
    }
    /// Stop a check (verdict `unknown`) beyond this many bytes of state store.
    pub fn max_memory(mut self, bytes: u64) -> Self {
        self.max_memory = bytes;
        self
    }
    /// Stop a refinement or determinism check (verdict `unknown`) when the
    /// normal form of its specification would have more than `n` nodes.
    pub fn max_normal_nodes(mut self, n: usize) -> Self {
        self.max_normal_nodes = n;
        self
    }
    /// Bounds for compiling processes into networks.
    pub fn compile_options(mut self, c: CompileOptions) -> Self {
        self.compile = c;
        self
    }
    /// Stop checks (verdict `unknown`) when this flag is set, e.g. on Ctrl-C.
    pub fn cancel_flag(mut self, flag: Arc<AtomicBool>) -> Self {
        self.cancel = Some(flag);
        self
    }
    /// Called after every BFS level with the assertion's text.
    pub fn on_progress(mut self, f: ProgressFn) -> Self {
        self.progress = Some(f);
        self
    }
}

/// A script that could not be loaded: its sources and every diagnostic.
pub struct LoadError {
    /// The files read, for rendering the diagnostics.
    pub sources: SourceMap,
    /// What is wrong, with locations.
    pub diagnostics: Vec<Diagnostic>,
}

impl LoadError {
    /// The diagnostics rendered as text (no colour).
    pub fn render(&self) -> String {
        crate::syntax::diagnostic::render_all(&self.diagnostics, &self.sources)
    }
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render())
    }
}

/// Debug shows the rendered diagnostics, so `?` in a test prints what is
/// wrong with the script rather than the whole source map.
impl std::fmt::Debug for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render())
    }
}

impl std::error::Error for LoadError {}

/// Loads and resolves a script.
pub fn load(
    loaded: Result<Loaded, crate::syntax::load::LoadFailure>,
) -> Result<(Loaded, Evaluator), LoadError> {
    let loaded = loaded.map_err(|f| LoadError {
        sources: f.sources,
        diagnostics: f.diagnostics,
    })?;
    match Evaluator::from_module(&loaded.module, &loaded.sources) {
        Ok(ev) => Ok((loaded, ev)),
        Err(diagnostics) => Err(LoadError {
            sources: loaded.sources,
            diagnostics,
        }),
    }
}

/// Parses `text` (typed on the command line) as an expression in a copy of
/// the script's sources, so that its errors point into it.
pub fn parse_in(loaded: &Loaded, text: &str) -> Result<(SourceMap, Expr), LoadError> {
    let mut sources = loaded.sources.clone();
    let id = sources.add(SourceFile::new("<command line>", None, text.to_string()));
    match parse_expr(text, id) {
        Ok(e) => Ok((sources, e)),
        Err(diagnostics) => Err(LoadError {
            sources,
            diagnostics,
        }),
    }
}

/// [`parse_in`], then evaluates the expression to a process in the script's
/// scope.
pub fn process_in(
    loaded: &Loaded,
    ev: &Evaluator,
    text: &str,
) -> Result<(SourceMap, ProcRef), LoadError> {
    let (sources, expr) = parse_in(loaded, text)?;
    match ev.eval_top_process(&expr) {
        Ok(p) => Ok((sources, p)),
        Err(d) => Err(LoadError {
            sources,
            diagnostics: vec![d],
        }),
    }
}

/// Checks every assertion of the script at `path` with default options.
pub fn check_file(path: impl AsRef<Path>) -> Result<FileReport, LoadError> {
    check_file_with(path, &CheckOptions::default()).map(|(r, _)| r)
}

/// Checks every assertion of a script given as text (named `name` in reports).
pub fn check_source(name: &str, text: &str) -> Result<FileReport, LoadError> {
    let (name, text) = (name.to_string(), text.to_string());
    crate::eval::with_big_stack(move || {
        let (loaded, ev) = load(load_str(&name, &text))?;
        Ok(Checker::new(&ev, &loaded.sources, CheckOptions::default())
            .check_all(&name)
            .0)
    })
}

/// Checks every assertion of the script at `path`; also returns timings.
pub fn check_file_with(
    path: impl AsRef<Path>,
    options: &CheckOptions,
) -> Result<(FileReport, Timing), LoadError> {
    let path = path.as_ref().to_path_buf();
    let options = options.clone();
    crate::eval::with_big_stack(move || {
        let (loaded, ev) = load(load_file(&path))?;
        let name = path.display().to_string();
        Ok(Checker::new(&ev, &loaded.sources, options).check_all(&name))
    })
}

/// What to check of a process given on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcessCheck {
    /// `--deadlock P`: `P :[deadlock free [F]]`.
    Deadlock,
    /// `--divergence P`: `P :[divergence free]`.
    Divergence,
}

/// Checks assertions of one loaded script.
pub struct Checker<'a> {
    ev: &'a Evaluator,
    sources: &'a SourceMap,
    options: CheckOptions,
}

impl<'a> Checker<'a> {
    /// A checker over a resolved script.
    pub fn new(ev: &'a Evaluator, sources: &'a SourceMap, options: CheckOptions) -> Checker<'a> {
        Checker {
            ev,
            sources,
            options,
        }
    }

    /// Checks every assertion in source order.
    pub fn check_all(&self, file: &str) -> (FileReport, Timing) {
        let mut reports = Vec::new();
        let mut timing = Timing::default();
        for a in self.ev.assertions() {
            let t = Instant::now();
            reports.push(self.check_assertion(a));
            timing.seconds.push(t.elapsed().as_secs_f64());
        }
        (FileReport::new(file, reports), timing)
    }

    /// Checks only the `n`-th assertion (1-based, in source order); `None`
    /// if the script has fewer.
    pub fn check_nth(&self, file: &str, n: usize) -> Option<(FileReport, Timing)> {
        let a = self.ev.assertions().get(n.checked_sub(1)?)?;
        let t = Instant::now();
        let report = self.check_assertion(a);
        let timing = Timing {
            seconds: vec![t.elapsed().as_secs_f64()],
        };
        Some((FileReport::new(file, vec![report]), timing))
    }

    /// Checks one assertion.
    pub fn check_assertion(&self, a: &Assertion) -> AssertionReport {
        let text = self
            .sources
            .snippet(a.span)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let line = self
            .sources
            .file(a.span.file)
            .line_col(a.span.start as usize)
            .0;
        let outcome = self.outcome(a, &text).map_err(|f| self.locate(f));
        finish(line, text, a.negated, outcome)
    }

    /// Checks a process named on the command line: `term`, evaluated from
    /// `text` (see [`process_in`]).
    pub fn check_process(&self, term: &ProcRef, what: ProcessCheck, text: &str) -> AssertionReport {
        let label = match what {
            ProcessCheck::Deadlock => format!("{text} :[deadlock free [F]]"),
            ProcessCheck::Divergence => format!("{text} :[divergence free]"),
        };
        let outcome = match what {
            ProcessCheck::Deadlock => self.deadlock(term, Model::Failures, &label),
            ProcessCheck::Divergence => self.divergence(term, &label),
        };
        finish(0, label, false, outcome.map_err(|f| self.locate(f)))
    }

    /// Turns a diagnostic into a one-line located message.
    fn locate(&self, f: Failure) -> Failure {
        match f {
            Failure::Diagnostic(d) => {
                let at = d
                    .span()
                    .map(|s| format!("{}: ", self.location(s)))
                    .unwrap_or_default();
                Failure::Message(format!("{at}{}", d.message))
            }
            other => other,
        }
    }

    fn outcome(&self, a: &Assertion, text: &str) -> Result<Outcome, Failure> {
        match &a.kind {
            AssertKind::Property {
                process,
                property,
                model,
            } => {
                let term = self.process_term(process)?;
                match property {
                    Property::DeadlockFree => {
                        self.deadlock(&term, model.unwrap_or(Model::FailuresDivergences), text)
                    }
                    Property::DivergenceFree => self.divergence(&term, text),
                    Property::Deterministic => {
                        self.determinism(&term, model.unwrap_or(Model::FailuresDivergences), text)
                    }
                }
            }
            AssertKind::HasTrace { process, trace, .. } => {
                let term = self.process_term(process)?;
                let trace = self.ev.eval_expr(trace).map_err(Failure::Diagnostic)?;
                self.has_trace(&term, &trace, trace_span(a))
            }
            AssertKind::Refinement {
                spec,
                model,
                implementation,
            } => {
                let spec = self.process_term(spec)?;
                let implementation = self.process_term(implementation)?;
                self.refinement(&spec, *model, &implementation, text)
            }
        }
    }

    /// Evaluates `e` to a process term.
    fn process_term(&self, e: &Expr) -> Result<ProcRef, Failure> {
        self.ev.eval_top_process(e).map_err(Failure::Diagnostic)
    }

    fn location(&self, span: Span) -> String {
        self.sources.location(span)
    }
}

fn trace_span(a: &Assertion) -> Span {
    match &a.kind {
        AssertKind::HasTrace { trace, .. } => trace.span,
        _ => a.span,
    }
}

/// Runs `explorer` with the limits, cancel flag and progress callback of
/// `options`; a limit or cancellation becomes [`Failure::Limit`] with the
/// partial counts. A search stopped at a deadlock or target is complete
/// enough for its verdict.
pub(crate) fn explore_with<S: TransitionSystem>(
    options: &CheckOptions,
    explorer: Explorer<'_, S>,
    label: &str,
) -> Result<Exploration, Failure> {
    let mut explorer = explorer
        .jobs(options.jobs)
        .max_states(options.max_states)
        .max_memory(options.max_memory);
    if let Some(c) = &options.cancel {
        explorer = explorer.cancel_flag(c.clone());
    }
    if let Some(p) = &options.progress {
        let p = p.clone();
        let label = label.to_string();
        explorer = explorer.on_progress(move |pr| p(&label, pr));
    }
    let ex = explorer.run();
    let why = match &ex.stopped {
        None | Some(StopReason::FoundDeadlock) | Some(StopReason::FoundTarget) => return Ok(ex),
        Some(StopReason::StateLimit(n)) => format!("state limit of {} reached", group(*n)),
        Some(StopReason::MemoryLimit(b)) => format!("memory limit of {} MiB reached", b >> 20),
        Some(StopReason::TimeLimit(t)) => format!("time limit of {:.1}s reached", t.as_secs_f64()),
        Some(StopReason::Cancelled) => "interrupted".to_string(),
    };
    Err(Failure::Limit(
        format!(
            "{why} after {} states, {} transitions, {} BFS levels: no verdict",
            group(ex.states),
            group(ex.transitions),
            ex.levels
        ),
        ex.states,
        ex.transitions,
    ))
}

/// The search for τ-cycles after the complete exploration `ex` of `sys`,
/// within `options`' memory limit and stopped by its cancel flag (Ctrl-C):
/// either ends without a verdict ([`Failure::Limit`], with the counts).
pub(crate) fn find_divergence<S: TransitionSystem>(
    options: &CheckOptions,
    ex: &Exploration,
    sys: &S,
    label: &str,
) -> Result<Option<crate::explore::Divergence>, Failure> {
    divergence_fits(options, ex, label)?;
    let never = AtomicBool::new(false);
    let cancel = options.cancel.as_deref().unwrap_or(&never);
    ex.find_divergence_until(sys, cancel).map_err(|_| {
        Failure::Limit(
            format!(
                "interrupted while looking for τ-cycles among {} states and {} τ-transitions: no verdict",
                group(ex.states),
                group(ex.tau_transitions)
            ),
            ex.states,
            ex.transitions,
        )
    })
}

/// Called before the search for τ-cycles after `ex`: refuses to start one
/// that could take the memory past `options.max_memory` (a limit, with the
/// exploration's counts), and tells the progress display what is going on.
fn divergence_fits(options: &CheckOptions, ex: &Exploration, label: &str) -> Result<(), Failure> {
    let need = ex.peak_bytes.saturating_add(ex.divergence_bytes());
    if need <= options.max_memory {
        if let (Some(p), true) = (&options.progress, ex.tau_seen()) {
            let progress = crate::explore::Progress {
                level: ex.levels,
                states: ex.states,
                transitions: ex.transitions,
                bytes: need,
                elapsed: ex.elapsed,
            };
            p(&format!("{label}: looking for τ-cycles"), &progress);
        }
        return Ok(());
    }
    Err(Failure::Limit(
        format!(
            "memory limit of {} MiB reached: looking for τ-cycles among {} states and {} τ-transitions \
             needs up to {} MiB: no verdict",
            options.max_memory >> 20,
            group(ex.states),
            group(ex.tau_transitions),
            need.div_ceil(1 << 20)
        ),
        ex.states,
        ex.transitions,
    ))
}

/// What a check found about the property (before `assert not` is applied).
pub(crate) struct Outcome {
    pub holds: bool,
    pub states: Option<u64>,
    pub transitions: Option<u64>,
    pub counterexample: Option<crate::report::Counterexample>,
}

/// Why a check has no verdict.
pub(crate) enum Failure {
    /// Evaluation or compilation failed.
    Diagnostic(Diagnostic),
    /// Rendered error text.
    Message(String),
    /// A limit stopped the search: message and partial counts.
    Limit(String, u64, u64),
}

fn finish(
    line: usize,
    assertion: String,
    negated: bool,
    outcome: Result<Outcome, Failure>,
) -> AssertionReport {
    let mut r = AssertionReport {
        line,
        assertion,
        result: Verdict::Error,
        states: None,
        transitions: None,
        counterexample: None,
        message: None,
    };
    match outcome {
        Ok(o) => {
            r.result = if o.holds != negated {
                Verdict::Pass
            } else {
                Verdict::Fail
            };
            r.states = o.states;
            r.transitions = o.transitions;
            r.counterexample = o.counterexample;
        }
        Err(Failure::Diagnostic(d)) => {
            r.message = Some(format!("{} ({})", d.message, d.code));
        }
        Err(Failure::Message(m)) => r.message = Some(m),
        Err(Failure::Limit(m, states, transitions)) => {
            r.result = Verdict::Unknown;
            r.message = Some(m);
            r.states = Some(states);
            r.transitions = Some(transitions);
        }
    }
    r
}
