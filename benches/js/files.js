'use strict'
// parseJsonFiles on many small files (where a linter lives): 5 000 files of 1–4 KB, against
// a readFileSync + JSON.parse loop doing the same, in the same run; the same job with a
// no-op plugin (wall time per file: the job's whole cost); and a synchronous parseJson +
// release loop over the same texts already in memory (what one native call per document
// costs, parse included).
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const rt = require('../..')
const { fmtNs, table } = require('./util')

function record(i, k) {
  return { id: i * 100 + k, name: `user ${i}-${k}`, email: `u${i}.${k}@example.test`, active: (i + k) % 3 === 0, score: (i * 7 + k) / 3, tags: ['a', 'bb', 'ccc'].slice(0, 1 + (k % 3)) }
}

function makeFiles(count) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rt-bench-files-'))
  const paths = []
  for (let i = 0; i < count; i++) {
    const records = []
    const target = 1024 + ((i * 2654435761) % 3072) // 1–4 KB
    for (let k = 0; JSON.stringify(records).length < target; k++) records.push(record(i, k))
    const p = path.join(dir, `f${i}.json`)
    fs.writeFileSync(p, JSON.stringify(records))
    paths.push(p)
  }
  return { dir, paths }
}

async function median(fn, runs) {
  await fn()
  const samples = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    await fn()
    samples.push(performance.now() - t0)
  }
  return samples.sort((a, b) => a - b)[runs >> 1] * 1e6 // ns
}

module.exports = async function run() {
  const { dir, paths } = makeFiles(5000)
  const mb = paths.reduce((n, p) => n + fs.statSync(p).size, 0) / 2 ** 20
  const n = paths.length
  const readField = (doc) => doc.root.at(0).get('id').value
  const base = await median(() => {
    for (const p of paths) JSON.parse(fs.readFileSync(p, 'utf8'))[0].id
  }, 7)
  const rows = [[`${n} files, ${mb.toFixed(1)} MB: readFileSync + JSON.parse loop, read one field (baseline)`, fmtNs(base), fmtNs(base / n), '1.00x']]
  const pool = new rt.FixedSizeAllocatorPool({ size: 64 })
  const job = await median(() => pool.parseJsonFiles(paths, readField, { threads: 2 }), 7)
  rows.push([`parseJsonFiles, 2 threads, pool of 64, plugin reads one field`, fmtNs(job), fmtNs(job / n), `${(base / job).toFixed(2)}x`])
  const noop = await median(() => pool.parseJsonFiles(paths, () => {}, { threads: 2 }), 7)
  rows.push([`parseJsonFiles, 2 threads, no-op plugin`, fmtNs(noop), fmtNs(noop / n), `${(base / noop).toFixed(2)}x`])
  // The JS thread's own cost per file with a no-op plugin, through the public path
  // (batch take, document per file, plugin call, release): the event loop's active time
  // during the job (performance.eventLoopUtilization), which leaves out the time the thread
  // sleeps waiting for the Rust threads. Best of 5.
  let jsNs = Infinity
  for (let run = 0; run < 5; run++) {
    const before = performance.eventLoopUtilization()
    await pool.parseJsonFiles(paths, () => {}, { threads: 2 })
    const { active } = performance.eventLoopUtilization(before)
    jsNs = Math.min(jsNs, active * 1e6)
  }
  rows.push([`JS thread's own work in that job (event-loop active time: take, documents, plugin calls, releases)`, fmtNs(jsNs), fmtNs(jsNs / n), '-'])
  const texts = paths.map((p) => fs.readFileSync(p))
  const sync = await median(() => {
    for (const text of texts) pool.parseJson(text).release()
  }, 7)
  rows.push([`sync parseJson + release of the same texts (in memory), 1 thread`, fmtNs(sync), fmtNs(sync / n), `${(base / sync).toFixed(2)}x`])
  pool.close()
  fs.rmSync(dir, { recursive: true })
  table('JSON: many small files', ['case', 'time', 'per file', 'speed-up vs baseline'], rows)
  return { base, job, noop, n, jsNs }
}
if (require.main === module) module.exports()
