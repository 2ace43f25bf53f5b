'use strict'
// Shared test data: deterministic CSV texts and the rows they must read back as.
const { readTable } = require('..')

const name = (seed, i) => (i % 5 === 4 ? `"q, ""${seed}"" ${i}"` : `row ${seed}-${i} é`)
const plain = (seed, i) => (i % 5 === 4 ? `q, "${seed}" ${i}` : `row ${seed}-${i} é`)
const value = (seed, i) => seed * 1000 + i / 4 - 7

function csv(n, seed) {
  const lines = []
  for (let i = 0; i < n; i++) lines.push(`${name(seed, i)},${value(seed, i)}`)
  return lines.join(seed % 2 ? '\r\n' : '\n')
}
function expected(n, seed) {
  return Array.from({ length: n }, (_, i) => ({ name: plain(seed, i), value: value(seed, i), line: i + 1 }))
}
/** The rows of the Table of a hand-off (a RawBuffer, or `{ raw, root?, generation? }`), as plain objects. */
const rowsOf = (handOff) => readTable(handOff).rows.toJS()

const nextTick = () => new Promise((r) => setImmediate(r))

/** gc until `cond()` holds (finalizers of external buffers run after a GC, asynchronously). */
async function gcUntil(cond, rounds = 50) {
  for (let i = 0; i < rounds; i++) {
    if (cond()) return true
    global.gc()
    await nextTick()
  }
  return cond()
}

module.exports = { csv, expected, rowsOf, nextTick, gcUntil }
