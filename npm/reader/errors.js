'use strict'
// Error classes users can `instanceof`, and the mapping from native error codes.
// A native error's message is "<Code>: <text>" (see src/napi/error.rs); a producer's error
// at a position of its input is "<Code>: <offset>:<line>:<column>: <text>".
//
// Realms: under Jest, vitest's vmThreads pool or a `vm` context, this module runs in a
// different JS realm than the one the native addon throws its errors in, so `err instanceof
// Error` is false for a perfectly good native error. Nothing here tests `instanceof Error`:
// errors are recognized by shape (an object with a string `message`), our own errors by a
// brand (a registered symbol, shared by every realm) and their class names.

/** Brand of every RawTransferError: the class names from the error's class up to RawTransferError. */
const BRAND = Symbol.for('raw-transfer.error')
const ownHasInstance = Function.prototype[Symbol.hasInstance]

class RawTransferError extends Error {
  constructor(message, options) {
    super(message, options)
    this.name = new.target.name
    const names = []
    for (let c = new.target; c && c !== Error; c = Object.getPrototypeOf(c)) names.push(c.name)
    Object.defineProperty(this, BRAND, { value: names, configurable: true })
  }

  /**
   * `err instanceof PoolClosedError` is true for errors of this package's classes, including
   * those made by another copy of this module (another realm: a Jest or vitest vmThreads
   * sandbox next to the main context, a `vm` context), recognized by brand and class name.
   */
  static [Symbol.hasInstance](value) {
    if (ownHasInstance.call(this, value)) return true
    if (typeof value !== 'object' || value === null) return false
    const names = value[BRAND]
    return Array.isArray(names) && names.includes(this.name)
  }
}
class PoolExhaustedError extends RawTransferError {}
class PoolClosedError extends RawTransferError {}
class StaleBufferError extends RawTransferError {}
class BlockFullError extends RawTransferError {}
class ExternalBuffersForbiddenError extends RawTransferError {}
class OutOfMemoryError extends RawTransferError {}
class InvalidArgumentError extends RawTransferError {}
/** A job was driven twice at once (a second take() or runJob while one waits): refused, as the first would never settle. */
class JobBusyError extends RawTransferError {
  constructor(message, options) {
    super(message, options)
    this.code = 'JobBusy'
  }
}

/**
 * A document's nodes point outside the block, at more nodes than the document has, or in a
 * cycle: JS wrote over the block's bytes (JS can write anywhere in its buffer). Readers
 * throw this instead of walking without end; `code` is 'CorruptDocument'.
 */
class CorruptDocumentError extends RawTransferError {
  constructor(message, options) {
    super(message, options)
    this.code = 'CorruptDocument'
  }
}

/**
 * A block holds another layout than a generated reader (raw_transfer::layout::write_js) was
 * made for: another producer, or another version of the Rust types (the layout hash in the
 * hand-off record differs). `code` is 'LayoutMismatch'.
 */
class LayoutMismatchError extends RawTransferError {
  constructor(message, options) {
    super(message, options)
    this.code = 'LayoutMismatch'
  }
}

/**
 * A plugin's promise did not settle within parseJsonFiles' `pluginTimeoutMs` (runJob's
 * `pluginTimeoutMs`): its block was released and the run went on. `code` is 'PluginTimeout'.
 */
class PluginTimeoutError extends RawTransferError {
  constructor(message, options) {
    super(message, options)
    this.code = 'PluginTimeout'
  }
}

/** The classes of the generic codes. */
const byCode = {
  PoolExhausted: PoolExhaustedError,
  PoolClosed: PoolClosedError,
  StaleBuffer: StaleBufferError,
  BlockFull: BlockFullError,
  ExternalForbidden: ExternalBuffersForbiddenError,
  OutOfMemory: OutOfMemoryError,
  InvalidArgument: InvalidArgumentError,
  JobBusy: JobBusyError,
  CorruptDocument: CorruptDocumentError,
  LayoutMismatch: LayoutMismatchError,
  PluginTimeout: PluginTimeoutError,
}

/** True for any error-like value, from any realm: an object with a string `message`. */
function isErrorLike(err) {
  return typeof err === 'object' && err !== null && typeof err.message === 'string'
}

/** True for an error of this package's classes, made in any realm. */
function isRawTransferError(err) {
  return err instanceof RawTransferError // realm-safe: see RawTransferError[Symbol.hasInstance]
}

/**
 * Turn an error thrown by the native addon into its typed class: "<Code>: <text>" with a
 * known code gives that class; another code word (`Io`, `Internal`, a producer's own) gives
 * a RawTransferError with `code` set; anything else is returned as it is.
 */
function fromNative(err) {
  if (!isErrorLike(err) || isRawTransferError(err)) return err
  const m = /^([A-Za-z][A-Za-z0-9]*): ([\s\S]*)$/.exec(err.message)
  if (!m) return err
  const code = m[1]
  const Cls = byCode[code]
  if (Cls) {
    const e = new Cls(m[2], { cause: err })
    e.code = code
    return e
  }
  // "<Code>: <offset>:<line>:<column>: <message>": a producer's error at a position of its input.
  const p = /^(\d+):(\d+):(\d+): ([\s\S]*)$/.exec(m[2])
  if (p) return positionedError(code, p[4], [Number(p[1]), Number(p[2]), Number(p[3])], err)
  // A TransferError with another code (Io, Internal, a producer's own) reaches JS as a napi
  // GenericFailure; keep its code so callers can switch on it.
  if (err.code === undefined || err.code === 'GenericFailure') {
    const e = new RawTransferError(m[2], { cause: err })
    e.code = code
    return e
  }
  return err
}

/** Codes whose positioned errors have a class of their own (registerPositionedError). */
const positioned = new Map()

/**
 * Errors of `code` that carry a position are made as `new Class(message, { offset, line,
 * column })`; the JSON side registers JsonSyntaxError for 'JsonSyntax'. Other codes give a
 * RawTransferError with the same fields.
 */
function registerPositionedError(code, Class) {
  positioned.set(code, Class)
}

/** The error for `code` at `[offset, line, column]` of a producer's input; `cause` only for the generic class. */
function positionedError(code, text, [offset, line, column], cause) {
  const message = `${text} at line ${line} column ${column} (byte ${offset})`
  const Cls = positioned.get(code)
  let e
  if (Cls) {
    e = new Cls(message, { offset, line, column })
  } else {
    e = new RawTransferError(message, cause === undefined ? undefined : { cause })
    e.offset = offset
    e.line = line
    e.column = column
  }
  e.code = code
  return e
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
  JobBusyError,
  CorruptDocumentError,
  LayoutMismatchError,
  PluginTimeoutError,
  fromNative,
  registerPositionedError,
  positionedError,
  native,
  isErrorLike,
  isRawTransferError,
}
