//! Name resolution and static checks: AST → [`ir`](super::ir).
//!
//! Scoping rules of CSPM: top-level definitions are mutually recursive, and
//! so are the definitions of one `let`; parameters, lambda patterns,
//! comprehension and replicated generators and prefix inputs bind in what
//! follows them. A pattern name that is a constructor or channel matches by
//! equality; any other name binds. Adjacent clauses of one name form one
//! function. Every error of a script is collected (undefined names with a
//! "did you mean", duplicate definitions, arities), not just the first.
//!
//! Resolution also performs closure conversion: every lambda, thunk and
//! group of local recursive definitions is an *environment level* that
//! records exactly which outer values it captures, so at run time a thunk
//! holds the values of its free local variables and nothing else.

use super::builtins::{self, Builtin};
use super::ir::*;
use super::proc::Proc;
use super::value::{HeadKind, InfiniteSet, Value};
use crate::syntax::ast::{
    self, Decl, DeclKind, Expr, ExprKind, Ident, Pattern, PatternKind, PrefixField, ReplicatedOp,
    Stmt,
};
use crate::syntax::{Diagnostic, Span};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// What a top-level name denotes.
#[derive(Clone, Debug)]
pub(crate) enum TopName {
    /// A constant, datatype, nametype or subtype.
    Global(u32),
    /// A function with its curried arities.
    Func { id: u32, arities: Vec<usize> },
    /// A constructor or channel.
    Head(u32),
    /// A built-in function declared by `transparent` / `external`.
    Builtin(Builtin),
}

/// Code tables that grow as expressions are resolved (also after loading,
/// when the CLI evaluates a new expression).
#[derive(Default, Debug)]
pub(crate) struct Tables {
    /// Functions and lambdas; a function value's id indexes this.
    pub funcs: Vec<Arc<FuncDef>>,
    /// Suspended expressions; a thunk's code indexes this.
    pub thunks: Vec<Arc<ThunkCode>>,
    /// Let-blocks.
    pub lets: Vec<Arc<LetDef>>,
}

/// A resolved expression evaluated in the global scope.
#[derive(Debug)]
pub(crate) struct TopExpr {
    /// The code.
    pub ir: Ir,
    /// Its frame size.
    pub nlocals: u32,
}

/// One top-level name's definition.
#[derive(Debug)]
pub(crate) struct GlobalEntry {
    /// The name.
    pub name: String,
    /// What it is.
    pub def: GlobalDef,
    /// Where it was defined.
    pub span: Span,
}

/// Static facts about a constructor or channel needed during resolution.
#[derive(Clone, Debug)]
struct HeadInfo {
    name: String,
    kind: HeadKind,
    nfields: usize,
}

/// The resolved script.
#[derive(Debug, Default)]
pub(crate) struct Program {
    /// Top-level names.
    pub names: HashMap<String, TopName>,
    /// Where each top-level name was defined.
    pub def_spans: HashMap<String, Span>,
    /// Top-level constants and types.
    pub globals: Vec<GlobalEntry>,
    /// Constructors and channels, in declaration order (their ids).
    pub heads: Vec<HeadDef>,
    /// Top-level pattern bindings.
    pub patbinds: Vec<PatBindDef>,
    /// Channel head ids in declaration order.
    pub channels: Vec<u32>,
    /// Assertion and print expressions, resolved, by span.
    pub exprs: HashMap<Span, Arc<TopExpr>>,
    /// Top-level function ids in declaration order, with their names.
    pub functions: Vec<(String, u32)>,
}

/// One function's adjacent clauses.
struct ClauseGroup<'m> {
    name: &'m Ident,
    clauses: Vec<(&'m [Vec<Pattern>], &'m Expr)>,
    span: Span,
}

/// Adds a clause to the adjacent group of the same name; reports a
/// duplicate constant or a clause-shape mismatch.
fn merge_clause<'m>(
    g: &mut ClauseGroup<'m>,
    name: &'m Ident,
    params: &'m [Vec<Pattern>],
    body: &'m Expr,
    span: Span,
    errors: &mut Vec<Diagnostic>,
) {
    let first = g.clauses[0].0;
    let shape: Vec<usize> = first.iter().map(Vec::len).collect();
    let this: Vec<usize> = params.iter().map(Vec::len).collect();
    if first.is_empty() || params.is_empty() {
        errors.push(duplicate(&name.name, g.name.span, name.span, None));
    } else if shape != this {
        errors.push(
            Diagnostic::error(
                "arity",
                format!(
                    "the clauses of `{}` take different numbers of arguments ({} here, {} in the first clause)",
                    name.name,
                    describe_shape(&this),
                    describe_shape(&shape)
                ),
                name.span,
            )
            .with_label(g.name.span, "first clause"),
        );
    } else {
        g.clauses.push((params, body));
        g.span = g.span.to(span);
    }
}

/// Groups adjacent clauses of one name; true when merged into the previous group.
fn push_clause<'m>(
    groups: &mut Vec<ClauseGroup<'m>>,
    adjacent: bool,
    name: &'m Ident,
    params: &'m [Vec<Pattern>],
    body: &'m Expr,
    span: Span,
    errors: &mut Vec<Diagnostic>,
) -> bool {
    if adjacent {
        if let Some(g) = groups.last_mut() {
            if g.name.name == name.name {
                merge_clause(g, name, params, body, span, errors);
                return true;
            }
        }
    }
    groups.push(ClauseGroup {
        name,
        clauses: vec![(params, body)],
        span,
    });
    false
}

fn describe_shape(shape: &[usize]) -> String {
    shape
        .iter()
        .map(|n| format!("({n})"))
        .collect::<Vec<_>>()
        .join("")
}

fn duplicate(name: &str, first: Span, again: Span, kinds: Option<(&str, &str)>) -> Diagnostic {
    let (message, help) = match kinds {
        Some((a, b)) if a != b => (
            format!("`{name}` is defined twice: as a {a} and as a {b}"),
            "one name can have only one definition; rename one of them",
        ),
        _ => (
            format!("`{name}` is defined twice"),
            "the clauses of one function must stand next to each other; otherwise rename one",
        ),
    };
    Diagnostic::error("duplicate-definition", message, again)
        .with_label_text("defined again here")
        .with_label(first, "first defined here")
        .with_help(help)
}

