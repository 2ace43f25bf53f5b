'use strict'
// Many documents per block: a job packs small results into one block, each with its own
// root, release and staleness; the block returns to the pool with its last document.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const { Worker } = require('node:worker_threads')
const { rt, collectUntil, liveBlocksBaseline, settleLiveBlocks, writeJsonFiles, MODES } = require('./helpers')

const { native } = require('../reader')
const STRIDE = 6 // numbers per item in a batch's records (Batch::STRIDE in Rust)

/** Take every item of a native JSON job by hand: `[{ index, id, generation, bytes, root, doc }]`. */
async function takeAll(pool, job, count) {
  const items = []
  while (items.length < count) {
    const batch = job.take(null)
    for (let i = 0; i < batch.buffers.length; i += 2) pool.cache.receive(batch.buffers[i], batch.buffers[i + 1])
    const r = batch.records
    for (let k = 0; k < r.length; k += STRIDE) {
      items.push({ index: r[k], id: r[k + 1], generation: r[k + 2], bytes: r[k + 3], root: r[k + 4], doc: r[k + 5] })
    }
    if (batch.done) break
    if (batch.wait !== null) await batch.wait
  }
  return items
}

function byBlock(items) {
  const blocks = new Map()
  for (const item of items) {
    if (!blocks.has(item.id)) blocks.set(item.id, [])
    blocks.get(item.id).push(item)
  }
  return blocks
}

for (const transfer of MODES) {
  test(`${transfer}: small files share blocks; a block returns to the pool with its last document, released in any order`, async () => {
    const n = 60
    const { dir, paths } = writeJsonFiles(n, (i) => ({ i, name: `file ${i}`, tags: ['a', i] }))
    // 16 blocks: the test takes every item before it releases any, so the thread must never
    // need more blocks than the job may hold (a slow machine fills a block per millisecond).
    const pool = new rt.JsonPool({ size: 16, transfer })
    try {
      // One thread, and no JS waiting while it works: it packs files into the block it holds.
      const job = pool._native.startJsonFiles(paths, 1, 0)
      await new Promise((r) => setTimeout(r, 50))
      const items = await takeAll(pool, job, n)
      assert.equal(items.length, n)
      const blocks = byBlock(items)
      assert.ok(blocks.size < n, `${n} files in ${blocks.size} blocks: some must share one`)
      assert.ok(blocks.size <= 15, `a job holds at most maxBlocks (15) blocks at once; got ${blocks.size}`)
      // Each document reads back as its own file, from its own root.
      const { createDocument } = require('../js/json/document')
      const { Block } = require('../js/native/block')
      for (const [id, docs] of blocks) {
        assert.deepEqual(docs.map((d) => d.doc), docs.map((_, k) => k), 'documents are numbered 0.. in their block')
        for (const d of docs) {
          const block = new Block(pool, id, d.generation, pool.cache.receive(id, null), () => {})
          const doc = createDocument(block, d.root)
          assert.deepEqual(doc.toJS(), JSON.parse(fs.readFileSync(paths[d.index], 'utf8')))
        }
      }
      // Release every block's documents in a shuffled order: it stays checked out until the last.
      let out = pool._native.checkedOut
      assert.equal(out, blocks.size)
      for (const [id, docs] of blocks) {
        const order = docs.map((d) => d.doc).sort(() => Math.random() - 0.5)
        for (let k = 0; k < order.length; k++) {
          pool._native.releaseMany(Uint32Array.of(id, order[k]))
          // Released twice: harmless, the block is not returned early.
          pool._native.releaseMany(Uint32Array.of(id, order[k]))
          const last = k === order.length - 1
          assert.equal(pool._native.checkedOut, last ? out - 1 : out, `block ${id} after ${k + 1} of ${order.length} releases`)
        }
        out--
      }
      assert.equal(pool._native.checkedOut, 0)
      job.cancel()
      assert.throws(() => native(() => pool._native.releaseMany(Uint32Array.of(1, 2, 3))), rt.InvalidArgumentError)
    } finally {
      pool.close()
      fs.rmSync(dir, { recursive: true })
    }
  })

  test(`${transfer}: parseJsonFiles with the default pool packs; a released neighbour's views are stale, the others read`, async () => {
    const n = 200
    const { dir, paths } = writeJsonFiles(n, (i) => [{ id: i, name: `r${i}` }, { id: i + 0.5 }])
    const pool = new rt.JsonPool({ transfer })
    const base = await liveBlocksBaseline()
    const seen = new Map() // bufferId -> count
    let previous = null
    let stale = 0
    let first = true
    try {
      const result = await pool.parseJsonFiles(paths, (doc, path) => {
        if (doc instanceof Error) throw doc
        if (first) {
          // Keep JS busy once so the Rust thread packs what follows.
          first = false
          const until = performance.now() + 20
          while (performance.now() < until);
        }
        const i = Number(path.match(/f(\d+)\.json$/)[1])
        assert.equal(doc.root.at(0).get('id').value, i)
        assert.equal(doc.root.at(1).get('id').value, i + 0.5)
        seen.set(doc.bufferId, (seen.get(doc.bufferId) ?? 0) + 1)
        if (previous !== null && previous.doc.bufferId === doc.bufferId) {
          assert.throws(() => previous.node.value, rt.StaleBufferError)
          stale++
        }
        previous = { doc, node: doc.root.at(0) }
      })
      assert.equal(result.files, n)
      assert.deepEqual(result.errors, [])
      assert.ok(stale > 0, 'some consecutive documents shared a block')
      assert.ok(Math.max(...seen.values()) > 1)
      assert.equal(pool._native.checkedOut, 0)
    } finally {
      pool.close()
      fs.rmSync(dir, { recursive: true })
    }
    previous = null // its buffer keeps the block mapped until the GC takes it
    assert.equal(await settleLiveBlocks(base), base)
  })
}

