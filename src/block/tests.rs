use std::os::unix::process::ExitStatusExt;
use std::ptr::NonNull;
use std::sync::{Arc, Barrier};

use super::spare::{SPARE_BLOCKS, SPARE_RESIDENT, SPARES};
use super::*;
use crate::FixedSizeAllocator;
use crate::geometry::{BLOCK_ALIGN, BUFFER_SIZE, offset_of_ptr};

const MB: usize = 1 << 20;

/// Tests that count live blocks must not overlap with other tests creating blocks.
pub(crate) static SERIAL: parking_lot::Mutex<()> = parking_lot::Mutex::new(());

thread_local! {
    /// How many times a reset on this thread asked the process's fault count
    /// (`Block::may_be_dirty_past_committed`).
    pub(crate) static FAULT_CHECKS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

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
    // SAFETY: as above: the block and its metadata are alive.
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
    if std::env::var_os("RAW_TRANSFER_CHILD_RLIMIT").is_some() {
        return;
    }
    let stdout = child_stdout("ulimit -v 1500000 &&", "child_reserve_under_rlimit");
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
    for mode in [memory_mode(), MemoryMode::NoReserve, MemoryMode::Strict] {
        match FixedSizeAllocator::with_mode(mode) {
            Err(BlockError::Reserve(e)) => println!("reserve refused: {e}"),
            Err(e) => panic!("unexpected error {e} ({mode})"),
            Ok(_) => panic!("reservation should fail under ulimit -v ({mode})"),
        }
    }
}

