//! The parallel explorer against a plain sequential BFS on synthetic systems:
//! exact counts, determinism across thread counts, shortest deadlock paths,
//! τ-cycles.

use hoare::explore::{Explorer, TransitionSystem, TAU};
use std::collections::{HashMap, VecDeque};

/// A pseudo-random system: each state has 1..=3 successors chosen by hashing
/// it (rarely none: a deadlock).
struct RandomSystem {
    sizes: Vec<u32>,
    seed: u64,
    tau_percent: u64,
}

fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ceb9fe1a85ec53);
    x ^ (x >> 33)
}

impl TransitionSystem for RandomSystem {
    fn width(&self) -> usize {
        self.sizes.len()
    }
    fn component_sizes(&self) -> Vec<u32> {
        self.sizes.clone()
    }
    fn initial(&self) -> Vec<u32> {
        vec![0; self.sizes.len()]
    }
    fn successors(&self, state: &[u32], f: &mut dyn FnMut(u32, &[u32])) {
        let mut h = self.seed;
        for &c in state {
            h = mix(h ^ c as u64);
        }
        let n = if h % 500 == 0 { 0 } else { 1 + (h >> 7) % 3 };
        let mut next = state.to_vec();
        for k in 0..n {
            let r = mix(h.wrapping_add(k + 1));
            // Only the first five components move freely; wider ones follow
            // component 3, so the space stays small while states get wide.
            let i = (r % 5) as usize;
            next.copy_from_slice(state);
            next[i] = ((r >> 8) % self.sizes[i] as u64) as u32;
            for j in 5..next.len() {
                next[j] = (next[3] * 7919 * j as u32) % self.sizes[j];
            }
            let ev = if (r >> 40) % 100 < self.tau_percent {
                TAU
            } else {
                2 + (r >> 50) as u32 % 5
            };
            f(ev, &next);
        }
    }
    fn is_terminated(&self, state: &[u32]) -> bool {
        state.iter().all(|&c| c == 1)
    }
}

/// Reference: plain BFS with a HashMap.
fn naive(sys: &dyn TransitionSystem) -> (u64, u64, Option<usize>, HashMap<Vec<u32>, usize>) {
    let mut seen: HashMap<Vec<u32>, usize> = HashMap::new();
    let mut order = vec![sys.initial()];
    seen.insert(sys.initial(), 0);
    let mut queue = VecDeque::from([sys.initial()]);
    let mut transitions = 0;
    let mut deadlock_depth = None;
    let mut depth: HashMap<Vec<u32>, usize> = HashMap::from([(sys.initial(), 0)]);
    while let Some(s) = queue.pop_front() {
        let mut n = 0;
        let d = depth[&s];
        sys.successors(&s, &mut |_, t| {
            n += 1;
            if !seen.contains_key(t) {
                seen.insert(t.to_vec(), order.len());
                order.push(t.to_vec());
                depth.insert(t.to_vec(), d + 1);
                queue.push_back(t.to_vec());
            }
        });
        transitions += n;
        if n == 0 && !sys.is_terminated(&s) && deadlock_depth.is_none() {
            deadlock_depth = Some(d);
        }
    }
    (seen.len() as u64, transitions, deadlock_depth, depth)
}

