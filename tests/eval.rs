//! Evaluator tests: exact values of every built-in and operator, the
//! conformance fixtures (`tests/fixtures/eval/*.csp`, every `test*` global
//! must be `true`), error fixtures with snapshots of the rendered
//! diagnostics, and the shape of process terms.

use hoare::eval::{self, with_big_stack, Evaluator, Proc, ProcRef, Thunk, Value};
use hoare::syntax::diagnostic::render_all;
use hoare::syntax::load::{load_str, Loaded};
use hoare::syntax::SourceMap;
use std::path::Path;
use std::sync::Arc;

/// Loads `text` and runs `f` with its evaluator, on a big stack.
fn with_script<T: Send>(text: &str, f: impl FnOnce(&Evaluator, &Loaded) -> T + Send) -> T {
    with_big_stack(move || {
        let loaded = match load_str("test.csp", text) {
            Ok(l) => l,
            Err(e) => panic!("load failed:\n{}", render_all(&e.diagnostics, &e.sources)),
        };
        let ev = match Evaluator::new(&loaded) {
            Ok(ev) => ev,
            Err(d) => panic!("static errors:\n{}", render_all(&d, &loaded.sources)),
        };
        f(&ev, &loaded)
    })
}

/// The value of `expr` in the script, as CSPM text (panics on error).
fn show(ev: &Evaluator, loaded: &Loaded, expr: &str) -> String {
    let mut sources: SourceMap = loaded.sources.clone();
    match ev.eval_text(&mut sources, expr) {
        Ok(v) => v.to_string(),
        Err(d) => panic!("`{expr}` failed:\n{}", render_all(&d, &sources)),
    }
}

fn global(ev: &Evaluator, name: &str) -> Value {
    match ev.global(name) {
        Some(Ok(v)) => v,
        Some(Err(d)) => panic!("{name}: {}", render_all(&[d], ev.sources())),
        None => panic!("{name} is not defined"),
    }
}

fn proc_of(v: Value) -> ProcRef {
    match v {
        Value::Proc(p) => p,
        other => panic!("not a process: {other}"),
    }
}

fn force(ev: &Evaluator, t: &Thunk) -> ProcRef {
    match ev.force(t) {
        Ok(p) => p,
        Err(d) => panic!("force failed: {}", render_all(&[d], ev.sources())),
    }
}

const LIB: &str = "
channel a, b
channel c : {0..1}
channel d : {0..1}
datatype T = X | Y.{0..1}
";

