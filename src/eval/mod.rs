//! Evaluation: name resolution and checks, the functional language, and
//! process terms.
//!
//! [`Evaluator::from_module`] resolves a script (collecting every static
//! error), then evaluates lazily: top-level constants on first use,
//! processes into [`Proc`] terms whose recursive parts are [`Thunk`]s that
//! [`Evaluator::force`] unfolds one step at a time.
//!
//! Evaluation recurses on the Rust stack; deep (but bounded, see
//! [`MAX_DEPTH`]) recursion in user functions needs more stack than a
//! default thread has. Run evaluation — including `force` — inside
//! [`with_big_stack`].

mod api;
mod builtins;
mod evaluator;
mod events;
mod ir;
mod pattern;
pub mod proc;
mod process;
mod resolve;
pub mod value;

pub use api::{
    eval_source, summarize, AssertionSummary, ExprOutcome, ProcessSummary, ScriptSummary,
};
pub use evaluator::{Evaluator, MAX_DEPTH};
pub use proc::{EventSet, Proc, ProcRef, Thunk};
pub use value::{Data, Function, Head, HeadKind, InfiniteSet, Value};

/// Stack size of the thread [`with_big_stack`] runs on.
pub const BIG_STACK: usize = 512 << 20;

/// Runs `f` on a scoped thread with a [`BIG_STACK`]-byte stack and returns
/// its result, so that evaluation reaching [`MAX_DEPTH`] nested calls ends
/// in a "recursion too deep" error rather than a stack overflow.
/// (If the thread cannot be spawned, `f` runs on the current thread.)
pub fn with_big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    let cell = std::sync::Mutex::new(Some(f));
    let take = || cell.lock().ok().and_then(|mut g| g.take());
    let from_thread = std::thread::scope(|s| {
        let spawned = std::thread::Builder::new()
            .name("hoare-eval".into())
            .stack_size(BIG_STACK)
            .spawn_scoped(s, || take().map(|g| g()));
        match spawned {
            Ok(h) => match h.join() {
                Ok(v) => v,
                Err(p) => std::panic::resume_unwind(p),
            },
            Err(_) => None,
        }
    });
    match from_thread {
        Some(v) => v,
        // The thread could not be spawned: run here, on the current stack.
        None => match take() {
            Some(g) => g(),
            None => panic!("with_big_stack: the closure neither ran nor remained"),
        },
    }
}
