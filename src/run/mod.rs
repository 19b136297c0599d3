//! The runtime: a compiled network executed on real OS threads, one per
//! leaf process, synchronising over channels (DESIGN.md §4).
//!
//! # Design
//!
//! Each leaf runs in its own thread and owns its position in its
//! [`LeafLts`](crate::lts::LeafLts). In a state whose only moves are τ
//! (internal choice, `;`, a ✓ inside a sequence, …) the thread resolves them
//! itself with its own seeded generator; once it can offer anything else it
//! posts its state (its offer: the events of that state) to the **arbiter**
//! over a channel and waits. The arbiter, on the calling thread, applies the
//! network's synchronisation rules — the same [`Network`] the checker
//! explores, read through [`Network::rules`] — to find the enabled events,
//! picks some (see *Scheduling*), tells each participant which transition to
//! take (its target state), and waits for their next offers.
//!
//! * **Multi-way synchronisation and external choice** are the rules: an
//!   event is enabled when every participant's state offers its part, and a
//!   thread that offers several events does whichever the arbiter picks.
//! * **Hidden events** are network τ steps that still synchronise threads;
//!   observers see them with [`Occurrence::hidden`] set (the CLI prints them
//!   only with `--show-tau`).
//! * **Termination**: when every thread is at Ω the network does ✓. A single
//!   process's ✓ is its own event.
//! * **Deadlock**: every thread has posted an offer, not all have
//!   terminated, and no rule is enabled.
//!
//! # Scheduling and determinism
//!
//! The arbiter works in rounds. It waits until *every* thread that moved has
//! posted its next offer, then picks events one at a time among those whose
//! participants are all idle, until none is left (events with disjoint
//! participants run in parallel, so their callbacks do too). The default
//! [`Scheduler::Fair`] picks the enabled event that has been enabled for the
//! most rounds without being performed (ties broken by the seeded
//! generator), so an event that stays enabled is performed within a bounded
//! number of rounds: nothing starves. [`Scheduler::Random`] picks uniformly.
//! Every choice depends only on the seed and the sequence of states, never
//! on thread timing: the same seed gives the same run. A thread whose
//! internal τ steps go on for [`LOCAL_TAU_LIMIT`] steps posts its offer
//! anyway (with τ in it), so a divergent thread cannot stall the others.
//!
//! # Callbacks
//!
//! [`Runtime::on_event`] attaches code to events. It runs on the thread of
//! the event's first participant, after the event and before that thread's
//! next offer — real work runs in parallel with the other threads of the
//! round, and the round ends when it returns. (The network's final ✓ has no
//! single thread; its callbacks run on the arbiter.) [`Runtime::on_step`]
//! observes every event in trace order on the arbiter's thread.

pub mod replay;
mod report;
mod rng;
mod rules;
mod script;

pub use replay::{read_counterexample, CheckCounterexample, Plan};
pub use report::{Occurrence, PathStep, RunOutcome, RunReport, ThreadState};
pub use rng::Rng;
pub use script::{run_file, thread_names, RunOptions};

use crate::explore::{TAU, TICK};
use crate::lts::{Forcer, Network};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use rules::{Enabler, Rules};
use std::any::Any;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Consecutive τ steps a thread resolves on its own before it posts its
/// offer anyway (with its τ in it, for the arbiter to schedule).
pub const LOCAL_TAU_LIMIT: u32 = 1000;

/// A callback attached to events; called with the event that happened.
pub type Callback<'a> = Box<dyn Fn(&Occurrence<'_>) + Send + Sync + 'a>;

/// An observer of every event, in trace order, on the arbiter's thread.
pub type Observer<'a> = Box<dyn FnMut(&Occurrence<'_>) + 'a>;

/// How the arbiter picks among enabled events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Scheduler {
    /// The event enabled longest without being performed; ties by the seed.
    #[default]
    Fair,
    /// Uniformly at random (seeded) among the enabled events.
    Random,
}

/// Why a run could not start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunError {
    /// What went wrong.
    pub message: String,
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RunError {}

