#![allow(dead_code)]
use super::*;
use crate::FixedSizeAllocator;
use std::mem::offset_of;

#[derive(Layout)]
#[repr(C)]
struct Span {
    start: u32,
    end: u32,
}

#[derive(Layout, Clone, Copy, PartialEq, Debug)]
#[repr(u8)]
enum Op {
    Add = 1,
    Sub,
    Mul = 10,
}

#[derive(Layout)]
#[repr(C, u8)]
enum Expr<'a> {
    Num(f64),
    Name {
        name: ArenaStr<'a>,
        span: Span,
    },
    Bin {
        op: Op,
        left: ArenaBox<'a, Expr<'a>>,
        right: ArenaBox<'a, Expr<'a>>,
    },
    Call(ArenaBox<'a, Expr<'a>>, ArenaVec<'a, Expr<'a>>),
    Nothing,
}

#[derive(Layout)]
#[repr(u16)]
enum Small<'a> {
    A(u8),
    B { x: u64, s: Option<ArenaStr<'a>> },
}

#[test]
fn struct_shape_is_the_compilers() {
    let s = <Span as Layout>::SHAPE;
    assert_eq!(s.size, size_of::<Span>());
    let Kind::Struct(st) = &s.kind else { panic!() };
    assert_eq!(st.fields[1].offset, offset_of!(Span, end));
}

#[test]
fn enum_shapes() {
    let Kind::Enum(e) = &<Op as Layout>::SHAPE.kind else {
        panic!()
    };
    assert_eq!(
        e.variants
            .iter()
            .map(|v| v.discriminant)
            .collect::<Vec<_>>(),
        [1, 2, 10]
    );
    let Kind::Option {
        none: NoneRepr::Tag { value },
        ..
    } = <Option<Op> as Layout>::SHAPE.kind
    else {
        panic!()
    };
    assert!(![1, 2, 10].contains(&value));
    let Kind::Enum(e) = &<Expr as Layout>::SHAPE.kind else {
        panic!()
    };
    assert_eq!(e.variants.len(), 5);
    let Kind::Option {
        none: NoneRepr::Tag { .. },
        ..
    } = <Option<Expr> as Layout>::SHAPE.kind
    else {
        panic!()
    };
    let _ = <Small as Layout>::SHAPE;
    let _ = FixedSizeAllocator::new;
}

mod fixture;
