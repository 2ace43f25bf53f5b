'use strict'
// Options objects of every public entry point: an unknown own option name is an
// InvalidArgumentError naming it and the nearest known one, and hostile objects and values
// (Proxies, throwing or changing getters, odd numbers, symbols, inherited properties...)
// either work or throw InvalidArgumentError: never another error, a crash or a hang.
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { rt } = require('./helpers')

const fixtures = path.join(__dirname, 'fixtures')
const plugin = path.join(fixtures, 'parallel-summary.js')
const runner = path.join(fixtures, 'parallel-runner.js')

/** A job that is done at once (runJob's options are what is tested). */
const doneJob = () => ({ take: () => ({ records: [], buffers: [], errors: [], done: true, wait: null }), cancel() {} })
const jobOptions = () => ({
  cache: new rt.BufferCache(() => null),
  open: () => null,
  plugin() {},
  fail: (f) => f,
  release() {},
})

/**
 * Every public entry point taking an options object: `call(options)` returns what to clean
 * up (or a promise of it), `base` is a set of options that works, `names` the known ones.
 */
function entryPoints(pool, host) {
  return [
    { what: 'new FixedSizeAllocatorPool', names: ['size', 'transfer', 'acquireTimeoutMs', 'retainBytes', 'maxRetainBytes'], base: { size: 1 }, call: (o) => new rt.FixedSizeAllocatorPool(o), done: (p) => p.close() },
    { what: 'pool.parseJsonFiles', names: ['threads', 'maxBlocks', 'pluginTimeoutMs'], base: { threads: 1 }, call: (o) => pool.parseJsonFiles([], () => {}, o) },
    { what: 'runJsonPlugins', names: ['plugin', 'workers', 'threads', 'poolSize', 'transfer', 'pluginTimeoutMs', 'maxBlocks', 'signal', 'onProgress'], base: { plugin }, call: (o) => rt.runJsonPlugins([], o) },
    { what: 'createJsonPluginHost', names: ['plugin', 'workers', 'threads', 'poolSize', 'transfer', 'pluginTimeoutMs', 'maxBlocks'], base: { plugin }, call: (o) => rt.createJsonPluginHost(o), done: (h) => h.close() },
    { what: 'runParallel', names: ['runner', 'plugin', 'workers', 'signal', 'onProgress'], base: { runner, plugin }, open: true, call: (o) => rt.runParallel([], o) },
    { what: 'createParallelHost', names: ['runner', 'plugin', 'workers'], base: { runner, plugin }, open: true, call: (o) => rt.createParallelHost(o), done: (h) => h.close() },
    { what: 'host.run', names: ['signal', 'onProgress'], base: {}, call: (o) => host.run([], o) },
    { what: 'runJob', names: ['cache', 'open', 'plugin', 'fail', 'release', 'failuresToPlugin', 'pluginTimeoutMs', 'timeoutError'], base: jobOptions(), call: (o) => rt.runJob(doneJob(), o) },
  ]
}

const boom = () => {
  throw new TypeError('boom')
}

/** Values that are no valid option, or odd valid ones. */
function hostileValues() {
  const revoked = Proxy.revocable({}, {})
  revoked.revoke()
  return [
    10n, NaN, -0, Infinity, -Infinity, 2 ** 53, 1e308, -1, 0.5, '2', '', 'auto', Symbol('v'), null, true, {}, [], [1], () => {},
    Object.create(null), Object.freeze({}), new Proxy({}, { get: boom }), revoked.proxy, new Proxy(() => {}, { get: boom }),
    new AbortController().signal, { aborted: false, addEventListener: boom, removeEventListener: boom },
  ]
}

