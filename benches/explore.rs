//! Explorer throughput on a hand-coded dining-philosophers-with-butler system
//! (the same transition system as ../shared/bench/phils.csp's BSYSTEM), so the
//! search engine can be measured on its own.
//!
//! `cargo bench --bench explore -- N [JOBS...]` prints states, transitions,
//! seconds, states/s and bytes/state (peak RSS) per thread count.

use hoare::explore::{Explorer, TransitionSystem};
use std::time::Instant;

struct Butler {
    n: u32,
}

impl TransitionSystem for Butler {
    fn width(&self) -> usize {
        2 * self.n as usize + 1
    }
    fn component_sizes(&self) -> Vec<u32> {
        let n = self.n as usize;
        let mut v = vec![7; n];
        v.extend(vec![3; n]);
        v.push(self.n);
        v
    }
    fn initial(&self) -> Vec<u32> {
        vec![0; self.width()]
    }
    fn successors(&self, s: &[u32], f: &mut dyn FnMut(u32, &[u32])) {
        let n = self.n as usize;
        let mut t = s.to_vec();
        let butler = 2 * n;
        for i in 0..n {
            let r = (i + 1) % n;
            let (fl, fr) = (n + i, n + r);
            t.copy_from_slice(s);
            match s[i] {
                0 if s[butler] < self.n - 1 => {
                    t[i] = 1;
                    t[butler] += 1;
                }
                1 if s[fl] == 0 => {
                    t[i] = 2;
                    t[fl] = 1;
                }
                2 if s[fr] == 0 => {
                    t[i] = 3;
                    t[fr] = 2;
                }
                3 => t[i] = 4,
                4 if s[fl] == 1 => {
                    t[i] = 5;
                    t[fl] = 0;
                }
                5 if s[fr] == 2 => {
                    t[i] = 6;
                    t[fr] = 0;
                }
                6 if s[butler] > 0 => {
                    t[i] = 0;
                    t[butler] -= 1;
                }
                _ => continue,
            }
            f(2 + i as u32, &t);
        }
    }
    fn is_terminated(&self, _: &[u32]) -> bool {
        false
    }
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let args: Vec<u32> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(8);
    let jobs: Vec<usize> = if args.len() > 1 {
        args[1..].iter().map(|&j| j as usize).collect()
    } else {
        vec![1, 2]
    };
    println!(
        "{:<14} {:>5} {:>12} {:>13} {:>8} {:>12} {:>11}",
        "model", "jobs", "states", "transitions", "seconds", "states/s", "bytes/state"
    );
    for j in jobs {
        let sys = Butler { n };
        let t = Instant::now();
        let ex = Explorer::new(&sys).jobs(j).run();
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{:<14} {:>5} {:>12} {:>13} {:>8.2} {:>12.0} {:>11.1}",
            format!("butler N={n}"),
            j,
            ex.states,
            ex.transitions,
            secs,
            ex.states as f64 / secs,
            peak_rss_kib() as f64 * 1024.0 / ex.states as f64
        );
    }
}