#[test]
fn blocks_need_only_their_own_2_gib_of_address_space() {
    let _serial = SERIAL.lock();
    // Under a 3.5 GiB limit the 6 GiB over-reservation is impossible, so the blocks must come
    // from exact aligned slots.
    let stdout = child_stdout(
        "ulimit -v 3600000 &&",
        "child_reserve_in_small_address_space",
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

/// Run child test `name` (gated on `RAW_TRANSFER_CHILD_RLIMIT_RUN`) under `shell` (a
/// `ulimit`); it must succeed. Returns what it printed.
fn child_stdout(shell: &str, name: &str) -> String {
    let out = run_child(shell, name, "RAW_TRANSFER_CHILD_RLIMIT_RUN");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "child {name} failed: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Run test `name` of this binary in a child process, with `env` set and `shell` (e.g. a
/// `ulimit`) before it.
fn run_child(shell: &str, name: &str, env: &str) -> std::process::Output {
    let exe = std::env::current_exe().unwrap();
    std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{shell} {env}=1 exec {} block::tests::{name} --exact --nocapture --test-threads=1",
            exe.display()
        ))
        .output()
        .unwrap()
}

/// Whether this machine's own choice (not `RAW_TRANSFER_MEMORY_MODE`) is noreserve, i.e. a
/// read/write block costs no commit charge here.
fn os_allows_noreserve() -> bool {
    os::default_mode() == MemoryMode::NoReserve
}

/// Resident bytes of the whole data region, committed or not.
fn resident_data(a: &FixedSizeAllocator) -> usize {
    os::resident_bytes(a.base_ptr(), TAIL_START)
}

#[test]
fn memory_mode_follows_the_override_or_the_os() {
    let _serial = SERIAL.lock();
    let expected = match std::env::var("RAW_TRANSFER_MEMORY_MODE").as_deref() {
        Ok("strict") => MemoryMode::Strict,
        Ok("noreserve") => MemoryMode::NoReserve,
        _ => os::default_mode(),
    };
    assert_eq!(memory_mode(), expected);
    let overcommit = std::fs::read_to_string("/proc/sys/vm/overcommit_memory").unwrap();
    if matches!(overcommit.trim(), "0" | "1") {
        // A read/write block costs no commit charge here: unless a data limit is set, the
        // process picks noreserve.
        let mut data = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes only the struct we own.
        unsafe { libc::getrlimit(libc::RLIMIT_DATA, &mut data) };
        if data.rlim_cur == libc::RLIM_INFINITY {
            assert_eq!(os::default_mode(), MemoryMode::NoReserve);
        }
    }
    let a = FixedSizeAllocator::new().unwrap();
    assert_eq!(a.memory_mode(), memory_mode());
    assert_eq!(a.metadata().memory_mode(), memory_mode());
    // The metadata record stays within its 32 bytes (BUFFER_SIZE, seen by JS, depends on it).
    assert_eq!(crate::geometry::FIXED_METADATA_SIZE_ROUNDED, 32);
    assert_eq!(MemoryMode::NoReserve.to_string(), "noreserve");
    assert_eq!(MemoryMode::Strict.as_str(), "strict");
}

#[test]
fn noreserve_writes_past_committed_do_not_fault_and_reset_gives_them_back() {
    let _serial = SERIAL.lock();
    if !os_allows_noreserve() {
        return; // a read/write block would be charged 2 GiB here
    }
    let mut a = FixedSizeAllocator::with_mode(MemoryMode::NoReserve).unwrap();
    assert_eq!(a.memory_mode(), MemoryMode::NoReserve);
    let data = a.alloc_slice_copy(&[5u8; 1000]).as_ptr() as usize;
    let committed = a.committed_bytes();
    assert!(committed <= MB, "committed {committed}");
    // A JS buffer over the block (what a hand-off does) ...
    a.metadata().add_owner();
    let meta = a.metadata_ptr();
    let base = a.base_ptr().as_ptr();
    let before = resident_data(&a);
    // ... writes 64 MiB far past the committed prefix, the last byte before the tail and
    // the last JS-visible byte.
    // SAFETY: noreserve blocks are mapped read/write over their whole 2 GiB, and nothing of
    // Rust's lives in these ranges (the metadata record at the end is JS-writable anyway).
    unsafe {
        std::ptr::write_bytes(base.add(512 * MB), 0xee, 64 * MB);
        *base.add(TAIL_START - 1) = 1;
        *base.add(BUFFER_SIZE - 1) = 1;
    }
    assert_eq!(
        a.committed_bytes(),
        committed,
        "JS writes are not Rust's commits"
    );
    let written = resident_data(&a);
    assert!(
        written >= before + 64 * MB,
        "resident {before} -> {written}"
    );
    // Reset gives back every page past what it retains, committed by Rust or not.
    a.reset();
    let after = resident_data(&a);
    assert!(
        after <= a.committed_bytes() + MB,
        "resident {after} after reset, committed {}",
        a.committed_bytes()
    );
    // SAFETY: as above; the pages were dropped, so they read as zeros again.
    assert_eq!(unsafe { *base.add(512 * MB) }, 0);
    // SAFETY: as above.
    assert_eq!(unsafe { *base.add(TAIL_START - 1) }, 0);
    // Rust's retained prefix is untouched ...
    // SAFETY: `data` is inside the retained committed prefix (now free, still mapped).
    assert_eq!(unsafe { *(data as *const u8) }, 5);
    // ... and the arena works over pages JS wrote before Rust committed them.
    // SAFETY: as above.
    unsafe { std::ptr::write_bytes(base.add(a.committed_bytes()), 0xaa, 4 * MB) };
    let s = a.alloc_slice_copy(&vec![3u8; 3 * MB]);
    assert!(s.iter().all(|&b| b == 3));
    // A view kept past release (the block sits idle in a pool): trim gives its pages back.
    a.reset();
    // SAFETY: as above.
    unsafe { std::ptr::write_bytes(base.add(900 * MB), 0x11, 32 * MB) };
    assert!(resident_data(&a) >= 32 * MB);
    a.trim();
    assert!(resident_data(&a) <= crate::arena::DEFAULT_RETAINED_BYTES + MB);
    // Once the JS buffer is gone, the next decommit sweeps for the last time and the block
    // is clean again: later resets of a Rust-only block need no sweep.
    // SAFETY: the simulated JS owner gives up its count.
    unsafe { free_fixed_size_allocator(meta) };
    assert_ne!(a.metadata().exposed.load(Ordering::Relaxed), 0);
    a.reset();
    assert_eq!(a.metadata().exposed.load(Ordering::Relaxed), 0);
}

#[test]
fn both_modes_commit_on_demand_and_give_memory_back() {
    let _serial = SERIAL.lock();
    let modes: &[MemoryMode] = if os_allows_noreserve() {
        &[MemoryMode::NoReserve, MemoryMode::Strict]
    } else {
        &[MemoryMode::Strict]
    };
    for &mode in modes {
        let mut a = FixedSizeAllocator::with_mode(mode).unwrap();
        assert_eq!(a.memory_mode(), mode);
        a.metadata().add_owner();
        let meta = a.metadata_ptr();
        assert_eq!(a.committed_bytes(), 0);
        a.alloc_slice_copy(&vec![1u8; MB]);
        let c = a.committed_bytes();
        assert!((MB..=MB + MB / 2).contains(&c), "{mode}: committed {c}");
        let r = resident_data(&a);
        assert!(
            (MB..=c).contains(&r),
            "{mode}: resident {r} for 1 MiB (committed {c})"
        );
        a.alloc_slice_copy(&vec![2u8; 300 * MB]);
        assert!(resident_data(&a) >= 300 * MB);
        a.reset();
        let kept = a.committed_bytes();
        assert!(
            kept <= crate::arena::DEFAULT_MAX_RETAINED_BYTES,
            "{mode}: kept {kept}"
        );
        assert!(
            resident_data(&a) <= kept,
            "{mode}: resident {} > kept {kept}",
            resident_data(&a)
        );
        a.trim();
        assert!(a.committed_bytes() <= crate::arena::DEFAULT_RETAINED_BYTES);
        assert!(
            resident_data(&a) <= crate::arena::DEFAULT_RETAINED_BYTES,
            "{mode}"
        );
        // Commit again after a decommit: the pages work.
        let again = a.alloc_slice_copy(&vec![9u8; 40 * MB]);
        assert!(again.iter().all(|&b| b == 9));
        // SAFETY: the simulated JS owner gives up its count.
        unsafe { free_fixed_size_allocator(meta) };
    }
}

#[test]
fn a_write_past_committed_faults_only_in_strict_mode() {
    let _serial = SERIAL.lock();
    // (No core dump for the expected crash.)
    let out = run_child(
        "ulimit -c 0;",
        "child_write_past_committed",
        "RAW_TRANSFER_CHILD_STRICT_WRITE",
    );
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGSEGV),
        "strict: {:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("read ok: 0"));
    if os_allows_noreserve() {
        let out = run_child(
            "",
            "child_write_past_committed",
            "RAW_TRANSFER_CHILD_NORESERVE_WRITE",
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "noreserve: {:?} {stdout}", out.status);
        assert!(stdout.contains("no fault"), "{stdout}");
    }
}

