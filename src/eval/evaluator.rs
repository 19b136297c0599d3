//! The evaluator of CSPM's functional language.
//!
//! Runs resolved code ([`ir`](super::ir)) over frames of local slots.
//! Top-level constants are evaluated lazily and memoised; a constant that
//! needs its own value is a located error, not a hang. Let-bound values are
//! evaluated on first use. User-function recursion is bounded by a depth
//! counter (see [`MAX_DEPTH`]); callers run evaluation on a big stack
//! ([`with_big_stack`](super::with_big_stack)) so that depth is reachable.

use super::builtins::{self, Builtin};
use super::events::{split_product, MAX_ENUMERATION};
use super::ir::*;
use super::proc::{Proc, ProcRef, Thunk};
use super::resolve::{self, GlobalEntry, Program, Tables, TopExpr, TopName};
use super::value::{Data, Function, Head, InfiniteSet, Value};
use crate::syntax::ast::{self, BinaryOp, UnaryOp};
use crate::syntax::{Diagnostic, SourceMap, Span};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Result of evaluation: a value or one located error.
pub(crate) type R<T> = Result<T, Diagnostic>;

/// Most nested user-function calls before evaluation stops with "recursion too deep".
pub const MAX_DEPTH: u32 = 10_000;

/// A local slot of a frame.
#[derive(Clone, Debug)]
pub(crate) enum Slot {
    /// Not bound yet.
    Unset,
    /// A value.
    Val(Value),
    /// A let binding (let table index, binding index) not evaluated yet.
    Pending(u32, u32),
}

/// The state of one running function clause, thunk or top-level expression.
pub(crate) struct Frame {
    /// Captured values.
    pub env: Arc<[Value]>,
    /// Local slots.
    pub locals: Vec<Slot>,
}

impl Frame {
    pub(crate) fn new(env: Arc<[Value]>, nlocals: u32) -> Frame {
        Frame {
            env,
            locals: vec![Slot::Unset; nlocals as usize],
        }
    }

    pub(crate) fn set(&mut self, slot: u32, v: Slot) {
        if let Some(s) = self.locals.get_mut(slot as usize) {
            *s = v;
        }
    }
}

enum GlobalState {
    Unevaluated,
    InProgress,
    Done(Value),
    Failed(Diagnostic),
}

enum HeadState {
    Unbuilt,
    Building,
    Built(Arc<Head>, Value),
}

fn internal(what: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        "internal",
        format!("internal error in the evaluator: {what}"),
        span,
    )
}

/// Evaluates a script's definitions and expressions; see the module docs.
pub struct Evaluator {
    pub(crate) prog: Program,
    pub(crate) tables: RefCell<Tables>,
    globals: RefCell<Vec<GlobalState>>,
    heads: RefCell<Vec<HeadState>>,
    events: RefCell<Option<Value>>,
    depth: Cell<u32>,
    pub(crate) sources: SourceMap,
    assertions: Vec<ast::Assertion>,
    prints: Vec<ast::Expr>,
    /// Names of process values made by named functions or constants
    /// (`PHIL(0)`, `BUTLER(0)`, `SYSTEM`), keyed by the term's address; the
    /// term is kept so the address cannot be reused.
    origins: RefCell<rustc_hash::FxHashMap<usize, (ProcRef, String)>>,
}

impl std::fmt::Debug for Evaluator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evaluator")
            .field("globals", &self.prog.globals.len())
            .field("heads", &self.prog.heads.len())
            .finish()
    }
}

impl Evaluator {
    /// Resolves and checks `module` (whose files are in `sources`); returns
    /// every static error found.
    pub fn from_module(
        module: &ast::Module,
        sources: &SourceMap,
    ) -> Result<Evaluator, Vec<Diagnostic>> {
        let mut tables = Tables::default();
        let (prog, errors) = resolve::resolve_module(module, &mut tables);
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut assertions = Vec::new();
        let mut prints = Vec::new();
        for d in &module.decls {
            match &d.kind {
                ast::DeclKind::Assert(a) => assertions.push(a.clone()),
                ast::DeclKind::Print(e) => prints.push(e.clone()),
                _ => {}
            }
        }
        let nglobals = prog.globals.len();
        let nheads = prog.heads.len();
        Ok(Evaluator {
            prog,
            tables: RefCell::new(tables),
            globals: RefCell::new((0..nglobals).map(|_| GlobalState::Unevaluated).collect()),
            heads: RefCell::new((0..nheads).map(|_| HeadState::Unbuilt).collect()),
            events: RefCell::new(None),
            depth: Cell::new(0),
            sources: sources.clone(),
            assertions,
            prints,
            origins: RefCell::default(),
        })
    }

    /// The script's assertions, in source order.
    pub fn assertions(&self) -> &[ast::Assertion] {
        &self.assertions
    }

    /// The expressions of the script's `print` statements, in source order.
    pub fn prints(&self) -> &[ast::Expr] {
        &self.prints
    }

    /// The source files the evaluator was built from.
    pub fn sources(&self) -> &SourceMap {
        &self.sources
    }

    /// Names of all top-level constants (including datatype and nametype
    /// names and pattern-bound names), in declaration order, with their spans.
    pub fn global_names(&self) -> Vec<(&str, Span)> {
        self.prog
            .globals
            .iter()
            .map(|g| (g.name.as_str(), g.span))
            .collect()
    }

    /// Names of all top-level functions, in declaration order, with their spans.
    pub fn function_names(&self) -> Vec<(&str, Span)> {
        let tables = self.tables.borrow();
        self.prog
            .functions
            .iter()
            .map(|(n, id)| {
                let span = tables
                    .funcs
                    .get(*id as usize)
                    .map(|f| f.span)
                    .unwrap_or_default();
                (n.as_str(), span)
            })
            .collect()
    }

    /// Evaluates `e` in the script's global scope to a process (an error
    /// if it is some other value).
    pub fn eval_top_process(&self, e: &ast::Expr) -> Result<ProcRef, Diagnostic> {
        self.proc_of(self.eval_expr(e)?, e.span)
    }

    /// Evaluates `e` in the script's global scope.
    pub fn eval_expr(&self, e: &ast::Expr) -> Result<Value, Diagnostic> {
        let te = match self.prog.exprs.get(&e.span) {
            Some(te) => te.clone(),
            None => {
                let te = resolve::resolve_top_expr(&self.prog, &mut self.tables.borrow_mut(), e)
                    .map_err(|mut errs| errs.swap_remove(0))?;
                Arc::new(te)
            }
        };
        self.run_top(&te)
    }

