//! Property test of the generated `toJS()` (issue 18, item 6): random values of the fixture's
//! types (every field kind, every enum representation), built in one block, each its own root
//! as a job packs documents, with what serde_json writes for each. `__test__/layout.test.js`
//! reads every root through the generated reader and compares its `toJS()` with that JSON.
//!
//! The check runs in JS, so the cases are made from a seed instead of by proptest's runner
//! (no shrinking): `RAW_TRANSFER_PROP_SEED` (default [`SEED`]) and `RAW_TRANSFER_PROP_CASES`
//! (default 200). The seed is in `prop.txt`, and the JS test names it and the case on failure.

use std::fmt::Write as _;

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use super::fixture::{
    Adj, BlockStmt, Decl, Expr, ExprStmt, Meta, Mode, OUT, Op, Program, Span, Stmt,
};
use super::fixture::{Untagged, write_block};
use crate::FixedSizeAllocator;
use crate::layout::{ArenaBox, ArenaSlice, ArenaStr, ArenaVec, root_metadata};

/// The seed when `RAW_TRANSFER_PROP_SEED` is not set.
pub const SEED: u64 = 0x6c61_796f_7574;

// Owned models of the fixture's types (the arena types borrow a block, a strategy's values
// cannot), built into the block by the `*_in` functions below.

#[derive(Clone, Debug)]
enum E {
    Num(f64),
    Str(String),
    Bin(u8, Box<E>, Box<E>),
    Call(Box<E>, Vec<E>),
    Pair(u8, Option<String>),
    Nothing,
    Name(String),
}

#[derive(Clone, Debug)]
enum S {
    Expr(E, (u32, u32)),
    Let(String, Option<E>, (u32, u32)),
    Empty,
    Block(Vec<S>, (u32, u32)),
}

#[derive(Clone, Debug)]
enum D {
    Stmt(E, (u32, u32)),
    At((u32, u32)),
}

#[derive(Clone, Debug)]
enum Ad {
    A,
    B(u32),
    C(bool, String),
}

#[derive(Clone, Debug)]
enum Un {
    U,
    N(i32),
    S(String),
}

#[derive(Clone, Debug)]
struct P {
    source_name: String,
    body: Vec<S>,
    secret: u64,
    version: u16,
    level: i32,
    tags: Vec<String>,
    small: [i8; 3],
    shorts: [i16; 2],
    ratio: f32,
    big: u64,
    neg: i64,
    ops: (Option<u8>, Option<u8>),
    flag: bool,
    adjacent: Vec<Ad>,
    untagged: Vec<Un>,
    exprs: (Option<E>, Option<E>),
    maybe_list: Option<Vec<u16>>,
    bytes: (u8, u8, u8),
    mode: bool,
    pair: [Ad; 2],
    names: Option<Vec<String>>,
    spans: Vec<(u32, u32)>,
    floats: Vec<f32>,
    decls: Vec<D>,
}

/// Strings: short ASCII (the reader's fast path), any Unicode scalar values (non-ASCII,
/// astral, controls), and the characters JSON and JS treat specially.
fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{0,12}",
        ".{0,24}",
        "[\\x00-\\x7f]{0,40}",
        "[\"\\\\/\u{0}\u{7f}\u{80}\u{2028}\u{2029}\u{fffd}\u{feff}é€😀]{0,20}",
    ]
}

fn f64s() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        -1e6..1e6f64,
        prop::sample::select(vec![
            0.0,
            -0.0,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            5e-324,
            1e21,
            1e-7,
            9007199254740993.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ]),
    ]
}

fn f32s() -> impl Strategy<Value = f32> {
    prop_oneof![
        any::<f32>(),
        -1e4..1e4f32,
        prop::sample::select(vec![
            0.0,
            -0.0,
            0.1,
            f32::MAX,
            f32::MIN,
            f32::MIN_POSITIVE,
            1e-45,
            16777217.0,
            f32::NAN,
            f32::INFINITY,
        ]),
    ]
}

/// Integers anywhere in their range, and at its edges (u64/i64 past 2^53 too: JS reads them
/// rounded as JSON.parse does).
macro_rules! ints {
    ($t:ty) => {
        prop_oneof![any::<$t>(), Just(<$t>::MIN), Just(<$t>::MAX), Just(0 as $t)]
    };
}

fn expr() -> impl Strategy<Value = E> {
    let leaf = prop_oneof![
        f64s().prop_map(E::Num),
        string().prop_map(E::Str),
        (any::<u8>(), option::of(string())).prop_map(|(n, s)| E::Pair(n, s)),
        Just(E::Nothing),
        string().prop_map(E::Name),
    ];
    leaf.prop_recursive(6, 48, 4, |inner| {
        prop_oneof![
            (0..3u8, inner.clone(), inner.clone()).prop_map(|(op, l, r)| E::Bin(
                op,
                Box::new(l),
                Box::new(r)
            )),
            (inner.clone(), vec(inner, 0..4)).prop_map(|(c, a)| E::Call(Box::new(c), a)),
        ]
    })
}

