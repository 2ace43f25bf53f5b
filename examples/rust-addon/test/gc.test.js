'use strict'
// Both release/GC orders (Rust lets go first, or JS does), and closing with blocks still
// out: nothing crashes, the data stays right, and once both sides let go the blocks are
// freed (pool.stats().created / committedBytes back to 0).
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { CsvPool, readTable, reader } = require('..')
const { csv, expected, rowsOf, nextTick, gcUntil } = require('./helpers')

for (const transfer of ['external', 'copy']) {
  test(`${transfer}: release, then drop JS refs + gc`, async () => {
    const pool = new CsvPool({ size: 2, transfer })
    for (let k = 0; k < 200; k++) {
      let t = pool.parse(csv(5, k))
      let rows = t.table.rows.toJS()
      assert.deepEqual(rows, expected(5, k))
      pool.release(t.id) // Rust first...
      t = rows = null // ...then JS
      if (k % 20 === 0) {
        global.gc()
        await nextTick()
      }
    }
    const s = pool.stats()
    assert.deepEqual([s.created, s.inUse, s.checkedOut], [1, 0, 0], 'one block, reused')
    pool.close()
    assert.ok(await gcUntil(() => pool.stats().committedBytes === 0), 'blocks freed after close + gc')
    assert.equal(pool.stats().created, 0)
  })

  test(`${transfer}: drop JS refs + gc, then release`, async () => {
    const pool = new CsvPool({ size: 2, transfer })
    for (let k = 0; k < 200; k++) {
      let a = pool.parse(csv(3, k))
      let b = pool.parse(csv(4, k + 1))
      const ids = [a.id, b.id]
      const before = [a.table.rows.toJS(), b.table.rows.toJS()]
      a = b = null // JS first (the pool's cache keeps the buffers, as it must while the pool is open)...
      global.gc()
      await nextTick()
      // ...the blocks are still checked out and intact after the GC...
      assert.deepEqual(before, [expected(3, k), expected(4, k + 1)])
      assert.deepEqual(rowsOf(pool.cache.get(ids[0])), expected(3, k))
      assert.deepEqual(rowsOf(pool.cache.get(ids[1])), expected(4, k + 1))
      assert.equal(pool.stats().checkedOut, 2)
      for (const id of ids) pool.release(id) // ...then Rust
    }
    assert.deepEqual([pool.stats().created, pool.stats().inUse], [2, 0])
    pool.close()
    assert.ok(await gcUntil(() => pool.stats().committedBytes === 0))
  })

  test(`${transfer}: close with a block out, read it, release it after close, then gc`, async () => {
    const pool = new CsvPool({ size: 2, transfer })
    let t = pool.parse(csv(6, 9))
    let u = pool.parse(csv(2, 10))
    pool.release(u.id)
    pool.close()
    assert.deepEqual(t.table.rows.toJS(), expected(6, 9), 'still readable after close')
    assert.equal(pool.stats().created, 1, 'the idle block was freed at close; the one out stays')
    pool.release(t.id)
    // Released after close: Rust gives the block's memory back at once. The buffer JS holds
    // stays mapped until the GC collects it, reading zeros (external) or JS's own copy.
    assert.equal(pool.stats().committedBytes, 0)
    // The view kept is stale in both modes (release() marked its document); a new read of
    // the external buffer finds zeros there (another layout hash), the copy its old bytes.
    assert.throws(() => t.table.rows, reader.StaleBufferError)
    if (transfer === 'external') assert.throws(() => readTable(t.raw), reader.LayoutMismatchError)
    else assert.deepEqual(readTable(t.raw).rows.toJS(), expected(6, 9))
    t = u = null
  })

  test(`${transfer}: a pool dropped by the GC without close(), a block still out: no crash`, async () => {
    const { binding } = require('..')
    let pool = new binding.CsvPool(2, transfer)
    let cache = new reader.BufferCache()
    const t = pool.parse(csv(3, 1)) // left checked out on purpose
    assert.deepEqual(rowsOf(cache.receive(t.id, t.buffer)), expected(3, 1))
    pool = cache = null
    for (let i = 0; i < 20; i++) {
      global.gc()
      await nextTick()
    }
    // The pool's finalizer closed it and the block went with the buffer: nothing left to
    // observe from JS (the stats went with the pool) but the absence of a crash.
  })
}
