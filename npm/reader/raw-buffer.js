'use strict'
// The JS reader over a block's buffer: cached typed-array views, pointer and string
// readers, and the RawTransferMetadata fields. Layout constants come from Rust
// (generated/constants.js).

const { InvalidArgumentError, OutOfMemoryError, StaleBufferError } = require('./errors')
const { show } = require('./args')
const { inspect } = require('./symbols')

// Every block buffer wrapped in this thread, held weakly, in one registry per thread that
// every copy of this module shares (an addon may bring its own raw-transfer-reader): a
// parallel worker refuses to post a value that reaches one (raw-transfer's
// js/parallel/wire.js), as cloning it would copy the whole 2 GiB block.
const REGISTRY = Symbol.for('raw-transfer: block buffers')
if (!Object.hasOwn(globalThis, REGISTRY)) Object.defineProperty(globalThis, REGISTRY, { value: { set: new WeakSet(), refs: [], limit: 64 } })
const blockBuffers = globalThis[REGISTRY]

function noteBlockBuffer(ab) {
  if (blockBuffers.set.has(ab)) return
  blockBuffers.set.add(ab)
  const refs = blockBuffers.refs
  // Buffers of closed pools die with them: drop their refs as the list grows.
  if (refs.length >= blockBuffers.limit) {
    const live = refs.filter((r) => r.deref() !== undefined)
    refs.length = 0
    refs.push(...live)
    blockBuffers.limit = 2 * live.length + 64
  }
  refs.push(new WeakRef(ab))
}

const { BUFFER_SIZE, MIN_BUFFER_SIZE, RAW_METADATA_OFFSET, META_DATA_OFFSET, META_GENERATION } = require('./generated/constants')
const META_U32 = RAW_METADATA_OFFSET >> 2

// `Buffer#utf8Slice` / `latin1Slice` are undocumented but present in every Node, Bun and
// Deno we test; fall back to TextDecoder where they are missing.
const BufferCtor = typeof Buffer === 'function' ? Buffer : undefined
const hasUtf8Slice = !!(BufferCtor && typeof BufferCtor.prototype.utf8Slice === 'function')
const decoder = new TextDecoder('utf-8')
const fromCharCode = String.fromCharCode

/** The longest string `asciiString` makes (and `decodeUtf8` makes in JS). */
const ASCII_MAX = 16

/**
 * The string of the `len` (0..ASCII_MAX) bytes at `p`, each taken as one UTF-16 unit (ASCII,
 * or latin1): one fromCharCode call makes it flat at once, where appending a character at a
 * time allocates a string per step (Node 20: 16 bytes in 38 ns, against 135 ns appended and
 * 59 ns through latin1Slice).
 */
