//! Front-end throughput: parse + resolve + evaluate every global of a
//! generated 5,000-line script. Prints milliseconds (no timing assertions).
//!
//! Run: `cargo bench --bench eval`.

use hoare::eval::{with_big_stack, Evaluator, Value};
use hoare::syntax::load::load_str;
use std::fmt::Write;
use std::time::Instant;

/// A script of `groups` blocks of 6 lines each: a channel, a recursive
/// function (2 clauses), a recursive process with an input, a
/// comprehension, a process function.
fn script(groups: usize) -> String {
    let mut s = String::new();
    for i in 0..groups {
        let _ = writeln!(s, "channel ch{i} : {{0..3}}.Bool");
        let _ = writeln!(s, "f{i}(0) = {i}");
        let _ = writeln!(s, "f{i}(n) = f{i}(n - 1) + (n % 3)");
        let _ = writeln!(
            s,
            "P{i} = ch{i}?x!(x % 2 == 0) -> (if x > 1 then P{i} else Q{i}(f{i}(5)))"
        );
        let _ = writeln!(
            s,
            "S{i} = {{ x * {i} + f{i}(x) | x <- {{0..10}}, x % 2 == 0 }}"
        );
        let _ = writeln!(s, "Q{i}(k) = ch{i}.(k % 4).true -> STOP");
    }
    s
}

fn main() {
    let text = script(834);
    let lines = text.lines().count();
    let runs = 5;
    let mut best = (f64::MAX, 0.0, 0.0, 0.0);
    let mut globals = 0;
    for _ in 0..runs {
        let t = text.clone();
        let (ms, n) = with_big_stack(move || {
            let start = Instant::now();
            let ms = |t: Instant| t.elapsed().as_secs_f64() * 1000.0;
            let loaded = match load_str("bench.csp", &t) {
                Ok(l) => l,
                Err(e) => panic!(
                    "load failed: {:?}",
                    e.diagnostics.first().map(|d| &d.message)
                ),
            };
            let parsed = ms(start);
            let t1 = Instant::now();
            let ev = match Evaluator::new(&loaded) {
                Ok(ev) => ev,
                Err(d) => panic!("static errors: {:?}", d.first().map(|d| &d.message)),
            };
            let resolved = ms(t1);
            let t2 = Instant::now();
            let mut n = 0;
            for (name, _) in ev.global_names() {
                match ev.global(name) {
                    Some(Ok(Value::Proc(_) | Value::Set(_))) => n += 1,
                    Some(Ok(_)) => {}
                    other => panic!("{name}: {other:?}"),
                }
            }
            ((ms(start), parsed, resolved, ms(t2)), n)
        });
        if ms.0 < best.0 {
            best = ms;
        }
        globals = n;
    }
    println!(
        "eval: parse + resolve + evaluate {globals} globals of a {lines}-line script: {:.1} ms \
         (parse {:.1}, resolve {:.1}, evaluate {:.1}; best of {runs})",
        best.0, best.1, best.2, best.3
    );
}
