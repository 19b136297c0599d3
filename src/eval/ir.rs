//! The resolved form of expressions that the evaluator runs.
//!
//! Resolution turns the AST into this tree: every name is already a local
//! slot, a captured value, a global, a constructor/channel or a built-in, and
//! every closure, thunk and local function group knows exactly which values
//! it captures. The evaluator therefore never looks a name up, and a thunk's
//! environment holds only the free local variables of its expression.

use super::value::Value;
use crate::syntax::ast::{BinaryOp, ProcOp, UnaryOp};
use crate::syntax::span::Span;

/// Where a captured value comes from in the frame that creates a closure,
/// thunk or group environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum CapSrc {
    /// A local slot of the creating frame.
    Local(u32),
    /// A captured value of the creating frame.
    Env(u32),
    /// The whole captured environment of the creating frame (a local
    /// function group's shared environment), as a tuple.
    WholeEnv,
}

/// A resolved expression with its source span.
#[derive(Clone, Debug)]
pub(crate) struct Ir {
    /// What it computes.
    pub kind: IrKind,
    /// Where it was written.
    pub span: Span,
}

/// Resolved expression forms.
#[derive(Clone, Debug)]
pub(crate) enum IrKind {
    /// A value known at resolution time (literals, built-ins, top-level functions).
    Const(Value),
    /// A captured value.
    Var(CapSrc),
    /// A top-level constant (memoised).
    Global(u32),
    /// A constructor or channel with no fields yet.
    Head(u32),
    /// `Events`.
    Events,
    /// A lambda: the function with the captured values.
    Closure { func: u32, captures: Vec<CapSrc> },
    /// A member function of a local recursive group; `env` is the group's environment (a tuple).
    GroupFn { func: u32, env: CapSrc },
    /// A constant member of a local recursive group, evaluated in the group's environment.
    GroupConst { func: u32, env: CapSrc },
    /// Application `f(args)`.
    Apply(Box<Ir>, Vec<Ir>),
    /// Unary operator.
    Unary(UnaryOp, Box<Ir>),
    /// Binary operator.
    Binary(BinaryOp, Box<Ir>, Box<Ir>),
    /// `if c then a else b`.
    If(Box<Ir>, Box<Ir>, Box<Ir>),
    /// `let … within body`: the let-block's bindings (table index) and the body.
    Let(u32, Box<Ir>),
    /// Tuple.
    Tuple(Vec<Ir>),
    /// Dotted value, left to right.
    Dotted(Vec<Ir>),
    /// `{a, b}`.
    SetEnum(Vec<Ir>),
    /// `{m..n}`, `{m..}`.
    SetRange(Box<Ir>, Option<Box<Ir>>),
    /// Set comprehension.
    SetComp(Vec<Ir>, Vec<StmtIr>),
    /// `{| … |}`.
    EventSet(Vec<Ir>),
    /// `{| … | stmts |}`.
    EventSetComp(Vec<Ir>, Vec<StmtIr>),
    /// `<a, b>`.
    SeqEnum(Vec<Ir>),
    /// `<m..n>`, `<m..>`.
    SeqRange(Box<Ir>, Option<Box<Ir>>),
    /// Sequence comprehension.
    SeqComp(Vec<Ir>, Vec<StmtIr>),
    /// `(| k => v |)`.
    MapEnum(Vec<(Ir, Ir)>),
    /// Prefix; the continuation is thunk code `body` capturing `captures`.
    Prefix {
        /// The channel or event expression.
        chan: Box<Ir>,
        /// Fields in order.
        fields: Vec<FieldIr>,
        /// Thunk code of the continuation.
        body: u32,
        /// What the continuation captures.
        captures: Vec<CapSrc>,
    },
    /// A suspended expression (right of `;` and `[>`).
    MakeThunk { code: u32, captures: Vec<CapSrc> },
    /// `b & P`.
    Guard(Box<Ir>, Box<Ir>),
    /// `P op Q` (for `;` and `[>` the right side is a [`IrKind::MakeThunk`]).
    ProcBinary(ProcOp, Box<Ir>, Box<Ir>),
    /// `P [| A |] Q`.
    Parallel(Box<Ir>, Box<Ir>, Box<Ir>),
    /// `P [A || B] Q`.
    AlphaParallel(Box<Ir>, Box<Ir>, Box<Ir>, Box<Ir>),
    /// `P [links | stmts] Q`.
    Linked(Box<Ir>, Vec<(Ir, Ir)>, Vec<StmtIr>, Box<Ir>),
    /// `P \ A`.
    Hide(Box<Ir>, Box<Ir>),
    /// `P [[links | stmts]]`.
    Rename(Box<Ir>, Vec<(Ir, Ir)>, Vec<StmtIr>),
    /// Replicated operator.
    Replicated(ReplIr, Vec<StmtIr>, Box<Ir>),
}

/// The operator of a replicated form, resolved.
#[derive(Clone, Debug)]
pub(crate) enum ReplIr {
    /// `[]`
    ExternalChoice,
    /// `|~|`
    InternalChoice,
    /// `|||`
    Interleave,
    /// `;` — the body is thunk code `body` (one environment per element), and
    /// `rest` is the code that sequences the remaining elements.
    Sequential {
        body: u32,
        captures: Vec<CapSrc>,
        rest: u32,
    },
    /// `[| A |]` (A outside the generators' scope).
    Parallel(Box<Ir>),
    /// `|| x:S @ [A(x)] P` (A inside the generators' scope).
    AlphaParallel(Box<Ir>),
    /// `[a <-> b]`.
    Linked(Vec<(Ir, Ir)>),
}