/** Options objects of hostile shapes around `base` (which works), and non-objects. */
function* hostileShapes({ base, names }) {
  yield* [undefined, null, 0, -0, NaN, Infinity, 1e308, 10n, 'size', Symbol('o'), true, () => base, [], [base], new Date(0), /x/]
  yield base
  yield Object.create(base) // inherited known options are read
  yield Object.create({ ...base, typo: 1 }) // inherited unknown ones are not own: ignored
  yield Object.assign(Object.create(null), base)
  yield Object.freeze({ ...base })
  yield Object.seal({ ...base })
  yield { ...base, [Symbol('extra')]: 1 }
  yield Object.defineProperty({ ...base }, 'hidden', { value: 1, enumerable: false })
  yield { ...base, unknownOption: 1 }
  yield { ...base, constructor: 1 }
  yield { ...base, __proto__: { x: 1 } }
  yield JSON.parse(`{"__proto__": 1, ${JSON.stringify(base).slice(1, -1) || '"_": 0'}}`)
  for (const name of names) {
    yield { ...base, [`${name}s`]: 1 } // a typo
    yield Object.defineProperty({ ...base }, name, { get: boom, enumerable: true })
    yield Object.defineProperty({ ...base }, name, { get: boom, enumerable: false })
    // A getter that changes its answer: the first read gets the working value.
    let reads = 0
    yield Object.defineProperty({ ...base }, name, { get: () => (reads++ === 0 ? base[name] : 'changed'), enumerable: true })
    for (const v of hostileValues()) yield { ...base, [name]: v }
  }
  // Proxies: plain, each trap throwing, lying ownKeys, revoked.
  yield new Proxy({ ...base }, {})
  for (const trap of ['get', 'ownKeys', 'getOwnPropertyDescriptor', 'has', 'getPrototypeOf']) yield new Proxy({ ...base }, { [trap]: boom })
  yield new Proxy({ ...base }, { ownKeys: () => ['ghost', ...Object.keys(base)] }) // 'ghost' has no descriptor: not enumerable
  yield new Proxy({ ...base }, { ownKeys: () => ['a', 'a'] }) // an invariant V8 enforces (TypeError)
  yield new Proxy({ ...base }, { ownKeys: () => [Symbol('s'), ...Object.keys(base)] })
  const revoked = Proxy.revocable({ ...base }, {})
  revoked.revoke()
  yield revoked.proxy
  yield new Proxy([], {})
}

/** `p`, or a rejection after `ms`: a hang fails the test instead of stalling it. */
function withTimeout(p, ms, what) {
  let timer
  return Promise.race([p, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`hung: ${what}`)), ms)))]).finally(() => clearTimeout(timer))
}

test('an unknown option is an InvalidArgumentError naming it and the nearest known one', async () => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  try {
    await assert.rejects(pool.parseJsonFiles([], () => {}, { thread: 2 }), {
      name: 'InvalidArgumentError',
      message: /parseJsonFiles: unknown option "thread"; did you mean 'threads'\?/,
    })
    assert.throws(() => new rt.FixedSizeAllocatorPool({ sise: 2 }), {
      name: 'InvalidArgumentError',
      message: /JsonPool: unknown option "sise"; did you mean 'size'\?/,
    })
    await assert.rejects(rt.runJsonPlugins([], { plugin, worker: 2 }), {
      name: 'InvalidArgumentError',
      message: /runJsonPlugins: unknown option "worker"; did you mean 'workers'\?/,
    })
    assert.throws(() => rt.createJsonPluginHost({ plugin, poolsize: 2 }), { message: /did you mean 'poolSize'\?/ })
    assert.throws(() => rt.createJsonPluginHost({ plugin, pluginTimoutMs: 2 }), { message: /did you mean 'pluginTimeoutMs'\?/ })
    assert.throws(() => new rt.FixedSizeAllocatorPool({ trasnfer: 'copy' }), { message: /did you mean 'transfer'\?/ })
    // Far from every name: no guess, the list.
    assert.throws(() => new rt.FixedSizeAllocatorPool({ colour: 'red' }), {
      message: /unknown option "colour"; the options are size, transfer, acquireTimeoutMs, retainBytes, maxRetainBytes$/,
    })
    const host = rt.createJsonPluginHost({ plugin })
    await assert.rejects(host.run([], { signl: null }), { name: 'InvalidArgumentError', message: /run: unknown option "signl"; did you mean 'signal'\?/ })
    await host.close()
    await assert.rejects(rt.runJob(doneJob(), { ...jobOptions(), timeout: 5 }), { name: 'InvalidArgumentError', message: /runJob: unknown option "timeout"/ })
    // A host's run options go to run(): said so, not called a typo.
    assert.throws(() => rt.createJsonPluginHost({ plugin, signal: new AbortController().signal }), { message: /signal is an option of host\.run/ })
    // runParallel and createParallelHost pass unknown options to their runner.
    const h = rt.createParallelHost({ runner, plugin, anything: 1 })
    await h.close()
    // Symbol keys are not options; own non-enumerable and inherited names are not checked.
    new rt.FixedSizeAllocatorPool({ size: 1, [Symbol('sise')]: 2 }).close()
    new rt.FixedSizeAllocatorPool(Object.defineProperty({ size: 1 }, 'sise', { value: 2 })).close()
    new rt.FixedSizeAllocatorPool(Object.create({ sise: 2, size: 1 })).close()
  } finally {
    pool.close()
  }
})

