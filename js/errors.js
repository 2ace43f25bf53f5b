'use strict'
// Error classes users can `instanceof`, and the mapping from native error codes.
// A native error's message is "<Code>: <text>" (see src/napi/mod.rs).

class RawTransferError extends Error {
  constructor(message, options) {
    super(message, options)
    this.name = new.target.name
  }
}
class PoolExhaustedError extends RawTransferError {}
class PoolClosedError extends RawTransferError {}
class StaleBufferError extends RawTransferError {}
class BlockFullError extends RawTransferError {}
class ExternalBuffersForbiddenError extends RawTransferError {}
class OutOfMemoryError extends RawTransferError {}
class InvalidArgumentError extends RawTransferError {}

/** A JSON syntax error with the position of the offending byte. */
class JsonSyntaxError extends RawTransferError {
  constructor(message, { offset, line, column, path } = {}) {
    super(message)
    this.offset = offset
    this.line = line
    this.column = column
    if (path !== undefined) this.path = path
  }
}

const byCode = {
  PoolExhausted: PoolExhaustedError,
  PoolClosed: PoolClosedError,
  StaleBuffer: StaleBufferError,
  BlockFull: BlockFullError,
  ExternalForbidden: ExternalBuffersForbiddenError,
  OutOfMemory: OutOfMemoryError,
  InvalidArgument: InvalidArgumentError,
}

/** Turn an error thrown by the native addon into its typed class. */
function fromNative(err) {
  if (!(err instanceof Error) || err instanceof RawTransferError) return err
  const m = /^(\w+): ([\s\S]*)$/.exec(err.message)
  if (!m) return err
  if (m[1] === 'JsonSyntax') {
    // "JsonSyntax: <offset>:<line>:<column>: <message>"
    const j = /^(\d+):(\d+):(\d+): ([\s\S]*)$/.exec(m[2])
    if (j) {
      const [offset, line, column] = [Number(j[1]), Number(j[2]), Number(j[3])]
      return new JsonSyntaxError(`${j[4]} at line ${line} column ${column} (byte ${offset})`, { offset, line, column })
    }
  }
  const Cls = byCode[m[1]]
  if (!Cls) return err
  return new Cls(m[2], { cause: err })
}

/** Call `fn`, rethrowing native errors as typed ones. */
function native(fn) {
  try {
    return fn()
  } catch (e) {
    throw fromNative(e)
  }
}

module.exports = {
  RawTransferError,
  PoolExhaustedError,
  PoolClosedError,
  StaleBufferError,
  BlockFullError,
  ExternalBuffersForbiddenError,
  OutOfMemoryError,
  InvalidArgumentError,
  JsonSyntaxError,
  fromNative,
  native,
}
