//! The reference producer: a JSON parser that builds its tree straight into a
//! [`FixedSizeAllocator`] block for JavaScript to read zero-copy.
//!
//! [`parse`] accepts exactly what JavaScript's `JSON.parse` accepts (RFC 8259, UTF-8 input)
//! and produces the same values: numbers are correctly rounded `f64`s (`-0` stays `-0`,
//! `1e400` is `Infinity`), strings keep lone surrogates from `\uD800`-style escapes (stored
//! as UTF-16 units, flagged in the node), and objects keep every entry in source order,
//! duplicate keys included (`JSON.parse` would keep the last; the reader decides).
//! `"__proto__"` is an ordinary key.
//!
//! The parser is iterative, so nesting depth is limited only by memory, and it allocates
//! nothing per value except for strings with escapes. The source text is copied into the
//! arena first; escape-free strings point into that copy. The `layout` module says what JS reads.
//!
//! ```ignore
//! let alloc = FixedSizeAllocator::new()?;
//! let doc = json::parse(&alloc, br#"{"a": [1, "x"]}"#)?;
//! alloc.write_raw_metadata(doc.raw_transfer_metadata(&alloc));
//! ```

use std::fmt;

use crate::arena::{AllocError, FixedSizeAllocator};
use crate::transfer::RawTransferMetadata;

#[cfg(feature = "napi")]
mod files;
// What JS reads: crate-private, JS gets these numbers from `js/generated/json-constants.js`.
pub(crate) mod layout;
mod parse;
#[cfg(test)]
mod tests;

#[cfg(feature = "napi")]
pub use files::JsonFiles;
pub use layout::Document;
use layout::FORMAT_VERSION as LAYOUT_VERSION;
#[cfg(test)]
use layout::{
    FLAG_ASCII, FLAG_IN_SOURCE, FLAG_UTF16, FORMAT_VERSION, LAYOUT_CONSTANTS, Node as LayoutNode,
    TYPE_ARRAY, TYPE_MASK, TYPE_NULL, TYPE_OBJECT, TYPE_STRING, layout_constant,
};
pub use parse::Parser;

/// Parse `text` into `alloc` with a fresh [`Parser`]. To parse many documents, keep a
/// [`Parser`] and call [`Parser::parse`] to reuse its scratch buffers.
pub fn parse<'a>(alloc: &'a FixedSizeAllocator, text: &[u8]) -> Result<&'a Document, ParseError> {
    Parser::new().parse(alloc, text)
}

impl Document {
    /// The source text (the arena copy the spans refer to).
    pub fn source(&self) -> &[u8] {
        // A `Document` is only created by the parser, in the same arena as the source copy it
        // points to, and handed out as `&'a Document` borrowing that arena (JS can only write
        // to it after Rust has handed the block over).
        // SAFETY: so while `&self` lives the arena has not been reset and the copy is intact.
        unsafe {
            std::slice::from_raw_parts(
                self.source_ptr as usize as *const u8,
                self.source_len as usize,
            )
        }
    }

    /// The root value.
    #[cfg(test)]
    pub(crate) fn root(&self) -> &LayoutNode {
        &self.root
    }

    /// Number of value nodes, root included, object keys excluded.
    pub fn node_count(&self) -> u32 {
        self.node_count
    }

    /// Number of object entries in the whole document (so also of key nodes).
    pub fn entry_count(&self) -> u32 {
        self.entry_count
    }

    /// Deepest container nesting: 0 for a scalar root, 1 for `[]` or `{}`, and so on.
    pub fn max_depth(&self) -> u32 {
        self.max_depth
    }

    /// The hand-off record for this document: its offset as `data_offset` and
    /// the layout's format version as `producer0`. Pass it to
    /// [`FixedSizeAllocator::write_raw_metadata`].
    pub fn raw_transfer_metadata(&self, alloc: &FixedSizeAllocator) -> RawTransferMetadata {
        RawTransferMetadata {
            data_offset: alloc.offset_of(self),
            generation: alloc.generation(),
            producer0: LAYOUT_VERSION,
            producer1: 0,
        }
    }
}

/// Why [`parse`] failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// The input is not JSON that `JSON.parse` would accept.
    Syntax(JsonError),
    /// The arena block cannot hold the document.
    Alloc(AllocError),
}

impl From<AllocError> for ParseError {
    fn from(e: AllocError) -> Self {
        Self::Alloc(e)
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Syntax(e) => e.fmt(f),
            Self::Alloc(e) => write!(f, "cannot store the parsed JSON: {e}"),
        }
    }
}

