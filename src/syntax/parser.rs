//! The pest parser: the only module that sees pest types.
//!
//! `grammar/cspm.pest` describes the surface syntax; this module runs it and
//! lowers pest pairs into the typed AST of [`super::ast`], one small function
//! per grammar rule, with byte spans. Expressions come out of pest as a flat
//! sequence of operands and operators; [`Lower::pratt`] applies FDR's binding
//! table to them.
//!
//! Layout: a script is parsed one top-level declaration at a time, so that a
//! broken definition yields one error and parsing resumes at the next line
//! that starts (in column 1) with a name or `(`. A function application's `(`
//! must be on the same line as the function (see the grammar), and a new
//! top-level declaration must start on a new line.
//!
//! Robustness: bracket nesting deeper than [`MAX_NESTING`] is rejected with a
//! located error before pest runs, and the lowering counts its own recursion,
//! so no input makes the parser overflow the stack or panic.

use super::ast::{
    AssertKind, AssertOption, Assertion, BinaryOp, Constructor, Decl, DeclKind, Expr, ExprKind,
    Ident, Link, Model, Module, Pattern, PatternKind, PrefixField, ProcOp, Property, ReplicatedOp,
    Stmt, UnaryOp,
};
use super::diagnostic::Diagnostic;
use super::span::{FileId, Span};
use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::{Pair, Pairs};
use pest::Parser as _;
use std::iter::Peekable;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/cspm.pest"]
struct CspmParser;

/// Deepest nesting of brackets (`(`, `[`, `{`, `{-`, `if`, `let`) accepted.
pub const MAX_NESTING: usize = 200;

/// Deepest nesting of operators (e.g. a chain of `->`) the lowering accepts.
const MAX_EXPR_DEPTH: usize = 1000;

/// At most this many errors are reported for one file.
const MAX_ERRORS: usize = 50;

/// The diagnostic code of every parse error.
const CODE: &str = "parse";

/// Parses a whole CSPM script. On failure returns every error found (one per
/// broken declaration, resynchronising at the next top-level definition line).
pub fn parse_module(text: &str, file: FileId) -> Result<Module, Vec<Diagnostic>> {
    prescan(text, file).map_err(|d| vec![d])?;
    let mut decls = Vec::new();
    let mut errors = Vec::new();
    let mut pos = 0usize;
    let mut prev_end: Option<usize> = None;
    while errors.len() < MAX_ERRORS {
        let rest = text.get(pos..).unwrap_or("");
        match CspmParser::parse(Rule::step, rest) {
            Ok(pairs) => {
                let Some(inner) = pairs.into_iter().next().and_then(|s| s.into_inner().next())
                else {
                    break;
                };
                if inner.as_rule() == Rule::EOI {
                    break;
                }
                let start = pos + inner.as_span().start();
                let end = pos + tight_end(&inner);
                if let Some(prev) = prev_end {
                    let between = text.get(prev..start).unwrap_or("");
                    if !between.contains('\n') {
                        errors.push(continuation_error(text, start, file));
                    }
                }
                let mut lower = Lower::new(file, pos);
                match lower.decl(inner) {
                    Ok(d) => decls.push(d),
                    Err(e) => errors.push(e),
                }
                // Progress is guaranteed: a declaration is never empty.
                pos = end.max(pos + 1);
                prev_end = Some(end);
            }
            Err(err) => {
                let start = pos + skip_trivia(text.get(pos..).unwrap_or(""), 0);
                let same_line = prev_end
                    .is_some_and(|prev| !text.get(prev..start).unwrap_or("").contains('\n'));
                let (diag, at) = if same_line {
                    (continuation_error(text, start, file), start)
                } else {
                    translate_error(&err, text, pos, file, Rule::step)
                };
                errors.push(diag);
                match resync(text, pos, at) {
                    Some(next) => {
                        pos = next;
                        prev_end = None;
                    }
                    None => break,
                }
            }
        }
        if pos >= text.len() {
            break;
        }
    }
    if errors.is_empty() {
        Ok(Module { decls })
    } else {
        Err(errors)
    }
}

/// Parses one expression (the whole text).
pub fn parse_expr(text: &str, file: FileId) -> Result<Expr, Vec<Diagnostic>> {
    prescan(text, file).map_err(|d| vec![d])?;
    let pairs = CspmParser::parse(Rule::expr_only, text)
        .map_err(|e| vec![translate_error(&e, text, 0, file, Rule::expr_only).0])?;
    let mut lower = Lower::new(file, 0);
    let top = pairs
        .into_iter()
        .next()
        .ok_or_else(|| vec![internal_at(file, 0, "empty parse")])?;
    for p in top.into_inner() {
        if p.as_rule() == Rule::expr {
            return lower.expr(p).map_err(|d| vec![d]);
        }
    }
    Err(vec![internal_at(file, 0, "no expression in parse")])
}

/// The error for text left on the line after a complete declaration.
fn continuation_error(text: &str, at: usize, file: FileId) -> Diagnostic {
    Diagnostic::error(
        CODE,
        format!(
            "expected an operator or the end of the line, found {}",
            found_at(text, at)
        ),
        Span::new(file, at, at + found_len(text, at)),
    )
    .with_label_text("the definition before this is complete, so this is unexpected")
    .with_help("a new declaration must start on a new line")
}

fn internal_at(file: FileId, at: usize, what: &str) -> Diagnostic {
    Diagnostic::error(
        CODE,
        format!("internal parser error: {what}"),
        Span::new(file, at, at),
    )
}

// ------------------------------------------------------------------ prescan

