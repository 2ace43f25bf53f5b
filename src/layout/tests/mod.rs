#![allow(dead_code)]
//! The derive's shapes against the compiler and against memory, the arena types, the hand-off
//! record and hash, and the generator's refusals. `fixture.rs`: the JS tests' fixture.

use std::mem::offset_of;

use super::*;
use crate::{Allocator, FixedSizeAllocator};

mod bench;
mod fixture;
mod prop;

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
    A(u8) = 7,
    B { x: u64, s: Option<ArenaStr<'a>> } = 300,
}

#[derive(Layout)]
#[repr(C)]
#[layout(rename = "Renamed", rename_all = "camelCase")]
struct Attrs {
    first_field: u8,
    #[layout(skip)]
    hidden: std::cell::Cell<u64>,
    #[layout(rename = "explicit")]
    second_field: u16,
    #[layout(flatten)]
    span: Span,
}

fn struct_fields(s: &Shape) -> &'static [Field] {
    match &s.kind {
        Kind::Struct(st) => st.fields,
        _ => panic!("not a struct"),
    }
}

fn enum_shape(s: &Shape) -> &EnumShape {
    match &s.kind {
        Kind::Enum(e) => e,
        _ => panic!("not an enum"),
    }
}

fn field<'s>(fields: &'s [Field], name: &str) -> &'s Field {
    fields.iter().find(|f| f.name == name).unwrap()
}

