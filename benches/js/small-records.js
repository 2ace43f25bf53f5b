'use strict'
// Lazy reads of small records: 5 000 JSON texts of 1–4 KB in memory, each an array (or an
// object holding one under "records") of 4–15 records; read `id` of every record.
//
//   full:  pool.parseJson(text), read every id through the lazy view, doc.release()
//          against JSON.parse(text) and the same reads;
//   reads: the lazy reads alone (parse and release outside the timer: the pool's blocks
//          are filled, the reads of those documents timed, the blocks released), against
//          JSON.parse alone (+ its reads, which cost next to nothing on plain objects).
//   parse: parseJson + release alone (the fixed native cost per document).
//
// Cases run in interleaved rounds in one process (the machine is shared and noisy); each
// case reports its range over the rounds, and each ratio its range over the rounds' ratios.
// Options: --rounds N (default 9), --files N (default 5000), --only full|reads.
const rt = require('../..')
const { fmtNs, table } = require('./util')

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? dflt : process.argv[i + 1]
}

/** Text `i`: 4–15 records, 1–4 KB; even texts are arrays, odd ones `{ "records": [...] }`. */
function makeText(i) {
  const n = 4 + (i % 12)
  const target = 1024 + ((i * 2654435761) % 3072)
  const pad = Math.max(0, Math.floor(target / n) - 190)
  const records = []
  for (let k = 0; k < n; k++) {
    records.push({
      id: i * 100 + k,
      name: `user ${i}-${k}`,
      email: `u${i}.${k}@example.test`,
      active: (i + k) % 3 === 0,
      score: (i * 7 + k) / 3,
      tags: ['a', 'bb', 'ccc'].slice(0, 1 + (k % 3)),
      address: { city: 'Springfield', zip: String(10000 + k) },
      note: 'x'.repeat(pad),
    })
  }
  return JSON.stringify(i % 2 === 0 ? records : { version: 1, records })
}

// The plugin's reads, as a user writes them.
function lazyIds(doc) {
  const root = doc.root
  const list = root.type === 'array' ? root : root.get('records')
  let sum = 0
  for (let k = 0, n = list.length; k < n; k++) sum += list.at(k).get('id').value
  return sum
}
function plainIds(value) {
  const list = Array.isArray(value) ? value : value.records
  let sum = 0
  for (let k = 0, n = list.length; k < n; k++) sum += list[k].id
  return sum
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b)
  return { min: s[0], med: s[s.length >> 1], max: s[s.length - 1] }
}
const range = (xs, f) => {
  const { min, med, max } = stats(xs)
  return `${f(min)}–${f(max)} (median ${f(med)})`
}
const x = (v) => `${v.toFixed(2)}x`

module.exports = function run() {
  const count = Number(arg('files', 5000))
  const rounds = Number(arg('rounds', 9))
  const only = arg('only', null)
  const texts = Array.from({ length: count }, (_, i) => makeText(i))
  const kb = texts.reduce((n, t) => n + t.length, 0) / 1024
  const pool = new rt.FixedSizeAllocatorPool()
  const size = pool.size
  let sink = 0

  const cases = {
    jsonParse() {
      for (const t of texts) sink += plainIds(JSON.parse(t))
    },
    full() {
      for (const t of texts) {
        const doc = pool.parseJson(t)
        sink += lazyIds(doc)
        doc.release()
      }
    },
    parseRelease() {
      for (const t of texts) pool.parseJson(t).release()
    },
    // Returns only the time spent in the reads.
    readsOnly() {
      const docs = new Array(size)
      let ns = 0
      for (let at = 0; at < texts.length; at += size) {
        const m = Math.min(size, texts.length - at)
        for (let j = 0; j < m; j++) docs[j] = pool.parseJson(texts[at + j])
        const t0 = performance.now()
        for (let j = 0; j < m; j++) sink += lazyIds(docs[j])
        ns += (performance.now() - t0) * 1e6
        for (let j = 0; j < m; j++) docs[j].release()
      }
      return ns
    },
  }
  const names = only === 'full' ? ['jsonParse', 'full'] : only === 'reads' ? ['jsonParse', 'readsOnly'] : Object.keys(cases)
  const times = Object.fromEntries(names.map((k) => [k, []]))
  for (let round = -1; round < rounds; round++) {
    // Rotate the order each round so no case always runs after the same one.
    for (let c = 0; c < names.length; c++) {
      const name = names[(c + round + 1) % names.length]
      if (globalThis.gc) globalThis.gc()
      const t0 = performance.now()
      const inner = cases[name]()
      const ns = typeof inner === 'number' ? inner : (performance.now() - t0) * 1e6
      if (round >= 0) times[name].push(ns) // round -1 warms up (and makes the pool's blocks)
    }
  }
  pool.close()
  const per = (ns) => fmtNs(ns / count)
  const ratio = (a, b) => times[a].map((t, k) => t / times[b][k])
  const rows = [[`JSON.parse + read every id (baseline)`, range(times.jsonParse, per), '1.00x']]
  if (times.full) rows.push([`parseJson + read every id (lazy) + release`, range(times.full, per), range(ratio('jsonParse', 'full'), x)])
  if (times.parseRelease) rows.push([`parseJson + release only`, range(times.parseRelease, per), range(ratio('jsonParse', 'parseRelease'), x)])
  if (times.readsOnly) rows.push([`lazy reads only (parse and release untimed)`, range(times.readsOnly, per), range(ratio('jsonParse', 'readsOnly'), x)])
  if (times.full && times.parseRelease) {
    const diff = times.full.map((t, k) => t - times.parseRelease[k])
    rows.push([`lazy reads, as full − parse/release (same round)`, range(diff, per), range(times.jsonParse.map((t, k) => t / diff[k]), x)])
  }
  table(`JSON: lazy reads of small records (${count} texts in memory, ${(kb / 1024).toFixed(1)} MB, ${rounds} interleaved rounds, default pool of ${size})`, ['case', 'per text', 'JSON.parse time / this time'], rows)
  return { sink }
}
if (require.main === module) module.exports()
