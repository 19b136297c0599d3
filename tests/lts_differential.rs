//! Differential test: the compiled network against the reference explorer
//! on thousands of generated processes over every operator.
//!
//! Each case is a small table of named terms (recursion goes through thunks
//! into the table, see `lts_support::generate`) and a top term. Both engines must agree on traces up to
//! length 6, on what stable states offer after each of those traces, on
//! deadlock and on divergence; without termination inside a network they
//! must also have exactly the same number of states.

mod lts_support;

use hoare::explore::codec::StateCodec;
use hoare::explore::system::NO_VIA;
use hoare::explore::{Explorer, TransitionSystem, TICK};
use hoare::lts::{self, CompileOptions, ExplicitLts};
use lts_support::generate::case;
use std::collections::HashMap;

const CASES: u64 = 3_000;
const DEPTH: usize = 6;
const MAX_STATES: usize = 1_000;
const MAX_DEPTH: usize = 24;

/// What a compared case covered.
#[derive(Default)]
struct Coverage {
    compared: usize,
    too_big: usize,
    /// Networks of several leaves.
    networks: usize,
    /// Networks of several leaves some of which terminate.
    terminating_networks: usize,
    /// Cases with a divergence / a deadlock.
    divergent: usize,
    deadlocking: usize,
    states: usize,
    /// Transitions the packed successor function pruned.
    pruned: u64,
}

fn compare(seed: u64, cov: &mut Coverage) {
    let (term, t) = case(seed);
    let options = CompileOptions::default()
        .max_leaf_states(MAX_STATES)
        .max_term_depth(MAX_DEPTH);
    let (Ok(r), Ok(net)) = (
        lts::reference::explore_bounded(&term, &t, MAX_STATES, MAX_DEPTH),
        lts::compile(term.clone(), &t, &options),
    ) else {
        cov.too_big += 1;
        return;
    };
    let n = ExplicitLts::from_system(&net, net.events(), 4 * MAX_STATES)
        .expect("network no bigger than its term");
    let r = r.lts;
    let what = || {
        let defs: Vec<String> = t
            .procs
            .iter()
            .enumerate()
            .map(|(i, p)| format!("T{i} = {p}"))
            .collect();
        format!("seed {seed}: {term}\n  {}", defs.join("\n  "))
    };
    assert_eq!(
        n.traces(DEPTH),
        r.traces(DEPTH),
        "traces differ for {}",
        what()
    );
    assert_eq!(
        n.stable_initials(DEPTH),
        r.stable_initials(DEPTH),
        "stable initials differ for {}",
        what()
    );
    assert_eq!(
        n.deadlocks().is_empty(),
        r.deadlocks().is_empty(),
        "deadlock differs for {}",
        what()
    );
    assert_eq!(
        n.has_divergence(),
        r.has_divergence(),
        "divergence differs for {}",
        what()
    );
    cov.pruned += same_packed_successors(
        &net,
        n.num_states(),
        n.num_transitions(),
        n.has_divergence(),
        &what,
    );
    let leaf_ticks =
        (0..net.leaf_count()).any(|i| net.leaf(i).is_some_and(|l| l.alphabet.contains(&TICK)));
    if !leaf_ticks || net.leaf_count() == 1 {
        same_terms_as_network(&net, &term, &t, &what);
    }
    if !leaf_ticks || net.leaf_count() == 1 {
        assert_eq!(
            n.num_states(),
            r.num_states(),
            "state counts differ for {}",
            what()
        );
    }
    cov.compared += 1;
    cov.networks += (net.leaf_count() > 1) as usize;
    cov.terminating_networks += (net.leaf_count() > 1 && leaf_ticks) as usize;
    cov.divergent += r.has_divergence() as usize;
    cov.deadlocking += !r.deadlocks().is_empty() as usize;
    cov.states += r.num_states();
}

/// BFS distances from the initial state by the plain successor function:
/// the reference for the explorer's levels.
fn plain_depths(net: &lts::network::Network) -> HashMap<Vec<u32>, u32> {
    let init = net.initial();
    let mut depth = HashMap::from([(init.clone(), 0)]);
    let mut level = vec![init];
    let mut d = 0;
    while !level.is_empty() {
        d += 1;
        let mut next = Vec::new();
        for s in &level {
            net.for_each_successor(s, |_, succ| {
                if !depth.contains_key(succ) {
                    depth.insert(succ.to_vec(), d);
                    next.push(succ.to_vec());
                }
            });
        }
        level = next;
    }
    depth
}

