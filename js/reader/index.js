'use strict'
// `require('raw-transfer/reader')`: everything needed to read blocks sent by any addon
// built on the raw_transfer crate, with no native code: RawBuffer, BufferCache, the typed
// errors (and `fromNative`, which maps a native error's "<Code>: …" message to its class),
// the geometry constants, and the generic job driver.

const C = require('./constants')
const errors = require('./errors')
const { RawBuffer, decodeUtf8: decodeTrusted, isUint8Array } = require('./raw-buffer')(C)
const { show } = require('./args')
const BufferCache = require('./buffer-cache')(RawBuffer)
const { runJob } = require('./job')

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

module.exports = {
  ...C,
  constants: C,
  RawBuffer,
  BufferCache,
  decodeUtf8,
  runJob,
  ...errors,
}
