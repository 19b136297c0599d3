//! Level-synchronous parallel breadth-first search.
//!
//! Each level runs in three parallel phases:
//! 1. **expand**: the frontier is cut into one block per task and each block
//!    into chunks; each chunk's successors are packed (one-word states by
//!    changing only the moved components), hashed, filtered against the
//!    task's recent candidates (most repeats of a successor come soon after
//!    it) and laid out grouped by index shard (order kept), so phase 2 reads
//!    them sequentially;
//! 2. **insert**: each shard is owned by one task, which walks the candidates
//!    of every chunk in order and inserts the new ones provisionally, so the
//!    first occurrence in (chunk, position) order wins;
//! 3. **number**: new states get numbers in that same order (a prefix sum
//!    over per-chunk bitmaps), the shards turn provisional entries final, and
//!    the states are appended to the store.
//!
//! State numbers, counts and paths therefore depend only on the model,
//! never on the number of threads, and BFS order makes counterexamples
//! shortest.

use super::codec::StateCodec;
use super::store::{
    filled, hash_word, hash_words, prefetch, shard_of, Index, Probe, Shard, StateStore, MAX_STATES,
    PROVISIONAL, SHARDS,
};
use super::system::{TransitionSystem, NO_VIA, TAU};
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Why a search stopped before covering the whole state space.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// More states than `max_states`.
    StateLimit(u64),
    /// More memory than `max_memory` bytes.
    MemoryLimit(u64),
    /// Longer than the time limit.
    TimeLimit(Duration),
    /// Cancelled from outside (Ctrl-C).
    Cancelled,
    /// A deadlock was found and the search was asked to stop at the first.
    FoundDeadlock,
    /// A state satisfying the [`Explorer::stop_at`] predicate was found.
    FoundTarget,
}

/// Progress after each BFS level.
#[derive(Clone, Debug)]
pub struct Progress {
    /// Levels completed.
    pub level: u32,
    /// States stored.
    pub states: u64,
    /// Transitions generated.
    pub transitions: u64,
    /// Bytes held by the store and index.
    pub bytes: u64,
    /// Time since the start.
    pub elapsed: Duration,
}

/// The outcome of a search: counts, the first deadlock, and the store for
/// reconstructing paths.
pub struct Exploration {
    /// Number of states stored.
    pub states: u64,
    /// Number of transitions generated (including τ and ✓).
    pub transitions: u64,
    /// Number of BFS levels (the largest distance from the initial state + 1).
    pub levels: u32,
    /// `None` when the whole reachable space was covered.
    pub stopped: Option<StopReason>,
    /// The lowest-numbered deadlocked state (shortest trace), if any.
    pub first_deadlock: Option<u32>,
    /// The lowest-numbered state satisfying the [`Explorer::stop_at`]
    /// predicate (the search stops in the level that reaches it), if any.
    pub found: Option<u32>,
    /// Number of τ transitions generated (repeats included).
    pub tau_transitions: u64,
    /// How many of the transitions were counted without generating their
    /// successor (diamond pruning, see
    /// [`TransitionSystem::for_each_packed_successor`]).
    pub pruned: u64,
    /// Peak bytes held by the store and index (an estimate from capacities).
    pub peak_bytes: u64,
    /// Wall time.
    pub elapsed: Duration,
    pub(crate) codec: StateCodec,
    pub(crate) store: StateStore,
    pub(crate) index: Index,
    /// Direct index: the state number in each slot, built on demand for lookups.
    pub(crate) slot_ids: std::sync::OnceLock<Vec<Vec<u32>>>,
    pub(crate) level_starts: Vec<u32>,
    /// The threads of the search, kept for the work after it (see
    /// [`Exploration::on_threads`]).
    pub(crate) pool: Option<rayon::ThreadPool>,
}

impl Exploration {
    /// Runs `f` on the search's threads, so that the parallel work after a
    /// search (τ-graph, lookups, counterexample paths) keeps to its thread
    /// count (`--jobs`) instead of taking every core.
    pub(crate) fn on_threads<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        match &self.pool {
            Some(pool) => pool.install(f),
            None => f(),
        }
    }
}

/// A progress callback.
type ProgressFn<'a> = Box<dyn FnMut(&Progress) + Send + 'a>;

/// A predicate on state vectors (see [`Explorer::stop_at`]).
type Target<'a> = dyn Fn(&[u32]) -> bool + Send + Sync + 'a;
type TargetFn<'a> = Box<Target<'a>>;

