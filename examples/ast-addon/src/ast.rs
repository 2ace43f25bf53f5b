//! The AST, as it lies in the block. Every type derives `Layout` (its offsets, sizes, tags
//! and niches go to the generated JS reader in `../generated/`) and `Serialize` (the JSON
//! the generated `toJS()` matches, and the baseline of `bench.js`).
//!
//! Statements and expressions are ESTree-like: an enum of boxed nodes, internally tagged
//! (`{ "type": "CallExpression", ... }`), 16 bytes each (a `u8` tag and a pointer), so a
//! list of them is dense and the niche of the tag makes `Option<Expression>` 16 bytes too.

use raw_transfer::layout::{ArenaBox, ArenaSlice, ArenaStr, ArenaVec, Layout};
use serde::Serialize;

/// Byte offsets `[start, end)` of a node in the source.
#[derive(Layout, Serialize, Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

/// The root: the statements of one source.
#[derive(Layout, Serialize)]
#[repr(C)]
pub struct Program<'a> {
    pub body: ArenaVec<'a, Statement<'a>>,
    pub span: Span,
}

#[derive(Layout, Serialize)]
#[repr(C, u8)]
#[serde(tag = "type")]
pub enum Statement<'a> {
    VariableDeclaration(ArenaBox<'a, VariableDeclaration<'a>>),
    FunctionDeclaration(ArenaBox<'a, FunctionDeclaration<'a>>),
    ReturnStatement(ArenaBox<'a, ReturnStatement<'a>>),
    IfStatement(ArenaBox<'a, IfStatement<'a>>),
    BlockStatement(ArenaBox<'a, BlockStatement<'a>>),
    ExpressionStatement(ArenaBox<'a, ExpressionStatement<'a>>),
}

#[derive(Layout, Serialize, Clone, Copy, Debug, PartialEq)]
#[repr(u8)]
#[serde(rename_all = "lowercase")]
pub enum VariableKind {
    Let,
    Const,
}

/// `let x = init;` / `const x = init;` (one declarator).
#[derive(Layout, Serialize)]
#[repr(C)]
pub struct VariableDeclaration<'a> {
    pub kind: VariableKind,
    pub id: Identifier<'a>,
    pub init: Option<Expression<'a>>,
    pub span: Span,
}

/// `function id(params) { body }`.
#[derive(Layout, Serialize)]
#[repr(C)]
pub struct FunctionDeclaration<'a> {
    pub id: Identifier<'a>,
    pub params: ArenaSlice<'a, Identifier<'a>>,
    pub body: BlockStatement<'a>,
    pub span: Span,
}

#[derive(Layout, Serialize)]
#[repr(C)]
pub struct ReturnStatement<'a> {
    pub argument: Option<Expression<'a>>,
    pub span: Span,
}

#[derive(Layout, Serialize)]
#[repr(C)]
pub struct IfStatement<'a> {
    pub test: Expression<'a>,
    pub consequent: Statement<'a>,
    pub alternate: Option<Statement<'a>>,
    pub span: Span,
}

#[derive(Layout, Serialize)]
#[repr(C)]
pub struct BlockStatement<'a> {
    pub body: ArenaVec<'a, Statement<'a>>,
    pub span: Span,
}

#[derive(Layout, Serialize)]
#[repr(C)]
pub struct ExpressionStatement<'a> {
    pub expression: Expression<'a>,
    pub span: Span,
}

#[derive(Layout, Serialize)]
#[repr(C, u8)]
#[serde(tag = "type")]
pub enum Expression<'a> {
    Identifier(ArenaBox<'a, Identifier<'a>>),
    NumericLiteral(ArenaBox<'a, NumericLiteral>),
    StringLiteral(ArenaBox<'a, StringLiteral<'a>>),
    BooleanLiteral(ArenaBox<'a, BooleanLiteral>),
    ArrayExpression(ArenaBox<'a, ArrayExpression<'a>>),
    UnaryExpression(ArenaBox<'a, UnaryExpression<'a>>),
    BinaryExpression(ArenaBox<'a, BinaryExpression<'a>>),
    CallExpression(ArenaBox<'a, CallExpression<'a>>),
    MemberExpression(ArenaBox<'a, MemberExpression<'a>>),
    FunctionExpression(ArenaBox<'a, FunctionExpression<'a>>),
    ArrowFunctionExpression(ArenaBox<'a, ArrowFunctionExpression<'a>>),
}

#[derive(Layout, Serialize)]
#[repr(C)]
pub struct Identifier<'a> {
    pub name: ArenaStr<'a>,
    pub span: Span,
}

