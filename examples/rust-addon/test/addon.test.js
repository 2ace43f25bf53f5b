'use strict'
const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { Worker } = require('node:worker_threads')
const { CsvPool, readRows, binding } = require('..')
const reader = require('raw-transfer/reader')

const csv = (n, seed) => Array.from({ length: n }, (_, i) => `row ${seed}-${i},${seed * 1000 + i / 4}`).join('\n')
const expected = (n, seed) => Array.from({ length: n }, (_, i) => ({ name: `row ${seed}-${i}`, value: seed * 1000 + i / 4 }))

for (const transfer of ['external', 'copy']) {
  test(`${transfer}: 10 000 hand-offs reuse two blocks; every value checked`, () => {
    const pool = new CsvPool({ size: 2, transfer })
    assert.equal(pool.transferMode, transfer)
    const firsts = new Map()
    const lastGen = new Map()
    for (let k = 0; k < 10_000; k++) {
      const n = 1 + (k % 7)
      const t = pool.parse(csv(n, k))
      assert.deepEqual(readRows(t.raw), expected(n, k))
      assert.equal(t.raw.generation, t.generation)
      if (t.firstHandOff) firsts.set(t.id, (firsts.get(t.id) ?? 0) + 1)
      assert.ok(t.generation > (lastGen.get(t.id) ?? 0))
      lastGen.set(t.id, t.generation)
      pool.release(t.id)
    }
    assert.equal(firsts.size, 1, 'one block suffices when each is released before the next')
    assert.deepEqual([...firsts.values()], [1], 'the buffer comes only with the first hand-off')
    assert.throws(() => pool.release(lastGen.keys().next().value), reader.StaleBufferError)
    assert.throws(() => pool.parse('no comma'), (e) => e instanceof reader.RawTransferError && e.code === 'CsvSyntax' && /expected name,value/.test(e.message))
    pool.close()
  })

  test(`${transfer}: both release/GC orders`, async () => {
    const pool = new CsvPool({ size: 2, transfer })
    let t = pool.parse(csv(3, 1))
    pool.release(t.id) // Rust first, then JS drops its view
    t = null
    global.gc()
    let u = pool.parse(csv(3, 2))
    const id = u.id
    u = null // JS drops its view first (the cache still holds the buffer), then Rust
    global.gc()
    await new Promise((r) => setImmediate(r))
    pool.release(id)
    const again = pool.parse(csv(2, 3))
    assert.deepEqual(readRows(again.raw), expected(2, 3))
    pool.release(again.id)
    pool.close()
    global.gc()
  })
}

test('two workers each with their own pool', async () => {
  const code = `
    const { parentPort } = require('node:worker_threads')
    const { CsvPool, readRows } = require(${JSON.stringify(path.join(__dirname, '..'))})
    const pool = new CsvPool({ size: 2 })
    let sum = 0
    for (let k = 0; k < 2000; k++) { const t = pool.parse('a,' + k); sum += readRows(t.raw)[0].value; pool.release(t.id) }
    pool.close()
    parentPort.postMessage(sum)`
  const sums = await Promise.all(
    [0, 1].map(
      () =>
        new Promise((resolve, reject) => {
          const w = new Worker(code, { eval: true })
          w.on('message', resolve)
          w.on('error', reject)
        }),
    ),
  )
  assert.deepEqual(sums, [1999000, 1999000])
})

test('the threaded job: every file checked, a missing file recorded as Io', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csv-job-'))
  const paths = []
  for (let i = 0; i < 200; i++) {
    const p = path.join(dir, `f${i}.csv`)
    fs.writeFileSync(p, csv(1 + (i % 20), i))
    paths.push(p)
  }
  paths.push(path.join(dir, 'missing.csv'))
  for (const transfer of ['external', 'copy']) {
    const pool = new CsvPool({ size: 4, transfer })
    const seen = new Set()
    const r = await pool.parseFiles(paths, (rows, p) => {
      const i = paths.indexOf(p)
      assert.deepEqual(rows, expected(1 + (i % 20), i))
      seen.add(i)
    })
    assert.equal(seen.size, 200)
    assert.equal(r.items, 201)
    assert.equal(r.errors.length, 1)
    assert.equal(r.errors[0].error.code, 'Io')
    assert.equal(pool.native.checkedOut(), 0)
    pool.close()
  }
  fs.rmSync(dir, { recursive: true })
})

test('loaded in one process with raw-transfer\'s own addon: no clash, no id confusion', () => {
  const rt = require(path.join(__dirname, '..', '..', '..'))
  assert.deepEqual(Object.keys(binding).sort(), ['CsvJob', 'CsvPool'], 'only this addon\'s own exports')
  const json = new rt.FixedSizeAllocatorPool({ size: 2 })
  const pool = new CsvPool({ size: 2 })
  const doc = json.parseJson('[1,2,3]')
  const t = pool.parse('x,1')
  const jsonBlock = json.acquire()
  assert.notEqual(jsonBlock.id, t.id, 'ids are block addresses: unique in the process')
  // One cache can take blocks of both.
  const shared = new reader.BufferCache()
  shared.receive(t.id, t.raw.arrayBuffer)
  shared.receive(jsonBlock.id, jsonBlock.raw.arrayBuffer)
  // Releasing one addon's block through the other is refused, typed, and harmless.
  assert.throws(() => pool.release(jsonBlock.id), reader.StaleBufferError)
  assert.equal(jsonBlock.writeString('still mine').len, 10)
  jsonBlock.release()
  doc.release()
  pool.release(t.id)
  json.close()
  pool.close()
})