/// Resolves a whole script. Returns the program and every error found.
pub(crate) fn resolve_module(
    module: &ast::Module,
    tables: &mut Tables,
) -> (Program, Vec<Diagnostic>) {
    let mut errors = Vec::new();
    let mut prog = Program::default();
    let mut kinds: HashMap<String, (Span, &'static str)> = HashMap::new();

    // Pass A: constructor and channel names (patterns need them).
    let mut head_names: HashSet<&str> = HashSet::new();
    for d in &module.decls {
        match &d.kind {
            DeclKind::Channel { names, .. } => {
                head_names.extend(names.iter().map(|n| n.name.as_str()))
            }
            DeclKind::Datatype { ctors, .. } => {
                head_names.extend(ctors.iter().map(|c| c.name.name.as_str()))
            }
            _ => {}
        }
    }

    // Pass B: every definition in order.
    enum Work<'m> {
        Const(&'m Expr),
        Nametype(&'m Expr),
        PatternPart(u32, String),
        Datatype(Vec<u32>),
        Subtype(&'m [ast::Constructor]),
    }
    let mut define = |name: &Ident,
                      kind: &'static str,
                      what: TopName,
                      prog: &mut Program,
                      errors: &mut Vec<Diagnostic>| {
        if let Some((first, first_kind)) = kinds.get(&name.name) {
            errors.push(duplicate(
                &name.name,
                *first,
                name.span,
                Some((first_kind, kind)),
            ));
            return;
        }
        kinds.insert(name.name.clone(), (name.span, kind));
        prog.def_spans.insert(name.name.clone(), name.span);
        prog.names.insert(name.name.clone(), what);
    };
    let mut global_work: Vec<(String, Work, Span)> = Vec::new();
    let mut head_work: Vec<(u32, &[Expr])> = Vec::new();
    let mut head_info: Vec<HeadInfo> = Vec::new();
    let mut func_groups: Vec<ClauseGroup> = Vec::new();
    let mut func_ids: Vec<u32> = Vec::new();
    let mut patbind_work: Vec<(&Pattern, &Expr)> = Vec::new();
    let mut asserts: Vec<&ast::Assertion> = Vec::new();
    let mut prints: Vec<&Expr> = Vec::new();
    let mut prev_clause: Option<&str> = None;
    let add_head = |prog: &mut Program, name: &Ident, kind: HeadKind, datatype: Option<String>| {
        let id = prog.heads.len() as u32;
        prog.heads.push(HeadDef {
            name: name.name.clone(),
            kind,
            datatype,
            fields: Vec::new(),
            nlocals: 0,
        });
        id
    };
    for d in &module.decls {
        let mut this_clause = None;
        match &d.kind {
            DeclKind::Channel { names, fields } => {
                for n in names {
                    let id = add_head(&mut prog, n, HeadKind::Channel, None);
                    head_info.push(HeadInfo {
                        name: n.name.clone(),
                        kind: HeadKind::Channel,
                        nfields: fields.len(),
                    });
                    head_work.push((id, fields));
                    prog.channels.push(id);
                    define(n, "channel", TopName::Head(id), &mut prog, &mut errors);
                }
            }
            DeclKind::Datatype { name, ctors } => {
                let mut ids = Vec::new();
                for c in ctors {
                    let datatype = Some(name.name.clone());
                    let id = add_head(&mut prog, &c.name, HeadKind::Constructor, datatype);
                    head_info.push(HeadInfo {
                        name: c.name.name.clone(),
                        kind: HeadKind::Constructor,
                        nfields: c.fields.len(),
                    });
                    head_work.push((id, &c.fields));
                    ids.push(id);
                }
                let g = global_work.len() as u32;
                global_work.push((name.name.clone(), Work::Datatype(ids.clone()), name.span));
                define(name, "datatype", TopName::Global(g), &mut prog, &mut errors);
                for (c, id) in ctors.iter().zip(ids) {
                    define(
                        &c.name,
                        "constructor",
                        TopName::Head(id),
                        &mut prog,
                        &mut errors,
                    );
                }
            }
            DeclKind::Subtype { name, ctors } => {
                let g = global_work.len() as u32;
                global_work.push((name.name.clone(), Work::Subtype(ctors), name.span));
                define(name, "subtype", TopName::Global(g), &mut prog, &mut errors);
            }
            DeclKind::Nametype { name, ty } => {
                let g = global_work.len() as u32;
                global_work.push((name.name.clone(), Work::Nametype(ty), name.span));
                define(name, "nametype", TopName::Global(g), &mut prog, &mut errors);
            }
            DeclKind::Clause { name, params, body } => {
                this_clause = Some(name.name.as_str());
                let adjacent = prev_clause == Some(name.name.as_str());
                let merged = push_clause(
                    &mut func_groups,
                    adjacent,
                    name,
                    params,
                    body,
                    d.span,
                    &mut errors,
                );
                if !merged {
                    if params.is_empty() {
                        let g = global_work.len() as u32;
                        global_work.push((name.name.clone(), Work::Const(body), name.span));
                        func_ids.push(u32::MAX);
                        define(name, "constant", TopName::Global(g), &mut prog, &mut errors);
                    } else {
                        let id = tables.funcs.len() as u32;
                        let arities: Vec<usize> = params.iter().map(Vec::len).collect();
                        tables.funcs.push(Arc::new(FuncDef {
                            name: name.name.clone(),
                            arities: arities.clone(),
                            clauses: Vec::new(),
                            span: d.span,
                        }));
                        func_ids.push(id);
                        prog.functions.push((name.name.clone(), id));
                        define(
                            name,
                            "function",
                            TopName::Func { id, arities },
                            &mut prog,
                            &mut errors,
                        );
                    }
                }
            }
            DeclKind::PatternBind { pattern, body } => {
                let pb = patbind_work.len() as u32;
                patbind_work.push((pattern, body));
                let mut ns = Vec::new();
                pattern_idents(pattern, &mut ns);
                for n in ns {
                    if head_names.contains(n.name.as_str()) {
                        continue;
                    }
                    let g = global_work.len() as u32;
                    global_work.push((
                        n.name.clone(),
                        Work::PatternPart(pb, n.name.clone()),
                        n.span,
                    ));
                    define(n, "constant", TopName::Global(g), &mut prog, &mut errors);
                }
            }
            DeclKind::Assert(a) => asserts.push(a),
            DeclKind::Print(e) => prints.push(e),
            DeclKind::Transparent(ns) => {
                for n in ns {
                    prog.names
                        .entry(n.name.clone())
                        .or_insert(TopName::Builtin(Builtin::Identity));
                }
            }
            DeclKind::External(ns) => {
                for n in ns {
                    prog.names
                        .entry(n.name.clone())
                        .or_insert(TopName::Builtin(Builtin::Unsupported));
                }
            }
            DeclKind::Include(_) => {}
        }
        prev_clause = this_clause;
    }

    // Pass C: resolve every body.
    let names = std::mem::take(&mut prog.names);
    let def_spans = std::mem::take(&mut prog.def_spans);
    let mut r = Resolver::new(&names, &head_info, &def_spans, tables);
    for (id, fields) in head_work {
        r.units.push(0);
        let irs: Vec<Ir> = fields.iter().map(|f| r.expr(f)).collect();
        let n = r.units.pop().unwrap_or(0);
        if let Some(h) = prog.heads.get_mut(id as usize) {
            h.fields = irs;
            h.nlocals = n;
        }
    }
    for (group, id) in func_groups.iter().zip(&func_ids) {
        if *id == u32::MAX {
            continue;
        }
        let clauses = group
            .clauses
            .iter()
            .map(|(params, body)| r.clause(params, body))
            .collect();
        if let Some(slot) = r.tables.funcs.get_mut(*id as usize) {
            let arities = slot.arities.clone();
            *slot = Arc::new(FuncDef {
                name: group.name.name.clone(),
                arities,
                clauses,
                span: group.span,
            });
        }
    }
    let mut patbind_slots: Vec<HashMap<String, u32>> = Vec::new();
    for (pattern, body) in &patbind_work {
        r.units.push(0);
        let body_ir = r.expr(body);
        r.scopes.push(HashMap::new());
        let pat = r.pattern(pattern, &mut HashSet::new());
        let frame = r.scopes.pop().unwrap_or_default();
        let nlocals = r.units.pop().unwrap_or(0);
        let slots = frame
            .into_iter()
            .filter_map(|(k, v)| match v {
                LocalName::Local { slot, .. } => Some((k, slot)),
                LocalName::Group { .. } => None,
            })
            .collect();
        patbind_slots.push(slots);
        prog.patbinds.push(PatBindDef {
            pat,
            body: body_ir,
            nlocals,
        });
    }
    for (name, work, span) in global_work {
        let def = match work {
            Work::Const(body) => {
                r.units.push(0);
                let body = r.expr(body);
                let nlocals = r.units.pop().unwrap_or(0);
                GlobalDef::Const { body, nlocals }
            }
            Work::Nametype(body) => {
                r.units.push(0);
                let body = r.expr(body);
                let nlocals = r.units.pop().unwrap_or(0);
                GlobalDef::Nametype { body, nlocals }
            }
            Work::PatternPart(pb, n) => {
                let slot = patbind_slots
                    .get(pb as usize)
                    .and_then(|m| m.get(&n))
                    .copied()
                    .unwrap_or(0);
                GlobalDef::PatternPart { pat: pb, slot }
            }
            Work::Datatype(ctors) => GlobalDef::Datatype { ctors },
            Work::Subtype(ctors) => {
                r.units.push(0);
                let mut out = Vec::new();
                for c in ctors {
                    match names.get(&c.name.name) {
                        Some(TopName::Head(h))
                            if head_info.get(*h as usize).map(|i| i.kind)
                                == Some(HeadKind::Constructor) =>
                        {
                            let fields = c.fields.iter().map(|f| r.expr(f)).collect();
                            out.push((*h, fields));
                        }
                        _ => r.errors.push(
                            Diagnostic::error(
                                "subtype",
                                format!("`{}` is not a constructor of a datatype", c.name.name),
                                c.name.span,
                            )
                            .with_help("a subtype lists constructors of an existing datatype"),
                        ),
                    }
                }
                let nlocals = r.units.pop().unwrap_or(0);
                GlobalDef::Subtype {
                    ctors: out,
                    nlocals,
                }
            }
        };
        prog.globals.push(GlobalEntry { name, def, span });
    }
    let mut top_exprs: Vec<&Expr> = prints;
    for a in asserts {
        match &a.kind {
            ast::AssertKind::Refinement {
                spec,
                implementation,
                ..
            } => {
                top_exprs.push(spec);
                top_exprs.push(implementation);
            }
            ast::AssertKind::Property { process, .. } => top_exprs.push(process),
            ast::AssertKind::HasTrace { process, trace, .. } => {
                top_exprs.push(process);
                top_exprs.push(trace);
            }
        }
        for o in &a.options {
            if let ast::AssertOption::TauPriority(e) = o {
                top_exprs.push(e);
            }
        }
    }
    for e in top_exprs {
        let te = r.top_expr(e);
        prog.exprs.insert(e.span, Arc::new(te));
    }
    errors.append(&mut r.errors);
    drop(r);
    prog.names = names;
    prog.def_spans = def_spans;
    errors.sort_by_key(|d| d.span().map(|s| (s.file, s.start)));
    (prog, errors)
}

/// Resolves one expression in the global scope of `prog` (for the CLI).
pub(crate) fn resolve_top_expr(
    prog: &Program,
    tables: &mut Tables,
    e: &Expr,
) -> Result<TopExpr, Vec<Diagnostic>> {
    let info: Vec<HeadInfo> = prog
        .heads
        .iter()
        .map(|h| HeadInfo {
            name: h.name.clone(),
            kind: h.kind,
            nfields: h.fields.len(),
        })
        .collect();
    let mut r = Resolver::new(&prog.names, &info, &prog.def_spans, tables);
    let te = r.top_expr(e);
    if r.errors.is_empty() {
        Ok(te)
    } else {
        Err(std::mem::take(&mut r.errors))
    }
}

/// Identifiers a pattern mentions (binders and constructor names alike).
fn pattern_idents<'p>(p: &'p Pattern, out: &mut Vec<&'p Ident>) {
    match &p.kind {
        PatternKind::Name(id) => out.push(id),
        PatternKind::Tuple(ps)
        | PatternKind::Dotted(ps)
        | PatternKind::Seq(ps)
        | PatternKind::Concat(ps)
        | PatternKind::Set(ps) => ps.iter().for_each(|q| pattern_idents(q, out)),
        PatternKind::Both(a, b) => {
            pattern_idents(a, out);
            pattern_idents(b, out);
        }
        _ => {}
    }
}

/// Names occurring free in `e` (patterns count as binding every name they
/// mention; this only decides let-block dependency order).
fn free_names(e: &Expr, bound: &mut Vec<String>, out: &mut HashSet<String>) {
    let bind_pats = |ps: &mut dyn Iterator<Item = &Pattern>, bound: &mut Vec<String>| {
        for p in ps {
            let mut ids = Vec::new();
            pattern_idents(p, &mut ids);
            bound.extend(ids.into_iter().map(|i| i.name.clone()));
        }
    };
    let mark = bound.len();
    match &e.kind {
        ExprKind::Int(_) | ExprKind::Bool(_) | ExprKind::Char(_) | ExprKind::Str(_) => {}
        ExprKind::Name(id) => {
            if !bound.contains(&id.name) {
                out.insert(id.name.clone());
            }
        }
        ExprKind::Apply(f, args) => {
            free_names(f, bound, out);
            args.iter().for_each(|a| free_names(a, bound, out));
        }
        ExprKind::Unary(_, a) => free_names(a, bound, out),
        ExprKind::Binary(_, a, b)
        | ExprKind::Guard(a, b)
        | ExprKind::ProcBinary(_, a, b)
        | ExprKind::Hide(a, b) => {
            free_names(a, bound, out);
            free_names(b, bound, out);
        }
        ExprKind::If(a, b, c) | ExprKind::Parallel(a, b, c) => {
            free_names(a, bound, out);
            free_names(b, bound, out);
            free_names(c, bound, out);
        }
        ExprKind::AlphaParallel(a, b, c, d) => {
            for x in [a, b, c, d] {
                free_names(x, bound, out);
            }
        }
        ExprKind::Let(decls, body) => {
            for d in decls {
                match &d.kind {
                    DeclKind::Clause { name, .. } => bound.push(name.name.clone()),
                    DeclKind::PatternBind { pattern, .. } => {
                        bind_pats(&mut std::iter::once(pattern), bound)
                    }
                    _ => {}
                }
            }
            for d in decls {
                free_names_decl(d, bound, out);
            }
            free_names(body, bound, out);
        }
        ExprKind::Lambda(ps, body) => {
            bind_pats(&mut ps.iter(), bound);
            free_names(body, bound, out);
        }
        ExprKind::Tuple(es)
        | ExprKind::Dotted(es)
        | ExprKind::SetEnum(es)
        | ExprKind::EventSet(es)
        | ExprKind::SeqEnum(es) => es.iter().for_each(|a| free_names(a, bound, out)),
        ExprKind::SetRange(a, b) | ExprKind::SeqRange(a, b) => {
            free_names(a, bound, out);
            if let Some(b) = b {
                free_names(b, bound, out);
            }
        }
        ExprKind::SetComp(es, stmts)
        | ExprKind::EventSetComp(es, stmts)
        | ExprKind::SeqComp(es, stmts) => {
            free_names_stmts(stmts, bound, out);
            es.iter().for_each(|a| free_names(a, bound, out));
        }
        ExprKind::MapEnum(kvs) => {
            for (k, v) in kvs {
                free_names(k, bound, out);
                free_names(v, bound, out);
            }
        }
        ExprKind::Prefix {
            channel,
            fields,
            body,
        } => {
            free_names(channel, bound, out);
            for f in fields {
                match f {
                    PrefixField::Output(x) | PrefixField::Dot(x) => free_names(x, bound, out),
                    PrefixField::Input {
                        pattern,
                        restriction,
                    }
                    | PrefixField::NondetInput {
                        pattern,
                        restriction,
                    } => {
                        if let Some(r) = restriction {
                            free_names(r, bound, out);
                        }
                        bind_pats(&mut std::iter::once(pattern), bound);
                    }
                }
            }
            free_names(body, bound, out);
        }
        ExprKind::Linked(p, links, stmts, q) => {
            free_names(p, bound, out);
            free_names(q, bound, out);
            free_names_stmts(stmts, bound, out);
            for l in links {
                free_names(&l.left, bound, out);
                free_names(&l.right, bound, out);
            }
        }
        ExprKind::Rename(p, links, stmts) => {
            free_names(p, bound, out);
            free_names_stmts(stmts, bound, out);
            for l in links {
                free_names(&l.left, bound, out);
                free_names(&l.right, bound, out);
            }
        }
        ExprKind::Replicated(op, stmts, body) => {
            match op {
                ReplicatedOp::Parallel(a) => free_names(a, bound, out),
                ReplicatedOp::Linked(links) => {
                    for l in links {
                        free_names(&l.left, bound, out);
                        free_names(&l.right, bound, out);
                    }
                }
                _ => {}
            }
            free_names_stmts(stmts, bound, out);
            if let ReplicatedOp::AlphaParallel(a) = op {
                free_names(a, bound, out);
            }
            free_names(body, bound, out);
        }
    }
    bound.truncate(mark);
}

fn free_names_decl(d: &Decl, bound: &mut Vec<String>, out: &mut HashSet<String>) {
    let mark = bound.len();
    match &d.kind {
        DeclKind::Clause { params, body, .. } => {
            for p in params.iter().flatten() {
                let mut ids = Vec::new();
                pattern_idents(p, &mut ids);
                bound.extend(ids.into_iter().map(|i| i.name.clone()));
            }
            free_names(body, bound, out);
        }
        DeclKind::PatternBind { body, .. } => free_names(body, bound, out),
        _ => {}
    }
    bound.truncate(mark);
}

/// Leaves the generator-bound names on `bound` (the caller truncates).
fn free_names_stmts(stmts: &[Stmt], bound: &mut Vec<String>, out: &mut HashSet<String>) {
    for s in stmts {
        match s {
            Stmt::Generator { pattern, source } => {
                free_names(source, bound, out);
                let mut ids = Vec::new();
                pattern_idents(pattern, &mut ids);
                bound.extend(ids.into_iter().map(|i| i.name.clone()));
            }
            Stmt::Guard(g) => free_names(g, bound, out),
        }
    }
}

/// A locally bound name.
#[derive(Clone, Debug)]
enum LocalName {
    /// A local slot of the unit at environment level `level`.
    Local { key: u32, level: usize, slot: u32 },
    /// A member of a local recursive group whose environment level is `level`.
    Group {
        key: u32,
        level: usize,
        func: u32,
        nullary: bool,
        arities: Vec<usize>,
        span: Span,
    },
}

/// What a capture refers to, so each outer value is captured once per level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum CapKey {
    Binding(u32),
    Group(u32),
}

/// One environment level (lambda, thunk, or local group): what it captures.
#[derive(Default)]
struct Level {
    captures: Vec<CapSrc>,
    names: Vec<String>,
    index: HashMap<CapKey, u32>,
}

struct Resolver<'a> {
    names: &'a HashMap<String, TopName>,
    heads: &'a [HeadInfo],
    def_spans: &'a HashMap<String, Span>,
    tables: &'a mut Tables,
    scopes: Vec<HashMap<String, LocalName>>,
    levels: Vec<Level>,
    units: Vec<u32>,
    errors: Vec<Diagnostic>,
    next_key: u32,
}

