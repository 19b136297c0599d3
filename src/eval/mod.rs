//! Evaluation: name resolution and checks, the functional language, and
//! process terms.

pub mod proc;
pub mod value;

pub use proc::{EventSet, Proc, ProcRef, Thunk};
pub use value::{Data, Function, Head, HeadKind, Value};
