//! [`Layout`] of the primitives, arrays, `Option`s and this module's arena types, each with
//! the compile-time facts it relies on.

use std::mem::offset_of;

use super::shape::{Kind, NoneRepr, Shape};
use super::types::{ArenaBox, ArenaSlice, ArenaStr, ArenaVec};
use super::{Layout, Niche, ptr_len};

macro_rules! primitive {
    ($($ty:ty => $kind:expr;)*) => {$(
        // SAFETY: the size and alignment are the compiler's; the kind is the type's.
        unsafe impl Layout for $ty {
            const SHAPE: &'static Shape = &Shape {
                name: stringify!($ty),
                module: "",
                size: size_of::<$ty>(),
                align: align_of::<$ty>(),
                kind: $kind,
            };
        }
    )*};
}

primitive! {
    u8 => Kind::Int { bytes: 1, signed: false };
    u16 => Kind::Int { bytes: 2, signed: false };
    u32 => Kind::Int { bytes: 4, signed: false };
    u64 => Kind::Int { bytes: 8, signed: false };
    i8 => Kind::Int { bytes: 1, signed: true };
    i16 => Kind::Int { bytes: 2, signed: true };
    i32 => Kind::Int { bytes: 4, signed: true };
    i64 => Kind::Int { bytes: 8, signed: true };
    f32 => Kind::Float { bytes: 4 };
    f64 => Kind::Float { bytes: 8 };
    bool => Kind::Bool;
}

// The JS reader reads 8-byte integers and f64 with aligned typed-array loads.
const _: () = assert!(align_of::<u64>() == 8 && align_of::<i64>() == 8 && align_of::<f64>() == 8);
const _: () = assert!(size_of::<bool>() == 1);

// SAFETY: an array is `N` elements at a stride of `size_of::<T>()` (the reference states it),
// with `T`'s alignment.
unsafe impl<T: Layout, const N: usize> Layout for [T; N] {
    const SHAPE: &'static Shape = &Shape {
        name: "Array",
        module: "",
        size: size_of::<[T; N]>(),
        align: align_of::<[T; N]>(),
        kind: Kind::Array {
            elem: T::shape,
            len: N,
        },
    };
}

// SAFETY: `Niche` guarantees `Option<T>` is `T` with `None` written as `T::NONE`; the size
// check below makes a type whose option is bigger fail to compile.
unsafe impl<T: Niche> Layout for Option<T> {
    const SHAPE: &'static Shape = &Shape {
        name: "Option",
        module: "",
        size: {
            assert!(
                size_of::<Option<T>>() == size_of::<T>(),
                "Option<T> must use T's niche"
            );
            size_of::<Option<T>>()
        },
        align: align_of::<Option<T>>(),
        kind: Kind::Option {
            some: T::shape,
            none: T::NONE,
        },
    };
}

// SAFETY: `ArenaBox` is `#[repr(transparent)]` over `NonNull<T>`: one pointer.
unsafe impl<T: Layout> Layout for ArenaBox<'_, T> {
    const SHAPE: &'static Shape = &Shape {
        name: "ArenaBox",
        module: "",
        size: size_of::<ArenaBox<'static, u8>>(),
        align: align_of::<ArenaBox<'static, u8>>(),
        kind: Kind::Box { target: T::shape },
    };
}

// SAFETY: `#[repr(C)]`, pointer then length, asserted below.
unsafe impl Layout for ArenaStr<'_> {
    const SHAPE: &'static Shape = &Shape {
        name: "ArenaStr",
        module: "",
        size: size_of::<ArenaStr<'static>>(),
        align: align_of::<ArenaStr<'static>>(),
        kind: Kind::Str,
    };
}

// SAFETY: `#[repr(C)]`, pointer then length, asserted below.
unsafe impl<T: Layout> Layout for ArenaSlice<'_, T> {
    const SHAPE: &'static Shape = &Shape {
        name: "ArenaSlice",
        module: "",
        size: size_of::<ArenaSlice<'static, u8>>(),
        align: align_of::<ArenaSlice<'static, u8>>(),
        kind: Kind::Slice { elem: T::shape },
    };
}

// SAFETY: `#[repr(C)]`, pointer then `u32` length, asserted below.
unsafe impl<T: Layout> Layout for ArenaVec<'_, T> {
    const SHAPE: &'static Shape = &Shape {
        name: "ArenaVec",
        module: "",
        size: size_of::<ArenaVec<'static, u8>>(),
        align: align_of::<ArenaVec<'static, u8>>(),
        kind: Kind::Vec { elem: T::shape },
    };
}

// The null niche of each reference: `Option<X>` is `X`, and `None` is a null pointer at PTR.
// SAFETY: checked for all four by `none_is_null` and the size assertions below.
unsafe impl<T: Layout> Niche for ArenaBox<'_, T> {
    const NONE: NoneRepr = NoneRepr::NullPtr {
        offset: ptr_len::PTR,
    };
}
// SAFETY: as above.
unsafe impl Niche for ArenaStr<'_> {
    const NONE: NoneRepr = NoneRepr::NullPtr {
        offset: ptr_len::PTR,
    };
}
// SAFETY: as above.
unsafe impl<T: Layout> Niche for ArenaSlice<'_, T> {
    const NONE: NoneRepr = NoneRepr::NullPtr {
        offset: ptr_len::PTR,
    };
}
// SAFETY: as above.
unsafe impl<T: Layout> Niche for ArenaVec<'_, T> {
    const NONE: NoneRepr = NoneRepr::NullPtr {
        offset: ptr_len::PTR,
    };
}

/// Whether the compiler writes `None::<T>` as a null pointer at offset 0 (read in a const).
const fn none_is_null<T>() -> bool {
    let none: Option<T> = None;
    // SAFETY: `Option<T>` is at least pointer-sized and -aligned for every `T` this is called
    // with (asserted next to each call), and the niche field the compiler wrote for `None`
    // is the pointer at offset 0, so these 8 bytes are initialised.
    let word = unsafe { *(&none as *const Option<T>).cast::<usize>() };
    std::mem::forget(none);
    word == 0
}

// Layout facts the generated readers rely on. The containers' layout is the same for every
// element type (a pointer and integers), so one instance stands for all.
const _: () = {
    type B = ArenaBox<'static, u64>;
    type S = ArenaStr<'static>;
    type L = ArenaSlice<'static, u64>;
    type V = ArenaVec<'static, u64>;
    assert!(size_of::<B>() == 8 && size_of::<Option<B>>() == 8);
    assert!(size_of::<S>() == 16 && size_of::<Option<S>>() == 16);
    assert!(size_of::<L>() == 16 && size_of::<Option<L>>() == 16);
    assert!(size_of::<V>() == 24 && size_of::<Option<V>>() == 24);
    assert!(none_is_null::<B>() && none_is_null::<S>() && none_is_null::<L>());
    assert!(none_is_null::<V>());
    assert!(offset_of!(S, ptr) == ptr_len::PTR && offset_of!(S, len) == ptr_len::LEN);
    assert!(offset_of!(L, ptr) == ptr_len::PTR && offset_of!(L, len) == ptr_len::LEN);
    assert!(offset_of!(V, ptr) == ptr_len::PTR && offset_of!(V, len) == ptr_len::LEN);
};
