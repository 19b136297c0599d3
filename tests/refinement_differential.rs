//! Differential test: refinement and determinism verdicts against a small
//! oracle over the reference semantics, on thousands of generated
//! specification / implementation pairs.
//!
//! The oracle explores both terms with the reference explorer and compares,
//! trace by trace up to length `DEPTH`: trace inclusion (T), refusals of
//! every stable (or terminating) state (F), and divergence with everything
//! allowed after the specification diverges (FD); determinism is checked as
//! "after no trace can an event be both possible and refused". A violation
//! the oracle finds must make the check fail; every counterexample the check
//! reports must be a real violation in the oracle's terms (and the check's
//! verdicts must not depend on the thread count).

mod lts_support;

use hoare::check::determinism::check_determinism;
use hoare::check::refinement::{check_refinement, Checked, ViolationKind};
use hoare::check::CheckOptions;
use hoare::eval::ProcRef;
use hoare::lts::{reference, CompileOptions, ExplicitLts, Label};
use hoare::syntax::ast::Model;
use lts_support::generate::cases;
use lts_support::*;
use std::collections::{BTreeMap, BTreeSet};

const CASES: u64 = 2_000;
const DEPTH: usize = 5;
const MAX_STATES: usize = 500;
const MAX_DEPTH: usize = 24;

/// A process explored by the reference explorer, with what the oracle asks.
struct Oracle {
    lts: ExplicitLts,
    /// τ-closed state sets after every trace up to `DEPTH`.
    after: BTreeMap<Vec<Label>, BTreeSet<u32>>,
    divergent: Vec<bool>,
}

impl Oracle {
    fn new(term: &ProcRef, t: &Table) -> Option<Oracle> {
        let lts = reference::explore_bounded(term, t, MAX_STATES, MAX_DEPTH)
            .ok()?
            .lts;
        Some(Oracle {
            after: lts.trace_states(DEPTH),
            divergent: lts.divergent_states(),
            lts,
        })
    }

    fn labels(&self, s: u32) -> Vec<Label> {
        self.lts.transitions[s as usize]
            .iter()
            .map(|&(e, _)| self.lts.events.label(e))
            .collect()
    }

    /// The states after `trace` (any length), τ-closed; empty if impossible.
    fn after_trace(&self, trace: &[Label]) -> BTreeSet<u32> {
        let mut set = self.lts.tau_closure(&BTreeSet::from([0]));
        for l in trace {
            let next: BTreeSet<u32> = set
                .iter()
                .flat_map(|&s| self.lts.transitions[s as usize].iter())
                .filter(|&&(e, _)| &self.lts.events.label(e) == l)
                .map(|&(_, t)| t)
                .collect();
            set = self.lts.tau_closure(&next);
        }
        set
    }

    /// Whether state `s` can refuse every event of `x` (FDR's ✓ rule: a
    /// state that can terminate may refuse everything but ✓).
    fn refuses(&self, s: u32, x: &BTreeSet<Label>) -> bool {
        let ls = self.labels(s);
        let stable = !ls.contains(&Label::Tau);
        let tick = ls.contains(&Label::Tick);
        (tick && !x.contains(&Label::Tick)) || (stable && ls.iter().all(|l| !x.contains(l)))
    }

    /// The maximal refusals of state `s` within `universe`.
    fn maximal_refusals(&self, s: u32, universe: &BTreeSet<Label>) -> Vec<BTreeSet<Label>> {
        let ls = self.labels(s);
        let mut out = Vec::new();
        if ls.contains(&Label::Tick) {
            out.push(
                universe
                    .iter()
                    .filter(|l| **l != Label::Tick)
                    .cloned()
                    .collect(),
            );
        }
        if !ls.contains(&Label::Tau) {
            out.push(
                universe
                    .iter()
                    .filter(|l| !ls.contains(l))
                    .cloned()
                    .collect(),
            );
        }
        out
    }

    fn diverges(&self, set: &BTreeSet<u32>) -> bool {
        set.iter().any(|&s| self.divergent[s as usize])
    }

    fn universe(&self) -> BTreeSet<Label> {
        (0..self.lts.events.len() as u32)
            .map(|e| self.lts.events.label(e))
            .filter(|l| *l != Label::Tau)
            .chain([Label::Tick])
            .collect()
    }
}

/// Whether the oracle finds a violation of `spec [model= imp` up to `DEPTH`.
fn oracle_refinement_fails(spec: &Oracle, imp: &Oracle, model: Model) -> bool {
    let universe: BTreeSet<Label> = spec.universe().union(&imp.universe()).cloned().collect();
    for (t, iset) in &imp.after {
        if model == Model::FailuresDivergences
            && (0..=t.len()).any(|k| spec.after.get(&t[..k]).is_some_and(|s| spec.diverges(s)))
        {
            continue;
        }
        let Some(sset) = spec.after.get(t) else {
            return true;
        };
        if model == Model::FailuresDivergences && imp.diverges(iset) {
            return true;
        }
        if model != Model::Traces {
            for &i in iset {
                for x in imp.maximal_refusals(i, &universe) {
                    if !sset.iter().any(|&s| spec.refuses(s, &x)) {
                        return true;
                    }
                }
            }
        }
    }
    false
}