/// Search options; each CLI flag maps to one builder method.
pub struct Explorer<'a, S: TransitionSystem> {
    system: &'a S,
    jobs: usize,
    max_states: u64,
    max_memory: u64,
    time_limit: Option<Duration>,
    stop_on_deadlock: bool,
    cancel: Option<Arc<AtomicBool>>,
    progress: Option<ProgressFn<'a>>,
    target: Option<TargetFn<'a>>,
    round: u32,
}

/// Successors of one chunk of the frontier, grouped by shard.
#[derive(Default)]
struct ChunkOut {
    /// The candidates' packed words, by position.
    packed: Vec<u64>,
    /// One-word states: the transition that made each candidate, by
    /// position (see [`TransitionSystem::for_each_packed_successor`]).
    vias: Vec<u32>,
    /// Per candidate, grouped by shard (shard s owns `keys[offsets[s]..offsets[s+1]]`,
    /// in position order): the packed state itself for a direct index, the
    /// hash for an indirect one. Phase 2 reads these sequentially.
    keys: Vec<u64>,
    /// The position of each entry of `keys`.
    positions: Vec<u32>,
    offsets: Vec<u32>,
    transitions: u64,
    pruned: u64,
    deadlock: Option<u32>,
    /// The first candidate position satisfying the target predicate.
    hit: Option<u32>,
    taus: u64,
    /// Bit `p` set when candidate `p` is a new state (set in the insert phase).
    fresh: Vec<AtomicU64>,
}

/// A state a shard inserted this level.
struct NewEntry {
    chunk: u32,
    pos: u32,
    slot: usize,
}

impl<'a, S: TransitionSystem> Explorer<'a, S> {
    /// A search of `system` with default options (all cores, no limits).
    pub fn new(system: &'a S) -> Self {
        Explorer {
            system,
            jobs: 0,
            max_states: MAX_STATES,
            max_memory: u64::MAX,
            time_limit: None,
            stop_on_deadlock: false,
            cancel: None,
            progress: None,
            target: None,
            round: ROUND,
        }
    }

    /// Number of worker threads (0 = one per core).
    pub fn jobs(mut self, jobs: usize) -> Self {
        self.jobs = jobs;
        self
    }

    /// Stop (unfinished) once more than `n` states are stored.
    pub fn max_states(mut self, n: u64) -> Self {
        self.max_states = n.min(MAX_STATES);
        self
    }

    /// Stop (unfinished) once the store and index hold more than `bytes`.
    pub fn max_memory(mut self, bytes: u64) -> Self {
        self.max_memory = bytes;
        self
    }

    /// Stop (unfinished) after `limit`.
    pub fn time_limit(mut self, limit: Duration) -> Self {
        self.time_limit = Some(limit);
        self
    }

    /// Stop after the BFS level in which the first deadlock is found.
    pub fn stop_on_deadlock(mut self, yes: bool) -> Self {
        self.stop_on_deadlock = yes;
        self
    }

    /// Stop after the BFS level that first reaches a state satisfying
    /// `target`; [`Exploration::found`] is the lowest-numbered such state
    /// (so a shortest path leads to it, whatever the thread count).
    pub fn stop_at(mut self, target: impl Fn(&[u32]) -> bool + Send + Sync + 'a) -> Self {
        self.target = Some(Box::new(target));
        self
    }

    /// Stop (unfinished) when `flag` becomes true.
    pub fn cancel_flag(mut self, flag: Arc<AtomicBool>) -> Self {
        self.cancel = Some(flag);
        self
    }

    /// Expand at most `states` frontier states (at least 1) per round: a
    /// wide level is expanded and inserted in rounds, which bounds the
    /// memory its candidates take. Results do not depend on it.
    pub fn round_states(mut self, states: u32) -> Self {
        self.round = states.max(1);
        self
    }

    /// Called after every level.
    pub fn on_progress(mut self, f: impl FnMut(&Progress) + Send + 'a) -> Self {
        self.progress = Some(Box::new(f));
        self
    }