    /// Resolves `e` in the global scope, returning every static error.
    pub(crate) fn eval_expr_all(&self, e: &ast::Expr) -> Result<Value, Vec<Diagnostic>> {
        let te = resolve::resolve_top_expr(&self.prog, &mut self.tables.borrow_mut(), e)?;
        self.run_top(&te).map_err(|d| vec![d])
    }

    fn run_top(&self, te: &TopExpr) -> R<Value> {
        let mut f = Frame::new(Arc::from(Vec::new()), te.nlocals);
        self.eval(&te.ir, &mut f)
    }

    /// The value of top-level name `name` (a constant, function, channel,
    /// constructor, datatype, …), or `None` if the script does not define it.
    pub fn global(&self, name: &str) -> Option<Result<Value, Diagnostic>> {
        let span = self.prog.def_spans.get(name).copied().unwrap_or_default();
        match self.prog.names.get(name)? {
            TopName::Global(g) => Some(self.global_value(*g, span)),
            TopName::Func { id, .. } => Some(Ok(Value::Function(Arc::new(Function {
                id: u64::from(*id),
                name: name.into(),
                captured: Vec::new(),
                applied: Vec::new(),
            })))),
            TopName::Head(h) => Some(self.head_value(*h, span)),
            TopName::Builtin(b) => Some(Ok(builtins::function_value(name, *b))),
        }
    }

    /// Evaluates a suspended process.
    pub fn force(&self, t: &Thunk) -> Result<ProcRef, Diagnostic> {
        let code = self.thunk_code(t.code)?;
        self.enter(code.span)?;
        let r = match &code.body {
            ThunkBody::Expr { body, nlocals } => {
                let mut f = Frame::new(t.env.clone(), *nlocals);
                self.eval(body, &mut f)
                    .and_then(|v| self.proc_of(v, body.span))
            }
            ThunkBody::SeqRest { body } => match t.env.first() {
                Some(Value::Seq(envs)) => self.seq_chain(*body, t.code, envs, code.span),
                _ => Err(internal("bad sequential thunk", code.span)),
            },
        };
        self.leave();
        r
    }

    /// Where the suspended expression of `t` was written.
    pub fn thunk_span(&self, t: &Thunk) -> Span {
        self.thunk_code(t.code).map(|c| c.span).unwrap_or_default()
    }

    /// The source text of `t`'s expression, with its captured values,
    /// e.g. `PHIL(i) [i = 0]`.
    pub fn describe_thunk(&self, t: &Thunk) -> String {
        let Ok(code) = self.thunk_code(t.code) else {
            return format!("…#{}", t.code);
        };
        let mut text = self
            .snippet(code.span)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if matches!(code.body, ThunkBody::SeqRest { .. }) {
            text = format!("rest of {text}");
        }
        let shown: Vec<String> = code
            .names
            .iter()
            .zip(t.env.iter())
            .filter(|(n, _)| !n.starts_with('<'))
            .map(|(n, v)| format!("{n} = {v}"))
            .collect();
        if shown.is_empty() {
            text
        } else {
            format!("{text} [{}]", shown.join(", "))
        }
    }

    /// The source text under `span` (empty if the file is unknown).
    pub(crate) fn snippet(&self, span: Span) -> &str {
        if (span.file.0 as usize) < self.sources.files().len() {
            self.sources.snippet(span)
        } else {
            ""
        }
    }

    pub(crate) fn thunk_code(&self, code: u32) -> R<Arc<ThunkCode>> {
        self.tables
            .borrow()
            .thunks
            .get(code as usize)
            .cloned()
            .ok_or_else(|| internal("unknown thunk code", Span::default()))
    }

    fn func(&self, id: u32, span: Span) -> R<Arc<FuncDef>> {
        self.tables
            .borrow()
            .funcs
            .get(id as usize)
            .cloned()
            .ok_or_else(|| internal("unknown function", span))
    }

    fn let_def(&self, id: u32, span: Span) -> R<Arc<LetDef>> {
        self.tables
            .borrow()
            .lets
            .get(id as usize)
            .cloned()
            .ok_or_else(|| internal("unknown let", span))
    }

    /// Counts one nested call; errors beyond [`MAX_DEPTH`].
    pub(crate) fn enter(&self, span: Span) -> R<()> {
        let d = self.depth.get() + 1;
        if d > MAX_DEPTH {
            return Err(Diagnostic::error(
                "recursion",
                format!("recursion too deep: more than {MAX_DEPTH} nested calls"),
                span,
            )
            .with_label_text("this call nests too deeply")
            .with_help("a recursive function must reach a case that does not call itself again"));
        }
        self.depth.set(d);
        Ok(())
    }

    pub(crate) fn leave(&self) {
        self.depth.set(self.depth.get().saturating_sub(1));
    }

    // ----- globals and heads -------------------------------------------------

    fn global_entry(&self, g: u32, span: Span) -> R<&GlobalEntry> {
        self.prog
            .globals
            .get(g as usize)
            .ok_or_else(|| internal("unknown global", span))
    }

    pub(crate) fn global_value(&self, g: u32, span: Span) -> R<Value> {
        let entry = self.global_entry(g, span)?;
        {
            let states = self.globals.borrow();
            match states.get(g as usize) {
                Some(GlobalState::Done(v)) => return Ok(v.clone()),
                Some(GlobalState::Failed(d)) => return Err(d.clone()),
                Some(GlobalState::InProgress) => {
                    if matches!(entry.def, GlobalDef::Datatype { .. }) {
                        return Ok(Value::Infinite(Arc::new(InfiniteSet::Datatype(
                            entry.name.as_str().into(),
                        ))));
                    }
                    let mut d = Diagnostic::error(
                        "cycle",
                        format!("`{}` depends on its own value", entry.name),
                        span,
                    )
                    .with_label_text(format!(
                        "`{}` is needed here while it is being computed",
                        entry.name
                    ));
                    if entry.span != span && entry.span.file == span.file {
                        d = d.with_label(entry.span, "defined here");
                    }
                    return Err(d.with_help("a constant cannot be defined in terms of itself unless it is a process and the reference is after a prefix `->`"));
                }
                _ => {}
            }
        }
        self.set_global(g, GlobalState::InProgress);
        let r = self.compute_global(entry, span);
        if let Ok(Value::Proc(p)) = &r {
            self.name_process(p, || entry.name.to_string());
        }
        self.set_global(
            g,
            match &r {
                Ok(v) => GlobalState::Done(v.clone()),
                Err(d) => GlobalState::Failed(d.clone()),
            },
        );
        r
    }

    fn set_global(&self, g: u32, s: GlobalState) {
        if let Some(x) = self.globals.borrow_mut().get_mut(g as usize) {
            *x = s;
        }
    }

