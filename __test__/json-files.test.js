'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { rt, settleLiveBlocks, MODES, liveBlocksBaseline, writeJsonFiles } = require('./helpers')

/** `n` files of small records (the `items` vary in length). */
const makeFiles = (n) => writeJsonFiles(n, (i) => ({ i, name: `file ${i}`, items: Array.from({ length: i % 7 }, (_, k) => k * i) }))

for (const transfer of MODES) {
  test(`${transfer}: more files than blocks, with bad files and failing plugins`, async () => {
    const start = await liveBlocksBaseline()
    const { dir, paths } = makeFiles(40)
    const empty = path.join(dir, 'empty.json')
    fs.writeFileSync(empty, '')
    const broken = path.join(dir, 'broken.json')
    fs.writeFileSync(broken, '{"a": [1, 2,]}')
    const missing = path.join(dir, 'missing.json')
    const all = [...paths.slice(0, 10), empty, missing, ...paths.slice(10, 30), broken, ...paths.slice(30)]
    const seen = new Map()
    const failures = []
    const result = await (async () => {
      const pool = new rt.FixedSizeAllocatorPool({ size: 2, transfer })
      const r = await pool.parseJsonFiles(
        all,
        (doc, p) => {
          if (doc instanceof Error) {
            failures.push([path.basename(p), doc])
            return
          }
          const v = doc.toJS()
          seen.set(p, v)
          if (v.i === 5) throw new Error('plugin throws')
          if (v.i === 6) return Promise.reject(new Error('plugin rejects'))
          if (v.i % 3 === 0) return new Promise((resolve) => setTimeout(resolve, 2)) // async plugin holds its block
        },
        { threads: 2 },
      )
      assert.equal(pool.stats().inUse, 0, 'every block is back in the pool')
      assert.ok(pool.stats().created <= 2)
      pool.close()
      return r
    })()
    assert.equal(result.files, all.length)
    assert.equal(seen.size, 40, 'every good file reached the plugin')
    for (const p of paths) assert.equal(seen.get(p).i, Number(path.basename(p).slice(1, -5)))
    assert.ok(result.bytes > 0 && result.ms >= 0)
    const byName = Object.fromEntries(failures.map(([n, e]) => [n, e]))
    assert.ok(byName['empty.json'] instanceof rt.JsonSyntaxError)
    assert.equal(byName['empty.json'].offset, 0)
    assert.ok(byName['broken.json'] instanceof rt.JsonSyntaxError)
    assert.deepEqual(
      [byName['broken.json'].offset, byName['broken.json'].line, byName['broken.json'].column],
      [12, 1, 13],
    )
    assert.equal(byName['missing.json'].code, 'ENOENT')
    assert.ok(byName['missing.json'] instanceof rt.RawTransferError)
    const messages = result.errors.map((e) => `${path.basename(e.path)}: ${e.error.message}`)
    assert.equal(result.errors.length, 5, messages.join('\n'))
    assert.ok(messages.some((m) => m.includes('plugin throws')))
    assert.ok(messages.some((m) => m.includes('plugin rejects')))
    fs.rmSync(dir, { recursive: true })
    assert.equal(await settleLiveBlocks(start), start)
  })
}

test('documents are stale once their plugin returns', async () => {
  const { dir, paths } = makeFiles(3)
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  const kept = []
  await pool.parseJsonFiles(paths, (doc) => {
    kept.push(doc)
  })
  for (const doc of kept) assert.throws(() => doc.toJS(), rt.StaleBufferError)
  pool.close()
  fs.rmSync(dir, { recursive: true })
})

test('parseJsonFiles argument and state errors', async () => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  await assert.rejects(
    pool.parseJsonFiles('x.json', () => {}),
    rt.InvalidArgumentError,
  )
  await assert.rejects(pool.parseJsonFiles([], null), rt.InvalidArgumentError)
  const r = await pool.parseJsonFiles([], () => {})
  assert.equal(r.files, 0)
  pool.close()
  await assert.rejects(
    pool.parseJsonFiles([], () => {}),
    rt.PoolClosedError,
  )
})

test('closing the pool during parseJsonFiles rejects with the partial result', async () => {
  const start = await liveBlocksBaseline()
  const { dir, paths } = makeFiles(30)
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  let n = 0
  const err = await pool
    .parseJsonFiles(paths, () => {
      if (++n === 3) pool.close()
    })
    .then(
      () => null,
      (e) => e,
    )
  assert.ok(err instanceof rt.PoolClosedError, `${err}`)
  assert.ok(err.result.files < 30 && err.result.files >= 3, `${err.result.files}`)
  assert.match(err.message, /of 30 files were processed/)
  fs.rmSync(dir, { recursive: true })
  assert.equal(await settleLiveBlocks(start), start)
})

test('errors say where they came from: read, parse or plugin', async () => {
  const { dir, paths } = makeFiles(2)
  const bad = path.join(dir, 'bad.json')
  fs.writeFileSync(bad, '[1,')
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  const r = await pool.parseJsonFiles([paths[0], bad, path.join(dir, 'nope.json')], () => {
    throw new Error('boom')
  })
  const phases = r.errors.map((e) => `${path.basename(e.path)}:${e.phase}`).sort()
  assert.deepEqual(phases, ['bad.json:parse', 'bad.json:plugin', 'f0.json:plugin', 'nope.json:plugin', 'nope.json:read'])
  const io = r.errors.find((e) => e.phase === 'read').error
  assert.equal(io.message.split('nope.json').length, 2, `path named once: ${io.message}`)
  pool.close()
  fs.rmSync(dir, { recursive: true })
})

