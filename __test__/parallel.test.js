'use strict'
// runJsonPlugins / runParallel: plugins on several worker threads, each with its own pool
// and Rust threads. Results must equal a single-thread parseJsonFiles run; faults stay with
// their files; every run ends with its workers gone and liveBlocks() back to its baseline.
//
//   node --expose-gc --test __test__/parallel.test.js
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { rt, settleLiveBlocks } = require('./helpers')

const fixture = (name) => path.join(__dirname, 'fixtures', name)
const SUMMARY = fixture('parallel-summary.js')
const FAULTS = fixture('parallel-faults.js')
const THREAD = fixture('parallel-thread.js')

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rt-parallel-'))
test.after(() => fs.rmSync(dir, { recursive: true, force: true }))

/** Write `docs` (values, or raw text strings with `raw: true`) as files; returns their paths. */
function writeFiles(prefix, docs) {
  return docs.map((d, i) => {
    const p = path.join(dir, `${prefix}-${String(i).padStart(4, '0')}.json`)
    fs.writeFileSync(p, typeof d === 'string' ? d : JSON.stringify(d))
    return p
  })
}

/** ~200 varied documents (nested, unicode, numbers), a few malformed files and a missing one. */
function corpus() {
  const docs = []
  for (let i = 0; i < 200; i++) {
    docs.push({
      id: i,
      name: `doc ${i} é😀 ${'x'.repeat(i % 17)}`,
      tags: Array.from({ length: i % 7 }, (_, k) => `t${k}`),
      nested: { depth: { n: i * 1.5, neg: -i, list: [null, true, false, i % 3 === 0 ? '__proto__' : 'p'] } },
      rows: Array.from({ length: (i * 37) % 120 }, (_, k) => ({ k, v: `${i}:${k}`, f: k / 7 })),
    })
  }
  const paths = writeFiles('corpus', docs)
  const bad = writeFiles('corpus-bad', ['{"a": 1,}', '[1, 2', '', '{"x": "\\q"}'])
  const missing = path.join(dir, 'does-not-exist.json')
  // Malformed and missing files among the good ones, and one path twice.
  return [...paths.slice(0, 50), ...bad.slice(0, 2), missing, ...paths.slice(50, 150), ...bad.slice(2), ...paths.slice(150), paths[7]]
}

/** Every error as comparable facts, by path. */
const errorFacts = (errors) =>
  errors
    .map(({ path: p, phase, error }) => ({ path: p, phase, name: error?.name, code: error?.code, message: error?.message, offset: error?.offset }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))

/** Run `fn` with liveBlocks() checked before and after (workers gone, blocks freed). */
async function noLeak(fn) {
  // Blocks of pools closed earlier are freed by the GC: settle them first.
  const base = await settleLiveBlocks(0)
  const out = await fn()
  assert.equal(await settleLiveBlocks(base), base, 'liveBlocks back to its baseline after the run')
  return out
}

test('argument validation (InvalidArgumentError)', async () => {
  const paths = writeFiles('args', [{ a: 1 }])
  const bad = [
    [null, { plugin: SUMMARY }],
    [[1], { plugin: SUMMARY }],
    [paths, undefined],
    [paths, null],
    [paths, {}],
    [paths, { plugin: 'relative/plugin.js' }],
    [paths, { plugin: path.join(dir, 'no-such-plugin.js') }],
    [paths, { plugin: dir }],
    [paths, { plugin: 42 }],
    [paths, { plugin: SUMMARY, workers: 0 }],
    [paths, { plugin: SUMMARY, workers: 65 }],
    [paths, { plugin: SUMMARY, workers: 1.5 }],
    [paths, { plugin: SUMMARY, workers: '2' }],
    [paths, { plugin: SUMMARY, threads: 0 }],
    [paths, { plugin: SUMMARY, poolSize: 0 }],
    [paths, { plugin: SUMMARY, transfer: 'zero' }],
    [paths, { plugin: SUMMARY, pluginTimeoutMs: 0 }],
    [paths, { plugin: SUMMARY, signal: {} }],
    [paths, { plugin: SUMMARY, onProgress: 'yes' }],
  ]
  for (const [p, o] of bad) {
    await assert.rejects(rt.runJsonPlugins(p, o), rt.InvalidArgumentError, `${JSON.stringify(o)}`)
  }
  await assert.rejects(rt.runParallel([1], { plugin: SUMMARY }), rt.InvalidArgumentError)
  await assert.rejects(rt.runParallel('x', { runner: SUMMARY, plugin: SUMMARY }), rt.InvalidArgumentError)
  await assert.rejects(rt.runParallel([1], { runner: fixture('parallel-runner.js'), plugin: SUMMARY, fn: () => {} }), rt.InvalidArgumentError)
  // Nothing to do: no worker starts.
  assert.deepEqual((await rt.runJsonPlugins([], { plugin: SUMMARY })).results, [])
})