test('a document kept past its plugin stays readable until released; its block returns after', async () => {
  const n = 40
  const { dir, paths } = writeJsonFiles(n, (i) => ({ i }))
  const pool = new rt.JsonPool({ size: 4 })
  const kept = []
  try {
    let first = true
    await pool.parseJsonFiles(
      paths,
      async (doc) => {
        if (first) {
          first = false
          const until = performance.now() + 20
          while (performance.now() < until);
        }
        kept.push({ doc, value: doc.root.get('i').value })
      },
      { threads: 1 },
    )
    // runJob released each document when its promise settled.
    for (const k of kept) assert.throws(() => k.doc.root, rt.StaleBufferError)
    assert.equal(pool._native.checkedOut, 0)
    assert.deepEqual(kept.map((k) => k.value).sort((a, b) => a - b), [...Array(n).keys()])
  } finally {
    pool.close()
    fs.rmSync(dir, { recursive: true })
  }
})

test('packed blocks in a worker: documents read, and a terminate mid-run frees every block', async () => {
  const base = await liveBlocksBaseline()
  const n = 300
  const { dir, paths } = writeJsonFiles(n, (i) => ({ i, s: 'x'.repeat(i % 50) }))
  try {
    const code = `
      const { parentPort, workerData } = require('node:worker_threads')
      const rt = require(${JSON.stringify(require.resolve('..'))})
      const pool = new rt.JsonPool()
      let sum = 0
      pool.parseJsonFiles(workerData.paths, async (doc) => {
        sum += doc.root.get('i').value
        if (workerData.hang && sum > 100) await new Promise(() => {}) // never settles: terminated
      }).then((r) => parentPort.postMessage({ files: r.files, sum, errors: r.errors.length }))
    `
    const run = (hang) =>
      new Promise((resolve, reject) => {
        const w = new Worker(code, { eval: true, workerData: { paths, hang } })
        w.on('message', (m) => {
          resolve(m)
          w.terminate()
        })
        w.on('error', reject)
        if (hang) setTimeout(() => w.terminate().then(() => resolve(null)), 300)
      })
    const done = await run(false)
    assert.deepEqual(done, { files: n, sum: (n * (n - 1)) / 2, errors: 0 })
    assert.equal(await run(true), null)
    assert.equal(await settleLiveBlocks(base), base)
  } finally {
    fs.rmSync(dir, { recursive: true })
  }
})

for (const order of ['release then GC', 'GC then release']) {
  test(`packed documents, ${order}: every block is freed`, async () => {
    const base = await liveBlocksBaseline()
    const { dir, paths } = writeJsonFiles(50, (i) => [i])
    let pool = new rt.JsonPool()
    const held = []
    let first = true
    await pool.parseJsonFiles(paths, (doc) => {
      if (first) {
        first = false
        const until = performance.now() + 20
        while (performance.now() < until);
      }
      held.push(doc.root)
    })
    if (order === 'release then GC') {
      pool.close()
      pool = null
      held.length = 0
    } else {
      held.length = 0
      await collectUntil(() => false, 3)
      pool.close()
      pool = null
    }
    assert.equal(await settleLiveBlocks(base), base)
    fs.rmSync(dir, { recursive: true })
  })
}

test('a result built before a slow input reaches JS without waiting for it', async () => {
  const { dir, paths } = writeJsonFiles(1, () => ({ small: true }))
  // 48 MB: reading and parsing it takes far longer than the waker's 200 µs hand-over.
  const big = `${dir}/big.json`
  fs.writeFileSync(big, `[${'12345678,'.repeat(48 << 17)}0]`)
  const pool = new rt.JsonPool()
  const at = {}
  try {
    const r = await pool.parseJsonFiles(
      [paths[0], big],
      (doc, p) => {
        at[p === big ? 'big' : 'small'] = performance.now()
      },
      { threads: 1 },
    )
    assert.deepEqual(r.errors, [])
    // Without the hand-over, the small document would wait in the block until the big one
    // was built into it too, and both would arrive together.
    assert.ok(at.big - at.small > 20, `small at ${at.small.toFixed(1)} ms, big at ${at.big.toFixed(1)} ms`)
  } finally {
    pool.close()
    fs.rmSync(dir, { recursive: true })
  }
})