/// The explorer (which reads one-word states through the network's
/// delta-packing successor function, with diamond pruning) finds the states
/// and transitions of the plain successor function, each state at its BFS
/// distance, and a τ-cycle exactly when `divergent` (the explicit graph
/// has one); at every state the packed successors without a via are exactly
/// the plain ones packed, in the same order, and with the via of any of
/// them a subsequence of those, the rest counted as pruned. Returns the
/// number of transitions pruned.
fn same_packed_successors(
    net: &lts::network::Network,
    states: usize,
    transitions: usize,
    divergent: bool,
    what: &dyn Fn() -> String,
) -> u64 {
    let ex = Explorer::new(net).jobs(1).run();
    let depths = plain_depths(net);
    assert_eq!(depths.len(), states, "plain BFS states for {}", what());
    for id in 0..ex.states as u32 {
        let state = ex.state(id);
        assert_eq!(
            Some(&ex.depth(id)),
            depths.get(&state),
            "BFS level of {state:?} for {}",
            what()
        );
    }
    assert_eq!(ex.states as usize, states, "explorer states for {}", what());
    // The explorer's τ-cycle search (over the packed successor function for
    // one-word states) agrees with the explicit graph's.
    assert_eq!(
        ex.find_divergence(net).is_some(),
        divergent,
        "explorer divergence for {}",
        what()
    );
    assert_eq!(
        ex.transitions as usize,
        transitions,
        "explorer transitions for {}",
        what()
    );
    let codec = StateCodec::new(&net.component_sizes());
    if codec.words() != 1 {
        return 0;
    }
    let mut pruned = 0;
    for id in 0..ex.states as u32 {
        let state = ex.state(id);
        let (mut plain, mut packed) = (Vec::new(), Vec::new());
        net.for_each_successor(&state, |e, succ| plain.push((e, codec.pack_word(succ))));
        // The scratch room starts with junk: the packed function must not
        // read it before writing it.
        let mut scratch = vec![u32::MAX; state.len()];
        let mut vias = Vec::new();
        let none = net.for_each_packed_successor(
            codec.pack_word(&state),
            NO_VIA,
            &codec,
            &mut scratch,
            |e, w, via| {
                packed.push((e, w));
                vias.push((w, via));
            },
        );
        assert_eq!(none.transitions, 0, "pruned without a via for {}", what());
        assert_eq!(
            packed,
            plain,
            "packed successors of {state:?} for {}",
            what()
        );
        // Each successor expanded as if first reached by its move.
        for (word, via) in vias {
            let mut succ = vec![0; state.len()];
            codec.unpack(&[word], &mut succ);
            let mut full = Vec::new();
            net.for_each_successor(&succ, |e, s| full.push((e, codec.pack_word(s))));
            let mut kept = Vec::new();
            let p = net.for_each_packed_successor(word, via, &codec, &mut scratch, |e, w, _| {
                kept.push((e, w))
            });
            let mut rest = full.iter();
            assert!(
                kept.iter().all(|k| rest.any(|f| f == k)),
                "pruned successors of {succ:?} by {via} not a subsequence for {}",
                what()
            );
            assert_eq!(
                kept.len() as u64 + p.transitions,
                full.len() as u64,
                "pruned count of {succ:?} for {}",
                what()
            );
            let taus = |v: &[(u32, u64)]| v.iter().filter(|(e, _)| *e == 0).count() as u64;
            assert_eq!(taus(&kept) + p.taus, taus(&full), "pruned τ for {}", what());
            pruned += p.transitions;
        }
    }
    pruned
}

/// Without termination inside a network, each network state is a term of
/// the reference semantics (`Network::term_of`), and every network
/// transition is a transition between those terms: what lets
/// counterexamples be replayed state by state.
fn same_terms_as_network(
    net: &lts::network::Network,
    term: &hoare::eval::ProcRef,
    forcer: &dyn lts::Forcer,
    what: &dyn Fn() -> String,
) {
    let ex = Explorer::new(net).jobs(1).run();
    assert_eq!(
        net.term_of(&ex.state(0)).as_ref(),
        Some(term),
        "initial term for {}",
        what()
    );
    for id in 0..(ex.states as u32).min(200) {
        let state = ex.state(id);
        let from = net.term_of(&state).expect("a network state");
        let reference = lts::transitions(&from, forcer).expect("reference transitions");
        net.for_each_successor(&state, |e, succ| {
            let step = (
                net.events().label(e),
                net.term_of(succ).expect("a network state"),
            );
            assert!(
                reference.contains(&step),
                "network step {step:?} from {from} is not a term transition for {}",
                what()
            );
        });
    }
}

#[test]
fn network_agrees_with_reference_semantics() {
    let mut cov = Coverage::default();
    for seed in 0..CASES {
        compare(seed, &mut cov);
    }
    // The generator must mostly produce finite processes, and cover what matters.
    let n = CASES as usize;
    assert!(
        cov.compared >= n * 9 / 10,
        "only {} of {n} cases compared",
        cov.compared
    );
    assert!(
        cov.networks >= n / 3,
        "only {} networks of several leaves",
        cov.networks
    );
    assert!(
        cov.terminating_networks >= n / 10,
        "only {} terminating networks",
        cov.terminating_networks
    );
    assert!(
        cov.divergent >= n / 10,
        "only {} divergent cases",
        cov.divergent
    );
    assert!(
        cov.deadlocking >= n / 10,
        "only {} deadlocking cases",
        cov.deadlocking
    );
    assert!(
        cov.pruned >= 1_000,
        "only {} transitions pruned",
        cov.pruned
    );
    if std::env::var("LTS_DIFF_DEBUG").is_ok() {
        eprintln!(
            "compared {} (too big {}), networks {}, terminating networks {}, divergent {}, deadlocking {}, states {}, pruned {}",
            cov.compared, cov.too_big, cov.networks, cov.terminating_networks, cov.divergent, cov.deadlocking, cov.states, cov.pruned
        );
    }
}
