//! The `hoare` command line: parses arguments, calls the library, maps the
//! outcome to an exit code (0 all assertions hold, 1 a counterexample was
//! found, 2 usage or input error, 3 a resource limit stopped a check; for
//! `run`: 0 terminated or stopped by a limit, 1 deadlock, 3 interrupted).

use clap::{Parser, Subcommand, ValueEnum};
use hoare::check::{load, parse_in, process_in, CheckOptions, Checker, LoadError, ProcessCheck};
use hoare::eval::{with_big_stack, Evaluator, Value};
use hoare::lts::{graph, CompileOptions};
use hoare::report::{FileReport, Timing};
use hoare::run::{read_counterexample, run_file, RunOptions, Scheduler};
use hoare::syntax::diagnostic::render_all;
use hoare::syntax::load::{load_file, Loaded};
use hoare::syntax::{Diagnostic, SourceMap};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "hoare",
    version,
    about = "A model checker and runtime for CSP (CSPM, the language of FDR)"
)]
#[command(
    after_help = "Exit codes: 0 all assertions hold, 1 a counterexample was found, \
2 usage or input error, 3 a resource limit stopped a check before its verdict."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SchedulerArg {
    Fair,
    Random,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GraphFormat {
    Dot,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Check the assertions of CSPM scripts (or one process with --deadlock / --divergence).
    Check {
        /// Script files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Check only the N-th assertion of each file (1-based, in source order).
        #[arg(long = "assert", value_name = "N")]
        assertion: Option<usize>,
        /// Check PROC for deadlock (stable failures model) instead of the assertions.
        #[arg(long, value_name = "PROC")]
        deadlock: Option<String>,
        /// Check PROC for divergence (livelock) instead of the assertions.
        #[arg(long, value_name = "PROC")]
        divergence: Option<String>,
        /// Worker threads (default: one per core).
        #[arg(long, short = 'j', default_value_t = 0)]
        jobs: usize,
        /// Give up (exit 3) beyond this many states.
        #[arg(long, value_name = "N")]
        max_states: Option<u64>,
        /// Give up (exit 3) when the state store exceeds this many MiB (or the search
        /// for τ-cycles after it would).
        #[arg(long, value_name = "MIB")]
        max_memory: Option<u64>,
        /// Give up on a sequential (leaf) process beyond this many states
        /// (default 250,000): such a process is probably infinite-state.
        #[arg(long, value_name = "N")]
        max_leaf_states: Option<usize>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Only the verdict lines, no counterexamples.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Run a process for real: one OS thread per leaf process, every event a
    /// synchronisation over channels, printed live (time, step, event, processes).
    #[command(
        after_help = "Exit codes: 0 the process terminated (✓), or a --steps / --timeout \
limit stopped it, or a --replay reached its end without deadlock; 1 deadlock; 2 usage or input \
error; 3 interrupted (Ctrl-C)."
    )]
    Run {
        /// Script file.
        file: PathBuf,
        /// The process expression, e.g. SYSTEM or 'PHIL(0)' (with --replay: taken from the assertion if omitted).
        process: Option<String>,
        /// Stop after N events (exit 0, with a note).
        #[arg(long, value_name = "N")]
        steps: Option<u64>,
        /// Seed of every choice; the same seed gives the same run (default: from the clock, printed).
        #[arg(long, value_name = "S")]
        seed: Option<u64>,
        /// Stop after this many seconds (exit 0, with a note).
        #[arg(long, value_name = "SECONDS")]
        timeout: Option<f64>,
        /// Follow the counterexample in this `hoare check --format json` output instead of scheduling.
        #[arg(long, value_name = "CHECK.json")]
        replay: Option<PathBuf>,
        /// With --replay: the N-th assertion of the report (default: the first with a counterexample).
        #[arg(long = "assert", value_name = "N", requires = "replay")]
        assertion: Option<usize>,
        /// How to pick among enabled events: fair (longest-waiting first) or random.
        #[arg(long, value_enum, default_value_t = SchedulerArg::Fair)]
        scheduler: SchedulerArg,
        /// Also print hidden events (as `τ (their name)`).
        #[arg(long)]
        show_tau: bool,
        /// Output format (json: one document at the end).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Only the summary, no event lines.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Evaluate expressions in a script's scope and print their values.
    Eval {
        /// Script file.
        file: PathBuf,
        /// Expressions, e.g. '{0..3}' 'f(2)'.
        #[arg(required = true)]
        exprs: Vec<String>,
    },
    /// Print the labelled transition system of a process.
    Graph {
        /// Script file.
        file: PathBuf,
        /// A process expression, e.g. SYSTEM or 'PHIL(0)'.
        process: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
        /// Show each compiled leaf process instead of the whole process.
        #[arg(long)]
        leaves: bool,
        /// Largest graph shown.
        #[arg(long, default_value_t = 10_000)]
        max_states: usize,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Check {
            files,
            assertion,
            deadlock,
            divergence,
            jobs,
            max_states,
            max_memory,
            max_leaf_states,
            format,
            quiet,
        } => {
            let mut options = CheckOptions::new().jobs(jobs);
            if let Some(n) = max_states {
                options = options.max_states(n);
            }
            if let Some(m) = max_memory {
                options = options.max_memory(m.saturating_mul(1 << 20));
            }
            if let Some(n) = max_leaf_states {
                options = options.compile_options(CompileOptions::default().max_leaf_states(n));
            }
            // The first Ctrl-C stops the search at the end of its BFS level
            // (partial statistics, exit 3); a second one ends the process.
            options = options.cancel_flag(ctrl_c_flag());
            let bar = (std::io::stderr().is_terminal() && !quiet)
                .then(|| Arc::new(indicatif::ProgressBar::new_spinner()));
            if let Some(bar) = &bar {
                // Redrawn from a thread of its own, so a message set before a
                // long phase without levels (the search for τ-cycles) shows.
                bar.enable_steady_tick(std::time::Duration::from_millis(200));
                options = options.on_progress(progress_fn(bar.clone()));
            }
            let what = match (deadlock, divergence) {
                (Some(p), None) => Some((ProcessCheck::Deadlock, p)),
                (None, Some(p)) => Some((ProcessCheck::Divergence, p)),
                (None, None) => None,
                (Some(_), Some(_)) => {
                    eprintln!("error: give either --deadlock or --divergence, not both");
                    return ExitCode::from(2);
                }
            };
            let code = check(
                &files,
                assertion,
                what,
                options,
                format,
                quiet,
                bar.as_deref(),
            );
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            code
        }
        Command::Run {
            file,
            process,
            steps,
            seed,
            timeout,
            replay,
            assertion,
            scheduler,
            show_tau,
            format,
            quiet,
        } => {
            let scheduler = match scheduler {
                SchedulerArg::Fair => Scheduler::Fair,
                SchedulerArg::Random => Scheduler::Random,
            };
            let args = RunArgs {
                process,
                steps,
                seed,
                timeout,
                replay,
                assertion,
                scheduler,
                show_tau,
                format,
                quiet,
            };
            run_cmd(&file, args)
        }
        Command::Eval { file, exprs } => eval(file, exprs),
        Command::Graph {
            file,
            process,
            format,
            leaves,
            max_states,
        } => graph_cmd(file, process, format, leaves, max_states),
    };
    ExitCode::from(code)
}

/// Shows search progress (states, states/s, BFS level, memory) on stderr.
fn progress_fn(bar: Arc<indicatif::ProgressBar>) -> hoare::check::ProgressFn {
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    Arc::new(move |label: &str, p: &hoare::explore::Progress| {
        let secs = p.elapsed.as_secs_f64().max(1e-9);
        bar.set_message(format!(
            "{label}: level {}, {} states, {:.2} M states/s, {} MiB",
            p.level,
            hoare::report::group(p.states),
            p.states as f64 / secs / 1e6,
            p.bytes >> 20
        ));
        bar.tick();
    })
}

/// A flag the first Ctrl-C sets; a second Ctrl-C ends the process (exit 130).
fn ctrl_c_flag() -> Arc<AtomicBool> {
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
    cancel
}

/// Prints to stdout; a closed pipe ends quietly.
fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
        .is_err()
    {
        std::process::exit(0);
    }
}