    /// Runs the search.
    pub fn run(self) -> Exploration {
        let threads = if self.jobs == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            self.jobs
        };
        match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
            Ok(pool) => {
                let mut ex = pool.install(|| self.search(threads));
                ex.pool = Some(pool);
                ex
            }
            // Could not start threads: search on the current one.
            Err(_) => self.search(1),
        }
    }

    fn search(mut self, threads: usize) -> Exploration {
        let start = Instant::now();
        let sys = self.system;
        let codec = sys.codec();
        let words = codec.words();
        let mut store = StateStore::new(words);
        let mut index = Index::new(codec.bits());
        let mut init = vec![0u64; words];
        codec.pack(&sys.initial(), &mut init);
        index.insert_initial(&init, 0);
        store.extend(&init);
        // One-word states: per state of the frontier level, the transition
        // that first reached it; and the same for the next level as it fills.
        let mut vias: Vec<u32> = if words == 1 { vec![NO_VIA] } else { Vec::new() };
        let mut next_vias: Vec<u32> = Vec::new();
        let mut level_starts = vec![0u32, 1];
        let mut transitions = 0u64;
        let mut first_deadlock: Option<u32> = None;
        let target = self.target.as_deref();
        let mut found: Option<u32> = target.and_then(|t| t(&sys.initial()).then_some(0));
        let mut tau_transitions = 0u64;
        let mut pruned = 0u64;
        let mut stopped = found.map(|_| StopReason::FoundTarget);
        // One duplicate filter per task, kept across rounds and levels (see
        // `Candidates::recent`); small at first, so that small searches do
        // not pay for filling a big one.
        let mut filters: Vec<Vec<u64>> = vec![Vec::new(); threads];
        let mut peak_bytes = 0u64;
        let cancel = self.cancel.clone();
        let cancelled = || cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed));

        while stopped.is_none() {
            let lo = level_starts[level_starts.len() - 2];
            let hi = level_starts[level_starts.len() - 1];
            if lo == hi {
                level_starts.pop();
                break;
            }
            // The level is processed in rounds of at most `round` frontier
            // states and about ROUND_SUCCESSORS successors, which bounds the
            // memory of the candidate buffers; the numbering (first
            // occurrence in frontier order) does not depend on where rounds
            // or chunks are cut.
            let mut next = hi;
            let mut round_lo = lo;
            let mut bytes = 0u64;
            while round_lo < hi {
                // Successors per state so far: sizes the round and the room
                // reserved for candidates.
                let fanout = (transitions / u64::from(round_lo.max(1))) as usize + 1;
                let round = (ROUND_SUCCESSORS / fanout).clamp(MIN_CHUNK, self.round as usize);
                let round_hi = hi.min(round_lo.saturating_add(round as u32));
                let slots = filter_slots(store.len());
                if words == 1 && filters[0].len() < slots {
                    // Dropping the old filters' entries is always safe.
                    filters = (0..threads).map(|_| filled(slots, 0)).collect();
                }
                let frontier = Frontier {
                    store: &store,
                    lo,
                    vias: &vias,
                };
                let chunks =
                    self.expand_round(&codec, frontier, round_lo, round_hi, fanout, &mut filters);
                round_lo = round_hi;
                for c in &chunks {
                    transitions += c.transitions;
                    pruned += c.pruned;
                    tau_transitions += c.taus;
                    if first_deadlock.is_none() {
                        first_deadlock = c.deadlock;
                    }
                }
                next = insert_round(
                    &mut index,
                    &mut store,
                    &mut next_vias,
                    &chunks,
                    next,
                    words,
                    &mut found,
                );
                bytes = store.bytes() as u64
                    + index.bytes() as u64
                    + (vias.capacity() + next_vias.capacity()) as u64 * 4
                    + chunks.iter().map(chunk_bytes).sum::<u64>();
                peak_bytes = peak_bytes.max(bytes);
                if found.is_some()
                    || cancelled()
                    || store.len() as u64 > self.max_states
                    || bytes > self.max_memory
                {
                    break;
                }
            }
            level_starts.push(next);
            vias = std::mem::take(&mut next_vias);
            let states = store.len() as u64;
            if let Some(f) = self.progress.as_mut() {
                f(&Progress {
                    level: level_starts.len() as u32 - 2,
                    states,
                    transitions,
                    bytes,
                    elapsed: start.elapsed(),
                });
            }
            if found.is_some() {
                stopped = Some(StopReason::FoundTarget);
            } else if self.stop_on_deadlock && first_deadlock.is_some() {
                stopped = Some(StopReason::FoundDeadlock);
            } else if states > self.max_states {
                stopped = Some(StopReason::StateLimit(self.max_states));
            } else if bytes > self.max_memory {
                stopped = Some(StopReason::MemoryLimit(self.max_memory));
            } else if self.time_limit.is_some_and(|t| start.elapsed() > t) {
                stopped = self.time_limit.map(StopReason::TimeLimit);
            } else if cancelled() {
                stopped = Some(StopReason::Cancelled);
            }
        }
        let levels = level_starts.len() as u32 - 1;
        Exploration {
            states: store.len() as u64,
            transitions,
            levels,
            stopped,
            first_deadlock,
            found,
            tau_transitions,
            pruned,
            peak_bytes,
            elapsed: start.elapsed(),
            codec,
            store,
            index,
            slot_ids: std::sync::OnceLock::new(),
            level_starts,
            pool: None,
        }
    }
}

