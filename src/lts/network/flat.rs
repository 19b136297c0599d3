//! The packed-word successor function: per driving leaf and local state, its
//! moves flattened into one range (delta, rule result, partners), so that a
//! successor of a one-word state is the parent word with the moved leaves'
//! bits changed, one range lookup per leaf.
//!
//! A successor names the move that made it (its index in
//! [`FlatMoves::moves`]); expanding that successor later, the moves of
//! lower driving leaves that share no leaf with it are counted, not
//! generated (diamond pruning, see
//! [`TransitionSystem::for_each_packed_successor`]): the driving leaves'
//! order is the order on independent transitions.

use super::{Network, Part, NO_COLUMN};
use crate::explore::codec::StateCodec;
use crate::explore::system::{Pruned, NO_VIA};
use crate::explore::TICK;

/// A move of a driving leaf from one of its states, with the rule it
/// drives: the packed-word successor function reads these (see
/// [`FlatMoves`]).
#[derive(Clone, Copy, Debug)]
struct FlatMove {
    /// The leaf's state XOR its target, shifted to the leaf's bits: the
    /// packed word changes by this.
    delta: u64,
    /// Every leaf the move moves, as a mask (0 when the network cannot
    /// prune): pruning tests it against the via's.
    leaves: u64,
    result: u32,
    /// What else takes part: [`SEVERAL`], [`LOOKUP`] (no partner, or one
    /// whose moves are in `lookup`), or the one partner leaf (the rule's
    /// only other part, which has a column).
    partner: u32,
    /// The one partner's column in `Network::columns`; for [`SEVERAL`], the
    /// rule's index in `Network::hot`.
    column: u32,
    /// The one partner's bits.
    bits: Bits,
    /// [`LOOKUP`]: per state of the partner, 0 if it cannot take part,
    /// else `0x80 | (state ^ target)`.
    lookup: [u8; LOOKUP_STATES],
}

impl FlatMove {
    /// [`LOOKUP`]: the entry of `lookup` for the partner's state in `packed`.
    #[inline(always)]
    fn partner_part(&self, packed: u64) -> u8 {
        self.lookup[self.bits.read(packed) as usize % LOOKUP_STATES]
    }
}

/// A leaf's bits in the packed word: `offset | width << 8`.
#[derive(Clone, Copy, Debug, Default)]
struct Bits(u32);

impl Bits {
    /// Component `i`'s bits under `codec`.
    fn of(codec: &StateCodec, i: usize) -> Bits {
        let (offset, width) = codec.field(i);
        Bits(offset | width << 8)
    }

    #[inline(always)]
    fn offset(self) -> u32 {
        self.0 & 0xff
    }

    #[inline(always)]
    fn width(self) -> u32 {
        self.0 >> 8
    }

    /// The leaf's state in `word`.
    #[inline(always)]
    fn read(self, word: u64) -> u32 {
        (word.wrapping_shr(self.offset()) & ((1u64 << (self.0 >> 8)) - 1)) as u32
    }
}

/// A driving leaf: where its states' entries start in
/// [`FlatMoves::ranges`], and its bits.
#[derive(Clone, Copy, Debug)]
struct FlatDriver {
    first: u32,
    bits: Bits,
}

/// What pruning needs of the move a state was first reached by: its driving
/// leaf's rank in [`FlatMoves::drivers`] and the mask of every leaf it moves.
#[derive(Clone, Copy, Debug, Default)]
struct Via {
    rank: u32,
    leaves: u64,
}

/// [`FlatMove::partner`] of a move with several partners, or one without a
/// column.
const SEVERAL: u32 = u32::MAX - 1;
/// [`FlatMove::partner`] of a move whose one partner has a [`LOOKUP_STATES`]
/// table: at most that many states and at most one target from each, so
/// the move reads its partner's part from the move itself. A move no other
/// leaf takes part in is one too ([`ALONE_TABLE`], no bits): one kind of move
/// for the common cases, so the hot loop does not branch between them.
const LOOKUP: u32 = u32::MAX - 2;
/// States a partner may have for a [`LOOKUP`] table (its bits: 4).
const LOOKUP_STATES: usize = 16;
/// The [`LOOKUP`] table of a move without partners: its "partner" (no bits,
/// always read as state 0) takes part and does not change.
const ALONE_TABLE: [u8; LOOKUP_STATES] = [0x80; LOOKUP_STATES];

/// Per driving leaf and local state, its moves in successor order (event,
/// then rule, then target), so a leaf costs one range lookup instead of the
/// chain groups -> drivers -> rules -> transitions.
#[derive(Clone, Debug)]
pub(super) struct FlatMoves {
    /// The codec the deltas and offsets are laid out for.
    pub(super) codec: StateCodec,
    /// The driving leaves in order.
    drivers: Vec<FlatDriver>,
    /// A driver in state `s` has `moves[ranges[first + s]..ranges[first + s + 1]]`.
    ranges: Vec<u32>,
    moves: Vec<FlatMove>,
    /// Per move, its driving leaf's rank in `drivers`, for pruning; empty
    /// when the network cannot prune (more than 64 leaves, or it can
    /// terminate).
    ranks: Vec<u32>,
}