fn ir(kind: IrKind, span: Span) -> Ir {
    Ir { kind, span }
}

fn proc_const(p: Proc) -> Value {
    Value::Proc(Arc::new(p))
}

/// Edit distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

impl<'a> Resolver<'a> {
    fn new(
        names: &'a HashMap<String, TopName>,
        heads: &'a [HeadInfo],
        def_spans: &'a HashMap<String, Span>,
        tables: &'a mut Tables,
    ) -> Resolver<'a> {
        Resolver {
            names,
            heads,
            def_spans,
            tables,
            scopes: Vec::new(),
            levels: vec![Level::default()],
            units: Vec::new(),
            errors: Vec::new(),
            next_key: 0,
        }
    }

    fn top_expr(&mut self, e: &Expr) -> TopExpr {
        self.units.push(0);
        let ir = self.expr(e);
        let nlocals = self.units.pop().unwrap_or(0);
        TopExpr { ir, nlocals }
    }

    fn level(&self) -> usize {
        self.levels.len() - 1
    }

    fn fresh_key(&mut self) -> u32 {
        self.next_key += 1;
        self.next_key
    }

    fn alloc_slot(&mut self) -> u32 {
        match self.units.last_mut() {
            Some(n) => {
                *n += 1;
                *n - 1
            }
            None => 0,
        }
    }

    /// Binds `id` as a new local variable in the innermost scope.
    fn bind_local(&mut self, id: &Ident) -> u32 {
        let slot = self.alloc_slot();
        let key = self.fresh_key();
        let level = self.level();
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(id.name.clone(), LocalName::Local { key, level, slot });
        }
        slot
    }

    /// Makes the value of `key` (defined at `def_level` as `src`) available
    /// at the current level, capturing it through every level in between.
    fn capture(&mut self, key: CapKey, def_level: usize, mut src: CapSrc, name: &str) -> CapSrc {
        let cur = self.level();
        for l in def_level + 1..=cur {
            let level = &mut self.levels[l];
            let k = match level.index.get(&key) {
                Some(k) => *k,
                None => {
                    level.captures.push(src);
                    level.names.push(name.to_string());
                    let k = (level.captures.len() - 1) as u32;
                    level.index.insert(key, k);
                    k
                }
            };
            src = CapSrc::Env(k);
        }
        src
    }

    fn lookup_local(&self, name: &str) -> Option<LocalName> {
        self.scopes.iter().rev().find_map(|s| s.get(name)).cloned()
    }

    fn head_of(&self, name: &str) -> Option<u32> {
        match self.names.get(name) {
            Some(TopName::Head(h)) => Some(*h),
            _ => None,
        }
    }

    fn suggest(&self, name: &str) -> Option<String> {
        let len = name.chars().count();
        let limit = if len <= 2 { 0 } else { (len / 3).max(1) };
        let mut best: Option<(usize, String)> = None;
        let locals = self.scopes.iter().flat_map(|s| s.keys());
        let tops = self.names.keys();
        let builtin = builtins::BUILTINS
            .iter()
            .map(|(n, _, _)| *n)
            .chain(builtins::BUILTIN_CONSTANTS.iter().copied());
        for cand in locals.chain(tops).map(String::as_str).chain(builtin) {
            if cand == name {
                continue;
            }
            // A case-only difference (`Stop` → `STOP`) is always worth suggesting.
            let d = distance(&name.to_lowercase(), &cand.to_lowercase());
            if (d == 0 || d <= limit)
                && best
                    .as_ref()
                    .map_or(true, |(bd, bn)| (d, cand) < (*bd, bn.as_str()))
            {
                best = Some((d, cand.to_string()));
            }
        }
        best.map(|(_, n)| n)
    }

    fn undefined(&mut self, id: &Ident) {
        let mut d = Diagnostic::error(
            "undefined-name",
            format!("`{}` is not defined", id.name),
            id.span,
        )
        .with_label_text("not found in this scope");
        if let Some(s) = self.suggest(&id.name) {
            d = d.with_help(format!("did you mean `{s}`?"));
        }
        self.errors.push(d);
    }

    /// Resolves a name used as an expression.
    fn name(&mut self, id: &Ident) -> IrKind {
        if let Some(l) = self.lookup_local(&id.name) {
            return match l {
                LocalName::Local { key, level, slot } => IrKind::Var(self.capture(
                    CapKey::Binding(key),
                    level,
                    CapSrc::Local(slot),
                    &id.name,
                )),
                LocalName::Group {
                    key,
                    level,
                    func,
                    nullary,
                    ..
                } => {
                    let env = self.capture(CapKey::Group(key), level, CapSrc::WholeEnv, "<let>");
                    if nullary {
                        IrKind::GroupConst { func, env }
                    } else {
                        IrKind::GroupFn { func, env }
                    }
                }
            };
        }
        match self.names.get(&id.name) {
            Some(TopName::Global(g)) => return IrKind::Global(*g),
            Some(TopName::Head(h)) => return IrKind::Head(*h),
            Some(TopName::Func { id: f, .. }) => {
                return IrKind::Const(Value::Function(Arc::new(super::value::Function {
                    id: u64::from(*f),
                    name: id.name.as_str().into(),
                    captured: Vec::new(),
                    applied: Vec::new(),
                })))
            }
            Some(TopName::Builtin(b)) => {
                return IrKind::Const(builtins::function_value(&id.name, *b))
            }
            None => {}
        }
        let constant = match id.name.as_str() {
            "STOP" => Some(proc_const(Proc::Stop)),
            "SKIP" => Some(proc_const(Proc::Skip)),
            "DIV" => Some(proc_const(Proc::Div)),
            "Int" => Some(Value::Infinite(Arc::new(InfiniteSet::Ints))),
            "Bool" => Some(Value::set([Value::Bool(false), Value::Bool(true)])),
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            "emptyMap" => Some(Value::Map(Arc::default())),
            "Events" => return IrKind::Events,
            _ => None,
        };
        if let Some(v) = constant {
            return IrKind::Const(v);
        }
        if let Some((_, b)) = builtins::lookup(&id.name) {
            return IrKind::Const(builtins::function_value(&id.name, b));
        }
        self.undefined(id);
        IrKind::Const(Value::Int(0))
    }

    /// The arities of a name applied to arguments, when statically known.
    fn known_arities(&mut self, id: &Ident, call: Span) -> Option<(Vec<usize>, Option<Span>)> {
        if let Some(l) = self.lookup_local(&id.name) {
            return match l {
                LocalName::Group {
                    nullary: false,
                    arities,
                    span,
                    ..
                } => Some((arities, Some(span))),
                _ => None,
            };
        }
        match self.names.get(&id.name) {
            Some(TopName::Func { arities, .. }) => {
                Some((arities.clone(), self.def_spans.get(&id.name).copied()))
            }
            Some(TopName::Builtin(_)) => Some((vec![1], None)),
            Some(TopName::Head(h)) => {
                let what = match self.heads.get(*h as usize).map(|i| i.kind) {
                    Some(HeadKind::Channel) => "channel",
                    _ => "constructor",
                };
                let name = self
                    .heads
                    .get(*h as usize)
                    .map_or(id.name.as_str(), |i| i.name.as_str());
                self.errors.push(
                    Diagnostic::error(
                        "not-a-function",
                        format!("`{name}` is a {what}, not a function"),
                        call,
                    )
                    .with_help(format!("fields are given with dots: `{name}.x`")),
                );
                None
            }
            Some(TopName::Global(_)) => None,
            None => builtins::lookup(&id.name).map(|(a, _)| (vec![a], None)),
        }
    }

    fn apply(&mut self, e: &Expr) -> Ir {
        // Flatten f(a)(b) into the base and its argument lists.
        let mut lists: Vec<(&[Expr], Span)> = Vec::new();
        let mut base = e;
        while let ExprKind::Apply(f, args) = &base.kind {
            lists.push((args, base.span));
            base = f;
        }
        lists.reverse();
        if let ExprKind::Name(id) = &base.kind {
            if let Some((arities, def)) = self.known_arities(id, e.span) {
                for (i, (args, span)) in lists.iter().enumerate() {
                    let Some(&want) = arities.get(i) else { break };
                    if args.len() != want {
                        let plural = |n: usize| if n == 1 { "argument" } else { "arguments" };
                        let list = if arities.len() > 1 {
                            format!(" in argument list {}", i + 1)
                        } else {
                            String::new()
                        };
                        let mut d = Diagnostic::error(
                            "arity",
                            format!(
                                "`{}` expects {want} {}{list} but was given {}",
                                id.name,
                                plural(want),
                                args.len()
                            ),
                            *span,
                        )
                        .with_label_text(format!(
                            "{} {} given",
                            args.len(),
                            plural(args.len())
                        ));
                        if let Some(def) = def {
                            if def.file == span.file {
                                d = d.with_label(def, "defined here");
                            }
                        }
                        self.errors.push(d);
                    }
                }
            }
        }
        let mut out = self.expr(base);
        for (args, span) in lists {
            let args = args.iter().map(|a| self.expr(a)).collect();
            out = ir(IrKind::Apply(Box::new(out), args), span);
        }
        out
    }

    /// Resolves a pattern, binding its variables in the innermost scope.
    fn pattern(&mut self, p: &Pattern, seen: &mut HashSet<String>) -> Pat {
        let kind = match &p.kind {
            PatternKind::Wildcard => PatKind::Wild,
            PatternKind::Name(id) => match self.head_of(&id.name) {
                Some(h) => PatKind::Head(h),
                None => {
                    if !seen.insert(id.name.clone()) {
                        self.errors.push(Diagnostic::error(
                            "duplicate-binding",
                            format!("`{}` is bound twice in one pattern", id.name),
                            id.span,
                        ));
                    }
                    PatKind::Bind(self.bind_local(id))
                }
            },
            PatternKind::Int(i) => PatKind::Const(Value::Int(*i)),
            PatternKind::Bool(b) => PatKind::Const(Value::Bool(*b)),
            PatternKind::Char(c) => PatKind::Const(Value::Char(*c)),
            PatternKind::Str(s) => PatKind::Const(Value::Str(s.as_str().into())),
            PatternKind::Tuple(ps) => {
                PatKind::Tuple(ps.iter().map(|q| self.pattern(q, seen)).collect())
            }
            PatternKind::Dotted(ps) => {
                self.check_dotted_pattern(ps);
                PatKind::Dotted(ps.iter().map(|q| self.pattern(q, seen)).collect())
            }
            PatternKind::Seq(ps) => {
                PatKind::Seq(ps.iter().map(|q| self.pattern(q, seen)).collect())
            }
            PatternKind::Concat(ps) => {
                let open = ps
                    .iter()
                    .filter(|q| !matches!(q.kind, PatternKind::Seq(_)))
                    .count();
                if open > 1 {
                    self.errors.push(Diagnostic::error(
                        "pattern",
                        "at most one part of a `^` pattern may have an unknown length",
                        p.span,
                    ));
                }
                PatKind::Concat(ps.iter().map(|q| self.pattern(q, seen)).collect())
            }
            PatternKind::Set(ps) => {
                if ps.len() > 1 {
                    self.errors.push(Diagnostic::error(
                        "pattern",
                        "a set pattern matches only `{}` or `{x}`",
                        p.span,
                    ));
                }
                PatKind::Set(ps.iter().map(|q| self.pattern(q, seen)).collect())
            }
            PatternKind::Both(a, b) => PatKind::Both(
                Box::new(self.pattern(a, seen)),
                Box::new(self.pattern(b, seen)),
            ),
        };
        Pat { kind, span: p.span }
    }

    /// `Req.x.y` where `Req` has one field: too many fields.
    fn check_dotted_pattern(&mut self, ps: &[Pattern]) {
        let head_of = |q: &Pattern| match &q.kind {
            PatternKind::Name(id) => self.head_of(&id.name),
            _ => None,
        };
        let Some(first) = ps.first().and_then(head_of) else {
            return;
        };
        let mut need = self.heads.get(first as usize).map_or(0, |h| h.nfields);
        let mut owner = first;
        for q in &ps[1..] {
            if need == 0 {
                let h = self.heads.get(owner as usize);
                let (name, n) = h.map_or(("?", 0), |h| (h.name.as_str(), h.nfields));
                let what = match h.map(|h| h.kind) {
                    Some(HeadKind::Channel) => "channel",
                    _ => "constructor",
                };
                let fields = if n == 1 { "field" } else { "fields" };
                self.errors.push(
                    Diagnostic::error(
                        "arity",
                        format!(
                            "too many fields in this pattern: {what} `{name}` has {n} {fields}"
                        ),
                        q.span,
                    )
                    .with_label_text("this field is one too many"),
                );
                return;
            }
            need -= 1;
            if let Some(h) = head_of(q) {
                need += self.heads.get(h as usize).map_or(0, |i| i.nfields);
                owner = h;
            }
        }
    }

    /// One function clause: parameters bind in a new unit at the current level.
    fn clause(&mut self, params: &[Vec<Pattern>], body: &Expr) -> ClauseIr {
        self.units.push(0);
        self.scopes.push(HashMap::new());
        let mut seen = HashSet::new();
        let pats = params
            .iter()
            .flatten()
            .map(|p| self.pattern(p, &mut seen))
            .collect();
        let body = self.expr(body);
        self.scopes.pop();
        let nlocals = self.units.pop().unwrap_or(0);
        ClauseIr {
            pats,
            body,
            nlocals,
        }
    }

    /// Resolves `body` as a suspended expression: its own level and frame.
    fn thunk(&mut self, body: &Expr) -> (u32, Vec<CapSrc>) {
        self.levels.push(Level::default());
        self.units.push(0);
        let body_ir = self.expr(body);
        let nlocals = self.units.pop().unwrap_or(0);
        let level = self.levels.pop().unwrap_or_default();
        let code = self.tables.thunks.len() as u32;
        self.tables.thunks.push(Arc::new(ThunkCode {
            body: ThunkBody::Expr {
                body: body_ir,
                nlocals,
            },
            span: body.span,
            names: level.names,
        }));
        (code, level.captures)
    }

    fn lambda(&mut self, pats: &[Pattern], body: &Expr, span: Span) -> IrKind {
        self.levels.push(Level::default());
        self.units.push(0);
        self.scopes.push(HashMap::new());
        let mut seen = HashSet::new();
        let pats: Vec<Pat> = pats.iter().map(|p| self.pattern(p, &mut seen)).collect();
        let body = self.expr(body);
        self.scopes.pop();
        let nlocals = self.units.pop().unwrap_or(0);
        let level = self.levels.pop().unwrap_or_default();
        let func = self.tables.funcs.len() as u32;
        self.tables.funcs.push(Arc::new(FuncDef {
            name: "lambda".into(),
            arities: vec![pats.len()],
            clauses: vec![ClauseIr {
                pats,
                body,
                nlocals,
            }],
            span,
        }));
        IrKind::Closure {
            func,
            captures: level.captures,
        }
    }

    /// Resolves statements, then `inner` in their scope.
    fn stmts<T>(&mut self, stmts: &[Stmt], inner: impl FnOnce(&mut Self) -> T) -> (Vec<StmtIr>, T) {
        let depth = self.scopes.len();
        let mut out = Vec::new();
        for s in stmts {
            match s {
                Stmt::Generator { pattern, source } => {
                    let src = self.expr(source);
                    self.scopes.push(HashMap::new());
                    let pat = self.pattern(pattern, &mut HashSet::new());
                    out.push(StmtIr::Gen(pat, src));
                }
                Stmt::Guard(g) => out.push(StmtIr::Guard(self.expr(g))),
            }
        }
        let t = inner(self);
        self.scopes.truncate(depth);
        (out, t)
    }

    fn links(&mut self, links: &[ast::Link]) -> Vec<(Ir, Ir)> {
        links
            .iter()
            .map(|l| (self.expr(&l.left), self.expr(&l.right)))
            .collect()
    }

    fn exprs(&mut self, es: &[Expr]) -> Vec<Ir> {
        es.iter().map(|e| self.expr(e)).collect()
    }

    fn boxed(&mut self, e: &Expr) -> Box<Ir> {
        Box::new(self.expr(e))
    }

    fn prefix(&mut self, channel: &Expr, fields: &[PrefixField], body: &Expr) -> IrKind {
        let chan = self.boxed(channel);
        self.scopes.push(HashMap::new());
        let mut seen = HashSet::new();
        let n = fields.len();
        let mut out = Vec::new();
        for (i, f) in fields.iter().enumerate() {
            match f {
                PrefixField::Output(e) | PrefixField::Dot(e) => {
                    out.push(FieldIr::Out(self.expr(e)))
                }
                PrefixField::Input {
                    pattern,
                    restriction,
                }
                | PrefixField::NondetInput {
                    pattern,
                    restriction,
                } => {
                    let restrict = restriction.as_ref().map(|r| self.expr(r));
                    let width = match &pattern.kind {
                        PatternKind::Dotted(ps) => match ps.first().map(|q| &q.kind) {
                            Some(PatternKind::Name(id)) if self.head_of(&id.name).is_some() => 1,
                            _ => ps.len(),
                        },
                        _ => 1,
                    };
                    let pat = self.pattern(pattern, &mut seen);
                    out.push(FieldIr::In {
                        pat,
                        restrict,
                        nondet: matches!(f, PrefixField::NondetInput { .. }),
                        width,
                        last: i + 1 == n,
                    });
                }
            }
        }
        let (code, captures) = self.thunk(body);
        self.scopes.pop();
        IrKind::Prefix {
            chan,
            fields: out,
            body: code,
            captures,
        }
    }

    fn replicated(&mut self, op: &ReplicatedOp, stmts: &[Stmt], body: &Expr, span: Span) -> IrKind {
        let dummy = || Box::new(ir(IrKind::Const(Value::Int(0)), span));
        match op {
            ReplicatedOp::Sequential => {
                let (st, (code, captures)) = self.stmts(stmts, |r| r.thunk(body));
                let rest = self.tables.thunks.len() as u32;
                self.tables.thunks.push(Arc::new(ThunkCode {
                    body: ThunkBody::SeqRest { body: code },
                    span,
                    names: vec!["<remaining elements>".into()],
                }));
                IrKind::Replicated(
                    ReplIr::Sequential {
                        body: code,
                        captures,
                        rest,
                    },
                    st,
                    dummy(),
                )
            }
            ReplicatedOp::Parallel(a) => {
                let a = self.boxed(a);
                let (st, b) = self.stmts(stmts, |r| r.boxed(body));
                IrKind::Replicated(ReplIr::Parallel(a), st, b)
            }
            ReplicatedOp::Linked(links) => {
                let links = self.links(links);
                let (st, b) = self.stmts(stmts, |r| r.boxed(body));
                IrKind::Replicated(ReplIr::Linked(links), st, b)
            }
            ReplicatedOp::AlphaParallel(a) => {
                let (st, (a, b)) = self.stmts(stmts, |r| (r.boxed(a), r.boxed(body)));
                IrKind::Replicated(ReplIr::AlphaParallel(a), st, b)
            }
            ReplicatedOp::ExternalChoice
            | ReplicatedOp::InternalChoice
            | ReplicatedOp::Interleave => {
                let (st, b) = self.stmts(stmts, |r| r.boxed(body));
                let op = match op {
                    ReplicatedOp::ExternalChoice => ReplIr::ExternalChoice,
                    ReplicatedOp::InternalChoice => ReplIr::InternalChoice,
                    _ => ReplIr::Interleave,
                };
                IrKind::Replicated(op, st, b)
            }
        }
    }

    fn expr(&mut self, e: &Expr) -> Ir {
        let kind = match &e.kind {
            ExprKind::Int(i) => IrKind::Const(Value::Int(*i)),
            ExprKind::Bool(b) => IrKind::Const(Value::Bool(*b)),
            ExprKind::Char(c) => IrKind::Const(Value::Char(*c)),
            ExprKind::Str(s) => IrKind::Const(Value::Str(s.as_str().into())),
            ExprKind::Name(id) => self.name(id),
            ExprKind::Apply(..) => return self.apply(e),
            ExprKind::Unary(op, a) => IrKind::Unary(*op, self.boxed(a)),
            ExprKind::Binary(op, a, b) => IrKind::Binary(*op, self.boxed(a), self.boxed(b)),
            ExprKind::If(c, a, b) => IrKind::If(self.boxed(c), self.boxed(a), self.boxed(b)),
            ExprKind::Let(decls, body) => self.let_block(decls, body),
            ExprKind::Lambda(ps, body) => self.lambda(ps, body, e.span),
            ExprKind::Tuple(es) => IrKind::Tuple(self.exprs(es)),
            ExprKind::Dotted(es) => IrKind::Dotted(self.exprs(es)),
            ExprKind::SetEnum(es) => IrKind::SetEnum(self.exprs(es)),
            ExprKind::SetRange(a, b) => {
                IrKind::SetRange(self.boxed(a), b.as_ref().map(|b| self.boxed(b)))
            }
            ExprKind::SetComp(es, stmts) => {
                let (st, es) = self.stmts(stmts, |r| r.exprs(es));
                IrKind::SetComp(es, st)
            }
            ExprKind::EventSet(es) => IrKind::EventSet(self.exprs(es)),
            ExprKind::EventSetComp(es, stmts) => {
                let (st, es) = self.stmts(stmts, |r| r.exprs(es));
                IrKind::EventSetComp(es, st)
            }
            ExprKind::SeqEnum(es) => IrKind::SeqEnum(self.exprs(es)),
            ExprKind::SeqRange(a, b) => {
                IrKind::SeqRange(self.boxed(a), b.as_ref().map(|b| self.boxed(b)))
            }
            ExprKind::SeqComp(es, stmts) => {
                let (st, es) = self.stmts(stmts, |r| r.exprs(es));
                IrKind::SeqComp(es, st)
            }
            ExprKind::MapEnum(kvs) => IrKind::MapEnum(
                kvs.iter()
                    .map(|(k, v)| (self.expr(k), self.expr(v)))
                    .collect(),
            ),
            ExprKind::Prefix {
                channel,
                fields,
                body,
            } => self.prefix(channel, fields, body),
            ExprKind::Guard(b, p) => IrKind::Guard(self.boxed(b), self.boxed(p)),
            ExprKind::ProcBinary(op, p, q) => {
                let p = self.boxed(p);
                let q = match op {
                    ast::ProcOp::Sequential | ast::ProcOp::SlidingChoice => {
                        let (code, captures) = self.thunk(q);
                        Box::new(ir(IrKind::MakeThunk { code, captures }, q.span))
                    }
                    _ => self.boxed(q),
                };
                IrKind::ProcBinary(*op, p, q)
            }
            ExprKind::Parallel(p, a, q) => {
                IrKind::Parallel(self.boxed(p), self.boxed(a), self.boxed(q))
            }
            ExprKind::AlphaParallel(p, a, b, q) => {
                IrKind::AlphaParallel(self.boxed(p), self.boxed(a), self.boxed(b), self.boxed(q))
            }
            ExprKind::Linked(p, links, stmts, q) => {
                let p = self.boxed(p);
                let q = self.boxed(q);
                let (st, links) = self.stmts(stmts, |r| r.links(links));
                IrKind::Linked(p, links, st, q)
            }
            ExprKind::Hide(p, a) => IrKind::Hide(self.boxed(p), self.boxed(a)),
            ExprKind::Rename(p, links, stmts) => {
                let p = self.boxed(p);
                let (st, links) = self.stmts(stmts, |r| r.links(links));
                IrKind::Rename(p, links, st)
            }
            ExprKind::Replicated(op, stmts, body) => self.replicated(op, stmts, body, e.span),
        };
        ir(kind, e.span)
    }

    fn let_block(&mut self, decls: &[Decl], body: &Expr) -> IrKind {
        // Items: functions (grouped clauses), constants, pattern bindings.
        enum Item<'m> {
            Func(ClauseGroup<'m>),
            Pat(&'m Pattern, &'m Expr, Vec<&'m Ident>),
        }
        let mut items: Vec<Item> = Vec::new();
        let mut prev: Option<&str> = None;
        let mut defined: HashMap<String, Span> = HashMap::new();
        for d in decls {
            let mut this = None;
            match &d.kind {
                DeclKind::Clause { name, params, body } => {
                    this = Some(name.name.as_str());
                    let mut merged = false;
                    if prev == Some(name.name.as_str()) {
                        if let Some(Item::Func(g)) = items.last_mut() {
                            merge_clause(g, name, params, body, d.span, &mut self.errors);
                            merged = true;
                        }
                    }
                    if !merged {
                        if let Some(first) = defined.get(&name.name) {
                            self.errors
                                .push(duplicate(&name.name, *first, name.span, None));
                        }
                        defined.insert(name.name.clone(), name.span);
                        items.push(Item::Func(ClauseGroup {
                            name,
                            clauses: vec![(params, body)],
                            span: d.span,
                        }));
                    }
                }
                DeclKind::PatternBind { pattern, body } => {
                    let mut ids = Vec::new();
                    pattern_idents(pattern, &mut ids);
                    ids.retain(|i| self.head_of(&i.name).is_none());
                    for i in &ids {
                        if let Some(first) = defined.get(&i.name) {
                            self.errors.push(duplicate(&i.name, *first, i.span, None));
                        }
                        defined.insert(i.name.clone(), i.span);
                    }
                    items.push(Item::Pat(pattern, body, ids));
                }
                _ => self.errors.push(Diagnostic::error(
                    "let",
                    "only definitions (`x = …`, `f(x) = …`) may appear between `let` and `within`",
                    d.span,
                )),
            }
            prev = this;
        }

        // Slots for every name, visible to all bindings and the body.
        let level = self.level();
        let mut frame = HashMap::new();
        let mut item_slots: Vec<Vec<u32>> = Vec::new();
        let mut name_item: HashMap<String, usize> = HashMap::new();
        for (i, it) in items.iter().enumerate() {
            let ids: Vec<&Ident> = match it {
                Item::Func(g) => vec![g.name],
                Item::Pat(_, _, ids) => ids.clone(),
            };
            let mut slots = Vec::new();
            for id in ids {
                let slot = self.alloc_slot();
                let key = self.fresh_key();
                frame.insert(id.name.clone(), LocalName::Local { key, level, slot });
                name_item.insert(id.name.clone(), i);
                slots.push(slot);
            }
            item_slots.push(slots);
        }
        self.scopes.push(frame);

        // Dependencies between items, then strongly connected components in
        // dependency order.
        let deps: Vec<Vec<usize>> = items
            .iter()
            .map(|it| {
                let mut out = HashSet::new();
                let mut bound = Vec::new();
                match it {
                    Item::Func(g) => {
                        for (params, body) in &g.clauses {
                            for p in params.iter().flatten() {
                                let mut ids = Vec::new();
                                pattern_idents(p, &mut ids);
                                bound.extend(ids.into_iter().map(|i| i.name.clone()));
                            }
                            free_names(body, &mut bound, &mut out);
                            bound.clear();
                        }
                    }
                    Item::Pat(_, body, _) => free_names(body, &mut bound, &mut out),
                }
                let set: BTreeSet<usize> = out
                    .iter()
                    .filter_map(|n| name_item.get(n).copied())
                    .collect();
                set.into_iter().collect()
            })
            .collect();
        let sccs = tarjan(&deps);

        let mut binds = Vec::new();
        let mut group_envs = Vec::new();
        for scc in sccs {
            let recursive = scc.len() > 1 || scc.iter().any(|i| deps[*i].contains(i));
            let single_func = scc.len() == 1
                && matches!(items[scc[0]], Item::Func(ref g) if !g.clauses[0].0.is_empty());
            if !recursive && !single_func {
                let i = scc[0];
                match &items[i] {
                    Item::Func(g) => {
                        let body = self.expr(g.clauses[0].1);
                        binds.push(LetBind::Plain {
                            slot: item_slots[i][0],
                            body,
                        });
                    }
                    Item::Pat(p, body, _) => {
                        let body = self.expr(body);
                        // Bind the pattern into the slots already allocated.
                        self.scopes.push(HashMap::new());
                        let pat = self.pattern(p, &mut HashSet::new());
                        let inner = self.scopes.pop().unwrap_or_default();
                        let pat = remap_pattern(pat, &inner, &self.scopes);
                        binds.push(LetBind::Pattern {
                            pat,
                            body,
                            slots: item_slots[i].clone(),
                        });
                    }
                }
                continue;
            }
            // A group with one shared environment level.
            let gkey = self.fresh_key();
            let glevel = self.level() + 1;
            self.levels.push(Level::default());
            let mut gframe = HashMap::new();
            let mut members = Vec::new();
            for &i in &scc {
                match &items[i] {
                    Item::Func(g) => {
                        let func = self.tables.funcs.len() as u32;
                        let arities: Vec<usize> = g.clauses[0].0.iter().map(Vec::len).collect();
                        self.tables.funcs.push(Arc::new(FuncDef {
                            name: g.name.name.clone(),
                            arities: arities.clone(),
                            clauses: Vec::new(),
                            span: g.span,
                        }));
                        gframe.insert(
                            g.name.name.clone(),
                            LocalName::Group {
                                key: gkey,
                                level: glevel,
                                func,
                                nullary: arities.is_empty(),
                                arities,
                                span: g.name.span,
                            },
                        );
                        members.push((i, func));
                    }
                    Item::Pat(p, _, _) => self.errors.push(Diagnostic::error(
                        "recursion",
                        "a pattern binding in a `let` cannot depend on itself",
                        p.span,
                    )),
                }
            }
            self.scopes.push(gframe);
            for &(i, func) in &members {
                if let Item::Func(g) = &items[i] {
                    let clauses = g
                        .clauses
                        .iter()
                        .map(|(params, body)| self.clause(params, body))
                        .collect();
                    if let Some(slot) = self.tables.funcs.get_mut(func as usize) {
                        let arities = slot.arities.clone();
                        *slot = Arc::new(FuncDef {
                            name: g.name.name.clone(),
                            arities,
                            clauses,
                            span: g.span,
                        });
                    }
                    let slot = item_slots[i][0];
                    let group = group_envs.len() as u32;
                    binds.push(if g.clauses[0].0.is_empty() {
                        LetBind::GroupConst { slot, func, group }
                    } else {
                        LetBind::GroupFn { slot, func, group }
                    });
                }
            }
            self.scopes.pop();
            let lvl = self.levels.pop().unwrap_or_default();
            group_envs.push(lvl.captures);
        }
        let body = self.boxed(body);
        self.scopes.pop();
        let id = self.tables.lets.len() as u32;
        self.tables.lets.push(Arc::new(LetDef {
            binds,
            groups: group_envs,
        }));
        IrKind::Let(id, body)
    }
}

