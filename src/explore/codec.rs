//! Packing state vectors into as few bits as their components need.
//!
//! A component that takes `n` values needs `ceil(log2 n)` bits; a whole state
//! is a fixed number of `u64` words. Packing is what keeps bytes per state
//! low (DESIGN.md §3.3).

use std::sync::Arc;

/// Packs and unpacks state vectors of one fixed shape. Clones share the
/// layout, which makes [`StateCodec::same_layout`] one comparison for them.
#[derive(Clone, Debug)]
pub struct StateCodec {
    /// Bit offset of each component.
    offsets: Arc<[u32]>,
    /// Bit width of each component.
    widths: Arc<[u32]>,
    /// Number of `u64` words per packed state (at least 1).
    words: usize,
}

impl StateCodec {
    /// A codec for components taking `sizes[i]` values each.
    pub fn new(sizes: &[u32]) -> StateCodec {
        let widths: Vec<u32> = sizes
            .iter()
            .map(|&n| {
                if n <= 1 {
                    0
                } else {
                    32 - (n - 1).leading_zeros()
                }
            })
            .collect();
        let mut offsets = Vec::with_capacity(widths.len());
        let mut bit = 0u32;
        for &w in &widths {
            offsets.push(bit);
            bit += w;
        }
        let words = (bit as usize).div_ceil(64).max(1);
        StateCodec {
            offsets: offsets.into(),
            widths: widths.into(),
            words,
        }
    }

    /// True when `other` packs states exactly as this codec does (at once
    /// for a clone).
    #[inline]
    pub fn same_layout(&self, other: &StateCodec) -> bool {
        Arc::ptr_eq(&self.widths, &other.widths) || self.widths == other.widths
    }

    /// Number of `u64` words per packed state.
    pub fn words(&self) -> usize {
        self.words
    }

    /// Number of components per state.
    pub fn width(&self) -> usize {
        self.widths.len()
    }

    /// Total number of bits used.
    pub fn bits(&self) -> u32 {
        self.widths.iter().sum()
    }

    /// Packs `state` into `out` (which must have `words()` words).
    #[inline]
    pub fn pack(&self, state: &[u32], out: &mut [u64]) {
        if self.words == 1 {
            out[0] = self.pack_word(state);
            return;
        }
        out.iter_mut().for_each(|w| *w = 0);
        for ((&v, &off), &w) in state
            .iter()
            .zip(self.offsets.iter())
            .zip(self.widths.iter())
        {
            if w == 0 {
                continue;
            }
            let v = v as u64;
            let word = (off / 64) as usize;
            let bit = off % 64;
            out[word] |= v << bit;
            if bit + w > 64 {
                out[word + 1] |= v >> (64 - bit);
            }
        }
    }

    /// Packs a state of at most 64 bits into one word.
    #[inline]
    pub fn pack_word(&self, state: &[u32]) -> u64 {
        state
            .iter()
            .zip(self.offsets.iter())
            .fold(0u64, |w, (&v, &off)| w | (v as u64).wrapping_shl(off))
    }

    /// Bit offset and width of component `i`.
    pub fn field(&self, i: usize) -> (u32, u32) {
        (self.offsets[i], self.widths[i])
    }

    /// Component `i` of a state packed in one word.
    #[inline(always)]
    pub fn component(&self, packed: u64, i: usize) -> u32 {
        (packed.wrapping_shr(self.offsets[i]) & ((1u64 << self.widths[i]) - 1)) as u32
    }

    /// `packed` (one word) with component `i` changed from `old` to `new`.
    #[inline(always)]
    pub fn replace_in_word(&self, packed: u64, i: usize, old: u32, new: u32) -> u64 {
        packed ^ ((old ^ new) as u64).wrapping_shl(self.offsets[i])
    }

    /// Unpacks `packed` into `out` (which must have `width()` entries).
    #[inline]
    pub fn unpack(&self, packed: &[u64], out: &mut [u32]) {
        if let [word] = packed {
            // One word: no component straddles a boundary (branch-free).
            for ((o, &off), &w) in out
                .iter_mut()
                .zip(self.offsets.iter())
                .zip(self.widths.iter())
            {
                *o = (word.wrapping_shr(off) & ((1u64 << w) - 1)) as u32;
            }
            return;
        }
        for ((o, &off), &w) in out
            .iter_mut()
            .zip(self.offsets.iter())
            .zip(self.widths.iter())
        {
            if w == 0 {
                *o = 0;
                continue;
            }
            let word = (off / 64) as usize;
            let bit = off % 64;
            let mut v = packed[word] >> bit;
            if bit + w > 64 {
                v |= packed[word + 1] << (64 - bit);
            }
            *o = (v & ((1u64 << w) - 1)) as u32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_follow_sizes() {
        let c = StateCodec::new(&[1, 2, 3, 4, 5, 7, 8, 9]);
        assert_eq!(*c.widths, [0, 1, 2, 2, 3, 3, 3, 4]);
        assert_eq!(c.bits(), 18);
        assert_eq!(c.words(), 1);
    }

    #[test]
    fn round_trips_across_word_boundaries() {
        // 13 components of 7 bits = 91 bits: straddles the first word.
        let sizes = vec![100u32; 13];
        let c = StateCodec::new(&sizes);
        assert_eq!(c.words(), 2);
        let state: Vec<u32> = (0..13).map(|i| (i * 7 + 3) % 100).collect();
        let mut packed = vec![0u64; 2];
        c.pack(&state, &mut packed);
        let mut back = vec![0u32; 13];
        c.unpack(&packed, &mut back);
        assert_eq!(back, state);
    }

    #[test]
    fn a_full_word_with_trailing_zero_width_components_round_trips() {
        // 64 bits exactly, then a one-value component at offset 64.
        let c = StateCodec::new(&[1 << 16, 1 << 16, 1 << 16, 1 << 16, 1]);
        assert_eq!(c.words(), 1);
        let state = [65_535, 1, 40_000, 65_534, 0];
        let word = c.pack_word(&state);
        let mut back = [9; 5];
        c.unpack(&[word], &mut back);
        assert_eq!(back, state);
        assert_eq!(
            c.replace_in_word(word, 2, 40_000, 7),
            c.pack_word(&[65_535, 1, 7, 65_534, 0])
        );
    }

    #[test]
    fn zero_width_components_unpack_to_zero() {
        let c = StateCodec::new(&[1, 1]);
        let mut packed = vec![0u64; 1];
        c.pack(&[0, 0], &mut packed);
        assert_eq!(packed, vec![0]);
        let mut back = vec![9, 9];
        c.unpack(&packed, &mut back);
        assert_eq!(back, vec![0, 0]);
    }
}
