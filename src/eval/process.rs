//! Evaluation of process expressions into process terms ([`Proc`]).
//!
//! Operands are evaluated eagerly, except the continuation of a prefix and
//! the right side of `;` and `[>`, which become [`Thunk`]s holding only the
//! values of their free local variables. That makes recursion finite and
//! keeps terms canonical: `PHIL(0)` after a full cycle is the same term again.

use super::evaluator::{Evaluator, Frame, R};
use super::events::{is_complete, remaining_field_types};
use super::ir::{CapSrc, FieldIr, Ir, IrKind, ReplIr};
use super::proc::{EventSet, Proc, ProcRef, Thunk};
use super::value::{HeadKind, Value};
use crate::syntax::ast::ProcOp;
use crate::syntax::{Diagnostic, Span};
use std::collections::BTreeSet;
use std::sync::Arc;

/// `P1 [] P2 …` (or `|~|`), flattening nested choices of the same kind.
/// `STOP` branches of an external choice are dropped (`P [] STOP = P` in
/// every model), so guarded alternatives leave no trace in the term.
fn choice(ps: Vec<ProcRef>, external: bool) -> ProcRef {
    let mut out = Vec::with_capacity(ps.len());
    for p in ps {
        match (&*p, external) {
            (Proc::ExternalChoice(qs), true) | (Proc::InternalChoice(qs), false) => {
                out.extend(qs.iter().cloned())
            }
            (Proc::Stop, true) => {}
            _ => out.push(p),
        }
    }
    match out.len() {
        0 => Arc::new(Proc::Stop),
        1 => out.pop().unwrap_or_else(|| Arc::new(Proc::Stop)),
        _ => Arc::new(if external {
            Proc::ExternalChoice(out)
        } else {
            Proc::InternalChoice(out)
        }),
    }
}

fn empty_set() -> EventSet {
    Arc::new(BTreeSet::new())
}

impl Evaluator {
    fn proc_expr(&self, ir: &Ir, f: &mut Frame) -> R<ProcRef> {
        let v = self.eval(ir, f)?;
        self.proc_of(v, ir.span)
    }

    fn events_expr(&self, ir: &Ir, f: &mut Frame) -> R<EventSet> {
        let v = self.eval(ir, f)?;
        self.event_set(&v, ir.span)
    }

    fn thunk_of(&self, ir: &Ir, f: &mut Frame) -> R<Thunk> {
        match &ir.kind {
            IrKind::MakeThunk { code, captures } => Ok(Thunk {
                code: *code,
                env: self.capture_env(captures, f, ir.span)?,
            }),
            _ => Err(Diagnostic::error(
                "internal",
                "internal error in the evaluator: expected a suspended process",
                ir.span,
            )),
        }
    }

    fn link_pairs(
        &self,
        links: &[(Ir, Ir)],
        stmts: &[super::ir::StmtIr],
        f: &mut Frame,
    ) -> R<Arc<[(Value, Value)]>> {
        let mut out = Vec::new();
        self.each(stmts, f, &mut |ev, f| {
            for (a, b) in links {
                let av = ev.eval(a, f)?;
                let bv = ev.eval(b, f)?;
                ev.expand_pair(av, bv, a.span.to(b.span), &mut out)?;
            }
            Ok(())
        })?;
        out.sort();
        out.dedup();
        Ok(out.into())
    }

