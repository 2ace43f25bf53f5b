use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::*;
use crate::block::live_blocks;
use crate::block::tests::SERIAL;

#[test]
fn blocks_are_created_lazily_and_reused() {
    let _serial = SERIAL.lock();
    let pool = AllocatorPool::new_fixed_size(3);
    assert_eq!(pool.stats().created, 0);
    let id = {
        let g = pool.get().unwrap();
        g.alloc_str("first");
        g.as_fixed_size().unwrap().id()
    };
    let g = pool.get().unwrap();
    let fixed = g.as_fixed_size().unwrap();
    assert_eq!(fixed.id(), id, "the returned block is reused");
    assert_eq!(g.used_bytes(), crate::geometry::DATA_START, "and was reset");
    assert_eq!(fixed.generation(), 2);
    let s = pool.stats();
    assert_eq!((s.size, s.created, s.available, s.in_use), (3, 1, 0, 1));
}

#[test]
fn many_threads_share_a_small_pool() {
    let _serial = SERIAL.lock();
    let start = live_blocks();
    let pool = Arc::new(FixedSizeAllocatorPool::new(2));
    let done = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..6)
        .map(|t| {
            let pool = Arc::clone(&pool);
            let done = Arc::clone(&done);
            std::thread::spawn(move || {
                for i in 0..200 {
                    let g = pool.get().unwrap();
                    let v = g.alloc((t, i));
                    assert_eq!(*v, (t, i));
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(done.load(Ordering::Relaxed), 1200);
    let s = pool.stats();
    assert!(s.created <= 2 && s.in_use == 0, "{s:?}");
    drop(pool);
    assert_eq!(live_blocks(), start);
}

#[test]
fn empty_pool_errors_promptly() {
    let _serial = SERIAL.lock();
    let pool = FixedSizeAllocatorPool::new(1);
    let held = pool.get().unwrap();
    match pool.try_get() {
        Err(PoolError::Exhausted {
            size: 1, in_use: 1, ..
        }) => {}
        other => panic!("expected Exhausted, got {:?}", other.map(|_| ())),
    }
    let t = Instant::now();
    let err = pool
        .get_timeout(Duration::from_millis(50))
        .map(|_| ())
        .unwrap_err();
    let waited = t.elapsed();
    assert!(matches!(err, PoolError::Exhausted { .. }));
    assert!(
        waited >= Duration::from_millis(50),
        "returned before the timeout"
    );
    assert!(
        err.to_string().contains("1 of 1 blocks are checked out"),
        "{err}"
    );
    drop(held);
    assert!(pool.try_get().is_ok());
}

#[test]
fn a_waiter_wakes_when_a_block_returns() {
    let _serial = SERIAL.lock();
    let pool = Arc::new(FixedSizeAllocatorPool::new(1));
    let held = pool.get().unwrap();
    let id = held.id();
    let p2 = Arc::clone(&pool);
    let waiter = std::thread::spawn(move || {
        p2.get_timeout(Duration::from_secs(30))
            .map(|g| g.id())
            .unwrap()
    });
    std::thread::sleep(Duration::from_millis(20));
    drop(held);
    assert_eq!(waiter.join().unwrap(), id);
}

#[test]
fn closing_wakes_waiters_and_guards_outlive_the_pool() {
    let _serial = SERIAL.lock();
    let start = live_blocks();
    let pool = Arc::new(AllocatorPool::new_fixed_size(1));
    let held = pool.get().unwrap();
    let p2 = Arc::clone(&pool);
    let waiter = std::thread::spawn(move || p2.get().map(|_| ()));
    std::thread::sleep(Duration::from_millis(20));
    pool.close();
    assert!(matches!(waiter.join().unwrap(), Err(PoolError::Closed)));
    assert!(matches!(pool.get().map(|_| ()), Err(PoolError::Closed)));
    drop(pool);
    // The guard outlives the pool; its block is still usable, and freed when it drops.
    assert_eq!(held.alloc_str("still here"), "still here");
    assert_eq!(live_blocks(), start + 1);
    drop(held);
    assert_eq!(live_blocks(), start);
}

#[test]
fn js_owner_keeps_block_after_pool_drop() {
    let _serial = SERIAL.lock();
    let start = live_blocks();
    let pool = FixedSizeAllocatorPool::new(1);
    let g = pool.get().unwrap();
    g.metadata().add_owner();
    let meta = g.metadata_ptr();
    let s = pool.stats();
    assert_eq!(s.in_use, 1);
    drop(g);
    drop(pool);
    assert_eq!(live_blocks(), start + 1, "JS still owns the block");
    // SAFETY: the simulated JS owner gives up its count.
    unsafe { crate::block::free_fixed_size_allocator(meta) };
    assert_eq!(live_blocks(), start);
}

#[test]
fn stats_report_committed_and_resident() {
    let _serial = SERIAL.lock();
    let pool = FixedSizeAllocatorPool::new(2);
    let g = pool.get().unwrap();
    g.alloc_slice_copy(&vec![1u8; 3 << 20]);
    let s = pool.stats();
    assert!(
        s.committed_bytes >= 3 << 20 && s.committed_bytes < 5 << 20,
        "{s:?}"
    );
    assert!(
        s.resident_bytes >= 3 << 20 && s.resident_bytes <= s.committed_bytes,
        "{s:?}"
    );
    let std_pool = AllocatorPool::new(2);
    drop(std_pool.get().unwrap());
    assert_eq!(std_pool.stats().available, 1);
}

#[test]
fn retention_is_configurable_and_trim_releases_idle_memory() {
    let _serial = SERIAL.lock();
    const MB: usize = 1 << 20;
    let pool = FixedSizeAllocatorPool::with_retention(1, MB, 64 * MB);
    {
        let g = pool.get().unwrap();
        g.alloc_slice_copy(&vec![1u8; 40 * MB]);
    }
    let kept = pool.stats().committed_bytes;
    assert!(
        (40 * MB..=64 * MB).contains(&kept),
        "recent use kept: {kept}"
    );
    {
        let g = pool.get().unwrap();
        g.alloc_slice_copy(&vec![1u8; 100 * MB]);
    }
    assert!(
        pool.stats().committed_bytes <= 64 * MB,
        "ceiling applies: {:?}",
        pool.stats()
    );
    pool.trim();
    let s = pool.stats();
    assert!(s.committed_bytes <= MB && s.resident_bytes <= MB, "{s:?}");
}

#[test]
fn a_timeout_too_long_for_the_clock_waits_instead_of_panicking() {
    let _serial = SERIAL.lock();
    let pool = Arc::new(FixedSizeAllocatorPool::new(1));
    let held = pool.get().unwrap();
    let waiter = {
        let pool = Arc::clone(&pool);
        std::thread::spawn(move || pool.get_timeout(Duration::MAX).map(|g| g.id()))
    };
    std::thread::sleep(Duration::from_millis(50));
    let id = held.id();
    drop(held);
    assert_eq!(waiter.join().expect("no panic").unwrap(), id);
}