test('results equal a single-thread parseJsonFiles run (200 files, malformed, missing, a path twice)', async () => {
  const paths = corpus()
  const plugin = require(SUMMARY)
  const pool = new rt.FixedSizeAllocatorPool({ size: 4 })
  const expected = new Array(paths.length).fill(undefined)
  // parseJsonFiles names files by path: record per path (the repeated path gives the same summary).
  const byPath = new Map()
  const single = await pool.parseJsonFiles(paths, (doc, p) => {
    if (!(doc instanceof Error)) byPath.set(p, plugin(doc, p))
  })
  pool.close()
  for (const [i, p] of paths.entries()) expected[i] = byPath.get(p)
  const progress = []
  const r = await noLeak(() => rt.runJsonPlugins(paths, { plugin: SUMMARY, workers: 3, threads: 2, onProgress: (p) => progress.push(p) }))
  assert.equal(r.results.length, paths.length)
  assert.deepEqual(r.results, expected)
  assert.equal(r.files, paths.length)
  assert.equal(r.bytes, single.bytes)
  assert.ok(r.ms > 0)
  assert.deepEqual(errorFacts(r.errors), errorFacts(single.errors))
  assert.equal(r.errors.length, 5)
  const syntax = r.errors.find((e) => e.path.endsWith('corpus-bad-0000.json'))
  assert.ok(syntax.error instanceof rt.JsonSyntaxError, 'typed on the main thread')
  assert.ok(syntax.error instanceof rt.RawTransferError)
  assert.equal(syntax.error.offset, 8)
  assert.equal(syntax.error.line, 1)
  assert.equal(syntax.error.column, 9)
  assert.equal(syntax.error.code, 'JsonSyntax')
  assert.equal(syntax.error.path, syntax.path)
  const missing = r.errors.find((e) => e.phase === 'read')
  assert.ok(missing.error instanceof rt.RawTransferError)
  assert.equal(missing.error.code, 'ENOENT')
  assert.equal(missing.error.syscall, 'open')
  // Progress: increasing, ending at the total.
  assert.ok(progress.length >= 1)
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i].done > progress[i - 1].done)
  assert.deepEqual(progress.at(-1), { done: paths.length, total: paths.length })
})

test('ESM plugin with an async default export; one worker; copy mode', async () => {
  const paths = writeFiles('esm', Array.from({ length: 40 }, (_, i) => ({ id: i, s: 'é'.repeat(i) })))
  for (const options of [{ workers: 1 }, { workers: 2, transfer: 'copy' }, { workers: 2, transfer: 'external', poolSize: 1, threads: 1 }]) {
    const r = await noLeak(() => rt.runJsonPlugins(paths, { plugin: fixture('parallel-summary.mjs'), ...options }))
    assert.deepEqual(r.errors, [])
    for (const [i, v] of r.results.entries()) {
      assert.equal(v.id, i)
      assert.deepEqual(v.value, { id: i, s: 'é'.repeat(i) })
    }
  }
})

