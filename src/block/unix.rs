//! Unix blocks, in two [`MemoryMode`]s chosen at creation:
//!
//! - **noreserve**: map the whole block read/write with `MAP_NORESERVE`, which Linux does
//!   not charge against the commit limit unless accounting is strict
//!   (`vm.overcommit_memory=2`; macOS never charges). A write anywhere only faults in a
//!   page. Commit is accounting; giving pages back is `MADV_DONTNEED` (Linux) or a fresh
//!   read/write mapping over the range (elsewhere).
//! - **strict**: reserve address space read-only, commit (read/write) with `mprotect` as the
//!   arena grows, decommit by mapping fresh read-only pages over a range. Under strict
//!   accounting this is the only way to have 2 GiB of address space cost nothing: a private
//!   mapping without write access is not charged, `mprotect` to read/write charges only the
//!   pages it opens, and Linux can lower a private mapping's charge only by replacing it.
//!   Why read-only rather than `PROT_NONE`: untouched pages read as zeros (the kernel's
//!   shared zero page), so JS code that reads or copies the whole buffer (`structuredClone`,
//!   `slice()`) gets zeros instead of a segmentation fault. Writes past the committed
//!   prefix fault.
//!
//! Why not an aligned `malloc`: glibc's aligned allocation of a 4 GiB-aligned region
//! charges size + alignment (6 GiB) against the commit limit, so under
//! `vm.overcommit_memory=2` a couple of blocks exhaust it.

use std::io;
use std::ptr::NonNull;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{BlockError, HUGE_PAGE, MemoryMode};
use crate::geometry::{BLOCK_ALIGN, BLOCK_MAPPED_SIZE};

/// What [`free`] needs: the mapping is exactly `[base, base + BLOCK_MAPPED_SIZE)`.
pub(crate) struct Release {
    base: usize,
}

/// Freed blocks can be kept as spares: their pages can be given back while they stay mapped.
pub(crate) const SPARES_SUPPORTED: bool = true;

/// The OS page size (read once).
pub(crate) fn page_size() -> usize {
    static PAGE: OnceLock<usize> = OnceLock::new();
    *PAGE.get_or_init(|| {
        // SAFETY: sysconf has no preconditions.
        let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        if n <= 0 { 4096 } else { n as usize }
    })
}

/// Where the next block is likely to fit: the 4 GiB slot next to the last one reserved.
static NEXT_SLOT: AtomicUsize = AtomicUsize::new(0);

const RESERVE_FLAGS: libc::c_int = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE;

/// Linux: noreserve when a read/write `MAP_NORESERVE` mapping is free of commit charge
/// (`vm.overcommit_memory` 0, heuristic, or 1, always) and `RLIMIT_DATA` is unlimited (it
/// counts every private writable mapping in full, so a limit would cap the number of blocks
/// rather than the memory they use). Strict otherwise, or if the setting cannot be read.
#[cfg(target_os = "linux")]
pub(crate) fn default_mode() -> MemoryMode {
    let overcommit = std::fs::read_to_string("/proc/sys/vm/overcommit_memory");
    let lenient = matches!(overcommit.as_deref().map(str::trim), Ok("0" | "1"));
    let mut data = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `getrlimit` only writes the struct we pass, which we own.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_DATA, &mut data) };
    if lenient && rc == 0 && data.rlim_cur == libc::RLIM_INFINITY {
        MemoryMode::NoReserve
    } else {
        MemoryMode::Strict
    }
}

/// macOS has no commit limit (it overcommits and compresses or swaps): always noreserve.
#[cfg(target_os = "macos")]
pub(crate) fn default_mode() -> MemoryMode {
    MemoryMode::NoReserve
}

/// Other Unixes: untested here, so the scheme that is safe under any accounting.
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub(crate) fn default_mode() -> MemoryMode {
    MemoryMode::Strict
}

/// Reserve `BLOCK_MAPPED_SIZE` bytes of address space at a 4 GiB boundary, in `mode` if the
/// OS allows it, and return the mode the block got.
///
/// Noreserve maps the block read/write. If the OS refuses that (`RLIMIT_DATA`, or strict
/// accounting switched on after the process chose its mode), the block falls back to a
/// read-only reservation (strict), which neither of those charges. Address-space limits
/// (`ulimit -v`) refuse both: the error is the last attempt's.
pub(crate) fn reserve(mode: MemoryMode) -> Result<(NonNull<u8>, MemoryMode, Release), BlockError> {
    let (base, mode) = match mode {
        MemoryMode::NoReserve => match map_aligned(libc::PROT_READ | libc::PROT_WRITE) {
            Ok(base) => (base, MemoryMode::NoReserve),
            Err(_) => (map_aligned(libc::PROT_READ)?, MemoryMode::Strict),
        },
        MemoryMode::Strict => (map_aligned(libc::PROT_READ)?, MemoryMode::Strict),
    };
    // Next time, try the slot below (mappings grow downward on Linux), then we fall back.
    NEXT_SLOT.store(base.saturating_sub(BLOCK_ALIGN), Ordering::Relaxed);
    advise_huge_pages(base, mode);
    // SAFETY: `base` is inside a successful mapping, so it is not null.
    let base_ptr = unsafe { NonNull::new_unchecked(base as *mut u8) };
    Ok((base_ptr, mode, Release { base }))
}

