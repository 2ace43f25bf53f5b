//! The JSON producer as a [`Producer`]: read a file, parse it into a block. What
//! `parseJsonFiles` runs; built on the public job API like any other producer.

use std::io::Read;

use super::{ParseError, Parser};
use crate::FixedSizeAllocator;
use crate::geometry::ACTIVE_SIZE;
use crate::napi::{ErrorCode, Position, ProduceError, Producer};
use crate::transfer::RawTransferMetadata;

/// Parses JSON files into blocks.
pub struct JsonFiles;

/// A parse error as a producer error (`JsonSyntax` with its position, or `BlockFull`).
pub fn produce_error(e: ParseError) -> ProduceError {
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

/// Read `path` whole, refusing what is not a regular file (a FIFO or `/dev/zero` would
/// block or never end) and files that could not fit in a block (checked before reading,
/// and again while reading, for files that grow).
pub fn read_input(path: &str) -> Result<Vec<u8>, ProduceError> {
    let io = |e: std::io::Error| ProduceError::new(ErrorCode::Io, e);
    // Non-blocking open: opening a FIFO with no writer would otherwise block this thread
    // for ever, out of reach of cancel. (No effect on regular files.)
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(ProduceError::new(
            ErrorCode::Io,
            format!("{path} is not a regular file"),
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
    let mut text = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1).read_to_end(&mut text).map_err(io)?;
    if text.len() as u64 > limit {
        return Err(too_big());
    }
    Ok(text)
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
        let doc = parser.parse(block, &text).map_err(produce_error)?;
        Ok(doc.raw_transfer_metadata(block))
    }
}
