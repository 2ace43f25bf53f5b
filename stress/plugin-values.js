'use strict'
// Scenario 6, plugin values: everything a plugin can return or throw goes through the worker
// path (runJsonPlugins). Each file names a seeded random value: a leaf (a view of the file's
// block, its ArrayBuffer, a DataView of it, a lazy node, a function, a symbol, a Proxy, a
// copy of block bytes, a huge string, a plain value) wrapped in random layers (deep arrays,
// after 10 000+ other elements, Map keys and values, Sets, an Error's cause,
// AggregateError.errors, plain getters, getters that throw on their first read, Proxies,
// class instances, cycles), then returned, thrown or rejected. Every run must settle; every
// file must end with the value the structured clone rules give (compared on the main
// thread with the same value built there) or a typed error: a DataCloneError that names
// the block when the value reaches one, another DataCloneError (or the string form of a
// thrown function or symbol) when it cannot be cloned. Peak RSS must stay far below one
// block copy (2 GiB), and liveBlocks() back at its baseline.
//
// This file is also the plugin: each worker requires it for `plugin` (the generator is the
// same code on both sides).
//
// Env: STRESS_SEED, STRESS_VALUES_FILES (default 400), STRESS_VALUES_RUNS (default 4).

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const L = require('./lib')

const LEAVES = ['view', 'buffer', 'dataview', 'node', 'fn', 'symbol', 'proxy', 'copy', 'huge', 'plain', 'plain', 'plain']
const WRAPPERS = ['deep', 'many', 'mapKey', 'mapValue', 'set', 'cause', 'aggregate', 'getter', 'getterLate', 'proxy', 'instance', 'cycle']
const MODES = ['return', 'return', 'throw', 'reject']
const BLOCK_LEAVES = new Set(['view', 'buffer', 'dataview'])
const UNCLONEABLE_LEAVES = new Set(['node', 'fn', 'symbol', 'proxy'])