/// Whether the oracle finds nondeterminism (or, in FD, divergence) up to `DEPTH`.
fn oracle_nondeterministic(p: &Oracle, model: Model) -> bool {
    for (t, set) in &p.after {
        if model == Model::FailuresDivergences && p.diverges(set) {
            return true;
        }
        if t.len() == DEPTH {
            continue;
        }
        for l in p.universe() {
            let mut longer = t.clone();
            longer.push(l.clone());
            if p.after.contains_key(&longer)
                && set
                    .iter()
                    .any(|&s| p.refuses(s, &BTreeSet::from([l.clone()])))
            {
                return true;
            }
        }
    }
    false
}

/// Checks that a refinement counterexample is a real violation.
fn confirm_refinement(
    spec: &Oracle,
    imp: &Oracle,
    model: Model,
    c: &Checked,
) -> Result<(), String> {
    let Some(v) = &c.violation else {
        return Ok(());
    };
    let t = &v.trace;
    let iset = imp.after_trace(t);
    let sset = spec.after_trace(t);
    if iset.is_empty() || sset.is_empty() {
        return Err("the trace is not a trace of both processes".into());
    }
    if model == Model::FailuresDivergences
        && (0..=t.len()).any(|k| spec.diverges(&spec.after_trace(&t[..k])))
    {
        return Err("the specification diverges on the trace".into());
    }
    let ok = match v.kind {
        ViolationKind::Trace => {
            let mut longer = t.clone();
            longer.extend(v.event.clone());
            !imp.after_trace(&longer).is_empty() && spec.after_trace(&longer).is_empty()
        }
        ViolationKind::Refusal => {
            let x: BTreeSet<Label> = v.refusal.iter().cloned().collect();
            model != Model::Traces
                && iset.iter().any(|&i| imp.refuses(i, &x))
                && !sset.iter().any(|&s| spec.refuses(s, &x))
        }
        ViolationKind::Divergence => {
            model == Model::FailuresDivergences && imp.diverges(&iset) && !spec.diverges(&sset)
        }
        ViolationKind::Nondeterminism => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("not a violation: {v:?}"))
    }
}

/// Checks that a determinism counterexample is a real violation.
fn confirm_determinism(p: &Oracle, model: Model, c: &Checked) -> Result<(), String> {
    let Some(v) = &c.violation else {
        return Ok(());
    };
    let set = p.after_trace(&v.trace);
    let ok = match (v.kind, &v.event) {
        (ViolationKind::Nondeterminism, Some(a)) => {
            let mut longer = v.trace.clone();
            longer.push(a.clone());
            !p.after_trace(&longer).is_empty()
                && set
                    .iter()
                    .any(|&s| p.refuses(s, &BTreeSet::from([a.clone()])))
        }
        (ViolationKind::Divergence, None) => {
            model == Model::FailuresDivergences && p.diverges(&set)
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("not a violation: {v:?}"))
    }
}

/// Counts of what the comparison covered.
#[derive(Default, Debug)]
struct Coverage {
    pairs: usize,
    skipped: usize,
    /// Per model (T, F, FD): passes and each kind of failure.
    passes: [usize; 3],
    trace_failures: [usize; 3],
    refusal_failures: usize,
    divergence_failures: usize,
    deterministic: usize,
    nondeterministic: usize,
    det_divergent: usize,
}

const MODELS: [Model; 3] = [Model::Traces, Model::Failures, Model::FailuresDivergences];

fn options(jobs: usize) -> CheckOptions {
    CheckOptions::new()
        .jobs(jobs)
        .max_states(200_000)
        .compile_options(
            CompileOptions::default()
                .max_leaf_states(MAX_STATES)
                .max_term_depth(MAX_DEPTH),
        )
}

/// A specification / implementation pair over one table: random, or related
/// so that many refinements hold (`A |~| B [= A`, `A [= A`) and many fail in
/// interesting ways (`A [= A |~| B`, `A [= A [] B`, `A [= A \ {x}`).
fn pair(seed: u64) -> (ProcRef, ProcRef, Table) {
    let (tops, t) = cases(seed, 2);
    let (a, b) = (tops[0].clone(), tops[1].clone());
    let x = || set([lts_support::ev(&chan(0, "a", &[]), &[])]);
    let (spec, imp) = match seed % 7 {
        0 => (a, b),
        1 => (int(vec![a.clone(), b]), a),
        2 => (a.clone(), int(vec![a, b])),
        3 => (a.clone(), ext(vec![a, b])),
        4 => (ext(vec![a.clone(), b]), a),
        5 => (a.clone(), a),
        _ => (a.clone(), hide(a, x())),
    };
    (spec, imp, t)
}

/// True for the errors of a bound on compiling (a term nesting too deep, a
/// leaf with too many states), which the reference explorer may not hit.
fn too_big(error: &str) -> bool {
    if std::env::var("REFINE_DIFF_DEBUG").is_ok() {
        eprintln!("skipped: {error}");
    }
    error.contains("(term-depth)") || error.contains("(leaf-state-limit)")
}