function asciiString(u8, p, len) {
  switch (len) {
    case 0:
      return ''
    case 1:
      return fromCharCode(u8[p])
    case 2:
      return fromCharCode(u8[p], u8[p + 1])
    case 3:
      return fromCharCode(u8[p], u8[p + 1], u8[p + 2])
    case 4:
      return fromCharCode(u8[p], u8[p + 1], u8[p + 2], u8[p + 3])
    case 5:
      return fromCharCode(u8[p], u8[p + 1], u8[p + 2], u8[p + 3], u8[p + 4])
    case 6:
      return fromCharCode(u8[p], u8[p + 1], u8[p + 2], u8[p + 3], u8[p + 4], u8[p + 5])
    case 7:
      return fromCharCode(u8[p], u8[p + 1], u8[p + 2], u8[p + 3], u8[p + 4], u8[p + 5], u8[p + 6])
    case 8:
      return fromCharCode(u8[p], u8[p + 1], u8[p + 2], u8[p + 3], u8[p + 4], u8[p + 5], u8[p + 6], u8[p + 7])
    case 9:
      return fromCharCode(u8[p], u8[p + 1], u8[p + 2], u8[p + 3], u8[p + 4], u8[p + 5], u8[p + 6], u8[p + 7], u8[p + 8])
    case 10:
      return fromCharCode(u8[p], u8[p + 1], u8[p + 2], u8[p + 3], u8[p + 4], u8[p + 5], u8[p + 6], u8[p + 7], u8[p + 8], u8[p + 9])
    case 11:
      return fromCharCode(u8[p], u8[p + 1], u8[p + 2], u8[p + 3], u8[p + 4], u8[p + 5], u8[p + 6], u8[p + 7], u8[p + 8], u8[p + 9], u8[p + 10])
    case 12:
      return fromCharCode(u8[p], u8[p + 1], u8[p + 2], u8[p + 3], u8[p + 4], u8[p + 5], u8[p + 6], u8[p + 7], u8[p + 8], u8[p + 9], u8[p + 10], u8[p + 11])
    case 13:
      return fromCharCode(u8[p], u8[p + 1], u8[p + 2], u8[p + 3], u8[p + 4], u8[p + 5], u8[p + 6], u8[p + 7], u8[p + 8], u8[p + 9], u8[p + 10], u8[p + 11], u8[p + 12])
    case 14:
      return fromCharCode(u8[p], u8[p + 1], u8[p + 2], u8[p + 3], u8[p + 4], u8[p + 5], u8[p + 6], u8[p + 7], u8[p + 8], u8[p + 9], u8[p + 10], u8[p + 11], u8[p + 12], u8[p + 13])
    case 15:
      return fromCharCode(u8[p], u8[p + 1], u8[p + 2], u8[p + 3], u8[p + 4], u8[p + 5], u8[p + 6], u8[p + 7], u8[p + 8], u8[p + 9], u8[p + 10], u8[p + 11], u8[p + 12], u8[p + 13], u8[p + 14])
    case 16:
      return fromCharCode(u8[p], u8[p + 1], u8[p + 2], u8[p + 3], u8[p + 4], u8[p + 5], u8[p + 6], u8[p + 7], u8[p + 8], u8[p + 9], u8[p + 10], u8[p + 11], u8[p + 12], u8[p + 13], u8[p + 14], u8[p + 15])
    default:
      throw new RangeError(`asciiString makes at most ${ASCII_MAX} units, not ${len}`)
  }
}

/** Whether the `len` bytes at `p` are all ASCII. */
function isAscii(u8, p, len) {
  let or = 0
  for (let i = p, end = p + len; i < end; i++) or |= u8[i]
  return or < 0x80
}

/**
 * Decode `len` bytes of UTF-8 at `pos` of `u8`. Up to ASCII_MAX ASCII bytes in JS
 * (`asciiString`); past that, or with other bytes, the native decoders.
 */
function decodeUtf8(u8, buf, pos, len) {
  if (len <= ASCII_MAX && isAscii(u8, pos, len)) return asciiString(u8, pos, len)
  return slowDecode(u8, buf, pos, len)
}

function slowDecode(u8, buf, pos, len) {
  if (len > NATIVE_MAX_BYTES) return decodeInPieces(u8, buf, pos, len, PIECE_BYTES)
  if (buf !== null) return buf.utf8Slice(pos, pos + len)
  return decoder.decode(u8.subarray(pos, pos + len))
}

// Node's decoders refuse more bytes than the engine's longest string has units
// (ERR_STRING_TOO_LONG), even where the UTF-8 (3 bytes a character, say) decodes to fewer
// units. Past that, the bytes are decoded in pieces cut at character starts and joined; a
// string longer than the engine allows is an OutOfMemoryError.
const NATIVE_MAX_BYTES = (() => {
  try {
    return require('node:buffer').constants.MAX_STRING_LENGTH
  } catch {
    return 2 ** 28
  }
})()
const PIECE_BYTES = 2 ** 27

