//! The front end's syntax: spans, the typed AST, the pest parser, diagnostics.

pub mod ast;
pub mod diagnostic;
pub mod parser;
pub mod span;

pub use diagnostic::{Diagnostic, Severity};
pub use span::{FileId, SourceFile, SourceMap, Span};