/// Runs a compiled network on threads; options are builder methods.
///
/// ```no_run
/// # fn demo(net: &hoare::lts::Network) -> Result<(), hoare::run::RunError> {
/// let report = hoare::run::Runtime::new(net)
///     .seed(7)
///     .max_steps(1000)
///     .on_event("eats.2", |ev| println!("philosopher 2 eats (step {})", ev.step))
///     .run()?;
/// println!("{:?}", report.outcome);
/// # Ok(()) }
/// ```
pub struct Runtime<'a> {
    net: &'a Network,
    seed: u64,
    max_steps: Option<u64>,
    timeout: Option<Duration>,
    scheduler: Scheduler,
    callbacks: Vec<(String, Callback<'a>)>,
    observer: Option<Observer<'a>>,
    forcer: Option<&'a dyn Forcer>,
    names: Option<Vec<String>>,
    plan: Option<Plan>,
    cancel: Option<Arc<AtomicBool>>,
    record: bool,
}

impl<'a> Runtime<'a> {
    /// A runtime for `net`: seed 0, fair scheduling, no limits, recording on.
    pub fn new(net: &'a Network) -> Runtime<'a> {
        Runtime {
            net,
            seed: 0,
            max_steps: None,
            timeout: None,
            scheduler: Scheduler::Fair,
            callbacks: Vec::new(),
            observer: None,
            forcer: None,
            names: None,
            plan: None,
            cancel: None,
            record: true,
        }
    }

    /// The seed of every choice (same seed, same run).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Stop (outcome `step_limit`) after this many events.
    pub fn max_steps(mut self, n: u64) -> Self {
        self.max_steps = Some(n);
        self
    }

    /// Stop (outcome `timeout`) after this much time.
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = Some(t);
        self
    }

    /// How to pick among enabled events.
    pub fn scheduler(mut self, s: Scheduler) -> Self {
        self.scheduler = s;
        self
    }