fn span() -> impl Strategy<Value = (u32, u32)> {
    (ints!(u32), ints!(u32))
}

fn stmt() -> impl Strategy<Value = S> {
    let leaf = prop_oneof![
        (expr(), span()).prop_map(|(e, s)| S::Expr(e, s)),
        (string(), option::of(expr()), span()).prop_map(|(n, e, s)| S::Let(n, e, s)),
        Just(S::Empty),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        (vec(inner, 0..3), span()).prop_map(|(b, s)| S::Block(b, s))
    })
}

fn adj() -> impl Strategy<Value = Ad> {
    prop_oneof![
        Just(Ad::A),
        ints!(u32).prop_map(Ad::B),
        (any::<bool>(), string()).prop_map(|(x, s)| Ad::C(x, s)),
    ]
}

fn untagged() -> impl Strategy<Value = Un> {
    prop_oneof![
        Just(Un::U),
        ints!(i32).prop_map(Un::N),
        string().prop_map(Un::S)
    ]
}

fn program() -> impl Strategy<Value = P> {
    let a = (
        string(),
        vec(stmt(), 0..4),
        ints!(u64),
        ints!(u16),
        ints!(i32),
        vec(string(), 0..4),
        [ints!(i8), ints!(i8), ints!(i8)],
        [ints!(i16), ints!(i16)],
        f32s(),
        ints!(u64),
        ints!(i64),
    );
    let b = (
        (option::of(0..3u8), option::of(0..3u8)),
        any::<bool>(),
        vec(adj(), 0..4),
        vec(untagged(), 0..4),
        (option::of(expr()), option::of(expr())),
        option::of(vec(ints!(u16), 0..6)),
        (any::<u8>(), any::<u8>(), any::<u8>()),
        any::<bool>(),
        [adj(), adj()],
        option::of(vec(string(), 0..3)),
        vec(span(), 0..3),
    );
    let c = (
        vec(f32s(), 0..4),
        vec(
            prop_oneof![
                (expr(), span()).prop_map(|(e, s)| D::Stmt(e, s)),
                span().prop_map(D::At),
            ],
            0..4,
        ),
    );
    (a, b, c).prop_map(|(a, b, (floats, decls))| P {
        source_name: a.0,
        body: a.1,
        secret: a.2,
        version: a.3,
        level: a.4,
        tags: a.5,
        small: a.6,
        shorts: a.7,
        ratio: a.8,
        big: a.9,
        neg: a.10,
        ops: b.0,
        flag: b.1,
        adjacent: b.2,
        untagged: b.3,
        exprs: b.4,
        maybe_list: b.5,
        bytes: b.6,
        mode: b.7,
        pair: b.8,
        names: b.9,
        spans: b.10,
        floats,
        decls,
    })
}

const OPS: [Op; 3] = [Op::Add, Op::Sub, Op::Mul];

fn expr_in<'a>(e: &E, b: &'a FixedSizeAllocator) -> Expr<'a> {
    let s = |x: &str| ArenaStr::new_in(x, b);
    match e {
        E::Num(x) => Expr::Num(*x),
        E::Str(x) => Expr::Str(s(x)),
        E::Bin(op, l, r) => Expr::Bin {
            op: OPS[usize::from(*op)],
            left: ArenaBox::new_in(expr_in(l, b), b),
            right: ArenaBox::new_in(expr_in(r, b), b),
        },
        E::Call(c, args) => {
            let mut v = ArenaVec::new_in(b);
            for a in args {
                v.push(expr_in(a, b));
            }
            Expr::Call(ArenaBox::new_in(expr_in(c, b), b), v)
        }
        E::Pair(n, x) => Expr::Pair(*n, x.as_deref().map(s)),
        E::Nothing => Expr::Nothing,
        E::Name(x) => Expr::Name(s(x)),
    }
}

fn span_in(&(start, end): &(u32, u32)) -> Span {
    Span { start, end }
}

fn stmt_in<'a>(st: &S, b: &'a FixedSizeAllocator) -> Stmt<'a> {
    match st {
        S::Expr(e, sp) => Stmt::Expr(ArenaBox::new_in(
            ExprStmt {
                expr: expr_in(e, b),
                span: span_in(sp),
            },
            b,
        )),
        S::Let(name, init, sp) => Stmt::Let {
            name: ArenaStr::new_in(name, b),
            init: init.as_ref().map(|e| ArenaBox::new_in(expr_in(e, b), b)),
            span: span_in(sp),
        },
        S::Empty => Stmt::Empty,
        S::Block(body, sp) => Stmt::Block(BlockStmt {
            body: ArenaSlice::from_iter_in(body.iter().map(|x| stmt_in(x, b)), b),
            span: span_in(sp),
        }),
    }
}

