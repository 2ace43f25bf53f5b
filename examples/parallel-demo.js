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

async function runWorkers(files, { workers, threads, key, pool, log }) {
  process.env.RAW_TRANSFER_DEMO_KEY = key // read by parallel-plugin.js in each worker
  const t0 = performance.now()
  const r = await rt.runJsonPlugins(files, {
    plugin: PLUGIN,
    workers,
    threads,
    poolSize: pool,
    onProgress: ({ done, total }) => log(`runJsonPlugins (${workers} workers): ${done}/${total} files`),
  })
  return { wallMs: performance.now() - t0, result: r, totals: sum(r.results) }
}

function runJsonParseWorkers(files, { workers, key, log }) {
  const counter = new Int32Array(new SharedArrayBuffer(4))
  const code = `
    const { parentPort, workerData } = require('node:worker_threads')
    const fs = require('node:fs')
    const { visitPlain, plainPlugins } = require(workerData.plugins)
    const { files, counter, key } = workerData
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
    parentPort.postMessage({ out, failed })`
  const t0 = performance.now()
  const all = []
  let failed = 0
  let done = 0
  return Promise.all(
    Array.from(
      { length: workers },
      () =>
        new Promise((resolve, reject) => {
          const w = new Worker(code, { eval: true, workerData: { files, counter, key, plugins: path.join(__dirname, 'plugins.js') } })
          w.on('message', (m) => {
            if (m.progress) {
              done += m.progress
              log(`JSON.parse in ${workers} workers: ~${done}/${files.length} files`)
              return
            }
            all.push(...m.out)
            failed += m.failed
          })
          w.on('error', reject)
          w.on('exit', resolve)
        }),
    ),
  ).then(() => ({ wallMs: performance.now() - t0, totals: sum(all), failed }))
}

module.exports = { runWorkers, runJsonParseWorkers }
