'use strict'
// This addon and raw-transfer's own addon in one process: two copies of the raw_transfer
// crate, each with its own statics. No export clash, distinct block ids, one BufferCache
// for both, and ids of one refused (typed, harmless) by the other.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { binding, readTable, reader } = require('..')
const { csv, expected, rowsOf } = require('./helpers')

const root = path.join(__dirname, '..', '..', '..')
const rt = require(root) // raw-transfer's index.js: loads raw-transfer.<triple>.node
const { triple } = require(path.join(root, 'js', 'native', 'platform'))
const main = require(path.join(root, `raw-transfer.${triple()}.node`)) // the same module index.js loaded

test('exports: only this addon\'s own names, none of raw-transfer\'s', () => {
  assert.deepEqual(Object.keys(binding).sort(), ['CsvJob', 'CsvPool'])
  for (const name of ['NativePool', 'JsonFilesJob', 'liveBlocks', 'constants']) {
    assert.ok(name in main, `raw-transfer's addon exports ${name}`)
    assert.ok(!(name in binding), `this addon does not export ${name}`)
  }
  for (const name of Object.keys(binding)) assert.ok(!(name in main) && !(name in rt), `${name} is only ours`)
})

for (const transfer of ['external', 'copy']) {
  test(`${transfer}: both addons produce blocks; one BufferCache takes both; ids differ; cross-release refused`, () => {
    const liveBefore = rt.liveBlocks()
    const csvPool = new binding.CsvPool(2, transfer)
    const jsonPool = new main.NativePool(2, transfer, 0, 0, 0)
    // raw-transfer parses through its pool's fast calls: a hand-off is a record, or (no
    // buffer) the number id × 2^32 + generation.
    const jsonFast = jsonPool.fastCalls()
    const unpack = (sent) => {
      if (typeof sent !== 'number') return sent
      const generation = sent % 2 ** 32
      return { id: (sent - generation) / 2 ** 32, generation, buffer: null }
    }
    const cache = new reader.BufferCache()
    const ids = { csv: new Set(), json: new Set() }
    for (let k = 0; k < 300; k++) {
      const c = csvPool.parse(csv(1 + (k % 4), k))
      const j = unpack(jsonFast.parseJson(Buffer.from(`{"k":${k},"s":"x${k}"}`)))
      ids.csv.add(c.id)
      ids.json.add(j.id)
      // One cache, blocks of both addons: each buffer comes once, later hand-offs are null.
      const rc = cache.receive(c.id, c.buffer)
      const rj = cache.receive(j.id, j.buffer)
      assert.equal(rc.generation, c.generation)
      assert.equal(rj.generation, j.generation)
      assert.deepEqual(rowsOf(rc), expected(1 + (k % 4), k))
      assert.throws(() => readTable(rj), reader.LayoutMismatchError, 'the layout hash tells the blocks apart')
      // Ids are block base >> 32: unique in the process across both copies of the crate.
      assert.notEqual(c.id, j.id)
      // Releasing one addon's block through the other: a typed error, nothing released.
      assert.throws(() => csvPool.release(j.id), reader.StaleBufferError)
      assert.throws(() => jsonPool.release(c.id), reader.StaleBufferError)
      assert.equal(csvPool.stats().checkedOut, 1)
      assert.equal(jsonPool.stats().inUse, 1)
      csvPool.release(c.id)
      jsonPool.release(j.id)
    }
    for (const id of ids.csv) assert.ok(!ids.json.has(id))
    assert.equal(cache.size, ids.csv.size + ids.json.size)
    // Each copy of the crate counts only its own blocks.
    assert.equal(rt.liveBlocks(), liveBefore + ids.json.size)
    // The high-level API of raw-transfer works alongside too.
    const p = new rt.FixedSizeAllocatorPool({ size: 2, transfer })
    const doc = p.parseJson('[1,2,3]')
    assert.ok(doc)
    p.close()
    csvPool.close()
    jsonPool.close()
  })
}

test('both addons\' threaded jobs at once, one shared cache', async () => {
  const fs = require('node:fs')
  const os = require('node:os')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rust-addon-coexist-'))
  const csvPaths = []
  const jsonPaths = []
  for (let i = 0; i < 40; i++) {
    csvPaths.push(path.join(dir, `${i}.csv`))
    fs.writeFileSync(csvPaths[i], csv(3, i))
    jsonPaths.push(path.join(dir, `${i}.json`))
    fs.writeFileSync(jsonPaths[i], JSON.stringify({ i }))
  }
  const cache = new reader.BufferCache()
  const csvPool = new binding.CsvPool(3, 'auto')
  const jsonPool = new main.NativePool(3, 'auto', 0, 0, 0)
  const drive = (job, pool, check) =>
    reader.runJob(job, {
      cache,
      release: (pairs) => pool.releaseMany(pairs),
      // A block holds several small results (the jobs pack them): each is at its own root.
      open: (item, giveBack) => ({ value: { raw: cache.receive(item.id, null), root: item.root }, close: giveBack }),
      plugin: check,
      fail: (f) => f,
    })
  const [a, b] = await Promise.all([
    drive(csvPool.startFiles(csvPaths, 2), csvPool, ({ raw, root }, item) => assert.deepEqual(rowsOf({ raw, root }), expected(3, item.index))),
    drive(jsonPool.startJsonFiles(jsonPaths, 2, 0), jsonPool, ({ root }) => assert.ok(root > 0)),
  ])
  assert.deepEqual([a.items, a.errors.length, b.items, b.errors.length], [40, 0, 40, 0])
  csvPool.close()
  jsonPool.close()
  fs.rmSync(dir, { recursive: true, force: true })
})
