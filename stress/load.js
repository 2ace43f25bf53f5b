'use strict'
// Scenario 3, load: 100 000 small JSON documents through pool.parseJsonFiles with a pool of
// 2 (2 000 files, each path 50 times), then 100 000 pool.parseJson + release calls. After a
// warm-up, RSS must not grow by more than STRESS_RSS_LIMIT_MB (default 50); liveBlocks()
// must be back at the baseline after close + GC.
//
// Env: STRESS_SEED, STRESS_LOAD_DOCS (default 100000), STRESS_RSS_LIMIT_MB.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const L = require('./lib')

L.runScenario('load', main)

async function main(res) {
  const rt = L.loadRuntime()
  const seed = L.seedFromEnv()
  const DOCS = Number(process.env.STRESS_LOAD_DOCS || 100_000)
  const LIMIT = Number(process.env.STRESS_RSS_LIMIT_MB || 50)
  const FILES = Math.min(2000, DOCS)
  const REPEAT = Math.ceil(DOCS / FILES)
  const WARMUP = Math.min(10_000, Math.floor(DOCS / 10))
  res.note(`seed ${seed}; ${DOCS} documents (${FILES} files x ${REPEAT}), warm-up ${WARMUP}, RSS growth limit ${LIMIT} MB`)
  const r = L.makeRng(seed)
  const base = rt.liveBlocks()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rt-stress-load-'))
  try {
    const texts = []
    const files = []
    for (let i = 0; i < FILES; i++) {
      const text = `{"id":${i},"doc":${L.randomJson(r, 2, 4)}}`
      texts.push(text)
      const p = path.join(dir, `d${i}.json`)
      fs.writeFileSync(p, text)
      files.push(p)
    }
    const indexOf = new Map(files.map((p, i) => [p, i]))
    const expected = texts.map((t) => JSON.parse(t))

    // ---- parseJsonFiles -------------------------------------------------------------
    const pool = new rt.FixedSizeAllocatorPool({ size: 2 })
    let seen = 0
    const samples = []
    let rss0 = 0
    const plugin = (doc, p) => {
      seen++
      if (doc instanceof Error) return res.fail(`parseJsonFiles: ${p}: ${doc.message}`)
      const i = indexOf.get(p)
      const id = doc.root.get('id')
      if (!id || id.value !== i) res.fail(`parseJsonFiles: ${path.basename(p)}: id ${id && id.value}, want ${i}`)
      if (seen % 97 === 0) {
        const d = L.jsonDiff(doc.toJS(), expected[i])
        res.check(d === null, () => `parseJsonFiles: ${path.basename(p)} differs from JSON.parse: ${d}`)
      }
      if (seen % 5000 === 0) samples.push(L.rssMB())
    }
    // Warm-up: a first run over part of the files (JIT, parser scratch, retained pages).
    await pool.parseJsonFiles(files.slice(0, Math.min(FILES, WARMUP)), plugin)
    await L.gcCycle()
    rss0 = L.rssMB()
    seen = 0
    const paths = []
    for (let k = 0; k < REPEAT; k++) for (const p of files) paths.push(p)
    paths.length = DOCS
    const t0 = Date.now()
    const result = await pool.parseJsonFiles(paths, plugin, { threads: 2 })
    const ms = Date.now() - t0
    await L.gcCycle()
    const rss1 = L.rssMB()
    res.steps += seen
    res.check(result.files === DOCS && seen === DOCS, `parseJsonFiles: ${result.files} files, ${seen} plugin calls, want ${DOCS}`)
    res.check(result.errors.length === 0, () => `parseJsonFiles: ${result.errors.length} errors, first: ${result.errors[0].error.message}`)
    const peak = Math.max(rss1, ...samples)
    res.figures.filesDocsPerSec = Math.round(DOCS / (ms / 1000))
    res.figures.filesMs = ms
    res.figures.filesRssMB = { afterWarmup: +rss0.toFixed(1), peak: +peak.toFixed(1), end: +rss1.toFixed(1), growth: +(peak - rss0).toFixed(1) }
    res.check(peak - rss0 < LIMIT, `parseJsonFiles: RSS grew ${(peak - rss0).toFixed(1)} MB after warm-up (limit ${LIMIT})`)
    res.check(pool.stats().inUse === 0, 'parseJsonFiles: blocks still checked out')
    pool.close()

    // ---- parseJson + release --------------------------------------------------------
    const pool2 = new rt.FixedSizeAllocatorPool({ size: 2 })
    // The loop yields to the event loop every `yieldEvery` documents: Node runs the
    // finalizers of native objects (each parseJson makes a NativeBlock wrapper) from the
    // event loop, so a loop that never yields holds every wrapper's native memory until it
    // does (measured separately below, as a figure).
    const loop = async (n, sample, yieldEvery = 1000) => {
      for (let k = 0; k < n; k++) {
        if (yieldEvery && k % yieldEvery === 0) await L.tick()
        const i = k % FILES
        const doc = pool2.parseJson(texts[i])
        const id = doc.root.get('id')
        if (!id || id.value !== i) res.fail(`parseJson #${k}: id ${id && id.value}, want ${i}`)
        if (k % 101 === 0) {
          const d = L.jsonDiff(doc.toJS(), expected[i])
          res.check(d === null, () => `parseJson #${k} differs from JSON.parse: ${d}`)
        }
        doc.release()
        if (sample && k % 5000 === 0) samples2.push(L.rssMB())
      }
    }
    const samples2 = []
    await loop(WARMUP, false)
    await L.gcCycle()
    const rss2 = L.rssMB()
    const t1 = Date.now()
    await loop(DOCS, true)
    const ms2 = Date.now() - t1
    await L.gcCycle()
    const rss3 = L.rssMB()
    res.steps += DOCS
    const peak2 = Math.max(rss3, ...samples2)
    res.figures.parseJsonPerSec = Math.round(DOCS / (ms2 / 1000))
    res.figures.parseJsonMs = ms2
    res.figures.parseJsonRssMB = { afterWarmup: +rss2.toFixed(1), peak: +peak2.toFixed(1), end: +rss3.toFixed(1), growth: +(peak2 - rss2).toFixed(1) }
    res.check(peak2 - rss2 < LIMIT, `parseJson: RSS grew ${(peak2 - rss2).toFixed(1)} MB after warm-up (limit ${LIMIT})`)
    // Informational: the same without yielding (native finalizers pile up until the loop
    // yields; everything comes back afterwards).
    const rss4 = L.rssMB()
    await loop(DOCS, false, 0)
    global.gc()
    const rss5 = L.rssMB()
    await L.collectUntil(() => false, 5)
    const rss6 = L.rssMB()
    res.figures.parseJsonNoYieldRssMB = { before: +rss4.toFixed(1), afterLoop: +rss5.toFixed(1), afterYield: +rss6.toFixed(1) }
    res.steps += DOCS
    pool2.close()
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
  const settled = await L.collectUntil(() => rt.liveBlocks() === base)
  res.leaked = rt.liveBlocks() - base
  res.check(settled, `liveBlocks ${rt.liveBlocks()} after close + GC (baseline ${base})`)
}
