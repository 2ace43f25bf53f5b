'use strict'
// Issue 11, "nothing a JS caller does brings the process down", on the JS side: documents
// whose bytes JS overwrote (cycles, huge lengths, pointers out of range), reads of big
// sources, position() on a source without newlines, plugins returning hostile thenables or
// promises that never settle, and callbacks that release the document. Arguments of the
// wrong type or range: arguments.test.js.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const util = require('node:util')
const { rt, writeJsonFiles } = require('./helpers')
const { rng, genValue, sameJson } = require('./json-helpers')

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
        const word = Math.floor((r() * used) / 4)
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

function safeChildren(node) {
  try {
    return node.children().slice(0, 4)
  } catch {
    return []
  }
}

test('reading one key of a big ASCII document does not decode the whole source', () => {
  // The same code path as a > 512 MiB source (which used to throw "Cannot create a string
  // longer than 0x1fffffe8" from keys() or .value of a small subtree): anything over 1 MiB.
  const pad = 'x'.repeat(40 * 2 ** 20)
  const text = `{"some_long_key_name_1": 1, "pad": "${pad}", "an_object": {"another_long_key": "a long ascii value here", "k2": [1, 2]}}`
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  try {
    const doc = pool.parseJson(text)
    // Node makes strings of more than ~1 MB external: count them with the heap.
    const used = () => {
      global.gc()
      const m = process.memoryUsage()
      return m.heapUsed + m.external
    }
    const before = used()
    assert.equal(doc.root.get('some_long_key_name_1').value, 1)
    assert.deepEqual(doc.root.keys(), ['some_long_key_name_1', 'pad', 'an_object'])
    assert.deepEqual(doc.root.get('an_object').value, { another_long_key: 'a long ascii value here', k2: [1, 2] })
    assert.equal(doc.root.get('an_object').get('another_long_key').value, 'a long ascii value here')
    const grew = used() - before
    assert.ok(grew < 8 * 2 ** 20, `heap grew by ${(grew / 2 ** 20).toFixed(1)} MiB for a few keys of a 40 MiB source`)
    doc.release()
  } finally {
    pool.close()
  }
})

test('toJS of a big ASCII source (decoded a window at a time) equals JSON.parse', () => {
  // > 65 536 distinct keys fill the key cache; keys repeated after that point back at their
  // first occurrence, behind the window; strings of 9..64 bytes cross window boundaries.
  const records = []
  for (let i = 0; i < 70_000; i++) records.push({ [`unique_key_${i}`]: `value string number ${i}`, n: i })
  for (let i = 0; i < 3000; i++) records.push({ late_repeated_key: `late value ${i} ${'y'.repeat(i % 60)}`, [`unique_key_${i}`]: i })
  const text = JSON.stringify(records)
  assert.ok(text.length > 2 * 2 ** 20)
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  try {
    const doc = pool.parseJson(text)
    const expected = JSON.parse(text)
    assert.equal(sameJson(doc.toJS(), expected), null)
    // Subtrees in any order, and lazy keys, from the same reader.
    assert.equal(sameJson(doc.root.at(-1).value, expected.at(-1)), null)
    assert.equal(sameJson(doc.root.at(10).value, expected[10]), null)
    assert.deepEqual(doc.root.at(70_500).keys(), Object.keys(expected[70_500]))
    for (let i = 72_999; i > 72_000; i -= 97) assert.equal(sameJson(doc.root.at(i).value, expected[i]), null)
    assert.equal(sameJson(doc.toJS(), expected), null, 'a second toJS, after the window moved on')
    doc.release()
  } finally {
    pool.close()
  }
})

test('position() on a source without newlines searches the source, not the rest of the 2 GiB block', () => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  try {
    const t0 = performance.now()
    for (let i = 0; i < 5; i++) {
      const doc = pool.parseJson('{"a":"b"}')
      assert.deepEqual(doc.position(3), { line: 1, column: 4 })
      assert.deepEqual(doc.position(9), { line: 1, column: 10 })
      doc.release()
    }
    // Sanity bound only: the scan of the block took 0.6-1 s per document.
    const ms = performance.now() - t0
    assert.ok(ms < 1000, `${ms.toFixed(0)} ms for 5 documents`)
    const doc = pool.parseJson('[1,\n2,\n3]')
    assert.deepEqual([0, 3, 4, 7].map((o) => doc.position(o)), [
      { line: 1, column: 1 },
      { line: 1, column: 4 },
      { line: 2, column: 1 },
      { line: 3, column: 1 },
    ])
    doc.release()
  } finally {
    pool.close()
  }
})


