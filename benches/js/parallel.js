'use strict'
// Parallel plugins (runJsonPlugins) on a plugin-dominated workload: a plugin that visits
// every value of every document through the lazy view (benches/js/plugins/walk.js), over ~300
// generated files of 200–600 KB. Measured in one run, so the ratios compare like with like:
//
//   (a) pool.parseJsonFiles on this thread (2 Rust threads), the same plugin
//   (b) runJsonPlugins, workers: 2, threads: 2 (one Rust thread per worker): a host made
//       for the run, so it pays for starting two workers (package, plugin, pool, cold code)
//   (b-default) runJsonPlugins with no option but the plugin: it runs in this thread or in
//       workers as it estimates they would pay (js/parallel/options.js)
//   (b-warm) the same on a host kept between runs (createJsonPluginHost), as a long-lived
//       tool or a watch mode would use it
//   (c) the best plain-JS alternative: the same walk over JSON.parse results in 2 worker
//       threads, each taking the next file (a shared counter) and reading it itself
//       (readFileSync + JSON.parse); (c-warm) the same two workers kept between runs
//   (d) per-file overhead of the worker path: a no-op plugin over 5 000 small files,
//       runJsonPlugins (workers: 2) vs parseJsonFiles on this thread
//   (e) for contrast, (a)-(c) with a selective plugin (a few fields per record,
//       benches/js/plugins/select.js): there the Rust threads, not the plugin, set the pace
//   (f) (a)-(c) with the demo's three plugins over the demo's corpus (examples/corpus.js,
//       ~200 MB, its 3 invalid files left out; benches/js/plugins/demo.js): a second
//       plugin-dominated workload
//
//   node --expose-gc benches/js/parallel.js [--files N] [--runs N] [--demo-mb N]
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { Worker } = require('node:worker_threads')
const rt = require('../..')
const { prng, generateCorpus } = require('../../examples/corpus')
const { table } = require('./util')

const WALK = path.join(__dirname, 'plugins', 'walk.js')
const SELECT = path.join(__dirname, 'plugins', 'select.js')
const NOOP = path.join(__dirname, 'plugins', 'noop.js')
const DEMO = path.join(__dirname, 'plugins', 'demo.js')

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'café', 'naïve', 'Zürich', '東京', 'emoji 😀', 'line\nbreak', 'quote "q"', 'tab\tx']

/** A record of the usual API-response kind: nested objects, arrays, strings, numbers. */
function record(r, id) {
  return {
    id,
    uuid: `${(id * 2654435761) >>> 0}-${r.int(1e5, 9e5)}`,
    name: `${r.pick(WORDS)} ${r.pick(WORDS)}`,
    active: r.chance(0.7),
    score: Number(r.float(0, 100, 3)),
    tags: Array.from({ length: r.int(0, 5) }, () => r.pick(WORDS)),
    address: { street: `${r.int(1, 999)} ${r.pick(WORDS)} street`, city: r.pick(WORDS), geo: { lat: Number(r.float(-90, 90, 6)), lng: Number(r.float(-180, 180, 6)) } },
    orders: Array.from({ length: r.int(0, 4) }, (_, k) => ({
      ref: `o-${id}-${k}`,
      total: Number(r.float(1, 2000, 2)),
      lines: Array.from({ length: r.int(1, 4) }, () => ({ sku: `SKU-${r.int(1000, 9999)}`, qty: r.int(1, 9), price: Number(r.float(0.5, 500, 2)) })),
      note: r.chance(0.5) ? null : r.pick(WORDS),
    })),
  }
}

/** `count` files of 200–600 KB (deterministic). */
function makeLargeFiles(dir, count) {
  const r = prng(7)
  const paths = []
  for (let i = 0; i < count; i++) {
    const target = 200e3 + Math.floor(r.next() * 400e3)
    const data = []
    let size = 0
    for (let id = i * 1e5; size < target; id++) {
      const rec = record(r, id)
      size += JSON.stringify(rec).length + 1
      data.push(rec)
    }
    const p = path.join(dir, `large-${String(i).padStart(4, '0')}.json`)
    // Every 3rd file pretty-printed, like real-world data.
    fs.writeFileSync(p, JSON.stringify({ page: i, data, meta: { next: `page=${i + 1}` } }, null, i % 3 === 0 ? 2 : 0))
    paths.push(p)
  }
  return paths
}

