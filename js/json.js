'use strict'
// The lazy view of a JSON document parsed by Rust into a block, and its full
// materialization. Layout constants come from Rust (`constants()`, prefix JSON_).

const { StaleBufferError, InvalidArgumentError, CorruptDocumentError } = require('./errors')
const { integer, show } = require('./args')
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
  const DOC_SIZE = J('DOC_SIZE')
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
  // Nodes and strings live in the block's data region; nothing valid points past it.
  const ACTIVE_SIZE = C.ACTIVE_SIZE
  // Reader.str modes (see there), and the latin1 window: sources up to WINDOW bytes are
  // decoded whole, longer ones WINDOW bytes at a time.
  const ONE = 0
  const KEY = 1
  const BULK_KEY = 2
  const BULK = 3
  const NEVER = 4
  const WINDOW = 1 << 20
  // Slots of the key cache (Reader.key): a power of two.
  const KEY_SLOTS = 512

  /**
   * Per-document reader state: typed arrays of the block, the document's facts read once
   * when it was created (JS can overwrite any byte of the block, so nothing that bounds a
   * walk is read again), and windows of the source decoded as latin1 (bytes == chars), so
   * escape-free ASCII strings are `substring`s of them.
   *
   * Hostile bytes: every walk is bounded by the document's own size. A container may not
   * claim more children than the document has nodes, nor point outside the block; one
   * public call (a toJS, an entries(), ...) may not materialize more nodes than the
   * document has (`nodes`) nor decode more string bytes than its source holds (`chars`),
   * which is what an honest document needs at most. Past that the document is corrupt
   * (CorruptDocumentError): a cycle written by JS ends there instead of in a V8 fatal
   * out-of-memory, and a length written by JS cannot make us decode gigabytes.
   */
  class Reader {
    constructor(raw, sourcePtr, sourceLen, nodeCount, ascii) {
      this.raw = raw
      this.u8 = raw.u8
      this.u16 = raw.u16
      this.u32 = raw.u32
      this.f64 = raw.f64
      this.buf = raw.nodeBuffer
      this.sourcePtr = sourcePtr
      this.sourceLen = sourceLen
      this.nodeCount = nodeCount
      // Budgets of the current public call (reset by the document at each one).
      this.nodes = nodeCount
      this.chars = sourceLen
      // latin1Slice of an ASCII source is a memcpy (~10 GB/s); with other bytes it is
      // several times slower than decoding the strings one by one, so only then is it used.
      // Small sources are decoded whole on first use, also for lazy key reads; larger ones
      // a window at a time, and only while materializing (reads in source order): a lazy
      // get() on a 300 MB document decodes its keys, not 300 MB (nor fails past V8's
      // 512 MiB string limit).
      this.minWindowMode = !ascii || this.buf === null ? NEVER : sourceLen <= WINDOW ? KEY : BULK_KEY
      this.win = ''
      this.winStart = 0
      this.winLen = 0
      // Where the value being materialized ends in the block: a window stops there, so the
      // `.value` of a small subtree of a big source decodes about that subtree.
      this.spanEnd = sourcePtr + sourceLen
      this.keyPtrs = null
      this.keyStrs = null
    }

    /** Throw the error for a document whose bytes were overwritten. */
    corrupt(what) {
      throw new CorruptDocumentError(
        `JSON document is corrupt (its block was written to from JS?): ${what}; ` +
          `the document has ${this.nodeCount} nodes and ${this.sourceLen} source bytes`,
      )
    }

    /**
     * Take `len` children of the container at byte `pos` (payload `base`, children of
     * `size` bytes) from this call's node budget, after checking they are inside the block.
     */
    claim(pos, len, base, size) {
      if (len > this.nodes || (len !== 0 && ((base & 7) !== 0 || base + len * size > ACTIVE_SIZE))) {
        this.corrupt(`the container at ${pos} has ${len} children at ${base}`)
      }
      this.nodes -= len
    }

    /** The checked number of children of the container whose u32 index is `i` (lazy reads). */
    count(i, size) {
      const len = this.u32[i + LEN]
      const base = this.u32[i + PAYLOAD]
      if (len > this.nodeCount || (len !== 0 && ((base & 7) !== 0 || base + len * size > ACTIVE_SIZE))) {
        this.corrupt(`the container at ${i << 2} has ${len} children at ${base}`)
      }
      return len
    }

    /**
     * The string held by the string node at byte offset `pos`. Strategy by benchmark
     * (bench/strings.js, Node 20): up to 8 ASCII bytes, a fromCharCode loop; longer ASCII
     * text in the source, a substring of a latin1 window of the source (`mode`: ONE, a
     * value read on its own, never; KEY, a key, when the source is small; BULK_KEY and
     * BULK, a key or a value while materializing, where the decode pays off); other ASCII,
     * latin1Slice; anything else, utf8Slice (TextDecoder without Buffer).
     */
    str(pos, mode) {
      const i = pos >> 2
      const u32 = this.u32
      const kind = u32[i + KIND]
      const len = u32[i + LEN]
      const ptr = u32[i + PAYLOAD]
      if ((kind & FLAG_ASCII) !== 0 && len <= 8) return short(this.u8, ptr, len)
      // No honest string is longer than the source (escapes only shrink), and the strings
      // of one call add up to at most the source.
      if (len > this.chars || ptr + ((kind & FLAG_UTF16) !== 0 ? 2 * len : len) > ACTIVE_SIZE) {
        this.corrupt(`the string at ${pos} has ${len} units at ${ptr}`)
      }
      this.chars -= len
      if ((kind & FLAG_ASCII) !== 0) {
        if (mode >= this.minWindowMode && len <= 64 && (kind & FLAG_IN_SOURCE) !== 0) {
          const at = ptr - this.winStart
          if (at >= 0 && at + len <= this.winLen) return this.win.substring(at, at + len)
          return this.slide(ptr, len, mode)
        }
        if (this.buf !== null) return this.buf.latin1Slice(ptr, ptr + len)
      }
      if ((kind & FLAG_UTF16) !== 0) return utf16(this.u16, ptr >> 1, len)
      return decodeUtf8(this.u8, this.buf, ptr, len)
    }

    /**
     * `str` of an ASCII string in the source outside the current window: decode the whole
     * source if it is small, else the WINDOW bytes from `ptr` (materializing goes forward
     * through the source). Values are met in source order, so one behind the window starts
     * a new window there (a second toJS, a subtree before the last one); a key behind it
     * (pointing at its first occurrence) is decoded alone rather than moving the window
     * back and forth.
     */
    slide(ptr, len, mode) {
      const start = this.sourcePtr
      const end = start + this.sourceLen
      const small = this.sourceLen <= WINDOW
      if (ptr < start || ptr + len > end || (!small && (mode < BULK_KEY || (mode === BULK_KEY && ptr < this.winStart)))) {
        return this.buf.latin1Slice(ptr, ptr + len)
      }
      const from = small ? start : ptr
      const to = small ? end : Math.min(end, from + WINDOW, Math.max(this.spanEnd, ptr + len))
      this.win = this.buf.latin1Slice(from, to)
      this.winStart = from
      this.winLen = to - from
      return this.win.substring(ptr - from, ptr - from + len)
    }

    /**
     * An object key. Rust points every occurrence of a key at its first occurrence, so a
     * cache by pointer decodes each key about once per document, and V8 gets the same
     * string for every store. The cache is direct-mapped (a slot per pointer hash, the
     * newest key wins): a Map of pointers costs more than most key decodes, since pointers
     * past 2^30 are heap numbers to V8. Its size is fixed, so it holds at most KEY_SLOTS
     * strings, each no longer than the source.
     */
    key(pos, mode) {
      const ptr = this.u32[(pos >> 2) + PAYLOAD]
      let ptrs = this.keyPtrs
      if (ptrs === null) {
        ptrs = this.keyPtrs = new Int32Array(KEY_SLOTS).fill(-1)
        this.keyStrs = new Array(KEY_SLOTS).fill('')
      }
      const slot = (ptr ^ (ptr >>> 9)) & (KEY_SLOTS - 1)
      // Pointers are below ACTIVE_SIZE (< 2^31), so `| 0` keeps them as they are.
      if (ptrs[slot] === (ptr | 0)) return this.keyStrs[slot]
      const key = this.str(pos, mode)
      ptrs[slot] = ptr
      this.keyStrs[slot] = key
      return key
    }

    /** The JS value of the node at `pos`, fully materialized. */
    value(pos) {
      const t = this.u32[(pos >> 2) + KIND] & TYPE_MASK
      if (t === T_STRING) return this.str(pos, ONE)
      if (t === T_NUMBER) return this.f64[(pos + 16) >> 3]
      if (t === T_OBJECT || t === T_ARRAY) {
        this.spanEnd = this.sourcePtr + this.u32[(pos >> 2) + END]
        return this.build(pos, 0)
      }
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
        this.claim(pos, len, p, NODE_SIZE)
        const arr = []
        for (let k = 0; k < len; k++, p += NODE_SIZE) arr.push(this.child(p, depth))
        return arr
      }
      this.claim(pos, len, p, ENTRY_SIZE)
      const obj = {}
      for (let k = 0; k < len; k++, p += ENTRY_SIZE) {
        const key = this.key(p, BULK_KEY)
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
          return this.str(pos, BULK)
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
      // Frames: [container value, is array, length, payload, next child index]; a
      // container's length is claimed from the node budget once, when it is entered.
      const enter = (value, pos) => {
        const i = pos >> 2
        const isArray = (u32[i + KIND] & TYPE_MASK) === T_ARRAY
        const len = u32[i + LEN]
        const base = u32[i + PAYLOAD]
        this.claim(pos, len, base, isArray ? NODE_SIZE : ENTRY_SIZE)
        return [value, isArray, len, base, 0]
      }
      const root = (u32[(rootPos >> 2) + KIND] & TYPE_MASK) === T_ARRAY ? [] : {}
      const stack = [enter(root, rootPos)]
      while (stack.length > 0) {
        const frame = stack[stack.length - 1]
        const [target, isArray, len, base, k] = frame
        if (k >= len) {
          stack.pop()
          continue
        }
        frame[4] = k + 1
        const childPos = isArray ? base + k * NODE_SIZE : base + k * ENTRY_SIZE + ENTRY_VALUE
        const ct = u32[(childPos >> 2) + KIND] & TYPE_MASK
        const container = ct === T_ARRAY || ct === T_OBJECT
        const v = container ? (ct === T_ARRAY ? [] : {}) : this.child(childPos, 0)
        if (isArray) target.push(v)
        else {
          const key = this.key(base + k * ENTRY_SIZE, BULK_KEY)
          if (key === '__proto__') defineOwn(target, key, v)
          else target[key] = v
        }
        if (container) stack.push(enter(v, childPos))
      }
      return root
    }
  }

  /**
   * The ASCII string of the `len` (0..8) bytes at `p`: one fromCharCode call makes it flat,
   * where appending a character at a time builds it in up to eight steps.
   */
  function short(u8, p, len) {
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
      default:
        return fromCharCode(u8[p], u8[p + 1], u8[p + 2], u8[p + 3], u8[p + 4], u8[p + 5], u8[p + 6], u8[p + 7])
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
      const r = readerOf(this.#doc)
      const i = this.#pos >> 2
      const t = r.u32[i + KIND] & TYPE_MASK
      if (t === T_ARRAY) return r.count(i, NODE_SIZE)
      if (t === T_OBJECT) return r.count(i, ENTRY_SIZE)
      return undefined
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
      if (typeof key !== 'string') throw new InvalidArgumentError(`get() expects a string key; got ${show(key)}`)
      const r = readerOf(this.#doc)
      const i = this.#pos >> 2
      if ((r.u32[i + KIND] & TYPE_MASK) !== T_OBJECT) return undefined
      const base = r.u32[i + PAYLOAD]
      for (let k = r.count(i, ENTRY_SIZE) - 1; k >= 0; k--) {
        const e = base + k * ENTRY_SIZE
        if (r.key(e, KEY) === key) return new JsonNode(TOKEN, this.#doc, e + ENTRY_VALUE)
      }
      return undefined
    }

    /**
     * Element `index` of an array, as Array.prototype.at: negative counts from the end,
     * out of range gives undefined. `index` must be an integer (no coercion of 0.5 or NaN).
     */
    at(index) {
      if (!Number.isInteger(index)) throw new InvalidArgumentError(`at() expects an integer index; got ${show(index)}`)
      const r = readerOf(this.#doc)
      const i = this.#pos >> 2
      if ((r.u32[i + KIND] & TYPE_MASK) !== T_ARRAY) return undefined
      const len = r.count(i, NODE_SIZE)
      if (index < 0) index += len
      if (index < 0 || index >= len) return undefined
      return new JsonNode(TOKEN, this.#doc, r.u32[i + PAYLOAD] + index * NODE_SIZE)
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
      const base = r.u32[i + PAYLOAD]
      const doc = this.#doc
      const out = []
      if (t === T_OBJECT) {
        for (let k = 0, len = r.count(i, ENTRY_SIZE); k < len; k++) {
          const e = base + k * ENTRY_SIZE
          out.push([
            r.key(e, KEY),
            new JsonNode(TOKEN, doc, e + ENTRY_VALUE),
            { start: r.u32[(e >> 2) + START], end: r.u32[(e >> 2) + END] },
          ])
        }
      } else if (t === T_ARRAY) {
        for (let k = 0, len = r.count(i, NODE_SIZE); k < len; k++) out.push([k, new JsonNode(TOKEN, doc, base + k * NODE_SIZE)])
      }
      return out
    }

    /** The node's children as lazy nodes (array elements or object values). */
    children() {
      return this.entries().map((e) => e[1])
    }

    /**
     * Call `fn(child, keyOrIndex, i)` for every element of an array or entry of an object,
     * allocating nothing but the child views. Return `false` from `fn` to stop early. After
     * each call the document must still be held: `fn` may have released it (and its block
     * may hold another document by now), so the next entry is not read (StaleBufferError).
     */
    forEach(fn) {
      if (typeof fn !== 'function') throw new InvalidArgumentError(`forEach() expects a function; got ${show(fn)}`)
      const doc = this.#doc
      const r = readerOf(doc)
      const i = this.#pos >> 2
      const t = r.u32[i + KIND] & TYPE_MASK
      const base = r.u32[i + PAYLOAD]
      if (t === T_OBJECT) {
        for (let k = 0, len = r.count(i, ENTRY_SIZE); k < len; k++) {
          const e = base + k * ENTRY_SIZE
          if (fn(new JsonNode(TOKEN, doc, e + ENTRY_VALUE), r.key(e, KEY), k) === false) return
          readerOf(doc)
        }
      } else if (t === T_ARRAY) {
        for (let k = 0, len = r.count(i, NODE_SIZE); k < len; k++) {
          if (fn(new JsonNode(TOKEN, doc, base + k * NODE_SIZE), k, k) === false) return
          readerOf(doc)
        }
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
      const base = r0.u32[i + PAYLOAD]
      if (t === T_ARRAY) {
        for (let k = 0, len = r0.count(i, NODE_SIZE); k < len; k++) {
          readerOf(doc)
          yield new JsonNode(TOKEN, doc, base + k * NODE_SIZE)
        }
      } else if (t === T_OBJECT) {
        for (let k = 0, len = r0.count(i, ENTRY_SIZE); k < len; k++) {
          const e = base + k * ENTRY_SIZE
          const key = readerOf(doc).key(e, KEY)
          yield [key, new JsonNode(TOKEN, doc, e + ENTRY_VALUE)]
        }
      } else {
        throw new TypeError(`a JsonNode of type ${TYPE_NAMES[t]} is not iterable (only arrays and objects are)`)
      }
    }

    /** `{ start, end }` of the key of entry `i` of an object (the quoted key's text); undefined out of range. */
    keySpanAt(i) {
      if (!Number.isInteger(i)) throw new InvalidArgumentError(`keySpanAt() expects an integer index; got ${show(i)}`)
      const r = readerOf(this.#doc)
      const n = this.#pos >> 2
      if ((r.u32[n + KIND] & TYPE_MASK) !== T_OBJECT || i < 0 || i >= r.count(n, ENTRY_SIZE)) return undefined
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
      let body
      try {
        body = summary(r, this.#pos)
      } catch (e) {
        if (!(e instanceof CorruptDocumentError)) throw e
        body = 'corrupt'
      }
      const i = this.#pos >> 2
      return `${stylize(options, 'JsonNode', 'special')} <${body}, span ${r.u32[i + START]}..${r.u32[i + END]}>`
    }
  }

  /** The body of a node's inspect summary. */
  function summary(r, pos) {
    const i = pos >> 2
    const t = r.u32[i + KIND] & TYPE_MASK
    if (t === T_ARRAY) return `array, length ${r.count(i, NODE_SIZE)}`
    if (t === T_OBJECT) {
      const len = r.count(i, ENTRY_SIZE)
      const keys = []
      const base = r.u32[i + PAYLOAD]
      for (let k = 0; k < Math.min(len, 5); k++) keys.push(preview(r.key(base + k * ENTRY_SIZE, ONE), 24))
      return `object, ${len} ${len === 1 ? 'entry' : 'entries'}${len ? `: ${keys.join(', ')}${len > 5 ? ', …' : ''}` : ''}`
    }
    if (t === T_STRING) return `string ${preview(r.str(pos, ONE).slice(0, 41), 40)}`
    const v = r.value(pos)
    return `${TYPE_NAMES[t]} ${Object.is(v, -0) ? '-0' : String(v)}`
  }

  /** A parsed document holding one block until released. Made by createDocument (runtime.js). */
  class JsonDocument {
    #block
    #raw
    #bufferId
    #generation
    #released = false
    #docPos
    // The document's facts, read once here: JS can write anywhere in the block later, and
    // these bound every walk of the document.
    #sourcePtr
    #sourceLen
    #nodeCount
    #maxDepth
    #ascii
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
      const docPos = this.#raw.dataOffset
      const d = docPos >> 2
      const ok = (docPos & 7) === 0 && docPos + DOC_SIZE <= ACTIVE_SIZE
      this.#docPos = docPos
      this.#sourcePtr = ok ? u32[d + DOC_SOURCE_PTR] : 0
      this.#sourceLen = ok ? u32[d + DOC_SOURCE_LEN] : 0
      this.#nodeCount = ok ? u32[d + DOC_NODE_COUNT] : 0
      this.#maxDepth = ok ? u32[d + DOC_MAX_DEPTH] : 0
      this.#ascii = ok && (u32[d + DOC_FLAGS] & DOC_FLAG_ASCII) !== 0
      if (!ok || this.#sourcePtr + this.#sourceLen > ACTIVE_SIZE || this.#nodeCount < 1 || this.#nodeCount * NODE_SIZE > ACTIVE_SIZE) {
        throw new CorruptDocumentError(`block ${block.id} holds a corrupt JSON document header at ${docPos}`)
      }
    }

    #reader() {
      if (this.#released || this.#raw.u32[META_GEN] !== this.#generation) {
        throw new StaleBufferError(
          `JSON document (block ${this.#bufferId}, generation ${this.#generation}) was released; ` +
            'read what you need before release() or copy it with toJS()',
        )
      }
      const r =
        this.#r ?? (this.#r = new Reader(this.#raw, this.#sourcePtr, this.#sourceLen, this.#nodeCount, this.#ascii))
      // Each public call gets the whole budget (see Reader).
      r.nodes = this.#nodeCount
      r.chars = this.#sourceLen
      return r
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
      return this.#nodeCount
    }
    get maxDepth() {
      this.#reader()
      return this.#maxDepth
    }
    get sourceLength() {
      this.#reader()
      return this.#sourceLen
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

    /** The source text of `span` (`{ start, end }` integer byte offsets), or all of it. */
    text(span) {
      const r = this.#reader()
      const n = this.#sourceLen
      if (span === undefined) return decodeUtf8(r.u8, r.buf, this.#sourcePtr, n)
      if (span === null || typeof span !== 'object') {
        throw new InvalidArgumentError(`text() expects a span { start, end } or undefined; got ${show(span)}`)
      }
      const { start, end } = span
      if (!Number.isInteger(start) || !Number.isInteger(end)) {
        throw new InvalidArgumentError(`text() expects a span of integers; got start ${show(start)}, end ${show(end)}`)
      }
      if (!(start >= 0 && start <= end && end <= n)) {
        throw new InvalidArgumentError(`span [${start}, ${end}) is outside the source (${n} bytes)`)
      }
      return decodeUtf8(r.u8, r.buf, this.#sourcePtr + start, end - start)
    }

    /** 1-based line and column (UTF-16 units) of byte `offset` in the source. */
    position(offset) {
      const r = this.#reader()
      if (!Number.isInteger(offset)) throw new InvalidArgumentError(`position() expects an integer offset; got ${show(offset)}`)
      if (!(offset >= 0 && offset <= this.#sourceLen)) {
        throw new InvalidArgumentError(`offset ${offset} is outside the source (${this.#sourceLen} bytes)`)
      }
      const u8 = r.u8
      const src = this.#sourcePtr
      if (this.#lineStarts === null) {
        // TypedArray#indexOf is native: much faster than a byte loop on large sources. Over
        // the source only: a search of the whole block would scan 2 GiB for a missing '\n'.
        const source = u8.subarray(src, src + this.#sourceLen)
        const starts = [0]
        for (let k = source.indexOf(10); k !== -1; k = source.indexOf(10, k + 1)) starts.push(k + 1)
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
      return `${head} <block ${this.#bufferId}, generation ${this.#generation}, ${this.#sourceLen} bytes, ${this.#nodeCount} nodes, root ${t}>`
    }
  }
  installDispose(JsonDocument.prototype)

  /**
   * The document held by runtime Block `block` (which it releases on release()). If the
   * block does not hold a readable document, the block is released and the error thrown.
   */
  function createDocument(block) {
    try {
      return new JsonDocument(TOKEN, block)
    } catch (e) {
      block.release()
      throw e
    }
  }

  return { JsonDocument, JsonNode, createDocument }
}
