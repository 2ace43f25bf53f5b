'use strict'
// Scenario 4, no overcommit. Three parts, each in child processes:
//
//  ulimit -v   (always run: needs no privilege) address space too small for one block
//              reservation (4 GiB alignment + 2 GiB): acquire(), parseJson() and
//              parseJsonFiles() must report a typed OutOfMemoryError, never abort.
//  ulimit -d   (always run) RLIMIT_DATA caps private writable memory. It would count a
//              read/write block in full, so the process picks the strict memory mode
//              (stats().memoryMode, checked), where it caps what mprotect(READ|WRITE)
//              commits: the arena's commit fails mid-block. The write must throw
//              OutOfMemoryError and the block must stay usable.
//  sysctl      only with RAW_TRANSFER_SYSCTL_TESTS=1 and root: vm.overcommit_memory=2 (strict
//              accounting; restored in every exit path, signals included), then the child
//              must have picked the strict memory mode on its own, and a pool of 8 blocks,
//              all acquired, each holding a 64 MB document, must work; Committed_AS and
//              CommitLimit from /proc/meminfo are reported at each stage.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const L = require('./lib')

const CHILD = process.argv[2]
if (CHILD) {
  child(CHILD).catch((e) => {
    console.log(JSON.stringify({ uncaught: String(e && e.stack) }))
    process.exit(2)
  })
} else {
  L.runScenario('overcommit', main)
}

function runChild(what, shellPrefix = '', env = {}) {
  const cmd = `${shellPrefix} exec "${process.execPath}" --expose-gc "${__filename}" ${what}`
  const out = spawnSync('sh', ['-c', cmd], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } })
  let report = null
  const line = (out.stdout || '').split('\n').find((l) => l.startsWith('{'))
  if (line) report = JSON.parse(line)
  return { status: out.status, signal: out.signal, stderr: out.stderr || '', stdout: out.stdout || '', report, timedOut: out.error && out.error.code === 'ETIMEDOUT' }
}

function crashed(out) {
  return out.signal !== null || out.timedOut
}