/// Rejects what would make pest recurse too deeply or mislead its errors:
/// brackets nested deeper than [`MAX_NESTING`], unterminated block comments,
/// strings and unbalanced closing brackets are left to the grammar.
fn prescan(text: &str, file: FileId) -> Result<(), Diagnostic> {
    let bytes = text.as_bytes();
    let mut i = 0usize;
    let mut depth = 0usize;
    let mut comment_starts: Vec<usize> = Vec::new();
    let too_deep = |at: usize| {
        Diagnostic::error(
            CODE,
            format!("nesting is too deep (more than {MAX_NESTING} levels)"),
            Span::new(file, at, at + 1),
        )
        .with_label_text("too deeply nested here")
        .with_help("split the expression into named definitions")
    };
    let mut prev_ident = false;
    while i < bytes.len() {
        let b = bytes[i];
        if !comment_starts.is_empty() {
            if b == b'{' && bytes.get(i + 1) == Some(&b'-') {
                comment_starts.push(i);
                if comment_starts.len() > MAX_NESTING {
                    return Err(too_deep(i));
                }
                i += 2;
            } else if b == b'-' && bytes.get(i + 1) == Some(&b'}') {
                comment_starts.pop();
                i += 2;
            } else {
                i += 1;
            }
            continue;
        }
        match b {
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                prev_ident = false;
                continue;
            }
            b'{' if bytes.get(i + 1) == Some(&b'-') => {
                comment_starts.push(i);
                i += 2;
                prev_ident = false;
                continue;
            }
            b'"' => {
                let start = i;
                i += 1;
                loop {
                    match bytes.get(i) {
                        None | Some(b'\n') => {
                            return Err(Diagnostic::error(
                                CODE,
                                "unterminated string literal",
                                Span::new(file, start, start + 1),
                            )
                            .with_label_text("this string has no closing `\"` on its line"));
                        }
                        Some(b'\\') => i += 2,
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
                prev_ident = false;
                continue;
            }
            b'\'' if !prev_ident => {
                // A character literal such as '(' must not count as a bracket.
                if bytes.get(i + 1) == Some(&b'\\') && bytes.get(i + 3) == Some(&b'\'') {
                    i += 4;
                    continue;
                }
                if bytes.get(i + 2) == Some(&b'\'') {
                    i += 3;
                    continue;
                }
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(too_deep(i));
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        // `if … else` and `let … within` nest like brackets in the grammar.
        if b.is_ascii_alphabetic() && !prev_ident {
            let end = bytes[i..]
                .iter()
                .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_' || *c == b'\''))
                .map_or(bytes.len(), |n| i + n);
            match &bytes[i..end] {
                b"if" | b"let" => {
                    depth += 1;
                    if depth > MAX_NESTING {
                        return Err(too_deep(i));
                    }
                }
                b"else" | b"within" => depth = depth.saturating_sub(1),
                _ => {}
            }
            i = end;
            prev_ident = true;
            continue;
        }
        prev_ident = b.is_ascii_alphanumeric() || b == b'_' || b == b'\'';
        i += 1;
    }
    if let Some(&start) = comment_starts.first() {
        return Err(Diagnostic::error(
            CODE,
            "unterminated block comment",
            Span::new(file, start, start + 2),
        )
        .with_label_text("this `{-` has no matching `-}`"));
    }
    Ok(())
}

/// The start of the next line after `err` (and after `from`) that begins a
/// top-level declaration: a name or `(` in column 1, outside comments.
fn resync(text: &str, from: usize, err: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = from;
    let mut comment = 0usize;
    while i < bytes.len() {
        let b = bytes[i];
        if comment > 0 {
            if b == b'{' && bytes.get(i + 1) == Some(&b'-') {
                comment += 1;
                i += 2;
                continue;
            }
            if b == b'-' && bytes.get(i + 1) == Some(&b'}') {
                comment -= 1;
                i += 2;
                continue;
            }
        } else if b == b'{' && bytes.get(i + 1) == Some(&b'-') {
            comment += 1;
            i += 2;
            continue;
        } else if b == b'-' && bytes.get(i + 1) == Some(&b'-') {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if b == b'\n' && comment == 0 && i + 1 > err {
            let next = i + 1;
            if let Some(&c) = bytes.get(next) {
                let starts_comment = c == b'-' && bytes.get(next + 1) == Some(&b'-');
                if (c.is_ascii_alphabetic() || c == b'(' || c == b'_') && !starts_comment {
                    return Some(next);
                }
            }
        }
        i += 1;
    }
    None
}

// ------------------------------------------------------------------ errors

/// Turns a pest error into a diagnostic with words, and its absolute position.
fn translate_error(
    err: &pest::error::Error<Rule>,
    text: &str,
    base: usize,
    file: FileId,
    entry: Rule,
) -> (Diagnostic, usize) {
    let rel = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let at = (base + rel).min(text.len());
    let diag = match &err.variant {
        ErrorVariant::CustomError { message } => {
            let msg = if message.contains("limit") {
                "the input is nested too deeply to parse".to_string()
            } else {
                message.clone()
            };
            Diagnostic::error(CODE, msg, Span::new(file, at, at))
        }
        ErrorVariant::ParsingError { positives, .. } => {
            let expected = expected_words(positives, detailed_tokens(text, base, entry));
            let found = found_at(text, at);
            let msg = if expected.is_empty() {
                format!("unexpected {found}")
            } else {
                format!("expected {}, found {found}", join_words(&expected))
            };
            let end = at + found_len(text, at);
            Diagnostic::error(CODE, msg, Span::new(file, at, end))
                .with_label_text(label_for(&expected))
        }
    };
    (diag, at)
}

/// Re-runs a failed parse with pest's error detail switched on and returns
/// the literal tokens it expected at the failure position.
fn detailed_tokens(text: &str, base: usize, entry: Rule) -> Vec<String> {
    let rest = text.get(base..).unwrap_or("");
    pest::set_error_detail(true);
    let result = CspmParser::parse(entry, rest);
    pest::set_error_detail(false);
    match result {
        Err(e) => e
            .parse_attempts()
            .map(|a| a.expected_tokens().iter().map(|t| t.to_string()).collect())
            .unwrap_or_default(),
        Ok(_) => Vec::new(),
    }
}

/// Words for what the parser expected, most useful first, without repeats.
fn expected_words(positives: &[Rule], tokens: Vec<String>) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut push = |w: String| {
        if !words.contains(&w) {
            words.push(w);
        }
    };
    let mut operators = 0;
    for r in positives {
        if let Some(w) = rule_words(*r) {
            if w == "an operator" {
                operators += 1;
            }
            push(w.to_string());
        }
    }
    for t in tokens {
        let w = match t.as_str() {
            " " | "\t" | "\r" | "\n" | "\u{feff}" | "--" | "{-" => continue,
            "-" | "#" | "\\" => "an expression".to_string(),
            s if s.chars().all(|c| c.is_ascii_alphabetic()) && s.len() > 2 => format!("`{s}`"),
            s => format!("`{s}`"),
        };
        push(w);
    }
    let _ = operators;
    // An expression start subsumes literal brackets that begin one.
    if words.iter().any(|w| w == "an expression") {
        words.retain(|w| {
            !matches!(
                w.as_str(),
                "`(`" | "`{`" | "`<`" | "`{|`" | "`(|`" | "`'`" | "`\"`"
            )
        });
    }
    if words.iter().any(|w| w == "a definition") {
        words.retain(|w| w.starts_with('a') || w == "the end of the file");
    }
    if words.iter().any(|w| w == "a pattern") {
        words.retain(|w| !matches!(w.as_str(), "`(`" | "`{`" | "`<`" | "`_`" | "`-`"));
    }
    // Long lists help nobody; keep the first few.
    words.truncate(6);
    words
}

/// What a grammar rule means to a user, or `None` for rules that only add noise.
fn rule_words(rule: Rule) -> Option<&'static str> {
    use Rule as R;
    Some(match rule {
        R::EOI => "the end of the file",
        R::decl
        | R::channel_decl
        | R::datatype_decl
        | R::subtype_decl
        | R::nametype_decl
        | R::assert_decl
        | R::transparent_decl
        | R::external_decl
        | R::print_decl
        | R::include_decl
        | R::clause
        | R::pattern_bind
        | R::step
        | R::module => "a definition",
        R::expr
        | R::seq_expr
        | R::term
        | R::atom
        | R::name
        | R::ident
        | R::int_lit
        | R::char_lit
        | R::string_lit
        | R::kw_true
        | R::kw_false
        | R::paren
        | R::map_lit
        | R::map_open
        | R::set_lit
        | R::event_set
        | R::seq_lit
        | R::op_neg
        | R::op_len
        | R::kw_not
        | R::if_head
        | R::let_head
        | R::lambda_head
        | R::rep_extchoice
        | R::rep_intchoice
        | R::rep_interleave
        | R::rep_seq
        | R::rep_par
        | R::rep_alpha
        | R::rep_linked
        | R::kw_if
        | R::kw_let
        | R::expr_only => "an expression",
        R::op_arrow => "`->`",
        R::op_sub
        | R::op_extchoice
        | R::op_sliding
        | R::op_par
        | R::op_bracket
        | R::op_interleave
        | R::op_intchoice
        | R::op_interrupt
        | R::op_hide
        | R::op_seq
        | R::op_guard
        | R::op_dot
        | R::op_bang
        | R::op_eq
        | R::op_ne
        | R::op_le
        | R::op_ge
        | R::op_lt
        | R::op_gt
        | R::op_add
        | R::op_mul
        | R::op_div
        | R::op_mod
        | R::op_cat
        | R::op_and
        | R::op_or => "an operator",
        R::field_in | R::field_nd => "an input field (`?x`)",
        R::call_args | R::params => "arguments in `( )`",
        R::rename => "a renaming `[[ … ]]`",
        R::pattern
        | R::pat_dot
        | R::pat_cat
        | R::wildcard
        | R::pat_int
        | R::pat_paren
        | R::pat_seq
        | R::pat_set => "a pattern",
        R::eq_sign => "`=`",
        R::at_sign => "`@`",
        R::kw_then => "`then`",
        R::kw_else => "`else`",
        R::kw_within => "`within`",
        R::kw_channel
        | R::kw_datatype
        | R::kw_subtype
        | R::kw_nametype
        | R::kw_assert
        | R::kw_include
        | R::kw_transparent
        | R::kw_external
        | R::kw_print => "a definition",
        R::ctor => "a constructor",
        R::refine_tail | R::refine_op => "a refinement (`[T=`, `[F=`, `[FD=`)",
        R::property_tail | R::trace_tail | R::assert_option => "`:[`",
        R::property | R::prop_deadlock | R::prop_divergence | R::prop_deterministic => {
            "a property (`deadlock free`, `divergence free`, `deterministic`)"
        }
        R::model | R::model_name => "a model (`[T]`, `[F]`, `[FD]`)",
        R::stmts | R::seq_stmts | R::rep_stmts | R::generator | R::seq_generator => {
            "a generator or condition"
        }
        R::rep_generator => "a generator `x : S`",
        R::link => "a link `a <-> b`",
        R::rename_link => "a renaming `a <- b`",
        R::alpha_tail => "`||`",
        R::linked_tail => "`<->`",
        R::range_tail | R::seq_range_tail => "`..`",
        R::list_tail | R::seq_list_tail => "`,`",
        R::map_pair => "a map entry `k => v`",
        R::opt_tau | R::opt_por => "an assertion option",
        _ => return None,
    })
}

