//! Parser tests: fixture snapshots (typed AST for `ok/`, rendered diagnostics
//! for `err/`), the hard parts of CSPM's grammar as S-expressions, loading
//! with `include`, and robustness (no panic on any prefix, random bytes or
//! deep nesting).

#[path = "common/sexp.rs"]
mod sexp;

use hoare::syntax::diagnostic::render_all;
use hoare::syntax::load::{load_file, load_str};
use hoare::syntax::parser::{parse_expr, parse_module};
use hoare::syntax::{Diagnostic, FileId, SourceFile, SourceMap};
use std::path::Path;

/// A source map holding one file.
fn single(name: &str, text: &str) -> SourceMap {
    let mut sm = SourceMap::new();
    sm.add(SourceFile::new(name, None, text.to_string()));
    sm
}

/// Asserts every diagnostic is located inside `text` (line:col of a real position).
fn assert_located(diags: &[Diagnostic], text: &str) {
    assert!(!diags.is_empty(), "expected at least one diagnostic");
    let file = SourceFile::new("t", None, text.to_string());
    for d in diags {
        let span = d.span().expect("parse errors carry a span");
        assert!(span.start <= span.end, "{d:?}");
        assert!(span.end as usize <= text.len(), "span past the end: {d:?}");
        assert!(text.is_char_boundary(span.start as usize), "{d:?}");
        let (line, col) = file.line_col(span.start as usize);
        assert!(line >= 1 && col >= 1);
        assert!(line <= text.lines().count().max(1) + 1, "{d:?}");
        assert_eq!(d.code, "parse");
        assert!(
            !d.message.contains("Rule::"),
            "pest rule name leaked: {}",
            d.message
        );
        assert!(
            !d.message.contains("internal"),
            "internal error: {}",
            d.message
        );
    }
}

/// The S-expression of a whole module.
fn module(text: &str) -> String {
    match parse_module(text, FileId(0)) {
        Ok(m) => sexp::module(&m),
        Err(ds) => panic!("parse failed:\n{}", render_all(&ds, &single("t.csp", text))),
    }
}

/// The S-expression of one expression.
fn expr(text: &str) -> String {
    match parse_expr(text, FileId(0)) {
        Ok(e) => sexp::expr(&e),
        Err(ds) => panic!("parse failed:\n{}", render_all(&ds, &single("t.csp", text))),
    }
}

/// The rendered errors of a text that must fail.
fn errors(text: &str) -> Vec<Diagnostic> {
    match parse_module(text, FileId(0)) {
        Ok(m) => panic!("expected an error, got:\n{}", sexp::module(&m)),
        Err(ds) => {
            assert_located(&ds, text);
            ds
        }
    }
}

// ---------------------------------------------------------------- fixtures

#[test]
fn ok_fixtures() {
    insta::glob!("fixtures/parse/ok/*.csp", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let m = match parse_module(&text, FileId(0)) {
            Ok(m) => m,
            Err(ds) => panic!(
                "{} failed:\n{}",
                path.display(),
                render_all(&ds, &single("t.csp", &text))
            ),
        };
        assert!(!m.decls.is_empty());
        for d in &m.decls {
            assert!(d.span.start < d.span.end && d.span.end as usize <= text.len());
        }
        insta::assert_yaml_snapshot!(m);
    });
}

#[test]
fn err_fixtures() {
    insta::glob!("fixtures/parse/err/*.csp", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let ds = match parse_module(&text, FileId(0)) {
            Ok(_) => panic!("{name} parsed without error"),
            Err(ds) => ds,
        };
        assert_located(&ds, &text);
        insta::assert_snapshot!(render_all(&ds, &single(&name, &text)));
    });
}

#[test]
fn specs_parse() {
    insta::glob!(
        concat!(env!("CARGO_MANIFEST_DIR"), "/specs"),
        "*.csp",
        |path| {
            let loaded = match load_file(path) {
                Ok(l) => l,
                Err(f) => panic!("{}", render_all(&f.diagnostics, &f.sources)),
            };
            assert!(!loaded.module.decls.is_empty());
            insta::assert_snapshot!(sexp::module(&loaded.module));
        }
    );
}