impl<S: TransitionSystem> Explorer<'_, S> {
    /// Phase 1 for the frontier states `lo..hi`: one contiguous block per
    /// filter (task), cut into chunks that the task expands in order.
    fn expand_round(
        &self,
        codec: &StateCodec,
        frontier: Frontier<'_>,
        lo: u32,
        hi: u32,
        fanout: usize,
        filters: &mut [Vec<u64>],
    ) -> Vec<ChunkOut> {
        let n = (hi - lo) as usize;
        let (system, target) = (self.system, self.target.as_deref());
        let block = n.div_ceil(filters.len()).max(MIN_CHUNK) as u32;
        let chunk_len = (n / (filters.len() * 4)).clamp(MIN_CHUNK, MAX_CHUNK) as u32;
        let blocks: Vec<(u32, u32)> = (lo..hi)
            .step_by(block as usize)
            .map(|a| (a, (a + block).min(hi)))
            .collect();
        let outs: Vec<Vec<ChunkOut>> = blocks
            .par_iter()
            .zip(filters.par_iter_mut())
            .map(|(&(a, b), recent)| {
                (a..b)
                    .step_by(chunk_len as usize)
                    .map(|c| {
                        let end = (c + chunk_len).min(b);
                        let expected = (end - c) as usize * fanout;
                        let cands = Candidates::new(recent, expected, codec.words());
                        expand_chunk(system, codec, frontier, target, cands, c, end)
                    })
                    .collect()
            })
            .collect();
        outs.into_iter().flatten().collect()
    }
}

/// Phases 2 and 3 for one round: inserts the candidates of `chunks`, numbers
/// the new states from `next` on in (chunk, position) order and appends them
/// to the store, and (one-word states) their vias to `next_vias`. Returns
/// the next free state number.
///
/// `found` is set (if still unset) to the number of the first candidate that
/// satisfied the [`Explorer::stop_at`] predicate. The first hit in (chunk,
/// position) order is the first occurrence of its state, and new (an older
/// state would have stopped the search before), so it has the lowest number
/// among the hits.
fn insert_round(
    index: &mut Index,
    store: &mut StateStore,
    next_vias: &mut Vec<u32>,
    chunks: &[ChunkOut],
    mut next: u32,
    words: usize,
    found: &mut Option<u32>,
) -> u32 {
    // Phase 2: each shard inserts its candidates in global order.
    let news: Vec<Vec<NewEntry>> = match index {
        Index::Direct(shards) => {
            shards
                .par_iter_mut()
                .enumerate()
                .for_each(|(s, shard)| insert_direct(s, shard, chunks));
            Vec::new()
        }
        Index::Indirect(shards) => shards
            .par_iter_mut()
            .enumerate()
            .map(|(s, shard)| insert_indirect(s, shard, chunks, store, words))
            .collect(),
    };
    // Phase 3: number the new states in (chunk, position) order.
    let first = next;
    let mut chunk_base = Vec::with_capacity(chunks.len());
    let mut word_ranks: Vec<Vec<u32>> = Vec::with_capacity(chunks.len());
    for c in chunks {
        chunk_base.push(next);
        let mut ranks = Vec::with_capacity(c.fresh.len());
        let mut r = 0u32;
        for w in &c.fresh {
            ranks.push(r);
            r += w.load(Ordering::Relaxed).count_ones();
        }
        word_ranks.push(ranks);
        next += r;
    }
    if found.is_none() {
        *found = chunks.iter().enumerate().find_map(|(ci, c)| {
            let p = c.hit?;
            let w = (p / 64) as usize;
            let bits = c.fresh[w].load(Ordering::Relaxed);
            (bits & (1u64 << (p % 64)) != 0).then(|| {
                chunk_base[ci] + word_ranks[ci][w] + (bits & ((1u64 << (p % 64)) - 1)).count_ones()
            })
        });
    }
    if let Index::Indirect(shards) = index {
        let final_id = |chunk: u32, pos: u32| -> u32 {
            let c = &chunks[chunk as usize];
            let w = (pos / 64) as usize;
            let below = c.fresh[w].load(Ordering::Relaxed) & ((1u64 << (pos % 64)) - 1);
            chunk_base[chunk as usize] + word_ranks[chunk as usize][w] + below.count_ones()
        };
        shards
            .par_iter_mut()
            .zip(news.par_iter())
            .for_each(|(shard, new)| {
                for e in new {
                    shard.set(e.slot, final_id(e.chunk, e.pos) + 1);
                }
            });
    }
    // The new states (and their vias) of each chunk, gathered in parallel
    // into their places in state-number order, then appended.
    let total = (next - first) as usize;
    let mut gathered = vec![0u64; total * words];
    let vias_from = next_vias.len();
    if words == 1 {
        next_vias.resize(vias_from + total, NO_VIA);
    }
    let mut spans = Vec::with_capacity(chunks.len());
    let (mut states_left, mut vias_left) = (&mut gathered[..], &mut next_vias[vias_from..]);
    for (ci, c) in chunks.iter().enumerate() {
        let n = (chunk_base.get(ci + 1).copied().unwrap_or(next) - chunk_base[ci]) as usize;
        let (states, rest) = std::mem::take(&mut states_left).split_at_mut(n * words);
        states_left = rest;
        let (vias, rest) =
            std::mem::take(&mut vias_left).split_at_mut(if words == 1 { n } else { 0 });
        vias_left = rest;
        spans.push((c, states, vias));
    }
    spans.into_par_iter().for_each(|(c, states, vias)| {
        let mut at = 0;
        for (w, bits) in c.fresh.iter().enumerate() {
            let mut bits = bits.load(Ordering::Relaxed);
            while bits != 0 {
                let p = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                states[at * words..(at + 1) * words]
                    .copy_from_slice(&c.packed[p * words..(p + 1) * words]);
                if let Some(v) = vias.get_mut(at) {
                    *v = c.vias[p];
                }
                at += 1;
            }
        }
    });
    store.extend(&gathered);
    next
}