#[derive(Layout, Serialize)]
#[repr(C)]
pub struct NumericLiteral {
    pub value: f64,
    pub span: Span,
}

/// `value` is the string with its escapes resolved.
#[derive(Layout, Serialize)]
#[repr(C)]
pub struct StringLiteral<'a> {
    pub value: ArenaStr<'a>,
    pub span: Span,
}

#[derive(Layout, Serialize)]
#[repr(C)]
pub struct BooleanLiteral {
    pub value: bool,
    pub span: Span,
}

#[derive(Layout, Serialize)]
#[repr(C)]
pub struct ArrayExpression<'a> {
    pub elements: ArenaVec<'a, Expression<'a>>,
    pub span: Span,
}

#[derive(Layout, Serialize, Clone, Copy, Debug, PartialEq)]
#[repr(u8)]
pub enum UnaryOperator {
    #[serde(rename = "-")]
    Minus,
    #[serde(rename = "+")]
    Plus,
    #[serde(rename = "!")]
    Not,
}

#[derive(Layout, Serialize)]
#[repr(C)]
pub struct UnaryExpression<'a> {
    pub operator: UnaryOperator,
    pub argument: Expression<'a>,
    pub span: Span,
}

/// Binary operators, lowest precedence first (`||` binds loosest).
#[derive(Layout, Serialize, Clone, Copy, Debug, PartialEq)]
#[repr(u8)]
pub enum BinaryOperator {
    #[serde(rename = "||")]
    Or,
    #[serde(rename = "&&")]
    And,
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "+")]
    Add,
    #[serde(rename = "-")]
    Sub,
    #[serde(rename = "*")]
    Mul,
    #[serde(rename = "/")]
    Div,
    #[serde(rename = "%")]
    Rem,
}

#[derive(Layout, Serialize)]
#[repr(C)]
pub struct BinaryExpression<'a> {
    pub operator: BinaryOperator,
    pub left: Expression<'a>,
    pub right: Expression<'a>,
    pub span: Span,
}

#[derive(Layout, Serialize)]
#[repr(C)]
pub struct CallExpression<'a> {
    pub callee: Expression<'a>,
    pub arguments: ArenaVec<'a, Expression<'a>>,
    pub span: Span,
}

/// `object.property` (`property` an `Identifier`, `computed` false) or `object[property]`.
#[derive(Layout, Serialize)]
#[repr(C)]
pub struct MemberExpression<'a> {
    pub object: Expression<'a>,
    pub property: Expression<'a>,
    pub computed: bool,
    pub span: Span,
}

/// `function id?(params) { body }` as an expression.
#[derive(Layout, Serialize)]
#[repr(C)]
pub struct FunctionExpression<'a> {
    pub id: Option<ArenaBox<'a, Identifier<'a>>>,
    pub params: ArenaSlice<'a, Identifier<'a>>,
    pub body: BlockStatement<'a>,
    pub span: Span,
}

/// `(params) => body`, `x => body`: `expression` says whether `body` is an expression.
#[derive(Layout, Serialize)]
#[repr(C)]
pub struct ArrowFunctionExpression<'a> {
    pub params: ArenaSlice<'a, Identifier<'a>>,
    pub body: ArrowBody<'a>,
    pub expression: bool,
    pub span: Span,
}

/// An arrow's body: serde writes the block or the expression itself (`untagged`).
#[derive(Layout, Serialize)]
#[repr(C, u8)]
#[serde(untagged)]
pub enum ArrowBody<'a> {
    BlockStatement(ArenaBox<'a, BlockStatement<'a>>),
    Expression(Expression<'a>),
}