function makeSmallFiles(dir, count) {
  const r = prng(11)
  const paths = []
  for (let i = 0; i < count; i++) {
    const p = path.join(dir, `small-${String(i).padStart(5, '0')}.json`)
    fs.writeFileSync(p, JSON.stringify([record(r, i), record(r, i + 1)]))
    paths.push(p)
  }
  return paths
}

/** Sum of per-file summaries, field by field (to check every way computes the same thing). */
function total(summaries) {
  const t = {}
  for (const s of summaries) {
    if (s === undefined) continue
    for (const [k, v] of Object.entries(s)) t[k] = (t[k] ?? 0) + v
  }
  // Sums of floats depend on the order they were added in.
  if (t.sum !== undefined) t.sum = Math.round(t.sum)
  return t
}

async function singleThread(paths, plugin) {
  const walk = require(plugin)
  const pool = new rt.FixedSizeAllocatorPool({ size: 4 })
  const out = new Array(paths.length)
  const index = new Map(paths.map((p, i) => [p, i]))
  const t0 = performance.now()
  await pool.parseJsonFiles(paths, (doc, p) => {
    out[index.get(p)] = walk(doc, p)
  }, { threads: 2 })
  const ms = performance.now() - t0
  pool.close()
  return { ms, summary: total(out) }
}

async function workers(paths, plugin, options) {
  const t0 = performance.now()
  const r = await rt.runJsonPlugins(paths, { plugin, ...options })
  const ms = performance.now() - t0
  if (r.errors.length > 0) throw r.errors[0].error
  return { ms, summary: total(r.results) }
}

async function warmWorkers(host, paths) {
  const t0 = performance.now()
  const r = await host.run(paths)
  const ms = performance.now() - t0
  if (r.errors.length > 0) throw r.errors[0].error
  return { ms, summary: total(r.results) }
}

// (c)'s worker: take the next file from the shared counter, readFileSync + JSON.parse + the
// plugin's plain version; as a one-shot worker (workerData) or kept (a message per run).
const JSON_PARSE_WORKER = `
  const { parentPort, workerData } = require('node:worker_threads')
  const fs = require('node:fs')
  const walk = require(workerData.walk).plain
  function run({ paths, counter }) {
    const out = []
    for (let i; (i = Atomics.add(counter, 0, 1)) < paths.length; ) out.push([i, walk(JSON.parse(fs.readFileSync(paths[i], 'utf8')), paths[i])])
    parentPort.postMessage(out)
  }
  if (workerData.paths !== undefined) run(workerData)
  else parentPort.on('message', run)`

/** (c-warm): K JSON.parse workers kept between runs. */
function jsonParseHost(k, plugin) {
  const workers = Array.from({ length: k }, () => new Worker(JSON_PARSE_WORKER, { eval: true, workerData: { walk: plugin } }))
  return {
    run(paths) {
      const counter = new Int32Array(new SharedArrayBuffer(4))
      const t0 = performance.now()
      const all = []
      return Promise.all(
        workers.map(
          (w) =>
            new Promise((resolve) => {
              w.once('message', (m) => {
                all.push(...m)
                resolve()
              })
              w.postMessage({ paths, counter })
            }),
        ),
      ).then(() => ({ ms: performance.now() - t0, summary: total(all.map((e) => e[1])) }))
    },
    close: () => Promise.all(workers.map((w) => w.terminate())),
  }
}

/** (c): K workers, each taking the next file from a shared counter, readFileSync + JSON.parse + the plugin's plain version. */
function jsonParseWorkers(paths, k, plugin) {
  const counter = new Int32Array(new SharedArrayBuffer(4))
  const code = JSON_PARSE_WORKER
  const t0 = performance.now()
  const all = []
  return Promise.all(
    Array.from({ length: k }, () =>
      new Promise((resolve, reject) => {
        const w = new Worker(code, { eval: true, workerData: { paths, counter, walk: plugin } })
        w.on('message', (m) => all.push(...m))
        w.on('error', reject)
        w.on('exit', resolve)
      }),
    ),
  ).then(() => ({ ms: performance.now() - t0, summary: total(all.map((e) => e[1])) }))
}

async function best(fn, runs) {
  let min = null
  for (let i = 0; i < runs; i++) {
    if (typeof global.gc === 'function') global.gc()
    const r = await fn()
    if (min === null || r.ms < min.ms) min = r
  }
  return min
}

/**
 * The best of `runs` rounds of every case in `cases` ({ name: fn }), the cases taking turns
 * within each round: a change in the machine's load hits them all alike.
 */
