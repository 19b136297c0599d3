//! The pest parser: the only module that sees pest types.