test('copy mode: the same results as zero-copy', async () => {
  const paths = corpus()
  const a = await noLeak(() => rt.runJsonPlugins(paths, { plugin: SUMMARY, workers: 2, transfer: 'copy' }))
  const b = await noLeak(() => rt.runJsonPlugins(paths, { plugin: SUMMARY, workers: 2 }))
  assert.deepEqual(a.results, b.results)
  assert.deepEqual(errorFacts(a.errors), errorFacts(b.errors))
})

test('load balancing: a slow plugin on some files does not leave other workers idle', async () => {
  // Every 10th document keeps its worker busy 40 ms; all three workers must get work.
  const docs = Array.from({ length: 120 }, (_, i) => ({ id: i, spinMs: i % 10 === 0 ? 40 : 0 }))
  const paths = writeFiles('balance', docs)
  const r = await noLeak(() => rt.runJsonPlugins(paths, { plugin: THREAD, workers: 3 }))
  assert.deepEqual(r.errors, [])
  const perThread = new Map()
  for (const [i, v] of r.results.entries()) {
    assert.equal(v.id, i)
    perThread.set(v.threadId, (perThread.get(v.threadId) ?? 0) + 1)
  }
  assert.equal(perThread.size, 3, `every worker processed something: ${JSON.stringify([...perThread])}`)

  // One very slow file: while its worker is stuck on it, the other does (nearly) all the rest.
  const docs2 = Array.from({ length: 100 }, (_, i) => ({ id: i, spinMs: i === 0 ? 800 : 0 }))
  const paths2 = writeFiles('balance-slow', docs2)
  const r2 = await noLeak(() => rt.runJsonPlugins(paths2, { plugin: THREAD, workers: 2 }))
  const slowThread = r2.results[0].threadId
  const onSlow = r2.results.filter((v) => v.threadId === slowThread).length
  assert.ok(onSlow <= 100 / 16 + 2, `the slow file's worker kept only its first chunk (it ran ${onSlow} files)`)
  assert.ok(r2.ms < 800 + 2000, `took ${r2.ms} ms`)
})

test('faults: throw, reject, custom error class, non-Error, unclonable results, pluginTimeoutMs', async () => {
  const faults = ['throw', 'custom', 'string', 'reject', 'node', 'view', 'hang']
  const docs = Array.from({ length: 60 }, (_, i) => ({ id: i, fault: i % 8 < faults.length && i % 2 === 1 ? faults[(i >> 1) % faults.length] : null }))
  const paths = writeFiles('faults', docs)
  const r = await noLeak(() => rt.runJsonPlugins(paths, { plugin: FAULTS, workers: 2, pluginTimeoutMs: 100 }))
  const errorOf = new Map(r.errors.map((e) => [e.path, e]))
  for (const [i, d] of docs.entries()) {
    const e = errorOf.get(paths[i])
    if (d.fault === null) {
      assert.equal(e, undefined, `no error for ${i}`)
      assert.equal(r.results[i].id, i)
      continue
    }
    assert.ok(e, `an error for ${i} (${d.fault})`)
    assert.equal(r.results[i], undefined, `no result for ${i}`)
    assert.equal(e.phase, 'plugin')
    switch (d.fault) {
      case 'throw':
        assert.ok(e.error instanceof TypeError)
        assert.equal(e.error.message, `bad document ${i}`)
        assert.match(e.error.stack, /parallel-faults\.js/, "the worker's stack")
        break
      case 'custom':
        assert.ok(e.error instanceof Error)
        assert.equal(e.error.name, 'PluginError')
        assert.equal(e.error.code, 'E_PLUGIN')
        assert.equal(e.error.detail, 42)
        break
      case 'string':
        assert.equal(e.error, `a string ${i}`, 'whatever it threw')
        break
      case 'reject':
        assert.ok(e.error instanceof RangeError)
        assert.equal(e.error.message, `rejected ${i}`)
        break
      case 'node':
      case 'view':
        assert.equal(e.error.name, 'DataCloneError')
        break
      case 'hang':
        assert.ok(e.error instanceof rt.PluginTimeoutError, `${e.error}`)
        assert.equal(e.error.code, 'PluginTimeout')
        break
    }
  }
  assert.equal(r.restarts, 0)
})