    fn compute_global(&self, entry: &GlobalEntry, span: Span) -> R<Value> {
        match &entry.def {
            GlobalDef::Const { body, nlocals } => {
                let mut f = Frame::new(Arc::from(Vec::new()), *nlocals);
                self.eval(body, &mut f)
            }
            GlobalDef::Nametype { body, nlocals } => {
                let mut f = Frame::new(Arc::from(Vec::new()), *nlocals);
                let v = self.eval(body, &mut f)?;
                self.type_product(v, body.span)
            }
            GlobalDef::PatternPart { pat, slot } => {
                let pb = self
                    .prog
                    .patbinds
                    .get(*pat as usize)
                    .ok_or_else(|| internal("unknown pattern binding", span))?;
                let mut f = Frame::new(Arc::from(Vec::new()), pb.nlocals);
                let v = self.eval(&pb.body, &mut f)?;
                if !self.match_pat(&pb.pat, &v, &mut f)? {
                    return Err(Diagnostic::error(
                        "pattern",
                        format!("the value {v} does not match the pattern"),
                        pb.pat.span,
                    ));
                }
                match f.locals.get(*slot as usize) {
                    Some(Slot::Val(v)) => Ok(v.clone()),
                    _ => Err(internal("pattern part not bound", span)),
                }
            }
            GlobalDef::Datatype { ctors } => {
                let mut infinite = false;
                let mut bases = Vec::new();
                for &h in ctors {
                    if matches!(
                        self.heads.borrow().get(h as usize),
                        Some(HeadState::Building)
                    ) {
                        infinite = true;
                        continue;
                    }
                    let base = self.head_value(h, span)?;
                    if let Value::Data(d) = &base {
                        if d.head.fields.iter().any(|t| !matches!(t, Value::Set(_))) {
                            infinite = true;
                        }
                    }
                    bases.push(base);
                }
                if infinite {
                    return Ok(Value::Infinite(Arc::new(InfiniteSet::Datatype(
                        entry.name.as_str().into(),
                    ))));
                }
                let mut out = BTreeSet::new();
                for b in bases {
                    out.extend(
                        self.completions(&b, entry.span)?
                            .into_iter()
                            .map(|(v, _)| v),
                    );
                }
                Ok(Value::Set(Arc::new(out)))
            }
            GlobalDef::Subtype { ctors, nlocals } => {
                let mut out = BTreeSet::new();
                let mut f = Frame::new(Arc::from(Vec::new()), *nlocals);
                for (h, fields) in ctors {
                    let mut partial = vec![self.head_value(*h, span)?];
                    for fe in fields {
                        let t = self.eval(fe, &mut f)?;
                        let values = self.elements(&t, fe.span)?;
                        let mut next = Vec::new();
                        for p in &partial {
                            for x in &values {
                                next.push(self.dot(p.clone(), x.clone(), fe.span)?);
                            }
                        }
                        partial = next;
                    }
                    for p in partial {
                        out.extend(
                            self.completions(&p, entry.span)?
                                .into_iter()
                                .map(|(v, _)| v),
                        );
                    }
                }
                Ok(Value::Set(Arc::new(out)))
            }
        }
    }

    /// A type expression's value: a dotted product of sets (`{0..1}.Bool`)
    /// becomes the set of dotted values; anything else is kept.
    fn type_product(&self, v: Value, span: Span) -> R<Value> {
        let Value::Dot(parts) = &v else { return Ok(v) };
        if !parts
            .iter()
            .all(|p| matches!(p, Value::Set(_) | Value::Infinite(_)))
        {
            return Ok(v);
        }
        let mut combos: Vec<Vec<Value>> = vec![Vec::new()];
        for p in parts.iter() {
            let values = self.elements(p, span)?;
            let mut next = Vec::with_capacity(combos.len() * values.len());
            for c in &combos {
                for x in &values {
                    let mut c2 = c.clone();
                    c2.push(x.clone());
                    next.push(c2);
                }
            }
            if next.len() > MAX_ENUMERATION {
                return Err(Diagnostic::error(
                    "too-large",
                    "this product type is too large",
                    span,
                ));
            }
            combos = next;
        }
        Ok(Value::set(combos.into_iter().map(|c| Value::Dot(c.into()))))
    }

    /// The constructor/channel `h` with no fields given.
    pub(crate) fn head_value(&self, h: u32, span: Span) -> R<Value> {
        match self.heads.borrow().get(h as usize) {
            Some(HeadState::Built(_, v)) => return Ok(v.clone()),
            Some(HeadState::Building) => {
                let name = self
                    .prog
                    .heads
                    .get(h as usize)
                    .map_or("?", |d| d.name.as_str());
                return Err(Diagnostic::error(
                    "cycle",
                    format!("the field types of `{name}` depend on `{name}` itself"),
                    span,
                ));
            }
            Some(HeadState::Unbuilt) => {}
            None => return Err(internal("unknown constructor", span)),
        }
        self.set_head(h, HeadState::Building);
        let r = self.build_head(h);
        match &r {
            Ok((head, v)) => self.set_head(h, HeadState::Built(head.clone(), v.clone())),
            Err(_) => self.set_head(h, HeadState::Unbuilt),
        }
        r.map(|(_, v)| v)
    }

    fn set_head(&self, h: u32, s: HeadState) {
        if let Some(x) = self.heads.borrow_mut().get_mut(h as usize) {
            *x = s;
        }
    }

    fn build_head(&self, h: u32) -> R<(Arc<Head>, Value)> {
        let def = self
            .prog
            .heads
            .get(h as usize)
            .ok_or_else(|| internal("unknown constructor", Span::default()))?;
        let mut f = Frame::new(Arc::from(Vec::new()), def.nlocals);
        let mut fields = Vec::new();
        for fe in &def.fields {
            let t = self.eval(fe, &mut f)?;
            match &t {
                Value::Set(_) | Value::Infinite(_) => fields.extend(split_product(t)),
                Value::Dot(parts)
                    if parts
                        .iter()
                        .all(|p| matches!(p, Value::Set(_) | Value::Infinite(_))) =>
                {
                    fields.extend(parts.iter().cloned())
                }
                other => {
                    return Err(Diagnostic::error(
                        "type",
                        format!(
                            "a field type of `{}` must be a set, but this is {} {other}",
                            def.name,
                            other.type_name()
                        ),
                        fe.span,
                    ))
                }
            }
        }
        let head = Arc::new(Head {
            id: h,
            name: def.name.as_str().into(),
            kind: def.kind,
            fields,
            datatype: def.datatype.as_deref().map(Into::into),
        });
        let v = Value::Data(Arc::new(Data {
            head: head.clone(),
            fields: Vec::new(),
        }));
        Ok((head, v))
    }

