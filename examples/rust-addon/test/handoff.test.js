'use strict'
// 10 000 hand-offs through the raw native API: a pool of 2 blocks reused over and over;
// the buffer comes with a block's first hand-off only, generations only go up, and every
// value is read back in JS.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { binding, reader } = require('..')
const { csv, expected, rowsOf } = require('./helpers')

for (const transfer of ['auto', 'external', 'copy']) {
  test(`${transfer}: 10 000 hand-offs reuse 2 blocks, every value checked`, () => {
    const pool = new binding.CsvPool(2, transfer)
    assert.equal(pool.transferMode, transfer === 'copy' ? 'copy' : 'external')
    const cache = new reader.BufferCache()
    const buffers = new Map() // id -> the one ArrayBuffer it came with
    const lastGeneration = new Map()
    let handOffs = 0
    const take = (sent) => {
      handOffs++
      if (buffers.has(sent.id)) {
        assert.equal(sent.buffer, null, 'a block brings its buffer only the first time')
      } else {
        assert.ok(sent.buffer instanceof ArrayBuffer, 'the first hand-off brings the buffer')
        assert.equal(sent.buffer.byteLength, 1 << 20, "a prefix of the block, as long as its data needs (1 MiB at least)")
        buffers.set(sent.id, sent.buffer)
      }
      const raw = cache.receive(sent.id, sent.buffer)
      assert.equal(raw.arrayBuffer, buffers.get(sent.id))
      assert.equal(raw.generation, sent.generation)
      assert.ok(sent.generation > (lastGeneration.get(sent.id) ?? 0), 'generation increases on reuse')
      lastGeneration.set(sent.id, sent.generation)
      return raw
    }
    for (let k = 0; k < 5000; k++) {
      // Two blocks out at once, so both are used; then both back.
      const n1 = 1 + (k % 9)
      const n2 = 1 + ((k * 7) % 13)
      const a = pool.parse(csv(n1, 2 * k))
      const b = pool.parse(csv(n2, 2 * k + 1))
      assert.notEqual(a.id, b.id)
      const ra = take(a)
      const rb = take(b)
      assert.deepEqual(rowsOf(ra), expected(n1, 2 * k))
      assert.deepEqual(rowsOf(rb), expected(n2, 2 * k + 1))
      // A third is refused while both are out.
      assert.throws(() => pool.parse('x,1'), reader.PoolExhaustedError)
      if (k % 2) {
        pool.release(a.id)
        pool.release(b.id)
      } else pool.releaseMany(Uint32Array.of(b.id, 0, a.id, 0)) // [id, doc] pairs: one document each
    }
    assert.equal(handOffs, 10_000)
    assert.equal(buffers.size, 2, 'two blocks, each wrapped once')
    assert.equal(cache.size, 2)
    for (const [id, g] of lastGeneration) assert.ok(g >= 5000, `block ${id} reached generation ${g}`)
    const s = pool.stats()
    assert.deepEqual([s.size, s.created, s.inUse, s.checkedOut], [2, 2, 0, 0])
    pool.close()
    assert.equal(pool.closed, true)
  })

  test(`${transfer}: typed errors, and a failed parse returns its block`, () => {
    const pool = new binding.CsvPool(1, transfer)
    const cache = new reader.BufferCache()
    for (let i = 0; i < 3; i++) {
      assert.throws(
        () => pool.parse('a,1\nb;2'),
        (e) => e instanceof reader.RawTransferError && e.code === 'CsvSyntax' && e.line === 2 && e.column === 4 && e.offset === 7,
      )
      assert.throws(() => pool.parse('"open,1'), (e) => e.code === 'CsvSyntax' && /unterminated/.test(e.message))
      assert.throws(() => pool.parse('a,x'), (e) => e.code === 'CsvSyntax' && /not a number/.test(e.message))
    }
    assert.equal(pool.stats().inUse, 0, 'failed parses gave their block back')
    const t = pool.parse('only,42')
    assert.deepEqual(rowsOf(cache.receive(t.id, t.buffer)), [{ name: 'only', value: 42, line: 1 }])
    assert.throws(() => pool.release(t.id + 1), reader.StaleBufferError)
    pool.release(t.id)
    assert.throws(() => pool.release(t.id), reader.StaleBufferError, 'a second release is stale')
    assert.throws(() => pool.parseFile('/nonexistent/x.csv'), (e) => e.code === 'Io')
    assert.throws(() => new binding.CsvPool(0, transfer), reader.InvalidArgumentError)
    assert.throws(() => new binding.CsvPool(1, 'zero-copy'), reader.InvalidArgumentError)
    pool.close()
    assert.throws(() => pool.parse('a,1'), reader.PoolClosedError)
  })
}

test('empty input: a table of no rows', () => {
  const pool = new binding.CsvPool(1, 'auto')
  const t = pool.parse('\n\n')
  const cache = new reader.BufferCache()
  assert.deepEqual(rowsOf(cache.receive(t.id, t.buffer)), [])
  pool.release(t.id)
  pool.close()
})
