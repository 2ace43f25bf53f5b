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

/** First hand-off: a new block wrapped in a new external buffer, with `heapMb` of live JS objects. */
function firstHandoff(heapMb) {
  const ballast = []
  global.gc()
  let i = 0
  while (process.memoryUsage().heapUsed < heapMb * 2 ** 20) {
    for (let j = 0; j < 10000; j++, i++) ballast.push({ a: i, b: 'x' + i, c: [i, i + 1, i + 2] })
  }
  global.gc()
  const heapUsed = process.memoryUsage().heapUsed
  const t = measure(
    () => {
      const pool = new rt.FixedSizeAllocatorPool({ size: 1, transfer: 'external' })
      const b = pool.acquire()
      b.release()
      pool.close()
    },
    { minRuns: 10, minMs: 1000 },
  )
  const repeatPool = new rt.FixedSizeAllocatorPool({ size: 1, transfer: 'external' })
  repeatPool.acquire().release()
  const repeat = measure(() => repeatPool.acquire().release())
  repeatPool.close()
  ballast.length = 0
  return [
    [`first hand-off, heap ${(heapUsed / 2 ** 20).toFixed(0)} MB`, fmtNs(t), `${(t / repeat).toFixed(0)}x the repeat`],
    [`repeat acquire+hand-off+release, same heap`, fmtNs(repeat), '1x'],
  ]
}

module.exports = function run() {
  const rows = [...firstHandoff(3), ...firstHandoff(300), ...handoffSizes('external'), ...handoffSizes('copy')]
  table('Hand-off of arena data to JS', ['case', 'time', 'ratio'], rows)
}
if (require.main === module) module.exports()
