'use strict'
// runJsonPlugins with no `workers` chooses from the work: files too small in all for worker
// threads to pay for their start run in this thread, through the same chunks, messages and
// serialization as a worker's (so results and errors are the same), and the result says so.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { rt, liveBlocksBaseline, settleLiveBlocks } = require('./helpers')

const SUMMARY = path.join(__dirname, 'fixtures', 'parallel-summary.js')
const LAZY = path.join(__dirname, 'fixtures', 'parallel-returns-node.js')

function files(name, values) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `rt-in-thread-${name}-`))
  return values.map((v, i) => {
    const p = path.join(dir, `${i}.json`)
    fs.writeFileSync(p, typeof v === 'string' ? v : JSON.stringify(v))
    return p
  })
}

test('small work runs in this thread, with the same results and errors as in workers', async () => {
  const base = await liveBlocksBaseline()
  const values = Array.from({ length: 300 }, (_, i) => ({ id: i, tags: ['x', i] }))
  const paths = files('same', values)
  paths.push(path.join(path.dirname(paths[0]), 'missing.json'))
  paths.push(files('bad', ['{"id": ']).at(0))
  const local = await rt.runJsonPlugins(paths, { plugin: SUMMARY })
  const workers = await rt.runJsonPlugins(paths, { plugin: SUMMARY, workers: 2 })
  assert.equal(local.workers, 0)
  assert.match(local.workersReason, /ran in this thread: 302 files of about [\d.]+ MB in all .* pass a workers option/)
  assert.equal(workers.workers, 2)
  assert.equal(workers.workersReason, null, 'workers given: nothing was chosen')
  assert.deepEqual(local.results, workers.results)
  assert.equal(local.results[7].value.id, 7)
  assert.deepEqual([local.files, local.bytes], [workers.files, workers.bytes])
  const shape = (r) => r.errors.map((e) => [path.basename(e.path), e.phase, e.error.name, e.error.code])
  assert.deepEqual(shape(local), shape(workers))
  assert.deepEqual(shape(local), [
    ['missing.json', 'read', 'RawTransferError', 'ENOENT'],
    ['0.json', 'parse', 'JsonSyntaxError', 'JsonSyntax'],
  ])
  assert.equal(await settleLiveBlocks(base), base, 'the in-thread pool is closed with the run')
})

test('in this thread, a lazy view returned by the plugin is refused for its file, as from a worker', async () => {
  const paths = files('lazy', [{ a: 1 }, { a: 2 }])
  const r = await rt.runJsonPlugins(paths, { plugin: LAZY })
  assert.equal(r.workers, 0)
  assert.equal(r.results[0], undefined)
  assert.deepEqual(r.results[1], { a: 2 })
  assert.equal(r.errors.length, 1)
  assert.equal(r.errors[0].phase, 'plugin')
  assert.match(r.errors[0].error.message, /JsonNode|lazy|clone|sent/i)
})

test('two runs in this thread at once keep their own pools', async () => {
  const a = files('a', Array.from({ length: 200 }, (_, i) => ({ id: i })))
  const b = files('b', Array.from({ length: 200 }, (_, i) => ({ id: 1000 + i })))
  const [ra, rb] = await Promise.all([rt.runJsonPlugins(a, { plugin: SUMMARY }), rt.runJsonPlugins(b, { plugin: SUMMARY })])
  assert.deepEqual([ra.workers, rb.workers], [0, 0])
  assert.deepEqual(ra.results.map((r) => r.id), a.map((_, i) => i))
  assert.deepEqual(rb.results.map((r) => r.id), b.map((_, i) => 1000 + i))
  assert.deepEqual([ra.errors, rb.errors], [[], []])
})

test('an aborted run in this thread rejects with AbortError and frees its blocks', async () => {
  const base = await liveBlocksBaseline()
  const paths = files('abort', Array.from({ length: 2000 }, (_, i) => ({ id: i, pad: 'x'.repeat(500) })))
  const controller = new AbortController()
  const run = rt.runJsonPlugins(paths, { plugin: SUMMARY, signal: controller.signal })
  setImmediate(() => controller.abort(new Error('enough')))
  await assert.rejects(run, (e) => e.name === 'AbortError' && /enough/.test(e.message))
  assert.equal(await settleLiveBlocks(base), base)
})

/**
 * A sparse file of 3 GiB next to `paths[0]`: its size makes a run big enough for workers on
 * any machine with more than one CPU, and it is refused before it is read (larger than a
 * block can take: a BlockFull error for that file), so it costs neither time nor memory.
 */
