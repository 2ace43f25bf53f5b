'use strict'
// The generic job as parseJsonFiles shows it: its read-ahead bound and batching, blocks
// given back once, and a job started from a plugin of another job on the same pool.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { rt, MODES, writeJsonFiles } = require('./helpers')

const files = (n) => writeJsonFiles(n, (i) => ({ i, pad: 'x'.repeat(i % 50) }))

const root = path.join(__dirname, '..')

for (const transfer of MODES) {
  test(`${transfer}: a job leaves one block for others by default, and holds at most maxBlocks`, async () => {
    const { dir, paths } = files(200)
    const pool = new rt.FixedSizeAllocatorPool({ size: 4, transfer })
    let maxInUse = 0
    const seen = new Set()
    const r = await pool.parseJsonFiles(paths, (doc, p) => {
      maxInUse = Math.max(maxInUse, pool.stats().inUse)
      // Another user of the pool always finds a block while the job runs.
      const other = pool.acquire()
      other.release()
      const i = doc.root.get('i').value
      assert.equal(p, paths[i])
      seen.add(i)
    })
    assert.equal(r.files, 200)
    assert.deepEqual(r.errors, [])
    assert.equal(seen.size, 200)
    assert.ok(maxInUse <= 4, `in use ${maxInUse}`)

    // Documents in flight, by block: a block holds several small ones (packed by the job).
    const held = new Map()
    let maxHeld = 0
    let maxDocs = 0
    const r2 = await pool.parseJsonFiles(
      paths,
      async (doc) => {
        const id = doc.bufferId
        held.set(id, (held.get(id) ?? 0) + 1)
        maxHeld = Math.max(maxHeld, held.size)
        maxDocs = Math.max(maxDocs, [...held.values()].reduce((a, b) => a + b, 0))
        await new Promise((res) => setTimeout(res, 1))
        assert.equal(doc.root.get('pad').value.length, doc.root.get('i').value % 50)
        if (held.get(id) === 1) held.delete(id)
        else held.set(id, held.get(id) - 1)
      },
      { maxBlocks: 2 },
    )
    assert.equal(r2.files, 200)
    assert.deepEqual(r2.errors, [])
    assert.ok(maxHeld <= 2, `held ${maxHeld} blocks at once with maxBlocks: 2`)
    assert.ok(maxDocs > 2, `${maxDocs} documents in flight: small ones share blocks`)
    await assert.rejects(pool.parseJsonFiles(paths, () => {}, { maxBlocks: 5 }), rt.InvalidArgumentError)
    await assert.rejects(pool.parseJsonFiles(paths, () => {}, { threads: 0 }), rt.InvalidArgumentError)
    await assert.rejects(pool.parseJsonFiles(paths, () => {}, { threads: 1.5 }), rt.InvalidArgumentError)
    pool.close()
    fs.rmSync(dir, { recursive: true })
  })
}

test('a plugin that releases its document early does not release the block twice', async () => {
  const { dir, paths } = files(100)
  const pool = new rt.FixedSizeAllocatorPool({ size: 3 })
  const r = await pool.parseJsonFiles(paths, (doc) => {
    doc.root.get('i').value
    doc.release()
  })
  assert.equal(r.files, 100)
  assert.deepEqual(r.errors, [])
  assert.equal(pool.stats().inUse, 0)
  pool.close()
  fs.rmSync(dir, { recursive: true })
})

test('a job started from a plugin of another job on the same pool: runs on what is left, or fails at once', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rt-nested-'))
  const paths = Array.from({ length: 6 }, (_, i) => {
    const p = path.join(dir, `n${i}.json`)
    fs.writeFileSync(p, JSON.stringify({ i }))
    return p
  })
  try {
    // Pool of 1: the outer job holds the only block; the nested one cannot run.
    const one = new rt.FixedSizeAllocatorPool({ size: 1 })
    const outer1 = await one.parseJsonFiles(paths.slice(0, 2), async () => {
      await assert.rejects(one.parseJsonFiles(paths, () => {}), (e) => e.name === 'PoolExhaustedError' && /running jobs hold/.test(e.message))
    })
    assert.deepEqual(outer1.errors, [])
    // Once the outer job is done, the pool takes jobs again.
    assert.equal((await one.parseJsonFiles(paths, () => {})).files, 6)
    one.close()
    // Bigger pools: the outer job leaves blocks by default; nested jobs run on them while
    // there are some, and the ones started when running jobs hold every block fail at once.
    for (const size of [2, 3, 4]) {
      const pool = new rt.FixedSizeAllocatorPool({ size })
      let seen = 0
      let ran = 0
      let refused = 0
      const outer = await pool.parseJsonFiles(paths.slice(0, 3), async (doc) => {
        try {
          const inner = await pool.parseJsonFiles(paths, (d, p) => {
            assert.equal(d.root.get('i').value, paths.indexOf(p))
            seen++
          })
          assert.equal(inner.files, 6)
          ran++
        } catch (e) {
          assert.equal(e.name, 'PoolExhaustedError')
          refused++
        }
        doc.root.get('i').value
      })
      assert.deepEqual(outer.errors, [])
      assert.equal(ran + refused, 3)
      assert.ok(ran >= 1, `size ${size}: no nested job ran`)
      assert.equal(seen, 6 * ran)
      // (The outer job's three small documents share one block and arrive together, so their
      // plugins overlap: with a pool of 2, the first nested job takes the block left and the
      // others may be refused.)
      assert.equal(pool.stats().inUse, 0)
      pool.close()
    }
    // An explicit maxBlocks that the running jobs cannot leave fails at once too.
    const pool = new rt.FixedSizeAllocatorPool({ size: 4 })
    await pool.parseJsonFiles(paths.slice(0, 1), async () => {
      await assert.rejects(pool.parseJsonFiles(paths, () => {}, { maxBlocks: 4 }), (e) => e.name === 'PoolExhaustedError')
    })
    pool.close()
  } finally {
    fs.rmSync(dir, { recursive: true })
  }
})
