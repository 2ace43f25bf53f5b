'use strict'
// The lazy view of a JSON document parsed by Rust into a block, and its full
// materialization. Field positions: layout.js.

const { StaleBufferError, InvalidArgumentError, CorruptDocumentError } = require('raw-transfer-reader/errors')
const { show } = require('raw-transfer-reader/args')
const { dispose, inspect, installDispose } = require('raw-transfer-reader/symbols')
const { decodeUtf8 } = require('raw-transfer-reader/raw-buffer')
const L = require('./layout')
const makeReader = require('./document-reader')

const { NODE_SIZE, ENTRY_SIZE, ENTRY_VALUE, KIND, START, END, PAYLOAD, DOC_SOURCE_PTR, DOC_SOURCE_LEN, DOC_NODE_COUNT, DOC_MAX_DEPTH, DOC_ROOT, DOC_SIZE, DOC_FLAGS, DOC_FLAG_ASCII, TYPE_MASK, T_STRING, T_ARRAY, T_OBJECT, FORMAT_VERSION, META_GEN, META_PRODUCER0, TYPE_NAMES, ACTIVE_SIZE } = L
const { Reader, KEY } = makeReader(L, decodeUtf8)

// Construction: only this module makes nodes and documents (the pool, through
// createDocument). User code calling `new JsonDocument()` gets a clear error instead of a
// half-built object that crashes on first use.
const TOKEN = Symbol('raw-transfer json construction token')

// Maps kept alive. V8's optimized code checks the maps (hidden classes) of the objects it
// reads and holds them weakly, as it holds a class's later maps (those its instances reach
// as fields are added) weakly too: when a full GC finds no JsonDocument, JsonNode or Reader
// alive (as between documents), their maps die and every optimized function that read them
// is deoptimized ("weak objects"), then warms up again. So one of each lives as long as the
// JsonDocument class (its static #kept, made at the end of the class), each made by its
// constructor with values of the kinds real ones get (so it has the same map), over an 8-byte
// buffer of its own: none holds a block. The document is made with KEPT_TOKEN: its fields as
// declared, nothing read.
const KEPT_TOKEN = Symbol('raw-transfer json kept instance')
const NO_BUFFER = new ArrayBuffer(8)
const noRaw = {
  u8: new Uint8Array(NO_BUFFER),
  u16: new Uint16Array(NO_BUFFER),
  u32: new Uint32Array(NO_BUFFER),
  f64: new Float64Array(NO_BUFFER),
  nodeBuffer: typeof Buffer === 'function' && typeof Buffer.prototype.utf8Slice === 'function' ? Buffer.from(NO_BUFFER) : null,
}

// Nodes and documents keep their state in #private fields and have no own enumerable
// property: `Object.keys(node)` is `[]` and `{ ...node }` is `{}`. Like any class instance
// whose state is private, structuredClone/postMessage of one gives `{}` (send `node.value`,
// `doc.toJS()` or JSON.stringify(node) instead); the parallel hosts refuse a node or
// document returned as a plugin's result. The marker below, on the prototype, names that
// for anyone who looks.
const NODE_NOT_CLONEABLE = Symbol(
  'raw-transfer: a JsonNode (a lazy view of a block) cannot be cloned or posted; send node.value instead',
)
const DOC_NOT_CLONEABLE = Symbol(
  'raw-transfer: a JsonDocument (a view of a 2 GiB block) cannot be cloned or posted; send doc.toJS() instead',
)

/**
 * Set by JsonDocument's static block: the document's Reader (throws StaleBufferError once
 * released). `readerOf` also gives the call its whole budget (see Reader); `liveReaderOf`
 * only checks, for the reads that spend no budget (type, length, at, spans).
 */
