//! A compact S-expression form of the AST, for tests that assert shapes.

use hoare::syntax::ast::*;

fn list(head: &str, items: Vec<String>) -> String {
    if items.is_empty() {
        format!("({head})")
    } else {
        format!("({head} {})", items.join(" "))
    }
}

/// The S-expression of an expression.
pub fn expr(e: &Expr) -> String {
    use ExprKind as K;
    match &e.kind {
        K::Int(n) => n.to_string(),
        K::Bool(b) => b.to_string(),
        K::Char(c) => format!("{c:?}"),
        K::Str(s) => format!("{s:?}"),
        K::Name(i) => i.name.clone(),
        K::Apply(f, args) => list(&format!("app {}", expr(f)), args.iter().map(expr).collect()),
        K::Unary(op, a) => list(&format!("{op:?}"), vec![expr(a)]),
        K::Binary(op, a, b) => list(&format!("{op:?}"), vec![expr(a), expr(b)]),
        K::If(c, a, b) => list("if", vec![expr(c), expr(a), expr(b)]),
        K::Let(ds, b) => {
            let mut v: Vec<String> = ds.iter().map(decl).collect();
            v.push(expr(b));
            list("let", v)
        }
        K::Lambda(ps, b) => {
            let mut v: Vec<String> = ps.iter().map(pattern).collect();
            v.push(expr(b));
            list("lambda", v)
        }
        K::Tuple(es) => list("tuple", es.iter().map(expr).collect()),
        K::Dotted(es) => list("dot", es.iter().map(expr).collect()),
        K::SetEnum(es) => list("set", es.iter().map(expr).collect()),
        K::SetRange(a, b) => list(
            "set-range",
            std::iter::once(expr(a))
                .chain(b.iter().map(|b| expr(b)))
                .collect(),
        ),
        K::SetComp(es, ss) => list(
            "set-comp",
            es.iter().map(expr).chain(ss.iter().map(stmt)).collect(),
        ),
        K::EventSet(es) => list("events", es.iter().map(expr).collect()),
        K::EventSetComp(es, ss) => list(
            "events-comp",
            es.iter().map(expr).chain(ss.iter().map(stmt)).collect(),
        ),
        K::SeqEnum(es) => list("seq", es.iter().map(expr).collect()),
        K::SeqRange(a, b) => list(
            "seq-range",
            std::iter::once(expr(a))
                .chain(b.iter().map(|b| expr(b)))
                .collect(),
        ),
        K::SeqComp(es, ss) => list(
            "seq-comp",
            es.iter().map(expr).chain(ss.iter().map(stmt)).collect(),
        ),
        K::MapEnum(kvs) => list(
            "map",
            kvs.iter()
                .map(|(k, v)| format!("({} => {})", expr(k), expr(v)))
                .collect(),
        ),
        K::Prefix {
            channel,
            fields,
            body,
        } => {
            let mut v = vec![expr(channel)];
            v.extend(fields.iter().map(field));
            v.push(expr(body));
            list("->", v)
        }
        K::Guard(g, p) => list("&", vec![expr(g), expr(p)]),
        K::ProcBinary(op, a, b) => list(&format!("{op:?}"), vec![expr(a), expr(b)]),
        K::Parallel(a, s, b) => list("par", vec![expr(a), expr(s), expr(b)]),
        K::AlphaParallel(a, x, y, b) => list("apar", vec![expr(a), expr(x), expr(y), expr(b)]),
        K::Linked(a, links, ss, b) => {
            let mut v = vec![expr(a)];
            v.extend(links.iter().map(|l| link(l, "<->")));
            v.extend(ss.iter().map(stmt));
            v.push(expr(b));
            list("linked", v)
        }
        K::Hide(a, b) => list("hide", vec![expr(a), expr(b)]),
        K::Rename(p, links, ss) => {
            let mut v = vec![expr(p)];
            v.extend(links.iter().map(|l| link(l, "<-")));
            v.extend(ss.iter().map(stmt));
            list("rename", v)
        }
        K::Replicated(op, ss, body) => {
            let head = match op {
                ReplicatedOp::ExternalChoice => "rep[]".to_string(),
                ReplicatedOp::InternalChoice => "rep|~|".to_string(),
                ReplicatedOp::Interleave => "rep|||".to_string(),
                ReplicatedOp::Sequential => "rep;".to_string(),
                ReplicatedOp::Parallel(a) => format!("rep[|{}|]", expr(a)),
                ReplicatedOp::AlphaParallel(a) => format!("rep||[{}]", expr(a)),
                ReplicatedOp::Linked(ls) => format!(
                    "rep[{}]",
                    ls.iter()
                        .map(|l| link(l, "<->"))
                        .collect::<Vec<_>>()
                        .join(",")
                ),
            };
            let mut v: Vec<String> = ss.iter().map(stmt).collect();
            v.push(expr(body));
            list(&head, v)
        }
    }
}

fn link(l: &Link, arrow: &str) -> String {
    format!("({} {arrow} {})", expr(&l.left), expr(&l.right))
}

