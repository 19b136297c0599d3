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

/// [`TransitionSystem::for_each_packed_successor`] the plain way: unpacks
/// `packed` into `scratch` and packs every successor.
#[inline]
pub fn packed_by_unpacking<S: TransitionSystem, F: FnMut(u32, u64)>(
    sys: &S,
    packed: u64,
    codec: &StateCodec,
    scratch: &mut [u32],
    mut f: F,
) {
    codec.unpack(&[packed], scratch);
    sys.for_each_successor(scratch, |e, s| f(e, codec.pack_word(s)))
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
    /// packed states fit one word). `scratch` has room for `width()`
    /// components; the default unpacks `packed` into it and packs every
    /// successor, systems override it to read and change only the components
    /// a transition involves.
    #[inline]
    fn for_each_packed_successor<F: FnMut(u32, u64)>(
        &self,
        packed: u64,
        codec: &StateCodec,
        scratch: &mut [u32],
        f: F,
    ) where
        Self: Sized,
    {
        packed_by_unpacking(self, packed, codec, scratch, f)
    }
    /// True for a successfully terminated state: it has no transitions but is
    /// not a deadlock.
    fn is_terminated(&self, state: &[u32]) -> bool;
}
