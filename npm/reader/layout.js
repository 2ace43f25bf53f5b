'use strict'
// `require('raw-transfer-reader/layout')`: the runtime of the typed-layout readers that
// raw_transfer::layout::write_js generates (the crate's src/layout/js/). A generated module
// holds what is particular to its layout (view classes, read_/toJS_/walk_ functions, the
// visitor's tables) and takes the rest from here: the checks of every pointer and length
// against the buffer, staleness, the layout-hash check, string decoding, the walks.
//
// A document is a Doc (the buffer's views, its length, the generation read at hand-off and
// the state of a walk over it); a node is a view object of two private fields (the Doc and
// its byte offset). Every pointer and length is checked against the buffer before a read;
// toJS() and visit() also charge what they follow against the buffer's size, so a cycle or
// a pointer fan-out written over the document ends in CorruptDocumentError, not a hang.
// Neither recurses without bound: visit() walks from an explicit stack, toJS() recurses at
// most a layout's MAX_DEPTH pointers deep and defers what lies below.
//
// Nothing here belongs to one layout: what does (the visitor's node types, the roots a
// release() accepts, the key of a view's walk) is made per generated module by
// `defineLayout`, so modules of several layouts in one process never share it. A walk's
// state lives on its Doc.
//
// ABI: a generated module calls the functions below by name and with these arguments.
// LAYOUT_RUNTIME_VERSION names that contract; the module checks it when it loads and throws
// LayoutRuntimeMismatchError for another. Change anything a generated module relies on and
// the version goes up (with LAYOUT_RUNTIME_VERSION in the crate's src/layout/js/emit.rs).
// LAYOUT_RUNTIME_VERSION and LayoutRuntimeMismatchError themselves never change.

const { RAW_METADATA_OFFSET, META_GENERATION, META_PRODUCER0, META_PRODUCER1 } = require('./generated/constants')
const {
  CorruptDocumentError,
  InvalidArgumentError,
  StaleBufferError,
  LayoutMismatchError,
  LayoutRuntimeMismatchError,
} = require('./errors')
const { decodeUtf8 } = require('./raw-buffer')

/** The version of the contract between generated modules and this runtime. */
const LAYOUT_RUNTIME_VERSION = 1
/** This package's version, for the message of a LayoutRuntimeMismatchError. */
const READER_VERSION = require('./package.json').version

const META = RAW_METADATA_OFFSET >> 2
const GEN = META + META_GENERATION

class Doc {
  constructor(raw, gen, root) {
    this.raw = raw
    this.gen = gen
    this.root = root
    // Set by release(): the document's views are stale from then on, even while its block
    // (which may hold other documents) is still out.
    this.released = false
    this.u8 = raw.u8
    this.u16 = raw.u16
    this.u32 = raw.u32
    this.i32 = raw.i32
    this.f64 = raw.f64
    // Every Doc has every view (one shape for all layouts: the functions below see one kind
    // of object, whichever modules are loaded).
    const x = extraViews(raw.arrayBuffer)
    this.i8 = x.i8
    this.i16 = x.i16
    this.f32 = x.f32
    this.end = raw.u8.length
    const buf = raw.nodeBuffer
    this.buf = buf != null && typeof buf.utf8Slice === 'function' ? buf : null
    // The walk over the document in progress (toJS, visit; `run` and `runWalk` save and
    // restore them, as walks nest): what it may still follow, in bytes (every pointer and
    // list it follows is charged: a cycle or a fan-out of pointers written over the document
    // ends in CorruptDocumentError after about the buffer's size of reads), how many
    // pointers deep toJS() is, and the parts it deferred.
    this.budget = 0
    this.depth = 0
    this.holes = null
  }
}

// The views RawBuffer does not keep (Int8Array, Int16Array, Float32Array), made once per
// buffer: documents of one block share them.
const extras = new WeakMap()
function extraViews(ab) {
  let x = extras.get(ab)
  if (x === undefined) {
    x = { i8: new Int8Array(ab), i16: new Int16Array(ab), f32: new Float32Array(ab) }
    extras.set(ab, x)
  }
  return x
}

