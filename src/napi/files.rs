//! [`read_file`]: reading a file input safely on a producer thread.

use super::error::ErrorCode;
use super::producer::ProduceError;

/// Read `path` whole: what a producer's `load` needs for a file input. Refuses what is not
/// a regular file (a FIFO or `/dev/zero` would block or never end), files on pseudo
/// filesystems whose sizes are not real (procfs, sysfs: `/proc/self/pagemap` says 0 bytes
/// and reads for gigabytes), and files over `max_bytes` (`BlockFull`; checked before
/// reading, and again while reading, for files that grow). Errors carry the OS error
/// ([`OsError`](super::OsError): JS gets `code: 'ENOENT'`, `errno`, `syscall`). Memory is reserved fallibly, in steps no bigger than what was read so far: an
/// input the process cannot hold is an `OutOfMemory` error, not an abort.
pub fn read_file(path: &str, max_bytes: u64) -> Result<Vec<u8>, ProduceError> {
    // Non-blocking open: opening a FIFO with no writer would otherwise block this thread
    // for ever, out of reach of cancel. (No effect on regular files.)
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options
        .open(path)
        .map_err(|e| ProduceError::io("open", &e))?;
    let meta = file.metadata().map_err(|e| ProduceError::io("fstat", &e))?;
    if meta.is_dir() {
        #[cfg(unix)]
        return Err(ProduceError::io(
            "read",
            &std::io::Error::from_raw_os_error(libc::EISDIR),
        ));
    }
    if !meta.is_file() {
        return Err(ProduceError::new(
            ErrorCode::Io,
            format!("{path} is not a regular file"),
        ));
    }
    if let Some(fs) = pseudo_filesystem(&file, &meta) {
        return Err(ProduceError::new(
            ErrorCode::Io,
            format!("{path} is on {fs}, whose file sizes are not the bytes a read gives"),
        ));
    }
    let limit = max_bytes;
    let too_big = || {
        ProduceError::new(
            ErrorCode::BlockFull,
            format!("{path} is larger than {limit} bytes, the most a block can take"),
        )
    };
    if meta.len() > limit {
        return Err(too_big());
    }
    let mut text = Vec::new();
    // One byte past the reported size: reading it tells a file that grew. Each read is
    // capped at the room reserved, so `read_to_end` never grows the vector itself.
    let mut want = meta.len() + 1;
    loop {
        let room = (want.min(limit + 1) as usize).saturating_sub(text.len());
        text.try_reserve_exact(room).map_err(|_| {
            ProduceError::new(
                ErrorCode::OutOfMemory,
                format!(
                    "could not allocate {} bytes to read {path}",
                    text.len() + room
                ),
            )
        })?;
        let before = text.len();
        let end = read_into(&file, &mut text, room, meta.len())
            .map_err(|e| ProduceError::io("read", &e))?;
        if text.len() as u64 > limit {
            return Err(too_big());
        }
        if end || text.len() - before < room {
            return Ok(text);
        }
        want = want.saturating_mul(2);
    }
}

