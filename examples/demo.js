'use strict'
// raw-transfer demo: parse a few hundred JSON files on Rust threads into pooled blocks,
// run three plugins over the lazy view of each, then do the same with readFileSync +
// JSON.parse and compare. Then the same plugins in K worker threads: a plugin host
// (createJsonPluginHost: each worker its own pool and Rust threads; two runs, the second on
// the same workers) against JSON.parse in K worker threads (two runs alike).
//
//   node examples/demo.js [dir] [--threads N] [--key NAME] [--pool N] [--mb N] [--workers K] [--keep]
//
// With no dir, a deterministic ~200 MB corpus is generated in a temp dir (removed at the
// end unless --keep). With a dir, every .json file under it is used.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const rt = require('..')
const { generateCorpus } = require('./corpus')
const { visitLazy, visitPlain, lazyPlugins, plainPlugins } = require('./plugins')
const parallel = require('./parallel-demo')

const MB = 1e6
const log = (msg) => process.stderr.write(`[demo] ${msg}\n`)

function parseArgs(argv) {
  const cpus = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length
  const opts = { dir: null, threads: 2, key: 'id', pool: 4, mb: 200, workers: Math.max(2, Math.min(cpus, 8)), keep: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const num = () => {
      const v = Number(argv[++i])
      if (!Number.isInteger(v) || v < 1) throw new Error(`${a} expects a positive integer, got ${argv[i]}`)
      return v
    }
    if (a === '--threads') opts.threads = num()
    else if (a === '--pool') opts.pool = num()
    else if (a === '--mb') opts.mb = num()
    else if (a === '--workers') opts.workers = num()
    else if (a === '--key') opts.key = argv[++i]
    else if (a === '--keep') opts.keep = true
    else if (a === '--help' || a === '-h') {
      console.log('usage: node examples/demo.js [dir] [--threads N] [--key NAME] [--pool N] [--mb N] [--workers K] [--keep]')
      process.exit(0)
    } else if (a.startsWith('--')) throw new Error(`unknown option ${a}`)
    else if (opts.dir === null) opts.dir = a
    else throw new Error(`unexpected argument ${a}`)
  }
  if (opts.key === undefined) throw new Error('--key expects a name')
  return opts
}

/** Every .json file under `dir` (explicit stack, sorted). */
function listJsonFiles(dir) {
  const out = []
  const stack = [dir]
  while (stack.length > 0) {
    const d = stack.pop()
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name)
      if (e.isDirectory()) stack.push(p)
      else if (!e.name.endsWith('.json')) continue
      else if (e.isFile()) out.push(p)
      else if (e.isSymbolicLink()) {
        // Follow links to files; a broken link is kept, to show how a read error is reported.
        let st = null
        try {
          st = fs.statSync(p)
        } catch {}
        if (st === null || st.isFile()) out.push(p)
      }
    }
  }
  return out.sort()
}

/** A GC, if this process can ask for one (--expose-gc, else the V8 flag set at run time). */
function getGc() {
  if (typeof global.gc === 'function') return { gc: global.gc, how: '--expose-gc' }
  try {
    require('node:v8').setFlagsFromString('--expose-gc')
    const gc = require('node:vm').runInNewContext('gc')
    if (typeof gc === 'function') return { gc, how: 'v8.setFlagsFromString' }
  } catch {}
  return { gc: null, how: 'unavailable' }
}

/** Peak RSS: sampled every 10 ms by a timer, and whenever `sample()` is called. */
function rssMeter() {
  const m = { base: process.memoryUsage().rss, peak: 0 }
  m.sample = () => {
    const r = process.memoryUsage().rss
    if (r > m.peak) m.peak = r
  }
  m.sample()
  const timer = setInterval(m.sample, 10)
  m.stop = () => {
    clearInterval(timer)
    m.sample()
    return m
  }
  return m
}

const fmt = (n, d = 0) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d })
const mb = (bytes) => `${fmt(bytes / MB, 1)} MB`
const rel = (p, root) => (root ? path.relative(root, p) : p)