fn compare(seed: u64, cov: &mut Coverage) {
    let (spec, imp, t) = pair(seed);
    let (Some(so), Some(io)) = (Oracle::new(&spec, &t), Oracle::new(&imp, &t)) else {
        cov.skipped += 1;
        return;
    };
    let jobs = 1 + (seed % 2) as usize;
    let what = || {
        let defs: Vec<String> = t
            .procs
            .iter()
            .enumerate()
            .map(|(i, p)| format!("T{i} = {p}"))
            .collect();
        format!(
            "seed {seed}: spec {spec}\n  impl {imp}\n  {}",
            defs.join("\n  ")
        )
    };
    let mut results = Vec::new();
    for (m, &model) in MODELS.iter().enumerate() {
        // Compiling a choice over networks into one leaf can exceed the
        // bounds the reference explorer kept: such pairs are skipped.
        let c = match check_refinement(&spec, model, &imp, &t, &options(jobs)) {
            Ok(c) => c,
            Err(e) if too_big(&e) => {
                cov.skipped += 1;
                return;
            }
            Err(e) => panic!("{model:?}: {e} for {}", what()),
        };
        let oracle_fails = oracle_refinement_fails(&so, &io, model);
        assert!(
            !(oracle_fails && c.holds),
            "{model:?}: the oracle finds a violation within {DEPTH} events, the check passes, for {}",
            what()
        );
        if let Err(e) = confirm_refinement(&so, &io, model, &c) {
            panic!("{model:?}: {e} for {}", what());
        }
        match c.violation.as_ref().map(|v| v.kind) {
            None => cov.passes[m] += 1,
            Some(ViolationKind::Trace) => cov.trace_failures[m] += 1,
            Some(ViolationKind::Refusal) => cov.refusal_failures += 1,
            Some(_) => cov.divergence_failures += 1,
        }
        results.push(c);
    }
    // Refinement is monotone in the models: FD fails => F or T fails or a
    // divergence; F fails => T fails or a refusal; T holds if F holds.
    if results[1].holds {
        assert!(results[0].holds, "F holds but T fails for {}", what());
    }
    for model in [Model::Failures, Model::FailuresDivergences] {
        let c = match check_determinism(&imp, model, &t, &options(jobs)) {
            Ok(c) => c,
            Err(e) if too_big(&e) => {
                cov.skipped += 1;
                return;
            }
            Err(e) => panic!("{model:?} determinism: {e} for {}", what()),
        };
        let oracle_fails = oracle_nondeterministic(&io, model);
        assert!(
            !(oracle_fails && c.holds),
            "{model:?} determinism: the oracle finds nondeterminism, the check passes, for {}",
            what()
        );
        if let Err(e) = confirm_determinism(&io, model, &c) {
            panic!("{model:?} determinism: {e} for {}", what());
        }
        match c.violation.as_ref().map(|v| v.kind) {
            None => cov.deterministic += 1,
            Some(ViolationKind::Divergence) => cov.det_divergent += 1,
            Some(_) => cov.nondeterministic += 1,
        }
        results.push(c);
    }
    // Same results on more threads.
    if seed % 10 == 0 {
        for (m, &model) in MODELS.iter().enumerate() {
            let again = check_refinement(&spec, model, &imp, &t, &options(3 - jobs));
            assert_eq!(
                again.as_ref(),
                Ok(&results[m]),
                "{model:?} jobs differ for {}",
                what()
            );
        }
    }
    cov.pairs += 1;
}

/// Compares the checks with the oracle on `seeds`, and asserts the cases
/// covered every verdict.
fn differential(seeds: std::ops::Range<u64>) {
    let mut cov = Coverage::default();
    let n = (seeds.end - seeds.start) as usize;
    for seed in seeds {
        compare(seed, &mut cov);
    }
    if std::env::var("REFINE_DIFF_DEBUG").is_ok() {
        eprintln!("{cov:?}");
    }
    assert!(
        cov.pairs >= n * 8 / 10,
        "only {} of {n} pairs compared",
        cov.pairs
    );
    for (m, model) in MODELS.iter().enumerate() {
        assert!(cov.passes[m] >= n / 5, "few passes in {model:?}: {cov:?}");
        assert!(
            cov.trace_failures[m] >= n / 10,
            "few trace failures in {model:?}: {cov:?}"
        );
    }
    assert!(
        cov.refusal_failures >= n / 10,
        "few refusal failures: {cov:?}"
    );
    assert!(
        cov.divergence_failures >= n / 50,
        "few divergence failures: {cov:?}"
    );
    assert!(cov.deterministic >= n / 5, "few deterministic: {cov:?}");
    assert!(
        cov.nondeterministic >= n / 5,
        "few nondeterministic: {cov:?}"
    );
    assert!(cov.det_divergent >= n / 50, "few divergent: {cov:?}");
}

// Two halves, so the test harness runs them in parallel.
#[test]
fn refinement_and_determinism_agree_with_oracle_first_half() {
    differential(0..CASES / 2);
}

#[test]
fn refinement_and_determinism_agree_with_oracle_second_half() {
    differential(CASES / 2..CASES);
}