async function main(res) {
  // ---- ulimit -v --------------------------------------------------------------------
  {
    res.steps++
    res.faults++
    const out = runChild('--child-ulimit-v', 'ulimit -v 1800000 &&')
    if (crashed(out)) res.crashes++
    const rep = out.report || {}
    res.check(out.status === 0 && rep.ok, `ulimit -v 1800000: status ${out.status} signal ${out.signal}: ${JSON.stringify(rep)} ${out.stderr.trim().slice(-500)}`)
    res.figures.ulimitV = rep
  }
  // ---- ulimit -d --------------------------------------------------------------------
  {
    res.steps++
    res.faults++
    const out = runChild('--child-ulimit-d', 'ulimit -d 600000 &&')
    if (crashed(out)) res.crashes++
    const rep = out.report || {}
    res.check(out.status === 0 && rep.ok, `ulimit -d 600000: status ${out.status} signal ${out.signal}: ${JSON.stringify(rep)} ${out.stderr.trim().slice(-500)}`)
    res.figures.ulimitD = rep
  }
  // ---- sysctl vm.overcommit_memory=2 ------------------------------------------------
  const why =
    process.env.RAW_TRANSFER_SYSCTL_TESTS !== '1'
      ? 'set RAW_TRANSFER_SYSCTL_TESTS=1 to run it (it changes a machine-wide setting for a few seconds)'
      : process.getuid && process.getuid() !== 0
        ? 'needs root to write /proc/sys/vm/overcommit_memory'
        : null
  if (why) {
    res.note(`sysctl vm.overcommit_memory=2 part skipped: ${why}`)
    res.figures.sysctl = `skipped: ${why}`
    return
  }
  // Strict accounting refuses every new commit machine-wide once Committed_AS reaches
  // CommitLimit: if the machine is already past (or near) it, switching would make other
  // processes' allocations fail. Then skip, with the figures.
  const HEADROOM_KB = 3 << 20 // what the child needs (8 x 64 MB, a 64 MB parse, node), with margin
  const pre = meminfo()
  if (pre.Committed_AS + HEADROOM_KB > pre.CommitLimit) {
    const reason = `Committed_AS ${pre.Committed_AS} kB + ${HEADROOM_KB} kB headroom exceeds CommitLimit ${pre.CommitLimit} kB: strict accounting now would fail other processes' allocations`
    res.note(`sysctl vm.overcommit_memory=2 part skipped: ${reason}`)
    res.figures.sysctl = `skipped: ${reason}`
    return
  }
  const FILE = '/proc/sys/vm/overcommit_memory'
  const old = fs.readFileSync(FILE, 'utf8').trim()
  let restored = false
  const restore = () => {
    if (restored) return
    try {
      fs.writeFileSync(FILE, old)
      restored = true
    } catch (e) {
      console.error(`overcommit: COULD NOT RESTORE ${FILE} to ${old}: ${e.message}`)
    }
  }
  const onSignal = (sig) => {
    restore()
    process.kill(process.pid, sig)
  }
  process.on('exit', restore)
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT']) process.once(sig, onSignal)
  const before = meminfo()
  try {
    fs.writeFileSync(FILE, '2')
    res.note(`vm.overcommit_memory: ${old} -> 2 (CommitLimit ${before.CommitLimit} kB, Committed_AS ${before.Committed_AS} kB)`)
    res.steps++
    res.faults++
    const out = runChild('--child-strict')
    if (crashed(out)) res.crashes++
    const rep = out.report || {}
    res.check(out.status === 0 && rep.ok, `overcommit_memory=2: status ${out.status} signal ${out.signal}: ${JSON.stringify(rep).slice(0, 1500)} ${out.stderr.trim().slice(-500)}`)
    res.figures.sysctl = rep
    // The ulimit -v child under strict accounting too.
    res.steps++
    const out2 = runChild('--child-ulimit-v', 'ulimit -v 1800000 &&')
    if (crashed(out2)) res.crashes++
    res.check(out2.status === 0 && out2.report && out2.report.ok, `overcommit_memory=2 + ulimit -v: status ${out2.status} signal ${out2.signal}: ${out2.stdout.trim().slice(-500)}`)
  } finally {
    restore()
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT']) process.removeListener(sig, onSignal)
  }
  const now = fs.readFileSync(FILE, 'utf8').trim()
  res.check(now === old, `vm.overcommit_memory is ${now} after the test, was ${old}`)
  res.note(`vm.overcommit_memory restored to ${now}`)
}

function meminfo() {
  const text = fs.readFileSync('/proc/meminfo', 'utf8')
  const get = (k) => Number((text.match(new RegExp(`^${k}:\\s+(\\d+)`, 'm')) || [])[1])
  return { CommitLimit: get('CommitLimit'), Committed_AS: get('Committed_AS'), MemFree: get('MemFree') }
}

function vmData() {
  const text = fs.readFileSync('/proc/self/status', 'utf8')
  const get = (k) => Number((text.match(new RegExp(`^${k}:\\s+(\\d+)`, 'm')) || [])[1])
  return { VmSize: get('VmSize'), VmData: get('VmData'), VmRSS: get('VmRSS') }
}

/** Run `fn`; `{ name, message, typed }` of what it threw, or null. */
function thrown(rt, fn) {
  try {
    fn()
    return null
  } catch (e) {
    return { name: e && e.name, message: String(e && e.message).slice(0, 200), typed: e instanceof rt.OutOfMemoryError || e instanceof rt.RawTransferError }
  }
}