fn report_load_error(e: &LoadError, format: Format, file: &str) {
    match format {
        Format::Text => eprint!("{}", e.render()),
        Format::Json => {
            let diags: Vec<_> = e
                .diagnostics
                .iter()
                .map(|d| d.to_json(&e.sources))
                .collect();
            out(&format!(
                "{}\n",
                serde_json::json!({ "file": file, "error": "input", "diagnostics": diags })
            ));
        }
    }
}

fn check(
    files: &[PathBuf],
    only: Option<usize>,
    what: Option<(ProcessCheck, String)>,
    options: CheckOptions,
    format: Format,
    quiet: bool,
    bar: Option<&indicatif::ProgressBar>,
) -> u8 {
    let mut worst = 0u8;
    let mut documents = Vec::new();
    for path in files {
        let name = path.display().to_string();
        let result: Result<(FileReport, Timing), LoadError> = with_big_stack(|| {
            let (loaded, ev) = load(load_file(path))?;
            // A process text is a source of its own: its errors point into it.
            let (sources, process) = match &what {
                Some((kind, text)) => {
                    let (sources, term) = process_in(&loaded, &ev, text)?;
                    (sources, Some((*kind, text, term)))
                }
                None => (loaded.sources.clone(), None),
            };
            let checker = Checker::new(&ev, &sources, options.clone());
            match process {
                Some((kind, text, term)) => {
                    let t = std::time::Instant::now();
                    let r = checker.check_process(&term, kind, text);
                    let timing = Timing {
                        seconds: vec![t.elapsed().as_secs_f64()],
                    };
                    Ok((FileReport::new(name.clone(), vec![r]), timing))
                }
                None => match only {
                    None => Ok(checker.check_all(&name)),
                    Some(n) => checker.check_nth(&name, n).ok_or_else(|| {
                        let d = Diagnostic::error(
                            "no-such-assertion",
                            format!(
                                "--assert {n}: the file has {} assertions",
                                ev.assertions().len()
                            ),
                            Default::default(),
                        );
                        LoadError {
                            sources: sources.clone(),
                            diagnostics: vec![Diagnostic {
                                labels: Vec::new(),
                                ..d
                            }],
                        }
                    }),
                },
            }
        });
        if let Some(bar) = bar {
            bar.set_message("");
            bar.finish_and_clear();
            bar.reset();
        }
        match result {
            Ok((report, timing)) => {
                worst = worst.max(report.exit_code() as u8);
                match format {
                    Format::Text => out(&report.to_text(&timing, quiet)),
                    Format::Json => documents.push(report.to_json(&timing)),
                }
            }
            Err(e) => {
                worst = worst.max(2);
                report_load_error(&e, format, &name);
            }
        }
    }
    if format == Format::Json && !documents.is_empty() {
        let doc = if documents.len() == 1 {
            documents.swap_remove(0)
        } else {
            serde_json::Value::Array(documents)
        };
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        ));
    }
    worst
}