    /// Calls `f` whenever an event named `pattern` happens: `eats.2` matches
    /// that event, `eats` every event of channel `eats` (`eats.0`, `eats.1`,
    /// …). A hidden event is matched by its name before hiding. `f` runs on
    /// the thread of the event's first participant (see the module docs).
    pub fn on_event(
        mut self,
        pattern: impl Into<String>,
        f: impl Fn(&Occurrence<'_>) + Send + Sync + 'a,
    ) -> Self {
        self.callbacks.push((pattern.into(), Box::new(f)));
        self
    }

    /// Calls `f` for every event in trace order (hidden ones included), on
    /// the arbiter's thread, as the event is dispatched.
    pub fn on_step(mut self, f: impl FnMut(&Occurrence<'_>) + 'a) -> Self {
        self.observer = Some(Box::new(f));
        self
    }

    /// Describes thread states with `forcer` (the evaluator) in reports.
    pub fn describe_with(mut self, forcer: &'a dyn Forcer) -> Self {
        self.forcer = Some(forcer);
        self
    }

    /// Names the threads (one name per leaf, in leaf order).
    pub fn thread_names(mut self, names: Vec<String>) -> Self {
        self.names = Some(names);
        self
    }

    /// Follows `plan` (a counterexample) instead of scheduling: threads take
    /// exactly its steps, τ included, then the run reports where it ended.
    pub fn follow(mut self, plan: Plan) -> Self {
        self.plan = Some(plan);
        self
    }

    /// Stop (outcome `interrupted`) when this flag is set, e.g. on Ctrl-C.
    pub fn cancel_flag(mut self, flag: Arc<AtomicBool>) -> Self {
        self.cancel = Some(flag);
        self
    }

    /// Whether to keep the trace and path in the report (on by default;
    /// off for long benchmark runs).
    pub fn record(mut self, on: bool) -> Self {
        self.record = on;
        self
    }

    /// Runs until termination, deadlock, a limit, the end of a followed
    /// plan, or the cancel flag. Fails only if the threads cannot be
    /// started or a plan was made for another network. A panic in a
    /// callback stops the run and is resumed on the caller's thread.
    pub fn run(mut self) -> Result<RunReport, RunError> {
        let rules = Rules::new(self.net);
        let n = rules.leaf_count();
        if let Some(plan) = &self.plan {
            plan.check(&rules)?;
        }
        let names = match self.names.take() {
            Some(v) if v.len() == n => v,
            _ => default_names(self.net, self.forcer),
        };
        let table = self.net.events();
        let event_names: Vec<String> = (0..table.len() as u32).map(|id| table.name(id)).collect();
        let callbacks: Vec<Callback<'a>> = Vec::new();
        let (patterns, callbacks) = std::mem::take(&mut self.callbacks).into_iter().fold(
            (Vec::new(), callbacks),
            |(mut p, mut c), (pat, f)| {
                p.push(pat);
                c.push(f);
                (p, c)
            },
        );
        let by_event: Vec<Vec<u32>> = if patterns.is_empty() {
            Vec::new()
        } else {
            event_names
                .iter()
                .map(|name| {
                    (0..patterns.len() as u32)
                        .filter(|&c| matches_pattern(&patterns[c as usize], name))
                        .collect()
                })
                .collect()
        };
        let shared = Shared {
            rules: &rules,
            event_names,
            names,
            callbacks,
            by_event,
            start: Instant::now(),
            stop: AtomicBool::new(false),
            local_tau: self.plan.is_none(),
        };
        // Each thread has at most one message to the arbiter outstanding
        // (it posts, then waits for a command), and at most a Go and a Stop
        // come its way: bounded array channels never block here and do not
        // allocate per message.
        let (offer_tx, offer_rx) = crossbeam_channel::bounded::<Msg>(n.max(1));
        let mut panic: Option<Box<dyn Any + Send>> = None;
        let result = std::thread::scope(|scope| {
            let mut go = Vec::with_capacity(n);
            for i in 0..n {
                let (tx, rx) = crossbeam_channel::bounded::<Cmd>(2);
                let offers = offer_tx.clone();
                let shared = &shared;
                let seed = self.seed;
                let spawned = std::thread::Builder::new()
                    .name(shared.names[i].replace('\0', " "))
                    .spawn_scoped(scope, move || leaf_main(i as u32, shared, rx, offers, seed));
                if let Err(e) = spawned {
                    shared.stop.store(true, Ordering::SeqCst);
                    drop(go);
                    return Err(RunError {
                        message: format!("cannot start thread {} of {n}: {e}", i + 1),
                    });
                }
                go.push(tx);
            }
            drop(offer_tx);
            let observer = self.observer.take();
            let mut arbiter = Arbiter::new(&self, &shared, go, offer_rx, observer);
            let report = arbiter.run();
            arbiter.stop();
            panic = arbiter.panic.take();
            Ok(report)
        });
        if let Some(p) = panic {
            std::panic::resume_unwind(p);
        }
        result
    }
}

/// True if event `name` matches callback pattern `pat` (the event itself or
/// a prefix of its dotted fields).
fn matches_pattern(pat: &str, name: &str) -> bool {
    name == pat || (name.starts_with(pat) && name[pat.len()..].starts_with('.'))
}

/// Thread names when none are given: the leaf's initial term, shortened.
fn default_names(net: &Network, forcer: Option<&dyn Forcer>) -> Vec<String> {
    (0..net.leaf_count())
        .map(|i| match (forcer, net.leaf_term(i)) {
            (Some(f), Some(t)) => shorten(crate::lts::describe_term(t, f), 40),
            _ => format!("thread {i}"),
        })
        .collect()
}

fn shorten(s: String, width: usize) -> String {
    if s.chars().count() <= width {
        return s;
    }
    let mut t: String = s.chars().take(width - 1).collect();
    t.push('…');
    t
}

/// What the leaf threads share (read-only, except the stop flag).
struct Shared<'r, 'n, 'a> {
    rules: &'r Rules<'n>,
    event_names: Vec<String>,
    names: Vec<String>,
    callbacks: Vec<Callback<'a>>,
    /// Per event id: the callbacks it triggers (empty if there are none).
    by_event: Vec<Vec<u32>>,
    start: Instant,
    stop: AtomicBool,
    /// Threads resolve τ-only states themselves (not when following a plan).
    local_tau: bool,
}

impl Shared<'_, '_, '_> {
    /// The event of rule `rule` as observers see it: name and hidden name.
    fn describe(&self, rule: u32) -> (&str, Option<&str>, u32) {
        let result = self.rules.result[rule as usize];
        let name = self.event_names[result as usize].as_str();
        if result != TAU {
            return (name, None, result);
        }
        let host = self.rules.threads(rule).first().copied().unwrap_or(0);
        let inner = self.rules.leaf_event(rule, host);
        if inner == TAU {
            (name, None, inner)
        } else {
            (name, Some(self.event_names[inner as usize].as_str()), inner)
        }
    }