#[test]
fn several_errors_are_reported_one_per_broken_definition() {
    let text = std::fs::read_to_string("tests/fixtures/parse/err/multiple_errors.csp").unwrap();
    let ds = errors(&text);
    let lines: Vec<usize> = ds
        .iter()
        .map(|d| {
            SourceFile::new("t", None, text.clone())
                .line_col(d.span().unwrap().start as usize)
                .0
        })
        .collect();
    assert_eq!(lines, vec![3, 6, 7]);
}

// ---------------------------------------------------------------- layout

#[test]
fn application_paren_must_be_on_the_same_line() {
    assert_eq!(
        module("P = Q\n(x, y) = (1, 2)\n"),
        "(= P Q)\n(= (tuple x y) (tuple 1 2))\n"
    );
    assert_eq!(module("P = Q\nf(x) = x\n"), "(= P Q)\n(= f(x) x)\n");
    assert_eq!(module("P = f (1)\n"), "(= P (app f 1))\n");
    assert_eq!(
        module("P = f(1,\n 2)\n"),
        "(= P (app f 1 2))\n",
        "arguments may span lines"
    );
}

#[test]
fn definitions_continue_on_operator_lines() {
    assert_eq!(
        module("P = a -> STOP\n  [] b -> STOP\nQ = P\n"),
        "(= P (ExternalChoice (-> a STOP) (-> b STOP)))\n(= Q P)\n"
    );
    assert_eq!(
        module("P = a ->\n  b -> STOP\n"),
        "(= P (-> a (-> b STOP)))\n"
    );
    assert_eq!(module("x = 1\n + 2\ny = 3\n"), "(= x (Add 1 2))\n(= y 3)\n");
}

#[test]
fn a_new_declaration_must_start_a_new_line() {
    let ds = errors("P = a -> STOP Q = STOP\n");
    assert_eq!(ds.len(), 1);
    assert!(ds[0].message.contains("found `Q`"), "{}", ds[0].message);
}

#[test]
fn let_declarations_span_lines() {
    assert_eq!(
        expr("let\n  f(x) = x\n  (a, b) = (1, 2)\n  c = 3\nwithin f(a)"),
        "(let (= f(x) x) (= (tuple a b) (tuple 1 2)) (= c 3) (app f a))"
    );
}

// ---------------------------------------------------------------- brackets

#[test]
fn greater_than_closes_a_sequence() {
    assert_eq!(expr("<a, b>"), "(seq a b)");
    assert_eq!(expr("<(a > b)>"), "(seq (Gt a b))");
    assert_eq!(expr("<x> ^ s"), "(Concat (seq x) s)");
    assert_eq!(expr("a > b"), "(Gt a b)");
    assert_eq!(expr("<a < b>"), "(seq (Lt a b))");
    assert_eq!(expr("#<1> > 0"), "(Gt (Length (seq 1)) 0)");
    assert_eq!(expr("<> == <>"), "(Eq (seq) (seq))");
    assert_eq!(
        expr("<x | x <- s, (x > 1)>"),
        "(seq-comp x (<- x s) (guard (Gt x 1)))"
    );
    assert_eq!(expr("<1..3>"), "(seq-range 1 3)");
    assert!(parse_expr("<a > b>", FileId(0)).is_err());
}

#[test]
fn sequences_next_to_comparisons() {
    assert_eq!(expr("<> > <>"), "(Gt (seq) (seq))");
    assert_eq!(expr("< > < <1>"), "(Lt (seq) (seq 1))");
    assert_eq!(expr("<3,4> > <1>"), "(Gt (seq 3 4) (seq 1))");
    // Inside a sequence `<` is still a comparison; only `>` closes.
    assert_eq!(
        expr("<y | y <- <0..3>, y<2>"),
        "(seq-comp y (<- y (seq-range 0 3)) (guard (Lt y 2)))"
    );
    assert_eq!(expr("(c.1) != (c.0)"), "(Ne (dot c 1) (dot c 0))");
}

