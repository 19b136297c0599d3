//! Entry points for the command line: build an evaluator from a loaded
//! script, evaluate a one-off expression, and summarise a script's
//! processes and assertions (what `hoare check` shows before checking).

use super::evaluator::Evaluator;
use super::value::Value;
use crate::syntax::load::Loaded;
use crate::syntax::{parser, Diagnostic, SourceFile, SourceMap};
use serde::Serialize;

impl Evaluator {
    /// Resolves and checks a loaded script, returning every static error.
    pub fn new(loaded: &Loaded) -> Result<Evaluator, Vec<Diagnostic>> {
        Evaluator::from_module(&loaded.module, &loaded.sources)
    }

    /// Parses `text` as an expression, registered in `sources` as a new file
    /// named `<expr>` (so diagnostics render), and evaluates it in the
    /// script's global scope.
    pub fn eval_text(&self, sources: &mut SourceMap, text: &str) -> Result<Value, Vec<Diagnostic>> {
        let file = sources.add(SourceFile::new("<expr>", None, text.to_string()));
        let e = parser::parse_expr(text, file)?;
        self.eval_expr_all(&e)
    }
}

/// The outcome of [`eval_source`]: the result and the sources to render
/// its diagnostics with (the script's files plus `<expr>`).
#[derive(Debug)]
pub struct ExprOutcome {
    /// The script's files and the `<expr>` file.
    pub sources: SourceMap,
    /// The value, or every error (static errors of the script or the expression, or the evaluation error).
    pub result: Result<Value, Vec<Diagnostic>>,
}

/// Evaluates `expr_text` in the global scope of `loaded` (on a big stack).
pub fn eval_source(loaded: &Loaded, expr_text: &str) -> ExprOutcome {
    super::with_big_stack(|| {
        let mut sources = loaded.sources.clone();
        let result = Evaluator::new(loaded).and_then(|ev| ev.eval_text(&mut sources, expr_text));
        ExprOutcome { sources, result }
    })
}

/// A top-level constant whose value is a process.
#[derive(Clone, Debug, Serialize)]
pub struct ProcessSummary {
    /// Its name.
    pub name: String,
    /// `file:line:col` of the definition.
    pub location: String,
}

/// One assertion of the script.
#[derive(Clone, Debug, Serialize)]
pub struct AssertionSummary {
    /// The assertion's source text (whitespace collapsed).
    pub text: String,
    /// `file:line:col`.
    pub location: String,
}

/// What a script defines, for `hoare check` before the checker runs.
#[derive(Clone, Debug, Serialize)]
pub struct ScriptSummary {
    /// Constants whose value is a process, in declaration order.
    pub processes: Vec<ProcessSummary>,
    /// Top-level functions (some of them return processes), in declaration order.
    pub functions: Vec<String>,
    /// Assertions in source order.
    pub assertions: Vec<AssertionSummary>,
    /// Errors met while evaluating the constants.
    #[serde(skip)]
    pub errors: Vec<Diagnostic>,
}

/// Evaluates every top-level constant of the script and lists the
/// processes, functions and assertions. Run it on a big stack
/// ([`with_big_stack`](super::with_big_stack)).
pub fn summarize(ev: &Evaluator) -> ScriptSummary {
    let sources = ev.sources();
    let mut processes = Vec::new();
    let mut errors = Vec::new();
    for (name, span) in ev.global_names() {
        match ev.global(name) {
            Some(Ok(Value::Proc(_))) => processes.push(ProcessSummary {
                name: name.to_string(),
                location: location(sources, span),
            }),
            Some(Err(d)) => errors.push(d),
            _ => {}
        }
    }
    let functions = ev
        .function_names()
        .into_iter()
        .map(|(n, _)| n.to_string())
        .collect();
    let assertions = ev
        .assertions()
        .iter()
        .map(|a| AssertionSummary {
            text: ev
                .snippet(a.span)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
            location: location(sources, a.span),
        })
        .collect();
    ScriptSummary {
        processes,
        functions,
        assertions,
        errors,
    }
}

fn location(sources: &SourceMap, span: crate::syntax::Span) -> String {
    if (span.file.0 as usize) < sources.files().len() {
        sources.location(span)
    } else {
        String::new()
    }
}
