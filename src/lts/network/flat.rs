//! The packed-word successor function: per driving leaf and local state, its
//! moves flattened into one range (delta, rule result, partners), so that a
//! successor of a one-word state is the parent word with the moved leaves'
//! bits changed, one range lookup per leaf.

use super::{HotRule, Network, Part};
use crate::explore::codec::StateCodec;
use crate::explore::TICK;
use crate::lts::leaf::LeafLts;
use std::sync::Arc;

/// A move of a driving leaf from one of its states, with the rule it
/// drives: the packed-word successor function reads these (see
/// [`FlatMoves`]).
#[derive(Clone, Copy, Debug)]
struct FlatMove {
    /// The leaf's state XOR its target: the packed word changes by this,
    /// shifted to the leaf's bits.
    delta: u32,
    result: u32,
    others_start: u32,
    others_end: u32,
}

/// Per driving leaf and local state, its moves in successor order (event,
/// then rule, then target), so a leaf costs one range lookup instead of the
/// chain groups -> drivers -> rules -> transitions.
#[derive(Clone, Debug)]
pub(super) struct FlatMoves {
    /// Per leaf: where its states' entries start in `ranges`.
    first: Vec<u32>,
    /// Leaf `i`'s state `s` has `moves[ranges[first[i] + s]..ranges[first[i] + s + 1]]`.
    ranges: Vec<u32>,
    moves: Vec<FlatMove>,
}

/// Most flattened moves (16 bytes each); a network with more uses the
/// general successor function for packed states too.
const MAX_FLAT_MOVES: usize = 1 << 24;

/// The moves of the `driving` leaves, flattened: per leaf and state, per
/// event offered, per rule the leaf drives on it, per target. `None` past
/// [`MAX_FLAT_MOVES`].
pub(super) fn flatten_moves(
    leaves: &[Arc<LeafLts>],
    drivers: &[Vec<(u32, u32)>],
    hot: &[HotRule],
    driving: &[u32],
) -> Option<FlatMoves> {
    let mut flat = FlatMoves {
        first: vec![u32::MAX; leaves.len()],
        ranges: Vec::new(),
        moves: Vec::new(),
    };
    for &i in driving {
        let lts = &leaves[i as usize];
        flat.first[i as usize] = u32::try_from(flat.ranges.len()).ok()?;
        for s in 0..lts.num_states {
            flat.ranges.push(flat.moves.len() as u32);
            for g in lts.groups_of(s) {
                let (lo, hi) = drivers[i as usize][g.local as usize];
                for r in &hot[lo as usize..hi as usize] {
                    for &(_, t) in &lts.transitions[g.start as usize..g.end as usize] {
                        flat.moves.push(FlatMove {
                            delta: s ^ t,
                            result: r.result,
                            others_start: r.others_start,
                            others_end: r.others_end,
                        });
                    }
                }
                if flat.moves.len() > MAX_FLAT_MOVES {
                    return None;
                }
            }
        }
        flat.ranges.push(flat.moves.len() as u32);
    }
    Some(flat)
}

impl Network {
    /// Calls `f(event, successor)` for each successor of `state`, packed in
    /// one word by `codec` as `packed`: each successor's word is `packed`
    /// with only the moved leaves' bits changed. Same successors in the same
    /// order as [`Network::expand`].
    #[inline]
    pub(super) fn expand_word<F: FnMut(u32, u64)>(
        &self,
        flat: &FlatMoves,
        state: &[u32],
        packed: u64,
        codec: &StateCodec,
        f: &mut F,
    ) {
        if self.is_final(state) {
            return;
        }
        for &i in &self.driving {
            let i = i as usize;
            let at = (flat.first[i] + state[i]) as usize;
            let (lo, hi) = (flat.ranges[at] as usize, flat.ranges[at + 1] as usize);
            for m in &flat.moves[lo..hi] {
                let word = codec.replace_in_word(packed, i, m.delta, 0);
                match &self.others[m.others_start as usize..m.others_end as usize] {
                    [] => f(m.result, word),
                    // The common case of `product_word`, without its recursion.
                    [p] => {
                        let (j, sj) = (p.leaf as usize, state[p.leaf as usize]);
                        let (start, end) = self.partner(p, sj);
                        for &u in &self.targets[start as usize..end as usize] {
                            f(m.result, codec.replace_in_word(word, j, sj, u));
                        }
                    }
                    others => self.product_word(others, state, word, codec, m.result, f),
                }
            }
        }
        if let Some(fin) = self.final_tick(state) {
            f(TICK, codec.replace_in_word(packed, 0, state[0], fin));
        }
    }

    /// Emits every combination of the transitions of `parts` (partners of
    /// one rule) from `word`, as [`Network::product`] does for vectors.
    fn product_word<F: FnMut(u32, u64)>(
        &self,
        parts: &[Part],
        state: &[u32],
        word: u64,
        codec: &StateCodec,
        result: u32,
        f: &mut F,
    ) {
        let Some((p, rest)) = parts.split_first() else {
            f(result, word);
            return;
        };
        let (j, sj) = (p.leaf as usize, state[p.leaf as usize]);
        let (start, end) = self.partner(p, sj);
        for &u in &self.targets[start as usize..end as usize] {
            let next = codec.replace_in_word(word, j, sj, u);
            self.product_word(rest, state, next, codec, result, f);
        }
    }
}
