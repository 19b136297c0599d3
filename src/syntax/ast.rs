//! The typed syntax tree of a CSPM script.
//!
//! Produced by the parser from pest pairs; every node carries its byte
//! [`Span`]. Processes are ordinary expressions (CSPM processes are values),
//! so one [`Expr`] type covers the functional language and the process
//! operators alike.

use super::span::Span;
use serde::Serialize;

/// A name as written, with where it was written.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Ident {
    /// The identifier text (may end in `'`).
    pub name: String,
    /// Where it stands in the source.
    pub span: Span,
}

/// A whole script: its declarations in source order (includes spliced in).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Module {
    /// Top-level declarations.
    pub decls: Vec<Decl>,
}

/// A declaration with its span.
#[derive(Clone, Debug, Serialize)]
pub struct Decl {
    /// What is declared.
    pub kind: DeclKind,
    /// The whole declaration.
    pub span: Span,
}

/// The declaration forms of CSPM.
#[derive(Clone, Debug, Serialize)]
pub enum DeclKind {
    /// `channel a, b : T1.T2` — `fields` holds one type expression per dotted field.
    Channel {
        /// Channel names.
        names: Vec<Ident>,
        /// Field types (`{0..3}`, `Bool`, …), empty for bare events.
        fields: Vec<Expr>,
    },
    /// `datatype T = A | B.{0..2} | C.T`.
    Datatype {
        /// Type name.
        name: Ident,
        /// Constructors in declaration order.
        ctors: Vec<Constructor>,
    },
    /// `subtype T = A | B.{0}`.
    Subtype {
        /// Type name.
        name: Ident,
        /// Constructors (restricted) in declaration order.
        ctors: Vec<Constructor>,
    },
    /// `nametype T = expr`.
    Nametype {
        /// Type name.
        name: Ident,
        /// The type expression (a set, possibly dotted).
        ty: Expr,
    },
    /// One clause `f(p1, p2)(q) = body`, or a constant `x = body` (no parameter lists).
    /// Clauses of one function stand next to each other; resolution groups them.
    Clause {
        /// The defined name.
        name: Ident,
        /// Parameter lists (curried: `f(a)(b)` has two); empty for a constant.
        params: Vec<Vec<Pattern>>,
        /// The right-hand side.
        body: Expr,
    },
    /// `(a, b) = expr` or another pattern binding at the top level or in `let`.
    PatternBind {
        /// The pattern bound.
        pattern: Pattern,
        /// The right-hand side.
        body: Expr,
    },
    /// `assert …` / `assert not …`.
    Assert(Assertion),
    /// `transparent normal, sbisim`.
    Transparent(Vec<Ident>),
    /// `external prioritise`.
    External(Vec<Ident>),
    /// `print expr`.
    Print(Expr),
    /// `include "file.csp"` (kept after splicing, for reference).
    Include(String),
}

/// One datatype constructor `Name.T1.T2`.
#[derive(Clone, Debug, Serialize)]
pub struct Constructor {
    /// Constructor name.
    pub name: Ident,
    /// Field type expressions.
    pub fields: Vec<Expr>,
    /// The whole constructor.
    pub span: Span,
}

/// An `assert` line.
#[derive(Clone, Debug, Serialize)]
pub struct Assertion {
    /// `assert not …`: the property is expected to fail.
    pub negated: bool,
    /// What is asserted.
    pub kind: AssertKind,
    /// Options such as `:[tau priority over]: A` or `:[partial order reduce]`.
    pub options: Vec<AssertOption>,
    /// The whole assertion.
    pub span: Span,
}

/// Semantic models of CSP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Model {
    /// Traces.
    Traces,
    /// Stable failures.
    Failures,
    /// Failures-divergences.
    FailuresDivergences,
}

/// Properties checked by `P :[property]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Property {
    /// `:[deadlock free]`.
    DeadlockFree,
    /// `:[divergence free]` / `:[livelock free]`.
    DivergenceFree,
    /// `:[deterministic]`.
    Deterministic,
}