#[test]
fn input_patterns_and_restrictions() {
    assert_eq!(
        expr("e$Con.v?w:g(Con.v) -> STOP"),
        "(-> e $(dot Con v) ?w:(app g (dot Con v)) STOP)"
    );
    assert_eq!(
        module("t = let\n  {v} = S\n  within v\n"),
        "(= t (let (= (set v) S) v))\n"
    );
    assert_eq!(expr("\\ e @ e -> STOP"), "(lambda e (-> e STOP))");
}

#[test]
fn square_bracket_forms_are_told_apart() {
    assert_eq!(expr("P [] Q"), "(ExternalChoice P Q)");
    assert_eq!(expr("P [| A |] Q"), "(par P A Q)");
    assert_eq!(expr("P [A || B] Q"), "(apar P A B Q)");
    assert_eq!(expr("P [[ a <- b ]]"), "(rename P (a <- b))");
    assert_eq!(expr("P [> Q"), "(SlidingChoice P Q)");
    assert_eq!(expr("P [a <-> b] Q"), "(linked P (a <-> b) Q)");
    assert_eq!(
        module("assert P [T= Q\nassert P :[deadlock free]\n"),
        "(assert P [T= Q)\n(assert P DeadlockFree)\n"
    );
    assert_eq!(expr("[] x : S @ P"), "(rep[] (<- x S) P)");
    assert_eq!(expr("[| A |] x : S @ P"), "(rep[|A|] (<- x S) P)");
    assert_eq!(
        expr("[a <-> b] x : <1> @ P"),
        "(rep[(a <-> b)] (<- x (seq 1)) P)"
    );
}

#[test]
fn backslash_is_hiding_or_lambda() {
    assert_eq!(expr("P \\ A"), "(hide P A)");
    assert_eq!(expr("\\ x @ x"), "(lambda x x)");
    assert_eq!(expr("(\\ x @ x)(1)"), "(app (lambda x x) 1)");
    assert_eq!(expr("a -> P \\ {a}"), "(hide (-> a P) (set a))");
}

#[test]
fn at_and_double_at() {
    assert_eq!(
        module("f(x @@ (a, b)) = a\n"),
        "(= f((@@ x (tuple a b))) a)\n"
    );
    assert_eq!(expr("\\ x @ x"), "(lambda x x)");
}

#[test]
fn range_versus_dot() {
    assert_eq!(expr("{0..N-1}"), "(set-range 0 (Sub N 1))");
    assert_eq!(expr("{0..}"), "(set-range 0)");
    assert_eq!(expr("c.1"), "(dot c 1)");
    assert_eq!(expr("c.1.true"), "(dot c 1 true)");
    assert_eq!(expr("c.x+1"), "(dot c (Add x 1))");
    assert_eq!(expr("{c.0..c.1}"), "(set-range (dot c 0) (dot c 1))");
}

// ---------------------------------------------------------------- binding

#[test]
fn guards_bind_tighter_than_choice() {
    assert_eq!(
        expr("n < N-1 & sits?i -> B(n+1) [] n > 0 & getsup?i -> B(n-1)"),
        "(ExternalChoice (& (Lt n (Sub N 1)) (-> sits ?i (app B (Add n 1)))) \
         (& (Gt n 0) (-> getsup ?i (app B (Sub n 1)))))"
    );
}

#[test]
fn prefix_is_right_associative_and_tighter_than_choice() {
    assert_eq!(
        expr("a -> b -> P [] c -> Q"),
        "(ExternalChoice (-> a (-> b P)) (-> c Q))"
    );
    assert_eq!(expr("a -> P ; Q"), "(Sequential (-> a P) Q)");
}

#[test]
fn loose_forms_extend_as_far_as_possible() {
    assert_eq!(
        expr("if b then P else Q [] R"),
        "(if b P (ExternalChoice Q R))"
    );
    assert_eq!(
        expr("[] x:S @ P [] Q"),
        "(rep[] (<- x S) (ExternalChoice P Q))"
    );
    assert_eq!(
        expr("let x = 1 within P [] Q"),
        "(let (= x 1) (ExternalChoice P Q))"
    );
    assert_eq!(expr("\\ x @ x + 1"), "(lambda x (Add x 1))");
    assert_eq!(
        expr("a -> if b then P else Q ||| R"),
        "(-> a (if b P (Interleave Q R)))"
    );
}

