//! Parallel state-space search over compiled networks.

pub mod system;

pub use system::{TransitionSystem, TAU, TICK};
pub mod codec;
pub mod search;
pub mod store;

pub use search::{Exploration, Explorer, Progress, StopReason};
pub mod divergence;
pub mod paths;

pub use divergence::Divergence;
pub use paths::Step;
