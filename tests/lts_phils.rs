//! Exact state counts of the dining philosophers, built by hand as terms,
//! through the compiled network and through the reference explorer.

mod lts_support;

use hoare::eval::{EventSet, ProcRef, Value};
use hoare::explore::{Explorer, TransitionSystem};
use hoare::lts::{self, CompileOptions, Network};
use lts_support::*;
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

struct Chans {
    sits: Arc<hoare::eval::Head>,
    picks: Arc<hoare::eval::Head>,
    putsdown: Arc<hoare::eval::Head>,
    eats: Arc<hoare::eval::Head>,
    getsup: Arc<hoare::eval::Head>,
    n: i64,
}

impl Chans {
    fn new(n: i64) -> Chans {
        Chans {
            sits: chan(0, "sits", &[n]),
            picks: chan(1, "picks", &[n, n]),
            putsdown: chan(2, "putsdown", &[n, n]),
            eats: chan(3, "eats", &[n]),
            getsup: chan(4, "getsup", &[n]),
            n,
        }
    }
    fn right(&self, i: i64) -> i64 {
        (i + 1) % self.n
    }
    fn left(&self, i: i64) -> i64 {
        (i + self.n - 1) % self.n
    }
    fn phil_events(&self, i: i64) -> Vec<Value> {
        let r = self.right(i);
        vec![
            ev(&self.sits, &[i]),
            ev(&self.picks, &[i, i]),
            ev(&self.picks, &[i, r]),
            ev(&self.eats, &[i]),
            ev(&self.putsdown, &[i, r]),
            ev(&self.putsdown, &[i, i]),
            ev(&self.getsup, &[i]),
        ]
    }
    fn fork_events(&self, i: i64) -> Vec<Value> {
        let l = self.left(i);
        vec![
            ev(&self.picks, &[i, i]),
            ev(&self.picks, &[l, i]),
            ev(&self.putsdown, &[i, i]),
            ev(&self.putsdown, &[l, i]),
        ]
    }
    /// PHIL(i) = sits.i -> picks.i.i -> picks.i.(i+1) -> eats.i -> putsdown.i.(i+1) -> putsdown.i.i -> getsup.i -> PHIL(i)
    fn phil(&self, t: &mut Table, i: i64) -> ProcRef {
        let code = t.reserve(&format!("PHIL({i})"));
        let first = t.chain(&format!("PHIL({i})"), &self.phil_events(i), code);
        t.set(code, t.get(first));
        t.get(code)
    }
    /// FORK(i) = picks.i.i -> putsdown.i.i -> FORK(i) [] picks.(i-1).i -> putsdown.(i-1).i -> FORK(i)
    fn fork(&self, t: &mut Table, i: i64) -> ProcRef {
        let l = self.left(i);
        let code = t.reserve(&format!("FORK({i})"));
        let own = t.chain(
            "FORK",
            &[ev(&self.picks, &[i, i]), ev(&self.putsdown, &[i, i])],
            code,
        );
        let other = t.chain(
            "FORK",
            &[ev(&self.picks, &[l, i]), ev(&self.putsdown, &[l, i])],
            code,
        );
        t.set(code, ext(vec![t.get(own), t.get(other)]));
        t.get(code)
    }
}

/// `|| i @ [A(i)] P(i)` as a right fold of alphabetised parallels.
fn replicated_alpha(mut parts: Vec<(ProcRef, Vec<Value>)>) -> (ProcRef, Vec<Value>) {
    let (mut acc, mut alpha) = parts.pop().expect("nonempty");
    while let Some((p, a)) = parts.pop() {
        let union: Vec<Value> = a.iter().chain(alpha.iter()).cloned().collect();
        acc = apar(p, set(a), set(alpha), acc);
        alpha = union;
    }
    (acc, alpha)
}

fn interleave(parts: Vec<ProcRef>) -> ProcRef {
    parts.into_iter().reduce(inter).expect("nonempty")
}

/// PHILS [Union(AlphaP) || Union(AlphaF)] FORKS
fn alphabetised(n: i64) -> (ProcRef, Table) {
    let c = Chans::new(n);
    let mut t = Table::default();
    let phils: Vec<_> = (0..n)
        .map(|i| (c.phil(&mut t, i), c.phil_events(i)))
        .collect();
    let forks: Vec<_> = (0..n)
        .map(|i| (c.fork(&mut t, i), c.fork_events(i)))
        .collect();
    let (ps, pa) = replicated_alpha(phils);
    let (fs, fa) = replicated_alpha(forks);
    (apar(ps, set(pa), set(fa), fs), t)
}