/// The bytes of `v`.
fn bytes_of<T>(v: &T) -> &[u8] {
    // SAFETY: `v` is a live value of `size_of::<T>()` bytes; the types read here have no
    // padding where the tests look (they read tags, integers and pointers).
    unsafe { std::slice::from_raw_parts((v as *const T).cast::<u8>(), size_of::<T>()) }
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

#[test]
fn struct_shape_is_the_compilers() {
    let s = <Span as Layout>::SHAPE;
    assert_eq!((s.size, s.align), (size_of::<Span>(), align_of::<Span>()));
    let f = struct_fields(s);
    assert_eq!(f[0].offset, offset_of!(Span, start));
    assert_eq!(f[1].offset, offset_of!(Span, end));
    assert_eq!(s.name, "Span");
    assert!(s.module.ends_with("layout::tests"));
}

#[test]
fn attributes_rename_skip_flatten() {
    let s = <Attrs as Layout>::SHAPE;
    assert_eq!(s.name, "Renamed");
    let f = struct_fields(s);
    let names: Vec<(&str, &str)> = f.iter().map(|f| (f.name, f.js_name)).collect();
    // `hidden` is skipped: not in the shape, and its type need not be `Layout`.
    assert_eq!(
        names,
        [
            ("first_field", "firstField"),
            ("second_field", "explicit"),
            ("span", "span")
        ]
    );
    assert_eq!(
        field(f, "second_field").offset,
        offset_of!(Attrs, second_field)
    );
    assert!(field(f, "span").flatten && !field(f, "first_field").flatten);
}

#[test]
fn discriminants_and_niches_are_the_compilers() {
    let e = enum_shape(<Op as Layout>::SHAPE);
    assert!(e.fieldless);
    assert_eq!(e.tag_bytes, 1);
    let d: Vec<u32> = e.variants.iter().map(|v| v.discriminant).collect();
    assert_eq!(d, [Op::Add as u32, Op::Sub as u32, Op::Mul as u32]);
    let Kind::Option {
        none: NoneRepr::Tag { value },
        ..
    } = <Option<Op> as Layout>::SHAPE.kind
    else {
        panic!()
    };
    assert_eq!(bytes_of(&None::<Op>)[0] as u32, value);

    let e = enum_shape(<Small as Layout>::SHAPE);
    assert_eq!(e.tag_bytes, 2);
    assert_eq!(e.variants[0].discriminant, 7);
    assert_eq!(e.variants[1].discriminant, 300);
    let Kind::Option {
        none: NoneRepr::Tag { value },
        ..
    } = <Option<Small> as Layout>::SHAPE.kind
    else {
        panic!()
    };
    let none = bytes_of(&None::<Small>);
    assert_eq!(u32::from(u16::from_le_bytes([none[0], none[1]])), value);
    assert!(value != 7 && value != 300);

    let Kind::Option {
        none: NoneRepr::NullPtr { offset: 0 },
        ..
    } = <Option<ArenaBox<Span>> as Layout>::SHAPE.kind
    else {
        panic!()
    };
}

/// The offsets the shadow structs give are where the compiler put each variant's fields.
#[test]
fn variant_field_offsets_match_memory() {
    let block = FixedSizeAllocator::new().unwrap();
    let e = enum_shape(<Expr as Layout>::SHAPE);
    let bin = &e.variants[2];
    let fs = bin.fields;
    let left = ArenaBox::new_in(Expr::Num(1.5), &block);
    let right = ArenaBox::new_in(Expr::Nothing, &block);
    let (lp, rp) = (&*left as *const Expr as u64, &*right as *const Expr as u64);
    let v = Expr::Bin {
        op: Op::Mul,
        left,
        right,
    };
    let b = bytes_of(&v);
    assert_eq!(u32::from(b[0]), bin.discriminant);
    assert_eq!(b[field(fs, "op").offset], Op::Mul as u8);
    assert_eq!(u64_at(b, field(fs, "left").offset), lp);
    assert_eq!(u64_at(b, field(fs, "right").offset), rp);

    let num = &e.variants[0];
    let v = Expr::Num(2.25);
    let b = bytes_of(&v);
    let at = num.fields[0].offset;
    assert_eq!(f64::from_le_bytes(b[at..at + 8].try_into().unwrap()), 2.25);

    let name = &e.variants[1];
    let s = ArenaStr::new_in("hello", &block);
    let v = Expr::Name {
        name: s,
        span: Span { start: 3, end: 9 },
    };
    let b = bytes_of(&v);
    let at = field(name.fields, "name").offset;
    assert_eq!(u64_at(b, at + ptr_len::PTR), s.as_ptr() as u64);
    assert_eq!(u64_at(b, at + ptr_len::LEN), 5);
    let at = field(name.fields, "span").offset;
    assert_eq!(&b[at..at + 8], &[3, 0, 0, 0, 9, 0, 0, 0]);

    // A `#[repr(u16)]` enum: the fields follow the tag in one #[repr(C)] struct per variant.
    let e = enum_shape(<Small as Layout>::SHAPE);
    let v = Small::B {
        x: 0x0102_0304_0506_0708,
        s: None,
    };
    let b = bytes_of(&v);
    assert_eq!(u16::from_le_bytes([b[0], b[1]]), 300);
    assert_eq!(
        u64_at(b, field(e.variants[1].fields, "x").offset),
        0x0102_0304_0506_0708
    );
    let v = Small::A(0xab);
    assert_eq!(bytes_of(&v)[e.variants[0].fields[0].offset], 0xab);
}

#[test]
fn arena_types_allocate_only_in_a_block() {
    let heap = Allocator::new();
    assert_eq!(
        ArenaStr::try_new_in("x", &heap).unwrap_err(),
        ArenaError::NotABlock
    );
    assert_eq!(
        ArenaBox::try_new_in(1u32, &heap).unwrap_err(),
        ArenaError::NotABlock
    );
    assert!(ArenaVec::<u8>::try_new_in(&heap).is_err());
    let fixed = Allocator::from(FixedSizeAllocator::new().unwrap());
    let s = ArenaStr::try_new_in("in a block", &fixed).unwrap();
    assert_eq!(s, "in a block");
    assert!(fixed.as_fixed_size().unwrap().contains(s.as_ptr()));
}

#[test]
fn arena_vec_grows_in_place_or_moves() {
    let block = FixedSizeAllocator::new().unwrap();
    let mut v = ArenaVec::new_in(&block);
    assert!(v.is_empty());
    for i in 0..1000u32 {
        v.push(i);
    }
    let first = v.as_ptr();
    assert_eq!(v.len(), 1000);
    assert!(v.iter().copied().eq(0..1000));
    // Nothing else was allocated since: growing extended the last allocation in place.
    v.push(1000);
    assert_eq!(v.as_ptr(), first);
    // Something else in between: the next growth moves the elements.
    let cap = v.capacity();
    while v.len() < cap {
        v.push(0);
    }
    let _other = ArenaBox::new_in(7u64, &block);
    v.push(1);
    assert_ne!(v.as_ptr(), first);
    assert_eq!(v[1000], 1000);
    let s = v.into_slice();
    assert_eq!(s.len(), cap + 1);
    assert!(block.contains(s.as_ptr()));
    let empty: ArenaSlice<u8> = ArenaSlice::empty();
    assert!(empty.is_empty());
    let copied = ArenaSlice::from_slice_in(&[1u16, 2, 3], &block);
    assert_eq!(&*copied, &[1, 2, 3]);
}

#[test]
fn root_metadata_names_the_root_and_the_hash() {
    let block = FixedSizeAllocator::new().unwrap();
    let root = ArenaBox::new_in(Span { start: 1, end: 2 }, &block);
    let meta = root_metadata(&block, &*root).unwrap();
    assert_eq!(meta.data_offset, block.offset_of(&*root as *const Span));
    assert_eq!(meta.generation, block.generation());
    let hash = <Span as Layout>::layout_hash();
    assert_eq!(
        (meta.producer0, meta.producer1),
        (hash as u32, (hash >> 32) as u32)
    );
    write_root_metadata(&block, &*root).unwrap();
    // SAFETY: the block's first 16 bytes are the record just written.
    let written = unsafe {
        *block
            .base_ptr()
            .as_ptr()
            .cast::<crate::RawTransferMetadata>()
    };
    assert_eq!(written, meta);

    let outside = Span { start: 0, end: 0 };
    assert_eq!(
        root_metadata(&block, &outside).unwrap_err(),
        ArenaError::OutsideBlock
    );
}

mod other_order {
    use crate::layout::Layout;
    /// `Span` with its fields swapped: a different layout, a different hash.
    #[derive(Layout)]
    #[repr(C)]
    pub struct Span {
        pub end: u32,
        pub start: u32,
    }
}

#[test]
fn the_hash_covers_names_offsets_and_attributes() {
    let a = <Span as Layout>::layout_hash();
    assert_eq!(
        a,
        layout_hash(<Span as Layout>::SHAPE),
        "the derive's cache is the hash"
    );
    assert_eq!(a, <Span as Layout>::layout_hash());
    assert_ne!(a, <other_order::Span as Layout>::layout_hash());
    assert_ne!(
        <Expr as Layout>::layout_hash(),
        <Small as Layout>::layout_hash()
    );
    // Recursive types hash (the walk ends at types already described).
    let _ = <Expr as Layout>::layout_hash();
}

#[derive(Layout)]
#[repr(C)]
struct BadFlatten {
    #[layout(flatten)]
    n: u32,
}

#[derive(Layout)]
#[repr(C, u8)]
#[layout(tag = "type")]
enum BadInternal {
    Pair(u8, u8),
}

#[derive(Layout)]
#[repr(C)]
struct Clash {
    a: Span,
    b: other_order::Span,
}

#[derive(Layout)]
#[repr(C)]
struct MethodField {
    #[layout(rename = "toJS")]
    to_js: u8,
}

#[derive(Layout)]
#[repr(C, u8)]
#[layout(tag = "kind")]
enum TypeInVariant {
    A {
        #[layout(rename = "type")]
        ty: u8,
    },
}

#[derive(Layout)]
#[repr(C, u8)]
#[layout(tag = "kind")]
enum TagIsField {
    A { kind: u8 },
}

#[derive(Layout)]
#[repr(C, u8)]
#[layout(tag = "x", content = "x")]
enum TagIsContent {
    A(u8),
}

#[derive(Layout)]
#[repr(C)]
#[layout(rename = "Array")]
struct GlobalName {
    a: u8,
}

/// A name the generated module takes from the runtime (raw-transfer-reader/layout).
#[derive(Layout)]
#[repr(C)]
struct ListIterator {
    a: u8,
}

#[derive(Layout)]
#[repr(C)]
#[layout(rename = "class")]
struct Keyword {
    a: u8,
}

#[derive(Layout)]
#[repr(C)]
struct Visitor {
    a: u8,
}

#[derive(Layout)]
#[repr(C)]
struct SpanJS {
    a: Span,
}

#[derive(Layout)]
#[repr(C)]
#[layout(rename = "A$B")]
struct Dollar {
    a: u8,
}

/// A struct may have a field named `type`: its view's `type` is that field.
#[derive(Layout)]
#[repr(C)]
struct TypeField {
    #[layout(rename = "type")]
    ty: u8,
}

#[test]
fn the_generator_refuses_names_that_clash() {
    let o = JsOptions::default();
    let err = |root: ShapeFn| generate_js(&[root], &o).unwrap_err().to_string();
    let cases: [(ShapeFn, &str); 10] = [
        (
            <MethodField as Layout>::shape,
            "`MethodField.to_js` (JS name `toJS`) clashes with a method of its view",
        ),
        (
            <TypeInVariant as Layout>::shape,
            "the field `type` of variant `TypeInVariant::A` clashes",
        ),
        (
            <TagIsField as Layout>::shape,
            "the field `kind` of variant `TagIsField::A` clashes with the enum's tag key",
        ),
        (
            <TagIsContent as Layout>::shape,
            "the content key of `TagIsContent` clashes with its tag key",
        ),
        (
            <GlobalName as Layout>::shape,
            "`Array` (JS name `Array`) clashes with a name the generated module uses",
        ),
        (
            <ListIterator as Layout>::shape,
            "`ListIterator` (JS name `ListIterator`) clashes with a name the generated module uses",
        ),
        (
            <Keyword as Layout>::shape,
            "clashes with a JavaScript keyword",
        ),
        (
            <Visitor as Layout>::shape,
            "clashes with a name the generated module exports",
        ),
        (
            <SpanJS as Layout>::shape,
            "clashes with the plain-object type of `Span`",
        ),
        (
            <Dollar as Layout>::shape,
            "clashes with the names the generator makes",
        ),
    ];
    for (root, want) in cases {
        let e = err(root);
        assert!(e.contains(want) && e.contains("rename"), "{e}");
    }
    let js = &generate_js(&[<TypeField as Layout>::shape], &o).unwrap()[0].1;
    assert!(js.contains("get type() {") && !js.contains("'type', { value"));
}

#[test]
fn cjs_names_the_commonjs_module_for_type_module_packages() {
    let o = JsOptions {
        name: "m".into(),
        cjs: true,
        ..JsOptions::default()
    };
    let files = generate_js(&[<Expr as Layout>::shape], &o).unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(names, ["m.cjs", "m.mjs", "m.d.cts", "m.d.mts"]);
    assert!(files[1].1.contains("import cjs from './m.cjs'"));
    assert!(files[3].1.contains("require('./m.cjs')") && files[3].1.contains("from './m.cjs'"));
}

#[test]
fn the_generator_refuses_what_it_cannot_represent() {
    let o = JsOptions::default();
    let err = |roots: &[ShapeFn]| generate_js(roots, &o).unwrap_err().to_string();
    assert!(err(&[<BadFlatten as Layout>::shape]).contains("flatten"));
    assert!(err(&[<BadInternal as Layout>::shape]).contains("internally tagged"));
    assert!(err(&[<Clash as Layout>::shape]).contains("two types have the JS name `Span`"));
    assert!(err(&[<u32 as Layout>::shape]).contains("root"));
    // Two roots: one module, a reader each.
    let files = generate_js(
        &[<Expr as Layout>::shape, <Attrs as Layout>::shape],
        &JsOptions {
            name: "two".into(),
            ..o.clone()
        },
    )
    .unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(names, ["two.js", "two.mjs", "two.d.ts", "two.d.mts"]);
    assert!(
        files[0].1.contains("function readExpr(") && files[0].1.contains("function readRenamed(")
    );
}