    /// Text of the declared type of field `i` of head `h`, for messages.
    pub(crate) fn field_type_text(&self, h: u32, i: usize, ty: &Value) -> String {
        if let Some(def) = self.prog.heads.get(h as usize) {
            let built = match self.heads.borrow().get(h as usize) {
                Some(HeadState::Built(head, _)) => head.fields.len(),
                _ => usize::MAX,
            };
            if built == def.fields.len() {
                if let Some(fe) = def.fields.get(i) {
                    let s = self.snippet(fe.span);
                    if !s.is_empty() {
                        return s.to_string();
                    }
                }
            }
        }
        ty.to_string()
    }

    /// `Events`: every event of every channel.
    pub(crate) fn all_events(&self, span: Span) -> R<Value> {
        if let Some(v) = self.events.borrow().as_ref() {
            return Ok(v.clone());
        }
        let mut out = BTreeSet::new();
        for &c in &self.prog.channels {
            let base = self.head_value(c, span)?;
            out.extend(self.productions(&base, span)?);
        }
        let v = Value::Set(Arc::new(out));
        *self.events.borrow_mut() = Some(v.clone());
        Ok(v)
    }

    // ----- expressions -------------------------------------------------------

    pub(crate) fn read(&self, src: CapSrc, f: &mut Frame, span: Span) -> R<Value> {
        match src {
            CapSrc::Local(s) => match f.locals.get(s as usize) {
                Some(Slot::Val(v)) => Ok(v.clone()),
                Some(Slot::Pending(l, b)) => {
                    let (l, b) = (*l, *b);
                    self.force_pending(l, b, f, span)?;
                    match f.locals.get(s as usize) {
                        Some(Slot::Val(v)) => Ok(v.clone()),
                        _ => Err(internal("let binding not evaluated", span)),
                    }
                }
                _ => Err(internal("variable read before it was bound", span)),
            },
            CapSrc::Env(k) => f
                .env
                .get(k as usize)
                .cloned()
                .ok_or_else(|| internal("bad captured variable", span)),
            CapSrc::WholeEnv => Ok(Value::Tuple(f.env.clone())),
        }
    }

    pub(crate) fn capture_env(
        &self,
        caps: &[CapSrc],
        f: &mut Frame,
        span: Span,
    ) -> R<Arc<[Value]>> {
        let mut out = Vec::with_capacity(caps.len());
        for c in caps {
            out.push(self.read(*c, f, span)?);
        }
        Ok(out.into())
    }

    fn group_env(&self, src: CapSrc, f: &mut Frame, span: Span) -> R<Vec<Value>> {
        match self.read(src, f, span)? {
            Value::Tuple(items) => Ok(items.to_vec()),
            _ => Err(internal("bad group environment", span)),
        }
    }

    fn force_pending(&self, l: u32, b: u32, f: &mut Frame, span: Span) -> R<()> {
        let def = self.let_def(l, span)?;
        let bind = def
            .binds
            .get(b as usize)
            .ok_or_else(|| internal("bad let binding", span))?;
        match bind {
            LetBind::Plain { slot, body } => {
                f.set(*slot, Slot::Unset);
                let v = self.eval(body, f)?;
                f.set(*slot, Slot::Val(v));
            }
            LetBind::Pattern { pat, body, slots } => {
                for s in slots {
                    f.set(*s, Slot::Unset);
                }
                let v = self.eval(body, f)?;
                if !self.match_pat(pat, &v, f)? {
                    return Err(Diagnostic::error(
                        "pattern",
                        format!("the value {v} does not match the pattern"),
                        pat.span,
                    ));
                }
            }
            LetBind::GroupFn { slot, func, group } | LetBind::GroupConst { slot, func, group } => {
                let caps = def
                    .groups
                    .get(*group as usize)
                    .ok_or_else(|| internal("bad group", span))?;
                let env = self.capture_env(caps, f, span)?;
                let fd = self.func(*func, span)?;
                let v = if matches!(bind, LetBind::GroupFn { .. }) {
                    Value::Function(Arc::new(Function {
                        id: u64::from(*func),
                        name: fd.name.as_str().into(),
                        captured: env.to_vec(),
                        applied: Vec::new(),
                    }))
                } else {
                    self.call(*func, env, &[], span)?
                };
                f.set(*slot, Slot::Val(v));
            }
        }
        Ok(())
    }

    fn bool_of(&self, v: Value, span: Span) -> R<bool> {
        match v {
            Value::Bool(b) => Ok(b),
            other => Err(Diagnostic::error(
                "type",
                format!("expected a Bool, found {} {other}", other.type_name()),
                span,
            )),
        }
    }

    pub(crate) fn int_of(&self, v: &Value, span: Span) -> R<i64> {
        match v {
            Value::Int(i) => Ok(*i),
            other => Err(Diagnostic::error(
                "type",
                format!("expected an Int, found {} {other}", other.type_name()),
                span,
            )),
        }
    }

    /// Runs `k` once per binding of the generators and guards in `stmts`.
    pub(crate) fn each(
        &self,
        stmts: &[StmtIr],
        f: &mut Frame,
        k: &mut dyn FnMut(&Evaluator, &mut Frame) -> R<()>,
    ) -> R<()> {
        match stmts.split_first() {
            None => k(self, f),
            Some((StmtIr::Guard(g), rest)) => {
                let b = self.eval(g, f)?;
                if self.bool_of(b, g.span)? {
                    self.each(rest, f, k)?;
                }
                Ok(())
            }
            Some((StmtIr::Gen(pat, src), rest)) => {
                let v = self.eval(src, f)?;
                for x in self.elements(&v, src.span)? {
                    if self.match_pat(pat, &x, f)? {
                        self.each(rest, f, k)?;
                    }
                }
                Ok(())
            }
        }
    }

    fn range(&self, a: &Ir, b: &Ir, f: &mut Frame) -> R<Vec<Value>> {
        let lo = self.eval(a, f)?;
        let lo = self.int_of(&lo, a.span)?;
        let hi = self.eval(b, f)?;
        let hi = self.int_of(&hi, b.span)?;
        if hi >= lo && (hi - lo) as u128 >= MAX_ENUMERATION as u128 {
            return Err(Diagnostic::error(
                "too-large",
                format!("the range {lo}..{hi} is too large (more than {MAX_ENUMERATION} values)"),
                a.span.to(b.span),
            ));
        }
        Ok((lo..=hi).map(Value::Int).collect())
    }

