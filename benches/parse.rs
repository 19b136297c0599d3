//! Parser benchmark: generates a 5,000-line CSPM script (channels, datatypes,
//! functions, multi-line processes, assertions), parses it repeatedly and
//! prints the time per parse. Run with `cargo bench --bench parse`.

use hoare::syntax::parser::parse_module;
use hoare::syntax::FileId;
use std::fmt::Write as _;
use std::time::Instant;

/// A script of at least `lines` lines exercising most of the grammar.
fn script(lines: usize) -> String {
    let mut s = String::from("-- generated benchmark script\nN = 4\n");
    let mut i = 0;
    while s.matches('\n').count() < lines {
        let _ = write!(
            s,
            "channel c{i}, d{i} : {{0..N-1}}.Bool\n\
             datatype T{i} = A{i}.{{0..2}} | B{i} | C{i}.T{i}\n\
             f{i}(0) = 1\n\
             f{i}(n) = n * f{i}(n - 1) + {i} % 7\n\
             g{i}(<>) = 0\n\
             g{i}(<x>^xs) = x + g{i}(xs)\n\
             S{i} = {{ x * 2 | x <- {{0..N}}, x % 2 == 0 }}\n\
             P{i}(x) = c{i}?y:{{0..N-1}}!true -> P{i}((x + y) % N)\n\
             \x20 [] x > 0 & d{i}.x.false -> STOP\n\
             \x20 |~| ([] z : {{0..2}} @ c{i}.z.false -> SKIP) ; P{i}(0)\n\
             Q{i} = let\n\
             \x20   h(a, b) = if a < b then a else b\n\
             \x20 within (P{i}(h(1, 2)) [| {{| c{i} |}} |] P{i}(0)) \\ {{| d{i} |}}\n\
             assert Q{i} :[deadlock free [F]]\n\
             assert P{i}(0) [T= P{i}(1)\n\n"
        );
        i += 1;
    }
    s
}

fn main() {
    let text = script(5_000);
    let lines = text.lines().count();
    // Warm up and check the script is valid.
    let module = match parse_module(&text, FileId(0)) {
        Ok(m) => m,
        Err(ds) => {
            eprintln!("generated script does not parse: {}", ds[0].message);
            std::process::exit(1);
        }
    };
    let runs: u32 = std::env::var("PARSE_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(20);
    let start = Instant::now();
    for _ in 0..runs {
        let m = parse_module(&text, FileId(0));
        std::hint::black_box(&m);
    }
    let per = start.elapsed().as_secs_f64() * 1000.0 / runs as f64;
    println!(
        "parse: {lines} lines, {} bytes, {} declarations: {per:.1} ms per parse ({:.1} MB/s)",
        text.len(),
        module.decls.len(),
        text.len() as f64 / 1e6 / (per / 1000.0)
    );
}