/// A let pattern binding was resolved into fresh slots; point its binders
/// at the slots the let allocated for those names instead.
fn remap_pattern(
    pat: Pat,
    inner: &HashMap<String, LocalName>,
    scopes: &[HashMap<String, LocalName>],
) -> Pat {
    let mut map: HashMap<u32, u32> = HashMap::new();
    if let Some(outer) = scopes.last() {
        for (name, l) in inner {
            if let (LocalName::Local { slot: from, .. }, Some(LocalName::Local { slot: to, .. })) =
                (l, outer.get(name))
            {
                map.insert(*from, *to);
            }
        }
    }
    fn go(p: Pat, map: &HashMap<u32, u32>) -> Pat {
        let kind = match p.kind {
            PatKind::Bind(s) => PatKind::Bind(map.get(&s).copied().unwrap_or(s)),
            PatKind::Tuple(ps) => PatKind::Tuple(ps.into_iter().map(|q| go(q, map)).collect()),
            PatKind::Dotted(ps) => PatKind::Dotted(ps.into_iter().map(|q| go(q, map)).collect()),
            PatKind::Seq(ps) => PatKind::Seq(ps.into_iter().map(|q| go(q, map)).collect()),
            PatKind::Concat(ps) => PatKind::Concat(ps.into_iter().map(|q| go(q, map)).collect()),
            PatKind::Set(ps) => PatKind::Set(ps.into_iter().map(|q| go(q, map)).collect()),
            PatKind::Both(a, b) => PatKind::Both(Box::new(go(*a, map)), Box::new(go(*b, map))),
            k => k,
        };
        Pat { kind, span: p.span }
    }
    go(pat, &map)
}