#[test]
fn child_write_past_committed() {
    let mode = if std::env::var_os("RAW_TRANSFER_CHILD_STRICT_WRITE").is_some() {
        MemoryMode::Strict
    } else if std::env::var_os("RAW_TRANSFER_CHILD_NORESERVE_WRITE").is_some() {
        MemoryMode::NoReserve
    } else {
        return;
    };
    let a = FixedSizeAllocator::with_mode(mode).unwrap();
    a.alloc(1u8);
    let p = a.base_ptr().as_ptr().wrapping_add(a.committed_bytes());
    // SAFETY: the whole block is mapped readable in both modes.
    println!("read ok: {}", unsafe { p.read_volatile() });
    // SAFETY: noreserve: the page is mapped read/write and nothing else uses it. Strict:
    // the page is read-only, so the write traps before it takes effect and the SIGSEGV
    // kills this child process (what the parent test checks): no code runs after it.
    unsafe { p.write_volatile(1) };
    println!("no fault");
}

#[test]
fn a_data_limit_makes_blocks_strict() {
    let _serial = SERIAL.lock();
    if !os_allows_noreserve() {
        return;
    }
    // RLIMIT_DATA counts a writable mapping in full: a 600 MB limit refuses a read/write
    // block, so the process picks strict, and a block that asks for noreserve falls back.
    let stdout = child_stdout("ulimit -d 600000 &&", "child_under_data_limit");
    assert!(
        stdout.contains("strict blocks under RLIMIT_DATA"),
        "{stdout}"
    );
}