#[test]
fn random_systems_match_naive_bfs_for_any_thread_count() {
    for seed in 0..60u64 {
        // Even seeds: 17-bit states (direct index); odd: 84-bit states (indirect).
        let sizes = if seed % 2 == 0 {
            vec![7, 5, 3, 130, 2]
        } else {
            vec![7, 5, 3, 130, 2, 1 << 20, 1 << 20, 1 << 20]
        };
        let sys = RandomSystem {
            sizes,
            seed,
            tau_percent: 20,
        };
        let (states, transitions, deadlock_depth, depth) = naive(&sys);
        let one = Explorer::new(&sys).jobs(1).run();
        assert_eq!(one.states, states, "seed {seed}");
        assert_eq!(one.transitions, transitions, "seed {seed}");
        assert_eq!(one.stopped, None);
        // Every stored state's BFS depth is its true distance.
        for id in 0..one.states as u32 {
            let s = one.state(id);
            assert_eq!(one.depth(id) as usize, depth[&s], "seed {seed} id {id}");
        }
        match (one.first_deadlock, deadlock_depth) {
            (Some(id), Some(d)) => {
                assert_eq!(one.depth(id) as usize, d);
                // The path replays: each step is a transition of the system.
                let path = one.path_to(&sys, id);
                assert_eq!(path.len(), d);
                let mut cur = sys.initial();
                for step in &path {
                    let target = one.state(step.state);
                    let mut ok = false;
                    sys.successors(&cur, &mut |ev, t| {
                        ok |= ev == step.event && t == target.as_slice()
                    });
                    assert!(ok, "seed {seed}: step {step:?} is not a transition");
                    cur = target;
                }
            }
            (None, None) => {}
            other => panic!("seed {seed}: deadlock mismatch {other:?}"),
        }
        check_divergence(&sys, &one, seed);
        for jobs in [2, 3] {
            let many = Explorer::new(&sys).jobs(jobs).run();
            assert_eq!(many.states, one.states);
            assert_eq!(many.transitions, one.transitions);
            assert_eq!(many.first_deadlock, one.first_deadlock);
            for id in 0..one.states as u32 {
                assert_eq!(
                    many.state(id),
                    one.state(id),
                    "numbering differs, seed {seed}"
                );
            }
            let d1 = one.find_divergence(&sys);
            let d2 = many.find_divergence(&sys);
            assert_eq!(d1, d2);
        }
    }
}

/// `find_divergence` against brute force: the lowest-numbered state from
/// which a τ-path returns to itself, and a shortest such cycle.
fn check_divergence<S: TransitionSystem>(sys: &S, ex: &hoare::explore::Exploration, seed: u64) {
    let n = ex.states as u32;
    let tau_succ = |id: u32| {
        let mut out = Vec::new();
        sys.successors(&ex.state(id), &mut |ev, t| {
            if ev == TAU {
                out.push(ex.lookup(t).expect("successor stored"));
            }
        });
        out
    };
    // Length of the shortest τ-cycle through s, by BFS.
    let shortest_cycle = |s: u32| -> Option<usize> {
        let mut dist: HashMap<u32, usize> = HashMap::from([(s, 0)]);
        let mut queue = VecDeque::from([s]);
        while let Some(v) = queue.pop_front() {
            for w in tau_succ(v) {
                if w == s {
                    return Some(dist[&v] + 1);
                }
                if !dist.contains_key(&w) {
                    dist.insert(w, dist[&v] + 1);
                    queue.push_back(w);
                }
            }
        }
        None
    };
    let expected = (0..n).find_map(|s| shortest_cycle(s).map(|len| (s, len)));
    let found = ex.find_divergence(sys);
    match (expected, &found) {
        (None, None) => {}
        (Some((s, len)), Some(d)) => {
            assert_eq!(d.state, s, "seed {seed}: lowest state on a τ-cycle");
            assert_eq!(d.cycle.len(), len, "seed {seed}: shortest cycle");
            let mut cur = s;
            for step in &d.cycle {
                assert_eq!(step.event, TAU);
                assert!(
                    tau_succ(cur).contains(&step.state),
                    "seed {seed}: not a τ-step"
                );
                cur = step.state;
            }
            assert_eq!(cur, s, "seed {seed}: the cycle returns");
        }
        other => panic!("seed {seed}: divergence mismatch {other:?}"),
    }
}

/// A random graph on `n` states without self-loops: τ-cycles of many lengths.
struct RandomGraph {
    n: u32,
    seed: u64,
}