    /// Evaluates `ir` in frame `f`.
    pub(crate) fn eval(&self, ir: &Ir, f: &mut Frame) -> R<Value> {
        let span = ir.span;
        match &ir.kind {
            IrKind::Const(v) => Ok(v.clone()),
            IrKind::Var(src) => self.read(*src, f, span),
            IrKind::Global(g) => self.global_value(*g, span),
            IrKind::Head(h) => self.head_value(*h, span),
            IrKind::Events => self.all_events(span),
            IrKind::Closure { func, captures } => {
                let env = self.capture_env(captures, f, span)?;
                Ok(Value::Function(Arc::new(Function {
                    id: u64::from(*func),
                    name: "lambda".into(),
                    captured: env.to_vec(),
                    applied: Vec::new(),
                })))
            }
            IrKind::GroupFn { func, env } => {
                let env = self.group_env(*env, f, span)?;
                let fd = self.func(*func, span)?;
                Ok(Value::Function(Arc::new(Function {
                    id: u64::from(*func),
                    name: fd.name.as_str().into(),
                    captured: env,
                    applied: Vec::new(),
                })))
            }
            IrKind::GroupConst { func, env } => {
                let env = self.group_env(*env, f, span)?;
                self.call(*func, env.into(), &[], span)
            }
            IrKind::Apply(fun, args) => {
                let fv = self.eval(fun, f)?;
                let mut vs = Vec::with_capacity(args.len());
                for a in args {
                    vs.push(self.eval(a, f)?);
                }
                self.apply(fv, vs, span, args)
            }
            IrKind::Unary(op, a) => {
                let v = self.eval(a, f)?;
                self.unary(*op, v, span)
            }
            IrKind::Binary(op, a, b) => self.binary(*op, a, b, f, span),
            IrKind::If(c, a, b) => {
                let cv = self.eval(c, f)?;
                if self.bool_of(cv, c.span)? {
                    self.eval(a, f)
                } else {
                    self.eval(b, f)
                }
            }
            IrKind::Let(id, body) => {
                let def = self.let_def(*id, span)?;
                for (i, b) in def.binds.iter().enumerate() {
                    for s in b.slots() {
                        f.set(s, Slot::Pending(*id, i as u32));
                    }
                }
                self.eval(body, f)
            }
            IrKind::Tuple(es) => {
                let mut out = Vec::with_capacity(es.len());
                for e in es {
                    out.push(self.eval(e, f)?);
                }
                Ok(Value::Tuple(out.into()))
            }
            IrKind::Dotted(es) => {
                let mut it = es.iter();
                let first = it
                    .next()
                    .ok_or_else(|| internal("empty dotted value", span))?;
                let mut acc = self.eval(first, f)?;
                for e in it {
                    let v = self.eval(e, f)?;
                    acc = self.dot(acc, v, e.span)?;
                }
                Ok(acc)
            }
            IrKind::SetEnum(es) => {
                let mut out = BTreeSet::new();
                for e in es {
                    out.insert(self.eval(e, f)?);
                }
                Ok(Value::Set(Arc::new(out)))
            }
            IrKind::SetRange(a, None) => {
                let lo = self.eval(a, f)?;
                let lo = self.int_of(&lo, a.span)?;
                Ok(Value::Infinite(Arc::new(InfiniteSet::IntsFrom(lo))))
            }
            IrKind::SetRange(a, Some(b)) => Ok(Value::set(self.range(a, b, f)?)),
            IrKind::SetComp(es, stmts) => {
                let mut out = BTreeSet::new();
                self.each(stmts, f, &mut |ev, f| {
                    for e in es {
                        out.insert(ev.eval(e, f)?);
                    }
                    Ok(())
                })?;
                Ok(Value::Set(Arc::new(out)))
            }
            IrKind::EventSet(es) => {
                let mut out = BTreeSet::new();
                for e in es {
                    let v = self.eval(e, f)?;
                    out.extend(self.productions(&v, e.span)?);
                }
                Ok(Value::Set(Arc::new(out)))
            }
            IrKind::EventSetComp(es, stmts) => {
                let mut out = BTreeSet::new();
                self.each(stmts, f, &mut |ev, f| {
                    for e in es {
                        let v = ev.eval(e, f)?;
                        out.extend(ev.productions(&v, e.span)?);
                    }
                    Ok(())
                })?;
                Ok(Value::Set(Arc::new(out)))
            }
            IrKind::SeqEnum(es) => {
                let mut out = Vec::with_capacity(es.len());
                for e in es {
                    out.push(self.eval(e, f)?);
                }
                Ok(Value::Seq(out.into()))
            }
            IrKind::SeqRange(a, Some(b)) => Ok(Value::seq(self.range(a, b, f)?)),
            IrKind::SeqRange(_, None) => Err(Diagnostic::error(
                "infinite",
                "infinite sequences `<m..>` are not supported",
                span,
            )
            .with_help("give an upper bound: `<m..n>`")),
            IrKind::SeqComp(es, stmts) => {
                let mut out = Vec::new();
                self.each(stmts, f, &mut |ev, f| {
                    for e in es {
                        out.push(ev.eval(e, f)?);
                    }
                    Ok(())
                })?;
                Ok(Value::Seq(out.into()))
            }
            IrKind::MapEnum(kvs) => {
                let mut out = BTreeMap::new();
                for (k, v) in kvs {
                    let kv = self.eval(k, f)?;
                    let vv = self.eval(v, f)?;
                    out.insert(kv, vv);
                }
                Ok(Value::Map(Arc::new(out)))
            }
            IrKind::MakeThunk { code, captures } => {
                // Only reached if a thunk stands where a value is wanted: force it.
                let env = self.capture_env(captures, f, span)?;
                Ok(Value::Proc(self.force(&Thunk { code: *code, env })?))
            }
            IrKind::Prefix { .. }
            | IrKind::Guard(..)
            | IrKind::ProcBinary(..)
            | IrKind::Parallel(..)
            | IrKind::AlphaParallel(..)
            | IrKind::Linked(..)
            | IrKind::Hide(..)
            | IrKind::Rename(..)
            | IrKind::Replicated(..) => self.eval_process(ir, f).map(Value::Proc),
        }
    }

    fn unary(&self, op: UnaryOp, v: Value, span: Span) -> R<Value> {
        match op {
            UnaryOp::Neg => {
                let i = self.int_of(&v, span)?;
                i.checked_neg().map(Value::Int).ok_or_else(|| {
                    Diagnostic::error("overflow", format!("integer overflow in -({i})"), span)
                })
            }
            UnaryOp::Not => Ok(Value::Bool(!self.bool_of(v, span)?)),
            UnaryOp::Length => match &v {
                Value::Seq(s) => Ok(Value::Int(s.len() as i64)),
                Value::Str(s) => Ok(Value::Int(s.chars().count() as i64)),
                other => Err(Diagnostic::error(
                    "type",
                    format!(
                        "`#` expects a sequence, found {} {other}",
                        other.type_name()
                    ),
                    span,
                )),
            },
        }
    }