    /// Runs the callbacks of `event` for `occ`; a panic is caught and returned.
    fn callbacks(&self, key: u32, occ: &Occurrence<'_>) -> Result<(), Box<dyn Any + Send>> {
        let Some(list) = self.by_event.get(key as usize) else {
            return Ok(());
        };
        for &c in list {
            let f = &self.callbacks[c as usize];
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(occ)))?;
        }
        Ok(())
    }
}

/// Arbiter → thread.
enum Cmd {
    /// Take the transition to `target` as part of rule `rule` (event number
    /// `step`); `host` runs the event's callbacks.
    Go {
        target: u32,
        rule: u32,
        step: u64,
        host: bool,
    },
    /// The run is over.
    Stop,
}

/// Thread → arbiter.
enum Msg {
    /// Thread `leaf` is in `state` (after `taus` τ steps of its own) and
    /// offers that state's events.
    Offer { leaf: u32, state: u32, taus: u32 },
    /// A callback panicked.
    Panicked(Box<dyn Any + Send>),
}

/// The body of leaf thread `i`.
fn leaf_main(i: u32, sh: &Shared<'_, '_, '_>, rx: Receiver<Cmd>, tx: Sender<Msg>, seed: u64) {
    let lts = sh.rules.leaves[i as usize];
    let mut rng = Rng::new(seed, u64::from(i));
    let mut s = lts.initial;
    loop {
        let taus = if sh.local_tau {
            settle(lts, &mut s, &mut rng, &sh.stop)
        } else {
            0
        };
        if tx
            .send(Msg::Offer {
                leaf: i,
                state: s,
                taus,
            })
            .is_err()
        {
            return;
        }
        match rx.recv() {
            Ok(Cmd::Go {
                target,
                rule,
                step,
                host,
            }) => {
                s = target;
                if host && !sh.by_event.is_empty() {
                    let (event, hidden, key) = sh.describe(rule);
                    let occ = Occurrence {
                        step,
                        event,
                        hidden,
                        threads: sh.rules.threads(rule),
                        names: &sh.names,
                        elapsed: sh.start.elapsed(),
                    };
                    if let Err(p) = sh.callbacks(key, &occ) {
                        let _ = tx.send(Msg::Panicked(p));
                        return;
                    }
                }
            }
            Ok(Cmd::Stop) | Err(_) => return,
        }
    }
}

/// Takes τ steps while the state offers nothing but τ (at most
/// [`LOCAL_TAU_LIMIT`]); returns how many.
fn settle(lts: &crate::lts::LeafLts, s: &mut u32, rng: &mut Rng, stop: &AtomicBool) -> u32 {
    let mut taken = 0;
    while taken < LOCAL_TAU_LIMIT {
        let groups = lts.groups_of(*s);
        let [g] = groups else { break };
        if g.event != TAU || stop.load(Ordering::Relaxed) {
            break;
        }
        let ts = &lts.transitions[g.start as usize..g.end as usize];
        *s = ts[rng.below(ts.len())].1;
        taken += 1;
    }
    taken
}

/// One recorded step: a rule, a thread's own τ steps, or the final ✓.
#[derive(Clone, Copy)]
enum Rec {
    Rule(u32),
    Taus(u32, u32),
    FinalTick,
}

/// Why the arbiter stopped waiting for offers.
enum Halt {
    Timeout,
    Cancel,
    Gone,
}