/// Strongly connected components of `deps` (edges i → j: i uses j), each
/// listed after the components it depends on.
fn tarjan(deps: &[Vec<usize>]) -> Vec<Vec<usize>> {
    struct St<'d> {
        deps: &'d [Vec<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        out: Vec<Vec<usize>>,
    }
    fn visit(s: &mut St, v: usize) {
        s.index[v] = Some(s.next);
        s.low[v] = s.next;
        s.next += 1;
        s.stack.push(v);
        s.on[v] = true;
        for &w in &s.deps[v] {
            match s.index[w] {
                None => {
                    visit(s, w);
                    s.low[v] = s.low[v].min(s.low[w]);
                }
                Some(iw) if s.on[w] => s.low[v] = s.low[v].min(iw),
                _ => {}
            }
        }
        if Some(s.low[v]) == s.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on[w] = false;
                comp.push(w);
                if w == v {
                    break;
                }
            }
            comp.sort_unstable();
            s.out.push(comp);
        }
    }
    let n = deps.len();
    let mut s = St {
        deps,
        index: vec![None; n],
        low: vec![0; n],
        on: vec![false; n],
        stack: Vec::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in 0..n {
        if s.index[v].is_none() {
            visit(&mut s, v);
        }
    }
    s.out
}

#[cfg(test)]
mod tests {
    use super::{distance, tarjan};

    #[test]
    fn edit_distance() {
        assert_eq!(distance("lenght", "length"), 2);
        assert_eq!(distance("stop", "stop"), 0);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("PHIL", "PHILS"), 1);
    }

    #[test]
    fn components_come_after_their_dependencies() {
        // 0 uses 1; 1 and 2 use each other; 3 uses itself; 4 is alone.
        let deps = vec![vec![1], vec![2], vec![1], vec![3], vec![]];
        assert_eq!(tarjan(&deps), vec![vec![1, 2], vec![0], vec![3], vec![4]]);
    }
}