function table(rows) {
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)))
  return rows.map((r) => r.map((v, c) => (c === 0 ? String(v).padEnd(w[c]) : String(v).padStart(w[c]))).join('   ')).join('\n')
}

/** Line and column (UTF-16 units, 1-based) of string index `pos` in `text`. */
function lineColumn(text, pos) {
  let line = 1
  let start = 0
  for (let i = text.indexOf('\n'); i !== -1 && i < pos; i = text.indexOf('\n', i + 1)) {
    line++
    start = i + 1
  }
  return { line, column: pos - start + 1 }
}

async function runRawTransfer(files, opts, root) {
  const pool = new rt.FixedSizeAllocatorPool({ size: opts.pool })
  const plugins = lazyPlugins(opts.key)
  const infos = new Map()
  const fileErrors = []
  let jsMs = 0
  let seen = 0
  const meter = rssMeter()
  const t0 = performance.now()
  const result = await pool.parseJsonFiles(
    files,
    (doc, p) => {
      if (++seen % 50 === 0) log(`raw-transfer: ${seen}/${files.length} files`)
      if (doc instanceof Error) {
        fileErrors.push({ path: p, error: doc })
        return
      }
      const t = performance.now()
      infos.set(p, visitLazy(doc, rel(p, root), plugins))
      jsMs += performance.now() - t
      meter.sample()
    },
    { threads: opts.threads },
  )
  const wallMs = performance.now() - t0
  meter.stop()
  const stats = pool.stats()
  const mode = pool.transferMode
  const liveAfterRun = rt.liveBlocks()
  pool.close()
  return { plugins, infos, fileErrors, result, wallMs, jsMs, meter, stats, mode, liveAfterRun }
}

/** The same parallel parse with a plugin that reads nothing: the Rust side's ceiling. */
async function runParseOnly(files, opts) {
  const pool = new rt.FixedSizeAllocatorPool({ size: opts.pool })
  const t0 = performance.now()
  const r = await pool.parseJsonFiles(files, () => {}, { threads: opts.threads })
  const wallMs = performance.now() - t0
  pool.close()
  return { bytes: r.bytes, wallMs }
}

function runJsonParse(files, opts, root) {
  const plugins = plainPlugins(opts.key)
  const infos = new Map()
  const errors = []
  let bytes = 0
  let parseMs = 0
  let readMs = 0
  let walkMs = 0
  const meter = rssMeter()
  const t0 = performance.now()
  for (let i = 0; i < files.length; i++) {
    if ((i + 1) % 50 === 0) log(`JSON.parse: ${i + 1}/${files.length} files`)
    const p = files[i]
    let t = performance.now()
    let text
    try {
      const buf = fs.readFileSync(p)
      bytes += buf.length
      text = buf.toString('utf8')
    } catch (e) {
      errors.push({ path: p, message: e.message })
      continue
    }
    readMs += performance.now() - t
    let value
    t = performance.now()
    try {
      value = JSON.parse(text)
    } catch (e) {
      parseMs += performance.now() - t
      // Node 20's messages give a UTF-16 index ("at position N") at best.
      const m = /position (\d+)/.exec(e.message)
      errors.push({ path: p, message: e.message, ...(m ? lineColumn(text, Number(m[1])) : {}) })
      continue
    }
    parseMs += performance.now() - t
    meter.sample() // the parsed tree is live here: the timer cannot fire during this loop
    text = null
    t = performance.now()
    infos.set(p, visitPlain(value, rel(p, root), plugins))
    walkMs += performance.now() - t
  }
  const wallMs = performance.now() - t0
  meter.stop()
  return { plugins, infos, errors, bytes, wallMs, parseMs, readMs, walkMs, meter }
}

