use std::alloc::Layout;

use allocator_api2::vec::Vec as AVec;
use proptest::prelude::*;

use super::*;
use crate::block::tests::SERIAL;
use crate::geometry::ACTIVE_SIZE;

const MB: usize = 1 << 20;

#[test]
fn commit_on_demand_tracks_use() {
    let _serial = SERIAL.lock();
    let a = FixedSizeAllocator::new().unwrap();
    assert_eq!(a.committed_bytes(), 0);
    let data = a.alloc_slice_copy(&vec![1u8; MB]);
    assert_eq!(data.len(), MB);
    let committed = a.committed_bytes();
    assert!(
        (MB..=MB + MB / 2).contains(&committed),
        "committed {committed} for 1 MB of data"
    );
    let resident = a.resident_bytes();
    assert!(
        resident >= MB && resident <= committed,
        "resident {resident}"
    );
    // The kernel agrees: the block's mapping has about 1 MB resident.
    let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
    let base = format!("{:x}-", a.base_ptr().as_ptr() as usize);
    let section: String = smaps
        .split_inclusive('\n')
        .skip_while(|l| !l.starts_with(&base))
        .skip(1)
        .take_while(|l| !l.contains('-') || l.contains(':'))
        .collect();
    let rss_kb: usize = section
        .lines()
        .find(|l| l.starts_with("Rss:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .expect("smaps entry for the block");
    assert!(
        rss_kb * 1024 >= MB && rss_kb * 1024 <= MB + MB / 2,
        "smaps Rss {rss_kb} kB"
    );
}

#[test]
fn reset_gives_memory_back_above_retention() {
    let _serial = SERIAL.lock();
    let mut a = FixedSizeAllocator::new().unwrap();
    let chunk = vec![0xabu8; 64 * MB];
    for _ in 0..16 {
        a.alloc_slice_copy(&chunk);
    }
    assert!(a.resident_bytes() >= 1024 * MB);
    let generation = a.generation();
    a.reset();
    assert_eq!(a.generation(), generation + 1);
    assert_eq!(a.used_bytes(), crate::geometry::DATA_START);
    // Above the retention threshold (the ceiling) everything goes back at once.
    assert!(
        a.committed_bytes() <= DEFAULT_MAX_RETAINED_BYTES,
        "committed {}",
        a.committed_bytes()
    );
    assert!(
        a.resident_bytes() <= DEFAULT_MAX_RETAINED_BYTES,
        "resident {}",
        a.resident_bytes()
    );
    // Usable again, and the retained pages still work.
    let x = a.alloc_slice_copy(&chunk[..2 * MB]);
    assert!(x.iter().all(|&b| b == 0xab));
    // Small uses after the big one: the retained memory decays to the floor.
    for _ in 0..12 {
        a.alloc_slice_copy(&chunk[..MB]);
        a.reset();
    }
    assert!(
        a.committed_bytes() <= DEFAULT_RETAINED_BYTES,
        "committed {}",
        a.committed_bytes()
    );
    assert!(
        a.resident_bytes() <= DEFAULT_RETAINED_BYTES,
        "resident {}",
        a.resident_bytes()
    );
}

#[test]
fn steady_large_uses_keep_their_pages_and_trim_releases_them() {
    let _serial = SERIAL.lock();
    let mut a = FixedSizeAllocator::new().unwrap();
    let chunk = vec![1u8; 100 * MB];
    a.alloc_slice_copy(&chunk);
    a.reset();
    let kept = a.committed_bytes();
    assert!(
        kept >= 100 * MB,
        "a 100 MB use keeps its pages for the next one: {kept}"
    );
    a.alloc_slice_copy(&chunk);
    assert_eq!(a.committed_bytes(), kept, "no new commit needed");
    a.reset();
    a.trim();
    assert!(a.committed_bytes() <= DEFAULT_RETAINED_BYTES);
    assert!(a.resident_bytes() <= DEFAULT_RETAINED_BYTES);
}

#[test]
fn a_lone_big_use_among_small_ones_goes_back_at_its_own_reset() {
    let _serial = SERIAL.lock();
    let mut a = FixedSizeAllocator::new().unwrap();
    let small = vec![2u8; 2 * MB];
    let big = vec![3u8; 200 * MB];
    for _ in 0..3 {
        a.alloc_slice_copy(&small);
        a.reset();
    }
    a.alloc_slice_copy(&big);
    a.reset();
    // Twice the small use past the floor at most, not the 200 MB.
    let kept = a.committed_bytes();
    assert!(
        kept <= 2 * 2 * MB + DEFAULT_RETAINED_BYTES + 2 * MB,
        "kept {kept}"
    );
    // Two big uses in a row are a steady workload: the second finds its pages.
    a.alloc_slice_copy(&big);
    a.reset();
    let kept = a.committed_bytes();
    assert!(kept >= 200 * MB, "kept {kept}");
    a.alloc_slice_copy(&big);
    assert_eq!(a.committed_bytes(), kept, "no new commit needed");
}

#[test]
fn filling_the_block_yields_an_error_and_reset_recovers() {
    let _serial = SERIAL.lock();
    let mut a = FixedSizeAllocator::new().unwrap();
    a.set_retention(0, 0);
    // Reserve (not touch) nearly all of the data region, then fill the rest byte-wise.
    let big = Layout::from_size_align(ACTIVE_SIZE - 4096, 8).unwrap();
    a.try_alloc_layout(big).unwrap();
    assert_eq!(a.remaining_bytes(), 4096);
    let last = a.try_alloc_slice_copy(&[7u8; 4096]).unwrap();
    assert_eq!(last.len(), 4096);
    match a.try_alloc(1u8) {
        Err(AllocError::BlockFull {
            requested: 1,
            remaining: 0,
        }) => {}
        other => panic!("expected BlockFull, got {other:?}"),
    }
    assert!(matches!(
        a.try_alloc_str(&"x".repeat(10)),
        Err(AllocError::BlockFull { .. })
    ));
    let huge = Layout::from_size_align(usize::MAX / 4, 1).unwrap();
    assert!(matches!(
        a.try_alloc_layout(huge),
        Err(AllocError::BlockFull { .. })
    ));
    a.reset();
    assert_eq!(a.remaining_bytes(), ACTIVE_SIZE);
    assert_eq!(a.alloc_str("again"), "again");
}

#[test]
fn standard_allocator_grows() {
    let mut a = Allocator::new();
    let s = a.alloc_str("hello");
    assert_eq!(s, "hello");
    let v: Vec<&mut u64> = (0..10_000).map(|i| a.alloc(i as u64)).collect();
    assert!(v.iter().enumerate().all(|(i, x)| **x == i as u64));
    assert!(a.committed_bytes() >= 80_000);
    a.reset();
    assert!(a.as_fixed_size().is_none());
}

#[test]
fn allocator_api2_collections_live_in_the_arena() {
    let _serial = SERIAL.lock();
    let a = Allocator::from(FixedSizeAllocator::new().unwrap());
    let fixed = a.as_fixed_size().unwrap();
    let mut v: AVec<u32, &Allocator> = AVec::new_in(&a);
    for i in 0..100_000 {
        v.push(i);
    }
    assert_eq!(
        v.iter().map(|&x| x as u64).sum::<u64>(),
        (0..100_000u64).sum::<u64>()
    );
    assert!(fixed.contains(v.as_ptr()));
    // Growing the last allocation happens in place: used bytes stay ~ the final capacity.
    assert!(
        a.used_bytes() < 2 * 4 * v.capacity(),
        "used {} for cap {}",
        a.used_bytes(),
        v.capacity()
    );
    let mut w: AVec<u8, &FixedSizeAllocator> = AVec::new_in(fixed);
    w.extend_from_slice(b"abc");
    assert_eq!(&w[..], b"abc");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn allocations_are_aligned_and_disjoint(reqs in prop::collection::vec((0usize..5000, 0u32..7), 1..200)) {
        let _serial = SERIAL.lock();
        let a = FixedSizeAllocator::new().unwrap();
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for (i, &(size, align_pow)) in reqs.iter().enumerate() {
            let layout = Layout::from_size_align(size, 1 << align_pow).unwrap();
            let p = a.try_alloc_layout(layout).unwrap().as_ptr();
            prop_assert_eq!(p as usize % layout.align(), 0);
            prop_assert!(a.contains(p));
            // Write a pattern to prove the memory is committed and ours.
            // SAFETY: `p` is a fresh allocation of `size` bytes.
            unsafe { std::ptr::write_bytes(p, i as u8, size) };
            spans.push((p as usize, p as usize + size));
        }
        spans.sort();
        for w in spans.windows(2) {
            prop_assert!(w[0].1 <= w[1].0, "overlap {:?}", w);
        }
    }

    /// The standard arena (chunks) across chunk boundaries, alignments up to 64 KiB, zero
    /// sizes, and a reset between two rounds: aligned, disjoint, contents kept.
    #[test]
    fn standard_allocations_are_aligned_disjoint_and_kept(
        reqs in prop::collection::vec((0usize..20_000, 0u32..17), 1..200),
    ) {
        let mut a = Allocator::new();
        for round in 0..2u8 {
            let mut spans: Vec<(usize, usize, u8)> = Vec::new();
            for (i, &(size, align_pow)) in reqs.iter().enumerate() {
                let layout = Layout::from_size_align(size, 1 << align_pow).unwrap();
                let p = a.try_alloc_layout(layout).unwrap().as_ptr();
                prop_assert_eq!(p as usize % layout.align(), 0);
                let fill = (i as u8).wrapping_add(round);
                // SAFETY: `p` is a fresh allocation of `size` bytes.
                unsafe { std::ptr::write_bytes(p, fill, size) };
                spans.push((p as usize, p as usize + size, fill));
            }
            for &(start, end, fill) in &spans {
                // SAFETY: each span is a live allocation of the arena, written above.
                let bytes = unsafe { std::slice::from_raw_parts(start as *const u8, end - start) };
                prop_assert!(bytes.iter().all(|&b| b == fill), "overwritten");
            }
            spans.retain(|s| s.1 > s.0);
            spans.sort();
            for w in spans.windows(2) {
                prop_assert!(w[0].1 <= w[1].0, "overlap {:?}", w);
            }
            prop_assert!(a.used_bytes() <= a.committed_bytes());
            a.reset();
            prop_assert_eq!(a.used_bytes(), 0);
        }
    }
}

#[test]
fn standard_reset_keeps_the_largest_chunk_and_reuses_it() {
    let mut a = Allocator::new();
    assert_eq!((a.committed_bytes(), a.used_bytes()), (0, 0));
    // Zero-sized allocations need no memory.
    let z = a
        .try_alloc_layout(Layout::from_size_align(0, 64).unwrap())
        .unwrap();
    assert_eq!(z.as_ptr() as usize % 64, 0);
    assert_eq!(a.committed_bytes(), 0);
    for i in 0..100_000u64 {
        a.alloc(i);
    }
    let committed = a.committed_bytes();
    assert!(
        (800_000..4 * 800_000).contains(&committed),
        "committed {committed}"
    );
    a.reset();
    let kept = a.committed_bytes();
    assert!(kept > 0 && kept < committed, "kept {kept} of {committed}");
    assert_eq!(a.used_bytes(), 0);
    // The kept chunk serves the next round until it is full: no new memory.
    let first = a.alloc(1u64) as *mut u64 as usize;
    let first_end = first + 8;
    for i in 0..(kept / 8 / 2) as u64 {
        a.alloc(i);
    }
    assert_eq!(a.committed_bytes(), kept);
    // The whole round went into the kept chunk, one value after the other.
    assert_eq!(
        a.alloc(2u64) as *mut u64 as usize,
        first_end + (kept / 8 / 2) * 8
    );
}

#[test]
fn standard_requests_too_large_are_errors() {
    let a = Allocator::new();
    let huge = Layout::from_size_align(isize::MAX as usize - 4095, 4096).unwrap();
    assert_eq!(a.try_alloc_layout(huge), Err(AllocError::OutOfMemory));
    let big_align = Layout::from_size_align(8, 1 << 62).unwrap();
    assert_eq!(a.try_alloc_layout(big_align), Err(AllocError::OutOfMemory));
    // Still usable afterwards.
    assert_eq!(*a.alloc(7u32), 7);
    let mut v: AVec<u64, &Allocator> = AVec::new_in(&a);
    v.extend(0..10_000u64);
    assert_eq!(v.iter().sum::<u64>(), (0..10_000u64).sum::<u64>());
}