impl FlatMoves {
    /// The moves of driver `d` in the state packed as `packed`, with their
    /// indices.
    #[inline(always)]
    fn moves_of(&self, d: &FlatDriver, packed: u64) -> impl Iterator<Item = (u32, &FlatMove)> {
        let at = (d.first + d.bits.read(packed)) as usize;
        let (lo, hi) = (self.ranges[at], self.ranges[at + 1]);
        (lo..).zip(&self.moves[lo as usize..hi as usize])
    }

    /// The move `via` as pruning reads it; rank 0 (nothing pruned) for
    /// [`NO_VIA`] or a network that cannot prune.
    #[inline(always)]
    fn via(&self, via: u32) -> Via {
        match (self.ranks.get(via as usize), self.moves.get(via as usize)) {
            (Some(&rank), Some(m)) => Via {
                rank,
                leaves: m.leaves,
            },
            _ => Via::default(),
        }
    }
}

/// Most flattened moves (48 bytes each); a network with more uses the
/// general successor function for packed states too.
const MAX_FLAT_MOVES: usize = 1 << 23;

/// The moves of the network's driving leaves, flattened: per leaf and
/// state, per event offered, per rule the leaf drives on it, per target;
/// laid out for states packed by `codec`. `None` past [`MAX_FLAT_MOVES`].
pub(super) fn flatten_moves(net: &Network, codec: StateCodec) -> Option<FlatMoves> {
    let mut flat = FlatMoves {
        codec,
        drivers: Vec::new(),
        ranges: Vec::new(),
        moves: Vec::new(),
        ranks: Vec::new(),
    };
    let prunes = net.leaves.len() <= 64 && net.final_state.is_none();
    for (rank, &i) in net.driving.iter().enumerate() {
        let lts = &net.leaves[i as usize];
        let bits = Bits::of(&flat.codec, i as usize);
        flat.drivers.push(FlatDriver {
            first: u32::try_from(flat.ranges.len()).ok()?,
            bits,
        });
        for s in 0..lts.num_states {
            flat.ranges.push(flat.moves.len() as u32);
            for g in lts.groups_of(s) {
                let (lo, hi) = net.drivers[i as usize][g.local as usize];
                for rule in lo..hi {
                    let r = &net.hot[rule as usize];
                    let mut lookup = [0u8; LOOKUP_STATES];
                    let (partner, column, partner_bits) =
                        match &net.others[r.others_start as usize..r.others_end as usize] {
                            [] => {
                                lookup = ALONE_TABLE;
                                (LOOKUP, 0, Bits::default())
                            }
                            [p] if p.column != NO_COLUMN => {
                                let bits = Bits::of(&flat.codec, p.leaf as usize);
                                match lookup_table(net, p, bits) {
                                    Some(table) => {
                                        lookup = table;
                                        (LOOKUP, p.column, bits)
                                    }
                                    None => (p.leaf, p.column, bits),
                                }
                            }
                            _ => (SEVERAL, rule, Bits::default()),
                        };
                    let parts = &net.others[r.others_start as usize..r.others_end as usize];
                    let leaves = parts
                        .iter()
                        .fold(1u64.wrapping_shl(i), |m, p| m | 1u64.wrapping_shl(p.leaf));
                    for &(_, t) in &lts.transitions[g.start as usize..g.end as usize] {
                        if prunes {
                            flat.ranks.push(rank as u32);
                        }
                        flat.moves.push(FlatMove {
                            delta: u64::from(s ^ t).wrapping_shl(bits.offset()),
                            leaves: if prunes { leaves } else { 0 },
                            result: r.result,
                            partner,
                            column,
                            bits: partner_bits,
                            lookup,
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

/// The [`LOOKUP`] table of a one-partner move whose partner is `p` (with
/// `bits`), if the partner is small enough and deterministic on the event.
fn lookup_table(net: &Network, p: &Part, bits: Bits) -> Option<[u8; LOOKUP_STATES]> {
    if bits.width() > LOOKUP_STATES.trailing_zeros() {
        return None;
    }
    let mut table = [0u8; LOOKUP_STATES];
    let states = net.leaves[p.leaf as usize]
        .num_states
        .min(LOOKUP_STATES as u32);
    for sj in 0..states {
        let (start, end) = net.columns[(p.column + sj) as usize];
        match net.targets[start as usize..end as usize] {
            [] => {}
            [u] if sj ^ u < 0x80 => table[sj as usize] = 0x80 | (sj ^ u) as u8,
            _ => return None,
        }
    }
    Some(table)
}

impl Network {
    /// Calls `f(event, successor, via)` for each successor of the state
    /// `flat.codec` packs as `packed`, each successor packed likewise: its
    /// word is `packed` with only the moved leaves' bits changed, read from
    /// the word without unpacking it (`scratch`, of `width()` components, is
    /// needed only by a network that can terminate); `via` is the move's
    /// index. Same successors in the same order as [`Network::expand`],
    /// except those pruned because `packed` was first reached by the move
    /// `via` (returned, counted).
    #[inline]
    pub(super) fn expand_word<F: FnMut(u32, u64, u32)>(
        &self,
        flat: &FlatMoves,
        packed: u64,
        via: u32,
        scratch: &mut [u32],
        f: &mut F,
    ) -> Pruned {
        let codec = &flat.codec;
        let mut pruned = Pruned::default();
        if self
            .final_state
            .is_some_and(|fin| codec.component(packed, 0) == fin)
        {
            return pruned;
        }
        let by = flat.via(via);
        let (lower, rest) = flat.drivers.split_at(by.rank as usize);
        // Drivers below `by`'s (none unless the network prunes, so their
        // moves carry their leaves): a move sharing no leaf with `by` is
        // counted, not generated; several-partner moves are always generated.
        for d in lower {
            for (tag, m) in flat.moves_of(d, packed) {
                let shares = m.leaves & by.leaves != 0;
                if shares || m.partner == SEVERAL {
                    self.emit_moves(std::iter::once((tag, m)), packed, codec, f);
                    continue;
                }
                let n = match m.partner {
                    LOOKUP => u32::from(m.partner_part(packed) >> 7),
                    _ => self.partner_word(m, packed).1.len() as u32,
                };
                pruned.add(m.result, n);
            }
        }
        for d in rest {
            self.emit_moves(flat.moves_of(d, packed), packed, codec, f);
        }
        if self.final_state.is_some() {
            codec.unpack(&[packed], scratch);
            if let Some(fin) = self.final_tick(scratch) {
                f(
                    TICK,
                    codec.replace_in_word(packed, 0, scratch[0], fin),
                    NO_VIA,
                );
            }
        }
        pruned
    }

    /// Calls `f(event, successor, tag)` for each transition of `moves`
    /// (tagged) from `packed`.
    #[inline(always)]
    fn emit_moves<'m, F: FnMut(u32, u64, u32)>(
        &self,
        moves: impl Iterator<Item = (u32, &'m FlatMove)>,
        packed: u64,
        codec: &StateCodec,
        f: &mut F,
    ) {
        for (tag, m) in moves {
            let word = packed ^ m.delta;
            match m.partner {
                LOOKUP => {
                    let x = m.partner_part(packed);
                    if x != 0 {
                        f(
                            m.result,
                            word ^ u64::from(x & 0x7f).wrapping_shl(m.bits.offset()),
                            tag,
                        );
                    }
                }
                SEVERAL => {
                    let r = &self.hot[m.column as usize];
                    let others = &self.others[r.others_start as usize..r.others_end as usize];
                    let mut g = |e, w| f(e, w, tag);
                    self.product_word(others, packed, word, codec, m.result, &mut g)
                }
                // The common case of `product_word`, without its
                // recursion, the partner's column and bits read directly.
                _ => {
                    let (sj, partner) = self.partner_word(m, packed);
                    for &u in partner {
                        f(
                            m.result,
                            word ^ u64::from(sj ^ u).wrapping_shl(m.bits.offset()),
                            tag,
                        );
                    }
                }
            }
        }
    }

    /// A one-partner move's partner: its state in `packed` and its targets
    /// on the move's event from there.
    #[inline(always)]
    fn partner_word(&self, m: &FlatMove, packed: u64) -> (u32, &[u32]) {
        let sj = m.bits.read(packed);
        let (start, end) = self.columns[(m.column + sj) as usize];
        (sj, &self.targets[start as usize..end as usize])
    }

    /// Emits every combination of the transitions of `parts` (partners of
    /// one rule) from `word`, as [`Network::product`] does for vectors;
    /// the partners' states are read from `parent`.
    fn product_word<F: FnMut(u32, u64)>(
        &self,
        parts: &[Part],
        parent: u64,
        word: u64,
        codec: &StateCodec,
        result: u32,
        f: &mut F,
    ) {
        let Some((p, rest)) = parts.split_first() else {
            f(result, word);
            return;
        };
        let (j, sj) = (p.leaf as usize, codec.component(parent, p.leaf as usize));
        let (start, end) = self.partner(p, sj);
        for &u in &self.targets[start as usize..end as usize] {
            let next = codec.replace_in_word(word, j, sj, u);
            self.product_word(rest, parent, next, codec, result, f);
        }
    }
}