/** `slowDecode` of `len` bytes as pieces of at most `piece` bytes (internal; tests pass a small `piece`). */
function decodeInPieces(u8, buf, pos, len, piece) {
  const end = pos + len
  let s = ''
  for (let p = pos; p < end; ) {
    let q = Math.min(end, p + piece)
    // Not inside a character: back off over continuation bytes (at most 3; past that the
    // bytes are not UTF-8 anyway, and decode as replacements either way), or, where that
    // would leave nothing, go on to the character's end.
    let b = q
    for (let k = 0; k < 3 && b < end && b > p && (u8[b] & 0xc0) === 0x80; k++) b--
    if (b > p) q = b
    else for (let k = 0; k < 3 && q < end && (u8[q] & 0xc0) === 0x80; k++) q++
    const part = slowDecode(u8, buf, p, q - p)
    if (s.length + part.length > MAX_STRING_UNITS) {
      throw new OutOfMemoryError(`a string of ${len} bytes of UTF-8 decodes to more than the ${MAX_STRING_UNITS} units a JS string can hold`)
    }
    s += part
    p = q
  }
  return s
}
const MAX_STRING_UNITS = NATIVE_MAX_BYTES

// Realm-safe brand checks. `x instanceof ArrayBuffer` / `instanceof Uint8Array` are false
// for buffers made in another realm: under Jest or vitest's vmThreads pool, the addon's
// buffers and fs.readFileSync's Buffers come from the main realm while this module runs in
// the test's. The built-in getters below throw (or return undefined) for anything else.
const abByteLength = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength').get
const typedArrayTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag).get

/** True for an ArrayBuffer of any realm (not a SharedArrayBuffer). */
function isArrayBuffer(x) {
  if (typeof x !== 'object' || x === null) return false
  try {
    abByteLength.call(x)
    return true
  } catch {
    return false
  }
}

/** True for a Uint8Array (or Node Buffer) of any realm. */
function isUint8Array(x) {
  return ArrayBuffer.isView(x) && typedArrayTag.call(x) === 'Uint8Array'
}

/**
 * Whether `n` is the length of a buffer a pool sends: a power of two of at least 1 MiB (a
 * prefix of the block as long as the data in use needs), or the whole `BUFFER_SIZE`.
 */
const isBlockLength = (n) => n === BUFFER_SIZE || (n >= MIN_BUFFER_SIZE && n < BUFFER_SIZE && (n & (n - 1)) === 0)

function toArrayBuffer(bufferLike, what) {
  let ab = bufferLike
  let problem = null
  if (ArrayBuffer.isView(bufferLike)) {
    ab = bufferLike.buffer
    if (bufferLike.byteOffset !== 0 || !isArrayBuffer(ab) || bufferLike.byteLength !== ab.byteLength) {
      problem = `a view of ${bufferLike.byteLength} bytes at offset ${bufferLike.byteOffset}`
    }
  }
  if (problem === null) {
    if (!isArrayBuffer(ab)) problem = `a ${ab === null ? 'null' : typeof ab}`
    else if (ab.byteLength === 0) problem = 'a detached or empty ArrayBuffer'
    else if (!isBlockLength(ab.byteLength)) problem = `an ArrayBuffer of ${ab.byteLength} bytes`
  }
  if (problem !== null) {
    throw new InvalidArgumentError(
      `${what} expects a block buffer from raw-transfer (an ArrayBuffer of a power of two of at least 1 MiB, or ` +
        `${BUFFER_SIZE} bytes, or a Uint8Array over all of it); got ${problem}`,
    )
  }
  return ab
}

/**
 * structuredClone / postMessage of a RawBuffer would copy the whole 2 GiB block (every
 * typed-array view is over all of it). V8's serializer copies an object's own enumerable
 * string-keyed properties and skips #private fields, so without a guard a clone would be
 * a silent `{}`. The guard is one own enumerable property holding a symbol, which the
 * serializer refuses at once: `DataCloneError: Symbol(raw-transfer: ...) could not be
 * cloned.` (Node 18-26, Deno and Bun alike), before anything is copied.
 */
// Kept under ~100 characters: Node 22's V8 elides the middle of longer descriptions.
const NOT_CLONEABLE = Symbol('raw-transfer: a RawBuffer cannot be cloned or posted; send block.copyToBuffer(ptr, len)')

class RawBuffer {
  #ab
  #u8
  #u32
  #i32 = null
  #f64 = null
  #u16 = null
  #buf = undefined