/// Map the block with protection `prot`: first the aligned slot next to the previous block,
/// asking for exactly that address (`MAP_FIXED_NOREPLACE`: never over an existing mapping),
/// which needs only 2 GiB of address space. Otherwise map `BLOCK_ALIGN + BLOCK_MAPPED_SIZE`
/// bytes (which must contain an aligned start with room after it) and unmap the unaligned
/// head and the tail, so only the block's own 2 GiB stays mapped.
fn map_aligned(prot: libc::c_int) -> Result<usize, BlockError> {
    match reserve_at_hint(prot) {
        Some(base) => Ok(base),
        None => reserve_over_aligned(prot),
    }
}

/// Ask for transparent huge pages where the kernel offers them on request: memory is then
/// faulted in 2 MiB at a time, which cuts first-touch cost several-fold. Advisory only;
/// failure (no THP support) changes nothing.
///
/// Strict: the whole mapping. Huge pages can only back 2 MiB ranges that lie wholly inside
/// a read/write part, i.e. inside the committed prefix (committed past 2 MiB in whole huge
/// pages) — never the 64 KiB tail.
/// Noreserve: the whole block is one read/write mapping, so a first touch would fault in
/// 2 MiB anywhere the block allows huge pages. So a new block asks for none: the arena asks
/// for them once it has committed its first 2 MiB (`advise_huge_pages_from_start`), and a
/// small block, most of them, costs no advice (each is a system call and a mapping split:
/// about a tenth of making a block). Where the kernel uses huge pages unasked (`enabled` is
/// `always`), the first 2 MiB and the last (whose only committed part is the metadata's
/// 64 KiB) refuse them.
#[cfg(target_os = "linux")]
fn advise_huge_pages(base: usize, mode: MemoryMode) {
    let advise = |from: usize, to: usize, advice: libc::c_int| {
        // SAFETY: the range lies inside the block's mapping, which we own; the advice only
        // changes how future faults are served.
        unsafe { libc::madvise((base + from) as *mut libc::c_void, to - from, advice) };
    };
    match mode {
        MemoryMode::Strict => advise(0, BLOCK_MAPPED_SIZE, libc::MADV_HUGEPAGE),
        MemoryMode::NoReserve => {
            if huge_pages_unasked() {
                let last = BLOCK_MAPPED_SIZE - HUGE_PAGE;
                advise(0, HUGE_PAGE, libc::MADV_NOHUGEPAGE);
                advise(last, BLOCK_MAPPED_SIZE, libc::MADV_NOHUGEPAGE);
            }
        }
    }
}

/// Whether the kernel backs memory with transparent huge pages without being asked
/// (`/sys/kernel/mm/transparent_hugepage/enabled` is `always`). Read once.
#[cfg(target_os = "linux")]
pub(crate) fn huge_pages_unasked() -> bool {
    static ALWAYS: OnceLock<bool> = OnceLock::new();
    *ALWAYS.get_or_init(|| {
        std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
            .is_ok_and(|s| s.contains("[always]"))
    })
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_base: usize, _mode: MemoryMode) {}

