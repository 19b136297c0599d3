//! The interface between a compiled model and the explorer.
//!
//! The explorer knows nothing of processes or values: a state is a vector of
//! small integers (one per component, e.g. per leaf process), events are
//! integers (0 = τ, 1 = ✓), and successors come from [`TransitionSystem`].

use super::codec::StateCodec;

/// The internal event τ.
pub const TAU: u32 = 0;
/// Successful termination ✓.
pub const TICK: u32 = 1;

/// The `via` of a state whose first transition is unknown (the initial
/// state, or any state): [`TransitionSystem::for_each_packed_successor`]
/// then prunes nothing.
pub const NO_VIA: u32 = u32::MAX;

/// Transitions a packed successor function counted but did not generate
/// (see [`TransitionSystem::for_each_packed_successor`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Transitions pruned.
    pub transitions: u64,
    /// How many of them were τ.
    pub taus: u64,
}

impl Pruned {
    /// Counts `n` pruned transitions on `event`.
    #[inline(always)]
    pub fn add(&mut self, event: u32, n: u32) {
        self.transitions += u64::from(n);
        self.taus += u64::from(n) * u64::from(event == TAU);
    }
}

/// [`TransitionSystem::for_each_packed_successor`] the plain way: unpacks
/// `packed` into `scratch`, packs every successor, prunes nothing.
#[inline]
pub fn packed_by_unpacking<S: TransitionSystem, F: FnMut(u32, u64, u32)>(
    sys: &S,
    packed: u64,
    codec: &StateCodec,
    scratch: &mut [u32],
    mut f: F,
) -> Pruned {
    codec.unpack(&[packed], scratch);
    sys.for_each_successor(scratch, |e, s| f(e, codec.pack_word(s), NO_VIA));
    Pruned::default()
}

/// A finite-branching transition system over vectors of small integers.
pub trait TransitionSystem: Sync {
    /// Number of components of a state vector.
    fn width(&self) -> usize;
    /// Number of distinct values each component can take (for bit packing).
    fn component_sizes(&self) -> Vec<u32>;
    /// The codec the explorer packs states with: one for
    /// [`component_sizes`](Self::component_sizes). Systems that lay out
    /// tables for packed states override it to hand out the codec those
    /// tables were made for (a clone, so checking it is cheap).
    fn codec(&self) -> StateCodec {
        StateCodec::new(&self.component_sizes())
    }
    /// The initial state vector.
    fn initial(&self) -> Vec<u32>;
    /// Calls `f(event, successor)` for every transition of `state`, in an
    /// order that depends only on `state`.
    fn successors(&self, state: &[u32], f: &mut dyn FnMut(u32, &[u32]));
    /// The same transitions as [`successors`](Self::successors), statically
    /// dispatched; systems on the explorer's hot path override it so the
    /// explorer's per-successor work is inlined.
    #[inline]
    fn for_each_successor<F: FnMut(u32, &[u32])>(&self, state: &[u32], mut f: F)
    where
        Self: Sized,
    {
        self.successors(state, &mut f)
    }
    /// The same transitions again, for a state packed into one word by
    /// `codec` as `packed`, each successor packed likewise (used only when
    /// packed states fit one word): `f(event, successor, via)`, where `via`
    /// names the transition for a later call on that successor. `scratch`
    /// has room for `width()` components; the default unpacks `packed` into
    /// it and packs every successor, systems override it to read and change
    /// only the components a transition involves.
    ///
    /// **Diamond pruning.** When `packed` was first reached by the
    /// transition `via` from a state the search expands in full, a system
    /// may count instead of generate a transition `b` whose successor the
    /// search is bound to reach another way, no later in BFS: `b` and `via`
    /// change disjoint components (so `packed·b = (parent·b)·via`) and `b` is
    /// lower than `via` in a fixed order on such transitions (so the other
    /// side of the diamond, from `parent·b`, keeps `via`). Every reachable
    /// state is still generated at its BFS distance, by induction on
    /// (distance, the order). The pruned transitions are returned, to be
    /// counted; with [`NO_VIA`] nothing is pruned. The default prunes
    /// nothing.
    #[inline]
    fn for_each_packed_successor<F: FnMut(u32, u64, u32)>(
        &self,
        packed: u64,
        via: u32,
        codec: &StateCodec,
        scratch: &mut [u32],
        f: F,
    ) -> Pruned
    where
        Self: Sized,
    {
        let _ = via;
        packed_by_unpacking(self, packed, codec, scratch, f)
    }
    /// True for a successfully terminated state: it has no transitions but is
    /// not a deadlock.
    fn is_terminated(&self, state: &[u32]) -> bool;
}