/// The flags of `hoare run`.
struct RunArgs {
    process: Option<String>,
    steps: Option<u64>,
    seed: Option<u64>,
    timeout: Option<f64>,
    replay: Option<PathBuf>,
    assertion: Option<usize>,
    scheduler: Scheduler,
    show_tau: bool,
    format: Format,
    quiet: bool,
}

fn run_cmd(file: &std::path::Path, a: RunArgs) -> u8 {
    let usage = |m: String| {
        eprintln!("error: {m}");
        2
    };
    let seed = a.seed.unwrap_or_else(|| {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        t % 1_000_000_000
    });
    let mut options = RunOptions::new().seed(seed).scheduler(a.scheduler);
    if let Some(n) = a.steps {
        options = options.max_steps(n);
    }
    if let Some(t) = a.timeout {
        match std::time::Duration::try_from_secs_f64(t) {
            Ok(d) => options = options.timeout(d),
            Err(_) => return usage(format!("--timeout {t}: give a number of seconds >= 0")),
        }
    }
    // The first Ctrl-C stops the run cleanly (summary, exit 3); a second ends the process.
    options = options.cancel_flag(ctrl_c_flag());
    let text = a.format == Format::Text;
    let mut process = a.process;
    let mut header = String::new();
    if let Some(path) = &a.replay {
        let json = match std::fs::read_to_string(path) {
            Ok(j) => j,
            Err(e) => return usage(format!("cannot read `{}`: {e}", path.display())),
        };
        let cx = match read_counterexample(&json, a.assertion) {
            Ok(c) => c,
            Err(m) => return usage(format!("{}: {m}", path.display())),
        };
        if process.is_none() {
            process = cx.process();
        }
        header = format!(
            "replaying the {} counterexample of `{}` ({} steps)\n",
            cx.kind,
            cx.assertion,
            cx.steps.len()
        );
        options = options.replay(cx.steps);
    }
    let Some(process) = process else {
        return usage("give the PROCESS to run".into());
    };
    let name = file.display().to_string();
    if text {
        out(&format!(
            "{header}running {process} from {name}, seed {seed}\n"
        ));
    }
    let live = text && !a.quiet;
    let show_tau = a.show_tau;
    let observer = move |occ: &hoare::run::Occurrence<'_>| {
        if live && (show_tau || occ.event != "τ") {
            out(&occ.line());
        }
    };
    match run_file(file, &process, &options, observer) {
        Ok((report, elapsed)) => {
            if text {
                out(&report.to_text(elapsed));
            } else {
                let mut v = serde_json::to_value(&report).unwrap_or(serde_json::Value::Null);
                if let Some(o) = v.as_object_mut() {
                    o.insert("file".into(), serde_json::json!(name));
                    o.insert("process".into(), serde_json::json!(process));
                    o.insert("seconds".into(), serde_json::json!(elapsed.as_secs_f64()));
                }
                out(&format!(
                    "{}\n",
                    serde_json::to_string_pretty(&v).unwrap_or_default()
                ));
            }
            report.exit_code()
        }
        Err(e) => {
            report_load_error(&e, a.format, &name);
            2
        }
    }
}