impl std::error::Error for ParseError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Syntax(e) => Some(e),
            Self::Alloc(e) => Some(e),
        }
    }
}

/// A syntax error and where it is.
///
/// `offset` is the byte offset of the offending byte (the input length for an unexpected
/// end). `line` is 1-based, lines being split on `\n` only. `column` is 1-based and counts
/// **UTF-16 code units** from the start of the line, as a JS editor or string index would.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonError {
    /// What is wrong.
    pub kind: JsonErrorKind,
    /// Byte offset in the text where `JSON.parse` would report it.
    pub offset: usize,
    /// 1-based line of `offset`.
    pub line: u32,
    /// 1-based column of `offset`, in UTF-16 units as JS counts.
    pub column: u32,
}

impl JsonError {
    /// The message without the position, e.g. `Unexpected token '}'`.
    pub fn message(&self) -> String {
        self.kind.to_string()
    }

    /// Build the error for `offset` in `src`, computing line and column.
    #[cold]
    pub(super) fn at(src: &[u8], kind: JsonErrorKind, offset: usize) -> Self {
        let before = &src[..offset.min(src.len())];
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        // Everything before an error offset has been validated as UTF-8; lossy decoding is
        // only a fallback.
        let column = 1 + String::from_utf8_lossy(&before[line_start..])
            .encode_utf16()
            .count();
        Self {
            kind,
            offset,
            line: line as u32,
            column: column as u32,
        }
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at position {} (line {} column {})",
            self.kind, self.offset, self.line, self.column
        )
    }
}

impl std::error::Error for JsonError {}

/// What kind of syntax error; the `Display` texts follow V8's `JSON.parse` messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonErrorKind {
    /// The input ended where a value (or more of one) was expected.
    UnexpectedEnd,
    /// A character that cannot start a value here.
    UnexpectedToken(char),
    /// A digit after a leading `0` (`01`), or a number where none can be (`tr1`).
    UnexpectedNumber,
    /// A string where none can be (`t"x"`).
    UnexpectedString,
    /// Something other than whitespace after the root value.
    TrailingCharacters,
    /// `-` not followed by a digit.
    NoNumberAfterMinus,
    /// `.` not followed by a digit.
    UnterminatedFraction,
    /// `e`/`E` (and sign) not followed by a digit.
    MissingExponent,
    /// The input ended inside a string.
    UnterminatedString,
    /// A raw U+0000..U+001F inside a string.
    BadControlCharacter,
    /// `\` followed by something other than `"\/bfnrtu`.
    BadEscape,
    /// `\u` not followed by four hex digits.
    BadUnicodeEscape,
    /// After `{`: neither a string nor `}`.
    ExpectedPropertyNameOrBrace,
    /// After `,` in an object: not a string.
    ExpectedPropertyName,
    /// After an object key: not `:`.
    ExpectedColon,
    /// After an array element: neither `,` nor `]`.
    ExpectedCommaOrBracket,
    /// After an object value: neither `,` nor `}`.
    ExpectedCommaOrBrace,
    /// The bytes at `offset` are not valid UTF-8.
    InvalidUtf8,
}

impl fmt::Display for JsonErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Self::UnexpectedEnd => "Unexpected end of JSON input",
            Self::UnexpectedToken(c) => {
                return write!(f, "Unexpected token '{}'", c.escape_debug());
            }
            Self::UnexpectedNumber => "Unexpected number",
            Self::UnexpectedString => "Unexpected string",
            Self::TrailingCharacters => "Unexpected non-whitespace character after JSON",
            Self::NoNumberAfterMinus => "No number after minus sign",
            Self::UnterminatedFraction => "Unterminated fractional number",
            Self::MissingExponent => "Exponent part is missing a number",
            Self::UnterminatedString => "Unterminated string",
            Self::BadControlCharacter => "Bad control character in string literal",
            Self::BadEscape => "Bad escaped character",
            Self::BadUnicodeEscape => "Bad Unicode escape",
            Self::ExpectedPropertyNameOrBrace => "Expected property name or '}'",
            Self::ExpectedPropertyName => "Expected double-quoted property name",
            Self::ExpectedColon => "Expected ':' after property name",
            Self::ExpectedCommaOrBracket => "Expected ',' or ']' after array element",
            Self::ExpectedCommaOrBrace => "Expected ',' or '}' after property value",
            Self::InvalidUtf8 => "Invalid UTF-8",
        };
        f.write_str(s)
    }
}
