'use strict'
// parseJsonFiles on many small files (where a linter lives): 5 000 files of 1–4 KB (arrays
// of records), a plugin reading `id` of every record, against a readFileSync + JSON.parse
// loop doing the same reads, in the same run. Default options throughout (a new JsonPool():
// 4 blocks; parseJsonFiles's 2 threads; runJsonPlugins's default workers):
//   - parseJsonFiles, the plugin reading every id;
//   - parseJsonFiles, a no-op plugin (the job's own cost);
//   - runJsonPlugins (a host made for each run), the same plugin (benches/js/plugins/ids.js),
//     against parseJsonFiles on this thread;
//   - a synchronous parseJson + the same reads + release over the texts in memory, against
//     JSON.parse + the same reads in memory.
// The cases take turns in each of `--rounds` rounds (default 7); each row gives its time
// over the rounds and its per-round ratio: the median, then the range.
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

const IDS = path.join(__dirname, 'plugins', 'ids.js')
const ids = require(IDS)
function plainIds(list) {
  let sum = 0
  for (let k = 0, n = list.length; k < n; k++) sum += list[k].id
  return sum
}

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? dflt : Number(process.argv[i + 1])
}

// Median (then the range): a round the shared machine slowed shows in the range only.
const range = (xs) => [[...xs].sort((x, y) => x - y)[xs.length >> 1], Math.min(...xs), Math.max(...xs)]
const fmtRange = ([m, a, b], f) => (f(a) === f(b) ? f(a) : `${f(m)} (${f(a)}–${f(b)})`)
const ms = (ns) => `${(ns / 1e6).toFixed(1)} ms`
const ratio = (x) => `${x.toFixed(2)}x`

module.exports = async function run() {
  const rounds = arg('rounds', 7)
  const { dir, paths } = makeFiles(arg('files', 5000))
  const mb = paths.reduce((n, p) => n + fs.statSync(p).size, 0) / 2 ** 20
  const n = paths.length
  const texts = paths.map((p) => fs.readFileSync(p))
  const strings = texts.map((t) => t.toString('utf8'))
  const pool = new rt.JsonPool()
  let check = 0
  const cases = {
    base: () => {
      for (const p of paths) check += plainIds(JSON.parse(fs.readFileSync(p, 'utf8')))
    },
    files: () => pool.parseJsonFiles(paths, (doc) => void (check += ids(doc))),
    noop: () => pool.parseJsonFiles(paths, () => {}),
    parallel: () => rt.runJsonPlugins(paths, { plugin: IDS }),
    memBase: () => {
      for (const s of strings) check += plainIds(JSON.parse(s))
    },
    memSync: () => {
      for (const t of texts) {
        const doc = pool.parseJson(t)
        check += ids(doc)
        doc.release()
      }
    },
  }
  const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]))
  for (const fn of Object.values(cases)) await fn() // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(cases)) {
      const t0 = performance.now()
      const out = await fn()
      times[name].push((performance.now() - t0) * 1e6)
      if (out && out.errors && out.errors.length > 0) throw out.errors[0].error
    }
  }
  const per = (a, b) => range(times[a].map((t, i) => times[b][i] / t))
  const row = (label, name, vs) => [label, fmtRange(range(times[name]), ms), vs === null ? '1.00x' : fmtRange(per(name, vs), ratio)]
  const rows = [
    row(`${n} files, ${mb.toFixed(1)} MB: readFileSync + JSON.parse loop, read id of every record (baseline)`, 'base', null),
    row('parseJsonFiles, default pool and options, plugin reads id of every record', 'files', 'base'),
    row('parseJsonFiles, default pool and options, no-op plugin', 'noop', 'base'),
    row('runJsonPlugins, default options, plugin reads id of every record: vs parseJsonFiles above', 'parallel', 'files'),
    row('JSON.parse + the same reads, texts in memory (baseline of the next row)', 'memBase', null),
    row('sync parseJson + the same reads + release, texts in memory, default pool', 'memSync', 'memBase'),
  ]
  pool.close()
  fs.rmSync(dir, { recursive: true })
  table(`JSON: many small files (${rounds} rounds: median (range); ratio = speed-up over the row's baseline, per round)`, ['case', 'time', 'speed-up'], rows)
  return { times, check }
}
if (require.main === module) module.exports()
