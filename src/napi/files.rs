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
    let meta = stat(&file).map_err(|e| ProduceError::io("fstat", &e))?;
    if meta.is_dir {
        #[cfg(unix)]
        return Err(ProduceError::io(
            "read",
            &std::io::Error::from_raw_os_error(libc::EISDIR),
        ));
    }
    if !meta.is_file {
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
    if meta.len > limit {
        return Err(too_big());
    }
    let mut text = Vec::new();
    // One byte past the reported size: reading it tells a file that grew. Each read is
    // capped at the room reserved, so the vector never grows itself.
    let mut want = meta.len + 1;
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
        let end = read_into(&file, &mut text, room, meta.len)
            .map_err(|e| ProduceError::io("read", &e))?;
        if text.len() as u64 > limit {
            return Err(too_big());
        }
        if end {
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

/// What [`read_file`] needs to know of an open file.
struct Stat {
    is_dir: bool,
    is_file: bool,
    len: u64,
    /// The mount's id, unique for the life of the system (Linux 6.8's
    /// `STATX_MNT_ID_UNIQUE`; `None` where the kernel does not give it).
    mount: Option<u64>,
}

/// `statx` of the open file: its type, size and mount in one call (what
/// `File::metadata` would cost), or `File::metadata` where `statx` is refused.
#[cfg(target_os = "linux")]
fn stat(file: &std::fs::File) -> std::io::Result<Stat> {
    use std::os::fd::AsRawFd;
    // SAFETY: `statx` is plain data, for which all-zero bytes are a valid value.
    let mut st: libc::statx = unsafe { std::mem::zeroed() };
    let mask = libc::STATX_TYPE | libc::STATX_SIZE | libc::STATX_MNT_ID_UNIQUE;
    // SAFETY: the descriptor is open for the life of `file`; the path is an empty C string
    // (with `AT_EMPTY_PATH`, the descriptor itself); `st` is a valid out-pointer.
    let rc = unsafe {
        libc::statx(
            file.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_EMPTY_PATH,
            mask,
            &mut st,
        )
    };
    if rc != 0 {
        // A kernel without statx, or a sandbox that refuses it.
        return std_stat(file);
    }
    let kind = u32::from(st.stx_mode) & libc::S_IFMT;
    Ok(Stat {
        is_dir: kind == libc::S_IFDIR,
        is_file: kind == libc::S_IFREG,
        len: st.stx_size,
        mount: (st.stx_mask & libc::STATX_MNT_ID_UNIQUE != 0).then_some(st.stx_mnt_id),
    })
}

#[cfg(not(target_os = "linux"))]
fn stat(file: &std::fs::File) -> std::io::Result<Stat> {
    std_stat(file)
}

fn std_stat(file: &std::fs::File) -> std::io::Result<Stat> {
    let meta = file.metadata()?;
    Ok(Stat {
        is_dir: meta.is_dir(),
        is_file: meta.is_file(),
        len: meta.len(),
        mount: None,
    })
}

/// The pseudo filesystem `file` (whose [`Stat`] is `meta`) is on, if any: their sizes are
/// made up (0 or 4096) and some of their files read for ever or for gigabytes.
///
/// Each thread remembers the answer for the last mount it asked about: the files of a run
/// are mostly on one, and the `fstatfs` was a sixth of the system calls a small file costs.
/// The key is the mount's unique id, never reused (a device number is: a procfs mounted
/// where a tmpfs was unmounted can get the tmpfs's). Where the kernel gives no such id,
/// every file is asked about.
#[cfg(target_os = "linux")]
fn pseudo_filesystem(file: &std::fs::File, meta: &Stat) -> Option<&'static str> {
    thread_local! {
        static LAST: std::cell::Cell<Option<(u64, Option<&'static str>)>> =
            const { std::cell::Cell::new(None) };
    }
    if let Some(mount) = meta.mount
        && let Some((m, fs)) = LAST.get()
        && m == mount
    {
        return fs;
    }
    let fs = filesystem_kind(file)?;
    if let Some(mount) = meta.mount {
        LAST.set(Some((mount, fs)));
    }
    fs
}

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
fn pseudo_filesystem(_file: &std::fs::File, _meta: &Stat) -> Option<&'static str> {
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

    /// A procfs mounted where a tmpfs was just unmounted may get the tmpfs's device number:
    /// what a thread remembers of the tmpfs must not let the procfs file through. (Needs
    /// root to mount; skipped where mounting is refused.)
    #[cfg(target_os = "linux")]
    #[test]
    fn a_procfs_mounted_where_a_tmpfs_was_is_still_refused() {
        use std::process::Command;
        let dir = std::env::temp_dir().join(format!("rt-remount-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let d = dir.to_str().unwrap();
        let run = |args: &[&str]| {
            Command::new(args[0])
                .args(&args[1..])
                .status()
                .is_ok_and(|s| s.success())
        };
        if !run(&["mount", "-t", "tmpfs", "tmpfs", d]) {
            std::fs::remove_dir(&dir).unwrap();
            return; // not root, or no mount here
        }
        std::fs::write(dir.join("a.json"), b"[1]").unwrap();
        assert_eq!(
            read_file(dir.join("a.json").to_str().unwrap(), 1 << 20).unwrap(),
            b"[1]"
        );
        assert!(run(&["umount", d]));
        let mounted = run(&["mount", "-t", "proc", "proc", d]);
        if mounted {
            let pid_max = dir.join("sys/kernel/pid_max");
            let err = read_file(pid_max.to_str().unwrap(), 1 << 20).unwrap_err();
            assert!(format!("{err:?}").contains("procfs"), "{err:?}");
            assert!(run(&["umount", d]));
        }
        std::fs::remove_dir(&dir).unwrap();
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
