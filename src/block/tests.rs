use std::ptr::NonNull;
use std::sync::{Arc, Barrier};

use super::*;
use crate::FixedSizeAllocator;
use crate::geometry::{BLOCK_ALIGN, offset_of_ptr};

/// Tests that count live blocks must not overlap with other tests creating blocks.
pub(crate) static SERIAL: parking_lot::Mutex<()> = parking_lot::Mutex::new(());

struct SendPtr(NonNull<FixedSizeAllocatorMetadata>);
// SAFETY: the metadata is only touched through atomics and the thread-safe free path.
unsafe impl Send for SendPtr {}

#[test]
fn blocks_are_4gib_aligned_and_offsets_are_low_bits() {
    let _serial = SERIAL.lock();
    let blocks: Vec<_> = (0..3).map(|_| FixedSizeAllocator::new().unwrap()).collect();
    for b in &blocks {
        let base = b.base_ptr().as_ptr() as usize;
        assert_eq!(base % BLOCK_ALIGN, 0);
        let x = b.alloc(0xdead_beef_u64);
        let addr = x as *const u64 as usize;
        assert_eq!(b.offset_of(x as *const u64), (addr - base) as u32);
        assert_eq!(offset_of_ptr(addr) as usize, addr - base);
    }
    let ids: std::collections::HashSet<_> = blocks.iter().map(|b| b.id()).collect();
    assert_eq!(ids.len(), 3, "block ids are unique");
}

#[test]
fn rust_first_then_js_release() {
    let _serial = SERIAL.lock();
    let start = live_blocks();
    let alloc = FixedSizeAllocator::new().unwrap();
    assert_eq!(live_blocks(), start + 1);
    alloc.metadata().add_owner(); // a JS buffer is created over the block
    let meta = alloc.metadata_ptr();
    let data = alloc.alloc(42u32) as *mut u32;
    drop(alloc); // Rust lets go first: the block must stay readable for JS.
    assert_eq!(live_blocks(), start + 1);
    // SAFETY: the simulated JS owner still holds the block.
    assert_eq!(unsafe { *data }, 42);
    assert_eq!(unsafe { meta.as_ref() }.owner_count(), 1);
    // SAFETY: the JS owner gives up its count (what a finalizer does).
    unsafe { free_fixed_size_allocator(meta) };
    assert_eq!(live_blocks(), start);
}

#[test]
fn js_first_then_rust_release() {
    let _serial = SERIAL.lock();
    let start = live_blocks();
    let alloc = FixedSizeAllocator::new().unwrap();
    alloc.metadata().add_owner();
    // SAFETY: the simulated JS owner gives up its count.
    unsafe { free_fixed_size_allocator(alloc.metadata_ptr()) };
    assert_eq!(live_blocks(), start + 1);
    assert_eq!(*alloc.alloc(7u8), 7, "Rust still owns a usable block");
    drop(alloc);
    assert_eq!(live_blocks(), start);
}

#[test]
fn racing_last_release_frees_exactly_once() {
    let _serial = SERIAL.lock();
    let start = live_blocks();
    const THREADS: usize = 8;
    for _round in 0..50 {
        let alloc = FixedSizeAllocator::new().unwrap();
        for _ in 0..THREADS {
            alloc.metadata().add_owner();
        }
        let barrier = Arc::new(Barrier::new(THREADS + 1));
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                let meta = SendPtr(alloc.metadata_ptr());
                let barrier = Arc::clone(&barrier);
                std::thread::spawn(move || {
                    let meta = meta;
                    barrier.wait();
                    // SAFETY: each thread owns one count, given up once.
                    unsafe { free_fixed_size_allocator(meta.0) };
                })
            })
            .collect();
        barrier.wait();
        drop(alloc);
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(live_blocks(), start, "every block freed once, none leaked");
    }
}

#[test]
fn reserve_failure_is_an_error_not_a_panic() {
    let _serial = SERIAL.lock();
    // Lower the address-space limit below one block (2 GiB) in a child process, so this
    // process keeps its limits.
    let exe = std::env::current_exe().unwrap();
    if std::env::var_os("RAW_TRANSFER_CHILD_RLIMIT").is_some() {
        return;
    }
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v 1500000 && RAW_TRANSFER_CHILD_RLIMIT_RUN=1 {} block::tests::child_reserve_under_rlimit --exact --nocapture",
            exe.display()
        ))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("reserve refused:"),
        "child did not see the error: {stdout}"
    );
}

#[test]
fn child_reserve_under_rlimit() {
    if std::env::var_os("RAW_TRANSFER_CHILD_RLIMIT_RUN").is_none() {
        return;
    }
    match FixedSizeAllocator::new() {
        Err(BlockError::Reserve(e)) => println!("reserve refused: {e}"),
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("reservation should fail under ulimit -v"),
    }
}

#[test]
fn blocks_need_only_their_own_2_gib_of_address_space() {
    let _serial = SERIAL.lock();
    // Under a 3.5 GiB limit the 6 GiB over-reservation is impossible, so the blocks must come
    // from exact aligned slots.
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v 3600000 && RAW_TRANSFER_CHILD_RLIMIT_RUN=1 {} block::tests::child_reserve_in_small_address_space --exact --nocapture",
            exe.display()
        ))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("reserved 1 block"), "{stdout}");
}

#[test]
fn child_reserve_in_small_address_space() {
    if std::env::var_os("RAW_TRANSFER_CHILD_RLIMIT_RUN").is_none() {
        return;
    }
    let a = FixedSizeAllocator::new().expect("a block fits in 3.5 GiB of address space");
    assert_eq!(a.base_ptr().as_ptr() as usize % BLOCK_ALIGN, 0);
    assert_eq!(*a.alloc(5u64), 5);
    println!("reserved 1 block");
}