test('options are read once each: what is checked is what is used', async () => {
  /** `values` as getters counting their reads into `reads`. */
  const counted = (values, reads) => {
    const o = {}
    for (const [k, v] of Object.entries(values)) {
      Object.defineProperty(o, k, {
        enumerable: true,
        get() {
          reads[k] = (reads[k] ?? 0) + 1
          return v
        },
      })
    }
    return o
  }
  const cases = [
    [{ size: 1, transfer: 'copy', acquireTimeoutMs: 0, retainBytes: 0, maxRetainBytes: 0 }, (o) => new rt.FixedSizeAllocatorPool(o).close()],
    [{ plugin, workers: 1, threads: 1, poolSize: 1, transfer: 'copy', pluginTimeoutMs: 1000, maxBlocks: 1 }, (o) => rt.createJsonPluginHost(o).close()],
    [{ plugin, workers: 1, threads: 1, transfer: 'auto', signal: new AbortController().signal, onProgress() {} }, (o) => rt.runJsonPlugins([], o)],
    [{ runner, plugin, workers: 1, factor: 2 }, (o) => rt.createParallelHost(o).close()],
  ]
  for (const [values, call] of cases) {
    const reads = {}
    await call(counted(values, reads))
    assert.deepEqual(reads, Object.fromEntries(Object.keys(values).map((k) => [k, 1])))
  }
  // A getter valid when checked and out of range after: the checked value is the one used.
  let n = 0
  const pool = new rt.FixedSizeAllocatorPool({
    get size() {
      return n++ === 0 ? 1 : 1e9
    },
  })
  assert.equal(pool.size, 1)
  pool.close()
})

test('hostile option objects and values: each call works or throws InvalidArgumentError', async () => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 2 })
  const host = rt.createJsonPluginHost({ plugin })
  let calls = 0
  let worked = 0
  try {
    for (const entry of entryPoints(pool, host)) {
      for (const options of hostileShapes(entry)) {
        calls++
        const label = `${entry.what}(${describe(options)})`
        let outcome
        try {
          outcome = await withTimeout(Promise.resolve(entry.call(options)), 20_000, label)
        } catch (e) {
          assert.ok(e instanceof rt.InvalidArgumentError, `${label} threw ${e?.name}: ${e?.message}`)
          assert.ok(typeof e.message === 'string' && e.message.length > 0)
          continue
        }
        worked++
        if (entry.done) await entry.done(outcome)
      }
    }
  } finally {
    await host.close()
    pool.close()
  }
  // Both outcomes happened: the shapes that work do get through.
  assert.ok(worked > 50 && worked < calls, `${worked} of ${calls} calls worked`)
})

/** A short description of an options value for a failure message (without reading it: it may throw). */
function describe(v) {
  try {
    if (typeof v === 'symbol' || typeof v === 'bigint') return String(v)
    if (typeof v !== 'object' || v === null) return typeof v === 'function' ? 'a function' : String(v)
    return `{ ${Reflect.ownKeys(v).map(String).join(', ')} }`
  } catch {
    return 'a hostile object'
  }
}