/// Noreserve: once the arena has committed the block's first 2 MiB (`huge`), ask for
/// transparent huge pages from the block's start to its last 2 MiB (one call, whatever
/// earlier advice split); once it commits less again, refuse them for the first 2 MiB, so
/// the kernel never fills it past the committed end. Advisory, like `advise_huge_pages`.
#[cfg(target_os = "linux")]
pub(crate) fn advise_huge_pages_from_start(base: NonNull<u8>, huge: bool) {
    let (len, advice) = if huge {
        (BLOCK_MAPPED_SIZE - HUGE_PAGE, libc::MADV_HUGEPAGE)
    } else {
        (HUGE_PAGE, libc::MADV_NOHUGEPAGE)
    };
    // SAFETY: the range is inside the block's mapping, which we own; the advice only
    // changes how future faults (and khugepaged) serve it.
    unsafe { libc::madvise(base.as_ptr().cast(), len, advice) };
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn advise_huge_pages_from_start(_base: NonNull<u8>, _huge: bool) {}

/// Map exactly the hinted 4 GiB-aligned slot, if it is free.
fn reserve_at_hint(prot: libc::c_int) -> Option<usize> {
    let mut hint = NEXT_SLOT.load(Ordering::Relaxed);
    if hint == 0 {
        hint = first_hint()?;
    }
    // SAFETY: `MAP_FIXED_NOREPLACE` never replaces an existing mapping: it maps exactly
    // `hint` or fails. (Kernels before 4.17 ignore the flag and treat `hint` as a plain hint;
    // the result is then checked and given back if it is elsewhere.)
    let addr = unsafe {
        libc::mmap(
            hint as *mut libc::c_void,
            BLOCK_MAPPED_SIZE,
            prot,
            RESERVE_FLAGS | libc::MAP_FIXED_NOREPLACE,
            -1,
            0,
        )
    };
    if addr == libc::MAP_FAILED {
        return None;
    }
    if addr as usize != hint {
        // SAFETY: a mapping we just made and nobody else knows about.
        unsafe { libc::munmap(addr, BLOCK_MAPPED_SIZE) };
        return None;
    }
    Some(hint)
}

/// A first guess: the aligned slot below where the kernel puts new mappings now.
fn first_hint() -> Option<usize> {
    let page = page_size();
    // SAFETY: a one-page anonymous mapping, unmapped at once; only its address is used.
    let probe = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            page,
            libc::PROT_NONE,
            RESERVE_FLAGS,
            -1,
            0,
        )
    };
    if probe == libc::MAP_FAILED {
        return None;
    }
    // SAFETY: the mapping just made above.
    unsafe { libc::munmap(probe, page) };
    (probe as usize & !(BLOCK_ALIGN - 1))
        .checked_sub(BLOCK_ALIGN)
        .filter(|&a| a != 0)
}

/// Over-reserve so that an aligned slot must be inside, then trim to it.
fn reserve_over_aligned(prot: libc::c_int) -> Result<usize, BlockError> {
    let over = BLOCK_ALIGN + BLOCK_MAPPED_SIZE;
    // SAFETY: an anonymous mapping at an address of the kernel's choosing has no
    // preconditions; the result is checked below.
    let addr = unsafe { libc::mmap(std::ptr::null_mut(), over, prot, RESERVE_FLAGS, -1, 0) };
    if addr == libc::MAP_FAILED {
        return Err(BlockError::Reserve(io::Error::last_os_error()));
    }
    let start = addr as usize;
    let base = start.next_multiple_of(BLOCK_ALIGN);
    let head = base - start;
    let tail_start = base + BLOCK_MAPPED_SIZE;
    let tail = start + over - tail_start;
    // SAFETY: `[start, base)` and `[tail_start, start + over)` are parts of the mapping just
    // made that the block does not use; unmapping page-aligned parts of our own mapping is
    // sound (both bounds are multiples of the 64 KiB mapped-size granule and of 4 GiB).
    unsafe {
        if head > 0 {
            libc::munmap(addr, head);
        }
        if tail > 0 {
            libc::munmap(tail_start as *mut libc::c_void, tail);
        }
    }
    Ok(base)
}

/// Commit the block's last 64 KiB, which holds both metadata records (noreserve: it is
/// writable already).
pub(crate) fn commit_tail(base: NonNull<u8>, mode: MemoryMode) -> Result<(), BlockError> {
    match mode {
        MemoryMode::Strict => commit(base, super::TAIL_START, BLOCK_MAPPED_SIZE),
        MemoryMode::NoReserve => Ok(()),
    }
}

/// Strict: make `[base + from, base + to)` readable and writable (`from` and `to`
/// page-aligned).
pub(crate) fn commit(base: NonNull<u8>, from: usize, to: usize) -> Result<(), BlockError> {
    debug_assert!(from <= to && to <= BLOCK_MAPPED_SIZE);
    debug_assert!(from.is_multiple_of(page_size()) && to.is_multiple_of(page_size()));
    if from == to {
        return Ok(());
    }
    // SAFETY: the range lies inside this block's mapping (asserted above), which we own.
    let rc = unsafe {
        libc::mprotect(
            base.as_ptr().add(from).cast(),
            to - from,
            libc::PROT_READ | libc::PROT_WRITE,
        )
    };
    if rc != 0 {
        return Err(BlockError::Commit(io::Error::last_os_error()));
    }
    Ok(())
}

