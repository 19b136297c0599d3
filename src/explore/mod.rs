//! Parallel state-space search over compiled networks.

pub mod system;

pub use system::{TransitionSystem, TAU, TICK};