async function child(what) {
  const rt = L.loadRuntime()
  const report = { what, ok: true, problems: [] }
  const problem = (m) => {
    report.ok = false
    report.problems.push(m)
  }
  if (what === '--child-ulimit-v') {
    const pool = new rt.FixedSizeAllocatorPool({ size: 2 })
    const a = thrown(rt, () => pool.acquire())
    report.acquire = a
    if (!a || !(a.name === 'OutOfMemoryError')) problem(`acquire() under ulimit -v: ${JSON.stringify(a)}`)
    const p = thrown(rt, () => pool.parseJson('{"a":1}'))
    report.parseJson = p
    if (!p || p.name !== 'OutOfMemoryError') problem(`parseJson() under ulimit -v: ${JSON.stringify(p)}`)
    // And from a parse thread: the error reaches the plugin.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rt-stress-oc-'))
    const f = path.join(dir, 'a.json')
    fs.writeFileSync(f, '{"a":1}')
    const seen = []
    try {
      const r = await pool.parseJsonFiles([f, f], (doc) => seen.push(doc instanceof Error ? `${doc.name}/${doc.code}` : 'doc'))
      report.parseJsonFiles = { files: r.files, plugin: seen }
    } catch (e) {
      report.parseJsonFiles = { threw: `${e.name}: ${e.message}`, plugin: seen }
    }
    if (!seen.length || seen.some((s) => !s.startsWith('OutOfMemoryError'))) problem(`parseJsonFiles under ulimit -v: ${JSON.stringify(report.parseJsonFiles)}`)
    fs.rmSync(dir, { recursive: true, force: true })
    report.liveBlocks = rt.liveBlocks()
    if (report.liveBlocks !== 0) problem(`liveBlocks ${report.liveBlocks} after failed reservations`)
    pool.close()
  } else if (what === '--child-ulimit-d') {
    const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
    const b = pool.acquire()
    report.memoryMode = pool.stats().memoryMode
    if (!process.env.RAW_TRANSFER_MEMORY_MODE && report.memoryMode !== 'strict') problem(`memory mode under ulimit -d: ${report.memoryMode}, want strict`)
    const chunk = new Uint8Array(16 << 20).fill(7)
    let n = 0
    let err = null
    const start = rt.constants.DATA_START // the first write lands past the hand-off record
    for (; n < 200; n++) {
      err = thrown(rt, () => b.writeBytes(chunk))
      if (err) break
    }
    report.committedBeforeFailureMB = n * 16
    report.error = err
    if (!err || err.name !== 'OutOfMemoryError') problem(`commit failure under ulimit -d: ${JSON.stringify(err)} after ${n} x 16 MB`)
    // What was written before the failure is intact and the block still works.
    const w = b.writeString('after the failure')
    if (b.raw.str(w.ptr, w.len) !== 'after the failure') problem('block unusable after a commit failure')
    if (b.buffer[start] !== 7 || b.buffer[start + n * (16 << 20) - 1] !== 7) problem('data written before the commit failure changed')
    b.release()
    const b2 = pool.acquire()
    const w2 = b2.writeBytes(chunk)
    if (b2.buffer[w2.ptr + 100] !== 7) problem('reused block reads back wrong after a commit failure')
    b2.release()
    pool.trim()
    report.vm = vmData()
    pool.close()
  } else if (what === '--child-strict') {
    await strictChild(rt, report, problem)
  }
  console.log(JSON.stringify(report))
  process.exit(report.ok ? 0 : 1)
}

