//! Dotted values, events and sets: how `c.1.true` is built field by field
//! (with type checks), how partial events are completed (`{| c |}`,
//! renaming `c <- d`), and set membership including infinite sets.

use super::evaluator::{Evaluator, R};
use super::value::{Data, HeadKind, InfiniteSet, Value};
use crate::syntax::{Diagnostic, Span};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Largest set or sequence the evaluator will build by enumeration.
pub(crate) const MAX_ENUMERATION: usize = 10_000_000;

/// True when `v` is not a constructor/channel value still missing fields.
pub(crate) fn is_complete(v: &Value) -> bool {
    match v {
        Value::Data(d) => is_complete_data(d),
        _ => true,
    }
}

/// True when every field of `d` is given and complete.
pub(crate) fn is_complete_data(d: &Data) -> bool {
    d.fields.len() == d.head.arity() && d.fields.last().map_or(true, is_complete)
}

/// True for a complete channel value.
pub(crate) fn is_event(v: &Value) -> bool {
    matches!(v, Value::Data(d) if d.head.kind == HeadKind::Channel && is_complete_data(d))
}

/// The types of the fields still missing in `v`, innermost first.
pub(crate) fn remaining_field_types(v: &Value, out: &mut Vec<Value>) {
    if let Value::Data(d) = v {
        if let Some(last) = d.fields.last() {
            if !is_complete(last) {
                remaining_field_types(last, out);
            }
        }
        out.extend(d.head.fields.iter().skip(d.fields.len()).cloned());
    }
}

/// Splits a field type that is a product of dotted values (`{0..1}.{0..1}`)
/// into one type per component, as FDR flattens dotted channel types.
pub(crate) fn split_product(t: Value) -> Vec<Value> {
    let Value::Set(s) = &t else { return vec![t] };
    let width = match s.iter().next() {
        Some(Value::Dot(parts)) if parts.len() >= 2 => parts.len(),
        _ => return vec![t],
    };
    let mut comps: Vec<BTreeSet<Value>> = vec![BTreeSet::new(); width];
    for v in s.iter() {
        match v {
            Value::Dot(parts) if parts.len() == width => {
                for (c, p) in comps.iter_mut().zip(parts.iter()) {
                    c.insert(p.clone());
                }
            }
            _ => return vec![t],
        }
    }
    let product = comps
        .iter()
        .try_fold(1usize, |acc, c| acc.checked_mul(c.len()));
    if product != Some(s.len()) {
        return vec![t];
    }
    comps.into_iter().map(|c| Value::Set(Arc::new(c))).collect()
}

impl Evaluator {
    /// `acc.v`: fills the innermost missing field of a constructor/channel
    /// value (checking it against the declared type), or builds a plain
    /// dotted value.
    pub(crate) fn dot(&self, acc: Value, v: Value, span: Span) -> R<Value> {
        if let Value::Dot(parts) = &v {
            let mut a = acc;
            for p in parts.iter() {
                a = self.dot(a, p.clone(), span)?;
            }
            return Ok(a);
        }
        match acc {
            Value::Data(d) if !is_complete_data(&d) => Ok(Value::Data(self.fill(&d, v, span)?)),
            Value::Dot(parts) => {
                let mut parts = parts.to_vec();
                parts.push(v);
                Ok(Value::Dot(parts.into()))
            }
            acc => Ok(Value::Dot(vec![acc, v].into())),
        }
    }

    fn fill(&self, d: &Arc<Data>, v: Value, span: Span) -> R<Arc<Data>> {
        let mut fields = d.fields.clone();
        if let Some(Value::Data(last)) = fields.last() {
            if !is_complete_data(last) {
                let inner = self.fill(last, v, span)?;
                let done = is_complete_data(&inner);
                let i = fields.len() - 1;
                fields[i] = Value::Data(inner);
                if done {
                    self.check_field(d, i, &fields[i], span)?;
                }
                return Ok(Arc::new(Data {
                    head: d.head.clone(),
                    fields,
                }));
            }
        }
        let i = fields.len();
        if is_complete(&v) {
            self.check_field(d, i, &v, span)?;
        }
        fields.push(v);
        Ok(Arc::new(Data {
            head: d.head.clone(),
            fields,
        }))
    }

