'use strict'
// The demo's parallel part: the same three plugins over the same files, (1) through
// runJsonPlugins in K worker threads (each with its own pool and Rust threads), and (2) as
// readFileSync + JSON.parse + the plain plugins in K worker threads, each taking the next
// file from a shared counter. Both return per-file totals, summed here for the cross-check.
const path = require('node:path')
const { Worker } = require('node:worker_threads')
const rt = require('..')

const PLUGIN = path.join(__dirname, 'parallel-plugin.js')

/** Per-file findings summed. */
function sum(list) {
  const t = { files: 0, objects: 0, keys: 0, duplicates: 0, keyCount: 0, maxDepth: 0 }
  for (const r of list) {
    if (r === undefined) continue
    t.files++
    t.objects += r.objects
    t.keys += r.keys
    t.duplicates += r.duplicates ?? 0
    t.keyCount += r.keyCount
    t.maxDepth = Math.max(t.maxDepth, r.maxDepth)
  }
  return t
}

/**
 * The plugins on a kept host (createJsonPluginHost): a first run, which starts the workers
 * (package, plugin, pools, cold code), then a second run on the same workers, as a watch
 * mode or a long-lived tool would see it.
 */
async function runWorkers(files, { workers, threads, key, pool, log }) {
  process.env.RAW_TRANSFER_DEMO_KEY = key // read by parallel-plugin.js in each worker
  const host = rt.createJsonPluginHost({ plugin: PLUGIN, workers, threads, poolSize: pool })
  try {
    const timed = async (label) => {
      const t0 = performance.now()
      const r = await host.run(files, { onProgress: ({ done, total }) => log(`${label} (${workers} workers): ${done}/${total} files`) })
      return { wallMs: performance.now() - t0, result: r, totals: sum(r.results) }
    }
    const first = await timed('plugin host, first run')
    const again = await timed('plugin host, second run')
    return { ...first, warmMs: again.wallMs, warmTotals: again.totals }
  } finally {
    await host.close()
  }
}

/**
 * readFileSync + JSON.parse + the plain plugins in K worker threads, each taking the next
 * file from a shared counter: a first run (which starts the workers) and a second run on
 * the same workers, like the plugin host's two runs.
 */
async function runJsonParseWorkers(files, { workers, key, log }) {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads')
    const fs = require('node:fs')
    const { visitPlain, plainPlugins } = require(workerData.plugins)
    const { files, key } = workerData
    parentPort.on('message', ({ counter }) => {
      const out = []
      let failed = 0
      for (let i; (i = Atomics.add(counter, 0, 1)) < files.length; ) {
        let value
        try {
          value = JSON.parse(fs.readFileSync(files[i], 'utf8'))
        } catch {
          failed++
          continue
        }
        const plugins = plainPlugins(key)
        const info = visitPlain(value, files[i], plugins)
        out.push({ objects: info.objects, keys: info.keys, maxDepth: info.maxDepth, keyCount: plugins[2].result().count })
        if (out.length % 50 === 0) parentPort.postMessage({ progress: 50 })
      }
      parentPort.postMessage({ out, failed })
    })`
  let pool = []
  const run = (label) => {
    const counter = new Int32Array(new SharedArrayBuffer(4))
    const t0 = performance.now()
    if (pool.length === 0) {
      pool = Array.from({ length: workers }, () => new Worker(code, { eval: true, workerData: { files, key, plugins: path.join(__dirname, 'plugins.js') } }))
    }
    const all = []
    let failed = 0
    let done = 0
    return Promise.all(
      pool.map(
        (w) =>
          new Promise((resolve, reject) => {
            const onMessage = (m) => {
              if (m.progress) {
                done += m.progress
                log(`${label} (${workers} workers): ~${done}/${files.length} files`)
                return
              }
              all.push(...m.out)
              failed += m.failed
              w.off('message', onMessage)
              w.off('error', reject)
              resolve()
            }
            w.on('message', onMessage)
            w.on('error', reject)
            w.postMessage({ counter })
          }),
      ),
    ).then(() => ({ wallMs: performance.now() - t0, totals: sum(all), failed }))
  }
  try {
    const first = await run('JSON.parse workers, first run')
    const again = await run('JSON.parse workers, second run')
    return { ...first, warmMs: again.wallMs, warmTotals: again.totals }
  } finally {
    await Promise.all(pool.map((w) => w.terminate()))
  }
}

module.exports = { runWorkers, runJsonParseWorkers }