test('faults: process.exit() in a plugin and an uncaught error in a timer; culprits recorded, workers replaced', async () => {
  for (const fault of ['exit', 'uncaught']) {
    const culprits = [17, 64]
    const docs = Array.from({ length: 90 }, (_, i) => ({ id: i, fault: culprits.includes(i) ? fault : null }))
    const paths = writeFiles(`kill-${fault}`, docs)
    const r = await noLeak(() => rt.runJsonPlugins(paths, { plugin: FAULTS, workers: 2 }))
    assert.deepEqual(
      r.errors.map((e) => [e.path, e.phase]),
      culprits.map((i) => [paths[i], 'worker']),
      `${fault}: the culprits, and only they`,
    )
    for (const e of r.errors) {
      assert.ok(e.error instanceof rt.RawTransferError)
      assert.equal(e.error.code, 'WorkerExited')
      assert.equal(e.error.path, e.path)
      if (fault === 'uncaught') assert.match(e.error.message, /uncaught in a timer/)
      else assert.match(e.error.message, /code 3/)
    }
    for (const [i, v] of r.results.entries()) {
      if (culprits.includes(i)) assert.equal(v, undefined)
      else assert.equal(v?.id, i, `${fault}: file ${i} has its result`)
    }
    assert.ok(r.restarts >= 2, `${fault}: ${r.restarts} restarts`)
  }
})

test('faults: a file that kills every worker it meets, with a single worker', async () => {
  const docs = Array.from({ length: 30 }, (_, i) => ({ id: i, fault: i % 10 === 5 ? 'exit' : null }))
  const paths = writeFiles('kill-one', docs)
  const r = await noLeak(() => rt.runJsonPlugins(paths, { plugin: FAULTS, workers: 1 }))
  assert.deepEqual(r.errors.map((e) => e.path), [paths[5], paths[15], paths[25]])
  assert.equal(r.results.filter((v) => v !== undefined).length, 27)
})

test('AbortSignal: mid-run the run stops promptly with an AbortError carrying the partial result', async () => {
  const docs = Array.from({ length: 200 }, (_, i) => ({ id: i, fault: 'spin' })) // 20 ms each: ~2 s in all
  const paths = writeFiles('abort', docs)
  const base = await settleLiveBlocks(0)
  const ac = new AbortController()
  let abortedAt = 0
  const run = rt.runJsonPlugins(paths, {
    plugin: FAULTS,
    workers: 2,
    signal: ac.signal,
    onProgress: ({ done }) => {
      if (done > 0 && abortedAt === 0) {
        abortedAt = performance.now()
        ac.abort()
      }
    },
  })
  const err = await run.then(
    () => assert.fail('should reject'),
    (e) => e,
  )
  const ms = performance.now() - abortedAt
  assert.equal(err.name, 'AbortError')
  assert.ok(ms < 500, `rejected ${ms.toFixed(0)} ms after abort()`)
  assert.ok(err.result, 'partial result')
  assert.equal(err.result.results.length, 200)
  const done = err.result.results.filter((v) => v !== undefined).length
  assert.ok(done > 0 && done < 200, `${done} files done`)
  assert.equal(await settleLiveBlocks(base), base)

  // Aborted before it starts: rejects at once, no worker.
  await assert.rejects(rt.runJsonPlugins(paths, { plugin: FAULTS, signal: AbortSignal.abort() }), { name: 'AbortError' })
})