function hugeSparseFile(paths) {
  const p = path.join(path.dirname(paths[0]), 'huge-sparse.json')
  fs.writeFileSync(p, '')
  fs.truncateSync(p, 3 * 2 ** 30)
  return p
}

const multiCore = (typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length) > 1

test('enough bytes in all: the run uses worker threads, and says why', { skip: !multiCore && 'one CPU: runs stay in this thread' }, async () => {
  const paths = files('big', Array.from({ length: 40 }, () => ({ id: 1 })))
  paths.push(hugeSparseFile(paths))
  const r = await rt.runJsonPlugins(paths, { plugin: path.join(__dirname, 'fixtures', 'parallel-id.js') })
  assert.ok(r.workers >= 2, `workers ${r.workers}`)
  assert.match(r.workersReason, /worker threads: 41 files of about 3072\.\d MB/)
  assert.deepEqual(r.results.slice(0, 40), paths.slice(0, 40).map(() => 1))
  assert.deepEqual(
    r.errors.map((e) => [path.basename(e.path), e.error.code]),
    [['huge-sparse.json', 'BlockFull']],
  )
})

test('on 2 CPUs, 70 MB of files still run in this thread: two workers would not pay for their start', () => {
  const { chooseWorkers } = require('../js/parallel/options')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rt-in-thread-choose-'))
  const paths = Array.from({ length: 70 }, (_, i) => {
    const p = path.join(dir, `${i}.json`)
    fs.writeFileSync(p, '')
    fs.truncateSync(p, 2 ** 20) // sizes only: the chooser reads none of them
    return p
  })
  const two = chooseWorkers(paths, 2)
  assert.equal(two.inThread, true)
  assert.match(two.reason, /ran in this thread: 70 files of about 70\.0 MB in all are less work than starting 2 worker threads costs \(under 18\d\.\d MB for 2 workers\)/)
  assert.equal(chooseWorkers(paths, 8).inThread, true, 'under 8 workers\' bound too (about 80 MB)')
  const more = paths.concat(paths) // 140 MB
  assert.equal(chooseWorkers(more, 2).inThread, true)
  assert.equal(chooseWorkers(more, 8).inThread, false)
  assert.match(chooseWorkers(more, 1).reason, /would gain nothing from a single worker thread/)
  // Sampled across the whole list: 64 tiny files then 63 of 4 MiB (252 MiB) are not "small".
  const mixed = paths.slice(0, 64).map((p, i) => {
    const q = p.replace(/\.json$/, '-tiny.json')
    fs.writeFileSync(q, '[]')
    return q
  })
  for (let i = 0; i < 63; i++) {
    const q = path.join(dir, `big-${i}.json`)
    fs.writeFileSync(q, '')
    fs.truncateSync(q, 4 * 2 ** 20)
    mixed.push(q)
  }
  const m = chooseWorkers(mixed, 2)
  assert.equal(m.inThread, false, m.reason)
  assert.match(m.reason, /127 files of about 2\d\d\.\d MB/)
  fs.rmSync(dir, { recursive: true })
})

test('of a long list the chooser stats a quarter of its sample when that is far from the bound, all of it near the bound; a short list whole', () => {
  const { chooseWorkers } = require('../js/parallel/options')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rt-in-thread-sample-'))
  const sized = (name, bytes) => {
    const p = path.join(dir, name)
    fs.writeFileSync(p, '')
    fs.truncateSync(p, bytes)
    return p
  }
  const tiny = sized('tiny.json', 100)
  const mid = sized('mid.json', 2 ** 20)
  const stats = []
  const real = fs.statSync
  fs.statSync = (p, ...rest) => {
    stats.push(p)
    return real(p, ...rest)
  }
  try {
    // 5 000 files of 100 bytes: 0.5 MB, far under 2 workers' bound (about 182 MB).
    const far = chooseWorkers(Array(5000).fill(tiny), 2)
    assert.equal(far.inThread, true)
    assert.equal(stats.length, 16)
    // 150 files of 1 MiB: 150 MB, near the bound: the whole sample of 64.
    stats.length = 0
    const near = chooseWorkers(Array(150).fill(mid), 2)
    assert.equal(near.inThread, true, near.reason)
    assert.equal(stats.length, 16 + 64)
    // 10 000 files of 1 MiB: far over it.
    stats.length = 0
    assert.equal(chooseWorkers(Array(10_000).fill(mid), 2).inThread, false)
    assert.equal(stats.length, 16)
    // 64 files or fewer: every one.
    stats.length = 0
    assert.equal(chooseWorkers(Array(64).fill(tiny), 2).inThread, true)
    assert.equal(stats.length, 64)
    // Directories are no work (each fails at once): their sizes do not count.
    assert.equal(chooseWorkers(Array(100_000).fill(__dirname), 2).inThread, true)
    // A regular pattern does not line up with the samples: 1 024 files of 1 MiB (1 GiB) with
    // every 16th or every 64th tiny are not "small".
    for (const every of [16, 64]) {
      const list = Array.from({ length: 1024 }, (_, i) => (i % every === 0 ? tiny : mid))
      const c = chooseWorkers(list, 2)
      assert.equal(c.inThread, false, `every ${every}th tiny: ${c.reason}`)
    }
  } finally {
    fs.statSync = real
    fs.rmSync(dir, { recursive: true })
  }
})

