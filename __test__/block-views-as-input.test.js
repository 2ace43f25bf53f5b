'use strict'
// Bytes of a block passed back in as input: the view of a released document's block (the
// next document is built in that very block with a pool of one) or of a live one.
const test = require('node:test')
const assert = require('node:assert/strict')
const { rt, MODES } = require('./helpers')

const INNER = '[12345678901234567,"abcdefgh",[1,2,3],{"k":true}]'
const OUTER = `{"pad":"${'x'.repeat(40)}","doc":${INNER}}`
/** Where the block's copy of the source shows INNER (the copy is the document's first allocation). */
const innerAt = (doc) => Buffer.from(doc.raw.arrayBuffer, 0, 4096).indexOf(INNER)

for (const transfer of MODES) {
  test(`${transfer}: parseJson of a view over a released block's bytes parses those bytes`, () => {
    const pool = new rt.FixedSizeAllocatorPool({ size: 1, transfer })
    const doc = pool.parseJson(OUTER)
    const view = new Uint8Array(doc.raw.arrayBuffer, innerAt(doc), INNER.length)
    assert.equal(Buffer.from(view).toString(), INNER)
    doc.release()
    // The next document goes into the same block, over the bytes `view` shows.
    const again = pool.parseJson(view)
    assert.deepEqual(again.toJS(), JSON.parse(INNER))
    assert.equal(again.text(), INNER)
    again.release()
    pool.close()
  })

  test(`${transfer}: writeBytes of a view over the same block copies what the view showed`, () => {
    const pool = new rt.FixedSizeAllocatorPool({ size: 1, transfer })
    const block = pool.acquire()
    const first = block.writeBytes(new TextEncoder().encode('0123456789abcdefghijklmnopqrstuvwxyz'))
    // A view that runs on past the first write, over where the second goes.
    const view = new Uint8Array(block.raw.arrayBuffer, first.ptr + 4, 4096)
    const expected = Buffer.from(view).toString()
    const second = block.writeBytes(view)
    block.handOff()
    assert.equal(Buffer.from(block.buffer.subarray(second.ptr, second.ptr + second.len)).toString(), expected)
    block.release()
    pool.close()
  })
}

test('a view of another live block is read as it is', () => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 2 })
  const a = pool.parseJson(OUTER)
  const view = new Uint8Array(a.raw.arrayBuffer, innerAt(a), INNER.length)
  const b = pool.parseJson(view)
  assert.deepEqual(b.toJS(), JSON.parse(INNER))
  a.release()
  b.release()
  pool.close()
})