fn chunk_bytes(c: &ChunkOut) -> u64 {
    (c.packed.capacity() * 8
        + c.vias.capacity() * 4
        + c.keys.capacity() * 8
        + c.positions.capacity() * 4
        + c.fresh.capacity() * 8) as u64
}

/// Slots of each task's duplicate filter (a power of two) once a search has
/// stored `states` states: 128 KiB at first, 2 MiB from a million states on.
/// With diamond pruning the filter matters less (butler N=10, one thread:
/// 2^12, 2^16, 2^18 and 2^20 slots all within 9.1–10.7 s, the noise of
/// the machine; 87 M, 72 M, 67 M and 63 M of 108 M candidates kept), so
/// the smaller, cache-friendlier size; before pruning 2^20 was best (2^16
/// 12.6 s, 2^18 12.0 s, 2^20 11.5 s, 2^22 13.8 s on another machine).
fn filter_slots(states: usize) -> usize {
    if states < 1 << 20 {
        1 << 14
    } else {
        1 << 18
    }
}

/// How many candidates behind generation the filter runs.
const FILTER_LAG: usize = 16;

/// Fewest frontier states worth a chunk of their own.
const MIN_CHUNK: usize = 256;

/// Most frontier states in one chunk (which keeps its buffers in cache).
const MAX_CHUNK: usize = 1 << 14;

/// A chunk's candidates as they are generated.
struct Candidates<'f> {
    /// The candidates kept, `words` words each.
    packed: Vec<u64>,
    /// Several-word states: the hash of each candidate kept (one-word
    /// states are hashed again when grouped: cheaper than storing it).
    hashes: Vec<u64>,
    /// One-word states: the via of each candidate kept.
    vias: Vec<u32>,
    /// How many candidates kept fall in each index shard.
    counts: [u32; SHARDS],
    /// One-word states: generated candidates wait here, by generation
    /// number, `FILTER_LAG` places until their filter slot has been fetched,
    /// so the filter's cache misses overlap.
    pending: [u64; PENDING],
    /// The hashes of the pending candidates.
    pending_hashes: [u64; PENDING],
    /// The vias of the pending candidates.
    pending_vias: [u32; PENDING],
    /// Bit `k` set when pending slot `k` holds a candidate that satisfies
    /// the search's target predicate.
    pending_marks: u32,
    /// The position of the first kept candidate that was marked.
    hit: Option<u32>,
    /// One-word states: candidates generated so far.
    raw: usize,
    /// One-word states: candidates filtered so far.
    checked: usize,
    /// One-word states: a direct-mapped cache of recent candidates
    /// (`packed + 1`, 0 = empty) by the low bits of their hash, owned by one
    /// task. Interleavings meet within a few BFS positions, so most repeated
    /// successors are dropped here. An entry is either a candidate of an
    /// earlier round (inserted by now, so not new) or an earlier candidate of
    /// this task in this round (a task expands its chunks in order, and the
    /// candidates of a chunk in order): dropping a candidate equal to it never
    /// drops the first occurrence in (chunk, position) order, so state numbers
    /// do not depend on how levels are cut into chunks or on the thread count.
    recent: &'f mut [u64],
}