    /// Evaluates a process-operator expression.
    pub(crate) fn eval_process(&self, ir: &Ir, f: &mut Frame) -> R<ProcRef> {
        let span = ir.span;
        match &ir.kind {
            IrKind::Prefix {
                chan,
                fields,
                body,
                captures,
            } => {
                let cv = self.eval(chan, f)?;
                if !matches!(&cv, Value::Data(d) if d.head.kind == HeadKind::Channel) {
                    return Err(Diagnostic::error(
                        "not-an-event",
                        format!(
                            "expected an event or channel before `->`, found {} {cv}",
                            cv.type_name()
                        ),
                        chan.span,
                    )
                    .with_label_text("this is not an event"));
                }
                let mut alts = Vec::new();
                self.prefix_fields(cv, fields, *body, captures, chan.span, f, &mut alts)?;
                Ok(choice(alts, true))
            }
            IrKind::Guard(b, p) => {
                let bv = self.eval(b, f)?;
                match bv {
                    Value::Bool(true) => self.proc_expr(p, f),
                    Value::Bool(false) => Ok(Arc::new(Proc::Stop)),
                    other => Err(Diagnostic::error(
                        "type",
                        format!(
                            "the guard of `&` must be a Bool, found {} {other}",
                            other.type_name()
                        ),
                        b.span,
                    )),
                }
            }
            IrKind::ProcBinary(op, p, q) => {
                let pp = self.proc_expr(p, f)?;
                match op {
                    ProcOp::Sequential => Ok(Arc::new(Proc::Sequential(pp, self.thunk_of(q, f)?))),
                    ProcOp::SlidingChoice => {
                        Ok(Arc::new(Proc::SlidingChoice(pp, self.thunk_of(q, f)?)))
                    }
                    ProcOp::ExternalChoice => Ok(choice(vec![pp, self.proc_expr(q, f)?], true)),
                    ProcOp::InternalChoice => Ok(choice(vec![pp, self.proc_expr(q, f)?], false)),
                    ProcOp::Interleave => Ok(Arc::new(Proc::Parallel(
                        pp,
                        empty_set(),
                        self.proc_expr(q, f)?,
                    ))),
                    ProcOp::Interrupt => Ok(Arc::new(Proc::Interrupt(pp, self.proc_expr(q, f)?))),
                }
            }
            IrKind::Parallel(p, a, q) => {
                let pp = self.proc_expr(p, f)?;
                let a = self.events_expr(a, f)?;
                let qq = self.proc_expr(q, f)?;
                Ok(Arc::new(Proc::Parallel(pp, a, qq)))
            }
            IrKind::AlphaParallel(p, a, b, q) => {
                let pp = self.proc_expr(p, f)?;
                let a = self.events_expr(a, f)?;
                let b = self.events_expr(b, f)?;
                let qq = self.proc_expr(q, f)?;
                Ok(Arc::new(Proc::AlphaParallel(pp, a, b, qq)))
            }
            IrKind::Linked(p, links, stmts, q) => {
                let pp = self.proc_expr(p, f)?;
                let qq = self.proc_expr(q, f)?;
                let pairs = self.link_pairs(links, stmts, f)?;
                Ok(Arc::new(Proc::Linked(pp, pairs, qq)))
            }
            IrKind::Hide(p, a) => {
                let pp = self.proc_expr(p, f)?;
                let a = self.events_expr(a, f)?;
                Ok(Arc::new(Proc::Hide(pp, a)))
            }
            IrKind::Rename(p, links, stmts) => {
                let pp = self.proc_expr(p, f)?;
                let pairs = self.link_pairs(links, stmts, f)?;
                Ok(Arc::new(Proc::Rename(pp, pairs)))
            }
            IrKind::Replicated(op, stmts, body) => self.replicated(op, stmts, body, f, span),
            _ => {
                let v = self.eval(ir, f)?;
                self.proc_of(v, span)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn prefix_fields(
        &self,
        ev: Value,
        fields: &[FieldIr],
        body: u32,
        captures: &[CapSrc],
        chan_span: Span,
        f: &mut Frame,
        out: &mut Vec<ProcRef>,
    ) -> R<()> {
        let Some((field, rest)) = fields.split_first() else {
            if !is_complete(&ev) {
                let mut missing = Vec::new();
                remaining_field_types(&ev, &mut missing);
                return Err(Diagnostic::error(
                    "incomplete-event",
                    format!(
                        "`{ev}` is not a complete event: {} more field(s) needed",
                        missing.len()
                    ),
                    chan_span,
                )
                .with_help("give the remaining fields with `!e`, `.e` or `?x`"));
            }
            let env = self.capture_env(captures, f, chan_span)?;
            out.push(Arc::new(Proc::Prefix(ev, Thunk { code: body, env })));
            return Ok(());
        };
        match field {
            FieldIr::Out(e) => {
                let v = self.eval(e, f)?;
                let ev = self.dot(ev, v, e.span)?;
                self.prefix_fields(ev, rest, body, captures, chan_span, f, out)
            }
            FieldIr::In {
                pat,
                restrict,
                nondet,
                width,
                last,
            } => {
                let restrict = match restrict {
                    Some(r) => Some((self.eval(r, f)?, r.span)),
                    None => None,
                };
                let cands = self.input_candidates(&ev, restrict, *width, *last, pat.span)?;
                if *nondet {
                    let mut branches = Vec::new();
                    for c in cands {
                        if self.match_pat(pat, &c, f)? {
                            let mut sub = Vec::new();
                            let next = self.dot(ev.clone(), c, pat.span)?;
                            self.prefix_fields(next, rest, body, captures, chan_span, f, &mut sub)?;
                            branches.push(choice(sub, true));
                        }
                    }
                    if !branches.is_empty() {
                        out.push(choice(branches, false));
                    }
                    Ok(())
                } else {
                    for c in cands {
                        if self.match_pat(pat, &c, f)? {
                            let next = self.dot(ev.clone(), c, pat.span)?;
                            self.prefix_fields(next, rest, body, captures, chan_span, f, out)?;
                        }
                    }
                    Ok(())
                }
            }
        }
    }

    /// The values an input `?x` ranges over: the next field's type (or, for
    /// the last input, all remaining fields), restricted to `restrict`.
    fn input_candidates(
        &self,
        ev: &Value,
        restrict: Option<(Value, Span)>,
        width: usize,
        last: bool,
        span: Span,
    ) -> R<Vec<Value>> {
        let mut types = Vec::new();
        remaining_field_types(ev, &mut types);
        if types.is_empty() {
            return Err(Diagnostic::error(
                "type",
                format!("`{ev}` is already a complete event; this input has no field to take"),
                span,
            ));
        }
        let n = if last {
            types.len()
        } else {
            width.min(types.len())
        };
        types.truncate(n);
        // One field with a restriction: enumerate whichever side is finite.
        if n == 1 {
            if let Some((r, rspan)) = &restrict {
                if !matches!(types[0], Value::Set(_)) {
                    let mut out = Vec::new();
                    for x in self.elements(r, *rspan)? {
                        if self.member(&x, &types[0], span)? {
                            out.push(x);
                        }
                    }
                    return Ok(out);
                }
            }
        }
        let mut combos: Vec<Vec<Value>> = vec![Vec::new()];
        for t in &types {
            let values = self.elements(t, span).map_err(|d| {
                d.with_note(format!(
                    "the input ranges over the type of a field of `{ev}`"
                ))
                .with_help("restrict the input: `?x:S` with a finite set S")
            })?;
            let mut next = Vec::with_capacity(combos.len() * values.len());
            for c in &combos {
                for v in &values {
                    let mut c2 = c.clone();
                    c2.push(v.clone());
                    next.push(c2);
                }
            }
            combos = next;
        }
        let mut out = Vec::with_capacity(combos.len());
        for c in combos {
            let v = if c.len() == 1 {
                c.into_iter().next().unwrap_or(Value::Int(0))
            } else {
                Value::Dot(c.into())
            };
            if let Some((r, rspan)) = &restrict {
                if !self.member(&v, r, *rspan)? {
                    continue;
                }
            }
            out.push(v);
        }
        Ok(out)
    }

    fn replicated(
        &self,
        op: &ReplIr,
        stmts: &[super::ir::StmtIr],
        body: &Ir,
        f: &mut Frame,
        span: Span,
    ) -> R<ProcRef> {
        match op {
            ReplIr::Sequential {
                body: code,
                captures,
                rest,
            } => {
                let mut envs = Vec::new();
                self.each(stmts, f, &mut |ev, f| {
                    envs.push(Value::Tuple(ev.capture_env(captures, f, span)?));
                    Ok(())
                })?;
                self.seq_chain(*code, *rest, &envs, span)
            }
            ReplIr::AlphaParallel(a) => {
                let mut parts: Vec<(EventSet, ProcRef)> = Vec::new();
                self.each(stmts, f, &mut |ev, f| {
                    let alpha = ev.events_expr(a, f)?;
                    let p = ev.proc_expr(body, f)?;
                    parts.push((alpha, p));
                    Ok(())
                })?;
                let Some((last_alpha, last)) = parts.pop() else {
                    return Ok(Arc::new(Proc::Skip));
                };
                if parts.is_empty() {
                    // One component is still restricted to its alphabet; Ω
                    // (already terminated) on the other side adds no state.
                    return Ok(Arc::new(Proc::AlphaParallel(
                        last,
                        last_alpha,
                        Arc::new(BTreeSet::new()),
                        Arc::new(Proc::Omega),
                    )));
                }
                // P1 [A1 || A2 ∪ … ∪ An] (P2 [A2 || …] (… Pn)).
                let mut acc = last;
                let mut acc_alpha: BTreeSet<Value> = last_alpha.iter().cloned().collect();
                while let Some((alpha, p)) = parts.pop() {
                    let right: EventSet = Arc::new(acc_alpha.clone());
                    acc_alpha.extend(alpha.iter().cloned());
                    acc = Arc::new(Proc::AlphaParallel(p, alpha, right, acc));
                }
                Ok(acc)
            }
            _ => {
                let outer = match op {
                    ReplIr::Parallel(a) => Some(self.events_expr(a, f)?),
                    _ => None,
                };
                let links = match op {
                    ReplIr::Linked(links) => Some(self.link_pairs(links, &[], f)?),
                    _ => None,
                };
                let mut ps = Vec::new();
                self.each(stmts, f, &mut |ev, f| {
                    ps.push(ev.proc_expr(body, f)?);
                    Ok(())
                })?;
                match op {
                    ReplIr::ExternalChoice => Ok(choice(ps, true)),
                    ReplIr::InternalChoice => {
                        if ps.is_empty() {
                            return Err(Diagnostic::error(
                                "empty-choice",
                                "`|~|` over an empty set has no meaning",
                                span,
                            )
                            .with_help(
                                "make sure the set is not empty, or use `[]` (empty = STOP)",
                            ));
                        }
                        Ok(choice(ps, false))
                    }
                    _ => {
                        let Some(mut acc) = ps.pop() else {
                            return Ok(Arc::new(Proc::Skip));
                        };
                        while let Some(p) = ps.pop() {
                            acc = Arc::new(match (&outer, &links) {
                                (Some(a), _) => Proc::Parallel(p, a.clone(), acc),
                                (_, Some(l)) => Proc::Linked(p, l.clone(), acc),
                                _ => Proc::Parallel(p, empty_set(), acc),
                            });
                        }
                        Ok(acc)
                    }
                }
            }
        }
    }

    /// `P1 ; (P2 ; …)` for a replicated `;`: the first element's process, then
    /// a thunk of code `rest` holding the remaining elements' environments.
    pub(crate) fn seq_chain(&self, body: u32, rest: u32, envs: &[Value], span: Span) -> R<ProcRef> {
        let Some((first, others)) = envs.split_first() else {
            return Ok(Arc::new(Proc::Skip));
        };
        let Value::Tuple(env) = first else {
            return Err(Diagnostic::error(
                "internal",
                "internal error in the evaluator: bad sequence environment",
                span,
            ));
        };
        let p = self.force(&Thunk {
            code: body,
            env: env.clone(),
        })?;
        if others.is_empty() {
            return Ok(p);
        }
        Ok(Arc::new(Proc::Sequential(
            p,
            Thunk {
                code: rest,
                env: vec![Value::Seq(others.into())].into(),
            },
        )))
    }
}
