//! Refinement throughput: a chain of N one-place buffers (the middle channels
//! hidden) against the N-place FIFO specification, in T, F and FD, and the
//! chain's determinism. The chain has 3^N states (each cell empty or holding
//! 0 or 1), every one a product state: N = 13 gives 1,594,323.
//!
//! `cargo bench --bench refinement -- [N] [JOBS...]` (default N = 13, jobs
//! 1 and 2) prints, per check and thread count, product states,
//! transitions, seconds (whole check: compile, normalise, search, and for FD
//! the divergence search) and product states/s.

use hoare::check::{check_file_with, CheckOptions};
use std::io::Write;

fn script(n: u32) -> String {
    format!(
        "N = {n}
Data = {{0, 1}}
channel c : {{0..N}}.Data
COPY(i) = c.i?x -> c.(i+1)!x -> COPY(i)
CHAIN = (|| i : {{0..N-1}} @ [{{| c.i, c.(i+1) |}}] COPY(i)) \\ {{| c.i | i <- {{1..N-1}} |}}
BUFF(s) = (#s < N & c.0?x -> BUFF(s ^ <x>)) [] (#s > 0 & c.N!head(s) -> BUFF(tail(s)))
assert BUFF(<>) [T= CHAIN
assert BUFF(<>) [F= CHAIN
assert BUFF(<>) [FD= CHAIN
assert CHAIN :[deterministic [F]]
"
    )
}

fn main() {
    let args: Vec<u32> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(13);
    let jobs: Vec<usize> = if args.len() > 1 {
        args[1..].iter().map(|&j| j as usize).collect()
    } else {
        vec![1, 2]
    };
    let path = std::env::temp_dir().join(format!(
        "hoare-refinement-bench-{}-{n}.csp",
        std::process::id()
    ));
    let written = std::fs::File::create(&path).and_then(|mut f| f.write_all(script(n).as_bytes()));
    if let Err(e) = written {
        eprintln!("cannot write {}: {e}", path.display());
        return;
    }
    println!(
        "{:<34} {:>5} {:>12} {:>13} {:>8} {:>12}",
        "check", "jobs", "states", "transitions", "seconds", "states/s"
    );
    for j in jobs {
        let options = CheckOptions::new().jobs(j);
        let (report, timing) = match check_file_with(&path, &options) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{}", e.render());
                break;
            }
        };
        for (a, secs) in report.assertions.iter().zip(&timing.seconds) {
            let states = a.states.unwrap_or(0);
            let name = a.assertion.trim_start_matches("assert ");
            println!(
                "{:<34} {:>5} {:>12} {:>13} {:>8.2} {:>12.0}   {:?}",
                format!("{name} (N={n})"),
                j,
                states,
                a.transitions.unwrap_or(0),
                secs,
                states as f64 / secs,
                a.result
            );
        }
    }
    let _ = std::fs::remove_file(&path);
}
