'use strict'
// What a closed pool still holds. Blocks a JS buffer references stay mapped until the GC
// collects the buffer (freeing them earlier would pull memory from under native code that
// may still read it, such as an fs or socket write of a view), but they hold no memory
// once the pool lets go of them, and stats() agrees with liveBlocks().
const test = require('node:test')
const assert = require('node:assert/strict')
const { rt, MODES, liveBlocksBaseline, settleLiveBlocks } = require('./helpers')

for (const transfer of MODES) {
  test(`${transfer}: close gives back the memory of the blocks it lets go of, at once`, async () => {
    const start = await liveBlocksBaseline()
    // In a function of its own, so no variable keeps a document's buffer reachable.
    ;(() => {
      const pool = new rt.FixedSizeAllocatorPool({ size: 2, transfer })
      const big = JSON.stringify(Array.from({ length: 200000 }, (_, i) => ({ i })))
      const held = pool.parseJson('{"held":true}')
      const idle = pool.parseJson(big)
      idle.release() // back in the pool, idle, its pages retained for the next document
      assert.ok(pool.stats().committedBytes > 4 * 2 ** 20)
      pool.close()
      // The idle block was retired: nothing committed. The held one still reads.
      const afterClose = pool.stats()
      assert.equal(afterClose.created, 1)
      assert.equal(afterClose.inUse, 1)
      assert.ok(afterClose.committedBytes <= 2 ** 20, `committed ${afterClose.committedBytes}`)
      assert.deepEqual(held.toJS(), { held: true })
      held.release()
      const afterRelease = pool.stats()
      assert.equal(afterRelease.created, 0)
      assert.equal(afterRelease.committedBytes, 0)
      assert.equal(afterRelease.residentBytes, 0)
    })()
    // Mapped until the GC has collected the buffers, then gone.
    assert.equal(await settleLiveBlocks(start), start)
  })
}
