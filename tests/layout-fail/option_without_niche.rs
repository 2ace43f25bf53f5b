// `Option` is a layout type only where the compiler stores `None` in a niche the reader knows:
// a derived enum or an arena reference, not an integer or a bool.
use raw_transfer::layout::Layout;

#[derive(Layout)]
#[repr(C)]
struct Maybe {
    count: Option<u32>,
    flag: Option<bool>,
}

fn main() {}