/** Throw StaleBufferError once the document was released, or its block reused. */
function live(d) {
  if (d.u32[GEN] !== d.gen || d.released) stale(d)
}

function stale(d) {
  if (d.released) throw new StaleBufferError("this view's document was released (release())")
  d.raw.assertGeneration(d.gen)
  throw new StaleBufferError(`this view's block was released (generation ${d.gen})`)
}

function corrupt(d, what, p) {
  throw new CorruptDocumentError(
    `${what} at byte ${p} points outside the buffer (${d.end} bytes) or is misaligned: the document was written over`,
  )
}

function badTag(d, what, p, tag) {
  throw new CorruptDocumentError(`${what} at byte ${p} has tag ${tag}, which no variant has: the document was written over`)
}

function tooMuch(d) {
  throw new CorruptDocumentError(
    `the document reaches more bytes than its buffer holds (${d.end}): pointers written over it form a cycle or share targets`,
  )
}

// toJS() recurses through pointers, a layout's MAX_DEPTH of them at most: deeper, it leaves a
// Hole for the part below and converts that part later from depth 0 (`fill`), so a document
// of any depth converts without exhausting the JS stack.
class Hole {
  constructor(fn, p, n) {
    this.fn = fn
    this.p = p
    this.n = n
    this.value = undefined
  }
}

/** `fn(d, p, n)` later, from depth 0; its value goes where the returned Hole is. */
function defer(d, fn, p, n) {
  const h = new Hole(fn, p, n)
  if (d.holes === null) d.holes = [h]
  else d.holes.push(h)
  return h
}

/** Run a toJS walk with a fresh budget (walks nest: a visitor may call toJS()). */
function run(fn, d, p, n) {
  const b = d.budget
  const k = d.depth
  const h = d.holes
  const e = strEpoch
  d.budget = d.end
  d.depth = 0
  d.holes = null
  strEpoch = nextStrEpoch()
  try {
    const out = fn(d, p, n)
    return d.holes === null ? out : fill(d, out)
  } finally {
    d.budget = b
    d.depth = k
    d.holes = h
    strEpoch = e
  }
}

/** Convert the deferred parts (which may defer parts of their own), then fill the holes. */
function fill(d, out) {
  const hs = d.holes
  for (let i = 0; i < hs.length; i++) {
    const h = hs[i]
    d.depth = 0
    h.value = h.fn(d, h.p, h.n)
  }
  // Every value made (the root's and each part's) is walked once, down to its holes; a part
  // put into a hole is not walked again from there.
  const stack = [out]
  for (let i = 0; i < hs.length; i++) stack.push(hs[i].value)
  while (stack.length !== 0) {
    const o = stack.pop()
    if (Array.isArray(o)) {
      for (let i = 0; i < o.length; i++) {
        const x = o[i]
        if (x instanceof Hole) o[i] = x.value
        else if (typeof x === 'object' && x !== null) stack.push(x)
      }
    } else if (typeof o === 'object' && o !== null) {
      for (const key of Object.keys(o)) {
        const x = o[key]
        if (x instanceof Hole) {
          // (`o.__proto__ = v` would set the prototype.)
          Object.defineProperty(o, key, { value: x.value, writable: true, enumerable: true, configurable: true })
        } else if (typeof x === 'object' && x !== null) stack.push(x)
      }
    }
  }
  return out
}

/**
 * Run a visit walk: `fn` pushes what it reaches onto `v.stack` as (walk function, position)
 * pairs, last child first, so popping them visits in document order without recursion;
 * a node with an exit handler pushes (its exit call, the node) before its children.
 */