fn join_words(words: &[String]) -> String {
    match words {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

fn label_for(expected: &[String]) -> String {
    match expected.first() {
        Some(w) => format!("expected {w} here"),
        None => "unexpected here".to_string(),
    }
}

/// A short description of the text at `at`, for "found …".
fn found_at(text: &str, at: usize) -> String {
    let rest = text.get(at..).unwrap_or("");
    match rest.chars().next() {
        None => "the end of the file".to_string(),
        Some('\n') | Some('\r') => "the end of the line".to_string(),
        Some(_) => format!("`{}`", &rest[..found_len(text, at)]),
    }
}

/// Byte length of the token at `at` (a word, or a run of up to 3 symbols).
fn found_len(text: &str, at: usize) -> usize {
    let rest = text.get(at..).unwrap_or("");
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '\'';
    let mut chars = rest.char_indices();
    let Some((_, first)) = chars.next() else {
        return 0;
    };
    if first.is_whitespace() {
        return 0;
    }
    let mut len = first.len_utf8();
    for (count, (i, c)) in (1..).zip(chars) {
        if c.is_whitespace() || is_word(c) != is_word(first) || (!is_word(c) && count >= 3) {
            break;
        }
        len = i + c.len_utf8();
    }
    len
}

// ------------------------------------------------------------------ lowering

/// Binding strengths, loosest first (FDR's table).
mod prec {
    pub const LOOSE: u8 = 0; // let, if, lambda, replicated
    pub const HIDE: u8 = 1;
    pub const INTERLEAVE: u8 = 2;
    pub const PARALLEL: u8 = 3;
    pub const INT_CHOICE: u8 = 4;
    pub const EXT_CHOICE: u8 = 5;
    pub const INTERRUPT: u8 = 6;
    pub const SLIDING: u8 = 7;
    pub const SEQUENTIAL: u8 = 8;
    pub const PREFIX: u8 = 9; // `->` and `&`, right-assoc
    pub const FIELD: u8 = 10; // `?`, `!`, `$`
    pub const DOT: u8 = 11; // right-assoc
    pub const OR: u8 = 12;
    pub const AND: u8 = 13;
    pub const NOT: u8 = 14;
    pub const COMPARE: u8 = 15;
    pub const ADD: u8 = 16;
    pub const MUL: u8 = 17;
    pub const LENGTH: u8 = 18;
    pub const CONCAT: u8 = 19;
    pub const NEGATE: u8 = 20;
}

/// A prefix operator of the flat expression sequence.
enum PreOp {
    Neg,
    Len,
    Not,
    If(Expr, Expr),
    Let(Vec<Decl>),
    Lambda(Vec<Pattern>),
    Replicated(ReplicatedOp, Vec<Stmt>),
}

impl PreOp {
    fn prec(&self) -> u8 {
        match self {
            PreOp::Neg => prec::NEGATE,
            PreOp::Len => prec::LENGTH,
            PreOp::Not => prec::NOT,
            _ => prec::LOOSE,
        }
    }
}

/// An infix operator of the flat expression sequence.
enum InOp {
    Bin(BinaryOp),
    Proc(ProcOp),
    Parallel(Expr),
    Alpha(Expr, Expr),
    Linked(Vec<Link>, Vec<Stmt>),
    Hide,
    Dot,
    Output,
    Arrow,
    Guard,
}

impl InOp {
    /// Binding strength and whether the operator is right-associative.
    fn prec(&self) -> (u8, bool) {
        match self {
            InOp::Bin(op) => match op {
                BinaryOp::Or => (prec::OR, false),
                BinaryOp::And => (prec::AND, false),
                BinaryOp::Eq
                | BinaryOp::Ne
                | BinaryOp::Lt
                | BinaryOp::Le
                | BinaryOp::Gt
                | BinaryOp::Ge => (prec::COMPARE, false),
                BinaryOp::Add | BinaryOp::Sub => (prec::ADD, false),
                BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => (prec::MUL, false),
                BinaryOp::Concat => (prec::CONCAT, false),
            },
            InOp::Proc(op) => match op {
                ProcOp::Interleave => (prec::INTERLEAVE, false),
                ProcOp::InternalChoice => (prec::INT_CHOICE, false),
                ProcOp::ExternalChoice => (prec::EXT_CHOICE, false),
                ProcOp::Interrupt => (prec::INTERRUPT, false),
                ProcOp::SlidingChoice => (prec::SLIDING, false),
                ProcOp::Sequential => (prec::SEQUENTIAL, false),
            },
            InOp::Parallel(_) | InOp::Alpha(..) | InOp::Linked(..) => (prec::PARALLEL, false),
            InOp::Hide => (prec::HIDE, false),
            InOp::Dot => (prec::DOT, true),
            InOp::Output => (prec::FIELD, false),
            InOp::Arrow | InOp::Guard => (prec::PREFIX, true),
        }
    }
}

/// One element of the flat sequence pest produces for an expression.
enum Item {
    Operand(Expr),
    Prefix(PreOp, Span),
    Postfix(PrefixField, Span),
    Infix(InOp, Span),
}

/// A partial result of the Pratt pass: an expression, or an event with
/// input/output fields still waiting for its `->`.
enum Val {
    E(Expr),
    Chain(Expr, Vec<PrefixField>, Span),
}

type Items = Peekable<std::vec::IntoIter<Item>>;

/// Lowers pest pairs of one declaration (or expression) into the AST.
struct Lower {
    file: FileId,
    /// Offset of the parsed slice in the file.
    base: usize,
    /// Current recursion depth (expressions and operators).
    depth: usize,
}

type R<T> = Result<T, Diagnostic>;

impl Lower {
    fn new(file: FileId, base: usize) -> Lower {
        Lower {
            file,
            base,
            depth: 0,
        }
    }

    fn span(&self, p: &Pair<'_, Rule>) -> Span {
        let s = p.as_span();
        Span::new(self.file, self.base + s.start(), self.base + s.end())
    }

    /// The span of `p` without the whitespace and comments pest includes
    /// after a rule that ends in an unmatched repetition or option.
    fn tight(&self, p: &Pair<'_, Rule>) -> Span {
        let s = p.as_span();
        Span::new(self.file, self.base + s.start(), self.base + tight_end(p))
    }

    fn internal(&self, p: &Pair<'_, Rule>) -> Diagnostic {
        Diagnostic::error(
            CODE,
            format!("internal parser error: unexpected {:?}", p.as_rule()),
            self.span(p),
        )
    }

    fn enter(&mut self, span: Span) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_EXPR_DEPTH {
            return Err(Diagnostic::error(
                CODE,
                format!("expression is nested too deeply (more than {MAX_EXPR_DEPTH} levels)"),
                span,
            )
            .with_help("split the expression into named definitions"));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// The next child that is not punctuation, or an internal error.
    fn next<'i>(&self, it: &mut Pairs<'i, Rule>, parent: Span, what: &str) -> R<Pair<'i, Rule>> {
        it.next().ok_or_else(|| {
            Diagnostic::error(
                CODE,
                format!("internal parser error: missing {what}"),
                parent,
            )
        })
    }

    // ---------------------------------------------------------- declarations

    fn decl(&mut self, p: Pair<'_, Rule>) -> R<Decl> {
        let span = self.tight(&p);
        let kind = match p.as_rule() {
            Rule::channel_decl => self.channel_decl(p)?,
            Rule::datatype_decl => {
                let (name, ctors) = self.datatype_body(p)?;
                DeclKind::Datatype { name, ctors }
            }
            Rule::subtype_decl => {
                let (name, ctors) = self.datatype_body(p)?;
                DeclKind::Subtype { name, ctors }
            }
            Rule::nametype_decl => self.nametype_decl(p)?,
            Rule::assert_decl => DeclKind::Assert(self.assert_decl(p)?),
            Rule::transparent_decl => DeclKind::Transparent(self.names(p)),
            Rule::external_decl => DeclKind::External(self.names(p)),
            Rule::print_decl => DeclKind::Print(self.only_expr(p, span)?),
            Rule::include_decl => self.include_decl(p, span)?,
            Rule::clause => self.clause(p)?,
            Rule::pattern_bind => self.pattern_bind(p)?,
            _ => return Err(self.internal(&p)),
        };
        Ok(Decl { kind, span })
    }

    fn ident(&self, p: &Pair<'_, Rule>) -> Ident {
        Ident {
            name: p.as_str().to_string(),
            span: self.span(p),
        }
    }

    fn names(&self, p: Pair<'_, Rule>) -> Vec<Ident> {
        p.into_inner()
            .filter(|c| c.as_rule() == Rule::name)
            .map(|c| self.ident(&c))
            .collect()
    }

    /// The single `expr` child of `p`.
    fn only_expr(&mut self, p: Pair<'_, Rule>, span: Span) -> R<Expr> {
        match p.into_inner().find(|c| c.as_rule() == Rule::expr) {
            Some(e) => self.expr(e),
            None => Err(Diagnostic::error(
                CODE,
                "internal parser error: missing expression",
                span,
            )),
        }
    }

    fn channel_decl(&mut self, p: Pair<'_, Rule>) -> R<DeclKind> {
        let mut names = Vec::new();
        let mut fields = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::name => names.push(self.ident(&c)),
                Rule::expr => {
                    let ty = self.expr(c)?;
                    fields = match ty.kind {
                        ExprKind::Dotted(parts) if !parenthesised_dotted(&ty.span, &parts) => parts,
                        kind => vec![Expr {
                            kind,
                            span: ty.span,
                        }],
                    };
                }
                _ => {}
            }
        }
        Ok(DeclKind::Channel { names, fields })
    }

    fn datatype_body(&mut self, p: Pair<'_, Rule>) -> R<(Ident, Vec<Constructor>)> {
        let span = self.span(&p);
        let mut name = None;
        let mut ctors = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::name => name = Some(self.ident(&c)),
                Rule::ctor => ctors.push(self.ctor(c)?),
                _ => {}
            }
        }
        let name = name.ok_or_else(|| {
            Diagnostic::error(CODE, "internal parser error: missing type name", span)
        })?;
        Ok((name, ctors))
    }

    fn ctor(&mut self, p: Pair<'_, Rule>) -> R<Constructor> {
        let span = self.tight(&p);
        let mut name = None;
        let mut fields = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::name => name = Some(self.ident(&c)),
                Rule::term => fields.push(self.term(c)?),
                _ => {}
            }
        }
        let name = name.ok_or_else(|| {
            Diagnostic::error(CODE, "internal parser error: missing constructor", span)
        })?;
        Ok(Constructor { name, fields, span })
    }

    fn nametype_decl(&mut self, p: Pair<'_, Rule>) -> R<DeclKind> {
        let span = self.span(&p);
        let mut name = None;
        let mut ty = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::name => name = Some(self.ident(&c)),
                Rule::expr => ty = Some(self.expr(c)?),
                _ => {}
            }
        }
        match (name, ty) {
            (Some(name), Some(ty)) => Ok(DeclKind::Nametype { name, ty }),
            _ => Err(Diagnostic::error(
                CODE,
                "internal parser error: incomplete nametype",
                span,
            )),
        }
    }

    fn include_decl(&mut self, p: Pair<'_, Rule>, span: Span) -> R<DeclKind> {
        match p.into_inner().find(|c| c.as_rule() == Rule::string_lit) {
            Some(s) => Ok(DeclKind::Include(self.string_value(&s)?)),
            None => Err(Diagnostic::error(
                CODE,
                "internal parser error: missing file name",
                span,
            )),
        }
    }

    fn clause(&mut self, p: Pair<'_, Rule>) -> R<DeclKind> {
        let span = self.span(&p);
        let mut name = None;
        let mut params = Vec::new();
        let mut body = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::name => name = Some(self.ident(&c)),
                Rule::params => params.push(self.patterns(c)?),
                Rule::expr => body = Some(self.expr(c)?),
                _ => {}
            }
        }
        match (name, body) {
            (Some(name), Some(body)) => Ok(DeclKind::Clause { name, params, body }),
            _ => Err(Diagnostic::error(
                CODE,
                "internal parser error: incomplete definition",
                span,
            )),
        }
    }

    fn pattern_bind(&mut self, p: Pair<'_, Rule>) -> R<DeclKind> {
        let span = self.span(&p);
        let mut pattern = None;
        let mut body = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::pattern => pattern = Some(self.pattern(c)?),
                Rule::expr => body = Some(self.expr(c)?),
                _ => {}
            }
        }
        match (pattern, body) {
            (Some(pattern), Some(body)) => Ok(DeclKind::PatternBind { pattern, body }),
            _ => Err(Diagnostic::error(
                CODE,
                "internal parser error: incomplete pattern binding",
                span,
            )),
        }
    }

    /// All `pattern` children of `p`.
    fn patterns(&mut self, p: Pair<'_, Rule>) -> R<Vec<Pattern>> {
        p.into_inner()
            .filter(|c| c.as_rule() == Rule::pattern)
            .map(|c| self.pattern(c))
            .collect()
    }

    fn assert_decl(&mut self, p: Pair<'_, Rule>) -> R<Assertion> {
        let span = self.tight(&p);
        let mut negated = false;
        let mut process = None;
        let mut kind = None;
        let mut options = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::kw_not => negated = true,
                Rule::expr => process = Some(self.expr(c)?),
                Rule::refine_tail | Rule::property_tail | Rule::trace_tail => {
                    let Some(left) = process.take() else {
                        return Err(self.internal(&c));
                    };
                    kind = Some(self.assert_tail(c, left)?);
                }
                Rule::assert_option => options.push(self.assert_option(c)?),
                _ => {}
            }
        }
        let kind = kind.ok_or_else(|| {
            Diagnostic::error(CODE, "internal parser error: incomplete assertion", span)
        })?;
        Ok(Assertion {
            negated,
            kind,
            options,
            span,
        })
    }

    fn assert_tail(&mut self, p: Pair<'_, Rule>, left: Expr) -> R<AssertKind> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let mut model = None;
        let mut right = None;
        let mut property = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::refine_op => model = Some(model_of(c.as_str())),
                Rule::model => model = Some(model_of(c.as_str())),
                Rule::expr => right = Some(self.expr(c)?),
                Rule::property => property = Some(property_of(&c)),
                _ => {}
            }
        }
        let missing =
            || Diagnostic::error(CODE, "internal parser error: incomplete assertion", span);
        Ok(match rule {
            Rule::refine_tail => AssertKind::Refinement {
                spec: left,
                model: model.ok_or_else(missing)?,
                implementation: right.ok_or_else(missing)?,
            },
            Rule::property_tail => AssertKind::Property {
                process: left,
                property: property.ok_or_else(missing)?,
                model,
            },
            _ => AssertKind::HasTrace {
                process: left,
                model,
                trace: right.ok_or_else(missing)?,
            },
        })
    }

    fn assert_option(&mut self, p: Pair<'_, Rule>) -> R<AssertOption> {
        let span = self.span(&p);
        let mut inner = p.into_inner();
        let opt = self.next(&mut inner, span, "assertion option")?;
        match opt.as_rule() {
            Rule::opt_tau => Ok(AssertOption::TauPriority(self.only_expr(opt, span)?)),
            _ => Ok(AssertOption::PartialOrderReduce),
        }
    }

    // ---------------------------------------------------------- expressions

    fn expr(&mut self, p: Pair<'_, Rule>) -> R<Expr> {
        let whole = self.tight(&p);
        self.enter(whole)?;
        let mut items = Vec::new();
        for c in p.into_inner() {
            items.push(self.item(c)?);
        }
        let mut it = items.into_iter().peekable();
        let v = self.pratt(&mut it, prec::LOOSE, whole)?;
        if let Some(rest) = it.next() {
            let span = match rest {
                Item::Operand(e) => e.span,
                Item::Prefix(_, s) | Item::Postfix(_, s) | Item::Infix(_, s) => s,
            };
            return Err(Diagnostic::error(
                CODE,
                "internal parser error: operator sequence not consumed",
                span,
            ));
        }
        self.leave();
        close(v)
    }

    /// Lowers one element of an expression's flat sequence.
    fn item(&mut self, p: Pair<'_, Rule>) -> R<Item> {
        let span = self.tight(&p);
        let bin = |op| Ok(Item::Infix(InOp::Bin(op), span));
        let proc = |op| Ok(Item::Infix(InOp::Proc(op), span));
        match p.as_rule() {
            Rule::term => Ok(Item::Operand(self.term(p)?)),
            Rule::field_in | Rule::field_nd => Ok(Item::Postfix(self.field(p)?, span)),
            Rule::op_neg => Ok(Item::Prefix(PreOp::Neg, span)),
            Rule::op_len => Ok(Item::Prefix(PreOp::Len, span)),
            Rule::kw_not => Ok(Item::Prefix(PreOp::Not, span)),
            Rule::if_head => self.if_head(p),
            Rule::let_head => self.let_head(p),
            Rule::lambda_head => Ok(Item::Prefix(PreOp::Lambda(self.patterns(p)?), span)),
            Rule::rep_extchoice
            | Rule::rep_intchoice
            | Rule::rep_interleave
            | Rule::rep_seq
            | Rule::rep_par
            | Rule::rep_alpha
            | Rule::rep_linked => self.rep_head(p),
            Rule::op_arrow => Ok(Item::Infix(InOp::Arrow, span)),
            Rule::op_guard => Ok(Item::Infix(InOp::Guard, span)),
            Rule::op_dot => Ok(Item::Infix(InOp::Dot, span)),
            Rule::op_bang => Ok(Item::Infix(InOp::Output, span)),
            Rule::op_hide => Ok(Item::Infix(InOp::Hide, span)),
            Rule::op_par => {
                let a = self.only_expr(p, span)?;
                Ok(Item::Infix(InOp::Parallel(a), span))
            }
            Rule::op_bracket => self.bracket_op(p),
            Rule::op_extchoice => proc(ProcOp::ExternalChoice),
            Rule::op_intchoice => proc(ProcOp::InternalChoice),
            Rule::op_interleave => proc(ProcOp::Interleave),
            Rule::op_seq => proc(ProcOp::Sequential),
            Rule::op_interrupt => proc(ProcOp::Interrupt),
            Rule::op_sliding => proc(ProcOp::SlidingChoice),
            Rule::op_sub => bin(BinaryOp::Sub),
            Rule::op_add => bin(BinaryOp::Add),
            Rule::op_mul => bin(BinaryOp::Mul),
            Rule::op_div => bin(BinaryOp::Div),
            Rule::op_mod => bin(BinaryOp::Mod),
            Rule::op_eq => bin(BinaryOp::Eq),
            Rule::op_ne => bin(BinaryOp::Ne),
            Rule::op_lt => bin(BinaryOp::Lt),
            Rule::op_le => bin(BinaryOp::Le),
            Rule::op_gt => bin(BinaryOp::Gt),
            Rule::op_ge => bin(BinaryOp::Ge),
            Rule::op_and => bin(BinaryOp::And),
            Rule::op_or => bin(BinaryOp::Or),
            Rule::op_cat => bin(BinaryOp::Concat),
            _ => Err(self.internal(&p)),
        }
    }

    fn if_head(&mut self, p: Pair<'_, Rule>) -> R<Item> {
        let span = self.span(&p);
        let mut exprs = Vec::new();
        for c in p.into_inner() {
            if c.as_rule() == Rule::expr {
                exprs.push(self.expr(c)?);
            }
        }
        let mut it = exprs.into_iter();
        match (it.next(), it.next()) {
            (Some(c), Some(a)) => Ok(Item::Prefix(PreOp::If(c, a), span)),
            _ => Err(Diagnostic::error(
                CODE,
                "internal parser error: incomplete `if`",
                span,
            )),
        }
    }

    fn let_head(&mut self, p: Pair<'_, Rule>) -> R<Item> {
        let span = self.span(&p);
        let mut decls = Vec::new();
        for c in p.into_inner() {
            if matches!(c.as_rule(), Rule::clause | Rule::pattern_bind) {
                decls.push(self.decl(c)?);
            }
        }
        Ok(Item::Prefix(PreOp::Let(decls), span))
    }

    fn rep_head(&mut self, p: Pair<'_, Rule>) -> R<Item> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let mut stmts = Vec::new();
        let mut exprs = Vec::new();
        let mut links = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::rep_stmts => stmts = self.stmts(c)?,
                Rule::expr => exprs.push(self.expr(c)?),
                Rule::link => links.push(self.link(c)?),
                _ => {}
            }
        }
        let missing = || Diagnostic::error(CODE, "internal parser error: missing set", span);
        let op = match rule {
            Rule::rep_extchoice => ReplicatedOp::ExternalChoice,
            Rule::rep_intchoice => ReplicatedOp::InternalChoice,
            Rule::rep_interleave => ReplicatedOp::Interleave,
            Rule::rep_seq => ReplicatedOp::Sequential,
            Rule::rep_par => ReplicatedOp::Parallel(Box::new(exprs.pop().ok_or_else(missing)?)),
            Rule::rep_alpha => {
                ReplicatedOp::AlphaParallel(Box::new(exprs.pop().ok_or_else(missing)?))
            }
            _ => ReplicatedOp::Linked(links),
        };
        Ok(Item::Prefix(PreOp::Replicated(op, stmts), span))
    }

    fn bracket_op(&mut self, p: Pair<'_, Rule>) -> R<Item> {
        let span = self.span(&p);
        let mut inner = p.into_inner();
        let first = self.next(&mut inner, span, "expression")?;
        let first = self.expr(first)?;
        let tail = self.next(&mut inner, span, "`||` or `<->`")?;
        match tail.as_rule() {
            Rule::alpha_tail => {
                let b = self.only_expr(tail, span)?;
                Ok(Item::Infix(InOp::Alpha(first, b), span))
            }
            _ => {
                let mut links = Vec::new();
                let mut stmts = Vec::new();
                let mut pending = Some(first);
                for c in tail.into_inner() {
                    match c.as_rule() {
                        Rule::expr => {
                            let right = self.expr(c)?;
                            match pending.take() {
                                Some(left) => links.push(Link { left, right }),
                                None => return Err(self.internal_span(span)),
                            }
                        }
                        Rule::link => links.push(self.link(c)?),
                        Rule::stmts => stmts = self.stmts(c)?,
                        _ => {}
                    }
                }
                Ok(Item::Infix(InOp::Linked(links, stmts), span))
            }
        }
    }

    fn internal_span(&self, span: Span) -> Diagnostic {
        Diagnostic::error(CODE, "internal parser error: malformed operator", span)
    }

    fn link(&mut self, p: Pair<'_, Rule>) -> R<Link> {
        let span = self.span(&p);
        let mut exprs = Vec::new();
        for c in p.into_inner() {
            if c.as_rule() == Rule::expr {
                exprs.push(self.expr(c)?);
            }
        }
        let mut it = exprs.into_iter();
        match (it.next(), it.next()) {
            (Some(left), Some(right)) => Ok(Link { left, right }),
            _ => Err(self.internal_span(span)),
        }
    }

    /// `?p`, `?p:S`, `$p`, `$p:S`.
    fn field(&mut self, p: Pair<'_, Rule>) -> R<PrefixField> {
        let span = self.span(&p);
        let nondet = p.as_rule() == Rule::field_nd;
        let mut pattern = None;
        let mut restriction = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::pattern => pattern = Some(self.pattern(c)?),
                Rule::term => restriction = Some(self.term(c)?),
                _ => {}
            }
        }
        let pattern = pattern.ok_or_else(|| self.internal_span(span))?;
        Ok(if nondet {
            PrefixField::NondetInput {
                pattern,
                restriction,
            }
        } else {
            PrefixField::Input {
                pattern,
                restriction,
            }
        })
    }

    /// Applies FDR's binding table to the flat sequence (precedence climbing).
    fn pratt(&mut self, it: &mut Items, min: u8, whole: Span) -> R<Val> {
        self.enter(whole)?;
        let mut lhs = match it.next() {
            Some(Item::Operand(e)) => Val::E(e),
            Some(Item::Prefix(op, span)) => {
                let operand = self.pratt(it, op.prec(), whole)?;
                Val::E(apply_prefix(op, span, close(operand)?))
            }
            Some(Item::Infix(_, span)) | Some(Item::Postfix(_, span)) => {
                return Err(self.internal_span(span))
            }
            None => return Err(self.internal_span(whole)),
        };
        loop {
            let (p, right) = match it.peek() {
                Some(Item::Postfix(..)) => (prec::FIELD, false),
                Some(Item::Infix(op, _)) => op.prec(),
                _ => break,
            };
            if p < min {
                break;
            }
            match it.next() {
                Some(Item::Postfix(field, span)) => lhs = add_field(lhs, field, span),
                Some(Item::Infix(op, span)) => {
                    let rhs = self.pratt(it, if right { p } else { p + 1 }, whole)?;
                    lhs = combine(op, span, lhs, rhs)?;
                }
                _ => break,
            }
        }
        self.leave();
        Ok(lhs)
    }

    /// An atom followed by its applications and renamings.
    fn term(&mut self, p: Pair<'_, Rule>) -> R<Expr> {
        let span = self.span(&p);
        self.enter(span)?;
        let mut inner = p.into_inner();
        let first = self.next(&mut inner, span, "operand")?;
        let mut cur = self.atom(first)?;
        for post in inner {
            let pspan = self.span(&post);
            let whole = cur.span.to(pspan);
            match post.as_rule() {
                Rule::call_args => {
                    let mut args = Vec::new();
                    for c in post.into_inner() {
                        if c.as_rule() == Rule::expr {
                            args.push(self.expr(c)?);
                        }
                    }
                    cur = Expr {
                        kind: ExprKind::Apply(Box::new(cur), args),
                        span: whole,
                    };
                }
                Rule::rename => {
                    let mut links = Vec::new();
                    let mut stmts = Vec::new();
                    for c in post.into_inner() {
                        match c.as_rule() {
                            Rule::rename_link => links.push(self.link(c)?),
                            Rule::stmts => stmts = self.stmts(c)?,
                            _ => {}
                        }
                    }
                    cur = Expr {
                        kind: ExprKind::Rename(Box::new(cur), links, stmts),
                        span: whole,
                    };
                }
                _ => return Err(self.internal(&post)),
            }
        }
        self.leave();
        Ok(cur)
    }

    fn atom(&mut self, p: Pair<'_, Rule>) -> R<Expr> {
        let span = self.span(&p);
        let mut inner = p.into_inner();
        let a = self.next(&mut inner, span, "operand")?;
        let kind = match a.as_rule() {
            Rule::int_lit => ExprKind::Int(self.int_value(&a)?),
            Rule::char_lit => ExprKind::Char(self.char_value(&a)?),
            Rule::string_lit => ExprKind::Str(self.string_value(&a)?),
            Rule::kw_true => ExprKind::Bool(true),
            Rule::kw_false => ExprKind::Bool(false),
            Rule::name => ExprKind::Name(self.ident(&a)),
            Rule::paren => {
                let mut exprs = self.exprs(a)?;
                if exprs.len() == 1 {
                    if let Some(mut e) = exprs.pop() {
                        // Keep the parentheses in the span: `(a.b)` stays one field.
                        e.span = span;
                        return Ok(e);
                    }
                }
                ExprKind::Tuple(exprs)
            }
            Rule::map_lit => {
                let mut pairs = Vec::new();
                for c in a.into_inner() {
                    if c.as_rule() == Rule::map_pair {
                        let l = self.link(c)?;
                        pairs.push((l.left, l.right));
                    }
                }
                ExprKind::MapEnum(pairs)
            }
            Rule::event_set => {
                let mut exprs = Vec::new();
                let mut stmts = None;
                for c in a.into_inner() {
                    match c.as_rule() {
                        Rule::expr => exprs.push(self.expr(c)?),
                        Rule::stmts => stmts = Some(self.stmts(c)?),
                        _ => {}
                    }
                }
                match stmts {
                    Some(s) => ExprKind::EventSetComp(exprs, s),
                    None => ExprKind::EventSet(exprs),
                }
            }
            Rule::set_lit | Rule::seq_lit => self.collection(a)?,
            _ => return Err(self.internal(&a)),
        };
        Ok(Expr { kind, span })
    }

    /// All `expr` children of `p`.
    fn exprs(&mut self, p: Pair<'_, Rule>) -> R<Vec<Expr>> {
        let mut out = Vec::new();
        for c in p.into_inner() {
            if matches!(c.as_rule(), Rule::expr | Rule::seq_expr) {
                out.push(self.expr(c)?);
            }
        }
        Ok(out)
    }

    /// `{…}` and `<…>`: enumeration, range or comprehension.
    fn collection(&mut self, p: Pair<'_, Rule>) -> R<ExprKind> {
        let is_set = p.as_rule() == Rule::set_lit;
        let mut first = None;
        let mut kind = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::expr | Rule::seq_expr => first = Some(self.expr(c)?),
                Rule::range_tail | Rule::seq_range_tail => {
                    let from = Box::new(first.take().ok_or_else(|| self.internal(&c))?);
                    let to = self.exprs(c)?.pop().map(Box::new);
                    kind = Some(if is_set {
                        ExprKind::SetRange(from, to)
                    } else {
                        ExprKind::SeqRange(from, to)
                    });
                }
                Rule::list_tail | Rule::seq_list_tail => {
                    let mut items: Vec<Expr> = first.take().into_iter().collect();
                    let mut stmts = None;
                    for d in c.into_inner() {
                        match d.as_rule() {
                            Rule::expr | Rule::seq_expr => items.push(self.expr(d)?),
                            Rule::stmts | Rule::seq_stmts => stmts = Some(self.stmts(d)?),
                            _ => {}
                        }
                    }
                    kind = Some(match (stmts, is_set) {
                        (Some(s), true) => ExprKind::SetComp(items, s),
                        (Some(s), false) => ExprKind::SeqComp(items, s),
                        (None, true) => ExprKind::SetEnum(items),
                        (None, false) => ExprKind::SeqEnum(items),
                    });
                }
                _ => {}
            }
        }
        Ok(kind.unwrap_or(if is_set {
            ExprKind::SetEnum(Vec::new())
        } else {
            ExprKind::SeqEnum(Vec::new())
        }))
    }

    /// Comprehension statements and replicated-operator generators.
    fn stmts(&mut self, p: Pair<'_, Rule>) -> R<Vec<Stmt>> {
        let mut out = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::generator | Rule::seq_generator | Rule::rep_generator => {
                    let span = self.span(&c);
                    let mut pattern = None;
                    let mut source = None;
                    for d in c.into_inner() {
                        match d.as_rule() {
                            Rule::pattern => pattern = Some(self.pattern(d)?),
                            Rule::expr | Rule::seq_expr => source = Some(self.expr(d)?),
                            _ => {}
                        }
                    }
                    match (pattern, source) {
                        (Some(pattern), Some(source)) => {
                            out.push(Stmt::Generator { pattern, source })
                        }
                        _ => return Err(self.internal_span(span)),
                    }
                }
                Rule::expr | Rule::seq_expr => out.push(Stmt::Guard(self.expr(c)?)),
                _ => {}
            }
        }
        Ok(out)
    }

    // ---------------------------------------------------------- literals

    fn int_value(&self, p: &Pair<'_, Rule>) -> R<i64> {
        p.as_str().parse::<i64>().map_err(|_| {
            Diagnostic::error(CODE, "integer literal is too large", self.span(p))
                .with_label_text(format!("the largest integer is {}", i64::MAX))
        })
    }

    fn char_value(&self, p: &Pair<'_, Rule>) -> R<char> {
        let s = p.as_str();
        let body = s.get(1..s.len().saturating_sub(1)).unwrap_or("");
        let text = unescape(body);
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => Ok(c),
            _ => Err(Diagnostic::error(
                CODE,
                "malformed character literal",
                self.span(p),
            )),
        }
    }

    fn string_value(&self, p: &Pair<'_, Rule>) -> R<String> {
        let s = p.as_str();
        Ok(unescape(s.get(1..s.len().saturating_sub(1)).unwrap_or("")))
    }

    // ---------------------------------------------------------- patterns

    fn pattern(&mut self, p: Pair<'_, Rule>) -> R<Pattern> {
        let span = self.tight(&p);
        self.enter(span)?;
        let rule = p.as_rule();
        let mut parts = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::pattern | Rule::pat_dot | Rule::pat_cat => parts.push(self.pattern(c)?),
                Rule::op_dot => {}
                _ => parts.push(self.pat_atom(c)?),
            }
        }
        self.leave();
        if parts.len() == 1 {
            if let Some(only) = parts.pop() {
                return Ok(only);
            }
        }
        let kind = match rule {
            Rule::pattern => {
                // `p @@ q @@ r` nests to the right.
                let mut it = parts.into_iter().rev();
                let mut acc = it.next().ok_or_else(|| self.internal_span(span))?;
                for left in it {
                    let s = left.span.to(acc.span);
                    acc = Pattern {
                        kind: PatternKind::Both(Box::new(left), Box::new(acc)),
                        span: s,
                    };
                }
                return Ok(acc);
            }
            Rule::pat_dot => PatternKind::Dotted(parts),
            _ => PatternKind::Concat(parts),
        };
        Ok(Pattern { kind, span })
    }

    fn pat_atom(&mut self, p: Pair<'_, Rule>) -> R<Pattern> {
        let span = self.tight(&p);
        let kind = match p.as_rule() {
            Rule::wildcard => PatternKind::Wildcard,
            Rule::pat_int => PatternKind::Int(self.int_value(&p)?),
            Rule::char_lit => PatternKind::Char(self.char_value(&p)?),
            Rule::string_lit => PatternKind::Str(self.string_value(&p)?),
            Rule::kw_true => PatternKind::Bool(true),
            Rule::kw_false => PatternKind::Bool(false),
            Rule::name => PatternKind::Name(self.ident(&p)),
            Rule::pat_paren => {
                let mut ps = self.patterns(p)?;
                if ps.len() == 1 {
                    if let Some(mut only) = ps.pop() {
                        only.span = span;
                        return Ok(only);
                    }
                }
                PatternKind::Tuple(ps)
            }
            Rule::pat_seq => PatternKind::Seq(self.patterns(p)?),
            Rule::pat_set => PatternKind::Set(self.patterns(p)?),
            _ => return Err(self.internal(&p)),
        };
        Ok(Pattern { kind, span })
    }
}

