'use strict'
// Scenario: resources run out under a JS call. Each part runs in its own child process:
//
//  ulimit -d     RLIMIT_DATA of ~585 MiB: parseJsonFiles of a 700 MB (sparse) file, whose
//                read buffer cannot be had, and parseJson of 230 MB of `\n` escapes, whose
//                decoded string cannot: both must be OutOfMemoryError, never an abort.
//  read-ahead    threads: 8, maxBlocks: 1 over eight 100 MB (sparse) files while the
//                plugin holds the first, small, document: the other threads must wait for
//                the block before they read, so peak RSS stays near one file, not eight.
//  threads       RLIMIT_NPROC (as user nobody; root ignores it) lets a job start only some
//                of its threads (all its producers, not its waker, so results are queued
//                when it fails): the job rejects with a typed error, every block is back
//                (liveBlocks() 0 after close and GC) and the process exits at once.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawnSync, execFileSync } = require('node:child_process')
const L = require('./lib')

const CHILD = process.argv[2]
if (CHILD) {
  child(CHILD, process.argv[3]).catch((e) => {
    console.log(JSON.stringify({ uncaught: String(e && e.stack) }))
    process.exit(2)
  })
} else {
  L.runScenario('exhaustion', main)
}

/** Run this file with `args` in a child; `shellPrefix` goes before it (`ulimit ... &&`), `runner` runs node (`setpriv ...`). */
function runChild(args, shellPrefix = '', runner = 'exec', timeout = 120_000) {
  const cmd = `${shellPrefix} ${runner} "${process.execPath}" --expose-gc "${__filename}" ${args}`
  const t0 = Date.now()
  const out = spawnSync('sh', ['-c', cmd], { encoding: 'utf8', timeout })
  let report = null
  const line = (out.stdout || '').split('\n').find((l) => l.startsWith('{'))
  if (line) report = JSON.parse(line)
  return { status: out.status, signal: out.signal, stderr: out.stderr || '', report, ms: Date.now() - t0, timedOut: out.error?.code === 'ETIMEDOUT' }
}

/** A sparse file of `bytes` (no disk blocks): reads give zeros. */
function sparseFile(file, bytes) {
  const fd = fs.openSync(file, 'w')
  fs.ftruncateSync(fd, bytes)
  fs.closeSync(fd)
}

function check(res, name, out, extra = (r) => true) {
  res.steps++
  if (out.signal !== null || out.timedOut) res.crashes++
  const rep = out.report || {}
  res.check(out.status === 0 && rep.ok && extra(out), `${name}: status ${out.status} signal ${out.signal} ${out.ms} ms: ${JSON.stringify(rep)} ${out.stderr.trim().slice(-600)}`)
  res.figures[name] = { ...rep, ms: out.ms }
}