function runWalk(fn, d, p, v, n) {
  const b = d.budget
  const st = v.stack
  const base = st.length
  d.budget = d.end
  try {
    fn(d, p, v, n)
    while (st.length > base) {
      const x = st.pop()
      st.pop()(d, x, v)
    }
  } finally {
    d.budget = b
    st.length = base
  }
}

/** The target of the 8-byte pointer at `p`, checked: non-null, inside the buffer, aligned. */
function ptr(d, p, size, mask) {
  const i = p >> 2
  const q = d.u32[i]
  if (d.u32[i + 1] === 0 || q + size > d.end || (q & mask) !== 0) corrupt(d, 'a pointer', p)
  return q
}

/** `ptr`, charged to the walk. */
function enter(d, p, size, mask) {
  const q = ptr(d, p, size, mask)
  if ((d.budget -= size || 1) < 0) tooMuch(d)
  return q
}

/** The elements of the slice or vector at `p` (pointer, length), checked. */
function span(d, p, size, mask, isSlice) {
  const i = p >> 2
  const q = d.u32[i]
  const n = d.u32[i + 2]
  if ((isSlice && d.u32[i + 3] !== 0) || q + n * size > d.end || (n !== 0 && (q & mask) !== 0)) {
    corrupt(d, 'a slice', p)
  }
  return q
}

/** `span`'s elements, charged to the walk (at least a byte each, and a byte for the list). */
function charge(d, n, size) {
  if ((d.budget -= n * (size || 1) + 1) < 0) tooMuch(d)
}

// toJS's cache of short strings: a writer that stores each short string once and points
// every occurrence at it (the AST example's parser, for names of up to 8 bytes) gets one JS
// string per distinct name instead of one per occurrence (fewer allocations, less GC).
// Direct-mapped, keyed by the bytes' (offset, length); an entry counts only in the `run` that
// wrote it (its epoch: each run has its own, and the bytes do not change while it runs), so
// no entry outlives its document's walk. Outside `run` (lazy getters) strEpoch is 0: no cache.
const STR_CACHE_BITS = 12
const STR_CACHE_MAX = 8
const strKey = new Int32Array(1 << STR_CACHE_BITS)
const strLen = new Int32Array(1 << STR_CACHE_BITS)
const strEpochs = new Int32Array(1 << STR_CACHE_BITS)
const strVal = new Array(1 << STR_CACHE_BITS).fill('')
let strEpoch = 0
let strEpochLast = 0
function nextStrEpoch() {
  if (strEpochLast === 0x7fffffff) {
    // Wrapped: forget every entry (an old one could carry a reused epoch).
    strEpochs.fill(0)
    strEpochLast = 0
  }
  return ++strEpochLast
}

/** The string at `p` (pointer, length), checked; short ASCII without a decoder. */
function str(d, p) {
  const i = p >> 2
  const q = d.u32[i]
  const n = d.u32[i + 2]
  if (d.u32[i + 3] !== 0 || q + n > d.end) corrupt(d, 'a string', p)
  if (n <= STR_CACHE_MAX && strEpoch !== 0) {
    const h = Math.imul(q, 0x9e3779b1) >>> (32 - STR_CACHE_BITS)
    if (strEpochs[h] === strEpoch && strKey[h] === q && strLen[h] === n) return strVal[h]
    const s = decodeUtf8(d.u8, d.buf, q, n)
    strEpochs[h] = strEpoch
    strKey[h] = q
    strLen[h] = n
    strVal[h] = s
    return s
  }
  return decodeUtf8(d.u8, d.buf, q, n)
}

function u64(d, p) {
  const i = p >> 2
  return d.u32[i] + d.u32[i + 1] * 4294967296
}

function i64(d, p) {
  const i = p >> 2
  return d.u32[i] + d.i32[i + 1] * 4294967296
}

/** An f64 as serde_json writes it: non-finite as null. */
function f64js(x) {
  return Number.isFinite(x) ? x : null
}

