'use strict'
// What crosses the worker boundary of runParallel, both ways. Structured clone keeps an
// Error's message and stack but not its class, `code`, `offset`, `path`, ...: errors
// travel as plain records and are rebuilt on the main thread with the package's classes.
//
// A plugin's result or thrown value that reaches a block (a view of one, or its buffer)
// would be cloned whole: 2 GiB per block, which a few files turn into an out-of-memory
// machine. So a worker never lets postMessage clone what a plugin made: it writes each
// chunk's results and errors with its own v8.Serializer (the format postMessage uses), which
// refuses a view of a block when it meets one, however deep, behind a getter, in a Map key
// or an error's cause, and writes a block's ArrayBuffer as a transfer reference (a few
// bytes) that the worker then finds and refuses. Nothing is scanned: the serializer is
// the clone.

const v8 = require('node:v8')
const { isDataView, isSharedArrayBuffer } = require('node:util').types
const { BUFFER_SIZE } = require('raw-transfer-reader/constants')
const { blockBuffers } = require('raw-transfer-reader/raw-buffer')

/** Error classes a record may name besides the package's own (the realm's builtins). */
const BUILTIN_ERRORS = ['Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError']

/** Own fields of an error that are not copied as props (they are rebuilt, or are the record itself). */
const SKIP = new Set(['name', 'message', 'stack', 'cause', '__proto__'])

const isPrimitive = (v) => v === null || (typeof v !== 'object' && typeof v !== 'function' && typeof v !== 'symbol')

/** A string for anything, never throwing (a hostile toString included). */
function safeString(v) {
  try {
    return String(v)
  } catch {
    return Object.prototype.toString.call(v)
  }
}

/**
 * A record of whatever was thrown: `{ error: true, name, message, stack, props, cause }` for
 * an error-like value (an object with a string message, from any realm), with its own
 * primitive fields in `props` (code, offset, line, column, path, ...); `{ error: false,
 * value }` for anything else: the value if `encode` can send it, the string form of a
 * function or a symbol, else the record of a DataCloneError saying why. Never throws: a
 * getter that throws only loses that field.
 */
function serializeError(e, depth = 0) {
  let message
  try {
    message = e !== null && typeof e === 'object' ? e.message : undefined
  } catch {}
  if (typeof message !== 'string') {
    if (e === null || (typeof e !== 'object' && typeof e !== 'function' && typeof e !== 'symbol')) return { error: false, value: e }
    const lazy = lazyValue(e)
    if (lazy !== null) return serializeError(notCloneable('the thrown value', lazyRefused(lazy)))
    try {
      encode(e)
      return { error: false, value: e }
    } catch (why) {
      if (typeof e !== 'object') return { error: false, value: safeString(e) }
      return serializeError(notCloneable('the thrown value', why))
    }
  }
  const rec = { error: true, name: 'Error', message, stack: undefined, props: {}, cause: undefined }
  const read = (k) => {
    try {
      return e[k]
    } catch {
      return undefined
    }
  }
  const name = read('name')
  if (typeof name === 'string') rec.name = name
  const stack = read('stack')
  if (typeof stack === 'string') rec.stack = stack
  let keys = []
  try {
    keys = Object.keys(e)
  } catch {}
  // `code` is often an own field, but some errors (Node's) define it on the prototype.
  if (!keys.includes('code')) keys.push('code')
  for (const k of keys) {
    if (SKIP.has(k)) continue
    const v = read(k)
    if (v !== undefined && isPrimitive(v)) rec.props[k] = v
  }
  const cause = read('cause')
  if (cause !== undefined && depth < 3) rec.cause = serializeError(cause, depth + 1)
  return rec
}

/** Set an own data property (no setter, no prototype change, even for odd keys). */
function define(obj, key, value, enumerable = true) {
  Object.defineProperty(obj, key, { value, writable: true, configurable: true, enumerable })
}

/**
 * The value a `serializeError` record stands for, rebuilt in this realm: an error of the
 * class its name gives, looked up in `classes` (the package's error classes, by name) and
 * then in this realm's builtin errors, else a plain Error carrying that name. JsonSyntaxError
 * gets its offset, line and column back; every prop (code, path, ...) is set again, and the
 * stack is the worker's (it names the frames that threw).
 */
function reviveError(rec, classes) {
  if (rec === null || typeof rec !== 'object' || rec.error !== true) return rec?.value
  const { name, message, props } = rec
  let err
  const Own = Object.hasOwn(classes, name) ? classes[name] : null
  if (Own !== null && name === 'JsonSyntaxError') {
    err = new Own(message, { offset: props.offset, line: props.line, column: props.column, path: props.path })
  } else if (Own !== null) {
    err = new Own(message)
  } else if (BUILTIN_ERRORS.includes(name)) {
    err = new globalThis[name](message)
  } else {
    err = new Error(message)
    define(err, 'name', name, false)
  }
  for (const k of Object.keys(props)) define(err, k, props[k])
  if (rec.cause !== undefined) define(err, 'cause', reviveError(rec.cause, classes), false)
  if (rec.stack !== undefined) define(err, 'stack', rec.stack, false)
  return err
}


