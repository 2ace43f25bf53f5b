//! The JSON producer as a [`Producer`]: read a file, parse it into a block. What
//! `parseJsonFiles` runs; built on the public job API like any other producer.

use super::{ParseError, Parser};
use crate::FixedSizeAllocator;
use crate::geometry::ACTIVE_SIZE;
use crate::napi::{ErrorCode, Position, ProduceError, Producer, load_file};
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

impl JsonFiles {
    /// [`Producer::load`] of one path: the file's bytes.
    #[cfg_attr(not(feature = "addon"), allow(dead_code))] // the addon's joined paths too
    pub(crate) fn load_path(path: &str) -> Result<(Vec<u8>, u64), ProduceError> {
        // The block holds the source copy plus the tree: a text over half a block cannot fit.
        load_file(path, (ACTIVE_SIZE / 2) as u64)
    }
}

impl Producer for JsonFiles {
    type Input = String;
    type Loaded = Vec<u8>;
    type Worker = Parser;

    fn worker(&self) -> Parser {
        Parser::new()
    }

    fn load(&self, _parser: &mut Parser, path: &String) -> Result<(Vec<u8>, u64), ProduceError> {
        Self::load_path(path)
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