#[test]
fn child_under_data_limit() {
    if std::env::var_os("RAW_TRANSFER_CHILD_RLIMIT_RUN").is_none() {
        return;
    }
    if std::env::var_os("RAW_TRANSFER_MEMORY_MODE").is_none() {
        assert_eq!(memory_mode(), MemoryMode::Strict);
    }
    let a = FixedSizeAllocator::with_mode(MemoryMode::NoReserve).unwrap();
    assert_eq!(a.memory_mode(), MemoryMode::Strict, "fell back");
    assert_eq!(a.alloc_slice_copy(&vec![4u8; 64 * MB])[64 * MB - 1], 4);
    println!("strict blocks under RLIMIT_DATA");
}

/// `VmFlags` of the mapping that contains `addr`, from /proc/self/smaps.
fn vm_flags_at(addr: usize) -> String {
    let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
    // A mapping's header line is `lo-hi perms ...` (hex); its fields follow it.
    let range_of = |line: &str| {
        let (lo, rest) = line.split_once('-')?;
        let hi = rest.split(' ').next()?;
        Some((
            usize::from_str_radix(lo, 16).ok()?,
            usize::from_str_radix(hi, 16).ok()?,
        ))
    };
    let mut inside = false;
    for line in smaps.lines() {
        match range_of(line) {
            Some((lo, hi)) => inside = lo <= addr && addr < hi,
            None if inside && line.starts_with("VmFlags:") => return line.to_string(),
            None => {}
        }
    }
    panic!("no mapping at {addr:#x}");
}

#[test]
fn noreserve_first_huge_page_only_once_wholly_committed() {
    let _serial = SERIAL.lock();
    if !os_allows_noreserve()
        || !std::path::Path::new("/sys/kernel/mm/transparent_hugepage").exists()
    {
        return;
    }
    let mut a = FixedSizeAllocator::with_mode(MemoryMode::NoReserve).unwrap();
    a.set_retention(0, 0);
    let base = a.base_ptr().as_ptr() as usize;
    // A small block keeps small pages (a huge one would be 2 MiB for a few bytes): a new
    // block asks for none anywhere (no advice: no madvise to pay); a spare block (see
    // `spare_blocks_are_reused_wiped`) keeps the middle's advice of its earlier use. Where
    // the kernel uses huge pages unasked, the first and last 2 MiB refuse them (" nh").
    a.alloc_slice_copy(&[1u8; 1000]);
    let (first, last) = (vm_flags_at(base), vm_flags_at(base + TAIL_START));
    assert!(
        !first.contains(" hg") && !last.contains(" hg"),
        "{first} {last}"
    );
    if os::huge_pages_unasked() {
        assert!(
            first.contains(" nh") && last.contains(" nh"),
            "{first} {last}"
        );
    }
    // Past 2 MiB the block asks for huge pages from its start to its last 2 MiB (the
    // metadata's stay small).
    a.alloc_slice_copy(&vec![2u8; 3 * MB]);
    assert!(
        vm_flags_at(base).contains(" hg") && vm_flags_at(base + 512 * MB).contains(" hg"),
        "wholly committed: {} {}",
        vm_flags_at(base),
        vm_flags_at(base + 512 * MB)
    );
    assert!(!vm_flags_at(base + TAIL_START).contains(" hg"));
    a.reset();
    assert!(a.committed_bytes() < HUGE_PAGE);
    assert!(
        vm_flags_at(base).contains(" nh"),
        "decommitted: {}",
        vm_flags_at(base)
    );
}