test('a plugin module that exports no function, or fails to load, rejects the run', async () => {
  const paths = writeFiles('broken', [{ a: 1 }, { a: 2 }])
  await noLeak(() => assert.rejects(rt.runJsonPlugins(paths, { plugin: fixture('parallel-broken-plugin.js'), workers: 2 }), /does not export a function/))
  const throwing = path.join(dir, 'throwing-plugin.js')
  fs.writeFileSync(throwing, "throw new RangeError('plugin failed to load')\n")
  await noLeak(() => assert.rejects(rt.runJsonPlugins(paths, { plugin: throwing, workers: 2 }), (e) => e instanceof RangeError && /failed to load/.test(e.message)))
})

test('a worker whose plugin never finishes loading gets no chunk: the other workers do the run', async () => {
  const paths = writeFiles('stuck', Array.from({ length: 40 }, (_, i) => ({ a: i })))
  process.env.RT_TEST_LOAD_LOCK = path.join(dir, 'stuck-load.lock')
  try {
    const r = await rt.runJsonPlugins(paths, { plugin: fixture('parallel-stuck-load.mjs'), workers: 2 })
    assert.deepEqual(r.results, paths.map((_, i) => i))
    assert.deepEqual(r.errors, [])
  } finally {
    delete process.env.RT_TEST_LOAD_LOCK
  }
})

test('runParallel: a third-party runner, its own phases, options passed through; a runner failure rejects', async () => {
  const runner = fixture('parallel-runner.js')
  const plugin = fixture('parallel-square.mjs')
  const inputs = Array.from({ length: 100 }, (_, n) => ({ n: n === 50 ? -1 : n }))
  const r = await noLeak(() => rt.runParallel(inputs, { runner, plugin, workers: 2, factor: 1 }))
  assert.equal(r.bytes, 100)
  assert.deepEqual(
    r.errors.map((e) => [e.index, e.phase, e.error.name, e.error.code, e.error.message]),
    [
      [13, 'plugin', 'Error', undefined, 'unlucky'],
      [50, 'produce', 'RangeError', 'Negative', 'negative -1'],
    ],
  )
  for (const [i, v] of r.results.entries()) {
    if (i === 13 || i === 50) assert.equal(v, undefined)
    else assert.deepEqual([v.n, v.square], [i, i * i])
  }
  const factor = await rt.runParallel([{ n: 3 }], { runner, plugin, workers: 1, factor: 2 })
  assert.equal(factor.results[0].square, 36)
  inputs[70] = { fatal: true }
  await noLeak(() =>
    assert.rejects(rt.runParallel(inputs, { runner, plugin, workers: 2 }), (e) => e.message === 'the runner failed' && Array.isArray(e.result.results)),
  )
})

test('workers do not keep the process alive after the run', () => {
  const paths = writeFiles('alive', [{ id: 1 }, { id: 2 }, { id: 3 }])
  const script = `
    const rt = require(${JSON.stringify(path.join(__dirname, '..'))})
    rt.runJsonPlugins(${JSON.stringify(paths)}, { plugin: ${JSON.stringify(FAULTS)}, workers: 2 })
      .then((r) => console.log(JSON.stringify(r.results.map((v) => v.id))))`
  const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20000 })
  assert.equal(out.status, 0, out.stderr)
  assert.equal(out.stdout.trim(), '[1,2,3]')
})