/** The description of file `i`'s value, from the run's seed. */
function describe(seed, i) {
  const r = L.makeRng((seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0)
  const leaf = r.pick(LEAVES)
  const wrappers = []
  // A lazy node is refused as the value itself; inside another value it clones to {} as any
  // object with private state does, which is not what this scenario is about.
  for (let n = leaf === 'node' ? 0 : r.int(0, 4); n > 0; n--) wrappers.push(r.pick(WRAPPERS))
  // Now and then thrown from a timer: uncaught, it ends the worker (two restarts per file).
  const mode = r.chance(0.02) ? 'uncaught' : r.pick(MODES)
  return { leaf, wrappers, mode, n: r.int(0, 1e6), huge: r.int(1, 4) << 20 }
}

class Holder {
  constructor(x) {
    this.held = x
    this.kind = 'holder'
  }
}

/**
 * The value `d` describes; `block` is `{ u8, buffer, root }` of a document (in the worker)
 * or null (on the main thread, where no block leaf is ever expected to arrive).
 */
function build(d, block) {
  let x
  switch (d.leaf) {
    case 'view':
      x = block ? block.u8.subarray(d.n % 64, (d.n % 64) + 16) : null
      break
    case 'buffer':
      x = block ? block.buffer : null
      break
    case 'dataview':
      x = block ? new DataView(block.buffer, 0, 8) : null
      break
    case 'node':
      x = block ? block.root : null
      break
    case 'fn':
      x = function leaf() {
        return 1
      }
      break
    case 'symbol':
      x = Symbol(`leaf ${d.n}`)
      break
    case 'proxy':
      x = new Proxy({ n: d.n }, {})
      break
    case 'copy':
      x = Uint8Array.from({ length: 16 }, (_, k) => (d.n + k) & 255)
      break
    case 'huge':
      x = `${d.n}:`.padEnd(d.huge, 'x')
      break
    default:
      x = { n: d.n, s: `plain ${d.n} é😀`, list: [1.5, null, true, -0, 2n ** 65n] }
  }
  // Innermost first: wrappers[0] is the outermost layer.
  for (let k = d.wrappers.length - 1; k >= 0; k--) x = wrap(d.wrappers[k], x, d.n)
  return x
}

function wrap(w, x, n) {
  switch (w) {
    case 'deep':
      return { a: [[[{ b: [x] }]]] }
    case 'many': {
      const a = new Array(10_000 + (n % 5000)).fill(n)
      a.push(x)
      return a
    }
    case 'mapKey':
      return new Map([[x, n]])
    case 'mapValue':
      return new Map([[`k${n}`, x]])
    case 'set':
      return new Set([n, x])
    case 'cause':
      return new Error(`with a cause ${n}`, { cause: { x } })
    case 'aggregate':
      return new AggregateError([x], `aggregate ${n}`)
    case 'getter':
      return {
        n,
        get x() {
          return x
        },
      }
    case 'getterLate': {
      let reads = 0
      return {
        n,
        get x() {
          if (reads++ === 0) throw new Error('not yet')
          return x
        },
      }
    }
    case 'proxy':
      return new Proxy({ x }, {})
    case 'instance':
      return new Holder(x)
    default: {
      const o = { n, x, self: null }
      o.self = o
      return o
    }
  }
}

/**
 * What a value of `wrappers` around `leaf` clones to, reading layers from the outside in as
 * the serializer does: 'block', 'uncloneable', or 'value' (also for a leaf that an
 * AggregateError's errors hide: structured clone drops them). `late`: a getter that throws
 * on its first read was on the way.
 */
function reach(wrappers, leaf) {
  let late = false
  for (const w of wrappers) {
    if (w === 'proxy') return { outcome: 'uncloneable', late }
    if (w === 'aggregate') return { outcome: 'value', late }
    if (w === 'getterLate') late = true
  }
  if (BLOCK_LEAVES.has(leaf)) return { outcome: 'block', late }
  if (UNCLONEABLE_LEAVES.has(leaf)) return { outcome: 'uncloneable', late }
  return { outcome: 'value', late }
}

// ---------------------------------------------------------------------------------------
// The plugin (in each worker)

const plugin = (doc) => {
  const d = describe(doc.root.get('seed').value, doc.root.get('i').value)
  const value = build(d, { u8: doc.raw.u8, buffer: doc.raw.arrayBuffer, root: doc.root })
  if (d.mode === 'throw') throw value
  if (d.mode === 'reject') return Promise.reject(value)
  if (d.mode === 'uncaught') {
    setTimeout(() => {
      throw value
    }, 0)
    return { uncaught: true }
  }
  return value
}

// ---------------------------------------------------------------------------------------
// The scenario (main thread)

/** A comparable summary of a value: errors by name, message and cause; cycles by path. */
function summary(v, seen = new Map(), where = '$') {
  if (typeof v === 'bigint') return `${v}n`
  if (typeof v === 'string' && v.length > 1000) return { string: v.length, head: v.slice(0, 16), tail: v.slice(-16) }
  if (typeof v === 'number' && Object.is(v, -0)) return '-0'
  if (v === null || typeof v !== 'object') return v === undefined ? '(undefined)' : v
  if (seen.has(v)) return `(cycle to ${seen.get(v)})`
  seen.set(v, where)
  if (v instanceof Error) return { error: v.name, message: v.message, cause: v.cause === undefined ? null : summary(v.cause, seen, `${where}.cause`) }
  if (ArrayBuffer.isView(v)) return { [Object.prototype.toString.call(v)]: Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) }
  if (v instanceof Map) return { Map: [...v].map(([k, x], i) => [summary(k, seen, `${where}.key${i}`), summary(x, seen, `${where}.get${i}`)]) }
  if (v instanceof Set) return { Set: [...v].map((x, i) => summary(x, seen, `${where}.set${i}`)) }
  if (Array.isArray(v)) return v.length > 100 ? { long: v.length, head: v[0], last: summary(v[v.length - 1], seen, `${where}.last`) } : v.map((x, i) => summary(x, seen, `${where}[${i}]`))
  const out = {}
  for (const k of Object.keys(v)) out[k] = summary(v[k], seen, `${where}.${k}`)
  return out
}