async function bestInterleaved(cases, runs) {
  const min = {}
  for (let i = 0; i < runs; i++) {
    for (const [name, fn] of Object.entries(cases)) {
      if (typeof global.gc === 'function') global.gc()
      const r = await fn()
      if (min[name] === undefined || r.ms < min[name].ms) min[name] = r
    }
  }
  return min
}

function option(name, dflt) {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? dflt : Number(process.argv[i + 1])
}

module.exports = async function run({ files = option('files', 300), runs = option('runs', 3) } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rt-bench-parallel-'))
  try {
    const large = makeLargeFiles(dir, files)
    const mb = large.reduce((n, p) => n + fs.statSync(p).size, 0) / 1e6
    // A first run of each, untimed: the OS file cache, V8's code caches, the blocks' pages.
    await singleThread(large.slice(0, 20), WALK)
    await workers(large.slice(0, 20), WALK, { workers: 2, threads: 2 })
    await jsonParseWorkers(large.slice(0, 20), 2, WALK)
    const compare = async (plugin, large) => {
      const host = rt.createJsonPluginHost({ plugin, workers: 2, threads: 2 })
      const plain = jsonParseHost(2, plugin)
      // Warm both kept hosts (their workers' code and pools), as their users' second run would be.
      await host.run(large.slice(0, 20))
      await plain.run(large.slice(0, 20))
      const r = await bestInterleaved(
        {
          a: () => singleThread(large, plugin),
          b: () => workers(large, plugin, { workers: 2, threads: 2 }),
          bd: () => workers(large, plugin, {}),
          bw: () => warmWorkers(host, large),
          c: () => jsonParseWorkers(large, 2, plugin),
          cw: () => plain.run(large),
        },
        runs,
      )
      await host.close()
      await plain.close()
      for (const [name, x] of Object.entries(r)) {
        if (JSON.stringify(x.summary) !== JSON.stringify(r.a.summary)) {
          throw new Error(`(${name}) computed ${JSON.stringify(x.summary)}, (a) ${JSON.stringify(r.a.summary)}`)
        }
      }
      return r
    }
    const { a, b, bd, bw, c, cw } = await compare(WALK, large)
    const e = await compare(SELECT, large)
    // A table row: time, throughput over `megabytes`, and how many times faster than `base` and `other`.
    const rowOver = (megabytes) => (label, x, base, other) => [
      label,
      `${x.ms.toFixed(0)} ms`,
      `${(megabytes / (x.ms / 1000)).toFixed(0)} MB/s`,
      `${(base.ms / x.ms).toFixed(2)}x`,
      `${(other.ms / x.ms).toFixed(2)}x`,
    ]
    const row = rowOver(mb)
    table(
      `Parallel plugins: ${files} files, ${mb.toFixed(0)} MB, a plugin walking all ${a.summary.nodes.toLocaleString('en-US')} values (${os.availableParallelism?.() ?? os.cpus().length} CPUs, best of ${runs})`,
      ['case', 'time', 'throughput', 'vs (a)', 'vs (c)'],
      [
        row('(a) parseJsonFiles, 1 JS thread, 2 Rust threads', a, a, c),
        row('**(b) runJsonPlugins, workers: 2, threads: 2** (workers started for the run)', b, a, c),
        row('(b-default) runJsonPlugins with default options (it chooses this thread or workers)', bd, a, c),
        row('**(b-warm) the same on a kept host** (createJsonPluginHost)', bw, a, cw),
        row('(c) readFileSync + JSON.parse + walk in 2 worker threads (started for the run)', c, a, c),
        row('(c-warm) the same 2 workers, kept', cw, a, cw),
        row('(e-a) selective plugin: parseJsonFiles, 1 JS thread', e.a, e.a, e.c),
        row('(e-b) selective plugin: runJsonPlugins, workers: 2', e.b, e.a, e.c),
        row('(e-b-warm) selective plugin: kept host', e.bw, e.a, e.cw),
        row('(e-c) selective plugin: JSON.parse in 2 worker threads', e.c, e.a, e.c),
        row('(e-c-warm) selective plugin: JSON.parse, 2 kept workers', e.cw, e.a, e.cw),
      ],
    )
    console.log('\nvs (a) / vs (c): how many times faster than (a) / (c) (>1: faster); kept-host rows compare with the kept JSON.parse workers. Targets: (b) >= 1.6x (a), (b) >= 2x (c).')

    const demoDir = path.join(dir, 'demo')
    const corpus = generateCorpus(demoDir, { totalBytes: option('demo-mb', 200) * 1e6 }).filter((f) => f.kind !== 'invalid')
    const demoFiles = corpus.map((f) => f.path)
    const demoMb = corpus.reduce((n, f) => n + f.bytes, 0) / 1e6
    const f = await compare(DEMO, demoFiles)
    fs.rmSync(demoDir, { recursive: true, force: true })
    const demoRow = rowOver(demoMb)
    table(
      `Parallel plugins, the demo's workload: its three plugins over its corpus, ${demoFiles.length} files, ${demoMb.toFixed(0)} MB, ${f.a.summary.objects.toLocaleString('en-US')} objects (best of ${runs})`,
      ['case', 'time', 'throughput', 'vs (a)', 'vs (c)'],
      [
        demoRow('(f-a) parseJsonFiles, 1 JS thread, 2 Rust threads', f.a, f.a, f.c),
        demoRow('**(f-b) runJsonPlugins, workers: 2, threads: 2** (workers started for the run)', f.b, f.a, f.c),
        demoRow('(f-b-default) runJsonPlugins with default options', f.bd, f.a, f.c),
        demoRow('**(f-b-warm) the same on a kept host**', f.bw, f.a, f.cw),
        demoRow('(f-c) readFileSync + JSON.parse + the plugins in 2 worker threads', f.c, f.a, f.c),
        demoRow('(f-c-warm) the same 2 workers, kept', f.cw, f.a, f.cw),
      ],
    )

    const small = makeSmallFiles(dir, 5000)
    const fifth = small.slice(0, small.length / 5)
    const pool = new rt.FixedSizeAllocatorPool({ size: 4 })
    const noop = () => {}
    const timed = async (paths) => {
      const t0 = performance.now()
      await pool.parseJsonFiles(paths, noop, { threads: 2 })
      return { ms: performance.now() - t0 }
    }
    await timed(small) // the pool's blocks, made once: later runs reuse them
    const d1 = await best(() => timed(small), runs)
    const d4 = await best(() => timed(fifth), runs)
    pool.close()
    const d2 = await best(() => workers(small, NOOP, { workers: 2, threads: 2 }), runs)
    // The marginal cost of a file: a run over a fifth of the files pays the same once-per-run
    // costs (starting two workers, loading the package and plugin in each, their pools' first
    // blocks, cold code, ending them), so the difference is what the other 4 000 files cost.
    const d3 = await best(() => workers(fifth, NOOP, { workers: 2, threads: 2 }), runs)
    const noopHost = rt.createJsonPluginHost({ plugin: NOOP, workers: 2, threads: 2 })
    await noopHost.run(small)
    const d5 = await best(() => warmWorkers(noopHost, small), runs)
    const d6 = await best(() => warmWorkers(noopHost, fifth), runs)
    await noopHost.close()
    const n = small.length
    const marginal = (big, little) => `${(((big.ms - little.ms) * 1000) / (n - fifth.length)).toFixed(1)} µs`
    const once = (big, little) => `${(little.ms - ((big.ms - little.ms) * fifth.length) / (n - fifth.length)).toFixed(0)} ms`
    table(
      `Per-file cost of the worker path: ${n} small files, no-op plugin (best of ${runs}; marginal: (time for ${n} - time for ${fifth.length}) / ${n - fifth.length})`,
      ['case', `${n} files`, 'per file (all)', 'per file (marginal)', 'once per run'],
      [
        ['parseJsonFiles on this thread, 2 Rust threads', `${d1.ms.toFixed(0)} ms`, `${((d1.ms * 1000) / n).toFixed(1)} µs`, marginal(d1, d4), `${once(d1, d4)} (pool already made)`],
        ['runJsonPlugins, workers: 2, threads: 2', `${d2.ms.toFixed(0)} ms`, `${((d2.ms * 1000) / n).toFixed(1)} µs`, marginal(d2, d3), once(d2, d3)],
        ['kept host (createJsonPluginHost), workers: 2, threads: 2', `${d5.ms.toFixed(0)} ms`, `${((d5.ms * 1000) / n).toFixed(1)} µs`, marginal(d5, d6), once(d5, d6)],
      ],
    )
    return { a, b, bw, c, cw, e, f, d1, d2, d3, d4, d5, d6, files, mb }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

if (require.main === module) {
  module.exports().catch((e) => {
    console.error(e)
    process.exitCode = 1
  })
}
