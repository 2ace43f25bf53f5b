// Packed fields are unaligned; a tuple struct, a type parameter and a union are refused too.
use raw_transfer::layout::Layout;

#[derive(Layout)]
#[repr(C, packed)]
struct Packed {
    a: u8,
    b: u32,
}

#[derive(Layout)]
#[repr(C)]
struct Tuple(u32, u32);

#[derive(Layout)]
#[repr(C)]
struct Generic<T> {
    value: T,
}

#[derive(Layout)]
#[repr(C)]
union Either {
    a: u32,
    b: f32,
}

#[derive(Layout)]
#[repr(C)]
#[layout(colour = "blue")]
struct UnknownAttribute {
    a: u32,
}

fn main() {}
