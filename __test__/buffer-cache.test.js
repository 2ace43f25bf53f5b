'use strict'
// A pool's buffer cache can lose a block's buffer (cleared by user code, or, in copy mode,
// the buffer transferred away with structuredClone/postMessage): the pool sends it again
// instead of failing every later hand-off of that block for ever.
const test = require('node:test')
const assert = require('node:assert/strict')
const { rt, MODES } = require('./helpers')

for (const transfer of MODES) {
  test(`${transfer}: parseJson works after pool.cache.clear()`, () => {
    const pool = new rt.FixedSizeAllocatorPool({ size: 2, transfer })
    const a = pool.parseJson('{"a":[1,2,3]}')
    pool.cache.clear()
    // The same block again (a is still out, so the other one; then both).
    const b = pool.parseJson('{"b":true}')
    assert.deepEqual(b.toJS(), { b: true })
    a.release()
    b.release()
    pool.cache.clear()
    for (let i = 0; i < 5; i++) {
      const d = pool.parseJson(`[${i}]`)
      assert.deepEqual(d.toJS(), [i])
      d.release()
    }
    assert.deepEqual(a.constructor === b.constructor, true)
    pool.close()
  })
}

test('copy mode: a document buffer transferred away is replaced at the next hand-off', () => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1, transfer: 'copy' })
  const a = pool.parseJson('{"a":1}')
  const ab = a.raw.arrayBuffer
  a.release()
  structuredClone(ab, { transfer: [ab] })
  assert.equal(ab.byteLength, 0, 'detached')
  for (let i = 0; i < 3; i++) {
    const d = pool.parseJson(`{"n":${i},"s":"${'y'.repeat(i * 100)}"}`)
    assert.deepEqual(d.toJS(), { n: i, s: 'y'.repeat(i * 100) })
    d.release()
  }
  pool.close()
})

test('external mode: a cleared cache gets the same buffer back (no second wrapper)', () => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1, transfer: 'external' })
  const a = pool.parseJson('[1]')
  const ab = a.raw.arrayBuffer
  a.release()
  pool.cache.clear()
  const b = pool.parseJson('[2]')
  assert.equal(b.raw.arrayBuffer, ab)
  b.release()
  pool.close()
})

test('a BufferCache without resend still reports a lost buffer as StaleBufferError', () => {
  const cache = new rt.BufferCache()
  assert.throws(() => cache.receive(7, null), rt.StaleBufferError)
  assert.throws(() => new rt.BufferCache(5), rt.InvalidArgumentError)
})
