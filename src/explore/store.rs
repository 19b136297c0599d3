//! The state store: packed states in BFS order, and a sharded open-addressing
//! hash index over them.
//!
//! States live in a segmented arena (no reallocation spikes), numbered in BFS
//! order. No parent links are kept: a path is rebuilt by searching the
//! previous BFS level for a predecessor (see `paths.rs`), which costs one
//! level scan per step of a counterexample and saves 4 bytes per state.
//!
//! The index is split into shards by the top bits of the hash so that one
//! task can own a shard while a level is inserted in parallel (no locks). It
//! comes in two forms:
//! - **direct**, when a packed state fits in 63 bits: the table holds the
//!   packed states themselves (`state + 1`, 0 = empty), so a probe touches
//!   only the table, never the arena;
//! - **indirect**, for wider states: the table holds 32-bit state numbers
//!   (`id + 1`) and compares against the arena.

/// Number of index shards (a power of two).
pub const SHARDS: usize = 64;
const SHARD_BITS: u32 = SHARDS.trailing_zeros();
const SEGMENT_STATES: usize = 1 << 16;
/// Marks an indirect entry that refers to a state inserted during the current level.
pub(crate) const PROVISIONAL: u32 = 1 << 31;
/// The largest number of states the store can hold.
pub const MAX_STATES: u64 = (PROVISIONAL - 2) as u64;

/// Hashes a packed state.
#[inline]
pub fn hash_words(words: &[u64]) -> u64 {
    let mut h = 0x243F_6A88_85A3_08D3u64;
    for &w in words {
        h = (h ^ w).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        h ^= h >> 29;
    }
    h = h.wrapping_mul(0xD6E8_FEB8_6659_FD93);
    h ^ (h >> 32)
}

/// Hashes a packed state of one word (equal to `hash_words(&[word])`).
#[inline(always)]
pub fn hash_word(word: u64) -> u64 {
    hash_words(std::slice::from_ref(&word))
}

/// Which shard a hash belongs to.
#[inline]
pub fn shard_of(hash: u64) -> usize {
    (hash >> (64 - SHARD_BITS)) as usize
}

