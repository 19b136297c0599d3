//! The state store: packed states in BFS order, parent links, and a sharded
//! open-addressing hash index of state numbers.
//!
//! States live in a segmented arena (no reallocation spikes) numbered in BFS
//! order; the hash index holds only 32-bit numbers, so a state costs its
//! packed width, a 4-byte parent link and about 6 bytes of table. The index
//! is split into shards by the top bits of the hash so that one task can own
//! a shard while a level is inserted in parallel (no locks).

/// Number of index shards (a power of two).
pub const SHARDS: usize = 64;
const SHARD_BITS: u32 = SHARDS.trailing_zeros();
const SEGMENT_STATES: usize = 1 << 16;
/// Marks a table entry that refers to a state inserted during the current level.
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

/// Which shard a hash belongs to.
#[inline]
pub fn shard_of(hash: u64) -> usize {
    (hash >> (64 - SHARD_BITS)) as usize
}

/// Packed states and parent links, numbered in BFS order.
pub struct StateStore {
    words: usize,
    segments: Vec<Vec<u64>>,
    parents: Vec<Vec<u32>>,
    len: usize,
}

impl StateStore {
    /// An empty store for states of `words` words.
    pub fn new(words: usize) -> StateStore {
        StateStore {
            words,
            segments: Vec::new(),
            parents: Vec::new(),
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

    /// Words per packed state.
    pub fn words(&self) -> usize {
        self.words
    }

    /// Appends a state with its parent (`u32::MAX` for the initial state).
    pub fn push(&mut self, packed: &[u64], parent: u32) {
        if self.len % SEGMENT_STATES == 0 {
            self.segments
                .push(Vec::with_capacity(SEGMENT_STATES * self.words));
            self.parents.push(Vec::with_capacity(SEGMENT_STATES));
        }
        let seg = self.len / SEGMENT_STATES;
        self.segments[seg].extend_from_slice(packed);
        self.parents[seg].push(parent);
        self.len += 1;
    }

    /// The packed words of state `id`.
    #[inline]
    pub fn get(&self, id: u32) -> &[u64] {
        let id = id as usize;
        let off = (id % SEGMENT_STATES) * self.words;
        &self.segments[id / SEGMENT_STATES][off..off + self.words]
    }

    /// The parent of state `id` (`u32::MAX` for the initial state).
    #[inline]
    pub fn parent(&self, id: u32) -> u32 {
        let id = id as usize;
        self.parents[id / SEGMENT_STATES][id % SEGMENT_STATES]
    }

    /// Bytes held by the arena and the parent links.
    pub fn bytes(&self) -> usize {
        self.segments.iter().map(|s| s.capacity() * 8).sum::<usize>()
            + self.parents.iter().map(|p| p.capacity() * 4).sum::<usize>()
    }
}

/// One shard of the hash index: linear probing over `u32` entries,
/// 0 = empty, `id + 1` = a stored state, `PROVISIONAL | i` = the `i`-th state
/// this shard inserted during the current level.
pub struct IndexShard {
    slots: Vec<u32>,
    len: usize,
}

impl Default for IndexShard {
    fn default() -> Self {
        IndexShard {
            slots: vec![0; 16],
            len: 0,
        }
    }
}

/// What a probe found.
pub enum Probe {
    /// The state is stored at this slot with this entry value (id + 1 or provisional).
    Found(usize, u32),
    /// Not present; this slot is where it would go.
    Vacant(usize),
}

impl IndexShard {
    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.slots.capacity() * 4
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Looks for a state with hash `hash`; `same(entry)` says whether an
    /// entry holds the state sought.
    #[inline]
    pub fn probe(&self, hash: u64, mut same: impl FnMut(u32) -> bool) -> Probe {
        let mask = self.slots.len() - 1;
        let mut i = (hash as usize) & mask;
        loop {
            let e = self.slots[i];
            if e == 0 {
                return Probe::Vacant(i);
            }
            if same(e) {
                return Probe::Found(i, e);
            }
            i = (i + 1) & mask;
        }
    }

    /// Writes `entry` at a slot returned by `probe`.
    #[inline]
    pub fn fill(&mut self, slot: usize, entry: u32) {
        self.slots[slot] = entry;
        self.len += 1;
    }

    /// Overwrites the entry at `slot` (used to turn provisional entries final).
    #[inline]
    pub fn set(&mut self, slot: usize, entry: u32) {
        self.slots[slot] = entry;
    }

    /// True if one more entry would exceed the load factor (3/4).
    #[inline]
    pub fn needs_growth(&self) -> bool {
        (self.len + 1) * 4 > self.slots.len() * 3
    }

    /// Doubles the table; `hash_of(entry)` recomputes an entry's hash.
    /// Returns the new slot of every provisional entry, as `(entry, slot)`.
    pub fn grow(&mut self, hash_of: impl Fn(u32) -> u64) -> Vec<(u32, usize)> {
        let mut moved = Vec::new();
        let new_len = self.slots.len() * 2;
        let old = std::mem::replace(&mut self.slots, vec![0; new_len]);
        let mask = new_len - 1;
        for e in old.into_iter().filter(|&e| e != 0) {
            let mut i = (hash_of(e) as usize) & mask;
            while self.slots[i] != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = e;
            if e & PROVISIONAL != 0 {
                moved.push((e, i));
            }
        }
        moved
    }
}