#[test]
fn fdr_binding_table() {
    // loosest first: \ , |||, [| |], |~|, [], /\, [>, ;, -> / &
    assert_eq!(
        expr("P ||| Q [| A |] R |~| S [] T /\\ U [> V ; W \\ X"),
        "(hide (Interleave P (par Q A (InternalChoice R (ExternalChoice S \
         (Interrupt T (SlidingChoice U (Sequential V W))))))) X)"
    );
    assert_eq!(
        expr("P [] Q [] R"),
        "(ExternalChoice (ExternalChoice P Q) R)"
    );
    assert_eq!(
        expr("P [[a <- b]] [] Q"),
        "(ExternalChoice (rename P (a <- b)) Q)"
    );
}

#[test]
fn arithmetic_and_negative_literals() {
    assert_eq!(expr("-1"), "-1");
    assert_eq!(expr("(i-1)%N"), "(Mod (Sub i 1) N)");
    assert_eq!(expr("a - -1"), "(Sub a -1)");
    assert_eq!(expr("-x + 1"), "(Add (Neg x) 1)");
    assert_eq!(expr("1 + 2 * 3"), "(Add 1 (Mul 2 3))");
    assert_eq!(expr("1 - 2 - 3"), "(Sub (Sub 1 2) 3)");
    assert_eq!(expr("#s ^ t"), "(Length (Concat s t))");
    assert_eq!(expr("not a and b"), "(And (Not a) b)");
    assert_eq!(expr("not a == b"), "(Not (Eq a b))");
    assert_eq!(expr("a or b and c"), "(Or a (And b c))");
}

#[test]
fn parenthesised_single_expression_is_not_a_tuple() {
    assert_eq!(expr("(1)"), "1");
    assert_eq!(expr("((a, b))"), "(tuple a b)");
    assert_eq!(expr("(a, b, c)"), "(tuple a b c)");
    let e = parse_expr("(1 + 2)", FileId(0)).unwrap();
    assert_eq!(
        (e.span.start, e.span.end),
        (0, 7),
        "span keeps the parentheses"
    );
}

#[test]
fn prefix_fields() {
    assert_eq!(expr("c!e -> P"), "(-> c !e P)");
    assert_eq!(expr("c?x -> P"), "(-> c ?x P)");
    assert_eq!(expr("c?x:S -> P"), "(-> c ?x:S P)");
    assert_eq!(expr("c.e -> P"), "(-> c .e P)");
    assert_eq!(expr("c$x -> P"), "(-> c $x P)");
    assert_eq!(expr("c$x:S -> P"), "(-> c $x:S P)");
    assert_eq!(
        expr("c?x!(x+1).true -> P"),
        "(-> c ?x !(dot (Add x 1) true) P)"
    );
    assert_eq!(expr("c?(a,b) -> P"), "(-> c ?(tuple a b) P)");
    assert_eq!(expr("c?Req.n -> P"), "(-> c ?(dot Req n) P)");
    assert_eq!(expr("c.1?x -> P"), "(-> c .1 ?x P)");
    assert_eq!(expr("(c.1) -> P"), "(-> (dot c 1) P)");
    assert_eq!(expr("a -> P"), "(-> a P)");
    assert!(parse_expr("c?x", FileId(0)).is_err());
    assert!(parse_expr("c!x + 1", FileId(0)).is_err());
}

#[test]
fn replicated_forms() {
    assert_eq!(expr("|~| x:S @ P"), "(rep|~| (<- x S) P)");
    assert_eq!(expr("||| x:S @ P"), "(rep||| (<- x S) P)");
    assert_eq!(expr("|| x:S @ [A(x)] P"), "(rep||[(app A x)] (<- x S) P)");
    assert_eq!(expr("; x:<1,2> @ P"), "(rep; (<- x (seq 1 2)) P)");
    assert_eq!(
        expr("[] x:S, y:T, x != y @ P"),
        "(rep[] (<- x S) (<- y T) (guard (Ne x y)) P)"
    );
    assert_eq!(
        expr("(||| i:S @ P(i)) [| A |] Q"),
        "(par (rep||| (<- i S) (app P i)) A Q)"
    );
}

