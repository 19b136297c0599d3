//! The built-in functions of CSPM: their names, arities and meaning.
//!
//! Built-ins are ordinary function values (they can be passed around), told
//! apart from user functions by an id at or above [`BUILTIN_BASE`].

use super::value::Value;

/// Function ids from here up are built-ins (index into [`BUILTINS`]).
pub(crate) const BUILTIN_BASE: u64 = 1 << 40;

/// A built-in function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Builtin {
    Union,
    Inter,
    Diff,
    BigUnion,
    BigInter,
    Member,
    Card,
    Empty,
    SetOf,
    PowerSet,
    Seqs,
    SeqOf,
    Length,
    Null,
    Head,
    Tail,
    Concat,
    Elem,
    Productions,
    Extensions,
    MapFromList,
    MapLookup,
    MapMember,
    MapToList,
    MapUpdate,
    MapDelete,
    Error,
    Show,
    Chaos,
    Run,
    /// A `transparent` compression: semantics-preserving, evaluated as the identity.
    Identity,
    /// An `external` function hoare does not implement.
    Unsupported,
}

/// Name, arity and meaning of every built-in function.
pub(crate) const BUILTINS: &[(&str, usize, Builtin)] = &[
    ("union", 2, Builtin::Union),
    ("inter", 2, Builtin::Inter),
    ("diff", 2, Builtin::Diff),
    ("Union", 1, Builtin::BigUnion),
    ("Inter", 1, Builtin::BigInter),
    ("member", 2, Builtin::Member),
    ("card", 1, Builtin::Card),
    ("empty", 1, Builtin::Empty),
    ("set", 1, Builtin::SetOf),
    ("Set", 1, Builtin::PowerSet),
    ("Seq", 1, Builtin::Seqs),
    ("seq", 1, Builtin::SeqOf),
    ("length", 1, Builtin::Length),
    ("null", 1, Builtin::Null),
    ("head", 1, Builtin::Head),
    ("tail", 1, Builtin::Tail),
    ("concat", 1, Builtin::Concat),
    ("elem", 2, Builtin::Elem),
    ("productions", 1, Builtin::Productions),
    ("extensions", 1, Builtin::Extensions),
    ("mapFromList", 1, Builtin::MapFromList),
    ("mapLookup", 2, Builtin::MapLookup),
    ("mapMember", 2, Builtin::MapMember),
    ("mapToList", 1, Builtin::MapToList),
    ("mapUpdate", 3, Builtin::MapUpdate),
    ("mapDelete", 2, Builtin::MapDelete),
    ("error", 1, Builtin::Error),
    ("show", 1, Builtin::Show),
    ("CHAOS", 1, Builtin::Chaos),
    ("RUN", 1, Builtin::Run),
];

/// Function id offsets of the built-ins that are not in [`BUILTINS`].
const IDENTITY_INDEX: u64 = 1000;
const UNSUPPORTED_INDEX: u64 = 1001;

/// Built-in names that are constants rather than functions.
pub(crate) const BUILTIN_CONSTANTS: &[&str] = &[
    "STOP", "SKIP", "DIV", "Int", "Bool", "Events", "true", "false", "emptyMap",
];

/// The built-in function named `name`.
pub(crate) fn lookup(name: &str) -> Option<(usize, Builtin)> {
    BUILTINS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, a, b)| (*a, *b))
}

/// The function value of built-in `b` printed as `name`.
pub(crate) fn function_value(name: &str, b: Builtin) -> Value {
    let index = match b {
        Builtin::Identity => IDENTITY_INDEX,
        Builtin::Unsupported => UNSUPPORTED_INDEX,
        _ => BUILTINS.iter().position(|(_, _, x)| *x == b).unwrap_or(0) as u64,
    };
    Value::Function(std::sync::Arc::new(super::value::Function {
        id: BUILTIN_BASE + index,
        name: name.into(),
        captured: Vec::new(),
        applied: Vec::new(),
    }))
}

/// The built-in (arity, meaning) with function id `id`, if it is one.
pub(crate) fn from_id(id: u64) -> Option<(usize, Builtin)> {
    let index = id.checked_sub(BUILTIN_BASE)?;
    match index {
        IDENTITY_INDEX => Some((1, Builtin::Identity)),
        UNSUPPORTED_INDEX => Some((1, Builtin::Unsupported)),
        _ => BUILTINS.get(index as usize).map(|(_, a, b)| (*a, *b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_ids_round_trip() {
        for (name, arity, b) in BUILTINS {
            let Value::Function(f) = function_value(name, *b) else {
                panic!()
            };
            assert_eq!(from_id(f.id), Some((*arity, *b)), "{name}");
        }
        for b in [Builtin::Identity, Builtin::Unsupported] {
            let Value::Function(f) = function_value("x", b) else {
                panic!()
            };
            assert_eq!(from_id(f.id), Some((1, b)));
        }
        assert_eq!(from_id(3), None);
    }
}