let readerOf
let liveReaderOf
// entries() makes its array at full length when it is short (twice as fast as pushing for
// a thousand entries), else grows it: appending past a long preallocated (holey) array is
// slower than pushing, and a preallocated array of 30 000 entries is no faster.
const PRESIZE = 4096
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

  constructor(token, doc, pos) {
    if (token !== TOKEN) {
      throw new InvalidArgumentError('JsonNode objects come from a JsonDocument (doc.root, node.get(), node.at(), ...)')
    }
    this.#doc = doc
    this.#pos = pos
  }

  get type() {
    return TYPE_NAMES[liveReaderOf(this.#doc).u32[(this.#pos >> 2) + KIND] & TYPE_MASK]
  }

  /** Elements of an array or entries of an object (duplicates included); undefined otherwise. */
  get length() {
    const r = liveReaderOf(this.#doc)
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
    const u32 = liveReaderOf(this.#doc).u32
    return { start: u32[(this.#pos >> 2) + START], end: u32[(this.#pos >> 2) + END] }
  }

  /** The value of `key` in an object (the last one, as JSON.parse keeps); undefined if absent. */
  get(key) {
    if (typeof key !== 'string') throw new InvalidArgumentError(`get() expects a string key; got ${show(key)}`)
    const r = readerOf(this.#doc)
    const i = this.#pos >> 2
    if ((r.u32[i + KIND] & TYPE_MASK) !== T_OBJECT) return undefined
    const e = r.find(i, key)
    return e < 0 ? undefined : new JsonNode(TOKEN, this.#doc, e + ENTRY_VALUE)
  }

  /**
   * Element `index` of an array, as Array.prototype.at: negative counts from the end,
   * out of range gives undefined. `index` must be an integer (no coercion of 0.5 or NaN).
   */
  at(index) {
    if (!Number.isInteger(index)) throw new InvalidArgumentError(`at() expects an integer index; got ${show(index)}`)
    const r = liveReaderOf(this.#doc)
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
    const u32 = r.u32
    if (t === T_OBJECT) {
      const len = r.count(i, ENTRY_SIZE)
      const out = len <= PRESIZE ? new Array(len) : []
      for (let k = 0, e = base; k < len; k++, e += ENTRY_SIZE) {
        const span = { start: u32[(e >> 2) + START], end: u32[(e >> 2) + END] }
        out[k] = [r.key(e, KEY), new JsonNode(TOKEN, doc, e + ENTRY_VALUE), span]
      }
      return out
    }
    if (t === T_ARRAY) {
      const len = r.count(i, NODE_SIZE)
      const out = len <= PRESIZE ? new Array(len) : []
      for (let k = 0; k < len; k++) out[k] = [k, new JsonNode(TOKEN, doc, base + k * NODE_SIZE)]
      return out
    }
    return []
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
    const r = liveReaderOf(this.#doc)
    const n = this.#pos >> 2
    if ((r.u32[n + KIND] & TYPE_MASK) !== T_OBJECT || i < 0 || i >= r.count(n, ENTRY_SIZE)) return undefined
    const e = (r.u32[n + PAYLOAD] + i * ENTRY_SIZE) >> 2
    return { start: r.u32[e + START], end: r.u32[e + END] }
  }

  /** True for arrays and objects. */
  get isContainer() {
    const t = liveReaderOf(this.#doc).u32[(this.#pos >> 2) + KIND] & TYPE_MASK
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

/**
 * The body of a node's inspect summary. Strings and keys are decoded only as far as the
 * preview shows: a string of hundreds of millions of characters previews in microseconds
 * (its whole decode would take long or exceed V8's string length limit).
 */
function summary(r, pos) {
  const i = pos >> 2
  const t = r.u32[i + KIND] & TYPE_MASK
  if (t === T_ARRAY) return `array, length ${r.count(i, NODE_SIZE)}`
  if (t === T_OBJECT) {
    const len = r.count(i, ENTRY_SIZE)
    const keys = []
    const base = r.u32[i + PAYLOAD]
    for (let k = 0; k < Math.min(len, 5); k++) keys.push(preview(r.strPrefix(base + k * ENTRY_SIZE, 25), 24))
    return `object, ${len} ${len === 1 ? 'entry' : 'entries'}${len ? `: ${keys.join(', ')}${len > 5 ? ', …' : ''}` : ''}`
  }
  if (t === T_STRING) return `string ${preview(r.strPrefix(pos, 41), 40)}`
  const v = r.value(pos)
  return `${TYPE_NAMES[t]} ${Object.is(v, -0) ? '-0' : String(v)}`
}

/** A parsed document holding one block until released. Made by createDocument (for the pool). */
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

  static {
    readerOf = (doc) => doc.#reader()
    liveReaderOf = (doc) => doc.#live()
  }

  // (A class field, not a module-level const: a const no function uses is gone once the
  // module has loaded.)
  static #kept = null

  constructor(token, block, root) {
    if (token !== TOKEN) {
      if (token === KEPT_TOKEN) return
      throw new InvalidArgumentError('JsonDocument objects come from pool.parseJson() or parseJsonFiles()')
    }
    this.#block = block
    this.#raw = block.raw
    this.#bufferId = block.id
    this.#generation = block.generation
    const u32 = this.#raw.u32
    if (u32[META_PRODUCER0] !== FORMAT_VERSION) {
      // The pool wrote the format at the hand-off: JS has overwritten it since (a plugin
      // that scribbled over a block its document shares with this one, say).
      throw new CorruptDocumentError(`block ${block.id} does not hold a JSON document of format ${FORMAT_VERSION} (its hand-off record was overwritten)`)
    }
    const docPos = root
    const d = docPos >> 2
    const end = this.#raw.u8.length
    const ok = Number.isInteger(docPos) && docPos >= 0 && (docPos & 7) === 0 && docPos + DOC_SIZE <= end
    this.#docPos = docPos
    this.#sourcePtr = ok ? u32[d + DOC_SOURCE_PTR] : 0
    this.#sourceLen = ok ? u32[d + DOC_SOURCE_LEN] : 0
    this.#nodeCount = ok ? u32[d + DOC_NODE_COUNT] : 0
    this.#maxDepth = ok ? u32[d + DOC_MAX_DEPTH] : 0
    this.#ascii = ok && (u32[d + DOC_FLAGS] & DOC_FLAG_ASCII) !== 0
    if (!ok || this.#sourcePtr + this.#sourceLen > end || this.#nodeCount < 1 || this.#nodeCount * NODE_SIZE > end) {
      throw new CorruptDocumentError(`block ${block.id} holds a corrupt JSON document header at ${docPos}`)
    }
  }

  #live() {
    if (this.#released || this.#raw.u32[META_GEN] !== this.#generation) {
      throw new StaleBufferError(
        `JSON document (block ${this.#bufferId}, generation ${this.#generation}) was released; ` +
          'read what you need before release() or copy it with toJS()',
      )
    }
    return this.#r ?? (this.#r = new Reader(this.#raw, this.#sourcePtr, this.#sourceLen, this.#nodeCount, this.#ascii))
  }

  #reader() {
    const r = this.#live()
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

  static {
    const doc = new JsonDocument(KEPT_TOKEN)
    const node = new JsonNode(TOKEN, doc, 0)
    const reader = new Reader(noRaw, 0, 0, 1, true)
    JsonDocument.#kept = [doc, node, reader]
    // The kept document goes through what release() does to a document (its reader and
    // root set, then dropped, `#released` set), so these fields are not constant for V8
    // from the start: otherwise the first release() of a real document deoptimizes every
    // function that read one ("field constness changed", seen on Node 24).
    doc.#r = reader
    doc.#root = node
    doc.#released = true
    doc.#r = null
    doc.#root = null
  }
}
installDispose(JsonDocument.prototype)
Object.defineProperty(JsonNode.prototype, 'notCloneable', { value: NODE_NOT_CLONEABLE })
Object.defineProperty(JsonDocument.prototype, 'notCloneable', { value: DOC_NOT_CLONEABLE })

/**
 * The document at `root` (default: the block's data offset) of runtime Block `block`
 * (which it releases on release()). If the block does not hold a readable document there,
 * the block is released and the error thrown.
 */
function createDocument(block, root = block.raw.dataOffset) {
  try {
    return new JsonDocument(TOKEN, block, root)
  } catch (e) {
    block.release()
    throw e
  }
}

module.exports = { JsonDocument, JsonNode, createDocument }