/// Strict: return `[base + from, base + to)` to the OS: its pages are dropped and its commit
/// charge released. `madvise(MADV_DONTNEED)` alone would keep the charge (Linux cannot lower
/// a private mapping's charge on `mprotect` either), so map fresh read-only pages over it.
pub(crate) fn decommit(base: NonNull<u8>, from: usize, to: usize) {
    debug_assert!(from <= to && to <= BLOCK_MAPPED_SIZE);
    if from == to {
        return;
    }
    // SAFETY: `MAP_FIXED` over a range of our own mapping replaces only that range.
    let addr = unsafe {
        libc::mmap(
            base.as_ptr().add(from).cast(),
            to - from,
            libc::PROT_READ,
            RESERVE_FLAGS | libc::MAP_FIXED,
            -1,
            0,
        )
    };
    if addr != libc::MAP_FAILED {
        // The fresh mapping does not inherit the huge-page advice: repeat it.
        // SAFETY: as above, the range is ours; the advice is advisory.
        #[cfg(target_os = "linux")]
        unsafe {
            libc::madvise(
                base.as_ptr().add(from).cast(),
                to - from,
                libc::MADV_HUGEPAGE,
            )
        };
    } else {
        // Replacing a mapping with an uncharged one can only fail for lack of kernel memory
        // for the VMA split. The pages stay committed and usable: drop their contents so at
        // least the memory is reclaimable.
        // SAFETY: as above, the range is ours; MADV_DONTNEED on it only zeroes it.
        unsafe {
            libc::madvise(
                base.as_ptr().add(from).cast(),
                to - from,
                libc::MADV_DONTNEED,
            )
        };
    }
}

/// Noreserve, Linux: drop the pages of `[base + from, base + to)` (resident or not). The
/// range stays mapped read/write, keeps its huge-page advice, and reads as zeros until
/// written again. No commit charge to return: the mapping has none.
#[cfg(target_os = "linux")]
pub(crate) fn discard(base: NonNull<u8>, from: usize, to: usize) {
    debug_assert!(from <= to && to <= BLOCK_MAPPED_SIZE);
    if from == to {
        return;
    }
    // Failure (impossible for a private anonymous range) would only leave the pages resident.
    // SAFETY: the range lies inside this block's mapping, which we own; nothing of ours
    // lives there (Rust decommits only past what it still uses, never the metadata tail).
    unsafe {
        libc::madvise(
            base.as_ptr().add(from).cast(),
            to - from,
            libc::MADV_DONTNEED,
        )
    };
}

/// Noreserve, other Unixes (macOS): `MADV_DONTNEED` there may keep the pages (and their
/// contents), so map fresh read/write pages over the range instead.
#[cfg(not(target_os = "linux"))]
pub(crate) fn discard(base: NonNull<u8>, from: usize, to: usize) {
    debug_assert!(from <= to && to <= BLOCK_MAPPED_SIZE);
    if from == to {
        return;
    }
    // SAFETY: `MAP_FIXED` over a range of our own mapping replaces only that range, with
    // the same protection; nothing of ours lives there (as for the Linux version). On
    // failure the old pages simply stay.
    unsafe {
        libc::mmap(
            base.as_ptr().add(from).cast(),
            to - from,
            libc::PROT_READ | libc::PROT_WRITE,
            RESERVE_FLAGS | libc::MAP_FIXED,
            -1,
            0,
        )
    };
}

/// The process's page faults so far (minor + major, every thread, living or exited): a
/// count that moves whenever a page becomes resident in it. `None` if unavailable.
pub(crate) fn fault_count() -> Option<u64> {
    // SAFETY: `rusage` is plain data, valid when zeroed.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `getrusage` only writes the struct we pass, which we own.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    (rc == 0).then(|| usage.ru_minflt as u64 + usage.ru_majflt as u64)
}

/// Resident bytes in `[base, base + len)` (`len` page-aligned), from `mincore`.
pub(crate) fn resident_bytes(base: NonNull<u8>, len: usize) -> usize {
    let page = page_size();
    let pages = len.div_ceil(page);
    if pages == 0 {
        return 0;
    }
    let mut vec = vec![0u8; pages];
    // SAFETY: the range is inside the block's mapping and `vec` has one byte per page.
    let rc = unsafe { libc::mincore(base.as_ptr().cast(), pages * page, vec.as_mut_ptr().cast()) };
    if rc != 0 {
        return 0;
    }
    vec.iter().filter(|&&b| b & 1 != 0).count() * page
}

/// Unmap the whole block.
///
/// # Safety
/// Nothing may use the block afterwards.
pub(crate) unsafe fn free(release: &Release) {
    // SAFETY: the caller guarantees the block is unused; the range is exactly our mapping.
    unsafe { libc::munmap(release.base as *mut libc::c_void, BLOCK_MAPPED_SIZE) };
}
