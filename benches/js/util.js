'use strict'
// Tiny benchmark helpers: median time per call, and a markdown table printer.

function measure(fn, { minRuns = 20, minMs = 300 } = {}) {
  for (let i = 0; i < 2; i++) fn()
  const samples = []
  const start = performance.now()
  while (samples.length < minRuns || performance.now() - start < minMs) {
    const t0 = process.hrtime.bigint()
    fn()
    samples.push(Number(process.hrtime.bigint() - t0))
    if (samples.length > 100000) break
  }
  samples.sort((a, b) => a - b)
  return samples[samples.length >> 1]
}

function fmtNs(ns) {
  if (ns < 1e3) return `${ns.toFixed(0)} ns`
  if (ns < 1e6) return `${(ns / 1e3).toFixed(1)} µs`
  if (ns < 1e9) return `${(ns / 1e6).toFixed(2)} ms`
  return `${(ns / 1e9).toFixed(2)} s`
}

function fmtBytes(n) {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(0)} MB`
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(0)} KB`
  return `${n} B`
}

function table(title, header, rows) {
  console.log(`\n## ${title}\n`)
  console.log(`| ${header.join(' | ')} |`)
  console.log(`|${header.map(() => '---').join('|')}|`)
  for (const r of rows) console.log(`| ${r.join(' | ')} |`)
}

module.exports = { measure, fmtNs, fmtBytes, table }
