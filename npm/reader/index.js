'use strict'
// `require('raw-transfer-reader')` (also `raw-transfer/reader`): everything needed to read blocks sent by any addon
// built on the raw_transfer crate, with no native code: RawBuffer, BufferCache, the typed
// errors (and `fromNative`, which maps a native error's "<Code>: …" message to its class),
// the block geometry, and the generic job driver. Nothing here knows a producer's format.

const constants = require('./generated/constants')
const errors = require('./errors')
const { RawBuffer, decodeUtf8: decodeTrusted, isArrayBuffer, isUint8Array } = require('./raw-buffer')
const { show } = require('./args')
const BufferCache = require('./buffer-cache')
const { runJob } = require('./run-job')

/**
 * Decode `len` bytes of UTF-8 at `pos` of `u8` (`buf`: a Buffer over the same memory, or
 * null). The lazy view calls the unchecked decoder with ranges it has bounded itself; a
 * caller of this export may pass anything, and an unchecked read out of range returns
 * NULs, bytes counted from the end (a negative `pos`) or a RangeError from Buffer.
 */
function decodeUtf8(u8, buf, pos, len) {
  if (!isUint8Array(u8)) throw new errors.InvalidArgumentError(`decodeUtf8 expects a Uint8Array; got ${show(u8)}`)
  if (!Number.isInteger(pos) || !Number.isInteger(len)) {
    throw new errors.InvalidArgumentError(`decodeUtf8 expects integers pos and len; got ${show(pos)} and ${show(len)}`)
  }
  if (pos < 0 || len < 0 || pos + len > u8.length) {
    throw new errors.InvalidArgumentError(`decodeUtf8: bytes [${pos}, ${pos + len}) are outside the buffer (${u8.length} bytes)`)
  }
  if (buf !== null && buf !== undefined) {
    // What is read is `buf`: it must be a view of the same bytes.
    if (!isUint8Array(buf) || buf.buffer !== u8.buffer || buf.byteOffset !== u8.byteOffset || buf.length < pos + len) {
      throw new errors.InvalidArgumentError('decodeUtf8: buf must be null or a Buffer over the same memory as u8')
    }
    if (typeof buf.utf8Slice !== 'function') buf = null
  }
  return decodeTrusted(u8, buf ?? null, pos, len)
}

/**
 * A hand-off as an addon's fast call returns it (raw_transfer's `FastValue::Sent`): the
 * number `id × 2^32 + generation` when the block's buffer was not sent again, else the
 * record `{ id, generation, buffer }`. Either way, the record.
 */
function unpackSent(sent) {
  if (typeof sent === 'number') {
    if (!Number.isSafeInteger(sent) || sent < 2 ** 32) throw new errors.InvalidArgumentError(`unpackSent expects a packed hand-off (id × 2^32 + generation); got ${show(sent)}`)
    // `>>> 0`: both as small integers (the arithmetic's doubles would give the views that
    // store them another field representation, and deoptimize the generated readers).
    return { id: (sent / 2 ** 32) >>> 0, generation: sent >>> 0, buffer: null }
  }
  const bad = () => new errors.InvalidArgumentError(`unpackSent expects a number or a { id, generation, buffer } record; got ${show(sent)}`)
  if (sent === null || typeof sent !== 'object') throw bad()
  let id, generation, buffer
  try {
    ;({ id, generation, buffer } = sent)
  } catch {
    throw bad() // a getter or a Proxy that throws
  }
  const u32 = (x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32
  if (!u32(id) || id === 0 || !u32(generation) || (buffer !== null && !isArrayBuffer(buffer))) throw bad()
  return { id, generation, buffer }
}

module.exports = {
  constants,
  BLOCK_ALIGN: constants.BLOCK_ALIGN,
  BLOCK_SIZE: constants.BLOCK_SIZE,
  BUFFER_SIZE: constants.BUFFER_SIZE,
  ACTIVE_SIZE: constants.ACTIVE_SIZE,
  RAW_METADATA_SIZE: constants.RAW_METADATA_SIZE,
  RAW_METADATA_OFFSET: constants.RAW_METADATA_OFFSET,
  RawBuffer,
  BufferCache,
  decodeUtf8,
  unpackSent,
  runJob,
  RawTransferError: errors.RawTransferError,
  PoolExhaustedError: errors.PoolExhaustedError,
  PoolClosedError: errors.PoolClosedError,
  StaleBufferError: errors.StaleBufferError,
  BlockFullError: errors.BlockFullError,
  ExternalBuffersForbiddenError: errors.ExternalBuffersForbiddenError,
  OutOfMemoryError: errors.OutOfMemoryError,
  InvalidArgumentError: errors.InvalidArgumentError,
  InternalError: errors.InternalError,
  JobBusyError: errors.JobBusyError,
  CorruptDocumentError: errors.CorruptDocumentError,
  LayoutMismatchError: errors.LayoutMismatchError,
  PluginTimeoutError: errors.PluginTimeoutError,
  fromNative: errors.fromNative,
  failureError: errors.failureError,
  native: errors.native,
}
