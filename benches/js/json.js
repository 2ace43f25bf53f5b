'use strict'
// JSON producer benchmarks: ratios against JSON.parse measured in the same run.
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const rt = require('../..')
const { measure, table, fmtNs } = require('./util')
const walk = require('./plugins/walk')

const corpusDir = path.join(__dirname, '..', '..', '..', 'shared', 'corpus')

/** A ~`mb` MB document of API-response-like records, deterministic. */
function generated(mb) {
  const parts = []
  let size = 2
  for (let i = 0; size < mb * 2 ** 20; i++) {
    const rec = `{"id":${i},"name":"user ${i} é","email":"u${i}@example.com","active":${i % 2 === 0},"score":${(i * 1.37) % 100},"tags":["a","b${i % 10}"],"address":{"street":"${i} Main Street","city":"Springfield","zip":"${10000 + (i % 89999)}","geo":[${(i % 180) - 90.5},${(i % 360) - 180.25}]},"bio":"line one\\nline \\"two\\" \\u00e9"}`
    parts.push(rec)
    size += rec.length + 1
  }
  return `[${parts.join(',')}]`
}

/** Descend from the middle child of each container to a leaf: one deep field, read lazily. */
function deepField(node) {
  let depth = 0
  while (node.isContainer && node.length > 0) {
    node = node.type === 'array' ? node.at(node.length >> 1) : node.get(node.keys()[node.length >> 1])
    depth++
  }
  return [depth, node.value]
}

function docBenches(name, text) {
  const bytes = Buffer.from(text)
  const mb = bytes.length / 2 ** 20
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  const jsonParse = measure(() => JSON.parse(text), { minRuns: 5, minMs: 1000 })
  const deepRead = measure(
    () => {
      const doc = pool.parseJson(bytes)
      const v = deepField(doc.root)
      doc.release()
      return v
    },
    { minRuns: 5, minMs: 1000 },
  )
  const parseOnly = measure(() => pool.parseJson(bytes).release(), { minRuns: 5, minMs: 1000 })
  const toJS = measure(
    () => {
      const doc = pool.parseJson(bytes)
      const v = doc.toJS()
      doc.release()
      return v
    },
    { minRuns: 5, minMs: 1000 },
  )
  const parsed = pool.parseJson(bytes)
  // The same document each time: its reader keeps the keys it decoded (as any second
  // toJS() of one document would).
  const toJSAlone = measure(() => parsed.toJS(), { minRuns: 5, minMs: 1000 })
  parsed.release()
  // From a JS string: JSON.parse's own input. parseJson(string) pays the UTF-16 -> UTF-8
  // conversion across napi.
  const toJSString = measure(
    () => {
      const doc = pool.parseJson(text)
      const v = doc.toJS()
      doc.release()
      return v
    },
    { minRuns: 5, minMs: 1000 },
  )
  // From bytes (what a file read gives): JSON.parse needs them decoded to a string first.
  const jsonParseBytes = measure(() => JSON.parse(bytes.toString()), { minRuns: 5, minMs: 1000 })
  // A walk reading every value: through the lazy view vs over JSON.parse's objects.
  const lazyWalk = measure(
    () => {
      const doc = pool.parseJson(bytes)
      const v = walk(doc)
      doc.release()
      return v
    },
    { minRuns: 5, minMs: 1000 },
  )
  const plainWalk = measure(() => walk.plain(JSON.parse(bytes.toString())), { minRuns: 5, minMs: 1000 })
  pool.close()
  const rate = (t) => `${(mb / (t / 1e9)).toFixed(0)} MB/s`
  const row = (label, t, base, baseName) => [label, fmtNs(t), rate(t), `${(base / t).toFixed(2)}x`, baseName]
  return [
    row(`${name} (${mb.toFixed(1)} MB): JSON.parse(string)`, jsonParse, jsonParse, 'itself'),
    row(`${name}: parseJson(bytes) + hand-off + read one deep field`, deepRead, jsonParse, 'JSON.parse(string)'),
    row(`${name}: parseJson(bytes) + hand-off only`, parseOnly, jsonParse, 'JSON.parse(string)'),
    row(`${name}: **parseJson(string) + toJS()**`, toJSString, jsonParse, 'JSON.parse(string)'),
    row(`${name}: **parseJson(bytes) + toJS()**`, toJS, jsonParseBytes, 'JSON.parse(bytes.toString())'),
    row(`${name}: toJS() of a parsed document (again)`, toJSAlone, jsonParse, 'JSON.parse(string)'),
    row(`${name}: **parseJson(bytes) + lazy walk of every value**`, lazyWalk, plainWalk, 'JSON.parse(bytes.toString()) + the same walk'),
  ]
}

async function filesBench() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rt-bench-files-'))
  const paths = []
  for (let i = 0; i < 40; i++) {
    const p = path.join(dir, `f${i}.json`)
    fs.writeFileSync(p, generated(1 + (i % 4)))
    paths.push(p)
  }
  const total = paths.reduce((n, p) => n + fs.statSync(p).size, 0) / 2 ** 20
  const plugin = (doc) => {
    const root = doc.root
    return root.at(0).get('id').value
  }
  const time = async (fn) => {
    await fn()
    const samples = []
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now()
      await fn()
      samples.push(performance.now() - t0)
    }
    return samples.sort((a, b) => a - b)[1] * 1e6
  }
  const base = await time(async () => {
    for (const p of paths) JSON.parse(fs.readFileSync(p, 'utf8'))[0].id
  })
  const rows = [[`${paths.length} files, ${total.toFixed(0)} MB: readFileSync + JSON.parse loop (baseline)`, fmtNs(base), `${(total / (base / 1e9)).toFixed(0)} MB/s`, '1.00x']]
  for (const threads of [1, 2]) {
    const pool = new rt.FixedSizeAllocatorPool({ size: 4 })
    const t = await time(() => pool.parseJsonFiles(paths, plugin, { threads }))
    pool.close()
    rows.push([`parseJsonFiles, ${threads} thread(s), lazy plugin`, fmtNs(t), `${(total / (t / 1e9)).toFixed(0)} MB/s`, `${(base / t).toFixed(2)}x`])
  }
  fs.rmSync(dir, { recursive: true })
  return rows
}

module.exports = async function run() {
  const rows = []
  if (fs.existsSync(corpusDir)) {
    for (const f of ['twitter.json', 'citm_catalog.json']) rows.push(...docBenches(f, fs.readFileSync(path.join(corpusDir, f), 'utf8')))
  } else console.log(`(corpus not found at ${corpusDir}: skipping corpus rows)`)
  rows.push(...docBenches('generated', generated(100)))
  table('JSON: parse, hand-off and read vs JSON.parse', ['case', 'time', 'throughput', 'speed-up', 'vs (same run)'], rows)
  table('JSON: many files', ['case', 'time', 'throughput', 'speed-up'], await filesBench())
}
module.exports.filesBench = filesBench
if (require.main === module) module.exports()
