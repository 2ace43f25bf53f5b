'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { rt, MODES } = require('./helpers')
const { checkStaleAfterRelease } = require('./cases')

for (const transfer of MODES) {
  test(`${transfer}: closed pool`, () => {
    const pool = new rt.FixedSizeAllocatorPool({ size: 1, transfer })
    pool.close()
    assert.throws(() => pool.acquire(), rt.PoolClosedError)
    pool.close() // idempotent
  })

  test(`${transfer}: exhausted pool fails fast, or after its timeout, saying how many are out`, () => {
    const pool = new rt.FixedSizeAllocatorPool({ size: 2, transfer })
    const held = [pool.acquire(), pool.acquire()]
    assert.throws(
      () => pool.acquire(),
      (e) => e instanceof rt.PoolExhaustedError && /2 of 2 blocks/.test(e.message),
    )
    const waiting = new rt.FixedSizeAllocatorPool({ size: 1, transfer, acquireTimeoutMs: 60 })
    const one = waiting.acquire()
    const t0 = process.hrtime.bigint()
    assert.throws(() => waiting.acquire(), rt.PoolExhaustedError)
    const waitedMs = Number(process.hrtime.bigint() - t0) / 1e6
    assert.ok(waitedMs >= 55, `waited ${waitedMs} ms`)
    one.release()
    assert.ok(waiting.acquire())
    held.forEach((b) => b.release())
    pool.close()
    waiting.close()
  })

  test(`${transfer}: data larger than the block`, () => {
    const pool = new rt.FixedSizeAllocatorPool({ size: 1, transfer })
    const block = pool.acquire()
    const huge = new Uint8Array(rt.ACTIVE_SIZE + 1) // zero pages: costs no memory until touched
    assert.throws(() => block.writeBytes(huge), rt.BlockFullError)
    const big = new Uint8Array(1 << 30)
    block.writeBytes(big)
    assert.throws(
      () => block.writeBytes(big),
      (e) => e instanceof rt.BlockFullError && /bytes requested/.test(e.message),
    )
    // The block still works after the error, and after reuse.
    const s = block.writeString('still fine')
    assert.equal(block.raw.str(s.ptr, s.len), 'still fine')
    block.release()
    const again = pool.acquire()
    assert.equal(again.usedBytes, rt.constants.DATA_START, 'reset: only the hand-off record')
    again.release()
    pool.close()
  })

  test(`${transfer}: stale use after release`, () => {
    const pool = new rt.JsonPool({ size: 1, transfer })
    checkStaleAfterRelease(rt, pool).release()
    pool.close()
  })

  test(`${transfer}: bad data offset`, () => {
    const pool = new rt.FixedSizeAllocatorPool({ size: 1, transfer })
    const block = pool.acquire()
    block.writeString('abc')
    assert.throws(() => block.setDataOffset(1000), rt.InvalidArgumentError)
    assert.throws(() => block.setDataOffset(-1), rt.InvalidArgumentError)
    block.release()
    pool.close()
  })
}

test('foreign buffers are refused', () => {
  assert.throws(() => new rt.RawBuffer(new Uint8Array(100)), rt.InvalidArgumentError)
  assert.throws(() => new rt.RawBuffer(new ArrayBuffer(16)), rt.InvalidArgumentError)
  assert.throws(() => new rt.RawBuffer('nope'), rt.InvalidArgumentError)
  const cache = new rt.BufferCache()
  assert.throws(() => cache.receive(1, new Uint8Array(10)), rt.InvalidArgumentError)
  assert.throws(() => cache.receive(1, null), rt.StaleBufferError)
  assert.throws(() => cache.receive(0, null), rt.InvalidArgumentError)
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  const block = pool.acquire()
  assert.throws(() => block.writeBytes('not bytes'), rt.InvalidArgumentError)
  assert.throws(() => block.writeString(42), rt.InvalidArgumentError)
  // A block buffer is accepted by a second cache, then by id; a buffer sent again replaces it.
  assert.ok(cache.receive(block.id, block.buffer) instanceof rt.RawBuffer)
  assert.ok(cache.receive(block.id, block.buffer) instanceof rt.RawBuffer)
  assert.equal(cache.receive(block.id, null).arrayBuffer, block.raw.arrayBuffer)
  block.release()
  pool.close()
})

test('bad pool options', () => {
  assert.throws(() => new rt.FixedSizeAllocatorPool({ size: 0 }), rt.InvalidArgumentError)
  assert.throws(() => new rt.FixedSizeAllocatorPool({ size: 1.5 }), rt.InvalidArgumentError)
  assert.throws(() => new rt.FixedSizeAllocatorPool({ transfer: 'zero' }), rt.InvalidArgumentError)
  assert.throws(() => new rt.FixedSizeAllocatorPool({ acquireTimeoutMs: -1 }), rt.InvalidArgumentError)
})