    fn binary(&self, op: BinaryOp, a: &Ir, b: &Ir, f: &mut Frame, span: Span) -> R<Value> {
        match op {
            BinaryOp::And => {
                let x = self.eval(a, f)?;
                if !self.bool_of(x, a.span)? {
                    return Ok(Value::Bool(false));
                }
                let y = self.eval(b, f)?;
                return Ok(Value::Bool(self.bool_of(y, b.span)?));
            }
            BinaryOp::Or => {
                let x = self.eval(a, f)?;
                if self.bool_of(x, a.span)? {
                    return Ok(Value::Bool(true));
                }
                let y = self.eval(b, f)?;
                return Ok(Value::Bool(self.bool_of(y, b.span)?));
            }
            _ => {}
        }
        let x = self.eval(a, f)?;
        let y = self.eval(b, f)?;
        let ints = |ev: &Evaluator| -> R<(i64, i64)> {
            Ok((ev.int_of(&x, a.span)?, ev.int_of(&y, b.span)?))
        };
        let overflow = |sym: &str, i: i64, j: i64| {
            Diagnostic::error(
                "overflow",
                format!("integer overflow in {i} {sym} {j}"),
                span,
            )
        };
        match op {
            BinaryOp::Add => {
                let (i, j) = ints(self)?;
                i.checked_add(j)
                    .map(Value::Int)
                    .ok_or_else(|| overflow("+", i, j))
            }
            BinaryOp::Sub => {
                let (i, j) = ints(self)?;
                i.checked_sub(j)
                    .map(Value::Int)
                    .ok_or_else(|| overflow("-", i, j))
            }
            BinaryOp::Mul => {
                let (i, j) = ints(self)?;
                i.checked_mul(j)
                    .map(Value::Int)
                    .ok_or_else(|| overflow("*", i, j))
            }
            BinaryOp::Div | BinaryOp::Mod => {
                let (i, j) = ints(self)?;
                if j == 0 {
                    let sym = if op == BinaryOp::Div { "/" } else { "%" };
                    return Err(
                        Diagnostic::error("division-by-zero", "division by zero", span)
                            .with_label_text(format!("{i} {sym} 0")),
                    );
                }
                let (q, r) = (i.checked_div(j), i.checked_rem(j));
                let (Some(q), Some(r)) = (q, r) else {
                    return Err(overflow(if op == BinaryOp::Div { "/" } else { "%" }, i, j));
                };
                // Floored, as FDR: the remainder takes the divisor's sign.
                let adjust = r != 0 && ((r < 0) != (j < 0));
                Ok(Value::Int(if op == BinaryOp::Div {
                    if adjust {
                        q - 1
                    } else {
                        q
                    }
                } else if adjust {
                    r + j
                } else {
                    r
                }))
            }
            BinaryOp::Eq => Ok(Value::Bool(x == y)),
            BinaryOp::Ne => Ok(Value::Bool(x != y)),
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                self.compare(op, &x, &y, span)
            }
            BinaryOp::Concat => match (&x, &y) {
                (Value::Seq(s), Value::Seq(t)) => {
                    Ok(Value::Seq(s.iter().chain(t.iter()).cloned().collect()))
                }
                (Value::Str(s), Value::Str(t)) => Ok(Value::Str(format!("{s}{t}").into())),
                _ => Err(Diagnostic::error(
                    "type",
                    format!(
                        "`^` joins two sequences, found {} {x} and {} {y}",
                        x.type_name(),
                        y.type_name()
                    ),
                    span,
                )),
            },
            BinaryOp::And | BinaryOp::Or => Err(internal("short-circuit operator", span)),
        }
    }

    fn compare(&self, op: BinaryOp, x: &Value, y: &Value, span: Span) -> R<Value> {
        // (x ≤ y, x ≥ y) in the operands' partial order.
        let (le, ge) = match (x, y) {
            (Value::Int(i), Value::Int(j)) => (i <= j, i >= j),
            (Value::Char(i), Value::Char(j)) => (i <= j, i >= j),
            (Value::Str(i), Value::Str(j)) => (i <= j, i >= j),
            (Value::Set(s), Value::Set(t)) => (s.is_subset(t), t.is_subset(s)),
            (Value::Seq(s), Value::Seq(t)) => (t.starts_with(s), s.starts_with(t)),
            (Value::Set(s), inf @ Value::Infinite(_)) => {
                let mut all = true;
                for v in s.iter() {
                    all &= self.member(v, inf, span)?;
                }
                (all, false)
            }
            _ => {
                return Err(Diagnostic::error(
                    "type",
                    format!(
                        "cannot compare {} {x} with {} {y}",
                        x.type_name(),
                        y.type_name()
                    ),
                    span,
                ))
            }
        };
        let eq = le && ge;
        Ok(Value::Bool(match op {
            BinaryOp::Lt => le && !eq,
            BinaryOp::Le => le,
            BinaryOp::Gt => ge && !eq,
            _ => ge,
        }))
    }

    /// Applies a function value to one argument list.
    pub(crate) fn apply(
        &self,
        fv: Value,
        args: Vec<Value>,
        span: Span,
        arg_irs: &[Ir],
    ) -> R<Value> {
        let Value::Function(func) = &fv else {
            return Err(Diagnostic::error(
                "not-a-function",
                format!(
                    "{} {fv} is not a function, so it cannot be applied",
                    fv.type_name()
                ),
                span,
            ));
        };
        if let Some((arity, b)) = builtins::from_id(func.id) {
            if args.len() != arity {
                return Err(Diagnostic::error(
                    "arity",
                    format!(
                        "`{}` expects {arity} argument(s) but was given {}",
                        func.name,
                        args.len()
                    ),
                    span,
                ));
            }
            return self.builtin(b, &func.name, args, span, arg_irs);
        }
        let id = u32::try_from(func.id).map_err(|_| internal("bad function id", span))?;
        let def = self.func(id, span)?;
        // Which argument list is this?
        let mut given = func.applied.len();
        let mut list = 0;
        while list < def.arities.len() && given >= def.arities[list] && given > 0 {
            given -= def.arities[list];
            list += 1;
        }
        let want = def.arities.get(list).copied().unwrap_or(0);
        if args.len() != want || list >= def.arities.len() {
            return Err(Diagnostic::error(
                "arity",
                format!(
                    "`{}` expects {want} argument(s) but was given {}",
                    def.name,
                    args.len()
                ),
                span,
            ));
        }
        let mut applied = func.applied.clone();
        applied.extend(args);
        if list + 1 < def.arities.len() {
            return Ok(Value::Function(Arc::new(Function {
                id: func.id,
                name: func.name.clone(),
                captured: func.captured.clone(),
                applied,
            })));
        }
        let r = self.call(id, func.captured.as_slice().into(), &applied, span);
        if let Ok(Value::Proc(p)) = &r {
            self.name_process(p, || {
                let args: Vec<String> = applied.iter().map(|v| v.to_string()).collect();
                format!("{}({})", def.name, args.join(", "))
            });
        }
        r
    }

    /// Records the first name a process term was made under.
    fn name_process(&self, p: &ProcRef, name: impl FnOnce() -> String) {
        let key = Arc::as_ptr(p) as usize;
        self.origins
            .borrow_mut()
            .entry(key)
            .or_insert_with(|| (p.clone(), name()));
    }

    /// The name and arguments of the function or constant that made this
    /// exact term (`PHIL(0)`), if one did.
    pub fn process_name(&self, p: &ProcRef) -> Option<String> {
        self.origins
            .borrow()
            .get(&(Arc::as_ptr(p) as usize))
            .map(|(_, n)| n.clone())
    }

    /// Runs the first clause of function `id` whose patterns match `args`.
    pub(crate) fn call(&self, id: u32, env: Arc<[Value]>, args: &[Value], span: Span) -> R<Value> {
        let def = self.func(id, span)?;
        self.enter(span)?;
        let r = self.call_clauses(&def, env, args, span);
        self.leave();
        r
    }

    fn call_clauses(
        &self,
        def: &FuncDef,
        env: Arc<[Value]>,
        args: &[Value],
        span: Span,
    ) -> R<Value> {
        for c in &def.clauses {
            let mut f = Frame::new(env.clone(), c.nlocals);
            let mut ok = true;
            for (p, a) in c.pats.iter().zip(args) {
                if !self.match_pat(p, a, &mut f)? {
                    ok = false;
                    break;
                }
            }
            if ok {
                return self.eval(&c.body, &mut f);
            }
        }
        let shown: Vec<String> = args.iter().map(ToString::to_string).collect();
        Err(Diagnostic::error(
            "no-match",
            format!(
                "no clause of `{}` matches the arguments ({})",
                def.name,
                shown.join(", ")
            ),
            span,
        )
        .with_label(def.span, "defined here"))
    }

    fn builtin(
        &self,
        b: Builtin,
        name: &str,
        args: Vec<Value>,
        span: Span,
        arg_irs: &[Ir],
    ) -> R<Value> {
        let arg_span = |i: usize| arg_irs.get(i).map_or(span, |a| a.span);
        let set = |ev: &Evaluator, i: usize| -> R<Arc<BTreeSet<Value>>> {
            match args.get(i) {
                Some(Value::Set(s)) => Ok(s.clone()),
                Some(v @ Value::Infinite(_)) => Err(ev
                    .elements(v, arg_span(i))
                    .err()
                    .unwrap_or_else(|| internal("infinite", span))),
                Some(v) => Err(Diagnostic::error(
                    "type",
                    format!("`{name}` expects a set, found {} {v}", v.type_name()),
                    arg_span(i),
                )),
                None => Err(internal("missing argument", span)),
            }
        };
        let seq = |i: usize| -> R<Arc<[Value]>> {
            match args.get(i) {
                Some(Value::Seq(s)) => Ok(s.clone()),
                Some(v) => Err(Diagnostic::error(
                    "type",
                    format!("`{name}` expects a sequence, found {} {v}", v.type_name()),
                    arg_span(i),
                )),
                None => Err(internal("missing argument", span)),
            }
        };
        let map = |i: usize| -> R<Arc<BTreeMap<Value, Value>>> {
            match args.get(i) {
                Some(Value::Map(m)) => Ok(m.clone()),
                Some(v) => Err(Diagnostic::error(
                    "type",
                    format!("`{name}` expects a map, found {} {v}", v.type_name()),
                    arg_span(i),
                )),
                None => Err(internal("missing argument", span)),
            }
        };
        let arg = |i: usize| {
            args.get(i)
                .cloned()
                .ok_or_else(|| internal("missing argument", span))
        };
        let ok_set = |s: BTreeSet<Value>| Ok(Value::Set(Arc::new(s)));
        match b {
            Builtin::Union => {
                if let (Some(Value::Infinite(i)), Some(Value::Set(s)))
                | (Some(Value::Set(s)), Some(Value::Infinite(i))) = (args.first(), args.get(1))
                {
                    let inf = Value::Infinite(i.clone());
                    let mut all = true;
                    for v in s.iter() {
                        all &= self.member(v, &inf, span)?;
                    }
                    if all {
                        return Ok(inf);
                    }
                }
                let (a, c) = (set(self, 0)?, set(self, 1)?);
                ok_set(a.union(&c).cloned().collect())
            }
            Builtin::Inter => {
                match (args.first(), args.get(1)) {
                    (Some(Value::Set(s)), Some(inf @ Value::Infinite(_)))
                    | (Some(inf @ Value::Infinite(_)), Some(Value::Set(s))) => {
                        let mut out = BTreeSet::new();
                        for v in s.iter() {
                            if self.member(v, inf, span)? {
                                out.insert(v.clone());
                            }
                        }
                        return ok_set(out);
                    }
                    _ => {}
                }
                let (a, c) = (set(self, 0)?, set(self, 1)?);
                ok_set(a.intersection(&c).cloned().collect())
            }
            Builtin::Diff => {
                if let (Some(Value::Set(s)), Some(inf @ Value::Infinite(_))) =
                    (args.first(), args.get(1))
                {
                    let mut out = BTreeSet::new();
                    for v in s.iter() {
                        if !self.member(v, inf, span)? {
                            out.insert(v.clone());
                        }
                    }
                    return ok_set(out);
                }
                let (a, c) = (set(self, 0)?, set(self, 1)?);
                ok_set(a.difference(&c).cloned().collect())
            }
            Builtin::BigUnion => {
                let mut out = BTreeSet::new();
                for s in self.elements(&arg(0)?, arg_span(0))? {
                    match s {
                        Value::Set(s) => out.extend(s.iter().cloned()),
                        other => {
                            return Err(Diagnostic::error(
                                "type",
                                format!("`Union` expects a set of sets, but it contains {other}"),
                                arg_span(0),
                            ))
                        }
                    }
                }
                ok_set(out)
            }
            Builtin::BigInter => {
                let mut acc: Option<BTreeSet<Value>> = None;
                for s in self.elements(&arg(0)?, arg_span(0))? {
                    match s {
                        Value::Set(s) => {
                            acc = Some(match acc {
                                None => (*s).clone(),
                                Some(a) => a.intersection(&s).cloned().collect(),
                            })
                        }
                        other => {
                            return Err(Diagnostic::error(
                                "type",
                                format!("`Inter` expects a set of sets, but it contains {other}"),
                                arg_span(0),
                            ))
                        }
                    }
                }
                ok_set(acc.unwrap_or_default())
            }
            Builtin::Member => Ok(Value::Bool(self.member(&arg(0)?, &arg(1)?, arg_span(1))?)),
            Builtin::Card => Ok(Value::Int(set(self, 0)?.len() as i64)),
            Builtin::Empty => match arg(0)? {
                Value::Infinite(_) => Ok(Value::Bool(false)),
                _ => Ok(Value::Bool(set(self, 0)?.is_empty())),
            },
            Builtin::SetOf => ok_set(seq(0)?.iter().cloned().collect()),
            Builtin::SeqOf => Ok(Value::seq(set(self, 0)?.iter().cloned())),
            Builtin::PowerSet => {
                let s: Vec<Value> = set(self, 0)?.iter().cloned().collect();
                if s.len() > 20 {
                    return Err(Diagnostic::error(
                        "too-large",
                        format!("`Set` of a set with {} elements is too large", s.len()),
                        arg_span(0),
                    ));
                }
                let mut out = BTreeSet::new();
                for mask in 0u32..(1u32 << s.len()) {
                    out.insert(Value::set(
                        s.iter()
                            .enumerate()
                            .filter(|(i, _)| mask & (1 << i) != 0)
                            .map(|(_, v)| v.clone()),
                    ));
                }
                ok_set(out)
            }
            Builtin::Seqs => Ok(Value::Infinite(Arc::new(InfiniteSet::Seqs(arg(0)?)))),
            Builtin::Length => Ok(Value::Int(seq(0)?.len() as i64)),
            Builtin::Null => Ok(Value::Bool(seq(0)?.is_empty())),
            Builtin::Head | Builtin::Tail => {
                let s = seq(0)?;
                if s.is_empty() {
                    return Err(Diagnostic::error(
                        "empty-sequence",
                        format!("`{name}` of the empty sequence"),
                        span,
                    ));
                }
                if b == Builtin::Head {
                    Ok(s[0].clone())
                } else {
                    Ok(Value::Seq(s[1..].into()))
                }
            }
            Builtin::Concat => {
                let mut out = Vec::new();
                for x in seq(0)?.iter() {
                    match x {
                        Value::Seq(t) => out.extend(t.iter().cloned()),
                        other => {
                            return Err(Diagnostic::error(
                                "type",
                                format!(
                                "`concat` expects a sequence of sequences, but it contains {other}"
                            ),
                                arg_span(0),
                            ))
                        }
                    }
                }
                Ok(Value::Seq(out.into()))
            }
            Builtin::Elem => {
                let x = arg(0)?;
                Ok(Value::Bool(seq(1)?.contains(&x)))
            }
            Builtin::Productions => ok_set(
                self.productions(&arg(0)?, arg_span(0))?
                    .into_iter()
                    .collect(),
            ),
            Builtin::Extensions => {
                let v = arg(0)?;
                let mut out = BTreeSet::new();
                for (_, suffix) in self.completions(&v, arg_span(0))? {
                    out.insert(match suffix.len() {
                        1 => suffix.into_iter().next().unwrap_or(Value::Int(0)),
                        _ => Value::Dot(suffix.into()),
                    });
                }
                ok_set(out)
            }
            Builtin::MapFromList => {
                let mut out = BTreeMap::new();
                for x in seq(0)?.iter() {
                    match x {
                        Value::Tuple(kv) if kv.len() == 2 => {
                            out.insert(kv[0].clone(), kv[1].clone());
                        }
                        other => {
                            return Err(Diagnostic::error(
                                "type",
                                format!("`mapFromList` expects a sequence of pairs, but it contains {other}"),
                                arg_span(0),
                            ))
                        }
                    }
                }
                Ok(Value::Map(Arc::new(out)))
            }
            Builtin::MapLookup => {
                let m = map(0)?;
                let k = arg(1)?;
                m.get(&k).cloned().ok_or_else(|| {
                    Diagnostic::error("map", format!("the key {k} is not in the map"), span)
                        .with_help("check with `mapMember(m, k)` first")
                })
            }
            Builtin::MapMember => Ok(Value::Bool(map(0)?.contains_key(&arg(1)?))),
            Builtin::MapToList => {
                Ok(Value::seq(map(0)?.iter().map(|(k, v)| {
                    Value::Tuple(vec![k.clone(), v.clone()].into())
                })))
            }
            Builtin::MapUpdate => {
                let mut m = (*map(0)?).clone();
                m.insert(arg(1)?, arg(2)?);
                Ok(Value::Map(Arc::new(m)))
            }
            Builtin::MapDelete => {
                let mut m = (*map(0)?).clone();
                m.remove(&arg(1)?);
                Ok(Value::Map(Arc::new(m)))
            }
            Builtin::Error => {
                let msg = match arg(0)? {
                    Value::Str(s) => s.to_string(),
                    other => other.to_string(),
                };
                Err(Diagnostic::error("user-error", msg, span)
                    .with_label_text("`error` called here"))
            }
            Builtin::Show => {
                let v = arg(0)?;
                Ok(Value::Str(
                    match &v {
                        Value::Str(s) => s.to_string(),
                        other => other.to_string(),
                    }
                    .into(),
                ))
            }
            Builtin::Chaos => Ok(Value::Proc(Arc::new(Proc::Chaos(
                self.event_set(&arg(0)?, arg_span(0))?,
            )))),
            Builtin::Run => Ok(Value::Proc(Arc::new(Proc::Run(
                self.event_set(&arg(0)?, arg_span(0))?,
            )))),
            Builtin::Identity => arg(0),
            Builtin::Unsupported => Err(Diagnostic::error(
                "unsupported",
                format!("the external function `{name}` is not supported by hoare"),
                span,
            )),
        }
    }

    /// A value that must be a process.
    pub(crate) fn proc_of(&self, v: Value, span: Span) -> R<ProcRef> {
        match v {
            Value::Proc(p) => Ok(p),
            other => Err(Diagnostic::error(
                "not-a-process",
                format!("expected a process, found {} {other}", other.type_name()),
                span,
            )
            .with_label_text("this is not a process")),
        }
    }
}