/// Hints the processor to fetch `slot` into cache.
#[inline(always)]
pub(crate) fn prefetch<T>(slot: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching is a hint; any address is allowed.
    unsafe {
        std::arch::x86_64::_mm_prefetch(
            slot as *const T as *const i8,
            std::arch::x86_64::_MM_HINT_T0,
        );
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = slot;
}

/// `n` copies of `value`, written rather than allocated zeroed. A zeroed
/// allocation maps the shared zero page, and a table that is read before it
/// is written (a probe, a filter check) then takes a second fault on the
/// first write, whose copy-on-write flushes the TLB of every core running
/// the search: with two threads that cost more than the rest of the growth.
pub(crate) fn filled<E: Copy>(n: usize, value: E) -> Vec<E> {
    let mut v = Vec::with_capacity(n);
    v.resize(n, value);
    v
}

/// Packed states numbered in BFS order.
pub struct StateStore {
    words: usize,
    segments: Vec<Vec<u64>>,
    len: usize,
}

impl StateStore {
    /// An empty store for states of `words` words.
    pub fn new(words: usize) -> StateStore {
        StateStore {
            words,
            segments: Vec::new(),
            len: 0,
        }
    }

    /// Number of states stored.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no state is stored.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends the states packed one after another in `packed`.
    pub fn extend(&mut self, mut packed: &[u64]) {
        while !packed.is_empty() {
            if self.len % SEGMENT_STATES == 0 {
                self.segments
                    .push(Vec::with_capacity(SEGMENT_STATES * self.words));
            }
            let room = SEGMENT_STATES - self.len % SEGMENT_STATES;
            let n = room.min(packed.len() / self.words);
            let (now, rest) = packed.split_at(n * self.words);
            self.segments[self.len / SEGMENT_STATES].extend_from_slice(now);
            self.len += n;
            packed = rest;
        }
    }

    /// The packed words of state `id`.
    #[inline]
    pub fn get(&self, id: u32) -> &[u64] {
        let id = id as usize;
        let off = (id % SEGMENT_STATES) * self.words;
        &self.segments[id / SEGMENT_STATES][off..off + self.words]
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.segments
            .iter()
            .map(|s| s.capacity() * 8)
            .sum::<usize>()
    }
}

/// What a probe found.
pub enum Probe<E> {
    /// The state is there: its slot and entry.
    Found(usize, E),
    /// Not present; this slot is where it would go.
    Vacant(usize),
}

/// One shard of the index: linear probing over entries where 0 means empty.
/// The table may have any size (grown by half at 3/4 load).
pub struct Shard<E> {
    slots: Vec<E>,
    len: usize,
}

impl<E: Copy + Default + PartialEq> Default for Shard<E> {
    fn default() -> Self {
        Shard {
            slots: vec![E::default(); 16],
            len: 0,
        }
    }
}

impl<E: Copy + Default + PartialEq> Shard<E> {
    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<E>()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Number of slots.
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first slot a probe for `hash` reads. The top bits chose the shard,
    /// so the rest is mapped onto the table (any size, no power of two needed).
    #[inline(always)]
    fn home(&self, hash: u64) -> usize {
        (((hash << SHARD_BITS) as u128 * self.slots.len() as u128) >> 64) as usize
    }

    /// Prefetches the first slot a probe for `hash` reads.
    #[inline(always)]
    pub fn prefetch(&self, hash: u64) {
        prefetch(&self.slots[self.home(hash)]);
    }

    /// Looks for an entry with hash `hash` for which `same(entry)` holds.
    #[inline]
    pub fn probe(&self, hash: u64, mut same: impl FnMut(E) -> bool) -> Probe<E> {
        let len = self.slots.len();
        let mut i = self.home(hash);
        loop {
            let e = self.slots[i];
            if e == E::default() {
                return Probe::Vacant(i);
            }
            if same(e) {
                return Probe::Found(i, e);
            }
            i += 1;
            if i == len {
                i = 0;
            }
        }
    }

    /// Writes `entry` at a slot returned by `probe`.
    #[inline]
    pub fn fill(&mut self, slot: usize, entry: E) {
        self.slots[slot] = entry;
        self.len += 1;
    }

    /// Overwrites the entry at `slot`.
    #[inline]
    pub fn set(&mut self, slot: usize, entry: E) {
        self.slots[slot] = entry;
    }

    /// True if one more entry would exceed the load factor (3/4).
    #[inline]
    pub fn needs_growth(&self) -> bool {
        (self.len + 1) * 4 > self.slots.len() * 3
    }

    /// Grows the table by half (load 3/4 becomes 1/2: the load stays between
    /// 1/2 and 3/4, which keeps bytes per state low); `hash_of(entry)`
    /// recomputes an entry's hash, and `moved(entry, slot)` is told where
    /// every entry went.
    pub fn grow(&mut self, hash_of: impl Fn(E) -> u64, mut moved: impl FnMut(E, usize)) {
        let new_len = self.slots.len() + self.slots.len() / 2;
        let old = std::mem::replace(&mut self.slots, filled(new_len, E::default()));
        for e in old.into_iter().filter(|&e| e != E::default()) {
            let mut i = self.home(hash_of(e));
            while self.slots[i] != E::default() {
                i += 1;
                if i == new_len {
                    i = 0;
                }
            }
            self.slots[i] = e;
            moved(e, i);
        }
    }
}

impl Shard<u64> {
    /// Direct index: inserts one-word state `word` with hash `h` unless
    /// present; true if it was new.
    #[inline]
    pub fn insert_word(&mut self, h: u64, word: u64) -> bool {
        let entry = word + 1;
        let Probe::Vacant(mut slot) = self.probe(h, |e| e == entry) else {
            return false;
        };
        if self.needs_growth() {
            self.grow(|e| hash_word(e - 1), |_, _| {});
            if let Probe::Vacant(v) = self.probe(h, |_| false) {
                slot = v;
            }
        }
        self.fill(slot, entry);
        true
    }
}

/// The hash index over all stored states.
pub enum Index {
    /// Entries are `packed state + 1` (states of at most 63 bits).
    Direct(Vec<Shard<u64>>),
    /// Entries are `id + 1`, or `PROVISIONAL | i` during a level.
    Indirect(Vec<Shard<u32>>),
}

impl Index {
    /// An empty index for states of `bits` bits.
    pub fn new(bits: u32) -> Index {
        if bits <= 63 {
            Index::Direct((0..SHARDS).map(|_| Shard::default()).collect())
        } else {
            Index::Indirect((0..SHARDS).map(|_| Shard::default()).collect())
        }
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        match self {
            Index::Direct(s) => s.iter().map(Shard::bytes).sum(),
            Index::Indirect(s) => s.iter().map(Shard::bytes).sum(),
        }
    }

    /// Records `packed`, stored as state `id` (the initial state).
    pub fn insert_initial(&mut self, packed: &[u64], id: u32) {
        let h = hash_words(packed);
        match self {
            Index::Direct(s) => {
                let shard = &mut s[shard_of(h)];
                if let Probe::Vacant(slot) = shard.probe(h, |_| false) {
                    shard.fill(slot, packed[0] + 1);
                }
            }
            Index::Indirect(s) => {
                let shard = &mut s[shard_of(h)];
                if let Probe::Vacant(slot) = shard.probe(h, |_| false) {
                    shard.fill(slot, id + 1);
                }
            }
        }
    }

    /// Whether `packed` was stored (all entries final).
    pub fn contains(&self, packed: &[u64], store: &StateStore) -> bool {
        let h = hash_words(packed);
        match self {
            Index::Direct(s) => matches!(
                s[shard_of(h)].probe(h, |e| e == packed[0] + 1),
                Probe::Found(..)
            ),
            Index::Indirect(s) => matches!(
                s[shard_of(h)].probe(h, |e| store.get(e - 1) == packed),
                Probe::Found(..)
            ),
        }
    }
}