function printFindings(title, plugins, infos, root) {
  const [dups, depth, search] = plugins.map((p) => p.result())
  console.log(`\n== ${title}: findings ==`)
  console.log(`duplicate keys: ${dups.count} in ${dups.objects} objects`)
  // Show the repeated keys in turn (the first of each, then the second, ...), in file order.
  const byPlace = (a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line || a.column - b.column)
  const perKey = new Map()
  for (const d of dups.found.slice().sort(byPlace)) {
    if (!perKey.has(d.key)) perKey.set(d.key, [])
    perKey.get(d.key).push(d)
  }
  const shown = []
  for (let i = 0; shown.length < Math.min(10, dups.count); i++) {
    for (const list of perKey.values()) if (i < list.length && shown.length < 10) shown.push(list[i])
  }
  shown.sort(byPlace)
  if (perKey.size > 0) console.log(`  by key: ${[...perKey].map(([k, l]) => `${JSON.stringify(k)} ${l.length}`).join(', ')}`)
  for (const d of shown) {
    console.log(`  ${d.path}:${d.line}:${d.column}  ${d.raw} (first at ${d.firstLine}:${d.firstColumn})`)
  }
  if (dups.count > 10) console.log(`  ... and ${dups.count - 10} more`)
  if (depth.deepest) {
    const ds = [...depth.perFile.values()]
    const avg = ds.reduce((a, b) => a + b, 0) / ds.length
    console.log(`max depth: deepest ${depth.deepest.depth} in ${depth.deepest.path}; mean ${fmt(avg, 1)} over ${ds.length} files`)
  }
  const types = Object.entries(search.types).map(([t, n]) => `${t} ${fmt(n)}`).join(', ')
  console.log(`key "${search.key}": ${fmt(search.count)} occurrences (${types || 'none'})`)
  for (const s of search.samples) console.log(`  ${s}`)
  let objects = 0
  let keys = 0
  for (const i of infos.values()) {
    objects += i.objects
    keys += i.keys
  }
  console.log(`walked ${fmt(objects)} objects, ${fmt(keys)} keys in ${infos.size} files`)
  return { dups, depth, search, objects, keys }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  const { gc, how: gcHow } = getGc()
  let dir = opts.dir
  let tmp = null
  let expectedInvalid = null
  const problems = [] // anything unexpected: exit code 1
  try {
    let files
    if (dir === null) {
      tmp = dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raw-transfer-demo-'))
      log(`generating a ~${opts.mb} MB corpus in ${dir}`)
      const t = performance.now()
      const gen = generateCorpus(dir, { totalBytes: opts.mb * MB, log })
      log(`generated ${gen.length} files in ${fmt(performance.now() - t)} ms`)
      expectedInvalid = new Set(gen.filter((f) => f.kind === 'invalid').map((f) => f.path))
      files = gen.map((f) => f.path).sort()
    } else {
      files = listJsonFiles(dir)
      if (files.length === 0) throw new Error(`no .json files under ${dir}`)
    }
    const totalBytes = files.reduce((a, p) => a + (fs.statSync(p, { throwIfNoEntry: false })?.size ?? 0), 0)
    console.log(`raw-transfer demo: ${files.length} files, ${mb(totalBytes)} under ${dir}`)
    console.log(`threads ${opts.threads}, pool ${opts.pool} blocks, key "${opts.key}", node ${process.version}, ${os.cpus().length} CPUs, gc: ${gcHow}`)

    // ---- raw-transfer ----
    log('raw-transfer: parse only (no-op plugin)')
    const P = await runParseOnly(files, opts)
    if (gc) gc()
    const A = await runRawTransfer(files, opts, dir)
    const fa = printFindings('raw-transfer (lazy view)', A.plugins, A.infos, dir)
    const expected = A.result.errors.filter((e) => e.error instanceof rt.JsonSyntaxError || e.phase === 'read')
    const unexpected = A.result.errors.filter((e) => !expected.includes(e))
    console.log('\nparse errors (raw-transfer):')
    for (const { path: p, error: e } of expected) {
      const where = e instanceof rt.JsonSyntaxError ? `${e.line}:${e.column} (byte ${e.offset})` : e.code
      const message = e.message.replace(`${p}: `, '').replace(/ at line \d+ column \d+ \(byte \d+\)$/, '')
      console.log(`  ${rel(p, dir)}:${where}  ${e.constructor.name}: ${message}`)
    }
    if (expected.length === 0) console.log('  none')
    for (const { path: p, error: e } of unexpected) problems.push(`raw-transfer: ${rel(p, dir)}: ${e?.stack ?? e}`)
    if (expectedInvalid) {
      const failed = new Set(expected.map((e) => e.path))
      for (const p of expectedInvalid) if (!failed.has(p)) problems.push(`raw-transfer accepted invalid file ${rel(p, dir)}`)
      for (const p of failed) if (!expectedInvalid.has(p)) problems.push(`raw-transfer rejected valid file ${rel(p, dir)}`)
    }
    if (A.fileErrors.length !== A.result.errors.filter((e) => e.error?.code).length) {
      problems.push(`the plugin saw ${A.fileErrors.length} failed files, the result lists ${A.result.errors.length} errors`)
    }

    const maxRssA = process.resourceUsage().maxRSS * 1024
    let liveAfterClose = rt.liveBlocks()
    if (gc) {
      // External buffers are freed by their GC finalizers: collect, let them run, repeat.
      for (let i = 0; i < 10 && liveAfterClose > 0; i++) {
        gc()
        await new Promise((r) => setTimeout(r, 20))
        liveAfterClose = rt.liveBlocks()
      }
    }
    console.log('\n== raw-transfer: throughput ==')
    console.log(`${A.result.files} files, ${mb(A.result.bytes)} in ${fmt(A.wallMs)} ms wall -> ${fmt(A.result.bytes / MB / (A.wallMs / 1000), 1)} MB/s`)
    console.log(`JS thread in plugins: ${fmt(A.jsMs)} ms (${fmt((100 * A.jsMs) / A.wallMs)}% of wall); result.ms ${fmt(A.result.ms)}`)
    console.log(`peak RSS ${mb(A.meter.peak)} (start ${mb(A.meter.base)}, +${mb(A.meter.peak - A.meter.base)}); process maxRSS so far ${mb(maxRssA)}`)
    console.log(`pool before close (${A.mode} transfer): created ${A.stats.created}/${A.stats.size} blocks, committed ${mb(A.stats.committedBytes)}, resident ${mb(A.stats.residentBytes)}`)
    console.log(`liveBlocks: ${A.liveAfterRun} after the run, ${liveAfterClose} after pool.close()${gc ? ' + gc' : ' (no gc available)'}`)
    if (gc && liveAfterClose !== 0) problems.push(`${liveAfterClose} blocks still live after close() and GC`)

    // ---- JSON.parse ----
    if (gc) gc()
    const B = runJsonParse(files, opts, dir)
    const fb = printFindings('readFileSync + JSON.parse', B.plugins, B.infos, dir)
    console.log('(JSON.parse keeps the last of repeated keys: it cannot report duplicates)')
    console.log('\nerrors (JSON.parse; line:column computed from "position N" where the message has one):')
    for (const e of B.errors) console.log(`  ${rel(e.path, dir)}:${e.line ? `${e.line}:${e.column}` : '?'}  ${e.message.replace(/\n/g, '\\n')}`)
    const maxRssB = process.resourceUsage().maxRSS * 1024

    // ---- cross-checks: both should see the same documents ----
    // Files only one side accepted (e.g. invalid UTF-8: raw-transfer rejects it, while
    // readFileSync 'utf8' turns it into U+FFFD for JSON.parse).
    const onlyA = [...fa.depth.perFile.keys()].filter((p) => !fb.depth.perFile.has(p))
    const onlyB = [...fb.depth.perFile.keys()].filter((p) => !fa.depth.perFile.has(p))
    for (const p of onlyA) console.log(`note: only raw-transfer parsed ${p}`)
    for (const p of onlyB) console.log(`note: only JSON.parse parsed ${p}`)
    const same = onlyA.length === 0 && onlyB.length === 0
    if (!same && expectedInvalid) problems.push('raw-transfer and JSON.parse disagree on which generated files are valid')
    let depthMismatch = 0
    for (const [p, d] of fb.depth.perFile) {
      const other = fa.depth.perFile.get(p)
      if (other !== undefined && other !== d) {
        depthMismatch++
        if (depthMismatch <= 5) problems.push(`max depth differs for ${p}: raw-transfer ${other}, JSON.parse ${d}`)
      }
    }
    if (same && fa.keys - fa.dups.count !== fb.keys) problems.push(`keys: raw-transfer ${fa.keys} - ${fa.dups.count} duplicates != JSON.parse ${fb.keys}`)
    if (same && fa.objects !== fb.objects) problems.push(`objects: raw-transfer ${fa.objects} != JSON.parse ${fb.objects}`)
    console.log(
      `\ncross-check: per-file max depth ${depthMismatch === 0 ? 'agrees' : `differs in ${depthMismatch} files`}; ` +
        `keys ${fmt(fa.keys)} - ${fmt(fa.dups.count)} duplicates ${fa.keys - fa.dups.count === fb.keys ? '=' : '!='} ${fmt(fb.keys)}; ` +
        `"${opts.key}" ${fmt(fa.search.count)} vs ${fmt(fb.search.count)}`,
    )

    console.log('\n== comparison ==')
    const rA = A.result.bytes / MB / (A.wallMs / 1000)
    const rB = B.bytes / MB / (B.wallMs / 1000)
    console.log(
      table([
        ['', 'raw-transfer', 'JSON.parse', 'ratio'],
        ['wall ms', fmt(A.wallMs), fmt(B.wallMs), `${fmt(B.wallMs / A.wallMs, 2)}x`],
        ['MB/s', fmt(rA, 1), fmt(rB, 1), `${fmt(rA / rB, 2)}x`],
        ['read + parse only ms (a)', fmt(P.wallMs), fmt(B.readMs + B.parseMs), `${fmt((B.readMs + B.parseMs) / P.wallMs, 2)}x`],
        ['plugins ms, on the JS thread (b)', fmt(A.jsMs), fmt(B.walkMs), `${fmt(B.walkMs / A.jsMs, 2)}x`],
        ['peak RSS (sampled)', mb(A.meter.peak), mb(B.meter.peak), ''],
        ['peak RSS over start', mb(A.meter.peak - A.meter.base), mb(B.meter.peak - B.meter.base), ''],
        ['process maxRSS after phase', mb(maxRssA), mb(maxRssB), ''],
        ['duplicate keys found', fmt(fa.dups.count), fmt(fb.dups.count), ''],
        ['files that failed', String(expected.length), String(B.errors.length), ''],
      ]),
    )
    console.log('ratio: how many times faster raw-transfer is (<1: slower)')
    console.log(`(a) raw-transfer: a separate run with a no-op plugin (files read and parsed on ${opts.threads} Rust threads);`)
    console.log('    JSON.parse: time in readFileSync + JSON.parse during the run above')
    console.log('(b) the same three plugins: over the lazy view (raw-transfer), over plain objects (JSON.parse)')

    // ---- parallel plugins: K worker threads ----
    if (gc) gc()
    const K = opts.workers
    log(`plugin host: ${K} workers, ${opts.threads} Rust threads in all`)
    const W = await parallel.runWorkers(files, { workers: K, threads: opts.threads, key: opts.key, pool: opts.pool, log })
    if (gc) gc()
    log(`JSON.parse in ${K} worker threads`)
    const C = await parallel.runJsonParseWorkers(files, { workers: K, key: opts.key, log })
    let liveAfterWorkers = rt.liveBlocks()
    for (let i = 0; gc && i < 10 && liveAfterWorkers > 0; i++) {
      gc()
      await new Promise((r) => setTimeout(r, 20))
      liveAfterWorkers = rt.liveBlocks()
    }
    const wt = W.totals
    const ct = C.totals
    console.log(`\n== parallel plugins: ${K} worker threads (${os.cpus().length} CPUs) ==`)
    console.log(
      `plugin host: ${wt.files} files, ${fmt(wt.objects)} objects, ${fmt(wt.keys)} keys, ${fmt(wt.duplicates)} duplicate keys, ` +
        `"${opts.key}" ${fmt(wt.keyCount)}, deepest ${wt.maxDepth}; ${W.result.errors.length} files failed; ` +
        `${W.result.restarts} workers replaced; liveBlocks ${liveAfterWorkers} after the runs`,
    )
    // The same findings as the single-thread runs (lazy: with duplicates; JSON.parse: without).
    if (wt.objects !== fa.objects || wt.keys !== fa.keys || wt.duplicates !== fa.dups.count || wt.keyCount !== fa.search.count) {
      problems.push(`the plugin host found ${JSON.stringify(wt)}; the single-thread run ${fa.objects} objects, ${fa.keys} keys, ${fa.dups.count} duplicates, ${fa.search.count} "${opts.key}"`)
    }
    if (JSON.stringify(W.warmTotals) !== JSON.stringify(wt)) problems.push(`the plugin host's second run found ${JSON.stringify(W.warmTotals)}, its first ${JSON.stringify(wt)}`)
    if (W.result.errors.length !== expected.length) problems.push(`the plugin host: ${W.result.errors.length} files failed, the single-thread run ${expected.length}`)
    if (JSON.stringify(C.warmTotals) !== JSON.stringify(ct)) problems.push(`the JSON.parse workers' second run found ${JSON.stringify(C.warmTotals)}, their first ${JSON.stringify(ct)}`)
    if (ct.objects !== fb.objects || ct.keys !== fb.keys || ct.keyCount !== fb.search.count) {
      problems.push(`JSON.parse in workers found ${JSON.stringify(ct)}; the single-thread run ${fb.objects} objects, ${fb.keys} keys`)
    }
    if (gc && liveAfterWorkers !== 0) problems.push(`${liveAfterWorkers} blocks still live after the plugin host closed`)
    const rate = (ms) => fmt(A.result.bytes / MB / (ms / 1000), 1)
    console.log(
      table([
        ['', '1 JS thread', `plugin host, ${K} workers`, '', `JSON.parse, ${K} workers`, ''],
        ['', '(parseJsonFiles)', '1st run', '2nd run', '1st run', '2nd run'],
        ['wall ms', fmt(A.wallMs), fmt(W.wallMs), fmt(W.warmMs), fmt(C.wallMs), fmt(C.warmMs)],
        ['MB/s', rate(A.wallMs), rate(W.wallMs), rate(W.warmMs), rate(C.wallMs), rate(C.warmMs)],
        ['vs 1 JS thread', '1.00x', `${fmt(A.wallMs / W.wallMs, 2)}x`, `${fmt(A.wallMs / W.warmMs, 2)}x`, `${fmt(A.wallMs / C.wallMs, 2)}x`, `${fmt(A.wallMs / C.warmMs, 2)}x`],
        [`vs JSON.parse, same run`, '', `${fmt(C.wallMs / W.wallMs, 2)}x`, `${fmt(C.warmMs / W.warmMs, 2)}x`, '1.00x', '1.00x'],
      ]),
    )
    console.log(
      `(1st run: starts the ${K} workers (runJsonPlugins does this every time: a host made for one run); ` +
        '2nd run: the same workers again, as a watch mode or a long-lived tool sees them. ' +
        'The plugins walk every object, so the JS threads set the pace)',
    )
  } finally {
    if (tmp && !opts.keep) fs.rmSync(tmp, { recursive: true, force: true })
    else if (tmp) log(`kept the corpus in ${tmp}`)
  }
  if (problems.length > 0) {
    console.error('\nUNEXPECTED:')
    for (const p of problems) console.error(`  ${p}`)
    process.exitCode = 1
  }
}

main().catch((e) => {
  console.error(e?.stack ?? e)
  process.exitCode = 1
})
