'use strict'
// What a hand-off costs V8. A pool sends JS a prefix of each block, as long as the data in
// use needs (a power of two, 1 MiB at least), not the whole 2 GiB: V8 counts an external
// buffer's whole length as external memory and answers a large one with a full
// mark-compact, which at a 1 GB heap took most of a second per block. A block that grows
// past its buffer gets a longer one at its next hand-off; the cache replaces the old one.
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const path = require('node:path')
const { rt, MODES } = require('./helpers')

const root = path.join(__dirname, '..')

test('first hand-offs at a 1 GB heap cause no major GC, and V8 counts MiBs, not 2 GiB per block', () => {
  const code = `
    const rt = require(${JSON.stringify(root)})
    const { PerformanceObserver, constants } = require('node:perf_hooks')
    const keep = []
    while (process.memoryUsage().heapUsed < 1e9) keep.push(Array.from({ length: 1000 }, (_, i) => ({ i, s: 'x' + i })))
    global.gc()
    let major = 0
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) major++
    })
    obs.observe({ entryTypes: ['gc'] })
    const externalBefore = process.memoryUsage().external
    const pool = new rt.JsonPool({ size: 8 })
    const t0 = performance.now()
    const docs = Array.from({ length: 8 }, (_, i) => pool.parseJson(JSON.stringify({ i, pad: 'x'.repeat(1000) })))
    const first = performance.now() - t0
    const external = process.memoryUsage().external - externalBefore
    for (const d of docs) d.release()
    const t1 = performance.now()
    for (let i = 0; i < 8; i++) pool.parseJson('{"again":true}').release()
    const repeat = performance.now() - t1
    setImmediate(() => {
      obs.disconnect()
      console.log(JSON.stringify({ major, first, repeat, external, heap: process.memoryUsage().heapUsed, kept: keep.length }))
      pool.close()
    })
  `
  const res = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=3000', '-e', code], { encoding: 'utf8', timeout: 120_000 })
  assert.equal(res.status, 0, res.stderr)
  const r = JSON.parse(res.stdout.trim().split('\n').pop())
  assert.ok(r.heap > 0.9e9, `heap ${r.heap}`)
  assert.equal(r.major, 0, `major GCs during 8 first hand-offs: ${JSON.stringify(r)}`)
  // 8 blocks of 1 KB: 8 buffers of 1 MiB (the old 2 GiB each made this 16 GiB).
  assert.ok(r.external <= 64 * 2 ** 20, `external memory grew by ${r.external}`)
})

for (const transfer of MODES) {
  test(`${transfer}: a block that outgrows its buffer is sent a longer one; the cache replaces it`, () => {
    const pool = new rt.JsonPool({ size: 1, transfer })
    const small = pool.parseJson('{"small":[1,2,3]}')
    const smallBuffer = small.raw.arrayBuffer
    assert.equal(smallBuffer.byteLength, 1 << 20)
    small.release()
    // The same block, now holding ~3 MB: a 4 MiB buffer replaces the 1 MiB one.
    const items = Array.from({ length: 60000 }, (_, i) => ({ i, s: `item ${i}` }))
    const big = pool.parseJson(JSON.stringify({ items }))
    assert.equal(big.bufferId, small.bufferId)
    assert.ok(big.raw.arrayBuffer.byteLength >= 4 << 20 && big.raw.arrayBuffer !== smallBuffer)
    assert.deepEqual(big.toJS().items.at(-1), items.at(-1))
    assert.equal(pool.cache.get(big.bufferId).arrayBuffer, big.raw.arrayBuffer)
    big.release()
    // Back to a small document: the longer buffer is kept (no new wrapper).
    const again = pool.parseJson('[1]')
    assert.equal(again.raw.arrayBuffer, big.raw.arrayBuffer)
    again.release()
    pool.close()
  })

  test(`${transfer}: after a big document, small ones get a short buffer again (the fourth in a row), and the long one goes`, () => {
    const pool = new rt.JsonPool({ size: 1, transfer })
    // About 40 MB of arena: a buffer of 64 MiB or more.
    const items = Array.from({ length: 600000 }, (_, i) => ({ i, s: `item ${i}` }))
    const big = pool.parseJson(JSON.stringify({ items }))
    const long = big.raw.arrayBuffer
    assert.ok(long.byteLength >= 32 << 20, `${long.byteLength}`)
    big.release()
    // A few small documents keep the long buffer (a block alternating big and small ones
    // must not wrap a long buffer again each time) ...
    const lengths = []
    for (let k = 0; k < 4; k++) {
      const d = pool.parseJson(`{"k":${k}}`)
      lengths.push(d.raw.arrayBuffer.byteLength)
      assert.equal(d.toJS().k, k)
      d.release()
    }
    assert.deepEqual(lengths.slice(0, 3), [long.byteLength, long.byteLength, long.byteLength])
    // ... then the block is sent the buffer its data needs, which the cache keeps.
    assert.equal(lengths[3], 1 << 20)
    const d = pool.parseJson('{"after":true}')
    assert.equal(d.raw.arrayBuffer.byteLength, 1 << 20)
    assert.equal(pool.cache.get(d.bufferId).arrayBuffer, d.raw.arrayBuffer)
    // A view kept from the big document still reads its block's generation: stale.
    assert.throws(() => big.root, rt.StaleBufferError)
    d.release()
    // Alternating big and small: the long buffer stays.
    const big2 = pool.parseJson(JSON.stringify({ items }))
    const long2 = big2.raw.arrayBuffer
    big2.release()
    for (let k = 0; k < 3; k++) {
      const s = pool.parseJson('[1]')
      assert.equal(s.raw.arrayBuffer, long2)
      s.release()
      const b = pool.parseJson(JSON.stringify({ items: items.slice(0, 300000) }))
      assert.equal(b.raw.arrayBuffer, long2)
      b.release()
    }
    pool.close()
  })

  test(`${transfer}: Block writes past the buffer JS holds hand the block off again`, () => {
    const pool = new rt.JsonPool({ size: 1, transfer })
    const block = pool.acquire()
    const before = block.raw
    assert.equal(before.u8.length, 1 << 20)
    const chunk = Uint8Array.from({ length: 3 << 20 }, (_, i) => i & 0xff)
    const w = block.writeBytes(chunk)
    assert.ok(block.buffer.length >= w.ptr + w.len, 'block.buffer covers what was written')
    assert.notEqual(block.raw, before)
    assert.equal(block.buffer[w.ptr + 12345], 12345 & 0xff)
    const s = block.writeString('tail')
    assert.equal(block.raw.str(s.ptr, s.len), 'tail')
    block.release()
    pool.close()
  })
}