/// Read up to `room` more bytes of `file` into `text` (whose spare capacity is at least
/// `room`). Returns whether the end of the file was seen: a read gave 0 bytes, or a read
/// gave fewer than asked and the text now holds exactly the `reported` size (a regular
/// file's read stops short only at its end, which is then where `fstat` put it: the read
/// that would give 0 bytes is not needed). A file that grew fills `room` and is read on.
#[cfg(unix)]
fn read_into(
    file: &std::fs::File,
    text: &mut Vec<u8>,
    room: usize,
    reported: u64,
) -> std::io::Result<bool> {
    use std::os::fd::AsRawFd;
    let target = text.len() + room;
    debug_assert!(text.capacity() >= target);
    while text.len() < target {
        let len = text.len();
        let ask = (target - len).min(isize::MAX as usize);
        // SAFETY: `[len, target)` is spare capacity of `text` (reserved by the caller), so
        // the kernel may write `ask` bytes at `len`; the descriptor is open for the life of
        // `file`.
        let n = unsafe { libc::read(file.as_raw_fd(), text.as_mut_ptr().add(len).cast(), ask) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        let n = n as usize;
        if n == 0 {
            return Ok(true);
        }
        // SAFETY: the kernel wrote `n <= ask` bytes at `len`, so `len + n` bytes are
        // initialized and within the capacity.
        unsafe { text.set_len(len + n) };
        if n < ask && text.len() as u64 == reported {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(not(unix))]
fn read_into(
    file: &std::fs::File,
    text: &mut Vec<u8>,
    room: usize,
    _reported: u64,
) -> std::io::Result<bool> {
    let before = text.len();
    std::io::Read::read_to_end(&mut std::io::Read::take(file, room as u64), text)?;
    Ok(text.len() - before < room)
}

/// [`read_file`] as a [`Producer::load`](super::Producer::load) returns it: the bytes and
/// their count.
pub fn load_file(path: &str, max_bytes: u64) -> Result<(Vec<u8>, u64), ProduceError> {
    let text = read_file(path, max_bytes)?;
    let len = text.len() as u64;
    Ok((text, len))
}

/// The pseudo filesystem `file` (whose metadata is `meta`) is on, if any: their sizes are
/// made up (0 or 4096) and some of their files read for ever or for gigabytes.
///
/// Each thread remembers the answer for the last filesystem (device) it asked about, for
/// [`FS_MEMORY`]: the files of a run are mostly on one filesystem, and the `fstatfs` was a
/// sixth of the system calls a small file costs. (A device number is reused only after
/// its filesystem is unmounted; the short memory bounds how stale an answer can be.)
#[cfg(target_os = "linux")]
fn pseudo_filesystem(file: &std::fs::File, meta: &std::fs::Metadata) -> Option<&'static str> {
    use std::os::unix::fs::MetadataExt;
    thread_local! {
        static LAST: std::cell::Cell<Option<(u64, Option<&'static str>, std::time::Instant)>> =
            const { std::cell::Cell::new(None) };
    }
    let dev = meta.dev();
    let now = std::time::Instant::now();
    if let Some((d, fs, at)) = LAST.get()
        && d == dev
        && now.duration_since(at) < FS_MEMORY
    {
        return fs;
    }
    let fs = filesystem_kind(file)?;
    LAST.set(Some((dev, fs, now)));
    fs
}

/// How long a thread trusts what it learnt of a filesystem (see [`pseudo_filesystem`]).
#[cfg(target_os = "linux")]
const FS_MEMORY: std::time::Duration = std::time::Duration::from_secs(1);

/// `fstatfs`: `Some(Some(name))` for a pseudo filesystem, `Some(None)` for any other, `None`
/// if the call failed (nothing is remembered then).
#[cfg(target_os = "linux")]
fn filesystem_kind(file: &std::fs::File) -> Option<Option<&'static str>> {
    use std::os::fd::AsRawFd;
    // SAFETY: `statfs` is plain data, for which all-zero bytes are a valid value.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: the descriptor is open for the life of `file`; `st` is a valid out-pointer.
    if unsafe { libc::fstatfs(file.as_raw_fd(), &mut st) } != 0 {
        return None;
    }
    // `f_type`'s integer type differs between targets; the magic numbers are 32-bit.
    #[allow(clippy::unnecessary_cast)]
    let magic = (st.f_type as u64 & 0xffff_ffff) as u32;
    Some(Some(match magic {
        0x9fa0 => "procfs",
        0x6265_6572 => "sysfs",
        0x6462_6720 => "debugfs",
        0x7472_6163 => "tracefs",
        0x7363_6673 => "securityfs",
        0x0027_e0eb => "cgroupfs",
        0x6367_7270 => "cgroup2fs",
        0x6265_6570 => "configfs",
        0xcafe_4a11 => "bpffs",
        0x6165_676c => "pstore",
        0xde5e_81e4 => "efivarfs",
        _ => return Some(None),
    }))
}

#[cfg(not(target_os = "linux"))]
fn pseudo_filesystem(_file: &std::fs::File, _meta: &std::fs::Metadata) -> Option<&'static str> {
    None
}

#[cfg(test)]
mod tests {
    use super::{read_file, read_into};
    use std::io::Write;

    fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("rt-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::File::create(&path)
            .unwrap()
            .write_all(bytes)
            .unwrap();
        path
    }

    fn bytes(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    #[test]
    fn reads_every_size_whole() {
        for n in [0, 1, 2, 4095, 4096, 4097, 65_536, 100_003] {
            let want = bytes(n);
            let path = temp_file(&format!("size-{n}"), &want);
            let got = read_file(path.to_str().unwrap(), 1 << 20).unwrap();
            assert_eq!(got, want, "{n} bytes");
            std::fs::remove_file(path).unwrap();
        }
    }

    #[test]
    fn a_file_larger_or_smaller_than_reported_is_read_to_its_end() {
        let want = bytes(10_000);
        let path = temp_file("moved", &want);
        // Reported smaller (it grew after fstat): the room fills, the end is not seen yet.
        let file = std::fs::File::open(&path).unwrap();
        let mut text = Vec::with_capacity(5_001);
        assert!(!read_into(&file, &mut text, 5_001, 5_000).unwrap());
        assert_eq!(text, want[..5_001]);
        // Reported larger (it shrank): reads on until one gives nothing.
        let file = std::fs::File::open(&path).unwrap();
        let mut text = Vec::with_capacity(20_001);
        assert!(read_into(&file, &mut text, 20_001, 20_000).unwrap());
        assert_eq!(text, want);
        // As reported: the short read that ends at the reported size is the end.
        let file = std::fs::File::open(&path).unwrap();
        let mut text = Vec::with_capacity(10_001);
        assert!(read_into(&file, &mut text, 10_001, 10_000).unwrap());
        assert_eq!(text, want);
        std::fs::remove_file(path).unwrap();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn pseudo_filesystems_are_refused_right_after_a_file_elsewhere() {
        // The thread remembers the last filesystem it checked: another one is checked anew.
        let path = temp_file("plain", b"[1]");
        let plain = path.to_str().unwrap();
        for pseudo in [
            "/proc/self/status",
            "/sys/kernel/mm/transparent_hugepage/enabled",
        ] {
            assert_eq!(read_file(plain, 1 << 20).unwrap(), b"[1]");
            if !std::path::Path::new(pseudo).exists() {
                continue;
            }
            let err = read_file(pseudo, 1 << 20).unwrap_err();
            assert!(
                format!("{err:?}").contains("whose file sizes are not the bytes a read gives"),
                "{pseudo}: {err:?}"
            );
            // And again, now that it is the one remembered.
            assert!(read_file(pseudo, 1 << 20).is_err(), "{pseudo}");
        }
        assert_eq!(read_file(plain, 1 << 20).unwrap(), b"[1]");
        std::fs::remove_file(path).unwrap();
    }
}