    fn check_field(&self, d: &Data, i: usize, v: &Value, span: Span) -> R<()> {
        let Some(ty) = d.head.fields.get(i) else {
            return Err(Diagnostic::error(
                "type",
                format!(
                    "too many fields: `{}` has {} field(s)",
                    d.head.name,
                    d.head.arity()
                ),
                span,
            ));
        };
        if self.member(v, ty, span)? {
            return Ok(());
        }
        let what = match d.head.kind {
            HeadKind::Channel => "channel",
            HeadKind::Constructor => "constructor",
        };
        Err(Diagnostic::error(
            "type",
            format!(
                "value {v} is not in the type of field {} of {what} {}: {}",
                i + 1,
                d.head.name,
                self.field_type_text(d.head.id, i, ty)
            ),
            span,
        )
        .with_label_text(format!(
            "this gives {}.{v}",
            Value::Data(Arc::new(d.clone()))
        )))
    }

    /// Set membership, for finite and infinite sets.
    pub(crate) fn member(&self, v: &Value, set: &Value, span: Span) -> R<bool> {
        match set {
            Value::Set(s) => Ok(s.contains(v)),
            Value::Infinite(inf) => Ok(match &**inf {
                InfiniteSet::Ints => matches!(v, Value::Int(_)),
                InfiniteSet::IntsFrom(m) => matches!(v, Value::Int(i) if i >= m),
                InfiniteSet::Datatype(name) => match v {
                    Value::Data(d)
                        if d.head.datatype.as_deref() == Some(&**name) && is_complete_data(d) =>
                    {
                        for (f, t) in d.fields.iter().zip(d.head.fields.iter()) {
                            if !self.member(f, t, span)? {
                                return Ok(false);
                            }
                        }
                        true
                    }
                    _ => false,
                },
                InfiniteSet::Seqs(a) => match v {
                    Value::Seq(items) => {
                        for x in items.iter() {
                            if !self.member(x, a, span)? {
                                return Ok(false);
                            }
                        }
                        true
                    }
                    _ => false,
                },
            }),
            other => Err(Diagnostic::error(
                "type",
                format!("expected a set, found {} {other}", other.type_name()),
                span,
            )),
        }
    }

    /// The elements of a finite set or a sequence, in order.
    pub(crate) fn elements(&self, v: &Value, span: Span) -> R<Vec<Value>> {
        match v {
            Value::Set(s) => Ok(s.iter().cloned().collect()),
            Value::Seq(s) => Ok(s.to_vec()),
            Value::Infinite(i) => Err(Diagnostic::error(
                "infinite",
                format!("cannot enumerate the infinite set {i}"),
                span,
            )
            .with_help("restrict it to a finite set, e.g. `{0..9}`")),
            other => Err(Diagnostic::error(
                "type",
                format!(
                    "expected a set or a sequence, found {} {other}",
                    other.type_name()
                ),
                span,
            )),
        }
    }

    /// Every completion of a (partial) constructor/channel value, each with
    /// the field values added (in order), e.g. `c` → `(c.0, [0])`, ….
    pub(crate) fn completions(&self, v: &Value, span: Span) -> R<Vec<(Value, Vec<Value>)>> {
        let mut out = Vec::new();
        self.complete_into(v.clone(), Vec::new(), span, &mut out)?;
        Ok(out)
    }

    fn complete_into(
        &self,
        v: Value,
        suffix: Vec<Value>,
        span: Span,
        out: &mut Vec<(Value, Vec<Value>)>,
    ) -> R<()> {
        let Value::Data(d) = &v else {
            out.push((v, suffix));
            return Ok(());
        };
        if is_complete_data(d) {
            out.push((v, suffix));
            return Ok(());
        }
        if let Some(last) = d.fields.last() {
            if !is_complete(last) {
                for (c, s) in self.completions(last, span)? {
                    let mut fields = d.fields.clone();
                    let i = fields.len() - 1;
                    fields[i] = c;
                    let mut suf = suffix.clone();
                    suf.extend(s);
                    let nv = Value::Data(Arc::new(Data {
                        head: d.head.clone(),
                        fields,
                    }));
                    self.complete_into(nv, suf, span, out)?;
                }
                return Ok(());
            }
        }
        let i = d.fields.len();
        let ty = d
            .head
            .fields
            .get(i)
            .cloned()
            .unwrap_or_else(|| Value::set([]));
        let values = match &ty {
            Value::Set(s) => s.iter().cloned().collect::<Vec<_>>(),
            other => {
                let what = match d.head.kind {
                    HeadKind::Channel => "channel",
                    HeadKind::Constructor => "constructor",
                };
                return Err(Diagnostic::error(
                    "infinite",
                    format!(
                        "cannot enumerate the events of {what} {}: field {} has the infinite type {other}",
                        d.head.name,
                        i + 1
                    ),
                    span,
                )
                .with_label_text("this has infinitely many events")
                .with_help("give the field a finite type"));
            }
        };
        for x in values {
            let mut fields = d.fields.clone();
            fields.push(x.clone());
            let mut suf = suffix.clone();
            suf.push(x);
            let nv = Value::Data(Arc::new(Data {
                head: d.head.clone(),
                fields,
            }));
            self.complete_into(nv, suf, span, out)?;
            if out.len() > MAX_ENUMERATION {
                return Err(Diagnostic::error(
                    "too-large",
                    format!("too many values (more than {MAX_ENUMERATION})"),
                    span,
                ));
            }
        }
        Ok(())
    }