#[test]
fn blocks_stop_at_half_the_mapping_limit_with_an_error_that_names_it() {
    assert!(super::mapping_headroom(0, 65_530).is_ok());
    assert!(super::mapping_headroom(8_000, 65_530).is_ok());
    let err = super::mapping_headroom(8_191, 65_530).unwrap_err();
    assert!(matches!(
        err,
        BlockError::MappingLimit {
            live_blocks: 8_191,
            max_map_count: 65_530
        }
    ));
    let text = err.to_string();
    assert!(
        text.contains("vm.max_map_count") && text.contains("65530") && text.contains("8191"),
        "{text}"
    );
}

#[test]
fn spare_blocks_are_reused_wiped() {
    let _serial = SERIAL.lock();
    for mode in [MemoryMode::NoReserve, MemoryMode::Strict] {
        if mode == MemoryMode::NoReserve && !os_allows_noreserve() {
            continue;
        }
        // Another test's new block may take the spare before we look at it: try again.
        let checked = (0..10).any(|_| spare_is_reused_wiped(mode));
        assert!(checked, "{mode}: the freed block was kept as a spare");
    }
}

/// Free a block JS wrote to and check its spare (false if another test took it first).
fn spare_is_reused_wiped(mode: MemoryMode) -> bool {
    // Other tests make and free blocks meanwhile: count this one by its metadata address.
    let is_live = |meta: NonNull<FixedSizeAllocatorMetadata>| {
        LIVE_BLOCKS.lock().contains(&(meta.as_ptr() as usize))
    };
    let a = FixedSizeAllocator::with_mode(mode).unwrap();
    let base = a.base_ptr();
    a.alloc_slice_copy(&vec![7u8; 3 * MB]);
    let meta = a.metadata_ptr();
    a.metadata().add_owner(); // a JS buffer over the block
    if mode == MemoryMode::NoReserve {
        // JS may write anywhere in its buffer, far past the committed prefix.
        // SAFETY: noreserve: the whole data region is mapped read/write.
        unsafe { base.add(512 * MB).write(9) };
    }
    drop(a);
    // SAFETY: the simulated JS owner gives up the last count: the block is freed.
    unsafe { free_fixed_size_allocator(meta) };
    assert!(!is_live(meta), "a spare is not a live block");
    {
        let spares = SPARES.lock();
        let Some(spare) = spares.iter().find(|s| s.0 == base.as_ptr() as usize) else {
            return false;
        };
        assert_eq!(spare.1, mode);
        // Wiped: at most the first pages of the data region resident, zeros.
        let resident = os::resident_bytes(base, TAIL_START);
        assert!(resident <= SPARE_RESIDENT, "{mode}: {resident}");
        // SAFETY: the spare is mapped and nobody can take it while we hold the lock.
        let first = unsafe { std::slice::from_raw_parts(base.as_ptr(), SPARE_RESIDENT) };
        assert!(first.iter().all(|&b| b == 0), "{mode}");
        assert!(spares.len() <= SPARE_BLOCKS);
    }
    // The next block takes the newest spare of its mode (another test's block may have
    // taken it in between: then it is a block of its own, and new blocks read zeros too).
    let b = FixedSizeAllocator::with_mode(mode).unwrap();
    assert!(is_live(b.metadata_ptr()));
    assert_eq!(b.metadata().owner_count(), 1);
    assert_eq!(b.metadata().memory_mode(), mode);
    let reused = b.base_ptr() == base;
    // SAFETY: reading the block's own mapping (zero pages past the committed prefix).
    let (low, far) = unsafe {
        (
            *b.base_ptr().add(crate::geometry::DATA_START).as_ptr(),
            *b.base_ptr().add(512 * MB).as_ptr(),
        )
    };
    assert_eq!((low, far), (0, 0), "reused: {reused}");
    assert_eq!(b.committed_bytes(), 0);
    assert_eq!(b.alloc_slice_copy(&[1u8, 2, 3]), &[1, 2, 3]);
    true
}

