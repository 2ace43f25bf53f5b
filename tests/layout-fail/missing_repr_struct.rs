// Without #[repr(C)] Rust may reorder fields between compilations.
use raw_transfer::layout::Layout;

#[derive(Layout)]
struct Point {
    x: f64,
    y: f64,
}

fn main() {}