#[test]
fn builtins_and_operators_have_exact_values() {
    let cases: &[(&str, &str)] = &[
        ("union({1}, {2})", "{1, 2}"),
        ("inter({1, 2}, {2, 3})", "{2}"),
        ("diff({1, 2}, {1})", "{2}"),
        ("Union({{1}, {2}})", "{1, 2}"),
        ("Inter({{1, 2}, {2, 3}})", "{2}"),
        ("member(1, {1})", "true"),
        ("card({1, 2, 2})", "2"),
        ("empty({})", "true"),
        ("set(<2, 1, 2>)", "{1, 2}"),
        ("Set({1, 2})", "{{}, {1}, {1, 2}, {2}}"),
        ("seq({2, 1})", "<1, 2>"),
        ("Seq({1})", "Seq({1})"),
        ("member(<1, 1>, Seq({1}))", "true"),
        ("length(<1, 2>)", "2"),
        ("null(<>)", "true"),
        ("head(<1, 2>)", "1"),
        ("tail(<1, 2>)", "<2>"),
        ("concat(<<1>, <2, 3>>)", "<1, 2, 3>"),
        ("elem(1, <1>)", "true"),
        ("productions(c)", "{c.0, c.1}"),
        ("extensions(c)", "{0, 1}"),
        ("mapFromList(<(1, 2)>)", "(| 1 => 2 |)"),
        ("mapLookup((| 1 => 2 |), 1)", "2"),
        ("mapMember((| 1 => 2 |), 3)", "false"),
        ("mapToList((| 2 => 3, 1 => 2 |))", "<(1, 2), (2, 3)>"),
        ("mapUpdate((| 1 => 2 |), 3, 4)", "(| 1 => 2, 3 => 4 |)"),
        ("mapDelete((| 1 => 2 |), 1)", "(||)"),
        ("emptyMap", "(||)"),
        ("show(<1>)", "\"<1>\""),
        ("STOP", "STOP"),
        ("SKIP", "SKIP"),
        ("DIV", "DIV"),
        ("CHAOS({a})", "CHAOS({a})"),
        ("RUN({| c |})", "RUN({c.0, c.1})"),
        ("Int", "Int"),
        ("Bool", "{false, true}"),
        ("Events", "{a, b, c.0, c.1, d.0, d.1}"),
        ("T", "{X, Y.0, Y.1}"),
        ("true", "true"),
        ("false", "false"),
        ("7 / 2", "3"),
        ("7 / (0-2)", "-4"),
        ("(0-7) / 2", "-4"),
        ("7 % (0-2)", "-1"),
        ("(0-7) % 3", "2"),
        ("(0-1) % 5", "4"),
        ("2 * 3", "6"),
        ("1 + 2", "3"),
        ("5 - 7", "-2"),
        ("-(3)", "-3"),
        ("1 == 1", "true"),
        ("1 != 1", "false"),
        ("1 < 2", "true"),
        ("2 <= 1", "false"),
        ("2 > 1", "true"),
        ("1 >= 2", "false"),
        ("{1} < {1, 2}", "true"),
        ("{1, 2} <= {1}", "false"),
        ("true and false", "false"),
        ("true or false", "true"),
        ("not true", "false"),
        ("<1> ^ <2>", "<1, 2>"),
        ("#<1, 2>", "2"),
        ("(1, 2)", "(1, 2)"),
        ("1.2", "1.2"),
        ("c.1", "c.1"),
        ("c", "c"),
        ("Y.1", "Y.1"),
        ("{1..3}", "{1, 2, 3}"),
        ("{3..}", "{3..}"),
        ("<1..3>", "<1, 2, 3>"),
        ("{x + 1 | x <- {1, 2}}", "{2, 3}"),
        ("<x | x <- <2, 1>>", "<2, 1>"),
        ("{| c |}", "{c.0, c.1}"),
        ("{| a, c.1 |}", "{a, c.1}"),
        ("if true then 1 else 2", "1"),
        ("let x = 1 within x + 1", "2"),
        ("(\\ x @ x)(3)", "3"),
        ("a -> STOP [] b -> STOP", "(a -> …#0 [] b -> …#1)"),
    ];
    with_script(LIB, |ev, loaded| {
        for (expr, want) in cases {
            let got = show(ev, loaded, expr);
            let got = if expr.contains("->") {
                // Thunk codes are numbered as expressions are resolved; normalise them.
                let mut n = 0;
                let mut out = String::new();
                for (i, part) in got.split("…#").enumerate() {
                    if i == 0 {
                        out.push_str(part);
                    } else {
                        let rest = part.trim_start_matches(|ch: char| ch.is_ascii_digit());
                        out.push_str(&format!("…#{n}{rest}"));
                        n += 1;
                    }
                }
                out
            } else {
                got
            };
            assert_eq!(&got, want, "value of `{expr}`");
        }
    });
}

/// Every `test*` global of every conformance fixture evaluates to `true`.
#[test]
fn conformance_fixtures_all_true() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eval");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "csp"));
    files.sort();
    assert!(files.len() >= 7, "fixtures missing in {}", dir.display());
    let mut total = 0;
    let mut failures = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (count, fails) = with_script(&text, |ev, _| {
            let mut count = 0;
            let mut fails = Vec::new();
            for (g, _) in ev.global_names() {
                if !g.starts_with("test") {
                    continue;
                }
                count += 1;
                match ev.global(g) {
                    Some(Ok(Value::Bool(true))) => {}
                    Some(Ok(v)) => fails.push(format!("{name}: {g} = {v}")),
                    Some(Err(d)) => {
                        fails.push(format!("{name}: {g}: {}", render_all(&[d], ev.sources())))
                    }
                    None => fails.push(format!("{name}: {g} missing")),
                }
            }
            (count, fails)
        });
        assert!(count > 0, "{name} has no test globals");
        total += count;
        failures.extend(fails);
    }
    assert!(
        failures.is_empty(),
        "failing conformance tests:\n{}",
        failures.join("\n")
    );
    assert!(total >= 120, "only {total} conformance tests ran");
}