/// The body of an assertion.
#[derive(Clone, Debug, Serialize)]
pub enum AssertKind {
    /// `spec [T= impl`, `[F=`, `[FD=`.
    Refinement {
        /// The specification.
        spec: Expr,
        /// The model.
        model: Model,
        /// The implementation.
        implementation: Expr,
    },
    /// `P :[deadlock free [F]]` and friends; `model` is `None` when not written.
    Property {
        /// The process.
        process: Expr,
        /// Which property.
        property: Property,
        /// `[F]`, `[FD]` or `[T]` when written.
        model: Option<Model>,
    },
    /// `P :[has trace [T]]: <a, b>`.
    HasTrace {
        /// The process.
        process: Expr,
        /// The model when written.
        model: Option<Model>,
        /// The trace (a sequence expression).
        trace: Expr,
    },
}

/// Options after an assertion.
#[derive(Clone, Debug, Serialize)]
pub enum AssertOption {
    /// `:[tau priority over]: A`.
    TauPriority(Expr),
    /// `:[partial order reduce]` (accepted, ignored).
    PartialOrderReduce,
}

/// A pattern with its span.
#[derive(Clone, Debug, Serialize)]
pub struct Pattern {
    /// The pattern form.
    pub kind: PatternKind,
    /// Where it stands.
    pub span: Span,
}

/// Pattern forms.
#[derive(Clone, Debug, Serialize)]
pub enum PatternKind {
    /// `_`.
    Wildcard,
    /// A name: binds a variable, unless it names a constructor or channel
    /// (resolution decides; the evaluator matches constructors by equality).
    Name(Ident),
    /// Integer literal (possibly negative).
    Int(i64),
    /// `true` / `false`.
    Bool(bool),
    /// Character literal.
    Char(char),
    /// String literal.
    Str(String),
    /// `(p, q)`.
    Tuple(Vec<Pattern>),
    /// `p.q.r` (left to right).
    Dotted(Vec<Pattern>),
    /// `<p, q>` (possibly empty).
    Seq(Vec<Pattern>),
    /// `p ^ q ^ r`: concatenation, at most one part not of fixed length.
    Concat(Vec<Pattern>),
    /// `{}` or `{p}`.
    Set(Vec<Pattern>),
    /// `p @@ q`: both match.
    Both(Box<Pattern>, Box<Pattern>),
}

/// An expression with its span.
#[derive(Clone, Debug, Serialize)]
pub struct Expr {
    /// The expression form.
    pub kind: ExprKind,
    /// Where it stands.
    pub span: Span,
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum UnaryOp {
    /// `-e`.
    Neg,
    /// `not e`.
    Not,
    /// `#s` (sequence length).
    Length,
}

/// Binary operators of the functional language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum BinaryOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/` (floored)
    Div,
    /// `%` (floored)
    Mod,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `and`
    And,
    /// `or`
    Or,
    /// `^` (sequence concatenation)
    Concat,
}

/// Binary process operators without an extra argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum ProcOp {
    /// `[]`
    ExternalChoice,
    /// `|~|`
    InternalChoice,
    /// `|||`
    Interleave,
    /// `;`
    Sequential,
    /// `/\`
    Interrupt,
    /// `[>` (sliding choice / timeout)
    SlidingChoice,
}

/// The operator of a replicated form `op x:S @ P`.
#[derive(Clone, Debug, Serialize)]
pub enum ReplicatedOp {
    /// `[] x:S @ P`
    ExternalChoice,
    /// `|~| x:S @ P`
    InternalChoice,
    /// `||| x:S @ P`
    Interleave,
    /// `; x:<s> @ P`
    Sequential,
    /// `[| A |] x:S @ P`
    Parallel(Box<Expr>),
    /// `|| x:S @ [A(x)] P` (the alphabet is evaluated per generator binding)
    AlphaParallel(Box<Expr>),
    /// `[a <-> b] x:<s> @ P`
    Linked(Vec<Link>),
}

/// A pair `a <-> b` or `a <- b` (renaming), possibly with generators.
#[derive(Clone, Debug, Serialize)]
pub struct Link {
    /// Left-hand event (pattern-like expression).
    pub left: Expr,
    /// Right-hand event.
    pub right: Expr,
}