/// The end of the last token of `p` (see [`Lower::tight`]), relative to
/// the parsed slice.
fn tight_end(p: &Pair<'_, Rule>) -> usize {
    let end = p.as_span().end();
    let Some(last) = p.clone().into_inner().last() else {
        return end;
    };
    let e = tight_end(&last);
    let input = p.get_input();
    if skip_trivia(input, e) >= end {
        e
    } else {
        end
    }
}

/// The first position at or after `at` that is not whitespace or a comment.
fn skip_trivia(text: &str, mut at: usize) -> usize {
    let bytes = text.as_bytes();
    loop {
        match bytes.get(at) {
            Some(b' ' | b'\t' | b'\r' | b'\n') => at += 1,
            Some(b'-') if bytes.get(at + 1) == Some(&b'-') => {
                while at < bytes.len() && bytes[at] != b'\n' {
                    at += 1;
                }
            }
            Some(b'{') if bytes.get(at + 1) == Some(&b'-') => {
                let mut depth = 0usize;
                while at < bytes.len() {
                    if bytes[at] == b'{' && bytes.get(at + 1) == Some(&b'-') {
                        depth += 1;
                        at += 2;
                    } else if bytes[at] == b'-' && bytes.get(at + 1) == Some(&b'}') {
                        depth -= 1;
                        at += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        at += 1;
                    }
                }
            }
            _ => return at,
        }
    }
}

