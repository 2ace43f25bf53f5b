'use strict'
// Lazy reads of small documents (js/json/document.js, document-reader.js): the key cache
// shared by a thread's documents, and get(key)'s byte comparison of keys.
const test = require('node:test')
const assert = require('node:assert/strict')
const { rt } = require('./helpers')

test('the key cache never gives one document the keys of another (same pointers, other blocks, a reused block)', () => {
  const pool = new rt.JsonPool({ size: 2 })
  // Same shapes, so the keys of both documents sit at the same offsets of their blocks.
  const a = pool.parseJson('{"aa":1,"bb":[{"cc":2}]}')
  const b = pool.parseJson('{"xx":1,"yy":[{"zz":2}]}')
  for (let round = 0; round < 3; round++) {
    assert.deepEqual(a.root.keys(), ['aa', 'bb'])
    assert.deepEqual(b.root.keys(), ['xx', 'yy'])
    assert.deepEqual(a.root.get('bb').at(0).keys(), ['cc'])
    assert.deepEqual(b.root.get('yy').at(0).keys(), ['zz'])
    assert.equal(b.root.get('aa'), undefined)
    assert.deepEqual(a.toJS(), { aa: 1, bb: [{ cc: 2 }] })
    assert.deepEqual(b.toJS(), { xx: 1, yy: [{ zz: 2 }] })
  }
  a.release()
  // The block of `a`, again: same offsets, another document.
  const c = pool.parseJson('{"pp":1,"qq":[{"rr":2}]}')
  assert.deepEqual(c.root.keys(), ['pp', 'qq'])
  assert.deepEqual(c.toJS(), { pp: 1, qq: [{ rr: 2 }] })
  assert.deepEqual(b.root.keys(), ['xx', 'yy'])
  b.release()
  c.release()
  pool.close()
})
