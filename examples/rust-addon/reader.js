'use strict'
// Reads the CSV table blocks this addon sends, with raw-transfer-reader only (pure JS, its
// one dependency: nothing here loads raw-transfer's own .node). The layout is src/lib.rs's
// Table and Row.

const reader = require('raw-transfer-reader')
const { RawTransferError, RAW_METADATA_OFFSET } = reader
const { META_PRODUCER0, META_PRODUCER1 } = reader.constants

// Must match src/lib.rs (its compile-time asserts pin the Rust side).
const FORMAT = 0x43535631 // "CSV1"
const FORMAT_VERSION = 1
const TABLE_ROWS_PTR = 0
const TABLE_ROWS_LEN = 8
const ROW_SIZE = 24
const ROW_NAME_PTR = 0
const ROW_NAME_LEN = 8
const ROW_LINE = 12
const ROW_VALUE = 16
const META_U32 = RAW_METADATA_OFFSET >> 2

/** Throw unless `raw` (a RawBuffer) holds a CSV table of this layout version. */
function checkFormat(raw) {
  const format = raw.u32[META_U32 + META_PRODUCER0]
  const version = raw.u32[META_U32 + META_PRODUCER1]
  if (format !== FORMAT || version !== FORMAT_VERSION) {
    throw new RawTransferError(
      `not a CSV table block (producer0 0x${format.toString(16)}, producer1 ${version})`,
    )
  }
}

/** Number of rows of the table at `table` (default: the block's data offset) in `raw`. */
function rowCount(raw, table = raw.dataOffset) {
  checkFormat(raw)
  return raw.u32[(table + TABLE_ROWS_LEN) >> 2]
}

/**
 * The rows of the table at `table` in `raw` as plain `{ name, value, line }` objects (a job's
 * item gives its table's offset as `root`; a block holds several).
 */
function readTable(raw, table = raw.dataOffset) {
  checkFormat(raw)
  const rows = raw.ptr(table + TABLE_ROWS_PTR)
  const len = raw.u32[(table + TABLE_ROWS_LEN) >> 2]
  const { u32, f64 } = raw
  const out = new Array(len)
  for (let i = 0; i < len; i++) {
    const row = rows + i * ROW_SIZE
    out[i] = {
      name: raw.str(raw.ptr(row + ROW_NAME_PTR), u32[(row + ROW_NAME_LEN) >> 2]),
      value: f64[(row + ROW_VALUE) >> 3],
      line: u32[(row + ROW_LINE) >> 2],
    }
  }
  return out
}

// Native calls throw typed errors themselves (a CsvSyntax error is a RawTransferError with
// code, offset, line and column). fromNative and native (which rethrows through it) map the
// older form of a native error, "<Code>: <text>": exported for code written against it.
const { fromNative, native } = reader

/** A job failure (`{ code, message, position }` from Rust) as a typed error. */
function fromFailure(failure, what) {
  const e = reader.fromNative(new Error(`${failure.code}: ${what ? `${what}: ` : ''}${failure.message}`))
  if (failure.position) [e.offset, e.line, e.column] = failure.position
  return e
}

module.exports = {
  reader,
  FORMAT,
  FORMAT_VERSION,
  ROW_SIZE,
  checkFormat,
  rowCount,
  readTable,
  fromNative,
  fromFailure,
  native,
}
