'use strict'
// The native pool's fast calls (src/napi/fast.rs): `parseJson` and `release` as plain
// Node-API functions, which JsonPool uses for every parseJson and every release. A hand-off
// without a buffer comes back as the number `id × 2^32 + generation`; arguments are checked
// as the napi-rs methods check them; the functions keep the pool's native state alive.

const test = require('node:test')
const assert = require('node:assert/strict')
const { rt, liveBlocksBaseline, settleLiveBlocks } = require('./helpers')

for (const transfer of ['external', 'copy']) {
  test(`${transfer}: a hand-off without a buffer is id × 2^32 + generation, and names the block JS reads`, () => {
    const pool = new rt.JsonPool({ size: 2, transfer })
    try {
      const fast = pool._fastCalls()
      assert.equal(pool._fastCalls(), fast, 'made once per pool')
      const seen = new Map() // id -> the generation of its last hand-off
      let numbers = 0
      for (let i = 0; i < 40; i++) {
        const sent = fast.parseJson(Buffer.from(JSON.stringify({ i, pad: 'x'.repeat(i * 31) })))
        let id, generation
        if (typeof sent === 'number') {
          numbers++
          assert.ok(Number.isSafeInteger(sent) && sent > 2 ** 32, String(sent))
          generation = sent % 2 ** 32
          id = (sent - generation) / 2 ** 32
          assert.ok(seen.has(id), 'no buffer only for a block this environment was sent before')
        } else {
          ;({ id, generation } = sent)
          assert.ok(sent.buffer instanceof ArrayBuffer, 'an object carries the buffer')
          pool.cache.receive(id, sent.buffer)
        }
        if (seen.has(id)) assert.ok(generation > seen.get(id), 'each hand-off of a block is a new generation')
        seen.set(id, generation)
        // The block's own record agrees (the generation is the one in its metadata).
        pool.cache.get(id).assertGeneration(generation)
        fast.release(id)
      }
      assert.ok(numbers >= 30, `most hand-offs are numbers (${numbers} of 40)`)
      // acquire: an empty block, handed off the same way.
      for (let i = 0; i < 6; i++) {
        const sent = fast.acquire()
        const id = typeof sent === 'number' ? Math.floor(sent / 2 ** 32) : sent.id
        if (typeof sent !== 'number') pool.cache.receive(id, sent.buffer)
        assert.ok(seen.has(id) || typeof sent !== 'number')
        fast.release(id)
      }
      // Through JsonPool, documents read their own text.
      for (let i = 0; i < 10; i++) {
        const doc = pool.parseJson(`[${i}, "${'y'.repeat(i)}"]`)
        assert.deepEqual(doc.toJS(), [i, 'y'.repeat(i)])
        doc.release()
      }
      assert.equal(pool._native.checkedOut, 0)
    } finally {
      pool.close()
    }
  })
}

test("fast parseJson reads exactly the Uint8Array's bytes and refuses anything else", () => {
  const pool = new rt.JsonPool({ size: 1 })
  try {
    const fast = pool._fastCalls()
    // A view with an offset and a length shorter than its buffer.
    const whole = Buffer.from('xx{"a":[1,2]}yy')
    const doc = pool.parseJson(whole.subarray(2, whole.length - 2))
    assert.deepEqual(doc.toJS(), { a: [1, 2] })
    doc.release()
    const u8 = new Uint8Array(new TextEncoder().encode(' [true] ').buffer, 1, 6)
    const d2 = pool.parseJson(u8)
    assert.deepEqual(d2.toJS(), [true])
    d2.release()
    for (const bad of [undefined, null, 5, '[1]', {}, [91, 93], new Uint16Array(2), new Uint8ClampedArray([91, 93]), new DataView(new ArrayBuffer(2)), new ArrayBuffer(2)]) {
      assert.throws(() => fast.parseJson(bad), rt.InvalidArgumentError, String(bad))
    }
    assert.throws(() => fast.parseJson(), rt.InvalidArgumentError, 'no argument')
    // Not constructors: `new` would drop the packed hand-off a call returns (its block then
    // checked out with no id to give back).
    for (const name of ['parseJson', 'acquire', 'handOff', 'release']) {
      assert.throws(() => new fast[name](Buffer.from('[]')), (e) => e instanceof rt.InvalidArgumentError && /not a constructor/.test(e.message), name)
    }
    assert.equal(pool._native.checkedOut, 0, 'nothing was checked out by a `new` call')
    // A detached buffer has no bytes: the empty text.
    const detached = new Uint8Array(8)
    structuredClone(detached.buffer, { transfer: [detached.buffer] })
    assert.throws(() => fast.parseJson(detached), rt.JsonSyntaxError)
    assert.throws(() => fast.parseJson(Buffer.from('{"a":')), (e) => e instanceof rt.JsonSyntaxError && e.offset === 5)
    assert.equal(pool._native.checkedOut, 0, 'a failed parse keeps no block')
  } finally {
    pool.close()
  }
})

