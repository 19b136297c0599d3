//! Pattern matching: binds variables into the current frame's slots.
//!
//! Dotted patterns match a constructor/channel value field by field; a
//! constructor name inside a dotted pattern may open a nested field
//! (`c.Req.x` matches `c.(Req.1)`), and a last variable takes all
//! remaining fields (`c.x` matches `c.1.2` with `x = 1.2`).

use super::evaluator::{Evaluator, Frame, Slot, R};
use super::ir::{Pat, PatKind};
use super::value::{Data, Value};
use std::sync::Arc;

impl Evaluator {
    /// Matches `v` against `p`, binding variables in `f`.
    pub(crate) fn match_pat(&self, p: &Pat, v: &Value, f: &mut Frame) -> R<bool> {
        match &p.kind {
            PatKind::Wild => Ok(true),
            PatKind::Bind(s) => {
                f.set(*s, Slot::Val(v.clone()));
                Ok(true)
            }
            PatKind::Const(c) => Ok(c == v),
            PatKind::Head(h) => Ok(&self.head_value(*h, p.span)? == v),
            PatKind::Tuple(ps) => match v {
                Value::Tuple(items) if items.len() == ps.len() => self.match_all(ps, items, f),
                _ => Ok(false),
            },
            PatKind::Seq(ps) => match v {
                Value::Seq(items) if items.len() == ps.len() => self.match_all(ps, items, f),
                _ => Ok(false),
            },
            PatKind::Set(ps) => match v {
                Value::Set(s) if s.len() == ps.len() => match (ps.first(), s.iter().next()) {
                    (Some(q), Some(x)) => self.match_pat(q, x, f),
                    _ => Ok(true),
                },
                _ => Ok(false),
            },
            PatKind::Both(a, b) => Ok(self.match_pat(a, v, f)? && self.match_pat(b, v, f)?),
            PatKind::Concat(ps) => {
                let Value::Seq(items) = v else {
                    return Ok(false);
                };
                let fixed: Vec<Option<usize>> = ps
                    .iter()
                    .map(|q| match &q.kind {
                        PatKind::Seq(x) => Some(x.len()),
                        _ => None,
                    })
                    .collect();
                let known: usize = fixed.iter().flatten().sum();
                let open = fixed.iter().filter(|x| x.is_none()).count();
                if known > items.len() || (open == 0 && known != items.len()) {
                    return Ok(false);
                }
                let rest = items.len() - known;
                let mut at = 0;
                for (q, len) in ps.iter().zip(fixed) {
                    let n = len.unwrap_or(rest);
                    let part = Value::Seq(items[at..at + n].into());
                    at += n;
                    if !self.match_pat(q, &part, f)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            PatKind::Dotted(ps) => self.match_dotted(ps, components(v), f),
        }
    }

    fn match_all(&self, ps: &[Pat], vs: &[Value], f: &mut Frame) -> R<bool> {
        for (q, x) in ps.iter().zip(vs) {
            if !self.match_pat(q, x, f)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn match_dotted(&self, ps: &[Pat], comps: Vec<Value>, f: &mut Frame) -> R<bool> {
        let Some((p, rest)) = ps.split_first() else {
            return Ok(comps.is_empty());
        };
        if comps.is_empty() {
            return Ok(false);
        }
        if rest.is_empty() {
            return self.match_pat(p, &rejoin(comps), f);
        }
        // A constructor name meeting a value of that constructor with fields: open it.
        if let (PatKind::Head(h), Value::Data(d)) = (&p.kind, &comps[0]) {
            if d.head.id == *h && !d.fields.is_empty() {
                let mut opened = components(&comps[0]);
                opened.extend(comps.into_iter().skip(1));
                return self.match_dotted(ps, opened, f);
            }
        }
        let mut comps = comps.into_iter();
        let first = comps.next().unwrap_or(Value::Int(0));
        if !self.match_pat(p, &first, f)? {
            return Ok(false);
        }
        self.match_dotted(rest, comps.collect(), f)
    }
}

/// A dotted value's parts: the head alone then the fields, or a plain dot's parts.
fn components(v: &Value) -> Vec<Value> {
    match v {
        Value::Data(d) if !d.fields.is_empty() => {
            let mut out = vec![Value::Data(Arc::new(Data {
                head: d.head.clone(),
                fields: Vec::new(),
            }))];
            out.extend(d.fields.iter().cloned());
            out
        }
        Value::Dot(parts) => parts.to_vec(),
        other => vec![other.clone()],
    }
}

/// Puts components back together (the inverse of [`components`]).
fn rejoin(mut comps: Vec<Value>) -> Value {
    if comps.len() == 1 {
        return comps.pop().unwrap_or(Value::Int(0));
    }
    if let Some(Value::Data(d)) = comps.first() {
        if d.fields.len() + comps.len() - 1 <= d.head.arity() {
            let mut fields = d.fields.clone();
            fields.extend(comps.iter().skip(1).cloned());
            return Value::Data(Arc::new(Data {
                head: d.head.clone(),
                fields,
            }));
        }
    }
    Value::Dot(comps.into())
}