/**
 * The error recorded for a value that cannot be sent to the main thread; `why` is what the
 * serializer threw.
 */
function notCloneable(what, why) {
  let reason
  if (why instanceof LazyRefused) {
    reason = why.message // its marker already says what to send instead
  } else {
    const because = why instanceof BlockRefused ? why.message : `it cannot be cloned (${messageOf(why)})`
    reason = `${because}; send plain values (node.value, doc.toJS(), copies)`
  }
  const err = new Error(`${what} cannot be sent to the main thread: ${reason}`)
  err.name = 'DataCloneError'
  return err
}

function messageOf(e) {
  try {
    if (e !== null && typeof e === 'object' && typeof e.message === 'string') return e.message
  } catch {}
  return safeString(e)
}

/**
 * Why `v` itself must not be sent although it clones: a JsonNode, a JsonDocument, a Block
 * or a RawBuffer keeps its state private and clones to `{}`; returned as a result it is a
 * mistake (send `node.value`, `doc.toJS()`), which its prototype's `notCloneable` marker
 * names. null for anything else.
 */
function lazyValue(v) {
  if (v === null || typeof v !== 'object') return null
  try {
    const marker = v.notCloneable
    if (typeof marker === 'symbol' && marker.description?.startsWith('raw-transfer: ')) return marker.description.slice('raw-transfer: '.length)
  } catch {}
  return null
}

/** What `encode` throws for a value that reaches a block. */
class BlockRefused extends Error {}
/** Why a lazy value (see lazyValue) is refused. */
class LazyRefused extends Error {}
const lazyRefused = (why) => new LazyRefused(`it is ${why.replace(/ cannot be cloned or posted;/, ';')}`)
const blockRefused = (what) => new BlockRefused(`it holds ${what} (cloning it would copy the whole block)`)

// Every block buffer is written as transfer id BLOCK_ID: the tag 't' and the id's varint,
// six bytes a serialized value only holds by chance (inside a string or a typed array's
// bytes). A value whose bytes hold them is read back with no transfer map: a real
// reference fails to deserialize, a chance one does not.
const BLOCK_ID = 0xffffffff
const BLOCK_REFERENCE = Buffer.from([0x74, 0xff, 0xff, 0xff, 0xff, 0x0f])