/// Whether a dotted expression was written in parentheses (its span then
/// starts before its first part).
fn parenthesised_dotted(span: &Span, parts: &[Expr]) -> bool {
    parts.first().is_some_and(|f| f.span.start > span.start)
}

/// The parts of `e` if it is an unparenthesised dotted expression.
fn dotted_parts(e: Expr) -> Vec<Expr> {
    match e.kind {
        ExprKind::Dotted(parts) if !parenthesised_dotted(&e.span, &parts) => parts,
        kind => vec![Expr { kind, span: e.span }],
    }
}

fn close(v: Val) -> R<Expr> {
    match v {
        Val::E(e) => Ok(e),
        Val::Chain(_, _, span) => Err(Diagnostic::error(
            CODE,
            "an event with `?`, `!` or `$` fields must be followed by `->`",
            span,
        )
        .with_label_text("expected `->` after this")),
    }
}

fn apply_prefix(op: PreOp, span: Span, operand: Expr) -> Expr {
    let whole = span.to(operand.span);
    let kind = match op {
        PreOp::Neg => match operand.kind {
            ExprKind::Int(n) => ExprKind::Int(-n),
            kind => ExprKind::Unary(
                UnaryOp::Neg,
                Box::new(Expr {
                    kind,
                    span: operand.span,
                }),
            ),
        },
        PreOp::Len => ExprKind::Unary(UnaryOp::Length, Box::new(operand)),
        PreOp::Not => ExprKind::Unary(UnaryOp::Not, Box::new(operand)),
        PreOp::If(c, a) => ExprKind::If(Box::new(c), Box::new(a), Box::new(operand)),
        PreOp::Let(decls) => ExprKind::Let(decls, Box::new(operand)),
        PreOp::Lambda(ps) => ExprKind::Lambda(ps, Box::new(operand)),
        PreOp::Replicated(op, stmts) => ExprKind::Replicated(op, stmts, Box::new(operand)),
    };
    Expr { kind, span: whole }
}