/// One resolved prefix field.
#[derive(Clone, Debug)]
pub(crate) enum FieldIr {
    /// `!e` or `.e`.
    Out(Ir),
    /// `?p:S` (`nondet` for `$`); `last` when it is the final field, so it
    /// takes all remaining fields.
    In {
        /// Bound pattern.
        pat: Pat,
        /// Restriction set.
        restrict: Option<Ir>,
        /// `$` rather than `?`.
        nondet: bool,
        /// Number of fields consumed when not the last field.
        width: usize,
        /// The final field of the prefix.
        last: bool,
    },
}

/// A statement of a comprehension or replicated operator.
#[derive(Clone, Debug)]
pub(crate) enum StmtIr {
    /// Generator.
    Gen(Pat, Ir),
    /// Filter.
    Guard(Ir),
}

/// A resolved pattern.
#[derive(Clone, Debug)]
pub(crate) struct Pat {
    /// The form.
    pub kind: PatKind,
    /// Where it was written.
    pub span: Span,
}

/// Resolved pattern forms.
#[derive(Clone, Debug)]
pub(crate) enum PatKind {
    /// `_`.
    Wild,
    /// A variable: binds the local slot.
    Bind(u32),
    /// A literal.
    Const(Value),
    /// A constructor or channel name: matches that value (with no fields) by equality.
    Head(u32),
    /// `(p, q)`.
    Tuple(Vec<Pat>),
    /// `p.q`.
    Dotted(Vec<Pat>),
    /// `<p, q>`.
    Seq(Vec<Pat>),
    /// `p ^ q`.
    Concat(Vec<Pat>),
    /// `{}` / `{p}`.
    Set(Vec<Pat>),
    /// `p @@ q`.
    Both(Box<Pat>, Box<Pat>),
}

/// A function: top-level, local, lambda, or a local recursive constant (no parameters).
#[derive(Debug)]
pub(crate) struct FuncDef {
    /// Name for messages.
    pub name: String,
    /// Number of parameters in each curried list.
    pub arities: Vec<usize>,
    /// Clauses in order.
    pub clauses: Vec<ClauseIr>,
    /// The definition.
    pub span: Span,
}

/// One clause of a function.
#[derive(Debug)]
pub(crate) struct ClauseIr {
    /// Parameter patterns, all lists flattened.
    pub pats: Vec<Pat>,
    /// The body.
    pub body: Ir,
    /// Local slots the clause needs.
    pub nlocals: u32,
}

/// What a thunk code runs when forced.
#[derive(Debug)]
pub(crate) enum ThunkBody {
    /// An expression with its own frame.
    Expr { body: Ir, nlocals: u32 },
    /// The rest of a replicated `;`: env is `[<env tuples>]`, each element
    /// an environment for thunk code `body`.
    SeqRest { body: u32 },
}

/// A suspended expression.
#[derive(Debug)]
pub(crate) struct ThunkCode {
    /// What forcing runs.
    pub body: ThunkBody,
    /// The suspended expression's source.
    pub span: Span,
    /// Names of the captured values, for display.
    pub names: Vec<String>,
}

/// A let-block's bindings.
#[derive(Debug)]
pub(crate) struct LetDef {
    /// Bindings in an order where each depends only on earlier ones or itself.
    pub binds: Vec<LetBind>,
    /// The environments of the recursive groups (captures from the let's frame).
    pub groups: Vec<Vec<CapSrc>>,
}

/// One binding of a let-block; slots start as pending and are evaluated on first read.
#[derive(Debug)]
pub(crate) enum LetBind {
    /// A non-recursive constant.
    Plain { slot: u32, body: Ir },
    /// A pattern binding.
    Pattern { pat: Pat, body: Ir, slots: Vec<u32> },
    /// A function of a group.
    GroupFn { slot: u32, func: u32, group: u32 },
    /// A recursive constant of a group.
    GroupConst { slot: u32, func: u32, group: u32 },
}

impl LetBind {
    /// The slots this binding fills.
    pub fn slots(&self) -> Vec<u32> {
        match self {
            LetBind::Plain { slot, .. }
            | LetBind::GroupFn { slot, .. }
            | LetBind::GroupConst { slot, .. } => {
                vec![*slot]
            }
            LetBind::Pattern { slots, .. } => slots.clone(),
        }
    }
}

/// A top-level name's definition.
#[derive(Debug)]
pub(crate) enum GlobalDef {
    /// A constant.
    Const { body: Ir, nlocals: u32 },
    /// A nametype: a set, where a dotted product of sets (`{0..1}.Bool`) is
    /// the set of dotted values.
    Nametype { body: Ir, nlocals: u32 },
    /// A name bound by a top-level pattern binding: slot `slot` after matching.
    PatternPart { pat: u32, slot: u32 },
    /// A datatype: the set of its constructors' values.
    Datatype { ctors: Vec<u32> },
    /// A subtype: constructors with restricted field sets.
    Subtype {
        ctors: Vec<(u32, Vec<Ir>)>,
        nlocals: u32,
    },
}

/// A top-level pattern binding `(a, b) = e`.
#[derive(Debug)]
pub(crate) struct PatBindDef {
    /// The pattern.
    pub pat: Pat,
    /// The right-hand side.
    pub body: Ir,
    /// Frame size.
    pub nlocals: u32,
}

/// A constructor or channel declaration.
#[derive(Debug)]
pub(crate) struct HeadDef {
    /// Its name.
    pub name: String,
    /// Constructor or channel.
    pub kind: super::value::HeadKind,
    /// The datatype of a constructor.
    pub datatype: Option<String>,
    /// The field type expressions.
    pub fields: Vec<Ir>,
    /// Frame size for evaluating the field types.
    pub nlocals: u32,
}
