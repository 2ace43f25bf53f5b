// An enum variant's fields are checked like a struct's.
use raw_transfer::layout::{ArenaStr, Layout};

#[derive(Layout)]
#[repr(C, u8)]
enum Token<'a> {
    Word(ArenaStr<'a>),
    Text { text: &'a str },
}

fn main() {}
