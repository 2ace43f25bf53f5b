'use strict'
// The `signal` of a parallel run (runJsonPlugins, host.run): only a whole AbortSignal shape
// is accepted, and however its methods then misbehave (throwing, calling back at once, late
// or twice, a throwing `reason` or `aborted`) the run settles, the host keeps working, and
// an idle host never keeps the process alive.
//
//   node --expose-gc --test __test__/parallel-signals.test.js
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { rt, writeJsonFiles } = require('./helpers')

const FAULTS = path.join(__dirname, 'fixtures', 'parallel-faults.js')
const CHILD = path.join(__dirname, 'fixtures', 'parallel-signals-child.js')

const { dir, paths } = writeJsonFiles(4, (i) => ({ id: i }))
test.after(() => fs.rmSync(dir, { recursive: true, force: true }))

// A run that never settles fails the test at its timeout instead of hanging the runner.
test('a signal must have aborted, addEventListener and removeEventListener (InvalidArgumentError)', { timeout: 30_000 }, async () => {
  const noop = () => {}
  const bad = [
    null,
    42,
    { aborted: false, addEventListener: noop }, // no removeEventListener
    { aborted: false, removeEventListener: noop },
    { aborted: 'no', addEventListener: noop, removeEventListener: noop },
    { aborted: false, addEventListener: noop, removeEventListener: 'x' },
    {
      get aborted() {
        throw new Error('getter')
      },
      addEventListener: noop,
      removeEventListener: noop,
    },
    new Proxy({}, { get: () => { throw new Error('trap') } }), // prettier-ignore
  ]
  const host = rt.createJsonPluginHost({ plugin: FAULTS, workers: 1 })
  try {
    for (const signal of bad) {
      await assert.rejects(rt.runJsonPlugins(paths, { plugin: FAULTS, signal }), rt.InvalidArgumentError)
      await assert.rejects(host.run(paths, { signal }), rt.InvalidArgumentError)
    }
    // A whole shape that is not an AbortSignal is accepted.
    const r = await host.run(paths, { signal: { aborted: false, addEventListener: noop, removeEventListener: noop } })
    assert.deepEqual(
      r.results.map((x) => x.id),
      [0, 1, 2, 3],
    )
  } finally {
    await host.close()
  }
})

/** Run the child for `kind` (see the fixture); it must print its outcomes and exit on its own. */
function child(kind, files) {
  const out = spawnSync(process.execPath, [CHILD, kind, FAULTS, ...files], { encoding: 'utf8', timeout: 15_000 })
  assert.equal(out.signal, null, `${kind}: the process did not exit on its own (a run never settled, or an idle host kept it alive)`)
  assert.equal(out.status, 0, `${kind}: ${out.stderr}`)
  return JSON.parse(out.stdout)
}

test('a signal whose methods misbehave: every run settles, the host works on, and the idle host lets the process exit', () => {
  const slow = writeJsonFiles(20, (i) => ({ id: i, fault: 'spin' }))
  try {
    const ok = { ok: true, results: 4, errors: 0 }
    const cases = {
      'remove-throws': { ok: true, results: 4, errors: 0 },
      'add-throws': { ok: false, name: 'Error', message: 'addEventListener failed' },
      'calls-at-once': { ok: false, name: 'AbortError', message: 'the run was aborted' },
      'calls-late': ok,
      'aborted-throws': { ok: false, name: 'Error', message: 'aborted failed' },
    }
    for (const [kind, first] of Object.entries(cases)) {
      assert.deepEqual(child(kind, paths), { warm: ok, first, second: ok }, kind)
    }
    // Aborted mid-run by a signal whose `reason` getter throws.
    const r = child('reason-throws', slow.paths)
    assert.deepEqual(r.first, { ok: false, name: 'AbortError', message: 'the run was aborted' })
    assert.deepEqual(r.second, { ok: true, results: 20, errors: 0 })
  } finally {
    fs.rmSync(slow.dir, { recursive: true, force: true })
  }
})

test('an idle host whose last run failed on its signal does not keep the process alive', () => {
  const script = `
    const rt = require(${JSON.stringify(path.join(__dirname, '..'))})
    const paths = ${JSON.stringify(paths)}
    const host = rt.createJsonPluginHost({ plugin: ${JSON.stringify(FAULTS)}, workers: 2 })
    const signal = { aborted: false, addEventListener() { throw new Error('no listeners here') }, removeEventListener() {} }
    host.run(paths)
      .then(() => host.run(paths, { signal }))
      .then(() => console.log('resolved'), (e) => console.log('rejected: ' + e.message))`
  const t0 = performance.now()
  const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10_000 })
  assert.equal(out.signal, null, `the process did not exit on its own within 10 s: ${out.stderr}`)
  assert.equal(out.status, 0, out.stderr)
  assert.equal(out.stdout.trim(), 'rejected: no listeners here')
  assert.ok(performance.now() - t0 < 5000, 'it exits as soon as the run has settled')
})

test('in this thread, a run whose plugin never settles keeps the process alive until its AbortSignal.timeout ends it', () => {
  // The run is done in this thread (no workers option, small files); the plugin's promise
  // never settles and AbortSignal.timeout's timer does not keep Node alive: the run must
  // hold the process as a worker thread would, or Node exits with the run's promise pending.
  const hang = writeJsonFiles(1, () => ({ id: 0, fault: 'hang' }))
  const script = `
    const rt = require(${JSON.stringify(path.join(__dirname, '..'))})
    const t0 = Date.now()
    rt.runJsonPlugins(${JSON.stringify(hang.paths)}, { plugin: ${JSON.stringify(FAULTS)}, signal: AbortSignal.timeout(300) })
      .then((r) => console.log('resolved ' + r.workers), (e) => console.log('rejected ' + e.name + ' ' + (Date.now() - t0 >= 250)))`
  const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10_000 })
  fs.rmSync(hang.dir, { recursive: true, force: true })
  assert.equal(out.signal, null, `the process did not exit on its own within 10 s: ${out.stderr}`)
  assert.equal(out.status, 0, out.stderr)
  assert.equal(out.stdout.trim(), 'rejected AbortError true')
})

test('an async onProgress that rejects fails the run (or, after the run ended, changes nothing): no unhandled rejection', () => {
  const script = `
    const rt = require(${JSON.stringify(path.join(__dirname, '..'))})
    process.on('unhandledRejection', (e) => { console.log('unhandled ' + e.message); process.exitCode = 9 })
    const run = (workers) => rt.runJsonPlugins(${JSON.stringify(paths)}, { plugin: ${JSON.stringify(FAULTS)}, workers, onProgress: async () => { throw new Error('async progress failed') } })
      .then((r) => 'resolved ' + r.files, (e) => 'rejected ' + e.message)
    Promise.all([run(undefined), run(1)]).then((outs) => setTimeout(() => console.log(outs.join(', ')), 50))`
  const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 })
  assert.equal(out.signal, null, out.stderr)
  assert.equal(out.status, 0, `${out.stdout} ${out.stderr}`)
  assert.doesNotMatch(out.stdout, /unhandled/)
  assert.match(out.stdout.trim(), /^(resolved 4|rejected async progress failed), (resolved 4|rejected async progress failed)$/)
})