/** What the main thread expects of a value of `d` after a clone: its summary, as the worker's clone gives it. */
function expectedValue(d) {
  const v = build(d, null)
  // A getter that throws once was read (and threw) in the worker's first try.
  try {
    structuredClone(v)
  } catch {}
  return summary(structuredClone(v))
}

/**
 * Check what file `i` ended with (`result`, or `error` with its phase) against `d`. Returns
 * a failure message or null.
 */
function check(d, end) {
  const { result, error } = end
  const blockError = (e) => e?.name === 'DataCloneError' && /2 GiB block/.test(e.message)
  const otherCloneError = (e) => e?.name === 'DataCloneError' && !/2 GiB block/.test(e.message)
  const lateError = (e) => e?.name === 'DataCloneError' && /not yet/.test(e.message)
  const show = () => `${JSON.stringify(d)}: got ${error ? `${end.phase} ${error?.name ?? typeof error}: ${String(error?.message ?? error).slice(0, 200)}` : `a result`}`

  if (d.mode === 'return') {
    const { outcome, late } = reach(d.wrappers, d.leaf)
    if (late && error && lateError(error)) return null
    if (outcome === 'block') return error && end.phase === 'plugin' && blockError(error) ? null : show()
    if (outcome === 'uncloneable') return error && end.phase === 'plugin' && otherCloneError(error) ? null : show()
    if (error) return show()
    const want = JSON.stringify(expectedValue(d))
    const got = JSON.stringify(summary(result))
    return want === got ? null : `${show()}: ${got.slice(0, 300)}, expected ${want.slice(0, 300)}`
  }
  if (!('error' in end)) return show()
  if (d.mode === 'uncaught') {
    // The worker ended; the error names what was thrown as its cause, sent as a throw is.
    if (end.phase !== 'worker' || error?.code !== 'WorkerExited') return show()
    const problem = checkThrown(d, error.cause)
    return problem === null ? null : `${show()} (cause): ${problem}`
  }
  // Thrown or rejected: always an error entry, phase 'plugin'.
  if (end.phase !== 'plugin') return show()
  const problem = checkThrown(d, error)
  return problem === null ? null : `${show()}: ${problem}`
}

/** Check the main thread's version of a value `d` threw. Returns a failure message or null. */
function checkThrown(d, error) {
  const blockError = (e) => e?.name === 'DataCloneError' && /2 GiB block/.test(e.message)
  const otherCloneError = (e) => e?.name === 'DataCloneError' && !/2 GiB block/.test(e.message)
  const lateError = (e) => e?.name === 'DataCloneError' && /not yet/.test(e.message)
  const show = () => `${error?.name ?? typeof error}: ${String(error?.message ?? (typeof error === 'symbol' ? 'a symbol' : error)).slice(0, 200)}`
  const [outer, ...inner] = d.wrappers
  if (outer === 'cause') {
    // An Error: sent as a record; its cause ({ x }) is checked on its own.
    if (!(error instanceof Error) || error.message !== `with a cause ${d.n}`) return show()
    const { outcome, late } = reach(inner, d.leaf)
    const cause = error.cause
    if (late) return lateError(cause) ? null : `${show()}; cause ${cause?.message}`
    if (outcome === 'block') return blockError(cause) ? null : `${show()}; cause ${cause?.message}`
    if (outcome === 'uncloneable') return otherCloneError(cause) ? null : `${show()}; cause ${cause?.message}`
    return cause !== null && typeof cause === 'object' && !(cause instanceof Error) ? null : `${show()}; cause ${cause}`
  }
  if (outer === 'aggregate') return error instanceof Error && error.message === `aggregate ${d.n}` ? null : show()
  if (outer === undefined && (d.leaf === 'fn' || d.leaf === 'symbol')) return typeof error === 'string' ? null : show()
  const { outcome, late } = reach(d.wrappers, d.leaf)
  if (late) return lateError(error) ? null : show()
  if (outcome === 'block') return blockError(error) ? null : show()
  if (outcome === 'uncloneable') return otherCloneError(error) ? null : show()
  const want = JSON.stringify(expectedValue(d))
  const got = JSON.stringify(summary(error))
  return want === got ? null : `${got.slice(0, 300)}, expected ${want.slice(0, 300)}`
}