#[test]
fn sets_and_comprehensions() {
    assert_eq!(expr("{a, b}"), "(set a b)");
    assert_eq!(
        expr("{ x | x <- S, x > 0 }"),
        "(set-comp x (<- x S) (guard (Gt x 0)))"
    );
    assert_eq!(expr("{| c, d.1 |}"), "(events c (dot d 1))");
    assert_eq!(
        expr("{| c.x | x <- S |}"),
        "(events-comp (dot c x) (<- x S))"
    );
    assert_eq!(
        expr("P [[ a.x <- b.x | x <- S ]]"),
        "(rename P ((dot a x) <- (dot b x)) (<- x S))"
    );
    assert_eq!(expr("(| 1 => 2 |)"), "(map (1 => 2))");
}

#[test]
fn identifiers_literals_and_keywords() {
    assert_eq!(expr("P'"), "P'");
    assert_eq!(expr("P''(x)"), "(app P'' x)");
    assert_eq!(expr("'a'"), "'a'");
    assert_eq!(expr("'\\n'"), "'\\n'");
    assert_eq!(expr("\"a\\\"b\""), "\"a\\\"b\"");
    assert_eq!(expr("iffy"), "iffy");
    assert_eq!(expr("M::x"), "M::x");
    assert!(parse_expr("if", FileId(0)).is_err());
}

#[test]
fn assertion_forms() {
    let text = "assert not P :[deadlock free [F]]\n\
                assert P :[has trace]: <a, b.1>\n\
                assert P :[divergence free] :[tau priority over]: {tock}\n\
                assert P :[deterministic [FD]] :[partial order reduce]\n";
    assert_eq!(
        module(text),
        "(assert not P DeadlockFree [F])\n\
         (assert P has-trace (seq a (dot b 1)))\n\
         (assert P DivergenceFree (tau-priority (set tock)))\n\
         (assert P Deterministic [FD] (por))\n"
    );
}

#[test]
fn spans_are_exact() {
    let text = "P = a -> STOP -- comment\n\nQ = b\n";
    let m = parse_module(text, FileId(0)).unwrap();
    let sm = single("t", text);
    let snippets: Vec<&str> = m.decls.iter().map(|d| sm.snippet(d.span)).collect();
    assert_eq!(snippets, vec!["P = a -> STOP", "Q = b"]);
}

// ---------------------------------------------------------------- errors

#[test]
fn errors_say_what_was_expected() {
    let ds = errors("P = a -> \n");
    assert_eq!(
        ds[0].message,
        "expected an expression, found the end of the line"
    );
    let ds = errors("f(x) = (x + 1\ng = 2\n");
    assert_eq!(ds[0].message, "expected `)`, `,` or an operator, found `g`");
    let ds = errors("f(x) = if x then 1\n");
    assert!(
        ds[0].message.starts_with("expected `else`"),
        "{}",
        ds[0].message
    );
    let ds = errors("channel : Int\n");
    assert_eq!(ds[0].message, "expected a name, found `:`");
}

#[test]
fn an_error_renders_with_its_location() {
    let text = "P = a -> \n";
    let ds = errors(text);
    let out = render_all(&ds, &single("bad.csp", text));
    assert!(out.contains("bad.csp:1:9"), "{out}");
    assert!(out.contains("expected an expression"), "{out}");
}

// ---------------------------------------------------------------- loading