/// (PHILS' [| {| picks, putsdown |} |] FORKS') [| {| sits, getsup |} |] BUTLER(0)
fn butler(n: i64) -> (ProcRef, Table) {
    let c = Chans::new(n);
    let mut t = Table::default();
    let phils = interleave((0..n).map(|i| c.phil(&mut t, i)).collect());
    let forks = interleave((0..n).map(|i| c.fork(&mut t, i)).collect());
    // BUTLER(m) = m < n-1 & sits?i -> BUTLER(m+1) [] m > 0 & getsup?i -> BUTLER(m-1)
    let codes: Vec<u32> = (0..n).map(|m| t.reserve(&format!("BUTLER({m})"))).collect();
    for m in 0..n {
        let sit = if m < n - 1 {
            ext((0..n)
                .map(|i| prefix(&ev(&c.sits, &[i]), codes[m as usize + 1]))
                .collect())
        } else {
            stop()
        };
        let up = if m > 0 {
            ext((0..n)
                .map(|i| prefix(&ev(&c.getsup, &[i]), codes[m as usize - 1]))
                .collect())
        } else {
            stop()
        };
        t.set(codes[m as usize], ext(vec![sit, up]));
    }
    let forks_sync: EventSet = set(all_events(&c.picks, &[n, n])
        .into_iter()
        .chain(all_events(&c.putsdown, &[n, n])));
    let butler_sync = set(all_events(&c.sits, &[n])
        .into_iter()
        .chain(all_events(&c.getsup, &[n])));
    (
        par(par(phils, forks_sync, forks), butler_sync, t.get(codes[0])),
        t,
    )
}

/// A plain BFS over the transition system: (states, transitions, deadlocks).
fn bfs(ts: &dyn TransitionSystem) -> (usize, usize, usize) {
    let mut seen: HashSet<Vec<u32>> = HashSet::from([ts.initial()]);
    let mut queue = VecDeque::from([ts.initial()]);
    let (mut transitions, mut deadlocks) = (0, 0);
    while let Some(s) = queue.pop_front() {
        let mut any = false;
        ts.successors(&s, &mut |_, t| {
            any = true;
            transitions += 1;
            if seen.insert(t.to_vec()) {
                queue.push_back(t.to_vec());
            }
        });
        if !any && !ts.is_terminated(&s) {
            deadlocks += 1;
        }
    }
    (seen.len(), transitions, deadlocks)
}

fn check(term: ProcRef, t: &Table, leaves: usize, states: usize, deadlocks: usize) -> Network {
    let net = lts::compile(term.clone(), t, &CompileOptions::default()).expect("compiles");
    assert_eq!(net.leaf_count(), leaves);
    let (s, tr, d) = bfs(&net);
    assert_eq!((s, d), (states, deadlocks));
    let r = lts::explore_reference(&term, t, 100_000).expect("reference");
    assert_eq!(r.lts.num_states(), states);
    assert_eq!(r.lts.num_transitions(), tr);
    assert_eq!(r.lts.deadlocks().len(), deadlocks);
    net
}

#[test]
fn alphabetised_philosophers_4() {
    let (term, t) = alphabetised(4);
    let net = check(term, &t, 8, 1_296, 1);
    assert_eq!(net.leaf(0).map(|l| l.num_states), Some(7));
    assert_eq!(net.component_sizes(), [7, 7, 7, 7, 3, 3, 3, 3]);
}

#[test]
fn alphabetised_philosophers_5() {
    let (term, t) = alphabetised(5);
    check(term, &t, 10, 7_774, 1);
}

#[test]
fn butler_philosophers_4() {
    let (term, t) = butler(4);
    check(term, &t, 9, 753, 0);
}

#[test]
fn butler_philosophers_5() {
    let (term, t) = butler(5);
    let net = check(term, &t, 11, 5_151, 0);
    // Leaves with equal terms share one LTS; here every leaf differs.
    assert_eq!(net.distinct_leaf_count(), 11);
    let names: Vec<String> = (0..4).map(|e| net.events().name(e)).collect();
    assert_eq!(names, ["τ", "✓", "sits.0", "picks.0.0"]);
    let desc = net.describe_state(&net.initial(), &t);
    assert_eq!(desc[0], "sits.0 -> PHIL(0)#1");
    assert_eq!(desc[10], "((sits.0 -> BUTLER(1) [] sits.1 -> BUTLER(1) [] sits.2 -> BUTLER(1) [] sits.3 -> BUTLER(1) [] sits.4 -> BUTLER(1)) [] STOP)");
}

/// The explorer prunes diamonds on this network (most of its transitions
/// are counted, not generated) and still finds every state and transition.
#[test]
fn butler_philosophers_5_explored_with_diamond_pruning() {
    let (term, t) = butler(5);
    let net = lts::compile(term, &t, &CompileOptions::default()).expect("compiles");
    let (states, transitions, _) = bfs(&net);
    for jobs in [1, 2] {
        let ex = Explorer::new(&net).jobs(jobs).run();
        assert_eq!(ex.states as usize, states);
        assert_eq!(ex.transitions as usize, transitions);
        assert_eq!((ex.pruned, transitions), (12_001, 20_165));
    }
}
