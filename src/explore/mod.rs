//! Parallel state-space search over compiled networks.