#[test]
fn includes_are_spliced_in_place() {
    let loaded = load_file(Path::new("tests/fixtures/load/main.csp")).unwrap();
    assert_eq!(
        sexp::module(&loaded.module),
        "(include \"lib/defs.csp\")\n\
         (include \"more.csp\")\n\
         (= More 2)\n\
         (= Defs 1)\n\
         (= Main (Add Defs More))\n"
    );
    assert_eq!(loaded.sources.files().len(), 3);
    // Spans of included declarations point into their own file.
    let more = &loaded.module.decls[2];
    assert_eq!(loaded.sources.snippet(more.span), "More = 2");
    assert!(loaded
        .sources
        .file(more.span.file)
        .name
        .ends_with("more.csp"));
}

#[test]
fn missing_include_is_reported_at_the_include() {
    let f = load_file(Path::new("tests/fixtures/load/missing.csp")).unwrap_err();
    assert_eq!(f.diagnostics.len(), 1);
    let d = &f.diagnostics[0];
    assert_eq!(d.message, "cannot find included file `nowhere.csp`");
    assert_eq!(
        f.sources.snippet(d.span().unwrap()),
        "include \"nowhere.csp\""
    );
}

#[test]
fn include_cycles_are_errors() {
    let f = load_file(Path::new("tests/fixtures/load/cycle_a.csp")).unwrap_err();
    assert_eq!(f.diagnostics.len(), 1);
    let d = &f.diagnostics[0];
    assert!(d.message.starts_with("include cycle"), "{}", d.message);
    assert_eq!(
        d.notes,
        vec!["cycle: cycle_a.csp -> cycle_b.csp -> cycle_a.csp"]
    );
}

#[test]
fn unreadable_and_non_utf8_files() {
    let f = load_file(Path::new("tests/fixtures/load/does_not_exist.csp")).unwrap_err();
    assert_eq!(f.diagnostics.len(), 1);
    assert!(f.diagnostics[0].labels.is_empty());
    let out = render_all(&f.diagnostics, &f.sources);
    assert!(out.starts_with("error: cannot read"), "{out}");

    let f = load_file(Path::new("tests/fixtures/load/latin1.csp")).unwrap_err();
    let d = &f.diagnostics[0];
    assert!(d.message.ends_with("is not UTF-8 text"), "{}", d.message);
    assert_eq!(d.span().unwrap().start, 9);
    let out = render_all(&f.diagnostics, &f.sources);
    assert!(out.contains("latin1.csp:1:10"), "{out}");
}

#[test]
fn load_str_reports_parse_errors_with_sources() {
    let f = load_str("inline.csp", "P = \n").unwrap_err();
    let out = render_all(&f.diagnostics, &f.sources);
    assert!(out.contains("inline.csp:1:4"), "{out}");
    let l = load_str("inline.csp", "P = STOP\n").unwrap();
    assert_eq!(sexp::module(&l.module), "(= P STOP)\n");
}

// ---------------------------------------------------------------- robustness

/// Parses `text` as a module and an expression; either may fail, but only
/// with located diagnostics, and never by panicking.
fn survive(text: &str) {
    for result in [
        parse_module(text, FileId(0)).map(|_| ()),
        parse_expr(text, FileId(0)).map(|_| ()),
    ] {
        if let Err(ds) = result {
            assert!(!ds.is_empty());
            for d in &ds {
                let s = d.span().expect("located");
                assert!(
                    s.start <= s.end && s.end as usize <= text.len(),
                    "{d:?} in {text:?}"
                );
            }
        }
    }
}

fn corpus() -> Vec<String> {
    let mut texts = Vec::new();
    for dir in [
        "specs",
        "tests/fixtures/parse/ok",
        "tests/fixtures/parse/err",
    ] {
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "csp"))
            .collect();
        paths.sort();
        for p in paths {
            texts.push(std::fs::read_to_string(p).unwrap());
        }
    }
    texts
}

#[test]
fn every_prefix_of_every_fixture_is_handled() {
    for text in corpus() {
        for (i, _) in text.char_indices() {
            survive(&text[..i]);
        }
    }
}