#[test]
fn a_reset_asks_no_fault_count_when_js_buffers_end_inside_the_committed_prefix() {
    let _serial = SERIAL.lock();
    if !os_allows_noreserve() {
        return;
    }
    let checks = || FAULT_CHECKS.with(|c| c.get());
    let mut a = FixedSizeAllocator::with_mode(MemoryMode::NoReserve).unwrap();
    a.alloc_slice_copy(&[1u8; 1000]);
    let committed = a.committed_bytes();
    assert!(committed >= crate::geometry::MIN_BUFFER_SIZE, "{committed}");
    let base = a.base_ptr().as_ptr();
    // A JS buffer of the smallest length the Node-API layer hands out: inside the prefix.
    a.metadata().add_owner_for(crate::geometry::MIN_BUFFER_SIZE);
    let before = checks();
    a.reset();
    assert_eq!(
        checks(),
        before,
        "nothing JS holds reaches past the committed prefix"
    );
    // A longer buffer (the block grew, then shrank back at a reset): the reset asks, and
    // gives back what JS wrote past the committed prefix.
    a.alloc_slice_copy(&[1u8; 1000]);
    a.metadata().add_owner_for(8 * MB);
    // SAFETY: noreserve: the block is mapped read/write; JS may write anywhere in its buffer.
    unsafe { base.add(6 * MB).write_bytes(0xab, MB) };
    let before = checks();
    a.reset();
    assert_eq!(checks(), before + 1);
    // SAFETY: as above; the pages were given back, so they read as zeros.
    assert_eq!(unsafe { *base.add(6 * MB) }, 0);
    // A buffer of unknown length (`add_owner`): always asked.
    a.alloc_slice_copy(&[1u8; 1000]);
    a.metadata().add_owner();
    let before = checks();
    a.reset();
    assert_eq!(checks(), before + 1);
    // The test's three owners let go (as the buffers' finalizers would).
    for _ in 0..3 {
        // SAFETY: each count added above is dropped once; the allocator keeps its own.
        unsafe { free_fixed_size_allocator(a.metadata_ptr()) };
    }
}

#[test]
fn the_live_set_finds_each_of_many_blocks() {
    // Serial: its 300 blocks would take the spares other serial tests look for. Membership
    // only: tests that do not take SERIAL make and free blocks meanwhile, so the live count
    // is not this test's to check.
    let _serial = SERIAL.lock();
    let mut blocks: Vec<_> = (0..300)
        .map(|_| FixedSizeAllocator::new().unwrap())
        .collect();
    let inside: Vec<usize> = blocks
        .iter()
        .map(|b| b.alloc(7u64) as *const u64 as usize)
        .collect();
    for &p in &inside {
        assert!(
            overlaps_live_block(p as *const u8, 8),
            "a live block's bytes"
        );
        assert!(
            !overlaps_live_block(p as *const u8, 0),
            "no bytes overlap nothing"
        );
    }
    let heap = Box::new([0u8; 64]);
    assert!(!overlaps_live_block(heap.as_ptr(), heap.len()));
    // Every other block goes: the rest are still found.
    let mut k = 0;
    blocks.retain(|_| {
        k += 1;
        k % 2 == 0
    });
    for &p in inside.iter().skip(1).step_by(2) {
        assert!(overlaps_live_block(p as *const u8, 8));
    }
}