/// One field of a prefix: `!e`, `.e`, `?p`, `?p:S`, `$p`, `$p:S`.
#[derive(Clone, Debug, Serialize)]
pub enum PrefixField {
    /// `!e`
    Output(Expr),
    /// `.e`
    Dot(Expr),
    /// `?p` or `?p:S`
    Input {
        /// Bound pattern.
        pattern: Pattern,
        /// Restriction set, if given.
        restriction: Option<Expr>,
    },
    /// `$p` or `$p:S` (nondeterministic input).
    NondetInput {
        /// Bound pattern.
        pattern: Pattern,
        /// Restriction set, if given.
        restriction: Option<Expr>,
    },
}

/// A statement in a comprehension or the generators of a replicated operator.
#[derive(Clone, Debug, Serialize)]
pub enum Stmt {
    /// `p <- S` (comprehension) or `p : S` (replicated operator).
    Generator {
        /// Bound pattern.
        pattern: Pattern,
        /// The set or sequence drawn from.
        source: Expr,
    },
    /// A boolean filter.
    Guard(Expr),
}

/// Expression forms (functional language and processes).
#[derive(Clone, Debug, Serialize)]
pub enum ExprKind {
    /// Integer literal.
    Int(i64),
    /// `true` / `false`.
    Bool(bool),
    /// Character literal `'a'`.
    Char(char),
    /// String literal `"abc"`.
    Str(String),
    /// A name (variable, constant, function, constructor, channel, built-in).
    Name(Ident),
    /// `f(a, b)`.
    Apply(Box<Expr>, Vec<Expr>),
    /// Unary operator.
    Unary(UnaryOp, Box<Expr>),
    /// Binary operator of the functional language.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `if c then a else b`.
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `let decls within e`.
    Let(Vec<Decl>, Box<Expr>),
    /// `\ p1, p2 @ e`.
    Lambda(Vec<Pattern>, Box<Expr>),
    /// `(a, b)`; a parenthesised single expression is not a tuple.
    Tuple(Vec<Expr>),
    /// `a.b.c`.
    Dotted(Vec<Expr>),
    /// `{a, b}`.
    SetEnum(Vec<Expr>),
    /// `{m..n}` or `{m..}`.
    SetRange(Box<Expr>, Option<Box<Expr>>),
    /// `{ e1, e2 | stmts }`.
    SetComp(Vec<Expr>, Vec<Stmt>),
    /// `{| c, d.1 |}`.
    EventSet(Vec<Expr>),
    /// `{| c.x | x <- S |}`.
    EventSetComp(Vec<Expr>, Vec<Stmt>),
    /// `<a, b>`.
    SeqEnum(Vec<Expr>),
    /// `<m..n>` or `<m..>`.
    SeqRange(Box<Expr>, Option<Box<Expr>>),
    /// `< e | stmts >`.
    SeqComp(Vec<Expr>, Vec<Stmt>),
    /// `(| k => v, … |)`.
    MapEnum(Vec<(Expr, Expr)>),
    /// `chan!e?x:S -> P`.
    Prefix {
        /// The channel (or event) expression before the fields.
        channel: Box<Expr>,
        /// The fields in order.
        fields: Vec<PrefixField>,
        /// The continuation.
        body: Box<Expr>,
    },
    /// `b & P`.
    Guard(Box<Expr>, Box<Expr>),
    /// `P op Q` for operators without an argument.
    ProcBinary(ProcOp, Box<Expr>, Box<Expr>),
    /// `P [| A |] Q`.
    Parallel(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `P [A || B] Q`.
    AlphaParallel(Box<Expr>, Box<Expr>, Box<Expr>, Box<Expr>),
    /// `P [a <-> b, …] Q`, links possibly from a comprehension.
    Linked(Box<Expr>, Vec<Link>, Vec<Stmt>, Box<Expr>),
    /// `P \ A`.
    Hide(Box<Expr>, Box<Expr>),
    /// `P [[ a <- b, … | stmts ]]`.
    Rename(Box<Expr>, Vec<Link>, Vec<Stmt>),
    /// `op x:S, y:T @ P`.
    Replicated(ReplicatedOp, Vec<Stmt>, Box<Expr>),
}