test('a host keeps its workers between runs: same threads, same results, runs queued, close frees everything', async () => {
  const paths = corpus()
  const plain = await rt.runJsonPlugins(paths, { plugin: SUMMARY, workers: 2 })
  const base = await settleLiveBlocks(0)
  const host = rt.createJsonPluginHost({ plugin: THREAD, workers: 2, threads: 2 })
  assert.equal(host.workers, 2)
  assert.equal(host.closed, false)
  const seen = []
  for (let round = 0; round < 3; round++) {
    const r = await host.run(paths)
    assert.equal(r.files, paths.length)
    assert.equal(r.restarts, 0)
    assert.deepEqual(errorFacts(r.errors), errorFacts(plain.errors))
    seen.push(new Set(r.results.filter(Boolean).map((v) => v.threadId)))
  }
  // The same two worker threads served every round (a fast worker may take every chunk of a
  // round, so a round may see one of them; new workers would bring new thread ids).
  const threads = new Set(seen.flatMap((s) => [...s]))
  assert.ok(threads.size >= 1 && threads.size <= 2, `thread ids over the rounds: ${[...threads]}`)
  // Two runs started together run one after the other, each with its own results.
  const a = writeFiles('host-a', [{ id: 'a0' }, { id: 'a1' }])
  const b = writeFiles('host-b', [{ id: 'b0' }])
  const [ra, rb] = await Promise.all([host.run(a), host.run(b)])
  assert.deepEqual(ra.results.map((v) => v.id), ['a0', 'a1'])
  assert.deepEqual(rb.results.map((v) => v.id), ['b0'])
  // A JSON host runs JSON: the summary plugin's results equal runJsonPlugins'.
  const summary = rt.createJsonPluginHost({ plugin: SUMMARY, workers: 2 })
  assert.deepEqual((await summary.run(paths)).results, plain.results)
  await summary.close()
  await host.close()
  assert.equal(host.closed, true)
  await host.close() // idempotent
  await assert.rejects(host.run(paths), rt.PoolClosedError)
  assert.equal(await settleLiveBlocks(base), base, 'liveBlocks back to its baseline after close()')
})

test('a host survives faults and aborts: the next run starts new workers and succeeds', async () => {
  const base = await settleLiveBlocks(0)
  const docs = Array.from({ length: 40 }, (_, id) => ({ id, fault: id === 5 ? 'exit' : id % 10 === 3 ? 'spin' : undefined }))
  const paths = writeFiles('host-faults', docs)
  const host = rt.createJsonPluginHost({ plugin: FAULTS, workers: 2 })
  const r1 = await host.run(paths)
  assert.ok(r1.restarts >= 1)
  assert.deepEqual(r1.errors.map((e) => [path.basename(e.path), e.phase, e.error.code]), [[path.basename(paths[5]), 'worker', 'WorkerExited']])
  // Aborted mid-run: rejects with the partial result; the host works afterwards.
  const spin = writeFiles('host-spin', Array.from({ length: 200 }, (_, id) => ({ id, fault: 'spin' })))
  const ac = new AbortController()
  const aborted = host.run(spin, { signal: ac.signal, onProgress: (p) => p.done >= 4 && ac.abort(new Error('enough')) })
  await assert.rejects(aborted, (e) => e.name === 'AbortError' && e.result.results.length === 200 && e.result.results.filter(Boolean).length < 200)
  const r2 = await host.run(paths.slice(6))
  assert.deepEqual(r2.results.map((v) => v.id), docs.slice(6).map((d) => d.id))
  assert.deepEqual(r2.errors, [])
  // Argument errors reject; per-run options belong to run().
  await assert.rejects(host.run([1]), rt.InvalidArgumentError)
  await assert.rejects(host.run(paths, { signal: 'no' }), rt.InvalidArgumentError)
  assert.throws(() => rt.createJsonPluginHost({ plugin: FAULTS, onProgress: () => {} }), rt.InvalidArgumentError)
  assert.throws(() => rt.createJsonPluginHost({ plugin: 'relative.js' }), rt.InvalidArgumentError)
  assert.throws(() => rt.createJsonPluginHost({ plugin: FAULTS, workers: 0 }), rt.InvalidArgumentError)
  await host[Symbol.asyncDispose]()
  assert.equal(host.closed, true)
  assert.equal(await settleLiveBlocks(base), base)
})

test('createParallelHost: a third-party runner kept warm across runs', async () => {
  const host = rt.createParallelHost({ runner: fixture('parallel-runner.js'), plugin: fixture('parallel-square.mjs'), workers: 2, factor: 1 })
  for (let round = 0; round < 2; round++) {
    const r = await host.run(Array.from({ length: 30 }, (_, n) => ({ n })))
    assert.deepEqual(r.errors.map((e) => e.index), [13])
    assert.equal(r.results[29].square, 29 * 29)
  }
  await host.close()
})