  /** @param {ArrayBuffer | Uint8Array} buffer a block buffer received from Rust */
  constructor(buffer) {
    const ab = toArrayBuffer(buffer, 'RawBuffer')
    noteBlockBuffer(ab)
    this.#ab = ab
    this.#u8 = new Uint8Array(ab)
    this.#u32 = new Uint32Array(ab)
  }

  /** The block's ArrayBuffer: a prefix of the block, as long as the data sent needs. */
  get arrayBuffer() {
    return this.#ab
  }
  get u8() {
    return this.#u8
  }
  get u32() {
    return this.#u32
  }
  get i32() {
    return this.#i32 ?? (this.#i32 = new Int32Array(this.#ab))
  }
  get f64() {
    return this.#f64 ?? (this.#f64 = new Float64Array(this.#ab))
  }
  get u16() {
    return this.#u16 ?? (this.#u16 = new Uint16Array(this.#ab))
  }
  /** A Node `Buffer` view over the block (no copy), or null outside Node-compatible runtimes. */
  get nodeBuffer() {
    if (this.#buf === undefined) this.#buf = hasUtf8Slice ? BufferCtor.from(this.#ab) : null
    return this.#buf
  }

  /**
   * Low 32 bits of the 8-byte pointer stored at byte `pos` (8-aligned): an offset into this
   * buffer. `pos` must be a multiple of 4 inside the buffer: `pos >> 2` would silently read
   * another place for 0.5, 2 ** 32 or '8'.
   */
  ptr(pos) {
    if (typeof pos !== 'number' || !(pos >= 0 && pos <= this.#u8.length - 8) || pos % 4 !== 0) {
      throw new InvalidArgumentError(`ptr() expects a byte offset in the buffer, a multiple of 4; got ${show(pos)}`)
    }
    return this.#u32[pos >> 2]
  }

  /** The UTF-8 string of `len` bytes at offset `ptr`. */
  str(ptr, len) {
    if (!Number.isInteger(ptr) || !Number.isInteger(len)) {
      throw new InvalidArgumentError(`str() expects integers ptr and len; got ${show(ptr)} and ${show(len)}`)
    }
    if (ptr < 0 || len < 0 || ptr + len > this.#u8.length) {
      throw new InvalidArgumentError(`string range [${ptr}, ${ptr + len}) is outside the buffer`)
    }
    return decodeUtf8(this.#u8, this.nodeBuffer, ptr, len)
  }

  /** `RawTransferMetadata.data_offset`: where the producer's root structure starts. */
  get dataOffset() {
    return this.#u32[META_U32 + META_DATA_OFFSET]
  }

  /** `RawTransferMetadata.generation`: bumped each time the block is reused. */
  get generation() {
    return this.#u32[META_U32 + META_GENERATION]
  }

  /** Throw StaleBufferError if the block has been reused since `generation`. */
  assertGeneration(generation) {
    if (!Number.isInteger(generation) || generation < 0 || generation > 0xffffffff) {
      throw new InvalidArgumentError(`assertGeneration() expects a generation (a u32); got ${show(generation)}`)
    }
    const now = this.#u32[META_U32 + META_GENERATION]
    if (now !== generation) {
      throw new StaleBufferError(
        `this view is of generation ${generation} of its block, which now holds generation ${now}: ` +
          'the block was released and reused; do not keep views past release()',
      )
    }
  }

  /** A one-line summary for console.log / util.inspect: never the buffer's bytes. */
  [inspect](depth, options) {
    const detached = this.#ab.byteLength === 0
    const body = detached
      ? 'detached'
      : `${this.#ab.byteLength} bytes, generation ${this.generation}, dataOffset ${this.dataOffset}`
    const s = `RawBuffer <${body}>`
    return options && typeof options.stylize === 'function' ? options.stylize(s, 'special') : s
  }
}

// No own enumerable property (the buffer is #private): a clone of a RawBuffer is `{}`,
// never its 2 GiB buffer.
Object.defineProperty(RawBuffer.prototype, 'notCloneable', { value: NOT_CLONEABLE })

module.exports = { RawBuffer, toArrayBuffer, decodeUtf8, decodeInPieces, asciiString, isArrayBuffer, isUint8Array, blockBuffers, MAX_STRING_UNITS }