impl TransitionSystem for RandomGraph {
    fn width(&self) -> usize {
        1
    }
    fn component_sizes(&self) -> Vec<u32> {
        vec![self.n]
    }
    fn initial(&self) -> Vec<u32> {
        vec![0]
    }
    fn successors(&self, state: &[u32], f: &mut dyn FnMut(u32, &[u32])) {
        let h = mix(self.seed ^ state[0] as u64);
        for k in 0..1 + h % 3 {
            let r = mix(h.wrapping_add(k + 1));
            let t = (state[0] + 1 + (r % (self.n as u64 - 1)) as u32) % self.n;
            let ev = if r >> 40 & 3 == 0 { TAU } else { 2 };
            f(ev, &[t]);
        }
    }
    fn is_terminated(&self, _: &[u32]) -> bool {
        false
    }
}

#[test]
fn divergences_are_the_lowest_state_on_a_shortest_tau_cycle() {
    let mut lengths = std::collections::BTreeSet::new();
    for seed in 0..80u64 {
        let sys = RandomGraph { n: 400, seed };
        let one = Explorer::new(&sys).jobs(1).run();
        check_divergence(&sys, &one, seed);
        if let Some(d) = one.find_divergence(&sys) {
            lengths.insert(d.cycle.len());
        }
        let two = Explorer::new(&sys).jobs(2).run();
        assert_eq!(two.find_divergence(&sys), one.find_divergence(&sys));
    }
    assert!(lengths.len() >= 3, "cycle lengths covered: {lengths:?}");
}

/// A ring counter per component: exactly the product of the sizes.
struct Odometer(Vec<u32>);

impl TransitionSystem for Odometer {
    fn width(&self) -> usize {
        self.0.len()
    }
    fn component_sizes(&self) -> Vec<u32> {
        self.0.clone()
    }
    fn initial(&self) -> Vec<u32> {
        vec![0; self.0.len()]
    }
    fn successors(&self, state: &[u32], f: &mut dyn FnMut(u32, &[u32])) {
        let mut next = state.to_vec();
        for i in 0..state.len() {
            next.copy_from_slice(state);
            next[i] = (state[i] + 1) % self.0[i];
            f(2 + i as u32, &next);
        }
    }
    fn is_terminated(&self, _: &[u32]) -> bool {
        false
    }
}

#[test]
fn odometer_has_product_of_sizes_states() {
    let sys = Odometer(vec![7, 3, 11, 5, 2]);
    let ex = Explorer::new(&sys).jobs(2).run();
    assert_eq!(ex.states, 7 * 3 * 11 * 5 * 2);
    assert_eq!(ex.transitions, ex.states * 5);
    assert_eq!(ex.first_deadlock, None);
    assert_eq!(ex.find_divergence(&sys), None);
    // Widest distance: sum of (size - 1).
    assert_eq!(ex.levels, 6 + 2 + 10 + 4 + 1 + 1);
}

#[test]
fn state_limit_stops_with_partial_counts() {
    let sys = Odometer(vec![100, 100, 100]);
    let ex = Explorer::new(&sys).jobs(2).max_states(5_000).run();
    assert!(matches!(
        ex.stopped,
        Some(hoare::explore::StopReason::StateLimit(5_000))
    ));
    assert!(ex.states > 5_000 && ex.states < 1_000_000);
}

/// 0 -a-> 1 -τ-> 2 -τ-> 3 -τ-> 1, and 0 -b-> 4 (deadlock).
struct Lasso;

impl TransitionSystem for Lasso {
    fn width(&self) -> usize {
        1
    }
    fn component_sizes(&self) -> Vec<u32> {
        vec![5]
    }
    fn initial(&self) -> Vec<u32> {
        vec![0]
    }
    fn successors(&self, s: &[u32], f: &mut dyn FnMut(u32, &[u32])) {
        match s[0] {
            0 => {
                f(2, &[1]);
                f(3, &[4]);
            }
            1 => f(TAU, &[2]),
            2 => f(TAU, &[3]),
            3 => f(TAU, &[1]),
            _ => {}
        }
    }
    fn is_terminated(&self, _: &[u32]) -> bool {
        false
    }
}

