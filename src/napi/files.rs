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
    if let Some(fs) = pseudo_filesystem(&file) {
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
        std::io::Read::read_to_end(&mut std::io::Read::take(&file, room as u64), &mut text)
            .map_err(|e| ProduceError::io("read", &e))?;
        if text.len() as u64 > limit {
            return Err(too_big());
        }
        if text.len() - before < room {
            return Ok(text);
        }
        want = want.saturating_mul(2);
    }
}

/// [`read_file`] as a [`Producer::load`](super::Producer::load) returns it: the bytes and
/// their count.
pub fn load_file(path: &str, max_bytes: u64) -> Result<(Vec<u8>, u64), ProduceError> {
    let text = read_file(path, max_bytes)?;
    let len = text.len() as u64;
    Ok((text, len))
}

/// The pseudo filesystem `file` is on, if any: their sizes are made up (0 or 4096) and
/// some of their files read for ever or for gigabytes.
#[cfg(target_os = "linux")]
fn pseudo_filesystem(file: &std::fs::File) -> Option<&'static str> {
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
    Some(match magic {
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
        _ => return None,
    })
}

#[cfg(not(target_os = "linux"))]
fn pseudo_filesystem(_file: &std::fs::File) -> Option<&'static str> {
    None
}