/// The arbiter's state (lives on the calling thread).
struct Arbiter<'x, 'r, 'n, 'a> {
    rt: &'x Runtime<'a>,
    sh: &'x Shared<'r, 'n, 'a>,
    go: Vec<Sender<Cmd>>,
    offers: Receiver<Msg>,
    observer: Option<Observer<'a>>,
    /// A callback's panic, resumed on the caller's thread after the run.
    panic: Option<Box<dyn Any + Send>>,
    state: Vec<u32>,
    taus: Vec<u32>,
    busy: Vec<bool>,
    rng: Rng,
    steps: u64,
    internal: u64,
    trace: Vec<u32>,
    path: Vec<Rec>,
    deadline: Option<Instant>,
}

impl<'x, 'r, 'n, 'a> Arbiter<'x, 'r, 'n, 'a> {
    fn new(
        rt: &'x Runtime<'a>,
        sh: &'x Shared<'r, 'n, 'a>,
        go: Vec<Sender<Cmd>>,
        offers: Receiver<Msg>,
        observer: Option<Observer<'a>>,
    ) -> Self {
        let n = go.len();
        Arbiter {
            rt,
            sh,
            go,
            offers,
            observer,
            panic: None,
            state: vec![u32::MAX; n],
            taus: vec![0; n],
            busy: vec![false; n],
            rng: Rng::new(rt.seed, u64::MAX),
            steps: 0,
            internal: 0,
            trace: Vec::new(),
            path: Vec::new(),
            deadline: rt.timeout.map(|t| sh.start + t),
        }
    }

    /// Waits for the next message, watching the deadline and the cancel flag.
    fn wait(&self) -> Result<Msg, Halt> {
        loop {
            let slice = self
                .rt
                .cancel
                .as_ref()
                .map(|_| Instant::now() + Duration::from_millis(50));
            let until = match (self.deadline, slice) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let Some(until) = until else {
                return self.offers.recv().map_err(|_| Halt::Gone);
            };
            match self.offers.recv_deadline(until) {
                Ok(m) => return Ok(m),
                Err(RecvTimeoutError::Disconnected) => return Err(Halt::Gone),
                Err(RecvTimeoutError::Timeout) => {
                    if self.cancelled() {
                        return Err(Halt::Cancel);
                    }
                    if self.deadline.is_some_and(|d| Instant::now() >= d) {
                        return Err(Halt::Timeout);
                    }
                }
            }
        }
    }