/// A small deterministic PRNG (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[test]
fn random_bytes_do_not_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    // Bytes biased towards CSPM's own characters, so the parser gets deep.
    let alphabet = b"abcPQ01 \n()[]{}<>|~-.?!$@:,;&\\/^#=*+%'\"_";
    for _ in 0..3000 {
        let len = (rng.next() % 60) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                let r = rng.next();
                if r % 4 == 0 {
                    (r >> 8) as u8
                } else {
                    alphabet[((r >> 8) % alphabet.len() as u64) as usize]
                }
            })
            .collect();
        survive(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn random_token_soup_does_not_panic() {
    let mut rng = Rng(42);
    let tokens = [
        "P", "Q", "x", "c", "1", "=", "->", "[]", "|~|", "|||", "[|", "|]", "[", "]", "||", "(",
        ")", "{", "}", "{|", "|}", "<", ">", ",", "?", "!", ".", "..", "@", "\\", ";", "&", "if",
        "then", "else", "let", "within", "\n", "channel", "assert", ":[", "[T=", "<-", "<->", "[[",
        "]]", "-", "#", "not", "and", ":", "$", "(|", "|)", "=>",
    ];
    for _ in 0..3000 {
        let len = (rng.next() % 40) as usize;
        let text: Vec<&str> = (0..len)
            .map(|_| tokens[(rng.next() % tokens.len() as u64) as usize])
            .collect();
        survive(&text.join(" "));
    }
}

/// Runs `f` on a thread with a small (2 MiB) stack, like cargo's test threads.
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    on_small_stack(|| {
        for (open, close) in [("(", ")"), ("{", "}"), ("[", "]"), ("<", ">"), ("{|", "|}")] {
            // `<` is also a comparison, so only pest's own stack guard and the
            // lowering's depth limit stop it; 300 levels are still accepted.
            let sizes: &[usize] = if open == "<" {
                &[100_000, 5_000]
            } else {
                &[100_000, 5_000, 300]
            };
            for &n in sizes {
                let text = format!("X = {}1{}\n", open.repeat(n), close.repeat(n));
                let ds = parse_module(&text, FileId(0)).expect_err("too deep");
                assert!(
                    ds[0].message.contains("deep"),
                    "{open}×{n}: {}",
                    ds[0].message
                );
                let s = ds[0].span().unwrap();
                assert!(s.end as usize <= text.len());
            }
        }
        let prefixes = [
            "a -> ",
            "- ",
            "not ",
            "# ",
            "if x then 1 else ",
            "\\ x @ ",
            "[] x:S @ ",
            "let x = 1 within ",
            "c?x -> ",
            "g & ",
        ];
        for p in prefixes {
            let text = format!("X = {}1\n", p.repeat(20_000));
            let ds = parse_module(&text, FileId(0)).expect_err("too deep");
            assert!(ds[0].message.contains("deep"), "{p}: {}", ds[0].message);
        }
        let text = format!("f({}x{}) = 1\n", "<".repeat(100_000), ">".repeat(100_000));
        assert!(parse_module(&text, FileId(0)).is_err());
        let text = format!("X = {}\n", "{- ".repeat(100_000));
        assert!(parse_module(&text, FileId(0)).is_err());
    });
}

#[test]
fn operators_that_look_like_brackets_do_not_count_as_nesting() {
    // `[T=`, `[F=`, `[FD=` and `[>` open no bracket: hundreds of them are fine.
    let mut text = String::from("channel a\nP = a -> P\n");
    for _ in 0..300 {
        text.push_str("assert P [T= P\nassert P [F= P\nassert P [FD= P\nQ = P [> P\n");
    }
    let m = parse_module(&text, FileId(0)).unwrap();
    assert_eq!(m.decls.len(), 2 + 4 * 300);
}

#[test]
fn moderate_nesting_is_fine() {
    on_small_stack(|| {
        let text = format!("X = {}1{}\n", "(".repeat(150), ")".repeat(150));
        assert_eq!(module(&text), "(= X 1)\n");
        let text = format!("X = {}STOP\n", "a -> ".repeat(500));
        assert!(parse_module(&text, FileId(0)).is_ok());
        let long = vec!["1"; 5000].join(" + ");
        assert!(
            parse_expr(&long, FileId(0)).is_ok(),
            "left-assoc chains are loops"
        );
    });
}