test('parseJsonFiles: a hostile thenable from a plugin is that file\'s error, and its block goes back', async () => {
  const { dir, paths } = writeJsonFiles(6)
  const pool = new rt.FixedSizeAllocatorPool({ size: 2 })
  try {
    const thenGetter = new Error('then getter throws')
    const thenCall = new Error('then throws when called')
    const seen = []
    const result = await pool.parseJsonFiles(paths, (doc) => {
      const i = doc.root.get('i').value
      seen.push(i)
      if (i === 1) return { get then() { throw thenGetter } }
      if (i === 2) return { then() { throw thenCall } }
      if (i === 3) return { then: (resolve) => resolve({ then: (_, reject) => reject('nested') }) }
      if (i === 4) return Object.assign(() => {}, { then: (resolve) => resolve() }) // a callable thenable
    })
    assert.deepEqual(seen.sort(), [0, 1, 2, 3, 4, 5])
    assert.equal(result.files, 6)
    const byFile = Object.fromEntries(result.errors.map((e) => [path.basename(e.path), e]))
    assert.equal(byFile['f1.json'].error, thenGetter)
    assert.equal(byFile['f2.json'].error, thenCall)
    assert.equal(byFile['f3.json'].error, 'nested')
    assert.equal(result.errors.length, 3)
    assert.ok(result.errors.every((e) => e.phase === 'plugin'))
    assert.equal(pool.stats().inUse, 0, 'every block is back, without waiting for the GC')
  } finally {
    pool.close()
    fs.rmSync(dir, { recursive: true })
  }
})

test('parseJsonFiles: pluginTimeoutMs records a PluginTimeoutError, releases the block and finishes the run', { timeout: 10_000 }, async () => {
  const { dir, paths } = writeJsonFiles(4)
  // A pool of 1: the block the never-settling plugin holds is the one the others need.
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  // Something else keeps the process alive (a server would): the timers are unref'd.
  const keepAlive = setInterval(() => {}, 1000)
  let late = null
  try {
    let held = null
    const result = await pool.parseJsonFiles(
      paths,
      (doc) => {
        const i = doc.root.get('i').value
        if (i === 0) {
          held = doc
          return new Promise(() => {}) // never settles
        }
        if (i === 1) {
          // Settles (rejects) after its timeout: recorded once, as the timeout.
          return new Promise((resolve, reject) => {
            late = setTimeout(() => reject(new Error('too late')), 150)
          })
        }
      },
      { pluginTimeoutMs: 40 },
    )
    assert.equal(result.files, 4)
    assert.equal(result.errors.length, 2)
    for (const [k, e] of result.errors.entries()) {
      assert.equal(e.phase, 'plugin')
      assert.ok(e.error instanceof rt.PluginTimeoutError)
      assert.ok(e.error instanceof rt.RawTransferError)
      assert.equal(e.error.code, 'PluginTimeout')
      assert.equal(e.error.path, paths[k])
      assert.equal(e.path, paths[k])
      assert.match(e.error.message, /did not settle within 40 ms/)
    }
    assert.equal(pool.stats().inUse, 0)
    assert.equal(held.released, true)
    assert.throws(() => held.toJS(), rt.StaleBufferError)
    await new Promise((resolve) => setTimeout(resolve, 200)) // the late rejection is ignored
    assert.equal(result.errors.length, 2)
    // Without the option, a plugin that settles normally is unaffected.
    const normal = await pool.parseJsonFiles(paths, async (doc) => doc.toJS(), { pluginTimeoutMs: 5000 })
    assert.deepEqual(normal.errors, [])
  } finally {
    clearInterval(keepAlive)
    clearTimeout(late)
    pool.close()
    fs.rmSync(dir, { recursive: true })
  }
})

test('forEach stops with StaleBufferError when its callback released the document and the block was reused', () => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  try {
    for (const [text, next] of [
      ['{"a": 1, "b": 2, "c": 3}', '{"x": 9, "y": 8, "z": 7}'],
      ['[1, 2, 3]', '[9, 8, 7]'],
    ]) {
      const doc = pool.parseJson(text)
      const calls = []
      let other = null
      assert.throws(
        () =>
          doc.root.forEach((child, key) => {
            // Only the key: the first call releases, later ones would read the new document.
            calls.push(key)
            if (other === null) {
              doc.release()
              other = pool.parseJson(next) // the same block, now another document
            }
          }),
        rt.StaleBufferError,
      )
      assert.equal(calls.length, 1, `${text}: ${JSON.stringify(calls)}`)
      assert.equal(other.bufferId, doc.bufferId)
      other.release()
      // Returning false still stops without a check.
      const again = pool.parseJson(text)
      let n = 0
      again.root.forEach(() => {
        n++
        again.release()
        return false
      })
      assert.equal(n, 1)
    }
  } finally {
    pool.close()
  }
})