/** A pool of 8 blocks under vm.overcommit_memory=2, each holding 64 MB; figures per stage. */
async function strictChild(rt, report, problem) {
  const stages = {}
  const pool = new rt.FixedSizeAllocatorPool({ size: 8 })
  // Chosen by the process from vm.overcommit_memory: read/write blocks would be charged 2 GiB each.
  report.memoryMode = pool.stats().memoryMode
  if (!process.env.RAW_TRANSFER_MEMORY_MODE && report.memoryMode !== 'strict') problem(`memory mode under vm.overcommit_memory=2: ${report.memoryMode}, want strict`)
  // Synchronous and in its own function, so no reference to a block survives it.
  ;(() => {
    stages.start = { ...meminfo(), ...vmData() }
    const blocks = []
    for (let i = 0; i < 8; i++) {
      const t = thrown(rt, () => blocks.push(pool.acquire()))
      if (t) problem(`acquire #${i} under overcommit_memory=2: ${JSON.stringify(t)}`)
    }
    stages.acquired8 = { ...meminfo(), ...vmData() }
    const doc64 = new Uint8Array(64 << 20)
    for (let i = 0; i < doc64.length; i += 4096) doc64[i] = i & 0xff
    for (const [i, b] of blocks.entries()) {
      const t = thrown(rt, () => {
        const w = b.writeBytes(doc64)
        if (b.buffer[w.ptr + 8192] !== doc64[8192]) throw new Error('64 MB document reads back wrong')
      })
      if (t) problem(`64 MB writeBytes into block ${i}: ${JSON.stringify(t)}`)
    }
    stages.written8x64MB = { ...meminfo(), ...vmData(), poolCommittedMB: Math.round(pool.stats().committedBytes / L.MB) }
    // A parsed 64 MB JSON document too (source copy + nodes), in one of the blocks.
    blocks.pop().release()
    const items = []
    let size = 2
    for (let i = 0; size < 64 << 20; i++) {
      const item = `{"id":${i},"name":"item number ${i}","tags":["a","b"],"v":${i * 0.5}}`
      items.push(item)
      size += item.length + 1
    }
    const text = `[${items.join(',')}]`
    let doc = null
    const t = thrown(rt, () => {
      doc = pool.parseJson(text)
    })
    if (t) problem(`parseJson of a ${(text.length / L.MB).toFixed(0)} MB document: ${JSON.stringify(t)}`)
    else {
      const last = doc.root.at(-1).get('id').value
      if (last !== items.length - 1) problem(`64 MB document: last id ${last}, want ${items.length - 1}`)
      stages.parsed64MB = { ...meminfo(), ...vmData(), poolCommittedMB: Math.round(pool.stats().committedBytes / L.MB) }
      doc.release()
    }
    for (const b of blocks) b.release()
    stages.released = { ...meminfo(), ...vmData(), poolCommittedMB: Math.round(pool.stats().committedBytes / L.MB) }
    pool.trim()
    stages.trimmed = { ...meminfo(), ...vmData(), poolCommittedMB: Math.round(pool.stats().committedBytes / L.MB) }
  })()
  pool.close()
  await L.collectUntil(() => rt.liveBlocks() === 0)
  stages.closed = { ...meminfo(), ...vmData(), liveBlocks: rt.liveBlocks() }
  if (stages.closed.liveBlocks !== 0) problem(`liveBlocks ${stages.closed.liveBlocks} after close + GC`)
  report.stages = stages
  // VmData (this process's private writable memory) is what strict accounting charges for
  // it; Committed_AS is machine-wide, so other processes move it too.
  const d = (a, b) => Math.round((stages[b].VmData - stages[a].VmData) / 1024)
  report.vmDataDeltaMB = {
    acquire8Empty: d('start', 'acquired8'),
    write8x64MB: d('acquired8', 'written8x64MB'),
    parse64MBJson: d('written8x64MB', 'parsed64MB'),
    releaseAll: d('parsed64MB', 'released'),
    trim: d('released', 'trimmed'),
    close: d('trimmed', 'closed'),
  }
  report.committedAsMB = Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, Math.round(v.Committed_AS / 1024)]))
  report.commitLimitMB = Math.round(stages.start.CommitLimit / 1024)
  // Copy mode charges a 2 GiB JS buffer per block: keep acquiring until the commit limit
  // refuses one. That must be a typed error (V8 would abort the process if asked).
  const held = []
  let refused = null
  for (let i = 0; i < 64 && !refused; i++) {
    refused = thrown(rt, () => {
      const p = new rt.FixedSizeAllocatorPool({ size: 1, transfer: 'copy' })
      held.push(p, p.acquire())
    })
  }
  report.copyMode = { blocksBeforeRefusal: held.length / 2, error: refused }
  if (!refused || refused.name !== 'OutOfMemoryError') problem(`copy mode at the commit limit: ${JSON.stringify(refused)}`)
  for (const x of held) if (x.close) x.close()
}
