//! Operational semantics and process graphs (labelled transition systems).