/**
 * An f32 as serde_json writes it (ryu): the shortest decimal that reads back as the same f32,
 * the nearest such when there are two, the one with an even last digit when both are as near.
 * `toPrecision` gives the nearest but rounds a tie away from zero, and at a power of two (where
 * the f32s below are closer than those above) the shortest may not be the nearest: both cases
 * take the exact digits.
 */
function f32js(x) {
  if (!Number.isFinite(x)) return null
  if (x === 0) return x
  f32bits[0] = x
  if ((u32bits[0] & 0x7fffff) === 0) return f32exact(x)
  for (let n = 1; n < 10; n++) {
    const y = Number(x.toPrecision(n))
    if (Math.fround(y) === x) {
      const t = x.toPrecision(n + 1)
      const e = t.indexOf('e')
      return t.charCodeAt((e < 0 ? t.length : e) - 1) === 0x35 ? f32exact(x) : y
    }
  }
  return x
}

const f32bits = new Float32Array(1)
const u32bits = new Uint32Array(f32bits.buffer)

/** `f32js` from the exact decimal digits of `x`: per length, the neighbours below and above. */
function f32exact(x) {
  const neg = x < 0
  // Exact: an f32 whose first 10 digits are a tie or a neighbour has fewer than 100 digits.
  const t = (neg ? -x : x).toExponential(99)
  const e = t.indexOf('e')
  const digits = t[0] + t.slice(2, e)
  const exp = Number(t.slice(e + 1))
  const sign = neg ? '-' : ''
  for (let n = 1; n < 10; n++) {
    const lo = digits.slice(0, n)
    const down = Number(`${sign}${lo[0]}.${lo.slice(1)}e${exp}`)
    // `lo` + 1 in its last digit, carrying (9.99 + 0.01 is 1.00 of the next exponent).
    let i = n - 1
    while (i >= 0 && lo[i] === '9') i--
    const up =
      i < 0
        ? Number(`${sign}1e${exp + 1}`)
        : Number(`${sign}${(lo.slice(0, i) + String.fromCharCode(lo.charCodeAt(i) + 1)).padEnd(n, '0').replace(/^(.)/, '$1.')}e${exp}`)
    const okDown = Math.fround(down) === x
    const okUp = Math.fround(up) === x
    if (okDown !== okUp) return okDown ? down : up
    if (!okDown) continue
    const rest = digits.slice(n)
    if (rest[0] > '5' || (rest[0] === '5' && /[1-9]/.test(rest.slice(1)))) return up
    if (rest[0] < '5') return down
    return (lo.charCodeAt(n - 1) & 1) === 0 ? down : up
  }
  return x
}

const inspect = Symbol.for('nodejs.util.inspect.custom')

function isRaw(x) {
  return typeof x === 'object' && x !== null && typeof x.assertGeneration === 'function' && ArrayBuffer.isView(x.u8)
}

