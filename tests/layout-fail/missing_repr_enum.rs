// An enum needs its tag type stated.
use raw_transfer::layout::Layout;

#[derive(Layout)]
enum Kind {
    A,
    B,
}

#[derive(Layout)]
#[repr(C)]
enum CLike {
    A,
    B,
}

fn main() {}
