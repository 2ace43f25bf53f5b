'use strict'
// Big sources: a read of one value decodes only what it needs, toJS decodes a window at a
// time, and position() searches the source, not the rest of the block.
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { rt } = require('./helpers')
const { sameJson } = require('./json-helpers')

test('reading one key of a big ASCII document does not decode the whole source', () => {
  // The same code path as a > 512 MiB source (whole, past V8's longest string): anything
  // over 1 MiB is decoded a window at a time.
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
