'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { rt, settleLiveBlocks, MODES, liveBlocksBaseline } = require('./helpers')
const { checkCopyModeForcedByEnv } = require('./cases')

test('geometry constants come from Rust', () => {
  assert.equal(rt.BLOCK_ALIGN, 2 ** 32)
  assert.equal(rt.BLOCK_SIZE, 2 ** 31 - 16)
  assert.equal(rt.RAW_METADATA_SIZE, 16)
  assert.equal(rt.RAW_METADATA_OFFSET, 0)
  assert.equal(rt.constants.DATA_START + rt.ACTIVE_SIZE, rt.BUFFER_SIZE)
  assert.ok(rt.BUFFER_SIZE < rt.BLOCK_SIZE)
})

for (const transfer of MODES) {
  test(`${transfer}: a block's buffer is the prefix its data needs (1 MiB at least) and carries what Rust wrote`, async () => {
    const start = await liveBlocksBaseline()
    // In a function of its own, so no reference to the block outlives it.
    ;(() => {
      const pool = new rt.FixedSizeAllocatorPool({ size: 2, transfer })
      assert.equal(pool.transferMode, transfer)
      const block = pool.acquire()
      assert.equal(block.buffer.byteLength, 1 << 20)
      assert.equal(block.buffer.buffer.byteLength, 1 << 20)
      const s = block.writeString('héllo, wörld ✓ 😀')
      assert.equal(block.raw.str(s.ptr, s.len), 'héllo, wörld ✓ 😀')
      const ascii = block.writeString('plain ascii')
      assert.equal(block.raw.str(ascii.ptr, ascii.len), 'plain ascii')
      const long = 'x'.repeat(1000) + 'é'
      const l = block.writeString(long)
      assert.equal(block.raw.str(l.ptr, l.len), long)
      const bytes = Uint8Array.from({ length: 256 }, (_, i) => i)
      const b = block.writeBytes(bytes)
      assert.equal(b.ptr % 8, 0, "8-aligned after odd-length strings")
      assert.deepEqual(block.buffer.subarray(b.ptr, b.ptr + b.len), bytes)
      block.setDataOffset(b.ptr)
      assert.equal(block.raw.dataOffset, b.ptr)
      assert.equal(block.raw.generation, block.generation)
      // Pointers: an 8-byte little-endian value whose low 32 bits are the offset.
      const ptrBytes = new Uint8Array(8)
      new DataView(ptrBytes.buffer).setBigUint64(0, 7n * 2n ** 32n + BigInt(s.ptr), true)
      const p = block.writeBytes(ptrBytes)
      assert.equal(p.ptr % 8, 0, 'writeBytes is 8-byte aligned, even after an odd-length string')
      assert.equal(block.raw.ptr(p.ptr), s.ptr)
      block.release()
      assert.equal(rt.liveBlocks(), start + 1)
      pool.close()
    })()
    assert.equal(await settleLiveBlocks(start), start)
  })

  test(`${transfer}: the same block handed out twice gives the identical ArrayBuffer`, () => {
    const pool = new rt.FixedSizeAllocatorPool({ size: 1, transfer })
    const a = pool.acquire()
    const firstBuffer = a.raw.arrayBuffer
    const gen = a.generation
    a.release()
    const b = pool.acquire()
    assert.equal(b.id, a.id)
    assert.equal(b.raw, a.raw)
    assert.equal(b.raw.arrayBuffer, firstBuffer)
    assert.equal(b.generation, gen + 1)
    assert.equal(b.raw.generation, gen + 1)
    assert.equal(pool.cache.size, 1)
    b.release()
    pool.close()
  })

  test(`${transfer}: stats`, () => {
    const pool = new rt.FixedSizeAllocatorPool({ size: 3, transfer })
    const a = pool.acquire()
    a.writeBytes(new Uint8Array(3 << 20).fill(1))
    const s = pool.stats()
    assert.equal(s.size, 3)
    assert.equal(s.created, 1)
    assert.equal(s.inUse, 1)
    assert.equal(s.available, 0)
    assert.ok(s.committedBytes >= 3 << 20 && s.committedBytes < 5 << 20, `${s.committedBytes}`)
    assert.ok(s.residentBytes >= 3 << 20 && s.residentBytes <= s.committedBytes)
    a.release()
    assert.equal(pool.stats().available, 1)
    pool.close()
  })
}

test('external: zero-copy — Rust writes appear in JS without a copy', () => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1, transfer: 'external' })
  const block = pool.acquire()
  const before = process.memoryUsage().arrayBuffers
  const data = new Uint8Array(64 << 20).fill(7)
  const afterInput = process.memoryUsage().arrayBuffers
  const w = block.writeBytes(data)
  const after = process.memoryUsage().arrayBuffers
  // The input itself costs 64 MB; the write into the block must not cost another 64 MB.
  assert.ok(afterInput - before >= 64 << 20)
  assert.ok(after - afterInput < 1 << 20, `arrayBuffers grew by ${after - afterInput}`)
  assert.equal(block.buffer[w.ptr], 7)
  assert.equal(block.buffer[w.ptr + w.len - 1], 7)
  block.release()
  pool.close()
})

test('copy: the fallback is reported and forced by RAW_TRANSFER_MODE', () => {
  checkCopyModeForcedByEnv(rt, process.env)
})

test('uncommitted parts of a block read as zeros (no fault), and slices work', () => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  const block = pool.acquire()
  const w = block.writeString('committed')
  let sum = 0
  // Grow the block's buffer past what is committed: 40 MB written, a 64 MiB buffer.
  block.writeBytes(new Uint8Array(40 << 20))
  const len = block.buffer.length
  assert.equal(len, 64 << 20)
  for (let i = 41 << 20; i < len; i += 1 << 20) sum += block.buffer[i]
  assert.equal(sum, 0)
  const tail = block.buffer.slice(len - (1 << 20), len)
  assert.equal(tail.length, 1 << 20)
  assert.ok(tail.every((b) => b === 0))
  assert.equal(Buffer.from(block.copyToBuffer(w.ptr, w.len)).toString(), 'committed')
  assert.ok(pool.stats().committedBytes < 60 << 20, 'reading did not commit memory')
  block.release()
  pool.close()
})

test('block ids are the block base >> 32: distinct, non-zero, stable across reuse', () => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 3 })
  const blocks = [pool.acquire(), pool.acquire(), pool.acquire()]
  const ids = blocks.map((b) => b.id)
  assert.equal(new Set(ids).size, 3)
  for (const id of ids) assert.ok(Number.isInteger(id) && id > 0 && id < 2 ** 25)
  blocks[1].release()
  const again = pool.acquire()
  assert.equal(again.id, ids[1])
  assert.ok(again.generation > blocks[1].generation)
  pool.close()
})
