//! Assertions: deadlock, divergence, determinism, refinement.