fn eval(file: PathBuf, exprs: Vec<String>) -> u8 {
    with_big_stack(move || {
        let (loaded, ev) = match load(load_file(&file)) {
            Ok(x) => x,
            Err(e) => {
                eprint!("{}", e.render());
                return 2;
            }
        };
        let mut code = 0;
        for text in &exprs {
            match eval_one(&loaded, &ev, text) {
                Ok(v) => out(&format!("{v}\n")),
                Err(e) => {
                    eprint!("{}", e.render());
                    code = 2;
                }
            }
        }
        code
    })
}

fn eval_one(loaded: &Loaded, ev: &Evaluator, text: &str) -> Result<Value, LoadError> {
    let (sources, expr) = parse_in(loaded, text)?;
    ev.eval_expr(&expr).map_err(|d| LoadError {
        sources,
        diagnostics: vec![d],
    })
}

fn graph_cmd(
    file: PathBuf,
    process: String,
    format: GraphFormat,
    leaves: bool,
    max_states: usize,
) -> u8 {
    with_big_stack(move || {
        let fail = |e: LoadError| {
            eprint!("{}", e.render());
            2
        };
        let (loaded, ev) = match load(load_file(&file)) {
            Ok(x) => x,
            Err(e) => return fail(e),
        };
        let (sources, term) = match process_in(&loaded, &ev, &process) {
            Ok(x) => x,
            Err(e) => return fail(e),
        };
        let located = |d: Diagnostic| LoadError {
            sources: sources.clone(),
            diagnostics: vec![d],
        };
        let graphs = if leaves {
            graph::leaf_graphs(&term, &ev, &CompileOptions::default())
        } else {
            graph::process_graph(&process, &term, &ev, max_states).map(|g| vec![g])
        };
        let graphs = match graphs {
            Ok(g) => g,
            Err(d) => return fail(located(d)),
        };
        match format {
            GraphFormat::Dot if graphs.len() == 1 => out(&graphs[0].to_dot()),
            GraphFormat::Dot => out(&graph::graphs_to_dot(&process, &graphs)),
            GraphFormat::Json => out(&format!(
                "{}\n",
                serde_json::to_string_pretty(&graphs).unwrap_or_default()
            )),
        }
        0
    })
}

#[allow(dead_code)]
fn render(diags: &[Diagnostic], sources: &SourceMap) -> String {
    render_all(diags, sources)
}
