'use strict'
// Documents whose bytes JS overwrote (JS can write anywhere in its buffer): cycles, huge
// lengths, pointers out of range and invalid UTF-8 give wrong values or CorruptDocumentError,
// never a crash or an endless walk.
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const util = require('node:util')
const { rt } = require('./helpers')
const { rng, genValue } = require('./json-helpers')

const C = rt.constants

const T_ARRAY = C.JSON_TYPE_ARRAY

/** Read and write the nodes of `doc` as JS can: u32 fields of the node at byte `pos`. */
function nodeView(doc) {
  const u32 = doc.raw.u32
  const at = (pos, field) => (pos + field) >> 2
  return {
    root: doc.raw.dataOffset + C.JSON_DOC_ROOT,
    kind: (pos) => u32[at(pos, C.JSON_NODE_KIND)],
    len: (pos) => u32[at(pos, C.JSON_NODE_LEN)],
    payload: (pos) => u32[at(pos, C.JSON_NODE_PAYLOAD)],
    set(pos, { kind, len, payload }) {
      if (kind !== undefined) u32[at(pos, C.JSON_NODE_KIND)] = kind
      if (len !== undefined) u32[at(pos, C.JSON_NODE_LEN)] = len
      if (payload !== undefined) {
        u32[at(pos, C.JSON_NODE_PAYLOAD)] = payload
        u32[at(pos, C.JSON_NODE_PAYLOAD) + 1] = 0
      }
    },
    /** Byte offset of element `k` of the array node at `pos`. */
    element: (pos, k) => u32[at(pos, C.JSON_NODE_PAYLOAD)] + k * C.JSON_NODE_SIZE,
    /** Byte offset of the value node of entry `k` of the object node at `pos`. */
    entryValue: (pos, k) => u32[at(pos, C.JSON_NODE_PAYLOAD)] + k * C.JSON_ENTRY_SIZE + C.JSON_ENTRY_VALUE,
  }
}

const isCorrupt = (e) => e instanceof rt.CorruptDocumentError && e instanceof rt.RawTransferError && e.code === 'CorruptDocument'

/** Every reader of `node`, each of which must return or throw a RawTransferError. */
function readAll(doc, node) {
  const reads = [
    () => node.type,
    () => node.length,
    () => node.value,
    () => JSON.stringify(node),
    () => node.keys(),
    () => node.entries(),
    () => node.children(),
    () => node.forEach(() => {}),
    () => node.get('a'),
    () => node.at(0),
    () => node.at(-1),
    () => node.keySpanAt(0),
    () => node.span,
    () => node.isContainer,
    () => util.inspect(node),
    () => (node.isContainer ? [...node] : null),
    () => doc.toJS(),
    () => util.inspect(doc),
    () => doc.text(),
    () => doc.position(doc.sourceLength),
  ]
  const thrown = []
  for (const read of reads) {
    try {
      read()
    } catch (e) {
      thrown.push(e)
      assert.ok(e instanceof rt.RawTransferError, `${read}: ${e && e.stack}`)
    }
  }
  return thrown
}

function safeChildren(node) {
  try {
    return node.children().slice(0, 4)
  } catch {
    return []
  }
}

