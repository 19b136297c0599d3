//! Interned events: every concrete event becomes a small integer.
//!
//! The search never touches [`Value`]s: events are `u32` ids, with 0 = τ and
//! 1 = ✓ reserved, and sets of events are bitsets over ids. The table turns
//! ids back into CSPM notation when a counterexample or graph is printed.

use super::semantics::Label;
use crate::eval::Value;
use crate::explore::{TAU, TICK};
use rustc_hash::FxHashMap;
use std::collections::BTreeSet;

/// The table of interned events of one compiled model.
#[derive(Clone, Debug, Default)]
pub struct EventTable {
    /// Visible events; the event with id `i` is `values[i - 2]`.
    values: Vec<Value>,
    index: FxHashMap<Value, u32>,
}

impl EventTable {
    /// An empty table (only τ and ✓).
    pub fn new() -> EventTable {
        EventTable::default()
    }

    /// The id of a visible event, interning it if new.
    pub fn intern(&mut self, event: &Value) -> u32 {
        if let Some(&id) = self.index.get(event) {
            return id;
        }
        let id = self.values.len() as u32 + 2;
        self.values.push(event.clone());
        self.index.insert(event.clone(), id);
        id
    }

    /// The id of a label (τ, ✓ or a visible event), interning it if new.
    pub fn intern_label(&mut self, label: &Label) -> u32 {
        match label {
            Label::Tau => TAU,
            Label::Tick => TICK,
            Label::Event(v) => self.intern(v),
        }
    }

    /// The id of a visible event, if it has been interned.
    pub fn get(&self, event: &Value) -> Option<u32> {
        self.index.get(event).copied()
    }

    /// The visible event with this id (`None` for τ, ✓ and unknown ids).
    pub fn value(&self, id: u32) -> Option<&Value> {
        id.checked_sub(2).and_then(|i| self.values.get(i as usize))
    }

    /// The label with this id (an unknown id reads as τ; ids come from this table).
    pub fn label(&self, id: u32) -> Label {
        match id {
            TAU => Label::Tau,
            TICK => Label::Tick,
            _ => self
                .value(id)
                .map_or(Label::Tau, |v| Label::Event(v.clone())),
        }
    }

    /// The event in CSPM notation: `picks.2.3`, `τ`, `✓`.
    pub fn name(&self, id: u32) -> String {
        match id {
            TAU => "τ".to_string(),
            TICK => "✓".to_string(),
            _ => self
                .value(id)
                .map_or_else(|| format!("<event {id}>"), |v| v.to_string()),
        }
    }

    /// Number of ids in use, including τ and ✓.
    pub fn len(&self) -> usize {
        self.values.len() + 2
    }

    /// True if no visible event has been interned.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The ids of the members of `set` that are interned (others cannot occur
    /// in anything compiled with this table so far).
    pub fn bits_of(&self, set: &BTreeSet<Value>) -> EventBits {
        let mut bits = EventBits::with_capacity(self.len());
        for v in set {
            if let Some(id) = self.get(v) {
                bits.insert(id);
            }
        }
        bits
    }
}

/// A set of event ids as a bitset.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct EventBits {
    words: Vec<u64>,
}

impl EventBits {
    /// An empty set.
    pub fn new() -> EventBits {
        EventBits::default()
    }

    /// An empty set with room for ids below `n`.
    pub fn with_capacity(n: usize) -> EventBits {
        EventBits {
            words: vec![0; n.div_ceil(64)],
        }
    }

    /// Adds `id`.
    pub fn insert(&mut self, id: u32) {
        let w = (id / 64) as usize;
        if w >= self.words.len() {
            self.words.resize(w + 1, 0);
        }
        self.words[w] |= 1 << (id % 64);
    }

    /// True if `id` is a member.
    pub fn contains(&self, id: u32) -> bool {
        self.words
            .get((id / 64) as usize)
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// True if there are no members.
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    /// The members in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &w)| {
            (0..64u32)
                .filter(move |b| w & (1 << b) != 0)
                .map(move |b| i as u32 * 64 + b)
        })
    }
}

impl FromIterator<u32> for EventBits {
    fn from_iter<I: IntoIterator<Item = u32>>(iter: I) -> EventBits {
        let mut bits = EventBits::new();
        for id in iter {
            bits.insert(id);
        }
        bits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_reserves_tau_and_tick() {
        let mut t = EventTable::new();
        let a = t.intern(&Value::Int(7));
        let b = t.intern(&Value::Int(8));
        assert_eq!((a, b, t.intern(&Value::Int(7))), (2, 3, 2));
        assert_eq!(t.name(TAU), "τ");
        assert_eq!(t.name(TICK), "✓");
        assert_eq!(t.name(3), "8");
        assert_eq!(t.label(2), Label::Event(Value::Int(7)));
        assert_eq!(t.len(), 4);
    }

    #[test]
    fn bitsets() {
        let bits: EventBits = [0, 5, 64, 130].into_iter().collect();
        assert!(bits.contains(64) && bits.contains(0) && !bits.contains(1) && !bits.contains(500));
        assert_eq!(bits.iter().collect::<Vec<_>>(), vec![0, 5, 64, 130]);
        assert_eq!(bits.len(), 4);
    }
}
