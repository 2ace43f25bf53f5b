// Every field type a generated JS reader cannot follow is an error at that field.
use raw_transfer::layout::Layout;

#[derive(Layout)]
#[repr(C)]
struct Unsupported<'a> {
    heap_string: String,
    static_str: &'static str,
    borrowed_str: &'a str,
    slice_ref: &'a [u32],
    heap_box: Box<u32>,
    heap_vec: Vec<u32>,
    arena_api_vec: raw_transfer::allocator_api2::vec::Vec<u32, &'a raw_transfer::Allocator>,
    character: char,
    wide: u128,
    pointer_sized: usize,
    raw_pointer: *const u8,
    tuple: (u8, u8),
    unit: (),
}

fn main() {}