test('a cycle written into the nodes ends in CorruptDocumentError, not a V8 fatal out-of-memory', () => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  try {
    // Self cycle: the inner array's payload points at the array holding it.
    const doc = pool.parseJson('{"a": [[1, 2], [3]], "b": "x"}')
    const v = nodeView(doc)
    const a = v.entryValue(v.root, 0)
    const inner = v.element(a, 0)
    v.set(inner, { payload: v.payload(a) })
    assert.throws(() => doc.toJS(), isCorrupt)
    assert.throws(() => doc.root.get('a').value, isCorrupt)
    assert.throws(() => JSON.stringify(doc), isCorrupt)
    // A walk by hand follows the cycle one step at a time, as far as the caller goes.
    assert.equal(doc.root.get('a').at(0).at(0).at(0).length, 2)
    assert.match(util.inspect(doc.root.get('a')), /^JsonNode <array, length 2, span/)
    readAll(doc, doc.root)
    doc.release()

    // A cycle deeper than the recursion limit (toJS's explicit-stack path): element 0 of a
    // 3000-element array becomes an array whose one element is itself.
    const big = pool.parseJson(JSON.stringify([Array.from({ length: 3000 }, (_, i) => i)]))
    const w = nodeView(big)
    const list = w.element(w.root, 0)
    w.set(w.element(list, 0), { kind: T_ARRAY, len: 1, payload: w.payload(list) })
    assert.throws(() => big.toJS(), isCorrupt)
    assert.throws(() => big.root.at(0).at(0).value, isCorrupt)
    // Siblings of the cycle still read.
    assert.equal(big.root.at(0).at(2999).value, 2999)
    big.release()

    // An ancestor cycle: the object's value points back at the root's entries.
    const anc = pool.parseJson('{"k": {"x": {"y": 1}}}')
    const n = nodeView(anc)
    const k = n.entryValue(n.root, 0)
    const x = n.entryValue(k, 0)
    n.set(x, { payload: n.payload(n.root) })
    assert.throws(() => anc.toJS(), isCorrupt)
    anc.release()
  } finally {
    pool.close()
  }
})

test('lengths and pointers JS overwrote are checked against the document and the block', () => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  try {
    const doc = pool.parseJson('{"arr": [1, 2, 3], "obj": {"p": 1}, "s": "a string of some length"}')
    const v = nodeView(doc)
    const arr = v.entryValue(v.root, 0)
    const obj = v.entryValue(v.root, 1)
    const s = v.entryValue(v.root, 2)
    // A length of 4 G children: every reader of that container refuses it at once.
    v.set(arr, { len: 0xffffffff })
    const node = doc.root.get('arr')
    for (const read of [() => node.length, () => node.keys(), () => node.entries(), () => node.children(), () => node.at(0), () => node.forEach(() => {}), () => [...node], () => node.value]) {
      assert.throws(read, isCorrupt, String(read))
    }
    assert.match(util.inspect(node), /^JsonNode <corrupt, span/)
    v.set(obj, { len: 0xffffffff })
    const o = doc.root.get('obj')
    for (const read of [() => o.get('p'), () => o.keys(), () => o.keySpanAt(0), () => [...o], () => o.length]) assert.throws(read, isCorrupt, String(read))
    assert.throws(() => doc.toJS(), isCorrupt)
    // Children past the end of the block's data region, or misaligned.
    v.set(arr, { len: 3, payload: C.ACTIVE_SIZE - 8 })
    assert.throws(() => node.at(0), isCorrupt)
    v.set(arr, { len: 3, payload: 0xfffffff0 })
    assert.throws(() => node.value, isCorrupt)
    v.set(arr, { len: 1, payload: 12 })
    assert.throws(() => node.at(0), isCorrupt)
    // A string longer than the source, or past the end of the buffer.
    const str = doc.root.get('s')
    v.set(s, { len: 1 << 30 })
    assert.throws(() => str.value, isCorrupt)
    v.set(s, { len: 40, payload: 0xffffff00 })
    assert.throws(() => str.value, isCorrupt)
    assert.match(util.inspect(str), /corrupt/)
    doc.release()
  } finally {
    pool.close()
  }
})

test('one call decodes at most the source: strings pointed at one long string end in CorruptDocumentError', () => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  try {
    const doc = pool.parseJson(JSON.stringify({ long: 'L'.repeat(10_000), short: Array.from({ length: 2000 }, (_, i) => `s${i}xxxxxxxx`) }))
    const v = nodeView(doc)
    const long = v.entryValue(v.root, 0)
    const list = v.entryValue(v.root, 1)
    for (let k = 0; k < 2000; k++) v.set(v.element(list, k), { len: v.len(long), payload: v.payload(long), kind: v.kind(long) })
    // 2000 strings of 10 000 bytes from a 40 KB source: garbage an honest document cannot hold.
    assert.throws(() => doc.toJS(), isCorrupt)
    assert.throws(() => doc.root.get('short').value, isCorrupt)
    // One at a time they are (wrong but bounded) values.
    assert.equal(doc.root.get('short').at(5).value.length, 10_000)
    doc.release()
  } finally {
    pool.close()
  }
})