fn adj_in<'a>(a: &Ad, b: &'a FixedSizeAllocator) -> Adj<'a> {
    match a {
        Ad::A => Adj::A,
        Ad::B(n) => Adj::B(*n),
        Ad::C(x, s) => Adj::C {
            x: *x,
            s: ArenaStr::new_in(s, b),
        },
    }
}

fn strs_in<'a>(v: &[String], b: &'a FixedSizeAllocator) -> ArenaSlice<'a, ArenaStr<'a>> {
    ArenaSlice::from_iter_in(v.iter().map(|x| ArenaStr::new_in(x, b)), b)
}

fn program_in<'a>(p: &P, b: &'a FixedSizeAllocator) -> Program<'a> {
    let mut body = ArenaVec::new_in(b);
    for st in &p.body {
        body.push(stmt_in(st, b));
    }
    let mut untagged = ArenaVec::new_in(b);
    for u in &p.untagged {
        untagged.push(match u {
            Un::U => Untagged::U,
            Un::N(n) => Untagged::N(*n),
            Un::S(s) => Untagged::S {
                s: ArenaStr::new_in(s, b),
            },
        });
    }
    Program {
        source_name: ArenaStr::new_in(&p.source_name, b),
        body,
        secret: p.secret,
        meta: Meta {
            version: p.version,
            level: p.level,
        },
        tags: strs_in(&p.tags, b),
        small: p.small,
        shorts: p.shorts,
        ratio: p.ratio,
        big: p.big,
        neg: p.neg,
        maybe_op: p.ops.0.map(|o| OPS[usize::from(o)]),
        no_op: p.ops.1.map(|o| OPS[usize::from(o)]),
        flag: p.flag,
        adjacent: ArenaSlice::from_iter_in(p.adjacent.iter().map(|a| adj_in(a, b)), b),
        untagged,
        maybe_expr: p.exprs.0.as_ref().map(|e| expr_in(e, b)),
        no_expr: p.exprs.1.as_ref().map(|e| expr_in(e, b)),
        maybe_list: p
            .maybe_list
            .as_ref()
            .map(|l| ArenaSlice::from_slice_in(l, b)),
        renamed: p.bytes.0,
        proto: p.bytes.1,
        ctor: p.bytes.2,
        mode: if p.mode {
            Mode::SlowPath
        } else {
            Mode::FastPath
        },
        pair: [adj_in(&p.pair[0], b), adj_in(&p.pair[1], b)],
        names: p.names.as_ref().map(|n| {
            let mut v = ArenaVec::new_in(b);
            for x in n {
                v.push(ArenaStr::new_in(x, b));
            }
            v
        }),
        spans: ArenaSlice::from_iter_in(p.spans.iter().map(span_in), b),
        floats: ArenaSlice::from_slice_in(&p.floats, b),
        decls: {
            let mut v = ArenaVec::new_in(b);
            for d in &p.decls {
                v.push(match d {
                    D::Stmt(e, sp) => Decl::Stmt(ArenaBox::new_in(
                        ExprStmt {
                            expr: expr_in(e, b),
                            span: span_in(sp),
                        },
                        b,
                    )),
                    D::At(sp) => Decl::At(ArenaBox::new_in(span_in(sp), b)),
                });
            }
            v
        },
    }
}

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v} is not a number")),
        Err(_) => default,
    }
}

/// `prop.bin`: one block holding every case, each at its own root (the block's record names
/// the first, as a job's block record does); `prop.txt`: a line `{"seed":"…","cases":n}`,
/// then per case its root's offset, a tab and serde_json's text of its value.
#[test]
fn random_values_for_js() {
    let seed: u64 = env("RAW_TRANSFER_PROP_SEED", SEED);
    let cases: usize = env("RAW_TRANSFER_PROP_CASES", 200);
    eprintln!("typed-layout property cases: {cases}, RAW_TRANSFER_PROP_SEED={seed}");
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    );
    let strategy = program();
    let block = FixedSizeAllocator::new().unwrap();
    let mut out = format!("{{\"seed\":\"{seed}\",\"cases\":{cases}}}\n");
    for i in 0..cases {
        let model = strategy.new_tree(&mut runner).unwrap().current();
        let root = ArenaBox::new_in(program_in(&model, &block), &block);
        let meta = root_metadata(&block, &*root).unwrap();
        if i == 0 {
            block.write_raw_metadata(meta).unwrap();
        }
        let json = serde_json::to_string(&*root).unwrap();
        let _ = writeln!(out, "{}\t{json}", meta.data_offset);
    }
    write_block("prop.bin", &block);
    std::fs::write(format!("{OUT}/prop.txt"), out).unwrap();
}
