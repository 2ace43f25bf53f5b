'use strict'
// `require('raw-transfer/reader')`: everything needed to read blocks sent by any addon
// built on the raw_transfer crate, with no native code: RawBuffer, BufferCache, the typed
// errors (and `fromNative`, which maps a native error's "<Code>: …" message to its class),
// the geometry constants, and the generic job driver.

const C = require('./constants')
const errors = require('./errors')
const { RawBuffer, decodeUtf8 } = require('./raw-buffer')(C)
const BufferCache = require('./buffer-cache')(RawBuffer)
const { runJob } = require('./job')

module.exports = {
  ...C,
  constants: C,
  RawBuffer,
  BufferCache,
  decodeUtf8,
  runJob,
  ...errors,
}
