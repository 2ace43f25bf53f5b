//! The fixture the JS tests read (`__test__/layout.test.js`): a type set with every field
//! kind and every enum representation, its generated reader (checked in under
//! `__test__/layout/generated/`, stale files fail `generated_fixture_reader_is_current`), and
//! a block holding a value of it with what serde_json writes for the same value (written to
//! `target/layout-fixture/`, where the JS test reads them).

use serde::Serialize;

use crate::FixedSizeAllocator;
use crate::layout::{
    ArenaBox, ArenaSlice, ArenaStr, ArenaVec, JsOptions, Layout, sync_js, write_root_metadata,
};

#[derive(Layout, Serialize, Clone, Copy)]
#[repr(C)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

#[derive(Layout, Serialize, Clone, Copy)]
#[repr(u8)]
pub enum Op {
    Add = 1,
    Sub,
    Mul = 10,
}

/// A fieldless enum of `u16` tags whose variants are renamed by `rename_all`.
#[derive(Layout, Serialize, Clone, Copy)]
#[repr(u16)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    FastPath,
    SlowPath = 300,
}

#[derive(Layout, Serialize)]
#[repr(C)]
pub struct Meta {
    pub version: u16,
    pub level: i32,
}

#[derive(Layout, Serialize)]
#[repr(C)]
#[serde(rename_all = "camelCase")]
pub struct Program<'a> {
    pub source_name: ArenaStr<'a>,
    pub body: ArenaVec<'a, Stmt<'a>>,
    #[serde(skip)]
    pub secret: u64,
    #[serde(flatten)]
    pub meta: Meta,
    pub tags: ArenaSlice<'a, ArenaStr<'a>>,
    pub small: [i8; 3],
    pub shorts: [i16; 2],
    pub ratio: f32,
    pub big: u64,
    pub neg: i64,
    pub maybe_op: Option<Op>,
    pub no_op: Option<Op>,
    pub flag: bool,
    pub adjacent: ArenaSlice<'a, Adj<'a>>,
    pub untagged: ArenaVec<'a, Untagged<'a>>,
    pub maybe_expr: Option<Expr<'a>>,
    pub no_expr: Option<Expr<'a>>,
    pub maybe_list: Option<ArenaSlice<'a, u16>>,
    #[layout(rename = "renamedByLayout")]
    #[serde(rename = "renamedByLayout")]
    pub renamed: u8,
    #[serde(rename = "__proto__")]
    pub proto: u8,
    #[serde(rename = "constructor")]
    pub ctor: u8,
    pub mode: Mode,
    /// A fixed array of nodes (the visitor walks it).
    pub pair: [Adj<'a>; 2],
    pub names: Option<ArenaVec<'a, ArenaStr<'a>>>,
    pub spans: ArenaSlice<'a, Span>,
    pub floats: ArenaSlice<'a, f32>,
    pub decls: ArenaVec<'a, Decl<'a>>,
}

#[derive(Layout, Serialize)]
#[repr(C, u8)]
#[serde(tag = "type")]
pub enum Stmt<'a> {
    Expr(ArenaBox<'a, ExprStmt<'a>>),
    Let {
        name: ArenaStr<'a>,
        init: Option<ArenaBox<'a, Expr<'a>>>,
        span: Span,
    },
    Empty,
    Block(BlockStmt<'a>),
}

#[derive(Layout, Serialize)]
#[repr(C)]
pub struct ExprStmt<'a> {
    pub expr: Expr<'a>,
    pub span: Span,
}

#[derive(Layout, Serialize)]
#[repr(C)]
pub struct BlockStmt<'a> {
    pub body: ArenaSlice<'a, Stmt<'a>>,
    pub span: Span,
}