test('an idle host does not keep the process alive', () => {
  const paths = writeFiles('host-alive', [{ id: 1 }, { id: 2 }])
  const script = `
    const rt = require(${JSON.stringify(path.join(__dirname, '..'))})
    const host = rt.createJsonPluginHost({ plugin: ${JSON.stringify(FAULTS)}, workers: 2 })
    host.run(${JSON.stringify(paths)}).then((r) => console.log(JSON.stringify(r.results.map((v) => v.id))))`
  const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20000 })
  assert.equal(out.status, 0, out.stderr)
  assert.equal(out.stdout.trim(), '[1,2]')
})

test('a worker that exits while its job parses a big file: its blocks are freed before its exit event', async () => {
  // The job's producer thread is in the middle of a 30 MB document when the plugin ends
  // the worker: environment teardown cancels the job and waits for that thread, so by the
  // worker's 'exit' event the block is back (no GC, no delay).
  const { Worker } = require('node:worker_threads')
  const big = path.join(dir, 'teardown-big.json')
  fs.writeFileSync(big, JSON.stringify(Array.from({ length: 400000 }, (_, i) => ({ i, s: `value ${i}`, f: i / 3 }))))
  const small = writeFiles('teardown-small', [{ a: 1 }])[0]
  const base = await settleLiveBlocks(0)
  for (let round = 0; round < 3; round++) {
    const w = new Worker(
      `const rt = require(${JSON.stringify(path.join(__dirname, '..'))})
       const pool = new rt.FixedSizeAllocatorPool({ size: 3 })
       pool.parseJsonFiles(${JSON.stringify([small, big, big])}, () => process.exit(0), { threads: 2 })`,
      { eval: true },
    )
    await new Promise((resolve) => w.on('exit', resolve))
    assert.equal(rt.liveBlocks(), base, `round ${round}: blocks still live after the worker's exit event`)
  }
})

test('blocks of a worker that died are freed by the time the run settles (no GC needed)', async () => {
  // A dying worker's environment cancels its job and waits for the producer thread to
  // finish the item in hand, so the worker's 'exit' comes after its blocks were freed.
  const base = await settleLiveBlocks(0)
  const docs = Array.from({ length: 40 }, (_, i) => ({ id: i, fault: i % 8 === 3 ? 'exit' : null, pad: 'x'.repeat(2000 * (i % 5)) }))
  const paths = writeFiles('kill-free', docs)
  for (let round = 0; round < 4; round++) {
    const r = await rt.runJsonPlugins(paths, { plugin: FAULTS, workers: 2, threads: 2, poolSize: 3 })
    assert.equal(r.errors.length, 5)
    assert.equal(rt.liveBlocks(), base, `round ${round}: liveBlocks right after the run`)
  }
})

test('a job collected by the GC with results nobody took frees their blocks', async () => {
  // Queued results hold a block and a read-ahead permit that points back at the job's
  // shared state: dropping the job must let them go, or the cycle keeps the blocks for ever.
  const base = await settleLiveBlocks(0)
  const paths = writeFiles('untaken', Array.from({ length: 6 }, (_, i) => ({ i, pad: 'y'.repeat(1000) })))
  const pool = new rt.FixedSizeAllocatorPool({ size: 4 })
  ;(() => {
    const job = pool._native.startJsonFiles(paths, 2, 0)
    assert.equal(typeof job.take, 'function')
  })()
  // Let the producer threads queue what they can (3 blocks' worth), then drop every reference.
  await new Promise((r) => setTimeout(r, 200))
  assert.ok(rt.liveBlocks() > base, 'the job produced into blocks')
  pool.close()
  assert.equal(await settleLiveBlocks(base), base, `blocks left: ${JSON.stringify(rt.liveBlockOwners())}`)
})
