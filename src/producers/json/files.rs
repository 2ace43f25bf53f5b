//! The JSON producer as a [`Producer`]: read a file, parse it into a block. What
//! `parseJsonFiles` runs; built on the public job API like any other producer.

use super::{ParseError, Parser};
use crate::FixedSizeAllocator;
use crate::geometry::ACTIVE_SIZE;
use crate::napi::{ErrorCode, Position, ProduceError, Producer};
use crate::transfer::RawTransferMetadata;

/// Parses JSON files into blocks.
pub struct JsonFiles;

impl From<ParseError> for ProduceError {
    /// A parse error as a producer error: `JsonSyntax` with its position (JS: a
    /// `JsonSyntaxError`), or the allocation error (`BlockFull`, `OutOfMemory`).
    fn from(e: ParseError) -> Self {
        match e {
            ParseError::Syntax(s) => {
                ProduceError::new(ErrorCode::JsonSyntax, s.message()).at(Position {
                    offset: s.offset as u32,
                    line: s.line,
                    column: s.column,
                })
            }
            ParseError::Alloc(a) => a.into(),
        }
    }
}

/// Read `path` whole, refusing what is not a regular file (a FIFO or `/dev/zero` would
/// block or never end), files on pseudo filesystems whose sizes are not real (procfs,
/// sysfs: `/proc/self/pagemap` says 0 bytes and reads for gigabytes), and files that could
/// not fit in a block (checked before reading, and again while reading, for files that
/// grow). Memory is reserved fallibly, in steps no bigger than what was read so far: an
/// input the process cannot hold is an `OutOfMemory` error, not an abort.
pub fn read_input(path: &str) -> Result<Vec<u8>, ProduceError> {
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
    // The block holds the source copy plus the tree: a text over half a block cannot fit.
    let limit = (ACTIVE_SIZE / 2) as u64;
    let too_big = || {
        ProduceError::new(
            ErrorCode::BlockFull,
            format!("{path} is larger than {limit} bytes, the most a block can parse"),
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

impl Producer for JsonFiles {
    type Input = String;
    type Loaded = Vec<u8>;
    type Worker = Parser;

    fn worker(&self) -> Parser {
        Parser::new()
    }

    fn load(&self, _parser: &mut Parser, path: &String) -> Result<(Vec<u8>, u64), ProduceError> {
        let text = read_input(path)?;
        let len = text.len() as u64;
        Ok((text, len))
    }

    fn build(
        &self,
        parser: &mut Parser,
        text: Vec<u8>,
        block: &FixedSizeAllocator,
    ) -> Result<RawTransferMetadata, ProduceError> {
        let doc = parser.parse(block, &text).map_err(ProduceError::from)?;
        Ok(doc.raw_transfer_metadata(block))
    }
}
