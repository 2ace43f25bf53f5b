'use strict'
// Hand-off of arena data to JS vs a napi Buffer copy vs JSON. Ratios are against the
// copy baseline measured in the same run.
const rt = require('../..')
const { measure, table, fmtBytes, fmtNs } = require('./util')

function payloadJson(bytes) {
  // An array of short strings whose JSON text is about `bytes` long.
  const item = 'abcdefghijklmnopqrstuvwxyz01'
  return JSON.stringify(Array.from({ length: Math.max(1, Math.round(bytes / (item.length + 3))) }, () => item))
}

function handoffSizes(transfer) {
  const rows = []
  for (const size of [1 << 10, 1 << 20, 100 << 20]) {
    const pool = new rt.FixedSizeAllocatorPool({ size: 1, transfer })
    const block = pool.acquire()
    const w = block.writeBytes(new Uint8Array(size).fill(65))
    block.setDataOffset(w.ptr)
    const copy = measure(() => block.copyToBuffer(w.ptr, w.len)[size - 1], { minRuns: 5 })
    const repeat = measure(() => block.handOff().u8[w.ptr + size - 1])
    const json = payloadJson(size)
    const parse = measure(() => JSON.parse(json).length, { minRuns: 3 })
    const obj = JSON.parse(json)
    const stringify = measure(() => JSON.stringify(obj).length, { minRuns: 3 })
    block.release()
    pool.close()
    rows.push([
      `${fmtBytes(size)} repeat hand-off (${transfer})`,
      fmtNs(repeat),
      `${(copy / repeat).toFixed(1)}x faster`,
    ])
    rows.push([`${fmtBytes(size)} napi Buffer copy (baseline)`, fmtNs(copy), '1.0x'])
    rows.push([`${fmtBytes(size)} JSON.parse`, fmtNs(parse), `${(copy / parse).toFixed(2)}x`])
    rows.push([`${fmtBytes(size)} JSON.stringify`, fmtNs(stringify), `${(copy / stringify).toFixed(2)}x`])
  }
  return rows
}

/**
 * First hand-offs, as issue 20 measures them: after the process built a heap of `heapMb` of
 * plain objects, 8 `pool.parseJson('{"a":1}')` on a new pool of 8 (each a new block, wrapped
 * in a new external buffer) against 8 more on the same blocks (repeat hand-offs), and 8
 * more after the same GC and pause the first ones had (cold repeat hand-offs), and what
 * `process.memoryUsage().external` grew by with the 8 blocks handed out. Rounds of a new
 * pool each; ranges over the rounds.
 */
async function firstHandoffs(heapMb, { rounds = 7, reuse = false } = {}) {
  const ballast = []
  global.gc()
  let i = 0
  while (process.memoryUsage().heapUsed < heapMb * 2 ** 20) {
    for (let j = 0; j < 10000; j++, i++) ballast.push({ a: i, b: 'x' + i, c: [i, i + 1, i + 2] })
  }
  global.gc()
  const heapUsed = process.memoryUsage().heapUsed
  const first = []
  const repeat = []
  const coldRepeat = []
  const external = []
  // Without `reuse`, every round's pool stays open until the end, so no block is freed and
  // each round makes new ones; with it, each round's pool is closed, so once the GC has
  // collected its buffers the next round's blocks are the process's spare blocks.
  const open = []
  for (let r = 0; r < rounds; r++) {
    // Both ways, a full GC and two turns before each round (finalizers run on a later turn).
    global.gc()
    await new Promise((resolve) => setTimeout(resolve, 2))
    await new Promise((resolve) => setTimeout(resolve, 2))
    const pool = new rt.JsonPool({ size: 8, transfer: 'external' })
    const before = process.memoryUsage().external
    let t0 = performance.now()
    let docs = []
    for (let k = 0; k < 8; k++) docs.push(pool.parseJson('{"a":1}'))
    first.push(performance.now() - t0)
    external.push(process.memoryUsage().external - before)
    for (const d of docs) d.release()
    t0 = performance.now()
    docs = []
    for (let k = 0; k < 8; k++) docs.push(pool.parseJson('{"a":1}'))
    repeat.push(performance.now() - t0)
    for (const d of docs) d.release()
    // The same repeat hand-offs after what the first ones came after (a full GC, two
    // turns): a full GC leaves the caches, and the code that a hand-off runs, cold, which
    // a first hand-off measured this way pays and a repeat one right after it does not.
    global.gc()
    await new Promise((resolve) => setTimeout(resolve, 2))
    await new Promise((resolve) => setTimeout(resolve, 2))
    t0 = performance.now()
    docs = []
    for (let k = 0; k < 8; k++) docs.push(pool.parseJson('{"a":1}'))
    coldRepeat.push(performance.now() - t0)
    for (const d of docs) d.release()
    if (reuse) pool.close()
    else open.push(pool)
  }
  for (const pool of open) pool.close()
  ballast.length = 0
  global.gc()
  // Median, then the range: a GC that comes due in one round (the heap was just built) shows
  // as an outlier there.
  const range = (xs, f) => {
    const sorted = [...xs].sort((x, y) => x - y)
    return `${f(sorted[sorted.length >> 1])} (${f(sorted[0])}–${f(sorted[sorted.length - 1])})`
  }
  const ms = (x) => `${x.toFixed(2)} ms`
  const ratios = first.map((f, k) => f / repeat[k])
  const coldRatios = first.map((f, k) => f / coldRepeat[k])
  return [
    [
      `8 first hand-offs (new pool of 8, parseJson of 1 KB or less, ${reuse ? 'spare blocks: earlier pools freed' : 'new blocks'}), heap ${(heapUsed / 2 ** 20).toFixed(0)} MB`,
      range(first, ms),
      `${range(ratios, (x) => x.toFixed(1))}x the repeat; external +${range(external, (x) => (x / 2 ** 20).toFixed(0))} MiB`,
    ],
    [`8 repeat hand-offs, same pool and heap`, range(repeat, ms), '1x'],
    [
      `8 repeat hand-offs after a full GC and two turns, as the first ones`,
      range(coldRepeat, ms),
      `first ones: ${range(coldRatios, (x) => x.toFixed(1))}x this`,
    ],
  ]
}

module.exports = async function run() {
  const rows = []
  // New blocks, then the same after earlier pools were freed (their blocks are spares).
  for (const reuse of [false, true]) {
    for (const heapMb of [16, 250, 1024]) rows.push(...(await firstHandoffs(heapMb, { reuse })))
  }
  rows.push(...handoffSizes('external'), ...handoffSizes('copy'))
  table('Hand-off of arena data to JS', ['case', 'time', 'ratio'], rows)
}
if (require.main === module) module.exports().catch((e) => {
  console.error(e)
  process.exit(1)
})