const hwmMB = () => Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) / 1024

async function main(res) {
  const rt = L.loadRuntime()
  const seed = L.seedFromEnv()
  const FILES = Number(process.env.STRESS_VALUES_FILES || 400)
  const RUNS = Number(process.env.STRESS_VALUES_RUNS || 4)
  res.note(`seed ${seed} (replay with STRESS_SEED=${seed}); ${RUNS} runs of ${FILES} files`)
  await L.collectUntil(() => false, 3)
  const base = rt.liveBlocks()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rt-stress-values-'))
  const counts = {}
  try {
    const pluginPath = path.join(dir, 'plugin.js')
    fs.writeFileSync(pluginPath, `module.exports = require(${JSON.stringify(__filename)}).plugin\n`)
    const host = rt.createJsonPluginHost({ plugin: pluginPath, workers: 2, threads: 2, poolSize: 2 })
    try {
      for (let run = 0; run < RUNS; run++) {
        const runSeed = (seed + run) >>> 0
        const paths = []
        const ds = []
        for (let i = 0; i < FILES; i++) {
          const p = path.join(dir, `${run}-${i}.json`)
          fs.writeFileSync(p, JSON.stringify({ seed: runSeed, i, pad: L.randomText(L.makeRng(i), 64) }))
          paths.push(p)
          const d = describe(runSeed, i)
          ds.push(d)
          counts[`${d.mode}:${reach(d.wrappers, d.leaf).outcome}`] = (counts[`${d.mode}:${reach(d.wrappers, d.leaf).outcome}`] || 0) + 1
        }
        let timer
        const limit = new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`run ${run} did not settle within 120 s`)), 120_000)
        })
        let out
        try {
          // A fresh host now and then, so that every kind of file meets cold workers too.
          const h = run % 2 === 0 ? host : rt.createJsonPluginHost({ plugin: pluginPath, workers: 2, threads: 2, transfer: 'copy' })
          out = await Promise.race([h.run(paths), limit])
          if (h !== host) await h.close()
        } catch (e) {
          res.fail(`run ${run}: ${e?.stack ?? e}`)
          continue
        } finally {
          clearTimeout(timer)
        }
        const errors = new Map(out.errors.map((e) => [e.path, e]))
        for (const [i, d] of ds.entries()) {
          res.steps++
          const e = errors.get(paths[i])
          const end = e ? { phase: e.phase, error: e.error } : { result: out.results[i] }
          if (e) res.faults++
          const problem = check(d, end)
          res.check(problem === null, () => `run ${run} file ${i}: ${problem}`)
        }
        // Each uncaught file ends a worker twice: in its chunk, then alone.
        const uncaught = ds.filter((d) => d.mode === 'uncaught').length
        res.check(out.restarts <= 2 * uncaught, () => `run ${run}: ${out.restarts} workers restarted for ${uncaught} uncaught throws`)
      }
    } finally {
      await host.close()
    }
    const peak = hwmMB()
    res.figures.peakRssMB = Math.round(peak)
    res.note(`peak RSS ${peak.toFixed(0)} MB; outcomes ${JSON.stringify(counts)}`)
    // Huge strings (up to 4 MB, a few copies of each until the GC runs) take hundreds of
    // MB; one block copied would take 4 GB or more (2 GiB in the worker, 2 on this thread).
    res.check(peak < 1536, `peak RSS ${peak.toFixed(0)} MB: something was copied whole`)
    res.leaked = rt.liveBlocks() - base
    res.check(res.leaked === 0, () => `liveBlocks ${rt.liveBlocks()} after the hosts closed, baseline ${base}`)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

if (require.main === module) L.runScenario('plugin-values', main)

module.exports = { plugin, describe, build, reach }
