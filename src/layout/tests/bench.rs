//! The typed-layout JS benchmark's input (`benches/js/layout.js`): an ESTree-like expression
//! AST (an enum of boxed nodes, internally tagged, as `examples/ast-addon` lays out its AST),
//! its generated reader (checked in under `benches/js/layout/generated/`, stale files fail
//! `generated_bench_reader_is_current`), and a block of about 262 000 nodes with serde_json's
//! text of the same tree (`bench_block_for_js`, ignored: the bench runs it when its files are
//! missing). A small one (`small_bench_block_for_js`) is a second layout for the JS tests
//! (`__test__/layout-runtime.test.js` reads it beside the fixture's).

use serde::Serialize;

use super::fixture::{OUT, write_block};
use crate::FixedSizeAllocator;
use crate::layout::{
    ArenaBox, ArenaStr, ArenaVec, JsOptions, Layout, sync_js, write_root_metadata,
};

#[derive(Layout, Serialize, Clone, Copy)]
#[repr(C)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

#[derive(Layout, Serialize)]
#[repr(C)]
pub struct Module<'a> {
    pub body: ArenaVec<'a, Statement<'a>>,
    pub span: Span,
}

#[derive(Layout, Serialize)]
#[repr(C, u8)]
#[serde(tag = "type")]
pub enum Statement<'a> {
    VariableDeclaration(ArenaBox<'a, VariableDeclaration<'a>>),
    ExpressionStatement(ArenaBox<'a, ExpressionStatement<'a>>),
}

#[derive(Layout, Serialize)]
#[repr(C)]
pub struct VariableDeclaration<'a> {
    pub id: Identifier<'a>,
    pub init: Option<Expression<'a>>,
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
#[allow(clippy::enum_variant_names)] // ESTree's names
pub enum Expression<'a> {
    Identifier(ArenaBox<'a, Identifier<'a>>),
    NumericLiteral(ArenaBox<'a, NumericLiteral>),
    StringLiteral(ArenaBox<'a, StringLiteral<'a>>),
    UnaryExpression(ArenaBox<'a, UnaryExpression<'a>>),
    BinaryExpression(ArenaBox<'a, BinaryExpression<'a>>),
    CallExpression(ArenaBox<'a, CallExpression<'a>>),
    MemberExpression(ArenaBox<'a, MemberExpression<'a>>),
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

#[derive(Layout, Serialize)]
#[repr(C)]
pub struct StringLiteral<'a> {
    pub value: ArenaStr<'a>,
    pub span: Span,
}

#[derive(Layout, Serialize, Clone, Copy)]
#[repr(u8)]
pub enum UnaryOperator {
    #[serde(rename = "-")]
    Minus,
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

#[derive(Layout, Serialize, Clone, Copy)]
#[repr(u8)]
pub enum BinaryOperator {
    #[serde(rename = "+")]
    Add,
    #[serde(rename = "-")]
    Sub,
    #[serde(rename = "*")]
    Mul,
    #[serde(rename = "<")]
    Less,
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

#[derive(Layout, Serialize)]
#[repr(C)]
pub struct MemberExpression<'a> {
    pub object: Expression<'a>,
    pub property: Identifier<'a>,
    pub span: Span,
}

pub const GENERATED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/js/layout/generated");

pub fn options() -> JsOptions {
    JsOptions {
        name: "ast".to_owned(),
        regenerate: "RAW_TRANSFER_WRITE_LAYOUT=1 cargo test --lib layout".to_owned(),
        ..JsOptions::default()
    }
}

#[test]
fn generated_bench_reader_is_current() {
    sync_js::<Module>(GENERATED, &options()).unwrap();
}

/// Random expressions, deterministic (xorshift).
struct Gen<'a> {
    b: &'a FixedSizeAllocator,
    state: u32,
    pos: u32,
    nodes: usize,
}