test("the plugin gets each file's index, and errors carry it: a path given twice is two inputs", async () => {
  const { dir, paths } = makeFiles(6)
  const broken = path.join(dir, 'broken.json')
  fs.writeFileSync(broken, '[1,')
  // paths[2] three times, the broken file twice.
  const all = [paths[0], paths[2], broken, paths[1], paths[2], paths[3], broken, paths[2]]
  const pool = new rt.JsonPool({ size: 2 })
  const calls = []
  const r = await pool.parseJsonFiles(all, (doc, p, index) => {
    assert.equal(p, all[index])
    calls.push([index, doc instanceof Error ? 'error' : doc.root.get('i').value])
    if (index === 5) throw new Error('plugin throws')
  })
  pool.close()
  calls.sort((a, b) => a[0] - b[0])
  assert.deepEqual(calls, [
    [0, 0],
    [1, 2],
    [2, 'error'],
    [3, 1],
    [4, 2],
    [5, 3],
    [6, 'error'],
    [7, 2],
  ])
  const errors = r.errors.map((e) => [e.index, e.path === all[e.index], e.phase]).sort((a, b) => a[0] - b[0])
  assert.deepEqual(errors, [
    [2, true, 'parse'],
    [5, true, 'plugin'],
    [6, true, 'parse'],
  ])
  fs.rmSync(dir, { recursive: true })
})

test('paths cross as one string; a path with a NUL, empty, non-ASCII or with a lone surrogate gets what the array form gives', async () => {
  const { dir, paths } = makeFiles(5)
  const accented = path.join(dir, 'café 東京 😀.json')
  fs.writeFileSync(accented, '{"i": "accented"}')
  const all = [paths[0], `${paths[1]}\0tail`, '', accented, `${dir}/\ud800.json`, paths[2], paths[2]]
  const pool = new rt.JsonPool()
  const outcome = async (list) => {
    const seen = []
    const r = await pool.parseJsonFiles(list, (doc, p, i) => {
      seen.push([i, p, doc instanceof Error ? `${doc.name} ${doc.code}` : doc.toJS().i])
    })
    seen.sort((a, b) => a[0] - b[0])
    return { seen, files: r.files, errors: r.errors.map((e) => [e.index, e.phase, e.error.code]) }
  }
  // With the NUL path the joined string splits into one path too many: the array is sent.
  const withNul = await outcome(all)
  assert.deepEqual(
    withNul.seen.map(([i, , v]) => [i, v]),
    [
      [0, 0],
      [1, 'RawTransferError Io'],
      [2, 'RawTransferError ENOENT'],
      [3, 'accented'],
      [4, 'RawTransferError ENOENT'],
      [5, 2],
      [6, 2],
    ],
  )
  // Without it, one string: the same for every other path.
  const without = await outcome(all.filter((_, i) => i !== 1))
  assert.deepEqual(
    without.seen.map(([, p, v]) => [p, v]),
    withNul.seen.filter(([i]) => i !== 1).map(([, p, v]) => [p, v]),
  )
  assert.equal(without.files, 6)
  assert.deepEqual(without.errors, [
    [1, 'read', 'ENOENT'],
    [3, 'read', 'ENOENT'],
  ])
  // Which form ran: the joined call refuses the list with the NUL path, takes the other.
  assert.equal(pool._native.startJsonFilesJoined(all.join('\0'), all.length, 1, 0), null)
  const job = pool._native.startJsonFilesJoined(paths.join('\0'), paths.length, 1, 0)
  assert.ok(job !== null)
  job.cancel()
  // A count that is not a whole number of paths is refused, not wrapped.
  for (const count of [0, -1, 3.5, NaN, Infinity, 2 ** 32, 2 ** 32 + 3]) {
    assert.throws(() => pool._native.startJsonFilesJoined(paths.join('\0'), count, 1, 0), (e) => e.code === 'InvalidArgument', String(count))
  }
  assert.equal(pool.stats().inUse, 0)
  pool.close()
  fs.rmSync(dir, { recursive: true })
})

test('paths longer together than the longest string go as an array, where join would throw', () => {
  // Two paths of 2^28 units and a third: their join passes the longest string (2^29 - 24).
  const { node } = require('./helpers')
  const { dir, paths } = makeFiles(1)
  const res = node(`const rt = require(${JSON.stringify(path.join(__dirname, '..'))})
    const long = 'x'.repeat(2 ** 28)
    new rt.JsonPool().parseJsonFiles([long, long, ${JSON.stringify(paths[0])}], () => {}).then(
      (r) => console.log(r.files, r.errors.map((e) => e.index + ' ' + e.error.code).sort().join(',')),
      (e) => console.log('rejected', e.name, e.message),
    )`)
  assert.equal(res.status, 0, res.stderr)
  assert.equal(res.stdout.trim(), '3 0 ENAMETOOLONG,1 ENAMETOOLONG')
  fs.rmSync(dir, { recursive: true })
})