/// Renders every error of a script: static errors, or else the error of
/// each global that fails to evaluate.
fn script_errors(name: &str, text: &str) -> String {
    let name = name.to_string();
    with_big_stack(move || {
        let loaded = match load_str(&name, text) {
            Ok(l) => l,
            Err(e) => return render_all(&e.diagnostics, &e.sources),
        };
        let ev = match Evaluator::new(&loaded) {
            Ok(ev) => ev,
            Err(d) => return render_all(&d, &loaded.sources),
        };
        let mut errs = Vec::new();
        for (g, _) in ev.global_names() {
            if let Some(Err(d)) = ev.global(g) {
                errs.push(d);
            }
        }
        render_all(&errs, &loaded.sources)
    })
}

#[test]
fn error_fixtures_snapshots() {
    insta::glob!("fixtures/eval_err/*.csp", |path| {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let rendered = script_errors(&name, &text);
        assert!(!rendered.is_empty(), "{name} produced no error");
        insta::assert_snapshot!(rendered);
    });
}

#[test]
fn static_errors_are_all_collected() {
    let text = "P = a -> Q\nx = lenght(<1>)\ny = Stop\nf(0) = 1\ng = 2\nf(n) = n\n";
    let out = script_errors("many.csp", text);
    for want in [
        "`a` is not defined",
        "`Q` is not defined",
        "`lenght` is not defined",
        "did you mean `length`?",
        "`Stop` is not defined",
        "did you mean `STOP`?",
        "`f` is defined twice",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
}

#[test]
fn prefix_input_expands_to_one_branch_per_value() {
    let text = "channel c : {0..3}\nchannel e : {0..3}\nP = c?x:{0,1} -> STOP\nQ = c?x -> e!x -> Q\nR = c$x:{0,1} -> STOP\nS = c?x:{2} -> STOP\n";
    with_script(text, |ev, _| {
        let p = proc_of(global(ev, "P"));
        let Proc::ExternalChoice(bs) = &*p else {
            panic!("{p}")
        };
        assert_eq!(bs.len(), 2);
        let (Proc::Prefix(e0, k0), Proc::Prefix(e1, k1)) = (&*bs[0], &*bs[1]) else {
            panic!("{p}")
        };
        assert_eq!(
            (e0.to_string(), e1.to_string()),
            ("c.0".into(), "c.1".into())
        );
        // x is unused: the continuations are the same thunk.
        assert_eq!(k0, k1);
        assert!(k0.env.is_empty());

        let q = proc_of(global(ev, "Q"));
        let Proc::ExternalChoice(bs) = &*q else {
            panic!("{q}")
        };
        assert_eq!(bs.len(), 4);
        let Proc::Prefix(_, k2) = &*bs[2] else {
            panic!("{q}")
        };
        assert_eq!(&*k2.env, &[Value::Int(2)]);
        assert_eq!(force(ev, k2).to_string().split(" -> ").next(), Some("e.2"));

        let r = proc_of(global(ev, "R"));
        assert!(
            matches!(&*r, Proc::InternalChoice(bs) if bs.len() == 2),
            "{r}"
        );
        let s = proc_of(global(ev, "S"));
        assert!(
            matches!(&*s, Proc::Prefix(e, _) if e.to_string() == "c.2"),
            "{s}"
        );
    });
}

#[test]
fn multi_field_inputs() {
    let text = "channel p : {0..1}.{0..1}\nA = p?x -> STOP\nB = p?x?y -> STOP\nC = p.1?y -> STOP\nD = p?x!x -> STOP\nE = p?x:{0.1, 1.1} -> STOP\n";
    with_script(text, |ev, _| {
        let count = |name: &str| match &*proc_of(global(ev, name)) {
            Proc::ExternalChoice(bs) => bs.len(),
            Proc::Prefix(..) => 1,
            other => panic!("{other}"),
        };
        assert_eq!(count("A"), 4);
        assert_eq!(count("B"), 4);
        assert_eq!(count("C"), 2);
        assert_eq!(count("D"), 2);
        assert_eq!(count("E"), 2);
        let d = proc_of(global(ev, "D"));
        let Proc::ExternalChoice(bs) = &*d else {
            panic!()
        };
        let evs: Vec<String> = bs
            .iter()
            .map(|b| match &**b {
                Proc::Prefix(e, _) => e.to_string(),
                _ => String::new(),
            })
            .collect();
        assert_eq!(evs, ["p.0.0", "p.1.1"]);
    });
}

const PHILS: &str = "
N = 3
PHILNAMES = {0..N-1}
channel thinks, sits, eats, getsup : PHILNAMES
channel picks, putsdown : PHILNAMES.PHILNAMES
PHIL(i) = thinks.i -> sits.i -> picks.i.i -> picks.i.((i+1)%N) -> eats.i
          -> putsdown.i.((i+1)%N) -> putsdown.i.i -> getsup.i -> PHIL(i)
FORK(i) = picks.i.i -> putsdown.i.i -> FORK(i)
       [] picks.((i-1)%N).i -> putsdown.((i-1)%N).i -> FORK(i)
BUTLER(j) = (j < N-1 & sits?i -> BUTLER(j+1)) [] (j > 0 & getsup?i -> BUTLER(j-1))
PHILS = ||| i : PHILNAMES @ PHIL(i)
FORKS = ||| i : PHILNAMES @ FORK(i)
SYSTEM = (PHILS [| {| picks, putsdown |} |] FORKS) [| {| sits, getsup |} |] BUTLER(0)
";

#[test]
fn phil_cycle_returns_to_the_same_term() {
    with_script(PHILS, |ev, loaded| {
        let start = proc_of(match ev.eval_text(&mut loaded.sources.clone(), "PHIL(0)") {
            Ok(v) => v,
            Err(d) => panic!("{d:?}"),
        });
        let mut p = start.clone();
        let mut trace = Vec::new();
        for _ in 0..8 {
            let Proc::Prefix(e, k) = &*p else {
                panic!("not a prefix: {p}")
            };
            trace.push(e.to_string());
            p = force(ev, k);
        }
        assert_eq!(
            trace,
            [
                "thinks.0",
                "sits.0",
                "picks.0.0",
                "picks.0.1",
                "eats.0",
                "putsdown.0.1",
                "putsdown.0.0",
                "getsup.0"
            ]
        );
        assert_eq!(
            p, start,
            "after the cycle PHIL(0) must be the identical term"
        );
        // FORK(0) picks from philosopher 2 via the floored (i-1)%N.
        let fork = show(ev, loaded, "FORK(0)");
        assert!(fork.contains("picks.2.0"), "{fork}");
    });
}

#[test]
fn butler_term() {
    with_script(PHILS, |ev, loaded| {
        let b = proc_of(
            ev.eval_text(&mut loaded.sources.clone(), "BUTLER(0)")
                .unwrap_or_else(|d| panic!("{d:?}")),
        );
        let Proc::ExternalChoice(bs) = &*b else {
            panic!("{b}")
        };
        // sits.0, sits.1, sits.2; the STOP of the false guard is dropped.
        assert_eq!(bs.len(), 3, "{b}");
        let mut konts = Vec::new();
        for (i, br) in bs.iter().enumerate() {
            let Proc::Prefix(e, k) = &**br else {
                panic!("{b}")
            };
            assert_eq!(e.to_string(), format!("sits.{i}"));
            konts.push(k.clone());
        }
        // i is unused after the prefix: one shared continuation capturing j = 0.
        assert!(konts.iter().all(|k| *k == konts[0]));
        assert_eq!(&*konts[0].env, &[Value::Int(0)]);
        assert_eq!(ev.describe_thunk(&konts[0]), "BUTLER(j+1) [j = 0]");
        let b1 = force(ev, &konts[0]);
        assert_eq!(b1.to_string().matches("sits.").count(), 3);
        assert_eq!(b1.to_string().matches("getsup.").count(), 3);
        // The whole system evaluates to nested parallel terms.
        let sys = proc_of(global(ev, "SYSTEM"));
        assert!(
            matches!(&*sys, Proc::Parallel(_, a, _) if a.len() == 6),
            "{sys}"
        );
    });
}

#[test]
fn replicated_operators() {
    let text = "
channel c : {0..2}
channel l, r : {0..1}
P(i) = c.i -> SKIP
E = [] i : {} @ P(i)
One = [] i : {1} @ P(i)
Ext = [] i : {0, 1} @ P(i)
Int2 = |~| i : {0, 1} @ P(i)
Il = ||| i : {0, 1, 2} @ P(i)
IlE = ||| i : {} @ P(i)
Par = [| {c.0} |] i : {0, 1} @ P(i)
Alpha = || i : {0, 1, 2} @ [{c.i}] P(i)
Sq = ; i : <2, 0, 1> @ P(i)
SqE = ; i : <> @ P(i)
B(x) = l.x -> r.x -> B(x)
Chain = [r <-> l] i : <0, 1> @ B(i)
";
    with_script(text, |ev, _| {
        let s = |n: &str| proc_of(global(ev, n)).to_string();
        assert_eq!(s("E"), "STOP");
        assert!(s("One").starts_with("c.1 -> "));
        assert!(matches!(&*proc_of(global(ev, "Ext")), Proc::ExternalChoice(bs) if bs.len() == 2));
        assert!(matches!(&*proc_of(global(ev, "Int2")), Proc::InternalChoice(bs) if bs.len() == 2));
        let il = proc_of(global(ev, "Il"));
        let Proc::Parallel(p0, a, rest) = &*il else {
            panic!("{il}")
        };
        assert!(a.is_empty());
        assert!(p0.to_string().starts_with("c.0"));
        assert!(matches!(&**rest, Proc::Parallel(..)));
        assert_eq!(s("IlE"), "SKIP");
        assert!(matches!(&*proc_of(global(ev, "Par")), Proc::Parallel(_, a, _) if a.len() == 1));
        let alpha = proc_of(global(ev, "Alpha"));
        let Proc::AlphaParallel(_, a0, rest_alpha, inner) = &*alpha else {
            panic!("{alpha}")
        };
        assert_eq!(Value::Set(a0.clone()).to_string(), "{c.0}");
        assert_eq!(Value::Set(rest_alpha.clone()).to_string(), "{c.1, c.2}");
        let Proc::AlphaParallel(_, a1, a2, _) = &**inner else {
            panic!("{alpha}")
        };
        assert_eq!(Value::Set(a1.clone()).to_string(), "{c.1}");
        assert_eq!(Value::Set(a2.clone()).to_string(), "{c.2}");
        // ; over <2, 0, 1>: c.2 first, the rest suspended.
        let sq = proc_of(global(ev, "Sq"));
        let Proc::Sequential(first, rest) = &*sq else {
            panic!("{sq}")
        };
        assert!(first.to_string().starts_with("c.2"));
        let second = force(ev, rest);
        let Proc::Sequential(p1, rest2) = &*second else {
            panic!("{second}")
        };
        assert!(p1.to_string().starts_with("c.0"));
        assert!(force(ev, rest2).to_string().starts_with("c.1"));
        assert_eq!(s("SqE"), "SKIP");
        let chain = proc_of(global(ev, "Chain"));
        let Proc::Linked(_, pairs, _) = &*chain else {
            panic!("{chain}")
        };
        assert_eq!(pairs.len(), 2);
        assert_eq!(pairs[0].0.to_string(), "r.0");
        assert_eq!(pairs[0].1.to_string(), "l.0");
    });
}

#[test]
fn operators_on_processes() {
    let text = "
channel a, b
channel c, d : {0..1}
P = a -> P
Q = b -> SKIP ; P
G = false & P
H = true & P
Hid = P \\ {a}
Ren = (c?x -> STOP) [[ c <- d ]]
Ren2 = (c?x -> STOP) [[ c.x <- d.(1-x) | x <- {0, 1} ]]
Al = P [{a} || {b}] Q
Sl = P [> Q
It = P /\\ Q
Ch = CHAOS({a})
Loop = Loop2 ; Loop
Loop2 = SKIP
";
    with_script(text, |ev, _| {
        let p = proc_of(global(ev, "P"));
        let Proc::Prefix(e, k) = &*p else {
            panic!("{p}")
        };
        assert_eq!(e.to_string(), "a");
        assert!(k.env.is_empty());
        assert_eq!(force(ev, k), p, "P = a -> P unfolds to itself");
        assert!(matches!(&*proc_of(global(ev, "Q")), Proc::Sequential(..)));
        assert_eq!(*proc_of(global(ev, "G")), Proc::Stop);
        assert_eq!(proc_of(global(ev, "H")), p);
        assert!(matches!(&*proc_of(global(ev, "Hid")), Proc::Hide(_, a) if a.len() == 1));
        let ren = proc_of(global(ev, "Ren"));
        let Proc::Rename(_, pairs) = &*ren else {
            panic!("{ren}")
        };
        let shown: Vec<String> = pairs.iter().map(|(x, y)| format!("{x}<-{y}")).collect();
        assert_eq!(shown, ["c.0<-d.0", "c.1<-d.1"]);
        let ren2 = proc_of(global(ev, "Ren2"));
        let Proc::Rename(_, pairs) = &*ren2 else {
            panic!("{ren2}")
        };
        let shown: Vec<String> = pairs.iter().map(|(x, y)| format!("{x}<-{y}")).collect();
        assert_eq!(shown, ["c.0<-d.1", "c.1<-d.0"]);
        assert!(matches!(
            &*proc_of(global(ev, "Al")),
            Proc::AlphaParallel(..)
        ));
        assert!(matches!(
            &*proc_of(global(ev, "Sl")),
            Proc::SlidingChoice(..)
        ));
        assert!(matches!(&*proc_of(global(ev, "It")), Proc::Interrupt(..)));
        assert!(matches!(&*proc_of(global(ev, "Ch")), Proc::Chaos(a) if a.len() == 1));
        let lp = proc_of(global(ev, "Loop"));
        let Proc::Sequential(_, k) = &*lp else {
            panic!("{lp}")
        };
        assert_eq!(force(ev, k), lp);
    });
}

#[test]
fn let_processes_and_local_recursion() {
    let text = "
channel a, b : {0..2}
P(n) = let Q(x) = a.x -> R(x)
           R(y) = b.y -> Q((y + n) % 3)
       within Q(0)
W = let X = a.0 -> X within X
";
    with_script(text, |ev, loaded| {
        let p = proc_of(
            ev.eval_text(&mut loaded.sources.clone(), "P(1)")
                .unwrap_or_else(|d| panic!("{d:?}")),
        );
        let mut cur = p.clone();
        let mut trace = Vec::new();
        for _ in 0..6 {
            let Proc::Prefix(e, k) = &*cur else {
                panic!("{cur}")
            };
            trace.push(e.to_string());
            cur = force(ev, k);
        }
        assert_eq!(trace, ["a.0", "b.0", "a.1", "b.1", "a.2", "b.2"]);
        assert_eq!(cur, p, "back at Q(0) with the same environment");
        let w = proc_of(global(ev, "W"));
        let Proc::Prefix(_, k) = &*w else {
            panic!("{w}")
        };
        assert_eq!(force(ev, k), w);
    });
}

#[test]
fn non_process_errors_are_located() {
    let out = script_errors("np.csp", "P = 3 [] STOP\n");
    assert!(out.contains("expected a process, found Int 3"), "{out}");
    assert!(out.contains("np.csp:1:5"), "{out}");
}

#[test]
fn deep_recursion_is_an_error_not_a_crash() {
    let out = script_errors("deep.csp", "f(n) = f(n + 1)\nx = f(0)\n");
    assert!(out.contains("recursion too deep"), "{out}");
    // Deep but bounded recursion below the limit works.
    let ok = script_errors(
        "ok.csp",
        "g(0) = 0\ng(n) = 1 + g(n - 1)\ntest = g(9000) == 9000\nbad = if test then 0 else 1/0\n",
    );
    assert_eq!(ok, "");
}

#[test]
fn out_of_type_channel_value() {
    let out = script_errors(
        "t.csp",
        "channel c : {0..3}\nP = c!5 -> STOP\nQ = c.4 -> STOP\n",
    );
    assert!(
        out.contains("value 5 is not in the type of field 1 of channel c: {0..3}"),
        "{out}"
    );
    assert!(
        out.contains("value 4 is not in the type of field 1 of channel c"),
        "{out}"
    );
    let ctor = script_errors("u.csp", "datatype M = Req.{0..2}\nx = Req.7\n");
    assert!(
        ctor.contains("value 7 is not in the type of field 1 of constructor Req: {0..2}"),
        "{ctor}"
    );
}

#[test]
fn eval_source_renders_against_expr_file() {
    let loaded = load_str("s.csp", "N = 3\n").unwrap_or_else(|_| panic!("load"));
    let out = eval::eval_source(&loaded, "N * 2");
    assert_eq!(
        out.result.as_ref().map(ToString::to_string).ok(),
        Some("6".to_string())
    );
    let bad = eval::eval_source(&loaded, "M + 1");
    let Err(d) = &bad.result else {
        panic!("expected an error")
    };
    let text = render_all(d, &bad.sources);
    assert!(
        text.contains("`M` is not defined") && text.contains("<expr>"),
        "{text}"
    );
}

#[test]
fn summary_lists_processes_and_assertions() {
    let text = format!("{PHILS}\nassert SYSTEM :[deadlock free]\nassert PHIL(0) [T= PHIL(0)\n");
    with_script(&text, |ev, _| {
        let s = eval::summarize(ev);
        let names: Vec<&str> = s.processes.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["PHILS", "FORKS", "SYSTEM"]);
        assert_eq!(s.functions, ["PHIL", "FORK", "BUTLER"]);
        assert_eq!(s.assertions.len(), 2);
        assert_eq!(s.assertions[0].text, "assert SYSTEM :[deadlock free]");
        assert!(s.errors.is_empty());
        // Assertion expressions evaluate in the global scope.
        let a = &ev.assertions()[1];
        let hoare::syntax::ast::AssertKind::Refinement {
            spec,
            implementation,
            ..
        } = &a.kind
        else {
            panic!()
        };
        let x = ev.eval_expr(spec).unwrap_or_else(|d| panic!("{d:?}"));
        let y = ev
            .eval_expr(implementation)
            .unwrap_or_else(|d| panic!("{d:?}"));
        assert_eq!(x, y);
        let _ = Arc::strong_count(&proc_of(x));
    });
}

fn spec_paths() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "csp"));
    files.sort();
    files
}