impl<'a> Gen<'a> {
    fn next(&mut self, n: u32) -> u32 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 17;
        self.state ^= self.state << 5;
        self.state % n
    }

    fn span(&mut self, len: u32) -> Span {
        let start = self.pos;
        self.pos += len;
        Span {
            start,
            end: self.pos,
        }
    }

    fn ident(&mut self) -> Identifier<'a> {
        self.nodes += 1;
        const NAMES: [&str; 6] = ["x", "y", "count", "value", "total", "i"];
        let name = NAMES[self.next(6) as usize];
        Identifier {
            name: ArenaStr::new_in(name, self.b),
            span: self.span(name.len() as u32),
        }
    }

    fn expr(&mut self, depth: u32) -> Expression<'a> {
        let b = self.b;
        let kind = if depth == 0 {
            self.next(3)
        } else {
            self.next(10)
        };
        if kind >= 3 {
            self.nodes += 1;
        }
        match kind {
            0 => Expression::Identifier(ArenaBox::new_in(self.ident(), b)),
            1 => {
                self.nodes += 1;
                let value = f64::from(self.next(1000)) / 4.0;
                let span = self.span(5);
                Expression::NumericLiteral(ArenaBox::new_in(NumericLiteral { value, span }, b))
            }
            2 => {
                self.nodes += 1;
                let value = ArenaStr::new_in(["a", "hello", "wörld", ""][self.next(4) as usize], b);
                let span = self.span(7);
                Expression::StringLiteral(ArenaBox::new_in(StringLiteral { value, span }, b))
            }
            3 => {
                let argument = self.expr(depth - 1);
                let span = self.span(1);
                Expression::UnaryExpression(ArenaBox::new_in(
                    UnaryExpression {
                        operator: UnaryOperator::Minus,
                        argument,
                        span,
                    },
                    b,
                ))
            }
            4..=7 => {
                const OPS: [BinaryOperator; 4] = [
                    BinaryOperator::Add,
                    BinaryOperator::Sub,
                    BinaryOperator::Mul,
                    BinaryOperator::Less,
                ];
                let operator = OPS[self.next(4) as usize];
                let left = self.expr(depth - 1);
                let right = self.expr(depth - 1);
                let span = self.span(3);
                Expression::BinaryExpression(ArenaBox::new_in(
                    BinaryExpression {
                        operator,
                        left,
                        right,
                        span,
                    },
                    b,
                ))
            }
            8 => {
                let callee = self.expr(0);
                let n = self.next(4);
                let mut arguments = ArenaVec::with_capacity_in(n as usize, b);
                for _ in 0..n {
                    arguments.push(self.expr(depth - 1));
                }
                let span = self.span(2);
                Expression::CallExpression(ArenaBox::new_in(
                    CallExpression {
                        callee,
                        arguments,
                        span,
                    },
                    b,
                ))
            }
            _ => {
                let object = self.expr(depth - 1);
                let property = self.ident();
                let span = self.span(1);
                Expression::MemberExpression(ArenaBox::new_in(
                    MemberExpression {
                        object,
                        property,
                        span,
                    },
                    b,
                ))
            }
        }
    }
}

/// About `nodes` nodes of statements `let x = <expression>` and `<expression>;`.
pub fn build(b: &FixedSizeAllocator, nodes: usize) -> ArenaBox<'_, Module<'_>> {
    let mut g = Gen {
        b,
        state: 0x1234_5678,
        pos: 0,
        nodes: 0,
    };
    let mut body = ArenaVec::new_in(b);
    while g.nodes < nodes {
        g.nodes += 1;
        let stmt = if g.next(2) == 0 {
            let id = g.ident();
            let init = Some(g.expr(8));
            let span = g.span(1);
            Statement::VariableDeclaration(ArenaBox::new_in(
                VariableDeclaration { id, init, span },
                b,
            ))
        } else {
            let expression = g.expr(8);
            let span = g.span(1);
            Statement::ExpressionStatement(ArenaBox::new_in(
                ExpressionStatement { expression, span },
                b,
            ))
        };
        body.push(stmt);
    }
    let span = Span {
        start: 0,
        end: g.pos,
    };
    ArenaBox::new_in(Module { body, span }, b)
}

/// `bench.bin` (the block) and `bench.json` (serde_json's text of the same tree); the node
/// count from `RAW_TRANSFER_BENCH_NODES` (default 262 144).
#[test]
#[ignore = "the input of benches/js/layout.js, which runs it when its files are missing"]
fn bench_block_for_js() {
    let nodes = std::env::var("RAW_TRANSFER_BENCH_NODES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(262_144);
    let block = FixedSizeAllocator::new().unwrap();
    let root = build(&block, nodes);
    write_root_metadata(&block, &*root).unwrap();
    write_block("bench.bin", &block);
    std::fs::write(
        format!("{OUT}/bench.json"),
        serde_json::to_string(&*root).unwrap(),
    )
    .unwrap();
    let hash = <Module as Layout>::layout_hash();
    std::fs::write(format!("{OUT}/bench.hash"), format!("{hash:016x}")).unwrap();
}

/// `bench-small.bin` and `bench-small.json`: about 2 000 nodes of this layout, a second
/// layout beside the fixture's for the JS test of two generated modules in one process.
#[test]
fn small_bench_block_for_js() {
    let block = FixedSizeAllocator::new().unwrap();
    let root = build(&block, 2_000);
    write_root_metadata(&block, &*root).unwrap();
    write_block("bench-small.bin", &block);
    std::fs::write(
        format!("{OUT}/bench-small.json"),
        serde_json::to_string(&*root).unwrap(),
    )
    .unwrap();
}