#[derive(Layout, Serialize)]
#[repr(u8)]
pub enum Expr<'a> {
    Num(f64),
    Str(ArenaStr<'a>),
    Bin {
        op: Op,
        left: ArenaBox<'a, Expr<'a>>,
        right: ArenaBox<'a, Expr<'a>>,
    },
    Call(ArenaBox<'a, Expr<'a>>, ArenaVec<'a, Expr<'a>>),
    Pair(u8, Option<ArenaStr<'a>>),
    Nothing,
    #[serde(rename = "Ident")]
    Name(ArenaStr<'a>),
}

/// Every variant a box (an ESTree-like enum of boxed nodes): the reader checks the pointer once.
#[derive(Layout, Serialize)]
#[repr(C, u8)]
#[serde(tag = "kind")]
pub enum Decl<'a> {
    Stmt(ArenaBox<'a, ExprStmt<'a>>),
    At(ArenaBox<'a, Span>),
}

#[derive(Layout, Serialize)]
#[repr(C, u16)]
#[serde(tag = "t", content = "c")]
pub enum Adj<'a> {
    A,
    B(u32),
    C { x: bool, s: ArenaStr<'a> },
}

#[derive(Layout, Serialize)]
#[repr(u32)]
#[serde(untagged)]
pub enum Untagged<'a> {
    U,
    N(i32),
    S { s: ArenaStr<'a> },
}

pub const GENERATED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/__test__/layout/generated");

pub fn options() -> JsOptions {
    JsOptions {
        name: "fixture".to_owned(),
        regenerate: "RAW_TRANSFER_WRITE_LAYOUT=1 cargo test --lib layout".to_owned(),
        ..JsOptions::default()
    }
}

/// A program exercising every kind, built in `b`.
pub fn build<'a>(b: &'a FixedSizeAllocator, seed: u32) -> ArenaBox<'a, Program<'a>> {
    let s = |x: &str| ArenaStr::new_in(x, b);
    let bx = |e: Expr<'a>| ArenaBox::new_in(e, b);
    let mut body = ArenaVec::new_in(b);
    let mut args = ArenaVec::new_in(b);
    args.push(Expr::Num(f64::NAN));
    args.push(Expr::Str(s(
        "héllo, wörld: a string longer than sixteen bytes",
    )));
    args.push(Expr::Pair(7, None));
    args.push(Expr::Pair(8, Some(s("p"))));
    args.push(Expr::Nothing);
    body.push(Stmt::Expr(ArenaBox::new_in(
        ExprStmt {
            expr: Expr::Call(bx(Expr::Name(s("print"))), args),
            span: Span { start: 0, end: 10 },
        },
        b,
    )));
    body.push(Stmt::Let {
        name: s("x"),
        init: Some(bx(Expr::Bin {
            op: Op::Mul,
            left: bx(Expr::Num(f64::from(seed))),
            right: bx(Expr::Bin {
                op: Op::Sub,
                left: bx(Expr::Num(-0.5)),
                right: bx(Expr::Name(s("y"))),
            }),
        })),
        span: Span { start: 11, end: 20 },
    });
    body.push(Stmt::Let {
        name: s(""),
        init: None,
        span: Span { start: 21, end: 22 },
    });
    body.push(Stmt::Empty);
    body.push(Stmt::Block(BlockStmt {
        body: ArenaSlice::from_iter_in([Stmt::Empty, Stmt::Empty], b),
        span: Span { start: 23, end: 30 },
    }));
    let mut untagged = ArenaVec::new_in(b);
    untagged.extend([Untagged::U, Untagged::N(-3), Untagged::S { s: s("u") }]);
    Program {
        source_name: s("fixture.src"),
        body,
        secret: 0xdead_beef,
        meta: Meta {
            version: 3,
            level: -2,
        },
        tags: ArenaSlice::from_iter_in([s("a"), s("ü"), s("")], b),
        small: [-1, 0, 127],
        shorts: [-300, 300],
        ratio: 0.1,
        big: (1 << 40) + 7,
        neg: -5_000_000_000,
        maybe_op: Some(Op::Add),
        no_op: None,
        flag: true,
        adjacent: ArenaSlice::from_iter_in([Adj::A, Adj::B(42), Adj::C { x: true, s: s("c") }], b),
        untagged,
        maybe_expr: Some(Expr::Num(2.5)),
        no_expr: None,
        maybe_list: Some(ArenaSlice::from_slice_in(&[1, 2, 65535], b)),
        renamed: 9,
        proto: 5,
        ctor: 4,
        mode: Mode::SlowPath,
        pair: [
            Adj::B(7),
            Adj::C {
                x: false,
                s: s("ß"),
            },
        ],
        names: Some({
            let mut v = ArenaVec::new_in(b);
            v.push(s("n"));
            v
        }),
        spans: ArenaSlice::from_iter_in([Span { start: 1, end: 2 }], b),
        // 6217.53125: a tie between two shortest decimals (serde_json writes 6217.5312).
        floats: ArenaSlice::from_slice_in(&[0.5, 6217.5 + 1.0 / 32.0, f32::MIN_POSITIVE], b),
        decls: {
            let mut v = ArenaVec::new_in(b);
            v.push(Decl::At(ArenaBox::new_in(Span { start: 5, end: 6 }, b)));
            v.push(Decl::Stmt(ArenaBox::new_in(
                ExprStmt {
                    expr: Expr::Name(s("d")),
                    span: Span { start: 7, end: 8 },
                },
                b,
            )));
            v
        },
    }
    .pipe(|p| ArenaBox::new_in(p, b))
}

trait Pipe: Sized {
    fn pipe<R>(self, f: impl FnOnce(Self) -> R) -> R {
        f(self)
    }
}
impl<T> Pipe for T {}

#[test]
fn generated_fixture_reader_is_current() {
    sync_js::<Program>(GENERATED, &options()).unwrap();
}

/// Where the Rust tests leave blocks and expected JSON for the JS tests: `target/layout-fixture/`
/// of this package whatever `CARGO_TARGET_DIR` is (`npm test` runs `cargo test`, then reads
/// them from here).
pub const OUT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/target/layout-fixture");

/// Write the bytes of `block` in use (its record and allocations) to `OUT/<name>`.
pub fn write_block(name: &str, block: &FixedSizeAllocator) {
    let used = block.used_bytes();
    // SAFETY: `[base, base + used)` is the block's record and allocations, committed and
    // initialised (alignment gaps aside, which are committed memory: reading them as bytes is
    // fine, and JS sees them anyway).
    let bytes = unsafe { std::slice::from_raw_parts(block.base_ptr().as_ptr(), used) };
    std::fs::create_dir_all(OUT).unwrap();
    std::fs::write(format!("{OUT}/{name}"), bytes).unwrap();
}

/// The block's bytes in use and serde_json's text of the same value, for the JS test.
#[test]
fn fixture_block_for_js() {
    let block = FixedSizeAllocator::new().unwrap();
    let root = build(&block, 6);
    write_root_metadata(&block, &*root).unwrap();
    let json = serde_json::to_string_pretty(&*root).unwrap();
    write_block("fixture.bin", &block);
    std::fs::write(format!("{OUT}/fixture.json"), json).unwrap();
    let hash = <Program as Layout>::layout_hash();
    std::fs::write(format!("{OUT}/fixture.hash"), format!("{hash:016x}")).unwrap();
    // The same module with `toJS()` deferring below 3 pointers (what a 10 MB document does
    // below 500): the JS tests run their documents through both.
    crate::layout::write_js::<Program>(
        format!("{OUT}/depth3"),
        &JsOptions {
            max_depth: 3,
            ..options()
        },
    )
    .unwrap();
    // The same as `.cjs` in a `"type": "module"` package.
    let cjs = format!("{OUT}/cjs");
    crate::layout::write_js::<Program>(
        &cjs,
        &JsOptions {
            cjs: true,
            ..options()
        },
    )
    .unwrap();
    std::fs::write(format!("{cjs}/package.json"), "{ \"type\": \"module\" }\n").unwrap();
}

/// How deep the chains of `deep_block_for_js` go.
pub const DEEP: u32 = 100_000;

/// A program nested `DEEP` pointers deep three ways: a left-nested `a0 + 1 + 2 + …` (boxes),
/// blocks in blocks (one-element slices) and calls in calls' arguments (vectors).
pub fn build_deep(b: &FixedSizeAllocator) -> ArenaBox<'_, Program<'_>> {
    let s = |x: &str| ArenaStr::new_in(x, b);
    let mut sum = Expr::Name(s("a0"));
    for i in 1..DEEP {
        sum = Expr::Bin {
            op: Op::Add,
            left: ArenaBox::new_in(sum, b),
            right: ArenaBox::new_in(Expr::Num(f64::from(i)), b),
        };
    }
    let mut block = Stmt::Empty;
    for i in 0..DEEP {
        block = Stmt::Block(BlockStmt {
            body: ArenaSlice::from_iter_in([block], b),
            span: Span { start: i, end: i },
        });
    }
    let mut call = Expr::Nothing;
    for _ in 0..DEEP {
        let mut args = ArenaVec::with_capacity_in(1, b);
        args.push(call);
        call = Expr::Call(ArenaBox::new_in(Expr::Name(s("f")), b), args);
    }
    let mut body = ArenaVec::new_in(b);
    body.push(Stmt::Let {
        name: s("sum"),
        init: Some(ArenaBox::new_in(sum, b)),
        span: Span { start: 0, end: 0 },
    });
    body.push(block);
    ArenaBox::new_in(
        Program {
            source_name: s("deep"),
            body,
            maybe_expr: Some(call),
            ..blank(b)
        },
        b,
    )
}

/// A program of empty strings, lists and zeros.
pub fn blank(b: &FixedSizeAllocator) -> Program<'_> {
    Program {
        source_name: ArenaStr::new_in("", b),
        body: ArenaVec::new_in(b),
        secret: 0,
        meta: Meta {
            version: 0,
            level: 0,
        },
        tags: ArenaSlice::empty(),
        small: [0; 3],
        shorts: [0; 2],
        ratio: 0.0,
        big: 0,
        neg: 0,
        maybe_op: None,
        no_op: None,
        flag: false,
        adjacent: ArenaSlice::empty(),
        untagged: ArenaVec::new_in(b),
        maybe_expr: None,
        no_expr: None,
        maybe_list: None,
        renamed: 0,
        proto: 0,
        ctor: 0,
        mode: Mode::FastPath,
        pair: [Adj::A, Adj::A],
        names: None,
        spans: ArenaSlice::empty(),
        floats: ArenaSlice::empty(),
        decls: ArenaVec::new_in(b),
    }
}