/// Size of [`Candidates::pending`] (a power of two above `FILTER_LAG`).
const PENDING: usize = 32;

impl<'f> Candidates<'f> {
    /// Room for `expected` candidates of `words` words.
    fn new(recent: &'f mut [u64], expected: usize, words: usize) -> Self {
        Candidates {
            packed: Vec::with_capacity(expected * words),
            hashes: Vec::with_capacity(if words == 1 { 0 } else { expected }),
            vias: Vec::with_capacity(if words == 1 { expected } else { 0 }),
            counts: [0; SHARDS],
            pending: [0; PENDING],
            pending_hashes: [0; PENDING],
            pending_vias: [0; PENDING],
            pending_marks: 0,
            hit: None,
            raw: 0,
            checked: 0,
            recent,
        }
    }

    /// Adds a one-word candidate; it is filtered `FILTER_LAG` candidates
    /// later, once its filter slot has been fetched.
    #[inline(always)]
    fn add_word(&mut self, packed: u64, via: u32) {
        let h = hash_word(packed);
        prefetch(&self.recent[self.filter_slot(h)]);
        self.pending[self.raw % PENDING] = packed;
        self.pending_hashes[self.raw % PENDING] = h;
        self.pending_vias[self.raw % PENDING] = via;
        self.raw += 1;
        if self.raw - self.checked > FILTER_LAG {
            self.check_next();
        }
    }

    /// Adds a one-word candidate, `marked` if it satisfies the target
    /// predicate (see `hit`). A chunk uses either this or `add_word` (which
    /// leaves the marks clear).
    #[inline(always)]
    fn add_marked(&mut self, packed: u64, marked: bool) {
        let bit = 1u32 << (self.raw % PENDING);
        self.pending_marks = (self.pending_marks & !bit) | (bit * marked as u32);
        self.add_word(packed, NO_VIA);
    }

    /// Filters the oldest pending one-word candidate: kept unless the filter
    /// saw it. Branch-free on the verdict, which is unpredictable: the
    /// candidate is always written after the kept ones and kept by advancing
    /// the lengths.
    #[inline(always)]
    fn check_next(&mut self) {
        let packed = self.pending[self.checked % PENDING];
        let h = self.pending_hashes[self.checked % PENDING];
        let slot = &mut self.recent[self.filter_slot(h)];
        let fresh = *slot != packed + 1;
        *slot = packed + 1;
        // A marked candidate dropped here equals an earlier one, which was
        // marked too.
        if self.pending_marks != 0 {
            self.note_hit(fresh);
        }
        push_if(&mut self.packed, packed, fresh);
        push_if(
            &mut self.vias,
            self.pending_vias[self.checked % PENDING],
            fresh,
        );
        self.counts[shard_of(h)] += fresh as u32;
        self.checked += 1;
    }

    /// Records the candidate being filtered as the hit if it is marked, kept
    /// and the first such. Out of line: only searches with a target mark.
    #[inline(never)]
    fn note_hit(&mut self, fresh: bool) {
        if self.pending_marks & (1 << (self.checked % PENDING)) != 0 && fresh {
            self.hit = self.hit.or(Some(self.packed.len() as u32));
        }
    }

    /// Filters every pending one-word candidate.
    fn flush(&mut self) {
        while self.checked < self.raw {
            self.check_next();
        }
    }

    /// Adds a candidate of several words (never filtered), `marked` if it
    /// satisfies the target predicate.
    #[inline]
    fn add_words(&mut self, packed: &[u64], marked: bool) {
        let h = hash_words(packed);
        if marked && self.hit.is_none() {
            self.hit = Some(self.hashes.len() as u32);
        }
        self.packed.extend_from_slice(packed);
        self.hashes.push(h);
        self.counts[shard_of(h)] += 1;
    }

