'use strict'
// The lazy view of a JSON document parsed by Rust into a block, and its full
// materialization. Layout constants come from Rust (`constants()`, prefix JSON_).

const { StaleBufferError, InvalidArgumentError } = require('./errors')
const { dispose, inspect, installDispose } = require('./symbols')

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

  // Construction: only this module makes nodes and documents (runtime.js through
  // createDocument). User code calling `new JsonDocument()` gets a clear error instead of a
  // half-built object that crashes on first use.
  const TOKEN = Symbol('raw-transfer json construction token')

  // structuredClone / postMessage: V8 copies own enumerable string-keyed properties and skips
  // #private fields, so a node or document would silently clone to `{}`. One own enumerable
  // property holding a symbol makes the serializer throw at once instead, before copying
  // anything: `DataCloneError: Symbol(raw-transfer: ...) could not be cloned.` It is the
  // only own property (`Object.keys(node)` is `['notCloneable']`). Send `node.value` or
  // `doc.toJS()` (or JSON.stringify(node), which uses toJSON) instead.
  const NODE_NOT_CLONEABLE = Symbol(
    'raw-transfer: a JsonNode (a lazy view of a block) cannot be cloned or posted; send node.value instead',
  )
  const DOC_NOT_CLONEABLE = Symbol(
    'raw-transfer: a JsonDocument (a view of a 2 GiB block) cannot be cloned or posted; send doc.toJS() instead',
  )

  /** Set by JsonDocument's static block: the document's Reader (throws StaleBufferError once released). */
  let readerOf
  const stylize = (options, s, style) => (options && typeof options.stylize === 'function' ? options.stylize(s, style) : s)
  const preview = (str, max) => JSON.stringify(str.length > max ? `${str.slice(0, max)}…` : str)

  /**
   * A lazy view of one value; reading it never copies more than asked for.
   *
   * Child views are not cached: `node.get('a') !== node.get('a')`. A child is two fields,
   * cheaper to make than to look up, and a cache would keep every node a walk ever touched
   * alive for the document's life (millions, for a forEach over a large document).
   */
  class JsonNode {
    #doc
    #pos
    /** Own and enumerable so that structuredClone/postMessage throw (see NODE_NOT_CLONEABLE). */
    notCloneable = NODE_NOT_CLONEABLE

    constructor(token, doc, pos) {
      if (token !== TOKEN) {
        throw new InvalidArgumentError('JsonNode objects come from a JsonDocument (doc.root, node.get(), node.at(), ...)')
      }
      this.#doc = doc
      this.#pos = pos
    }

    get type() {
      return TYPE_NAMES[readerOf(this.#doc).u32[(this.#pos >> 2) + KIND] & TYPE_MASK]
    }

    /** Elements of an array or entries of an object (duplicates included); undefined otherwise. */
    get length() {
      const u32 = readerOf(this.#doc).u32
      const t = u32[(this.#pos >> 2) + KIND] & TYPE_MASK
      return t === T_ARRAY || t === T_OBJECT ? u32[(this.#pos >> 2) + LEN] : undefined
    }

    /** The value as JSON.parse would give it (containers: fully materialized). */
    get value() {
      return readerOf(this.#doc).value(this.#pos)
    }

    /** `JSON.stringify(node)` gives the JSON of this value, as JSON.stringify(JSON.parse(text)) would. */
    toJSON() {
      return readerOf(this.#doc).value(this.#pos)
    }

    /** `{ start, end }`: byte offsets of this value's JSON text in the source. */
    get span() {
      const u32 = readerOf(this.#doc).u32
      return { start: u32[(this.#pos >> 2) + START], end: u32[(this.#pos >> 2) + END] }
    }

    /** The value of `key` in an object (the last one, as JSON.parse keeps); undefined if absent. */
    get(key) {
      const r = readerOf(this.#doc)
      const i = this.#pos >> 2
      if ((r.u32[i + KIND] & TYPE_MASK) !== T_OBJECT) return undefined
      const base = r.u32[i + PAYLOAD]
      for (let k = r.u32[i + LEN] - 1; k >= 0; k--) {
        const e = base + k * ENTRY_SIZE
        if (r.key(e) === key) return new JsonNode(TOKEN, this.#doc, e + ENTRY_VALUE)
      }
      return undefined
    }

    /** Element `index` of an array; undefined when out of range. */
    at(index) {
      const r = readerOf(this.#doc)
      const i = this.#pos >> 2
      if ((r.u32[i + KIND] & TYPE_MASK) !== T_ARRAY) return undefined
      const len = r.u32[i + LEN]
      if (index < 0) index += len
      if (!(index >= 0 && index < len)) return undefined
      return new JsonNode(TOKEN, this.#doc, r.u32[i + PAYLOAD] + Math.floor(index) * NODE_SIZE)
    }

    /** The keys of an object (strings, in source order, duplicates included); an array's indices (numbers); [] otherwise. */
    keys() {
      return this.entries().map((e) => e[0])
    }

    /** `[key, node, keySpan]` for every entry of an object (or `[index, node]` for an array). */
    entries() {
      const r = readerOf(this.#doc)
      const i = this.#pos >> 2
      const t = r.u32[i + KIND] & TYPE_MASK
      const len = r.u32[i + LEN]
      const base = r.u32[i + PAYLOAD]
      const doc = this.#doc
      const out = []
      if (t === T_OBJECT) {
        for (let k = 0; k < len; k++) {
          const e = base + k * ENTRY_SIZE
          out.push([
            r.key(e),
            new JsonNode(TOKEN, doc, e + ENTRY_VALUE),
            { start: r.u32[(e >> 2) + START], end: r.u32[(e >> 2) + END] },
          ])
        }
      } else if (t === T_ARRAY) {
        for (let k = 0; k < len; k++) out.push([k, new JsonNode(TOKEN, doc, base + k * NODE_SIZE)])
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
      const r = readerOf(this.#doc)
      const i = this.#pos >> 2
      const t = r.u32[i + KIND] & TYPE_MASK
      const len = r.u32[i + LEN]
      const base = r.u32[i + PAYLOAD]
      const doc = this.#doc
      if (t === T_OBJECT) {
        for (let k = 0; k < len; k++) {
          const e = base + k * ENTRY_SIZE
          if (fn(new JsonNode(TOKEN, doc, e + ENTRY_VALUE), r.key(e), k) === false) return
        }
      } else if (t === T_ARRAY) {
        for (let k = 0; k < len; k++) if (fn(new JsonNode(TOKEN, doc, base + k * NODE_SIZE), k, k) === false) return
      }
    }

    /**
     * `for (const child of arrayNode)`: the elements, as `at(i)` gives them (JsonNodes);
     * `for (const [key, child] of objectNode)`: the entries, like a Map's (duplicates
     * included, in source order). A scalar is not iterable (TypeError). Each step checks that
     * the document is still held (StaleBufferError after release()).
     */
    *[Symbol.iterator]() {
      const doc = this.#doc
      const pos = this.#pos
      const r0 = readerOf(doc)
      const i = pos >> 2
      const t = r0.u32[i + KIND] & TYPE_MASK
      const len = r0.u32[i + LEN]
      const base = r0.u32[i + PAYLOAD]
      if (t === T_ARRAY) {
        for (let k = 0; k < len; k++) {
          readerOf(doc)
          yield new JsonNode(TOKEN, doc, base + k * NODE_SIZE)
        }
      } else if (t === T_OBJECT) {
        for (let k = 0; k < len; k++) {
          const e = base + k * ENTRY_SIZE
          const key = readerOf(doc).key(e)
          yield [key, new JsonNode(TOKEN, doc, e + ENTRY_VALUE)]
        }
      } else {
        throw new TypeError(`a JsonNode of type ${TYPE_NAMES[t]} is not iterable (only arrays and objects are)`)
      }
    }

    /** `{ start, end }` of the key of entry `i` of an object (the quoted key's text). */
    keySpanAt(i) {
      const r = readerOf(this.#doc)
      const n = this.#pos >> 2
      if ((r.u32[n + KIND] & TYPE_MASK) !== T_OBJECT || !(i >= 0 && i < r.u32[n + LEN])) return undefined
      const e = (r.u32[n + PAYLOAD] + i * ENTRY_SIZE) >> 2
      return { start: r.u32[e + START], end: r.u32[e + END] }
    }

    /** True for arrays and objects. */
    get isContainer() {
      const t = readerOf(this.#doc).u32[(this.#pos >> 2) + KIND] & TYPE_MASK
      return t === T_ARRAY || t === T_OBJECT
    }

    /** console.log / util.inspect: type, size or first keys, span. Never the block. */
    [inspect](depth, options) {
      let r
      try {
        r = readerOf(this.#doc)
      } catch {
        return stylize(options, 'JsonNode <released>', 'special')
      }
      const i = this.#pos >> 2
      const t = r.u32[i + KIND] & TYPE_MASK
      const len = r.u32[i + LEN]
      const span = `span ${r.u32[i + START]}..${r.u32[i + END]}`
      let body
      if (t === T_ARRAY) body = `array, length ${len}`
      else if (t === T_OBJECT) {
        const keys = []
        const base = r.u32[i + PAYLOAD]
        for (let k = 0; k < Math.min(len, 5); k++) keys.push(preview(r.key(base + k * ENTRY_SIZE), 24))
        body = `object, ${len} ${len === 1 ? 'entry' : 'entries'}${len ? `: ${keys.join(', ')}${len > 5 ? ', …' : ''}` : ''}`
      } else if (t === T_STRING) body = `string ${preview(r.str(this.#pos, false).slice(0, 41), 40)}`
      else body = `${TYPE_NAMES[t]} ${String(Object.is(r.value(this.#pos), -0) ? '-0' : r.value(this.#pos))}`
      return `${stylize(options, 'JsonNode', 'special')} <${body}, ${span}>`
    }
  }

  /** A parsed document holding one block until released. Made by createDocument (runtime.js). */
  class JsonDocument {
    #block
    #raw
    #bufferId
    #generation
    #released = false
    #docPos
    #r = null
    #root = null
    #lineStarts = null
    #colCache = null
    /** Own and enumerable so that structuredClone/postMessage throw (see DOC_NOT_CLONEABLE). */
    notCloneable = DOC_NOT_CLONEABLE

    static {
      readerOf = (doc) => doc.#reader()
    }

    constructor(token, block) {
      if (token !== TOKEN) {
        throw new InvalidArgumentError('JsonDocument objects come from pool.parseJson() or parseJsonFiles()')
      }
      this.#block = block
      this.#raw = block.raw
      this.#bufferId = block.id
      this.#generation = block.generation
      const u32 = this.#raw.u32
      if (u32[META_PRODUCER0] !== FORMAT_VERSION) {
        throw new InvalidArgumentError(`block ${block.id} does not hold a JSON document of format ${FORMAT_VERSION}`)
      }
      this.#docPos = this.#raw.dataOffset
    }

    #reader() {
      if (this.#released || this.#raw.u32[META_GEN] !== this.#generation) {
        throw new StaleBufferError(
          `JSON document (block ${this.#bufferId}, generation ${this.#generation}) was released; ` +
            'read what you need before release() or copy it with toJS()',
        )
      }
      return this.#r ?? (this.#r = new Reader(this.#raw, this.#docPos))
    }

    /** The runtime Block this document holds (internal: the stress tests reach it). Not enumerable. */
    get _block() {
      return this.#block
    }
    get raw() {
      return this.#raw
    }
    get bufferId() {
      return this.#bufferId
    }
    get generation() {
      return this.#generation
    }

    /** The root value's node (the same object each time). */
    get root() {
      this.#reader()
      return this.#root ?? (this.#root = new JsonNode(TOKEN, this, this.#docPos + DOC_ROOT))
    }
    get nodeCount() {
      this.#reader()
      return this.#raw.u32[(this.#docPos >> 2) + DOC_NODE_COUNT]
    }
    get maxDepth() {
      this.#reader()
      return this.#raw.u32[(this.#docPos >> 2) + DOC_MAX_DEPTH]
    }
    get sourceLength() {
      return this.#reader().sourceLen
    }

    /** Everything, as JSON.parse(text) would return it. */
    toJS() {
      const r = this.#reader()
      return r.value(this.#docPos + DOC_ROOT)
    }

    /** `JSON.stringify(doc)` gives the document's JSON, as JSON.stringify(JSON.parse(text)) would. */
    toJSON() {
      return this.toJS()
    }

    /** The source text of `span` (`{ start, end }` byte offsets), or all of it. */
    text(span) {
      const r = this.#reader()
      const start = span ? span.start : 0
      const end = span ? span.end : r.sourceLen
      if (!(start >= 0 && start <= end && end <= r.sourceLen)) {
        throw new InvalidArgumentError(`span [${start}, ${end}) is outside the source (${r.sourceLen} bytes)`)
      }
      return decodeUtf8(r.u8, r.buf, r.sourcePtr + start, end - start)
    }

    /** 1-based line and column (UTF-16 units) of byte `offset` in the source. */
    position(offset) {
      const r = this.#reader()
      if (!(offset >= 0 && offset <= r.sourceLen)) {
        throw new InvalidArgumentError(`offset ${offset} is outside the source (${r.sourceLen} bytes)`)
      }
      const u8 = r.u8
      const src = r.sourcePtr
      if (this.#lineStarts === null) {
        // TypedArray#indexOf is native: much faster than a byte loop on large sources.
        const starts = [0]
        const end = src + r.sourceLen
        for (let k = u8.indexOf(10, src); k !== -1 && k < end; k = u8.indexOf(10, k + 1)) starts.push(k - src + 1)
        this.#lineStarts = starts
        this.#colCache = { line: 0, byte: 0, column: 1 }
      }
      const starts = this.#lineStarts
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
      const cache = this.#colCache
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
      return this.#released
    }

    /** Return the block to the pool; later reads throw StaleBufferError. */
    release() {
      if (this.#released) return
      this.#released = true
      this.#r = null
      this.#root = null
      this.#block.release()
    }

    [dispose]() {
      this.release()
    }

    /** console.log / util.inspect: block, size, root type. Never the buffer. */
    [inspect](depth, options) {
      const head = stylize(options, 'JsonDocument', 'special')
      if (this.#released || this.#raw.u32[META_GEN] !== this.#generation) return `${head} <released, block ${this.#bufferId}>`
      const r = this.#reader()
      const t = TYPE_NAMES[r.u32[((this.#docPos + DOC_ROOT) >> 2) + KIND] & TYPE_MASK]
      return `${head} <block ${this.#bufferId}, generation ${this.#generation}, ${r.sourceLen} bytes, ${this.nodeCount} nodes, root ${t}>`
    }
  }
  installDispose(JsonDocument.prototype)

  /** The document held by runtime Block `block` (which it releases on release()). */
  function createDocument(block) {
    return new JsonDocument(TOKEN, block)
  }

  return { JsonDocument, JsonNode, createDocument }
}
