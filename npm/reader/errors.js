'use strict'
// Error classes users can `instanceof`, and the mapping from native error codes.
//
// Native errors arrive typed: this module registers its classes, by code, on globalThis under
// Symbol.for('raw-transfer-reader.errors') (the registry below), and the Rust side
// (src/napi/throw.rs) throws `new Class(message)` with `code` (and offset/line/column for a
// producer's error at a position of its input) from the registry of the realm the addon was
// loaded in. Without a registry there (this module not loaded in that realm) it throws a
// plain Error with `code`, the class name as `name` and the brand below, which `instanceof`
// and `isRawTransferError` of every realm recognize.
//
// The older form, still what a call outside such a typed scope gives (an addon's own method
// on `catch_panic` alone): a napi GenericFailure whose message is "<Code>: <text>", or
// "<Code>: <offset>:<line>:<column>: <text>"; `fromNative` (and `native(fn)`) map it.
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
    for (let c = new.target; c && c !== Error; c = Object.getPrototypeOf(c)) {
      names.push(c.name)
      // The code of the nearest class of this module's own (a PoolExhaustedError made in JS
      // has `code` 'PoolExhausted', as one from native code has; a subclass keeps its
      // class's, or sets its own after super()).
      if (this.code === undefined && codeOf.has(c)) this.code = codeOf.get(c)
    }
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
/** A bug in native code (a caught panic) or an unexpected Node-API failure; `code` is 'Internal'. */
class InternalError extends RawTransferError {
  constructor(message, options) {
    super(message, options)
    this.code = 'Internal'
  }
}
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
 * A module that raw_transfer::layout::write_js generated was made for another version of the
 * layout runtime (raw-transfer-reader/layout, its LAYOUT_RUNTIME_VERSION) than the installed
 * raw-transfer-reader has: the module refuses to load rather than misread blocks. Install the
 * reader that goes with the raw_transfer crate that generated it, or regenerate it. `code` is
 * 'LayoutRuntimeMismatch'.
 */
class LayoutRuntimeMismatchError extends RawTransferError {
  constructor(message, options) {
    super(message, options)
    this.code = 'LayoutRuntimeMismatch'
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
  Internal: InternalError,
  JobBusy: JobBusyError,
  CorruptDocument: CorruptDocumentError,
  LayoutMismatch: LayoutMismatchError,
  LayoutRuntimeMismatch: LayoutRuntimeMismatchError,
  PluginTimeout: PluginTimeoutError,
}

/** The code of each class of `byCode` (RawTransferError itself has none). */
const codeOf = new Map(Object.entries(byCode).map(([code, Cls]) => [Cls, code]))

/**
 * The registry native code reads to throw typed errors: one per realm (globalThis), shared by
 * every copy of this module loaded in it, `{ version: 1, base, byCode }` — `base` the class
 * of codes without one of their own (RawTransferError), `byCode` code -> class. The first
 * copy makes it; later copies add only the codes it lacks, so the classes of one copy are
 * what a realm's native errors are made of (another copy's `instanceof` accepts them: see
 * RawTransferError[Symbol.hasInstance]).
 */
const REGISTRY = Symbol.for('raw-transfer-reader.errors')

function realmRegistry() {
  const found = globalThis[REGISTRY]
  if (typeof found === 'object' && found !== null && typeof found.byCode === 'object' && found.byCode !== null) return found
  const registry = { version: 1, base: RawTransferError, byCode: Object.create(null) }
  Object.defineProperty(globalThis, REGISTRY, { value: registry, configurable: true, writable: true })
  return registry
}

/** Make native errors of `code` instances of `Class` in this realm, unless a class is registered for it already. */
function registerNativeClass(code, Class) {
  const registry = realmRegistry()
  if (registry.byCode[code] === undefined) registry.byCode[code] = Class
}

for (const code of Object.keys(byCode)) registerNativeClass(code, byCode[code])

/** True for any error-like value, from any realm: an object with a string `message`. */
function isErrorLike(err) {
  return typeof err === 'object' && err !== null && typeof err.message === 'string'
}

/** True for an error of this package's classes, made in any realm. */
function isRawTransferError(err) {
  return err instanceof RawTransferError // realm-safe: see RawTransferError[Symbol.hasInstance]
}

/**
 * Turn an error of the older native form ("<Code>: <text>", a napi GenericFailure) into its
 * typed class: a known code gives that class; another code word (`Io`, a producer's own)
 * gives a RawTransferError with `code` set. Errors already typed (any realm; what native
 * calls throw now) and anything else are returned as they are.
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
  // A TransferError with another code (Io, a producer's own) reaches JS as a napi
  // GenericFailure (or with its own code); keep the code so callers can switch on it.
  if (err.code === undefined || err.code === 'GenericFailure' || err.code === code) {
    const e = new RawTransferError(m[2], { cause: err })
    e.code = code
    return e
  }
  return err
}

/** Codes whose positioned errors have a class of their own (registerPositionedError). */
const positioned = new Map()

/**
 * Errors of `code` are instances of `Class`: native errors of that code (registered in this
 * realm's registry, unless a class is there already), and errors at a position of a
 * producer's input, made as `new Class(message, { offset, line, column })`. The JSON side
 * registers JsonSyntaxError for 'JsonSyntax'. Unregistered codes give a RawTransferError
 * with the same fields.
 */
function registerPositionedError(code, Class) {
  positioned.set(code, Class)
  registerNativeClass(code, Class)
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

/**
 * The typed error of an input a native job failed on: `failure` is one of a batch's `errors`
 * (`{ code, message, position: [offset, line, column] | null, errno?, syscall? }`, what
 * runJob hands to `fail`). The class registered for `code` (a positioned error's with
 * `offset`, `line` and `column`; RawTransferError for a code without one), with `code` set.
 * `what` (a path, a name) starts the message and becomes `path`. An OS error gets Node's fs
 * error fields: `code` its name ('ENOENT'), `errno` negated (-2), `syscall` ('open').
 */
function failureError(failure, what) {
  const { code, message, position } = failure
  const text = what === undefined ? message : `${what}: ${message}`
  let err
  if (Array.isArray(position)) {
    err = positionedError(code, text, position)
  } else {
    const Cls = realmRegistry().byCode[code] ?? RawTransferError
    err = new Cls(text)
  }
  err.code = code
  if (what !== undefined) err.path = what
  if (typeof failure.errno === 'number') {
    err.code = systemErrorName(failure.errno) ?? code
    err.errno = -failure.errno
    err.syscall = failure.syscall
  }
  return err
}

/** Node's name for a (positive) OS error number ('ENOENT'), where the runtime can tell. */
function systemErrorName(errno) {
  try {
    return require('node:util').getSystemErrorName(-errno)
  } catch {
    return undefined
  }
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
  InternalError,
  JobBusyError,
  CorruptDocumentError,
  LayoutMismatchError,
  LayoutRuntimeMismatchError,
  PluginTimeoutError,
  fromNative,
  failureError,
  registerPositionedError,
  positionedError,
  native,
  isErrorLike,
  isRawTransferError,
}
