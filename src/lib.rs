//! hoare: a model checker and runtime for CSP, reading CSPM (the language of FDR).
//!
//! The phases, each a module: [`syntax`] (parse into a typed AST with spans),
//! [`eval`] (resolve names, evaluate the functional language, build process
//! terms), [`lts`] (operational semantics, compiled process graphs),
//! [`explore`] (parallel state-space search), [`check`] (assertions), [`run`]
//! (the runtime: a compiled network on real threads).

pub mod check;
pub mod eval;
pub mod explore;
pub mod lts;
pub mod report;
pub mod run;
pub mod syntax;

pub use check::{check_file, check_file_with, check_source, CheckOptions, LoadError};
pub use report::{AssertionReport, Counterexample, FileReport, Verdict};