    /// The filter slot of a candidate with hash `h` (the filter's length is
    /// a power of two).
    #[inline(always)]
    fn filter_slot(&self, h: u64) -> usize {
        h as usize & (self.recent.len() - 1)
    }

    /// The kept candidates laid out by shard into `out`.
    fn finish(mut self, words: usize, out: &mut ChunkOut) {
        if words == 1 {
            self.flush();
        }
        // Kept through the insert phase: give back the room of the dropped.
        let (mut packed, mut vias) = (self.packed, self.vias);
        packed.shrink_to_fit();
        vias.shrink_to_fit();
        // Group by shard, keeping position order (counting sort).
        let mut offsets = vec![0u32; SHARDS + 1];
        for s in 0..SHARDS {
            offsets[s + 1] = offsets[s] + self.counts[s];
        }
        let mut fill = offsets.clone();
        let len = packed.len() / words;
        out.keys = vec![0; len];
        out.positions = vec![0; len];
        // The key is the state itself for one word, else its hash.
        let mut place = |p: usize, key: u64, h: u64| {
            let s = shard_of(h);
            let at = fill[s] as usize;
            out.keys[at] = key;
            out.positions[at] = p as u32;
            fill[s] += 1;
        };
        if words == 1 {
            for (p, &w) in packed.iter().enumerate() {
                place(p, w, hash_word(w));
            }
        } else {
            for (p, &h) in self.hashes.iter().enumerate() {
                place(p, h, h);
            }
        }
        out.offsets = offsets;
        out.packed = packed;
        out.vias = vias;
        out.hit = self.hit;
        out.fresh = (0..len.div_ceil(64)).map(|_| AtomicU64::new(0)).collect();
    }
}

/// The level being expanded: the store, where the level starts, and the via
/// of each of its states (one-word states only).
#[derive(Clone, Copy)]
struct Frontier<'s> {
    store: &'s StateStore,
    lo: u32,
    vias: &'s [u32],
}

/// Writes `x` after the end of `v`, and keeps it if `keep` (no branch on
/// `keep`; the room grows geometrically, without writing it first).
#[inline(always)]
fn push_if<T>(v: &mut Vec<T>, x: T, keep: bool) {
    if v.len() == v.capacity() {
        v.reserve(v.len().max(1024));
    }
    v.spare_capacity_mut()[0].write(x);
    // SAFETY: the element at `len` was just written, within the capacity.
    unsafe { v.set_len(v.len() + keep as usize) }
}

/// Phase 1 for the states `a..b`, whose candidates go through `cands`.
fn expand_chunk<S: TransitionSystem>(
    sys: &S,
    codec: &StateCodec,
    frontier: Frontier<'_>,
    target: Option<&Target<'_>>,
    mut cands: Candidates<'_>,
    a: u32,
    b: u32,
) -> ChunkOut {
    let words = codec.words();
    let mut out = ChunkOut::default();
    let mut state = vec![0u32; codec.width()];
    let mut buf = vec![0u64; words];
    for id in a..b {
        let parent = frontier.store.get(id);
        let mut n = 0u64;
        let mut taus = 0u64;
        if words == 1 && target.is_none() {
            let via = frontier.vias[(id - frontier.lo) as usize];
            let pruned =
                sys.for_each_packed_successor(parent[0], via, codec, &mut state, |ev, succ, v| {
                    n += 1;
                    taus += (ev == TAU) as u64;
                    cands.add_word(succ, v);
                });
            n += pruned.transitions;
            taus += pruned.taus;
            out.pruned += pruned.transitions;
            if n == 0 {
                codec.unpack(parent, &mut state);
            }
        } else {
            codec.unpack(parent, &mut state);
            sys.for_each_successor(&state, |ev, succ| {
                n += 1;
                taus += (ev == TAU) as u64;
                let hit = target.is_some_and(|t| t(succ));
                codec.pack(succ, &mut buf);
                if words == 1 {
                    cands.add_marked(buf[0], hit);
                } else {
                    cands.add_words(&buf, hit);
                }
            });
        }
        out.transitions += n;
        out.taus += taus;
        if n == 0 && out.deadlock.is_none() && !sys.is_terminated(&state) {
            out.deadlock = Some(id);
        }
    }
    cands.finish(words, &mut out);
    out
}