/// Every spec evaluates every global and every assertion expression without error.
#[test]
fn specs_evaluate_without_errors() {
    let files = spec_paths();
    assert!(files.len() >= 3, "specs missing");
    for path in files {
        let problems = with_big_stack(|| {
            let loaded = match hoare::syntax::load::load_file(&path) {
                Ok(l) => l,
                Err(e) => return vec![render_all(&e.diagnostics, &e.sources)],
            };
            let ev = match Evaluator::new(&loaded) {
                Ok(ev) => ev,
                Err(d) => return vec![render_all(&d, &loaded.sources)],
            };
            let mut problems = Vec::new();
            for (g, _) in ev.global_names() {
                if let Some(Err(d)) = ev.global(g) {
                    problems.push(render_all(&[d], &loaded.sources));
                }
            }
            for a in ev.assertions() {
                let exprs: Vec<&hoare::syntax::ast::Expr> = match &a.kind {
                    hoare::syntax::ast::AssertKind::Refinement {
                        spec,
                        implementation,
                        ..
                    } => {
                        vec![spec, implementation]
                    }
                    hoare::syntax::ast::AssertKind::Property { process, .. } => vec![process],
                    hoare::syntax::ast::AssertKind::HasTrace { process, trace, .. } => {
                        vec![process, trace]
                    }
                };
                for e in exprs {
                    if let Err(d) = ev.eval_expr(e) {
                        problems.push(render_all(&[d], &loaded.sources));
                    }
                }
            }
            problems
        });
        assert!(
            problems.is_empty(),
            "{}:\n{}",
            path.display(),
            problems.join("\n")
        );
    }
}