#[test]
fn lasso_divergence_and_deadlock() {
    let ex = Explorer::new(&Lasso).jobs(1).run();
    assert_eq!(ex.states, 5);
    assert_eq!(ex.transitions, 5);
    let dead = ex.first_deadlock.expect("state 4 deadlocks");
    assert_eq!(ex.state(dead), vec![4]);
    let div = ex.find_divergence(&Lasso).expect("τ-cycle 1-2-3");
    assert_eq!(ex.state(div.state), vec![1]);
    assert_eq!(
        div.path.iter().map(|s| s.event).collect::<Vec<_>>(),
        vec![2]
    );
    let cyc: Vec<Vec<u32>> = div.cycle.iter().map(|s| ex.state(s.state)).collect();
    assert_eq!(cyc, vec![vec![2], vec![3], vec![1]]);
    // Cancelled (Ctrl-C) before it starts: no answer rather than a wrong one.
    let cancelled = std::sync::atomic::AtomicBool::new(true);
    assert_eq!(
        ex.find_divergence_until(&Lasso, &cancelled),
        Err(hoare::explore::divergence::Interrupted)
    );
    let running = std::sync::atomic::AtomicBool::new(false);
    assert_eq!(ex.find_divergence_until(&Lasso, &running), Ok(Some(div)));
}

/// A system that records the size of the thread pool each expansion runs on.
struct PoolWatch<S> {
    inner: S,
    pools: std::sync::Mutex<std::collections::BTreeSet<usize>>,
}

impl<S: TransitionSystem> TransitionSystem for PoolWatch<S> {
    fn width(&self) -> usize {
        self.inner.width()
    }
    fn component_sizes(&self) -> Vec<u32> {
        self.inner.component_sizes()
    }
    fn initial(&self) -> Vec<u32> {
        self.inner.initial()
    }
    fn successors(&self, s: &[u32], f: &mut dyn FnMut(u32, &[u32])) {
        let threads = rayon::current_num_threads();
        self.pools.lock().expect("not poisoned").insert(threads);
        self.inner.successors(s, f)
    }
    fn is_terminated(&self, s: &[u32]) -> bool {
        self.inner.is_terminated(s)
    }
}

#[test]
fn work_after_the_search_keeps_to_its_thread_count() {
    // The τ-graph and the counterexample paths are built in parallel after
    // the search: on the search's threads, not one per core.
    for jobs in [1, 3] {
        let sys = PoolWatch {
            inner: Lasso,
            pools: Default::default(),
        };
        let ex = Explorer::new(&sys).jobs(jobs).run();
        let div = ex.find_divergence(&sys).expect("τ-cycle 1-2-3");
        assert_eq!(div.path.len(), 1);
        let pools = sys.pools.lock().expect("not poisoned").clone();
        assert_eq!(pools.into_iter().collect::<Vec<_>>(), vec![jobs]);
    }
}

#[test]
fn wide_levels_split_into_rounds_keep_numbering() {
    // 3^14 = 4,782,969 states; the middle BFS levels hold over 262,144
    // states (a round here), so each is expanded in several rounds.
    let sys = Odometer(vec![3; 14]);
    let one = Explorer::new(&sys).jobs(1).round_states(1 << 18).run();
    let two = Explorer::new(&sys).jobs(2).round_states(1 << 18).run();
    let whole = Explorer::new(&sys).jobs(2).run();
    assert_eq!(whole.states, one.states);
    assert_eq!(one.states, 4_782_969);
    assert_eq!(one.transitions, 4_782_969 * 14);
    assert_eq!(one.levels, 29);
    let widest = one.level_sizes().into_iter().max().expect("levels");
    assert!(widest > 262_144, "widest level {widest}");
    for id in (0..one.states as u32).step_by(997) {
        assert_eq!(one.state(id), two.state(id));
        assert_eq!(one.state(id), whole.state(id));
        assert_eq!(one.depth(id), one.state(id).iter().sum::<u32>());
    }
}
