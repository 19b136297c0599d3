//! Runtime values of the functional language, including process terms.
//!
//! Values are immutable and cheaply cloned (`Arc` inside). Every value has a
//! total order, so sets are canonical: equal sets are equal values and print
//! the same way.

use super::proc::Proc;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

/// Whether a dotted head is a datatype constructor or a channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HeadKind {
    /// A datatype constructor (`Req` in `datatype Msg = Req.{0..2}`).
    Constructor,
    /// A channel (`c` in `channel c : {0..3}`).
    Channel,
}

/// A constructor or channel: the head of a dotted data value or event.
#[derive(Debug)]
pub struct Head {
    /// Declaration order over all heads of the script; gives the value order.
    pub id: u32,
    /// Its name.
    pub name: Arc<str>,
    /// Constructor or channel.
    pub kind: HeadKind,
    /// The set of values each field may take (evaluated from the declaration).
    pub fields: Vec<Value>,
    /// For a constructor: the datatype name it belongs to.
    pub datatype: Option<Arc<str>>,
}

impl PartialEq for Head {
    fn eq(&self, other: &Head) -> bool {
        self.id == other.id
    }
}
impl Eq for Head {}
impl std::hash::Hash for Head {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id.hash(state)
    }
}
impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Head) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Head {
    fn cmp(&self, other: &Head) -> std::cmp::Ordering {
        self.id.cmp(&other.id)
    }
}

impl Head {
    /// Number of fields a complete value of this head has.
    pub fn arity(&self) -> usize {
        self.fields.len()
    }
}

/// A constructor or channel applied to zero or more of its fields.
/// With all fields given it is a complete data value or event; with fewer it
/// is a partial one (`c` alone, or `c.1` of a two-field channel).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Data {
    /// The constructor or channel.
    pub head: Arc<Head>,
    /// The fields given so far.
    pub fields: Vec<Value>,
}

/// A function value: a lambda, a named function, or a built-in, with what it captured.
/// Equality and order are by identity of the definition and the captured values.
#[derive(Debug)]
pub struct Function {
    /// A stable identity of the definition (the defining node, or a built-in's number).
    pub id: u64,
    /// Name for printing (`\x @ …` prints as `<function name>`).
    pub name: Arc<str>,
    /// The values captured from the enclosing scope, in a fixed order.
    pub captured: Vec<Value>,
    /// Arguments given so far (partial application of curried functions).
    pub applied: Vec<Value>,
}

impl PartialEq for Function {
    fn eq(&self, o: &Function) -> bool {
        self.id == o.id && self.captured == o.captured && self.applied == o.applied
    }
}
impl Eq for Function {}
impl std::hash::Hash for Function {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id.hash(state);
        self.captured.hash(state);
        self.applied.hash(state);
    }
}
impl PartialOrd for Function {
    fn partial_cmp(&self, other: &Function) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Function {
    fn cmp(&self, o: &Function) -> std::cmp::Ordering {
        (self.id, &self.captured, &self.applied).cmp(&(o.id, &o.captured, &o.applied))
    }
}

/// A value of the functional language.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Value {
    /// Integer (64-bit; overflow is an evaluation error).
    Int(i64),
    /// Boolean.
    Bool(bool),
    /// Character.
    Char(char),
    /// String.
    Str(Arc<str>),
    /// Tuple of two or more values.
    Tuple(Arc<[Value]>),
    /// Constructor or channel with fields (data value or event).
    Data(Arc<Data>),
    /// A dotted pair of values that is not a constructor application (`1.2`).
    Dot(Arc<[Value]>),
    /// Finite set, canonically ordered.
    Set(Arc<BTreeSet<Value>>),
    /// Sequence.
    Seq(Arc<[Value]>),
    /// Finite map.
    Map(Arc<BTreeMap<Value, Value>>),
    /// Function or closure.
    Function(Arc<Function>),
    /// Process term.
    Proc(Arc<Proc>),
}

impl Value {
    /// A set from any iterator of values.
    pub fn set(items: impl IntoIterator<Item = Value>) -> Value {
        Value::Set(Arc::new(items.into_iter().collect()))
    }

    /// A sequence from any iterator of values.
    pub fn seq(items: impl IntoIterator<Item = Value>) -> Value {
        Value::Seq(items.into_iter().collect::<Vec<_>>().into())
    }

    /// A short name of the value's type for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Int(_) => "Int",
            Value::Bool(_) => "Bool",
            Value::Char(_) => "Char",
            Value::Str(_) => "String",
            Value::Tuple(_) => "tuple",
            Value::Data(d) => match d.head.kind {
                HeadKind::Channel => "event",
                HeadKind::Constructor => "data value",
            },
            Value::Dot(_) => "dotted value",
            Value::Set(_) => "set",
            Value::Seq(_) => "sequence",
            Value::Map(_) => "map",
            Value::Function(_) => "function",
            Value::Proc(_) => "process",
        }
    }
}

fn write_list(
    f: &mut fmt::Formatter<'_>,
    items: impl IntoIterator<Item = impl fmt::Display>,
) -> fmt::Result {
    for (i, v) in items.into_iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{v}")?;
    }
    Ok(())
}

/// Writes a value that stands as one part of a dotted value, bracketing
/// what would otherwise read differently (`c.(1.2)` is not written so).
fn write_dot_part(f: &mut fmt::Formatter<'_>, v: &Value) -> fmt::Result {
    match v {
        Value::Int(i) if *i < 0 => write!(f, "({v})"),
        Value::Proc(_) => write!(f, "({v})"),
        _ => write!(f, "{v}"),
    }
}

impl fmt::Display for Value {
    /// CSPM notation: `true`, `{0, 1}`, `<1, 2>`, `c.1`, `(1, 2)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(i) => write!(f, "{i}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Char(c) => write!(f, "{c:?}"),
            Value::Str(s) => write!(f, "{:?}", &**s),
            Value::Tuple(items) => {
                f.write_str("(")?;
                write_list(f, items.iter())?;
                f.write_str(")")
            }
            Value::Data(d) => {
                f.write_str(&d.head.name)?;
                for v in &d.fields {
                    f.write_str(".")?;
                    write_dot_part(f, v)?;
                }
                Ok(())
            }
            Value::Dot(parts) => {
                for (i, v) in parts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    write_dot_part(f, v)?;
                }
                Ok(())
            }
            Value::Set(s) => {
                f.write_str("{")?;
                write_list(f, s.iter())?;
                f.write_str("}")
            }
            Value::Seq(s) => {
                f.write_str("<")?;
                write_list(f, s.iter())?;
                f.write_str(">")
            }
            Value::Map(m) => {
                f.write_str("(|")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    f.write_str(if i > 0 { ", " } else { " " })?;
                    write!(f, "{k} => {v}")?;
                }
                f.write_str(if m.is_empty() { "|)" } else { " |)" })
            }
            Value::Function(func) => write!(f, "<function {}>", func.name),
            Value::Proc(p) => write!(f, "{p}"),
        }
    }
}