function hex(lo, hi) {
  return (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0')
}

/**
 * The Doc of a hand-off (`{ raw, offset?, generation? }` or a RawBuffer), checked: the block
 * carries the layout hash `hi:lo`, and a root of `size` bytes aligned to `align` fits at the
 * offset. `what` names the reader in messages.
 */
function open(arg, what, lo, hi, size, align) {
  let raw = arg
  let offset
  let generation
  if (!isRaw(arg)) {
    if (typeof arg !== 'object' || arg === null || !isRaw(arg.raw)) {
      throw new InvalidArgumentError(`${what} expects a RawBuffer or a hand-off record { raw, offset?, generation? }`)
    }
    raw = arg.raw
    offset = arg.offset ?? arg.root
    generation = arg.generation
  }
  if (generation === undefined) generation = raw.generation
  else raw.assertGeneration(generation)
  const u32 = raw.u32
  const have0 = u32[META + META_PRODUCER0]
  const have1 = u32[META + META_PRODUCER1]
  if (have0 !== lo || have1 !== hi) {
    throw new LayoutMismatchError(
      `${what}: the block holds layout ${hex(have0, have1)}, not ${hex(lo, hi)}: it was written by another ` +
        'producer or another version of the Rust types (regenerate the reader with write_js)',
    )
  }
  if (offset === undefined) offset = raw.dataOffset
  if (!Number.isInteger(offset) || offset < 0 || offset + size > raw.u8.length || offset % align !== 0) {
    throw new CorruptDocumentError(`${what}: the root offset ${offset} is not a place for a root in this buffer`)
  }
  return new Doc(raw, generation, offset)
}

/** Iterator over a list view: `read(d, p)` of each element, `size` bytes apart. */
class ListIterator {
  #d
  #p
  #n
  #size
  #read
  #i = 0
  constructor(d, p, n, size, read) {
    this.#d = d
    this.#p = p
    this.#n = n
    this.#size = size
    this.#read = read
  }
  next() {
    const i = this.#i
    if (i >= this.#n) return { value: undefined, done: true }
    this.#i = i + 1
    live(this.#d)
    return { value: this.#read(this.#d, this.#p + i * this.#size), done: false }
  }
  [Symbol.iterator]() {
    return this
  }
}

// Maps kept alive. V8's optimized code checks the map (hidden class) of each object it reads
// and holds those maps weakly, as V8 holds a class's later maps (the ones its instances reach
// as the constructor adds fields: a view's #d, then #p) weakly too. When a full GC finds no
// live instance of such a map (all views and Docs of the last document are garbage, as
// between documents), the map dies and every optimized function that used it is deoptimized
// ("weak objects"): about 60 functions of a walk, which then warm up again. So one instance
// of each class lives as long as this module: a Doc of no document (an 8-byte buffer of its
// own, released, so a view over it throws StaleBufferError), and per generated module one view
// of each class over it (`keepMaps`). Each is built by its class's constructor with values of
// the kinds real ones get (a Buffer where Node has one, integers, a function), so it has the
// same final map and leaves the fields' recorded types as they are. None holds a block.
const NO_BUFFER = new ArrayBuffer(8)
const NO_DOC = new Doc(
  {
    u8: new Uint8Array(NO_BUFFER),
    u16: new Uint16Array(NO_BUFFER),
    u32: new Uint32Array(NO_BUFFER),
    i32: new Int32Array(NO_BUFFER),
    f64: new Float64Array(NO_BUFFER),
    arrayBuffer: NO_BUFFER,
    nodeBuffer: typeof Buffer === 'function' && typeof Buffer.from === 'function' ? Buffer.from(NO_BUFFER) : null,
  },
  0,
  0,
)
// (Also makes `released` a field that changes up front, not at the first release(), which
// would deoptimize the code that had taken it for a constant.)
NO_DOC.released = true
function noRead() {
  return undefined
}
const keptInstances = [NO_DOC, new Hole(noRead, 0, 0), new ListIterator(NO_DOC, 0, 0, 0, noRead)]

/**
 * Keep the views `make(doc)` returns (one of each view class of a generated module, over the
 * Doc of no document it is given) alive as long as this runtime: see above. A generated
 * module calls it once, when it loads, if the runtime has it (`$layout.keepMaps?.(...)`).
 */
function keepMaps(make) {
  const views = make(NO_DOC)
  for (let i = 0; i < views.length; i++) keptInstances.push(views[i])
}

/**
 * What belongs to one layout, for its generated module: `nodeTypes` are the visitor's node
 * types (names), `reach[t]` the node types (indices) type `t` can lead to. Returns the key of
 * its views' walk entry (`WALK`: a view of another layout is refused by this one's visit and
 * toJS) and its `rootView`, `release`, `visit` and `toJS`.
 */
function defineLayout({ nodeTypes, reach }) {
  const NODE_TYPES = Object.freeze([...nodeTypes])
  const NODE_INDEX = { __proto__: null }
  NODE_TYPES.forEach((name, i) => {
    NODE_INDEX[name] = i
  })
  const REACH = reach.map((r) => [...r])

  /** A view's hidden entry for visit(). */
  const WALK = Symbol('raw-transfer layout walk')

  /** The Doc of each root view a read…() returned (what release() marks). */
  const rootDocs = new WeakMap()

  function rootView(d, view) {
    rootDocs.set(view, d)
    return view
  }

  /**
   * Mark the document of `root` (a view a read…() returned) released: every view of it throws
   * StaleBufferError from now on. Call it when the document is given back (the pool's
   * release, a job item's close), before or after: documents that share a block stay readable.
   */
  function release(root) {
    const d = rootDocs.get(root)
    if (d === undefined) throw new InvalidArgumentError('release expects a root view that a read…() function of this layout returned')
    d.released = true
  }

  /** The handlers of `visit`, as arrays by node kind, and which types lead to a handled node. */
  function compile(handlers) {
    if (typeof handlers !== 'object' || handlers === null) {
      throw new InvalidArgumentError('visit expects an object of handlers: { NodeType(node) {}, "NodeType:exit"(node) {} }')
    }
    const enter = new Array(NODE_TYPES.length).fill(undefined)
    const exit = new Array(NODE_TYPES.length).fill(undefined)
    for (const key of Object.keys(handlers)) {
      const fn = handlers[key]
      if (fn === undefined) continue
      const isExit = key.endsWith(':exit')
      const name = isExit ? key.slice(0, -5) : key
      const k = NODE_INDEX[name]
      if (k === undefined) {
        throw new InvalidArgumentError(`visit: no node type '${name}' in this layout; node types: ${NODE_TYPES.join(', ')}`)
      }
      if (typeof fn !== 'function') throw new InvalidArgumentError(`visit: the handler '${key}' is not a function`)
      ;(isExit ? exit : enter)[k] = fn
    }
    const need = new Uint8Array(REACH.length)
    for (let t = 0; t < REACH.length; t++) {
      const r = REACH[t]
      for (let j = 0; j < r.length; j++) {
        if (enter[r[j]] !== undefined || exit[r[j]] !== undefined) {
          need[t] = 1
          break
        }
      }
    }
    // What a node with an exit handler pushes before its children: the call of that handler.
    const leave = exit.map(
      (fn) =>
        fn &&
        function leave(d, node, v) {
          fn.call(v.self, node)
          live(d)
        },
    )
    return { enter, exit, leave, need, self: handlers, stack: [] }
  }

  /**
   * Walk `root` (a view of this layout) and what it reaches, calling `handlers[node.type]`
   * on the way down and `handlers[node.type + ':exit']` on the way up. A handler returning
   * false skips the node's children. Subtrees that can reach no handled node type are not read.
   */
  function visit(root, handlers) {
    const v = compile(handlers)
    if (root === null || typeof root !== 'object' || typeof root[WALK] !== 'function') {
      throw new InvalidArgumentError('visit expects a view of this layout (what read<Root>() returns, or a node of it)')
    }
    root[WALK](v)
  }

  /** The plain-object form of a view of this layout (what its toJS() returns). */
  function toJS(view) {
    if (view === null || typeof view !== 'object' || typeof view[WALK] !== 'function') {
      throw new InvalidArgumentError('toJS expects a view of this layout (what read<Root>() returns, or a node of it)')
    }
    return view.toJS()
  }

  return { NODE_TYPES, WALK, rootView, release, visit, toJS }
}

module.exports = {
  LAYOUT_RUNTIME_VERSION,
  READER_VERSION,
  LayoutRuntimeMismatchError,
  LayoutMismatchError,
  defineLayout,
  open,
  live,
  corrupt,
  badTag,
  ptr,
  enter,
  span,
  charge,
  str,
  u64,
  i64,
  f64js,
  f32js,
  defer,
  run,
  runWalk,
  ListIterator,
  inspect,
  keepMaps,
}