#[test]
fn phils_spec_terms() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/phils.csp"))
            .unwrap_or_default();
    with_script(&text, |ev, loaded| {
        let eval = |e: &str| {
            proc_of(
                ev.eval_text(&mut loaded.sources.clone(), e)
                    .unwrap_or_else(|d| panic!("{d:?}")),
            )
        };
        // BUTLER(0): five `sits` branches sharing one continuation (the STOP
        // of the false guard `n > 0 &` is dropped from the choice).
        let b = eval("BUTLER(0)");
        let Proc::ExternalChoice(bs) = &*b else {
            panic!("{b}")
        };
        assert_eq!(bs.len(), 5, "{b}");
        let konts: Vec<&Thunk> = bs
            .iter()
            .enumerate()
            .map(|(i, br)| match &**br {
                Proc::Prefix(e, k) if e.to_string() == format!("sits.{i}") => k,
                other => panic!("branch {i}: {other}"),
            })
            .collect();
        assert!(konts.iter().all(|k| *k == konts[0]));
        assert_eq!(&*konts[0].env, &[Value::Int(0)]);
        assert_eq!(force(ev, konts[0]), eval("BUTLER(1)"));

        // PHIL(0) comes back to the identical term after its cycle.
        let start = eval("PHIL(0)");
        let mut p = start.clone();
        let mut trace = Vec::new();
        for _ in 0..7 {
            let Proc::Prefix(e, k) = &*p else {
                panic!("{p}")
            };
            trace.push(e.to_string());
            p = force(ev, k);
        }
        assert_eq!(
            trace,
            [
                "sits.0",
                "picks.0.0",
                "picks.0.1",
                "eats.0",
                "putsdown.0.1",
                "putsdown.0.0",
                "getsup.0"
            ]
        );
        assert_eq!(p, start);
        // FORK(0) serves philosopher 4 through the floored (0-1)%5.
        assert!(eval("FORK(0)").to_string().contains("picks.4.0"));
        // The alphabetised SYSTEM: PHILS is a chain of five alphabetised parallels.
        let phils = proc_of(global(ev, "PHILS"));
        let mut depth = 0;
        let mut cur = phils.clone();
        while let Proc::AlphaParallel(_, _, _, q) = &*cur {
            depth += 1;
            cur = q.clone();
        }
        assert_eq!(depth, 4, "{phils}");
    });
}

#[test]
fn buffer_spec_terms() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/buffer.csp"))
            .unwrap_or_default();
    with_script(&text, |ev, _| {
        let sys = proc_of(global(ev, "SYSTEM"));
        let Proc::Hide(inner, hidden) = &*sys else {
            panic!("{sys}")
        };
        assert_eq!(Value::Set(hidden.clone()).to_string(), "{mid.0, mid.1}");
        let Proc::Parallel(copy, _, _) = &**inner else {
            panic!("{sys}")
        };
        // COPY(left, mid) inputs on left: two branches whose continuations capture x, l, r.
        let Proc::ExternalChoice(bs) = &**copy else {
            panic!("{copy}")
        };
        assert_eq!(bs.len(), 2);
        let Proc::Prefix(e, k) = &*bs[1] else {
            panic!("{copy}")
        };
        assert_eq!(e.to_string(), "left.1");
        let next = force(ev, k);
        let Proc::Prefix(e2, k2) = &*next else {
            panic!("{next}")
        };
        assert_eq!(e2.to_string(), "mid.1");
        assert_eq!(force(ev, k2), *copy);
    });
}