/// `build_deep`'s block and serde_json's text of it, for the JS test of walks that must not
/// recurse (`deep.bin`, `deep.json`).
#[test]
fn deep_block_for_js() {
    // serde recurses: build and write on a thread with a stack for 100 000 levels (reserved,
    // touched as used).
    std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(|| {
            let block = FixedSizeAllocator::new().unwrap();
            let root = build_deep(&block);
            write_root_metadata(&block, &*root).unwrap();
            write_block("deep.bin", &block);
            let json = serde_json::to_string(&*root).unwrap();
            std::fs::write(format!("{OUT}/deep.json"), json).unwrap();
        })
        .unwrap()
        .join()
        .unwrap();
}

/// f32s whose shortest decimal is hard to get right (`floats.bin`, `floats.json`): every power
/// of two (where the f32s below are closer than those above), exact ties between two shortest
/// decimals (`k / 2^m`), subnormals and random bit patterns; serde_json writes them as ryu does.
#[test]
fn f32_block_for_js() {
    let mut v: Vec<f32> = Vec::new();
    for e in -149..=127 {
        let x = 2f32.powi(e);
        v.extend([x, -x]);
    }
    for m in 1..=24 {
        for k in (1..2000u32).step_by(7) {
            v.push(k as f32 / (1u32 << m) as f32 + 6000.0);
            v.push(k as f32 / (1u32 << m) as f32);
        }
    }
    let mut x = 0x9e37_79b9_u32;
    for _ in 0..20_000 {
        // xorshift32
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let f = f32::from_bits(x);
        if f.is_finite() {
            v.push(f);
        }
    }
    v.extend((1..200).map(f32::from_bits));
    let block = FixedSizeAllocator::new().unwrap();
    let root = ArenaBox::new_in(
        Program {
            floats: ArenaSlice::from_slice_in(&v, &block),
            ..blank(&block)
        },
        &block,
    );
    write_root_metadata(&block, &*root).unwrap();
    write_block("floats.bin", &block);
    std::fs::write(
        format!("{OUT}/floats.json"),
        serde_json::to_string(&*root).unwrap(),
    )
    .unwrap();
}