test('a kept host with no workers option chooses for each run; with one, it always uses workers', async () => {
  const base = await liveBlocksBaseline()
  const ID = path.join(__dirname, 'fixtures', 'parallel-id.js')
  const small = files('host-small', Array.from({ length: 50 }, (_, i) => ({ id: i })))
  const big = files('host-big', Array.from({ length: 36 }, () => ({ id: 7 })))
  big.push(hugeSparseFile(big))
  const host = rt.createJsonPluginHost({ plugin: ID })
  try {
    const a = await host.run(small)
    assert.equal(a.workers, 0)
    assert.deepEqual(a.results, small.map((_, i) => i))
    const b = await host.run(big)
    if (multiCore) assert.ok(b.workers >= 1)
    assert.deepEqual(b.results.slice(0, 36), big.slice(0, 36).map(() => 7))
    assert.deepEqual(b.errors.map((e) => e.error.code), ['BlockFull'])
    // Small again: back in this thread, and the in-thread pool was kept from the first run.
    const c = await host.run(small)
    assert.equal(c.workers, 0)
    assert.deepEqual(c.results, a.results)
  } finally {
    await host.close()
  }
  const fixed = rt.createJsonPluginHost({ plugin: ID, workers: 2 })
  try {
    const r = await fixed.run(small)
    assert.equal(r.workers, 2)
    assert.equal(r.workersReason, null)
  } finally {
    await fixed.close()
  }
  assert.equal(await settleLiveBlocks(base), base, 'close() ends workers and the in-thread pool alike')
})

test('more files than one chunk takes run in this thread chunk after chunk, every result in its place', async () => {
  // In this thread a chunk takes at least 8192 inputs (run.js, IN_THREAD_CHUNK): 9000 files
  // are two chunks, the second asked for while the first runs.
  const values = Array.from({ length: 9000 }, (_, i) => ({ id: i }))
  const paths = files('chunks', values)
  let progress = 0
  const r = await rt.runJsonPlugins(paths, { plugin: SUMMARY, onProgress: ({ done }) => (progress = done) })
  assert.equal(r.workers, 0)
  assert.equal(r.errors.length, 0)
  assert.equal(r.files, 9000)
  assert.equal(progress, 9000)
  for (let i = 0; i < 9000; i += 997) assert.equal(r.results[i].value.id, i)
  assert.equal(r.results[8999].value.id, 8999)
  assert.equal(r.results.filter((x) => x !== undefined).length, 9000)
  fs.rmSync(path.dirname(paths[0]), { recursive: true })
})

test('a run in this thread aborted while its plugin loads: the pool its runner makes once loaded is closed', async () => {
  const paths = files('slow-load', [{ a: 1 }, { a: 2 }])
  // The runner's pool is this package's JsonPool class, in this thread: count its closes.
  const close = rt.JsonPool.prototype.close
  let closes = 0
  rt.JsonPool.prototype.close = function () {
    closes++
    return close.call(this)
  }
  try {
    const run = rt.runJsonPlugins(paths, { plugin: path.join(__dirname, 'fixtures', 'parallel-slow-load.mjs'), signal: AbortSignal.timeout(20) })
    await assert.rejects(run, (e) => e.name === 'AbortError' || e.name === 'TimeoutError')
    const before = closes
    // The plugin finishes loading after the abort; the runner's init then makes its pool.
    await new Promise((resolve) => setTimeout(resolve, 1000))
    assert.equal(closes, before + 1, 'the pool made after the abort was closed')
  } finally {
    rt.JsonPool.prototype.close = close
  }
})
