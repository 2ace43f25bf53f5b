'use strict'
// Who frees a block: Rust (pool close / release after close) or the GC (finalizer of the
// last JS buffer), in both orders, in both transfer modes.
const test = require('node:test')
const assert = require('node:assert/strict')
const { rt, settleLiveBlocks, collectUntil, MODES, liveBlocksBaseline } = require('./helpers')
const { closedPoolHolder, readAfterClose } = require('./cases')

for (const transfer of MODES) {
  test(`${transfer}: pool closed while JS holds buffers — readable until the last reference goes`, async () => {
    const start = await liveBlocksBaseline()
    let holder = closedPoolHolder(rt, transfer)
    await collectUntil(() => false, 5)
    readAfterClose(holder) // Rust has let go
    assert.equal(rt.liveBlocks(), transfer === 'external' ? start + 1 : start)
    holder = null
    assert.equal(await settleLiveBlocks(start), start)
  })

  test(`${transfer}: JS drops its buffer first, Rust frees on release after close`, async () => {
    const start = await liveBlocksBaseline()
    const pool = new rt.FixedSizeAllocatorPool({ size: 1, transfer })
    let block = pool.acquire()
    const id = block.id // keep only the Rust side (the checked-out allocator)
    const np = pool._native
    block = null
    pool.close() // cache cleared: no JS reference to the buffer remains
    await collectUntil(() => false, 5)
    assert.equal(rt.liveBlocks(), start + 1, 'the checked-out allocator still owns the block')
    np.release(id)
    assert.equal(await settleLiveBlocks(start), start)
  })

  test(`${transfer}: JS drops buffers while the pool lives — the block stays and is reused`, async () => {
    const start = await liveBlocksBaseline()
    const pool = new rt.FixedSizeAllocatorPool({ size: 1, transfer })
    let id
    ;(() => {
      const b = pool.acquire()
      id = b.id
      b.release()
    })()
    await collectUntil(() => false, 5)
    assert.equal(rt.liveBlocks(), start + 1)
    ;(() => {
      const again = pool.acquire()
      assert.equal(again.id, id)
      again.writeString('reused')
      again.release()
    })()
    pool.close()
    assert.equal(await settleLiveBlocks(start), start)
  })

  test(`${transfer}: many pools, blocks and GCs leave nothing behind`, async () => {
    const start = await liveBlocksBaseline()
    for (let round = 0; round < 5; round++) {
      ;(() => {
        const pool = new rt.FixedSizeAllocatorPool({ size: 3, transfer })
        const blocks = [pool.acquire(), pool.acquire(), pool.acquire()]
        blocks.forEach((b, i) => b.writeString(`round ${round} block ${i}`))
        blocks[1].release()
        const again = pool.acquire()
        again.release()
        if (round % 2) pool.close() // else: the pool object itself is dropped and finalized
        blocks.forEach((b) => b.release())
      })()
    }
    assert.equal(await settleLiveBlocks(start), start)
  })
}

for (const transfer of MODES) {
  test(`${transfer}: a block checked out when the pool closes stays readable but takes no writes`, async () => {
    const pool = new rt.FixedSizeAllocatorPool({ size: 1, transfer })
    const block = pool.acquire()
    const w = block.writeString('before close')
    pool.close()
    assert.equal(block.raw.str(w.ptr, w.len), 'before close')
    assert.throws(() => block.writeString('after'), rt.PoolClosedError)
    assert.throws(() => block.handOff(), rt.PoolClosedError)
    assert.throws(() => block.setDataOffset(0), rt.PoolClosedError)
    assert.equal(Buffer.from(block.copyToBuffer(w.ptr, w.len)).toString(), 'before close')
    block.release()
  })
}
