//! Runtime throughput: events per second of `hoare run` on the pipeline
//! producer → W workers → collector (bench/models/pipeline.csp's SYSTEM with a
//! larger J), next to a hand-written Rust program doing the same over
//! crossbeam channels (zero-capacity, i.e. synchronous like CSP events).
//!
//! `cargo bench --bench run -- [J] [W] [REPS]` (default 1000 3 20) prints, per
//! repetition and in total, events, seconds and events/s of both. (J is
//! bounded by compilation time: the pipeline's leaves offer J events each.)

use crossbeam_channel::{bounded, Receiver, Sender};
use hoare::check::load;
use hoare::eval::{with_big_stack, Value};
use hoare::lts::{compile, CompileOptions};
use hoare::run::Runtime;
use hoare::syntax::load::load_str;
use std::time::Instant;

fn arg(i: usize, default: u64) -> u64 {
    std::env::args()
        .filter(|a| !a.starts_with('-'))
        .nth(i)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

/// The spec's events: jobs.x, results.x, stop, done.
enum Job {
    Work(u64),
    Stop,
}
enum Out {
    Result(u64),
    Done,
}

/// The same pipeline by hand: returns the number of events (messages).
fn handwritten(j: u64, w: u64) -> u64 {
    let (jobs_tx, jobs_rx): (Sender<Job>, Receiver<Job>) = bounded(0);
    let (res_tx, res_rx): (Sender<Out>, Receiver<Out>) = bounded(0);
    std::thread::scope(|s| {
        s.spawn(move || {
            for x in 1..=j {
                jobs_tx.send(Job::Work(x)).ok();
            }
            for _ in 0..w {
                jobs_tx.send(Job::Stop).ok();
            }
        });
        for _ in 0..w {
            let (jobs, res) = (jobs_rx.clone(), res_tx.clone());
            s.spawn(move || {
                while let Ok(m) = jobs.recv() {
                    match m {
                        Job::Work(x) => res.send(Out::Result(x)).ok(),
                        Job::Stop => {
                            res.send(Out::Done).ok();
                            break;
                        }
                    };
                }
            });
        }
        let collector = s.spawn(move || {
            let (mut done, mut events, mut sum) = (0, 0u64, 0u64);
            while done < w {
                match res_rx.recv() {
                    Ok(Out::Result(x)) => {
                        sum += x;
                        events += 1;
                    }
                    Ok(Out::Done) => {
                        done += 1;
                        events += 1;
                    }
                    Err(_) => break,
                }
            }
            assert_eq!(sum, j * (j + 1) / 2, "every job's result arrives");
            events
        });
        // Every result/done pairs with one jobs/stop message.
        collector.join().unwrap_or(0) * 2
    })
}

fn main() {
    let (j, w, reps) = (arg(1, 1000), arg(2, 3), arg(3, 20));
    let text =
        std::fs::read_to_string("bench/models/pipeline.csp").expect("run from the crate root");
    let text: String = text
        .lines()
        .map(|l| {
            if l.starts_with("J = ") {
                format!("J = {j}")
            } else if l.starts_with("W = ") {
                format!("W = {w}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    println!("pipeline J={j} W={w}");
    with_big_stack(move || {
        let (_, ev) = load(load_str("pipeline.csp", &text)).unwrap_or_else(|e| panic!("{e}"));
        let Some(Ok(Value::Proc(term))) = ev.global("SYSTEM") else {
            panic!("SYSTEM is not a process")
        };
        let t = Instant::now();
        let net = compile(term, &ev, &CompileOptions::default()).expect("compiles");
        println!(
            "compiled: {} threads, {} rules, {:.2}s",
            net.leaf_count(),
            net.rules().len(),
            t.elapsed().as_secs_f64()
        );
        println!(
            "{:<26} {:>10} {:>9} {:>12}",
            "program", "events", "seconds", "events/s"
        );
        let mut totals = [(0u64, 0f64); 2];
        for _ in 0..reps {
            let t = Instant::now();
            let r = Runtime::new(&net)
                .seed(1)
                .record(false)
                .run()
                .expect("runs");
            let secs = t.elapsed().as_secs_f64();
            assert!(matches!(r.outcome, hoare::run::RunOutcome::Terminated));
            totals[0].0 += r.steps;
            totals[0].1 += secs;
            println!(
                "{:<26} {:>10} {:>9.3} {:>12.0}",
                "hoare run",
                r.steps,
                secs,
                r.steps as f64 / secs
            );
            let t = Instant::now();
            let events = handwritten(j, w);
            let secs = t.elapsed().as_secs_f64();
            totals[1].0 += events;
            totals[1].1 += secs;
            println!(
                "{:<26} {:>10} {:>9.3} {:>12.0}",
                "hand-written crossbeam",
                events,
                secs,
                events as f64 / secs
            );
        }
        for (name, (events, secs)) in ["hoare run: total", "hand-written: total"]
            .iter()
            .zip(totals)
        {
            println!(
                "{name:<26} {events:>10} {secs:>9.3} {:>12.0}",
                events as f64 / secs
            );
        }
    });
}
