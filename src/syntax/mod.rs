//! The front end's syntax: spans, the typed AST, the pest parser, diagnostics.

pub mod ast;
pub mod diagnostic;
pub mod load;
pub mod parser;
pub mod span;

pub use diagnostic::{Diagnostic, Severity};
pub use load::{LoadFailure, Loaded};
pub use span::{FileId, SourceFile, SourceMap, Span};
