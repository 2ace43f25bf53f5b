'use strict'
// The library side: the pure-JS reader entry, constants as data, ids, and the generic job's
// read-ahead bound and batching as parseJsonFiles shows them.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { rt, MODES } = require('./helpers')

const root = path.join(__dirname, '..')

test('raw-transfer/reader loads no native addon', () => {
  const code = `
    const r = require(${JSON.stringify(path.join(root, 'js/reader/index.js'))})
    const natives = Object.keys(require.cache).filter((f) => f.endsWith('.node'))
    const cache = new r.BufferCache()
    console.log(JSON.stringify({ natives, names: Object.keys(r).sort(), size: r.BUFFER_SIZE, hasCache: typeof cache.receive }))`
  const res = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' })
  assert.equal(res.status, 0, res.stderr)
  const out = JSON.parse(res.stdout)
  assert.deepEqual(out.natives, [])
  assert.equal(out.size, rt.BUFFER_SIZE)
  assert.equal(out.hasCache, 'function')
  for (const name of ['RawBuffer', 'BufferCache', 'runJob', 'fromNative', 'StaleBufferError', 'constants']) {
    assert.ok(out.names.includes(name), name)
  }
})

test("the package's constants equal the addon's constants(); the reader's are the generic ones", () => {
  const binding = require(path.join(root, `raw-transfer.${require('../js/native/platform').triple()}.node`))
  assert.deepEqual({ ...rt.constants }, { ...binding.constants() })
  const reader = require('../js/reader')
  assert.deepEqual({ ...reader.constants }, { ...require('../js/generated/constants') })
  assert.ok(Object.isFrozen(rt.constants) && Object.isFrozen(reader.constants))
  assert.deepEqual(Object.keys(reader.constants).filter((k) => k.startsWith('JSON_')), [])
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

function files(n) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rt-lib-'))
  const paths = []
  for (let i = 0; i < n; i++) {
    const p = path.join(dir, `f${i}.json`)
    fs.writeFileSync(p, JSON.stringify({ i, pad: 'x'.repeat(i % 50) }))
    paths.push(p)
  }
  return { dir, paths }
}

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

    let held = 0
    let maxHeld = 0
    const r2 = await pool.parseJsonFiles(
      paths,
      async (doc) => {
        held++
        maxHeld = Math.max(maxHeld, held)
        await new Promise((res) => setTimeout(res, 1))
        assert.equal(doc.root.get('pad').value.length, doc.root.get('i').value % 50)
        held--
      },
      { maxBlocks: 2 },
    )
    assert.equal(r2.files, 200)
    assert.deepEqual(r2.errors, [])
    assert.ok(maxHeld <= 2, `held ${maxHeld} blocks at once with maxBlocks: 2`)
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

test('special and oversized inputs are errors, not hangs', async () => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 2 })
  const r = await pool.parseJsonFiles(['/dev/zero', os.tmpdir(), '/nonexistent/x.json'], () => {})
  assert.equal(r.files, 3)
  // Not a regular file ('Io', no OS error), a directory and a missing file (as Node names them).
  assert.deepEqual(r.errors.map((e) => e.error.code).sort(), ['EISDIR', 'ENOENT', 'Io'])
  assert.deepEqual(r.errors.map((e) => e.phase), ['read', 'read', 'read'])
  pool.close()
})