// Views are written by hand (a host object: their kind, their buffer as a value of its own,
// offset, length) so that one of a block is refused before a byte of it is copied; their
// buffer is shared with the views and values that share it, as structured clone does.
// Read through the intrinsic getters: an own `buffer` property cannot hide a block.
const TypedArray = Object.getPrototypeOf(Uint8Array.prototype)
const getter = (proto, key) => Object.getOwnPropertyDescriptor(proto, key).get
const typedBuffer = getter(TypedArray, 'buffer')
const typedOffset = getter(TypedArray, 'byteOffset')
const typedLength = getter(TypedArray, 'byteLength')
const typedTag = getter(TypedArray, Symbol.toStringTag)
const viewBuffer = getter(DataView.prototype, 'buffer')
const viewOffset = getter(DataView.prototype, 'byteOffset')
const viewLength = getter(DataView.prototype, 'byteLength')
const bufferLength = getter(ArrayBuffer.prototype, 'byteLength')
const sharedLength = getter(SharedArrayBuffer.prototype, 'byteLength')
const anyByteLength = (b) => {
  try {
    return bufferLength.call(b)
  } catch {
    return sharedLength.call(b)
  }
}
const VIEWS = ['DataView', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array']
const VIEW_INDEX = new Map(VIEWS.map((name, i) => [name, i]))

const isBlockBuffer = (b) => blockBuffers.set.has(b) || anyByteLength(b) === BUFFER_SIZE

class Writer extends v8.Serializer {
  constructor(shared) {
    super()
    this.shared = shared
    this._setTreatArrayBufferViewsAsHostObjects(true)
  }

  _writeHostObject(view) {
    let kind, buffer, offset, length
    if (isDataView(view)) {
      kind = 0
      buffer = viewBuffer.call(view)
      offset = viewOffset.call(view)
      length = viewLength.call(view)
    } else {
      kind = VIEW_INDEX.get(typedTag.call(view))
      if (kind === undefined) throw new TypeError(`a ${typedTag.call(view)} cannot be cloned`)
      buffer = typedBuffer.call(view)
      offset = typedOffset.call(view)
      length = typedLength.call(view)
    }
    if (isBlockBuffer(buffer)) throw blockRefused('a view of a 2 GiB block buffer')
    this.writeUint32(kind)
    if (isSharedArrayBuffer(buffer)) {
      // Shared, as postMessage does: the buffer travels beside the bytes.
      let id = this.shared.indexOf(buffer)
      if (id === -1) id = this.shared.push(buffer) - 1
      this.writeUint32(1)
      this.writeUint32(id)
    } else {
      this.writeUint32(0)
      this.writeValue(buffer)
    }
    this.writeDouble(offset)
    this.writeDouble(length)
  }

  // Node's Deserializer cannot read a SharedArrayBuffer written on its own (only a view of one).
  _getSharedArrayBufferId() {
    throw new TypeError('a SharedArrayBuffer cannot be sent on its own; send a view of it')
  }
}

class Reader extends v8.Deserializer {
  constructor(bytes, shared) {
    super(bytes)
    this.shared = shared
  }

  _readHostObject() {
    const name = VIEWS[this.readUint32()]
    const buffer = this.readUint32() === 1 ? this.shared[this.readUint32()] : this.readValue()
    const offset = this.readDouble()
    const length = this.readDouble()
    if (name === 'DataView') return new DataView(buffer, offset, length)
    const View = globalThis[name]
    return new View(buffer, offset, length / View.BYTES_PER_ELEMENT)
  }
}

/**
 * `value` serialized as postMessage would clone it, or a throw: `BlockRefused` when it
 * reaches a block buffer, the serializer's error when it cannot be cloned (a function, a
 * symbol, a Proxy, a WeakMap). The SharedArrayBuffers its views share are appended to
 * `shared` (they travel beside the bytes).
 */
function encode(value, shared = []) {
  const sharedBefore = shared.length
  const w = new Writer(shared)
  w.writeHeader()
  for (const ref of blockBuffers.refs) {
    const ab = ref.deref()
    if (ab !== undefined) w.transferArrayBuffer(BLOCK_ID, ab)
  }
  let bytes
  try {
    w.writeValue(value)
    bytes = w.releaseBuffer()
    if (bytes.indexOf(BLOCK_REFERENCE) !== -1) {
      try {
        decode(bytes, shared)
      } catch {
        throw blockRefused("a 2 GiB block's ArrayBuffer")
      }
    }
  } catch (e) {
    shared.length = sharedBefore
    throw e
  }
  return bytes
}

/** The value `encode` wrote (in this realm); `shared`: the SharedArrayBuffers sent beside it. */
function decode(bytes, shared = []) {
  const r = new Reader(bytes, shared)
  r.readHeader()
  return r.readValue()
}

/**
 * A chunk's entries (`{ index, result }` or `{ index, phase, error }`, `error` a
 * serializeError record) as one message body: `{ payload, parts, shared }` and the list to
 * transfer. One part for the whole chunk; when it cannot be sent, one part per entry, and an
 * entry that cannot be sent is replaced by `replace(entry, why)` (plain values only).
 */
function encodeEntries(entries, replace) {
  // Nothing to send (a chunk whose results were all primitives, sent beside this): no serializer.
  if (entries.length === 0) return { body: { payload: null, parts: [], shared: [] }, transfer: [] }
  const shared = []
  const parts = []
  try {
    parts.push({ bytes: encode(entries, shared), indices: entries.map((e) => e.index) })
  } catch {
    for (const entry of entries) {
      let bytes
      try {
        bytes = encode([entry], shared)
      } catch (why) {
        bytes = encode([replace(entry, why)], shared)
      }
      parts.push({ bytes, indices: [entry.index] })
    }
  }
  let payload
  if (parts.length === 1 && parts[0].bytes.byteOffset === 0 && parts[0].bytes.buffer.byteLength === parts[0].bytes.length) {
    payload = parts[0].bytes
  } else {
    // Its own ArrayBuffer (never the Buffer pool's), so that it can be transferred.
    payload = Buffer.allocUnsafeSlow(parts.reduce((n, p) => n + p.bytes.length, 0))
    let at = 0
    for (const p of parts) {
      p.bytes.copy(payload, at)
      at += p.bytes.length
    }
  }
  let end = 0
  const body = { payload, parts: parts.map((p) => ({ end: (end += p.bytes.length), indices: p.indices })), shared }
  return { body, transfer: [payload.buffer] }
}

/**
 * The entries of a message body made by encodeEntries. A part that cannot be read (never
 * expected: the worker checked it) gives its inputs `broken(index, why)` instead.
 */
function decodeEntries(body, broken) {
  const out = []
  let start = 0
  for (const { end, indices } of body.parts) {
    try {
      out.push(...decode(body.payload.subarray(start, end), body.shared))
    } catch (why) {
      for (const index of indices) out.push(broken(index, why))
    }
    start = end
  }
  return out
}

module.exports = { serializeError, reviveError, notCloneable, lazyValue, lazyRefused, encode, decode, encodeEntries, decodeEntries, safeString }