async function main(res) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rt-stress-ex-'))
  fs.chmodSync(dir, 0o755)
  try {
    res.faults++
    check(res, 'ulimitD', runChild(`--child-ulimit-d ${dir}`, 'ulimit -d 600000 &&'))

    check(res, 'readAhead', runChild(`--child-read-ahead ${dir}`))

    if (process.platform === 'linux' && process.getuid?.() === 0 && fs.existsSync('/usr/bin/setpriv')) {
      res.faults++
      // Exits at once: before the fix, each pool's teardown waited 2 s for blocks that
      // queued results held for ever.
      check(res, 'threadLimit', runChild(`--child-threads ${dir}`, '', 'exec setpriv --reuid=65534 --regid=65534 --clear-groups --'), (o) => o.ms < 5000)
    } else {
      res.figures.threadLimit = 'skipped: needs root (to become nobody) and setpriv'
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

async function child(what, dir) {
  const rt = L.loadRuntime()
  const report = { what, ok: true, problems: [] }
  const problem = (m) => {
    report.ok = false
    report.problems.push(m)
  }
  if (what === '--child-ulimit-d') {
    const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
    const big = path.join(dir, 'big.json')
    sparseFile(big, 700e6)
    const seen = []
    await pool.parseJsonFiles([big], (doc) => seen.push(doc instanceof Error ? doc.name : 'doc'))
    report.file = seen
    if (seen.length !== 1 || seen[0] !== 'OutOfMemoryError') problem(`700 MB file: ${JSON.stringify(seen)}`)
    fs.rmSync(big)
    // 230 MB of `\n` escapes in one string: the decoded 115 MB do not fit next to the
    // input and its copy in the block.
    const text = Buffer.alloc(230e6, '\\n')
    text[0] = 0x22
    text[text.length - 1] = 0x22
    try {
      const doc = pool.parseJson(text)
      report.escapes = `parsed: ${doc.root.type}`
      doc.release()
    } catch (e) {
      report.escapes = e.name
      if (!(e instanceof rt.OutOfMemoryError)) problem(`230 MB of escapes: ${e.name}: ${e.message}`)
    }
    // The pool still works.
    const d = pool.parseJson('{"after":[1,"\\n"]}')
    if (JSON.stringify(d.toJS()) !== '{"after":[1,"\\n"]}') problem('pool unusable after the failures')
    d.release()
    pool.close()
  } else if (what === '--child-read-ahead') {
    const small = path.join(dir, 'small.json')
    fs.writeFileSync(small, '{"small":true}')
    const bigs = Array.from({ length: 7 }, (_, i) => path.join(dir, `big${i}.json`))
    for (const b of bigs) sparseFile(b, 100e6)
    const pool = new rt.FixedSizeAllocatorPool({ size: 2 })
    const rssStart = process.memoryUsage().rss
    let peak = 0
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss - rssStart)
    }, 5)
    let first = true
    const r = await pool.parseJsonFiles([small, ...bigs], async (doc) => {
      if (first && !(doc instanceof Error)) {
        first = false
        // Hold the job's only block a while: the other threads may not read meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 700))
        peak = Math.max(peak, process.memoryUsage().rss - rssStart)
      }
    }, { threads: 8, maxBlocks: 1 })
    clearInterval(sampler)
    report.files = r.files
    report.peakRssMB = Math.round(peak / 1e6)
    if (r.files !== 8) problem(`files ${r.files}`)
    // One 100 MB file read (and its copy in the block), not seven at once (700+ MB).
    if (peak > 350e6) problem(`peak RSS +${report.peakRssMB} MB while the plugin held the only block`)
    pool.close()
  } else if (what === '--child-threads') {
    const files = Array.from({ length: 64 }, (_, i) => {
      const p = path.join(os.tmpdir(), `rt-threads-${process.pid}-${i}.json`)
      // Over a block's packing limit (512 KiB) each: every file takes a block of its own, so
      // the threads wait for blocks JS never releases instead of finishing the whole job
      // before the waker thread is started.
      fs.writeFileSync(p, JSON.stringify({ i, pad: 'x'.repeat(600_000) }))
      return p
    })
    const pool = new rt.FixedSizeAllocatorPool({ size: 8 })
    const before = rt.liveBlocks()
    // Allow this process eight more tasks than it has now: the job starts its eight
    // producer threads, which queue results at once, and fails on its waker thread.
    const threads = Number(/^Threads:\s+(\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1])
    execFileSync('prlimit', ['--pid', String(process.pid), `--nproc=${threads + 8}:${threads + 8}`])
    let err = null
    try {
      await pool.parseJsonFiles(files, () => {}, { threads: 8 })
    } catch (e) {
      err = e
    }
    report.error = err && `${err.name}: ${err.message}`
    if (!(err instanceof rt.RawTransferError)) problem(`job with too few threads: ${report.error}`)
    pool.close()
    await L.collectUntil(() => rt.liveBlocks() === before)
    report.liveBlocks = rt.liveBlocks()
    if (report.liveBlocks !== before) problem(`${report.liveBlocks} blocks live after close and GC (${before} before)`)
    for (const f of files) fs.rmSync(f, { force: true })
  }
  console.log(JSON.stringify(report))
  process.exit(report.ok ? 0 : 1)
}