fn field(f: &PrefixField) -> String {
    match f {
        PrefixField::Output(e) => format!("!{}", expr(e)),
        PrefixField::Dot(e) => format!(".{}", expr(e)),
        PrefixField::Input {
            pattern: p,
            restriction: r,
        } => match r {
            Some(r) => format!("?{}:{}", pattern(p), expr(r)),
            None => format!("?{}", pattern(p)),
        },
        PrefixField::NondetInput {
            pattern: p,
            restriction: r,
        } => match r {
            Some(r) => format!("${}:{}", pattern(p), expr(r)),
            None => format!("${}", pattern(p)),
        },
    }
}

/// The S-expression of a statement.
pub fn stmt(s: &Stmt) -> String {
    match s {
        Stmt::Generator { pattern: p, source } => format!("(<- {} {})", pattern(p), expr(source)),
        Stmt::Guard(e) => format!("(guard {})", expr(e)),
    }
}

/// The S-expression of a pattern.
pub fn pattern(p: &Pattern) -> String {
    use PatternKind as K;
    match &p.kind {
        K::Wildcard => "_".to_string(),
        K::Name(i) => i.name.clone(),
        K::Int(n) => n.to_string(),
        K::Bool(b) => b.to_string(),
        K::Char(c) => format!("{c:?}"),
        K::Str(s) => format!("{s:?}"),
        K::Tuple(ps) => list("tuple", ps.iter().map(pattern).collect()),
        K::Dotted(ps) => list("dot", ps.iter().map(pattern).collect()),
        K::Seq(ps) => list("seq", ps.iter().map(pattern).collect()),
        K::Concat(ps) => list("cat", ps.iter().map(pattern).collect()),
        K::Set(ps) => list("set", ps.iter().map(pattern).collect()),
        K::Both(a, b) => list("@@", vec![pattern(a), pattern(b)]),
    }
}

fn model(m: &Model) -> &'static str {
    match m {
        Model::Traces => "T",
        Model::Failures => "F",
        Model::FailuresDivergences => "FD",
    }
}

/// The S-expression of a declaration.
pub fn decl(d: &Decl) -> String {
    use DeclKind as K;
    match &d.kind {
        K::Channel { names, fields } => list(
            "channel",
            names
                .iter()
                .map(|n| n.name.clone())
                .chain(fields.iter().map(|f| format!(":{}", expr(f))))
                .collect(),
        ),
        K::Datatype { name, ctors } | K::Subtype { name, ctors } => {
            let head = if matches!(d.kind, K::Datatype { .. }) {
                "datatype"
            } else {
                "subtype"
            };
            let mut v = vec![name.name.clone()];
            v.extend(
                ctors
                    .iter()
                    .map(|c| list(&c.name.name, c.fields.iter().map(expr).collect())),
            );
            list(head, v)
        }
        K::Nametype { name, ty } => list("nametype", vec![name.name.clone(), expr(ty)]),
        K::Clause { name, params, body } => {
            let mut head = name.name.clone();
            for ps in params {
                head.push_str(&format!(
                    "({})",
                    ps.iter().map(pattern).collect::<Vec<_>>().join(", ")
                ));
            }
            list(&format!("= {head}"), vec![expr(body)])
        }
        K::PatternBind { pattern: p, body } => list("=", vec![pattern(p), expr(body)]),
        K::Assert(a) => {
            let mut v = Vec::new();
            if a.negated {
                v.push("not".to_string());
            }
            match &a.kind {
                AssertKind::Refinement {
                    spec,
                    model: m,
                    implementation,
                } => {
                    v.push(expr(spec));
                    v.push(format!("[{}=", model(m)));
                    v.push(expr(implementation));
                }
                AssertKind::Property {
                    process,
                    property,
                    model: m,
                } => {
                    v.push(expr(process));
                    v.push(format!("{property:?}"));
                    if let Some(m) = m {
                        v.push(format!("[{}]", model(m)));
                    }
                }
                AssertKind::HasTrace {
                    process,
                    model: m,
                    trace,
                } => {
                    v.push(expr(process));
                    v.push("has-trace".to_string());
                    if let Some(m) = m {
                        v.push(format!("[{}]", model(m)));
                    }
                    v.push(expr(trace));
                }
            }
            for o in &a.options {
                match o {
                    AssertOption::TauPriority(e) => v.push(format!("(tau-priority {})", expr(e))),
                    AssertOption::PartialOrderReduce => v.push("(por)".to_string()),
                }
            }
            list("assert", v)
        }
        K::Transparent(ns) => list("transparent", ns.iter().map(|n| n.name.clone()).collect()),
        K::External(ns) => list("external", ns.iter().map(|n| n.name.clone()).collect()),
        K::Print(e) => list("print", vec![expr(e)]),
        K::Include(f) => list("include", vec![format!("{f:?}")]),
    }
}

/// One line per declaration.
pub fn module(m: &Module) -> String {
    m.decls.iter().map(|d| decl(d) + "\n").collect()
}
