'use strict'
// How to turn arena bytes into JS strings on this runtime: each strategy decodes the same
// strings from one block; ratios against TextDecoder, in the same run.
const rt = require('../..')
const { measure, table, fmtNs } = require('./util')

function strategies(raw, spans, srcStart, srcLen) {
  const u8 = raw.u8
  const buf = raw.nodeBuffer
  const dec = new TextDecoder()
  const fcc = String.fromCharCode
  return {
    TextDecoder: () => spans.map(([p, n]) => dec.decode(u8.subarray(p, p + n))),
    'Buffer#utf8Slice': () => spans.map(([p, n]) => buf.utf8Slice(p, p + n)),
    'Buffer#latin1Slice (per string)': () => spans.map(([p, n]) => buf.latin1Slice(p, p + n)),
    'fromCharCode loop': () =>
      spans.map(([p, n]) => {
        let s = ''
        for (let k = p; k < p + n; k++) s += fcc(u8[k])
        return s
      }),
    'fromCharCode.apply(subarray)': () => spans.map(([p, n]) => fcc.apply(null, u8.subarray(p, p + n))),
    'latin1Slice(whole source) once + substring': () => {
      const all = buf.latin1Slice(srcStart, srcStart + srcLen)
      return spans.map(([p, n]) => all.substring(p - srcStart, p - srcStart + n))
    },
  }
}

module.exports = function run() {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  const block = pool.acquire()
  const rows = []
  for (const [label, len, count] of [
    ['short ASCII (8 B)', 8, 20000],
    ['medium ASCII (24 B)', 24, 20000],
    ['long ASCII (200 B)', 200, 5000],
  ]) {
    const text = Array.from({ length: count }, (_, i) => `${'k'.repeat(len - 8)}${String(i).padStart(8, '0')}`).join('')
    const w = block.writeString(text)
    const spans = Array.from({ length: count }, (_, i) => [w.ptr + i * len, len])
    const s = strategies(block.raw, spans, w.ptr, w.len)
    const base = measure(s.TextDecoder)
    for (const [name, fn] of Object.entries(s)) {
      const t = measure(fn)
      rows.push([label, name, fmtNs(t / count), `${(base / t).toFixed(2)}x`])
    }
  }
  block.release()
  pool.close()
  table('String decoding strategies (per string; speed-up vs TextDecoder)', ['strings', 'strategy', 'time', 'speed-up'], rows)
}
if (require.main === module) module.exports()