fn add_field(lhs: Val, field: PrefixField, span: Span) -> Val {
    match lhs {
        Val::E(e) => {
            let s = e.span.to(span);
            Val::Chain(e, vec![field], s)
        }
        Val::Chain(head, mut fields, s) => {
            fields.push(field);
            Val::Chain(head, fields, s.to(span))
        }
    }
}

fn combine(op: InOp, span: Span, lhs: Val, rhs: Val) -> R<Val> {
    let rhs_span = match &rhs {
        Val::E(e) => e.span,
        Val::Chain(_, _, s) => *s,
    };
    match op {
        InOp::Dot => {
            let r = close(rhs)?;
            match lhs {
                Val::Chain(head, mut fields, s) => {
                    let s = s.to(r.span);
                    fields.push(PrefixField::Dot(r));
                    Ok(Val::Chain(head, fields, s))
                }
                Val::E(l) => {
                    let s = l.span.to(r.span);
                    let mut parts = dotted_parts(l);
                    parts.extend(dotted_parts(r));
                    Ok(Val::E(Expr {
                        kind: ExprKind::Dotted(parts),
                        span: s,
                    }))
                }
            }
        }
        InOp::Output => {
            let r = close(rhs)?;
            Ok(add_field(lhs, PrefixField::Output(r), span.to(rhs_span)))
        }
        InOp::Arrow => {
            let body = close(rhs)?;
            let (channel, fields, s) = match lhs {
                Val::E(e) => {
                    let s = e.span;
                    let mut parts = dotted_parts(e).into_iter();
                    let Some(head) = parts.next() else {
                        return Err(Diagnostic::error(
                            CODE,
                            "internal parser error: empty event",
                            s,
                        ));
                    };
                    (head, parts.map(PrefixField::Dot).collect(), s)
                }
                Val::Chain(head, fields, s) => {
                    let mut parts = dotted_parts(head).into_iter();
                    let Some(h) = parts.next() else {
                        return Err(Diagnostic::error(
                            CODE,
                            "internal parser error: empty event",
                            s,
                        ));
                    };
                    let mut all: Vec<PrefixField> = parts.map(PrefixField::Dot).collect();
                    all.extend(fields);
                    (h, all, s)
                }
            };
            let whole = s.to(body.span);
            Ok(Val::E(Expr {
                kind: ExprKind::Prefix {
                    channel: Box::new(channel),
                    fields,
                    body: Box::new(body),
                },
                span: whole,
            }))
        }
        op => {
            let l = close(lhs)?;
            let r = close(rhs)?;
            let whole = l.span.to(r.span);
            let (l, r) = (Box::new(l), Box::new(r));
            let kind = match op {
                InOp::Bin(b) => ExprKind::Binary(b, l, r),
                InOp::Proc(p) => ExprKind::ProcBinary(p, l, r),
                InOp::Parallel(a) => ExprKind::Parallel(l, Box::new(a), r),
                InOp::Alpha(a, b) => ExprKind::AlphaParallel(l, Box::new(a), Box::new(b), r),
                InOp::Linked(links, stmts) => ExprKind::Linked(l, links, stmts, r),
                InOp::Hide => ExprKind::Hide(l, r),
                InOp::Guard => ExprKind::Guard(l, r),
                InOp::Dot | InOp::Output | InOp::Arrow => {
                    return Err(Diagnostic::error(
                        CODE,
                        "internal parser error: misplaced operator",
                        span,
                    ))
                }
            };
            Ok(Val::E(Expr { kind, span: whole }))
        }
    }
}

fn model_of(text: &str) -> Model {
    if text.contains("FD") {
        Model::FailuresDivergences
    } else if text.contains('F') {
        Model::Failures
    } else {
        Model::Traces
    }
}

fn property_of(p: &Pair<'_, Rule>) -> Property {
    match p.clone().into_inner().next().map(|c| c.as_rule()) {
        Some(Rule::prop_deadlock) => Property::DeadlockFree,
        Some(Rule::prop_divergence) => Property::DivergenceFree,
        _ => Property::Deterministic,
    }
}

/// Resolves backslash escapes in a string or character literal body.
fn unescape(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}