    fn cancelled(&self) -> bool {
        self.rt
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::SeqCst))
    }

    fn timeout_outcome(&self) -> RunOutcome {
        RunOutcome::Timeout {
            seconds: self.rt.timeout.map_or(0.0, |t| t.as_secs_f64()),
        }
    }

    /// The main loop: rounds of collecting offers and dispatching events.
    fn run(&mut self) -> RunReport {
        let rules = self.sh.rules;
        let mut enabler = Enabler::new(rules);
        let mut observer = self.observer.take();
        let mut enabled: Vec<u32> = Vec::new();
        let mut previous: Vec<u32> = Vec::new();
        let mut since = vec![u64::MAX; rules.len()];
        let mut seen = vec![u64::MAX; rules.len()];
        let mut candidates: Vec<u32> = Vec::new();
        let mut round = 0u64;
        let mut pending = self.go.len();
        let mut followed = 0usize;
        let plan = self.rt.plan.as_ref();
        let outcome = 'run: loop {
            while pending > 0 {
                match self.wait() {
                    Ok(Msg::Offer { leaf, state, taus }) => {
                        self.state[leaf as usize] = state;
                        self.taus[leaf as usize] = taus;
                        pending -= 1;
                    }
                    Ok(Msg::Panicked(p)) => {
                        self.panic = Some(p);
                        break 'run RunOutcome::Interrupted;
                    }
                    Err(Halt::Timeout) => break 'run self.timeout_outcome(),
                    Err(Halt::Cancel) | Err(Halt::Gone) => break 'run RunOutcome::Interrupted,
                }
            }
            for i in 0..self.taus.len() {
                let t = std::mem::take(&mut self.taus[i]);
                if t > 0 {
                    self.internal += u64::from(t);
                    if self.rt.record {
                        self.path.push(Rec::Taus(i as u32, t));
                    }
                }
            }
            enabled.clear();
            enabler.enabled(rules, &self.state, &mut enabled);
            if enabled.is_empty() {
                if rules.final_tick(&self.state) {
                    self.final_tick(&mut observer);
                    break RunOutcome::Terminated;
                }
                if rules.all_omega(&self.state) {
                    break RunOutcome::Terminated;
                }
                break RunOutcome::Deadlock {
                    blocked: self.threads(),
                };
            }
            if self.cancelled() {
                break RunOutcome::Interrupted;
            }
            if self.deadline.is_some_and(|d| Instant::now() >= d) {
                break self.timeout_outcome();
            }
            if let Some(plan) = plan {
                match plan.steps.get(followed) {
                    Some(replay::Planned::Rule { rule, targets })
                        if enabled.binary_search(rule).is_ok() =>
                    {
                        self.dispatch(*rule, targets, &mut observer);
                        pending = targets.len();
                        followed += 1;
                        continue;
                    }
                    _ => {
                        break RunOutcome::Replayed {
                            followed: followed as u64,
                        }
                    }
                }
            }
            if self.rt.max_steps.is_some_and(|m| self.steps >= m) {
                break RunOutcome::StepLimit {
                    limit: self.rt.max_steps.unwrap_or(0),
                };
            }
            // Fairness bookkeeping: since when each enabled rule has waited.
            round += 1;
            for &k in &enabled {
                if since[k as usize] == u64::MAX {
                    since[k as usize] = round;
                }
                seen[k as usize] = round;
            }
            for &k in &previous {
                if seen[k as usize] != round {
                    since[k as usize] = u64::MAX;
                }
            }
            std::mem::swap(&mut previous, &mut enabled);
            // Pick events with idle participants until none is left.
            let mut targets: Vec<u32> = Vec::new();
            loop {
                candidates.clear();
                let mut oldest = u64::MAX;
                for &k in &previous {
                    if rules.threads(k).iter().any(|&l| self.busy[l as usize]) {
                        continue;
                    }
                    match self.rt.scheduler {
                        Scheduler::Random => candidates.push(k),
                        Scheduler::Fair => {
                            let s = since[k as usize];
                            if s < oldest {
                                oldest = s;
                                candidates.clear();
                            }
                            if s == oldest {
                                candidates.push(k);
                            }
                        }
                    }
                }
                if candidates.is_empty() {
                    break;
                }
                let k = candidates[self.rng.below(candidates.len())];
                targets.clear();
                for (l, local) in rules.parts(k) {
                    let ts = rules.targets(l, self.state[l as usize], local);
                    let pick = ts.get(self.rng.below(ts.len())).map_or(0, |&(_, t)| t);
                    targets.push(pick);
                }
                since[k as usize] = u64::MAX;
                self.dispatch(k, &targets, &mut observer);
                for &l in rules.threads(k) {
                    self.busy[l as usize] = true;
                }
                if self.rt.max_steps.is_some_and(|m| self.steps >= m) {
                    break;
                }
            }
            pending = 0;
            for b in &mut self.busy {
                if std::mem::take(b) {
                    pending += 1;
                }
            }
        };
        self.observer = observer;
        self.report(outcome)
    }

    /// Performs rule `k`: participants move to `targets` (in participant order).
    fn dispatch(&mut self, k: u32, targets: &[u32], observer: &mut Option<Observer<'a>>) {
        self.steps += 1;
        let rules = self.sh.rules;
        let threads = rules.threads(k);
        let result = rules.result[k as usize];
        if self.rt.record {
            if result != TAU {
                self.trace.push(result);
            }
            self.path.push(Rec::Rule(k));
        }
        if let Some(obs) = observer.as_mut() {
            let (event, hidden, _) = self.sh.describe(k);
            obs(&Occurrence {
                step: self.steps,
                event,
                hidden,
                threads,
                names: &self.sh.names,
                elapsed: self.sh.start.elapsed(),
            });
        }
        for (j, (&l, &target)) in threads.iter().zip(targets).enumerate() {
            let _ = self.go[l as usize].send(Cmd::Go {
                target,
                rule: k,
                step: self.steps,
                host: j == 0,
            });
        }
    }

    /// The network's final ✓ (every thread at Ω); its callbacks run here.
    fn final_tick(&mut self, observer: &mut Option<Observer<'a>>) {
        self.steps += 1;
        if self.rt.record {
            self.trace.push(TICK);
            self.path.push(Rec::FinalTick);
        }
        let all: Vec<u32> = (0..self.state.len() as u32).collect();
        let occ = Occurrence {
            step: self.steps,
            event: &self.sh.event_names[TICK as usize],
            hidden: None,
            threads: &all,
            names: &self.sh.names,
            elapsed: self.sh.start.elapsed(),
        };
        if let Some(obs) = observer.as_mut() {
            obs(&occ);
        }
        if !self.sh.by_event.is_empty() {
            if let Err(p) = self.sh.callbacks(TICK, &occ) {
                self.panic = Some(p);
            }
        }
    }

    /// Every thread's state and offer.
    fn threads(&self) -> Vec<ThreadState> {
        let rules = self.sh.rules;
        self.state
            .iter()
            .enumerate()
            .map(|(i, &s)| {
                let lts = rules.leaves[i];
                let state = if lts.omega == Some(s) {
                    "Ω (terminated)".to_string()
                } else {
                    match self.rt.forcer {
                        Some(f) => lts.describe_state(s, f),
                        None => format!("state {s}"),
                    }
                };
                let offers = if s < lts.num_states {
                    lts.groups_of(s)
                        .iter()
                        .map(|g| self.sh.event_names[g.event as usize].clone())
                        .collect()
                } else {
                    Vec::new()
                };
                ThreadState {
                    process: self.sh.names[i].clone(),
                    state,
                    offers,
                }
            })
            .collect()
    }

    fn report(&self, outcome: RunOutcome) -> RunReport {
        let names = &self.sh.event_names;
        let rules = self.sh.rules;
        let path = self
            .path
            .iter()
            .flat_map(|&r| {
                let steps: Vec<PathStep> = match r {
                    Rec::Rule(k) => {
                        let (event, hidden, _) = self.sh.describe(k);
                        vec![PathStep {
                            event: event.to_string(),
                            threads: rules.threads(k).to_vec(),
                            hidden: hidden.map(str::to_string),
                        }]
                    }
                    Rec::Taus(i, t) => (0..t)
                        .map(|_| PathStep {
                            event: names[TAU as usize].clone(),
                            threads: vec![i],
                            hidden: None,
                        })
                        .collect(),
                    Rec::FinalTick => vec![PathStep {
                        event: names[TICK as usize].clone(),
                        threads: (0..self.state.len() as u32).collect(),
                        hidden: None,
                    }],
                };
                steps
            })
            .collect();
        RunReport {
            seed: self.rt.seed,
            threads: self.sh.names.clone(),
            outcome,
            steps: self.steps,
            internal_steps: self.internal,
            trace: self
                .trace
                .iter()
                .map(|&e| names[e as usize].clone())
                .collect(),
            path,
        }
    }

    /// Ends the run: every thread stops after its current work.
    fn stop(&mut self) {
        self.sh.stop.store(true, Ordering::SeqCst);
        for g in &self.go {
            let _ = g.send(Cmd::Stop);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::matches_pattern;

    #[test]
    fn patterns_match_the_event_or_its_channel() {
        assert!(matches_pattern("eats.2", "eats.2"));
        assert!(matches_pattern("eats", "eats.2"));
        assert!(matches_pattern("picks.1", "picks.1.2"));
        assert!(!matches_pattern("eats", "eatsx.2"));
        assert!(!matches_pattern("eats.2", "eats.20"));
        assert!(!matches_pattern("eats.2", "eats"));
    }
}