/// Most frontier states expanded in one round of a level by default (see
/// [`ROUND_SUCCESSORS`]).
const ROUND: u32 = 1 << 22;

/// About how many successors one round generates at most (frontier states
/// times the fan-out so far). Bounds the candidate buffers: about 20 bytes
/// per candidate kept by the filter, and the filter keeps about 3 in 10 on
/// the benchmark. The bigger the round, the more candidates each shard
/// inserts per pass: on butler N=10 (fan-out 8.5), insert phase on one
/// thread, rounds of 2^18 states 4.55 s, 2^20 4.0 s, 2^22 3.8 s.
const ROUND_SUCCESSORS: usize = 1 << 24;

/// How many candidates a shard probes ahead of the one it inserts, so that
/// cache misses overlap.
const PREFETCH: usize = 16;

/// Phase 2 for shard `s` of a direct index: insert this shard's candidates of
/// every chunk, in order; mark the new ones fresh. The slot of the candidate
/// `PREFETCH` places ahead is prefetched, so cache misses overlap.
fn insert_direct(s: usize, shard: &mut Shard<u64>, chunks: &[ChunkOut]) {
    for c in chunks {
        let range = c.offsets[s] as usize..c.offsets[s + 1] as usize;
        let (keys, positions) = (&c.keys[range.clone()], &c.positions[range]);
        // Each key is hashed once, PREFETCH places ahead of its probe; the
        // hash waits in `ring` until then.
        let mut ring = [0u64; PREFETCH];
        for (k, &key) in keys.iter().take(PREFETCH).enumerate() {
            ring[k] = hash_word(key);
            shard.prefetch(ring[k]);
        }
        for (k, (&key, &p)) in keys.iter().zip(positions).enumerate() {
            let h = ring[k % PREFETCH];
            if let Some(&ahead) = keys.get(k + PREFETCH) {
                let ha = hash_word(ahead);
                shard.prefetch(ha);
                ring[k % PREFETCH] = ha;
            }
            if shard.insert_word(h, key) {
                c.fresh[p as usize / 64].fetch_or(1 << (p % 64), Ordering::Relaxed);
            }
        }
    }
}

/// The packed words an indirect entry refers to: a stored state, or a state
/// this shard inserted provisionally during the current level.
fn entry_words<'x>(
    e: u32,
    new: &[NewEntry],
    chunks: &'x [ChunkOut],
    store: &'x StateStore,
    words: usize,
) -> &'x [u64] {
    if e & PROVISIONAL != 0 {
        let n = &new[(e & !PROVISIONAL) as usize];
        let at = n.pos as usize * words;
        &chunks[n.chunk as usize].packed[at..at + words]
    } else {
        store.get(e - 1)
    }
}

/// Phase 2 for shard `s` of an indirect index: insert this shard's candidates
/// of every chunk, in order, provisionally; return the new ones.
fn insert_indirect(
    s: usize,
    shard: &mut Shard<u32>,
    chunks: &[ChunkOut],
    store: &StateStore,
    words: usize,
) -> Vec<NewEntry> {
    let mut new: Vec<NewEntry> = Vec::new();
    for (ci, c) in chunks.iter().enumerate() {
        let range = c.offsets[s] as usize..c.offsets[s + 1] as usize;
        for (&h, &p) in c.keys[range.clone()].iter().zip(&c.positions[range]) {
            let at = p as usize * words;
            let cand = &c.packed[at..at + words];
            let probe = shard.probe(h, |e| entry_words(e, &new, chunks, store, words) == cand);
            let Probe::Vacant(mut slot) = probe else {
                continue;
            };
            if shard.needs_growth() {
                let mut moved = Vec::new();
                shard.grow(
                    |e| hash_words(entry_words(e, &new, chunks, store, words)),
                    |e, at| {
                        if e & PROVISIONAL != 0 {
                            moved.push((e, at));
                        }
                    },
                );
                for (e, at) in moved {
                    new[(e & !PROVISIONAL) as usize].slot = at;
                }
                if let Probe::Vacant(v) = shard.probe(h, |_| false) {
                    slot = v;
                }
            }
            shard.fill(slot, PROVISIONAL | new.len() as u32);
            c.fresh[p as usize / 64].fetch_or(1 << (p % 64), Ordering::Relaxed);
            new.push(NewEntry {
                chunk: ci as u32,
                pos: p,
                slot,
            });
        }
    }
    new
}