test('fast release takes block ids only (InvalidArgumentError) and refuses a block that is not out (StaleBufferError)', () => {
  const pool = new rt.JsonPool({ size: 1 })
  try {
    const fast = pool._fastCalls()
    const doc = pool.parseJson('[1]')
    const id = doc._block.id
    for (const bad of [0, -1, 0.5, id + 2 ** 32, NaN, Infinity, '1', null, undefined, {}, 1n]) {
      assert.throws(() => fast.release(bad), rt.InvalidArgumentError, String(bad))
      assert.throws(() => fast.handOff(bad), rt.InvalidArgumentError, String(bad))
    }
    assert.throws(() => fast.release(), rt.InvalidArgumentError)
    assert.throws(() => fast.handOff(), rt.InvalidArgumentError)
    assert.throws(() => fast.handOff(id + 1), rt.StaleBufferError)
    // A block out: handed off again, with no buffer (this environment has it).
    const again = fast.handOff(id)
    assert.equal(typeof again, 'number')
    assert.equal(again, id * 2 ** 32 + doc._block.generation)
    assert.equal(pool._native.checkedOut, 1, 'no bad id gave the block back')
    assert.throws(() => fast.release(id + 1), rt.StaleBufferError)
    assert.equal(doc.root.at(0).value, 1)
    doc.release()
    assert.equal(pool._native.checkedOut, 0)
    assert.throws(() => fast.release(id), rt.StaleBufferError, 'released twice')
    assert.throws(() => fast.handOff(id), rt.StaleBufferError, 'handed off once released')
    assert.throws(() => doc.root, rt.StaleBufferError)
  } finally {
    pool.close()
  }
})

test('fast calls outlive their JsonPool object, fail typed once it is closed, and free the pool when collected', async () => {
  const base = await liveBlocksBaseline()
  // (Made in a function of its own, so that nothing of this async function's holds the pool.)
  let fast = (() => {
    const pool = new rt.JsonPool({ size: 2 })
    const d = pool.parseJson('{"k":1}')
    assert.equal(d.root.get('k').value, 1)
    d.release()
    return pool._fastCalls()
  })()
  // The JsonPool object may be collected: its functions still work, on the same native pool.
  await settleLiveBlocks(-1) // a few GC rounds
  ;(() => {
    // (In a function of its own: the hand-off may carry the block's buffer again.)
    const sent = fast.parseJson(Buffer.from('[2]'))
    fast.release(typeof sent === 'number' ? Math.floor(sent / 2 ** 32) : sent.id)
  })()
  assert.ok(rt.liveBlocks() > base, 'the pool keeps its blocks while the functions live')
  // Once the functions go too, the pool's blocks are freed.
  fast = null
  assert.equal(await settleLiveBlocks(base), base, 'liveBlocks() back to its baseline')

  const pool = new rt.JsonPool({ size: 1 })
  const f = pool._fastCalls()
  pool.close()
  assert.throws(() => f.parseJson(Buffer.from('[]')), rt.PoolClosedError)
})

test('a Uint8Array over a SharedArrayBuffer that another thread writes during parses: documents or typed errors, never a crash', async () => {
  const { Worker } = require('node:worker_threads')
  const text = Buffer.from(JSON.stringify({ list: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `n${i}é` })) }))
  const sab = new SharedArrayBuffer(text.length + 8)
  const view = new Uint8Array(sab, 8, text.length)
  view.set(text)
  const flag = new Int32Array(sab, 0, 1)
  // The worker writes hostile bytes (quotes, brackets, invalid UTF-8, digits) at random
  // places and puts the text back, until told to stop.
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads')
    const u = new Uint8Array(workerData.sab, 8, workerData.len)
    const flag = new Int32Array(workerData.sab, 0, 1)
    const orig = u.slice()
    const bad = [0x22, 0x5b, 0x7d, 0xff, 0xc3, 0x80, 0x30, 0x5c, 0x00]
    let n = 0
    Atomics.store(flag, 0, 1)
    while (Atomics.load(flag, 0) === 1) {
      const at = (n * 7919) % u.length
      u[at] = bad[n % bad.length]
      if (++n % 16 === 0) u.set(orig)
    }`,
    { eval: true, workerData: { sab, len: text.length } },
  )
  while (Atomics.load(flag, 0) !== 1) await new Promise((r) => setTimeout(r, 1))
  const pool = new rt.JsonPool({ size: 2 })
  let docs = 0
  let errors = 0
  try {
    for (let i = 0; i < 3000; i++) {
      let doc
      try {
        doc = pool.parseJson(view)
      } catch (e) {
        assert.ok(e instanceof rt.RawTransferError, `a typed error, got ${e}`)
        errors++
        continue
      }
      docs++
      // A document is whatever bytes the copy caught: read all of it.
      JSON.stringify(doc.toJS())
      doc.release()
    }
  } finally {
    Atomics.store(flag, 0, 0)
    await worker.terminate()
    pool.close()
  }
  assert.equal(docs + errors, 3000)
  assert.ok(errors > 0, 'the writer was seen')
})
