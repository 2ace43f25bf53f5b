'use strict'
// The lazy view of a JSON document parsed by Rust into a block, and its full
// materialization. Layout constants come from Rust (`constants()`, prefix JSON_).

const { StaleBufferError, InvalidArgumentError } = require('./errors')

module.exports = function makeJson(C, decodeUtf8) {
  const J = (name) => {
    const v = C[`JSON_${name}`]
    if (v === undefined) throw new Error(`raw-transfer: layout constant JSON_${name} missing from the addon`)
    return v
  }
  const NODE_SIZE = J('NODE_SIZE')
  const ENTRY_SIZE = J('ENTRY_SIZE')
  const ENTRY_VALUE = J('ENTRY_VALUE')
  // u32 indices of Node fields relative to the node's index (node offset >> 2).
  const KIND = J('NODE_KIND') >> 2
  const LEN = J('NODE_LEN') >> 2
  const START = J('NODE_START') >> 2
  const END = J('NODE_END') >> 2
  const PAYLOAD = J('NODE_PAYLOAD') >> 2
  const DOC_SOURCE_PTR = J('DOC_SOURCE_PTR') >> 2
  const DOC_SOURCE_LEN = J('DOC_SOURCE_LEN') >> 2
  const DOC_NODE_COUNT = J('DOC_NODE_COUNT') >> 2
  const DOC_MAX_DEPTH = J('DOC_MAX_DEPTH') >> 2
  const DOC_ROOT = J('DOC_ROOT')
  const DOC_FLAGS = J('DOC_FLAGS') >> 2
  const DOC_FLAG_ASCII = J('DOC_FLAG_ASCII')
  const TYPE_MASK = J('TYPE_MASK')
  const T_NULL = J('TYPE_NULL')
  const T_FALSE = J('TYPE_FALSE')
  const T_TRUE = J('TYPE_TRUE')
  const T_NUMBER = J('TYPE_NUMBER')
  const T_STRING = J('TYPE_STRING')
  const T_ARRAY = J('TYPE_ARRAY')
  const T_OBJECT = J('TYPE_OBJECT')
  const FLAG_ASCII = J('FLAG_ASCII')
  const FLAG_UTF16 = J('FLAG_UTF16')
  const FLAG_IN_SOURCE = J('FLAG_IN_SOURCE')
  const FORMAT_VERSION = J('FORMAT_VERSION')
  const META_GEN = (C.RAW_METADATA_OFFSET >> 2) + C.META_GENERATION
  const META_PRODUCER0 = (C.RAW_METADATA_OFFSET >> 2) + C.META_PRODUCER0
  const TYPE_NAMES = []
  TYPE_NAMES[T_NULL] = 'null'
  TYPE_NAMES[T_FALSE] = 'boolean'
  TYPE_NAMES[T_TRUE] = 'boolean'
  TYPE_NAMES[T_NUMBER] = 'number'
  TYPE_NAMES[T_STRING] = 'string'
  TYPE_NAMES[T_ARRAY] = 'array'
  TYPE_NAMES[T_OBJECT] = 'object'
  // Recursion is fastest; past this depth toJS switches to an explicit stack.
  const RECURSION_LIMIT = 1000
  const fromCharCode = String.fromCharCode

  /**
   * Per-document reader state: typed arrays of the block, and the source decoded once as
   * latin1 (bytes == chars), so escape-free ASCII strings are `substring`s of it.
   */
  class Reader {
    constructor(raw, docPos) {
      this.raw = raw
      this.u8 = raw.u8
      this.u16 = raw.u16
      this.u32 = raw.u32
      this.f64 = raw.f64
      this.buf = raw.nodeBuffer
      this.sourcePtr = this.u32[(docPos >> 2) + DOC_SOURCE_PTR]
      this.sourceLen = this.u32[(docPos >> 2) + DOC_SOURCE_LEN]
      // latin1Slice of an ASCII source is a memcpy (~10 GB/s); with other bytes it is
      // several times slower than decoding the strings one by one, so only then is it used.
      this.asciiSource = (this.u32[(docPos >> 2) + DOC_FLAGS] & DOC_FLAG_ASCII) !== 0 && this.buf !== null
      this._latin1 = null
      this.keys = new Map()
    }

    get latin1() {
      if (this._latin1 === null) {
        const { sourcePtr: p, sourceLen: n } = this
        this._latin1 = this.buf !== null ? this.buf.latin1Slice(p, p + n) : latin1Fallback(this.u8, p, n)
      }
      return this._latin1
    }

    /**
     * The string held by the string node at byte offset `pos`. Strategy by benchmark
     * (bench/strings.js, Node 20): up to 8 ASCII bytes, a fromCharCode loop; longer ASCII
     * text in the source, a substring of the source decoded once as latin1 (only while
     * materializing, `bulk`, where that one decode pays off); other ASCII, latin1Slice;
     * anything else, utf8Slice (TextDecoder without Buffer).
     */
    str(pos, bulk) {
      const i = pos >> 2
      const u32 = this.u32
      const kind = u32[i + KIND]
      const len = u32[i + LEN]
      const ptr = u32[i + PAYLOAD]
      if ((kind & FLAG_ASCII) !== 0) {
        if (len <= 8) {
          const u8 = this.u8
          let s = ''
          for (let k = ptr, end = ptr + len; k < end; k++) s += fromCharCode(u8[k])
          return s
        }
        if (bulk && this.asciiSource && (kind & FLAG_IN_SOURCE) !== 0 && len <= 64) {
          const at = ptr - this.sourcePtr
          return this.latin1.substring(at, at + len)
        }
        if (this.buf !== null) return this.buf.latin1Slice(ptr, ptr + len)
      }
      if ((kind & FLAG_UTF16) !== 0) return utf16(this.u16, ptr >> 1, len)
      return decodeUtf8(this.u8, this.buf, ptr, len)
    }

    /**
     * An object key. Rust points every occurrence of a key at its first occurrence, so keys
     * are decoded once per document and V8 gets the same string for every store.
     */
    key(pos) {
      const ptr = this.u32[(pos >> 2) + PAYLOAD]
      let key = this.keys.get(ptr)
      if (key === undefined) {
        key = this.str(pos, true)
        if (this.keys.size < 65536) this.keys.set(ptr, key)
      }
      return key
    }

    /** The JS value of the node at `pos`, fully materialized. */
    value(pos) {
      const t = this.u32[(pos >> 2) + KIND] & TYPE_MASK
      if (t === T_STRING) return this.str(pos, false)
      if (t === T_NUMBER) return this.f64[(pos + 16) >> 3]
      if (t === T_OBJECT || t === T_ARRAY) return this.build(pos, 0)
      if (t === T_TRUE) return true
      if (t === T_FALSE) return false
      return null
    }

    build(pos, depth) {
      if (depth > RECURSION_LIMIT) return this.buildIterative(pos)
      const u32 = this.u32
      const i = pos >> 2
      const t = u32[i + KIND] & TYPE_MASK
      const len = u32[i + LEN]
      let p = u32[i + PAYLOAD]
      if (t === T_ARRAY) {
        const arr = []
        for (let k = 0; k < len; k++, p += NODE_SIZE) arr.push(this.child(p, depth))
        return arr
      }
      const obj = {}
      for (let k = 0; k < len; k++, p += ENTRY_SIZE) {
        const key = this.key(p)
        const v = this.child(p + ENTRY_VALUE, depth)
        if (key === '__proto__') defineOwn(obj, key, v)
        else obj[key] = v
      }
      return obj
    }

    child(pos, depth) {
      const u32 = this.u32
      const t = u32[(pos >> 2) + KIND] & TYPE_MASK
      switch (t) {
        case T_STRING:
          return this.str(pos, true)
        case T_NUMBER:
          return this.f64[(pos + 16) >> 3]
        case T_OBJECT:
        case T_ARRAY:
          return this.build(pos, depth + 1)
        case T_TRUE:
          return true
        case T_FALSE:
          return false
        default:
          return null
      }
    }

    /** toJS with an explicit stack, for documents nested deeper than the JS stack allows. */
    buildIterative(rootPos) {
      const u32 = this.u32
      const make = (pos) => ((u32[(pos >> 2) + KIND] & TYPE_MASK) === T_ARRAY ? [] : {})
      const root = make(rootPos)
      // Frames: [container value, node pos, next child index]
      const stack = [[root, rootPos, 0]]
      while (stack.length > 0) {
        const frame = stack[stack.length - 1]
        const [target, pos, k] = frame
        const i = pos >> 2
        const isArray = (u32[i + KIND] & TYPE_MASK) === T_ARRAY
        const len = u32[i + LEN]
        if (k >= len) {
          stack.pop()
          continue
        }
        frame[2] = k + 1
        const base = u32[i + PAYLOAD]
        const childPos = isArray ? base + k * NODE_SIZE : base + k * ENTRY_SIZE + ENTRY_VALUE
        const ct = u32[(childPos >> 2) + KIND] & TYPE_MASK
        const container = ct === T_ARRAY || ct === T_OBJECT
        const v = container ? make(childPos) : this.child(childPos, 0)
        if (isArray) target.push(v)
        else {
          const key = this.key(base + k * ENTRY_SIZE)
          if (key === '__proto__') defineOwn(target, key, v)
          else target[key] = v
        }
        if (container) stack.push([v, childPos, 0])
      }
      return root
    }
  }

  function defineOwn(obj, key, value) {
    Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true })
  }

  function utf16(u16, at, len) {
    let s = ''
    for (let k = 0; k < len; k += 4096)
      s += fromCharCode.apply(null, u16.subarray(at + k, at + Math.min(len, k + 4096)))
    return s
  }

  function latin1Fallback(u8, p, n) {
    let s = ''
    for (let k = 0; k < n; k += 4096) s += fromCharCode.apply(null, u8.subarray(p + k, p + Math.min(n, k + 4096)))
    return s
  }

  /** A lazy view of one value; reading it never copies more than asked for. */
  class JsonNode {
    constructor(doc, pos) {
      this._doc = doc
      this._pos = pos
    }

    _r() {
      return this._doc._reader()
    }

    get type() {
      return TYPE_NAMES[this._r().u32[(this._pos >> 2) + KIND] & TYPE_MASK]
    }

    /** Elements of an array or entries of an object (duplicates included); undefined otherwise. */
    get length() {
      const u32 = this._r().u32
      const t = u32[(this._pos >> 2) + KIND] & TYPE_MASK
      return t === T_ARRAY || t === T_OBJECT ? u32[(this._pos >> 2) + LEN] : undefined
    }

    /** The value as JSON.parse would give it (containers: fully materialized). */
    get value() {
      return this._r().value(this._pos)
    }

    /** `{ start, end }`: byte offsets of this value's JSON text in the source. */
    get span() {
      const u32 = this._r().u32
      return { start: u32[(this._pos >> 2) + START], end: u32[(this._pos >> 2) + END] }
    }

    /** The value of `key` in an object (the last one, as JSON.parse keeps); undefined if absent. */
    get(key) {
      const r = this._r()
      const i = this._pos >> 2
      if ((r.u32[i + KIND] & TYPE_MASK) !== T_OBJECT) return undefined
      const base = r.u32[i + PAYLOAD]
      for (let k = r.u32[i + LEN] - 1; k >= 0; k--) {
        const e = base + k * ENTRY_SIZE
        if (r.key(e) === key) return new JsonNode(this._doc, e + ENTRY_VALUE)
      }
      return undefined
    }

    /** Element `index` of an array; undefined when out of range. */
    at(index) {
      const r = this._r()
      const i = this._pos >> 2
      if ((r.u32[i + KIND] & TYPE_MASK) !== T_ARRAY) return undefined
      const len = r.u32[i + LEN]
      if (index < 0) index += len
      if (!(index >= 0 && index < len)) return undefined
      return new JsonNode(this._doc, r.u32[i + PAYLOAD] + Math.floor(index) * NODE_SIZE)
    }

    /** The keys of an object, in source order, duplicates included. */
    keys() {
      return this.entries().map((e) => e[0])
    }

    /** `[key, node, keySpan]` for every entry of an object (or `[index, node]` for an array). */
    entries() {
      const r = this._r()
      const i = this._pos >> 2
      const t = r.u32[i + KIND] & TYPE_MASK
      const len = r.u32[i + LEN]
      const base = r.u32[i + PAYLOAD]
      const out = []
      if (t === T_OBJECT) {
        for (let k = 0; k < len; k++) {
          const e = base + k * ENTRY_SIZE
          out.push([
            r.key(e),
            new JsonNode(this._doc, e + ENTRY_VALUE),
            { start: r.u32[(e >> 2) + START], end: r.u32[(e >> 2) + END] },
          ])
        }
      } else if (t === T_ARRAY) {
        for (let k = 0; k < len; k++) out.push([k, new JsonNode(this._doc, base + k * NODE_SIZE)])
      }
      return out
    }

    /** The node's children as lazy nodes (array elements or object values). */
    children() {
      return this.entries().map((e) => e[1])
    }

    /**
     * Call `fn(child, keyOrIndex, i)` for every element of an array or entry of an object,
     * allocating nothing but the child views. Return `false` from `fn` to stop early.
     */
    forEach(fn) {
      const r = this._r()
      const i = this._pos >> 2
      const t = r.u32[i + KIND] & TYPE_MASK
      const len = r.u32[i + LEN]
      const base = r.u32[i + PAYLOAD]
      if (t === T_OBJECT) {
        for (let k = 0; k < len; k++) {
          const e = base + k * ENTRY_SIZE
          if (fn(new JsonNode(this._doc, e + ENTRY_VALUE), r.key(e), k) === false) return
        }
      } else if (t === T_ARRAY) {
        for (let k = 0; k < len; k++) if (fn(new JsonNode(this._doc, base + k * NODE_SIZE), k, k) === false) return
      }
    }

    /** `{ start, end }` of the key of entry `i` of an object (the quoted key's text). */
    keySpanAt(i) {
      const r = this._r()
      const n = this._pos >> 2
      if ((r.u32[n + KIND] & TYPE_MASK) !== T_OBJECT || !(i >= 0 && i < r.u32[n + LEN])) return undefined
      const e = (r.u32[n + PAYLOAD] + i * ENTRY_SIZE) >> 2
      return { start: r.u32[e + START], end: r.u32[e + END] }
    }

    /** True for arrays and objects. */
    get isContainer() {
      const t = this._r().u32[(this._pos >> 2) + KIND] & TYPE_MASK
      return t === T_ARRAY || t === T_OBJECT
    }
  }

  /** A parsed document holding one block until released. */
  class JsonDocument {
    constructor(block) {
      this._block = block
      this.raw = block.raw
      this.bufferId = block.id
      this.generation = block.generation
      this._released = false
      const u32 = this.raw.u32
      if (u32[META_PRODUCER0] !== FORMAT_VERSION) {
        throw new InvalidArgumentError(`block ${block.id} does not hold a JSON document of format ${FORMAT_VERSION}`)
      }
      this._docPos = this.raw.dataOffset
      this._r = null
      this._lineStarts = null
      this._colCache = null
    }

    _reader() {
      if (this._released || this.raw.u32[META_GEN] !== this.generation) {
        throw new StaleBufferError(
          `JSON document (block ${this.bufferId}, generation ${this.generation}) was released; ` +
            'read what you need before release() or copy it with toJS()',
        )
      }
      return this._r ?? (this._r = new Reader(this.raw, this._docPos))
    }

    get root() {
      this._reader()
      return new JsonNode(this, this._docPos + DOC_ROOT)
    }
    get nodeCount() {
      this._reader()
      return this.raw.u32[(this._docPos >> 2) + DOC_NODE_COUNT]
    }
    get maxDepth() {
      this._reader()
      return this.raw.u32[(this._docPos >> 2) + DOC_MAX_DEPTH]
    }
    get sourceLength() {
      return this._reader().sourceLen
    }

    /** Everything, as JSON.parse(text) would return it. */
    toJS() {
      const r = this._reader()
      return r.value(this._docPos + DOC_ROOT)
    }

    /** The source text of `span` (`{ start, end }` byte offsets), or all of it. */
    text(span) {
      const r = this._reader()
      const start = span ? span.start : 0
      const end = span ? span.end : r.sourceLen
      if (!(start >= 0 && start <= end && end <= r.sourceLen)) {
        throw new InvalidArgumentError(`span [${start}, ${end}) is outside the source (${r.sourceLen} bytes)`)
      }
      return decodeUtf8(r.u8, r.buf, r.sourcePtr + start, end - start)
    }

    /** 1-based line and column (UTF-16 units) of byte `offset` in the source. */
    position(offset) {
      const r = this._reader()
      if (!(offset >= 0 && offset <= r.sourceLen)) {
        throw new InvalidArgumentError(`offset ${offset} is outside the source (${r.sourceLen} bytes)`)
      }
      const u8 = r.u8
      const src = r.sourcePtr
      if (this._lineStarts === null) {
        // TypedArray#indexOf is native: much faster than a byte loop on large sources.
        const starts = [0]
        const end = src + r.sourceLen
        for (let k = u8.indexOf(10, src); k !== -1 && k < end; k = u8.indexOf(10, k + 1)) starts.push(k - src + 1)
        this._lineStarts = starts
        this._colCache = { line: 0, byte: 0, column: 1 }
      }
      const starts = this._lineStarts
      let lo = 0
      let hi = starts.length - 1
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1
        if (starts[mid] <= offset) lo = mid
        else hi = mid - 1
      }
      // Count UTF-16 units from the line start, or from the last position asked on the same
      // line: positions are usually asked in source order, so long (minified) lines are
      // scanned once, not once per call.
      const cache = this._colCache
      let byte = starts[lo]
      let column = 1
      if (cache.line === lo && cache.byte <= offset) {
        byte = cache.byte
        column = cache.column
      }
      for (let k = src + byte, end = src + offset; k < end; k++) {
        const b = u8[k]
        if ((b & 0xc0) !== 0x80) column += b >= 0xf0 ? 2 : 1 // lead bytes; 4-byte sequences are 2 units
      }
      cache.line = lo
      cache.byte = offset
      cache.column = column
      return { line: lo + 1, column }
    }

    get released() {
      return this._released
    }

    /** Return the block to the pool; later reads throw StaleBufferError. */
    release() {
      if (this._released) return
      this._released = true
      this._r = null
      this._block.release()
    }

    [Symbol.dispose ?? Symbol.for('nodejs.dispose')]() {
      this.release()
    }
  }

  return { JsonDocument, JsonNode }
}