test('short strings whose bytes JS overwrote with invalid UTF-8 give garbage strings, bounded by their length', () => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  try {
    const doc = pool.parseJson(JSON.stringify(Array.from({ length: 17 }, (_, n) => 'q'.repeat(n))))
    const v = nodeView(doc)
    const u8 = doc.raw.u8
    const hostile = [0x80, 0xbf, 0xc0, 0xdf, 0xe0, 0xef, 0xf0, 0xf4, 0xf8, 0xff]
    for (let n = 1; n <= 16; n++) {
      const el = v.element(v.root, n)
      // A UTF-8 (not ASCII) string: the JS decoder, not the ASCII paths.
      v.set(el, { kind: C.JSON_TYPE_STRING | C.JSON_FLAG_IN_SOURCE })
      for (const b of hostile) {
        for (const at of [0, n - 1]) {
          u8[v.payload(el) + at] = b
          const s = doc.root.at(n).value
          assert.equal(typeof s, 'string')
          // At most a unit per byte, and one more for a four-byte lead in the last byte.
          assert.ok(s.length <= n + 1, `${s.length} units from ${n} bytes`)
        }
      }
    }
    assert.equal(typeof JSON.stringify(doc.toJS()), 'string')
    doc.release()
  } finally {
    pool.close()
  }
})

test('the document header is read once: counts overwritten later change nothing', () => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  try {
    const doc = pool.parseJson('{"a": [1, 2, 3]}')
    const { nodeCount, sourceLength } = doc
    const d = doc.raw.dataOffset
    doc.raw.u32[(d + C.JSON_DOC_NODE_COUNT) >> 2] = 0xffffffff
    doc.raw.u32[(d + C.JSON_DOC_SOURCE_LEN) >> 2] = 0x7fffffff
    doc.raw.u32[(d + C.JSON_DOC_SOURCE_PTR) >> 2] = 0
    assert.equal(doc.nodeCount, nodeCount)
    assert.equal(doc.sourceLength, sourceLength)
    assert.equal(doc.text(), '{"a": [1, 2, 3]}')
    assert.deepEqual(doc.toJS(), { a: [1, 2, 3] })
    // The root claims more children than the document has nodes.
    nodeView(doc).set(nodeView(doc).root, { len: nodeCount + 1 })
    assert.throws(() => doc.root.keys(), isCorrupt)
    doc.release()
  } finally {
    pool.close()
  }
})

test('random words written over documents: every reader returns or throws a RawTransferError', () => {
  const r = rng(11)
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  const specials = [0, 1, 8, 0xffffffff, 0x7fffffff, C.ACTIVE_SIZE, T_ARRAY, C.JSON_TYPE_OBJECT, C.JSON_TYPE_STRING | C.JSON_FLAG_ASCII]
  let corrupt = 0
  try {
    for (let iter = 0; iter < 300; iter++) {
      const text = genValue(r, 0)
      const doc = pool.parseJson(text)
      const used = doc._block.usedBytes & ~3
      const u32 = doc.raw.u32
      const offsets = []
      for (let i = 0; i < used; i += 8) offsets.push(i) // pointers to anything 8-aligned we wrote
      for (let m = 0, count = 1 + Math.floor(r() * 6); m < count; m++) {
        // Past the hand-off record (the block's first 16 bytes): scribbles over its
        // generation make the document stale, which other tests cover.
        const word = 4 + Math.floor((r() * (used - 16)) / 4)
        const x = r()
        u32[word] = x < 0.4 ? specials[Math.floor(r() * specials.length)] : x < 0.8 ? offsets[Math.floor(r() * offsets.length)] : Math.floor(r() * 2 ** 32)
      }
      const thrown = readAll(doc, doc.root)
      for (const child of safeChildren(doc.root)) readAll(doc, child)
      corrupt += thrown.filter(isCorrupt).length
      doc.release()
    }
  } finally {
    pool.close()
  }
  assert.ok(corrupt > 0, 'some scribbles were detected')
})