    /// The events of `{| v |}` for one channel or event prefix.
    pub(crate) fn productions(&self, v: &Value, span: Span) -> R<Vec<Value>> {
        match v {
            Value::Data(_) => Ok(self
                .completions(v, span)?
                .into_iter()
                .map(|(c, _)| c)
                .collect()),
            other => Err(Diagnostic::error(
                "type",
                format!(
                    "expected a channel or an event prefix inside `{{| |}}`, found {} {other}",
                    other.type_name()
                ),
                span,
            )),
        }
    }

    /// A set of complete events (argument of `[| |]`, `\`, `RUN`, …).
    pub(crate) fn event_set(&self, v: &Value, span: Span) -> R<Arc<BTreeSet<Value>>> {
        let s = match v {
            Value::Set(s) => s,
            Value::Infinite(i) => {
                return Err(Diagnostic::error(
                    "infinite",
                    format!("expected a set of events, found the infinite set {i}"),
                    span,
                ))
            }
            other => {
                return Err(Diagnostic::error(
                    "type",
                    format!(
                        "expected a set of events, found {} {other}",
                        other.type_name()
                    ),
                    span,
                ))
            }
        };
        for e in s.iter() {
            if !is_event(e) {
                let mut d = Diagnostic::error(
                    "type",
                    format!(
                        "expected a set of events, but it contains {} {e}",
                        e.type_name()
                    ),
                    span,
                );
                if let Value::Data(x) = e {
                    if x.head.kind == HeadKind::Channel {
                        d = d
                            .with_note(format!("`{e}` is missing fields, so it is not an event"))
                            .with_help(format!(
                                "`{{| {e} |}}` is the set of all events that extend it"
                            ));
                    }
                }
                return Err(d);
            }
        }
        Ok(s.clone())
    }

    /// Pairs of a renaming or link: `a <- b` with `a` a complete event or a
    /// prefix (then every completion of `a` pairs with `b` extended the same way).
    pub(crate) fn expand_pair(
        &self,
        a: Value,
        b: Value,
        span: Span,
        out: &mut Vec<(Value, Value)>,
    ) -> R<()> {
        for (v, what) in [(&a, "left"), (&b, "right")] {
            if !matches!(v, Value::Data(d) if d.head.kind == HeadKind::Channel) {
                return Err(Diagnostic::error(
                    "type",
                    format!(
                        "expected an event or channel on the {what} of `<-`/`<->`, found {} {v}",
                        v.type_name()
                    ),
                    span,
                ));
            }
        }
        for (ea, suffix) in self.completions(&a, span)? {
            let mut eb = b.clone();
            for s in suffix {
                eb = self.dot(eb, s, span)?;
            }
            if !is_event(&eb) {
                return Err(Diagnostic::error(
                    "type",
                    format!("`{ea}` is paired with `{eb}`, which is not a complete event"),
                    span,
                ));
            }
            out.push((ea, eb));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::split_product;
    use crate::eval::Value;

    fn dot(a: i64, b: i64) -> Value {
        Value::Dot(vec![Value::Int(a), Value::Int(b)].into())
    }

    #[test]
    fn products_of_dotted_values_split_into_fields() {
        let full = Value::set([dot(0, 0), dot(0, 1), dot(1, 0), dot(1, 1)]);
        let parts = split_product(full);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].to_string(), "{0, 1}");
        // Not a full product: kept as one field.
        let partial = Value::set([dot(0, 0), dot(1, 1)]);
        assert_eq!(split_product(partial).len(), 1);
        // Plain sets stay as they are.
        assert_eq!(split_product(Value::set([Value::Int(1)])).len(), 1);
    }
}
