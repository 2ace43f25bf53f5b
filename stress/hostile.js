'use strict'
// Scenario 1, hostile JS: a "plugin" overwrites its block with random data before giving it
// back, 1000 times per path, over reused blocks (pools of 2). Later hand-offs and documents
// must still be correct: Rust keeps its cursor, bounds, generation and owner count outside
// the JS-visible buffer and never reads back what JS can write.
//
// What JS can write without crashing depends on the blocks' memory mode
// (`stats().memoryMode`):
//   - noreserve (the default where the OS allows it: Linux with vm.overcommit_memory 0 or 1,
//     macOS): the whole 2 GiB buffer. The scribbles cover it: every committed byte, random
//     windows anywhere in the data region, now and then a sparse pass over all of it, and
//     once per run every byte of the buffer (`u8.fill` of 2 GiB, in a child that runs
//     alongside the paths: faulting in 2 GiB of fresh memory takes seconds on a VM). Pages
//     written past the committed prefix fault in and must go back to the OS at release/trim
//     (checked with VmRSS); Rust later commits pages JS already wrote, so it must not
//     expect them zeroed.
//   - strict (vm.overcommit_memory=2, or RAW_TRANSFER_MEMORY_MODE=strict): the data region
//     up to what the arena committed, [0, committed), always at least [0, usedBytes rounded
//     up to 4096), and the block's last 64 KiB (committed at creation), whose JS-visible part
//     is [TAIL_START, BUFFER_SIZE), ending with RawTransferMetadata (last 16 bytes). Writing
//     anywhere else is a SIGSEGV by design; reading there gives zeros.
// The `probe` children check both modes' documented behaviour (the strict one forced by the
// environment variable; its SIGSEGV also exercises the runner's crash handling).
// Nothing here reads a document after scribbling its data: it would follow garbage offsets.
//
// Env: STRESS_SEED (replay), STRESS_HOSTILE_ITERS (default 1000 per path),
//      STRESS_HOSTILE_SMALL=1 (small documents and fewer side paths: for valgrind),
//      STRESS_NO_PROBE=1 (skip the expected-SIGSEGV probe children).

const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawn, spawnSync } = require('node:child_process')
const L = require('./lib')

const SMALL = process.env.STRESS_HOSTILE_SMALL === '1'
const MIN_SIDE = SMALL ? 2 : 10
const WHOLE_BUFFER_OPS = ['structuredClone-transfer', 'postMessage', 'slice', 'indexOf']

if (process.argv[2] === '--probe') {
  probeChild(process.argv[3])
} else {
  L.runScenario('hostile', main)
}

async function main(res) {
  const rt = L.loadRuntime()
  const C = rt.constants
  const seed = L.seedFromEnv()
  const ITERS = Number(process.env.STRESS_HOSTILE_ITERS || 1000)
  res.note(`seed ${seed} (replay with STRESS_SEED=${seed}), ${ITERS} iterations per path`)
  const r = L.makeRng(seed)
  const G = geometry(C)
  G.mode = memoryMode(rt)
  res.note(`memory mode: ${G.mode}${G.mode === 'noreserve' ? ' (scribbles cover the whole buffer)' : ' (scribbles stay in committed memory)'}`)
  res.figures.memoryMode = G.mode
  const base = rt.liveBlocks()
  const ctx = { rt, C, G, r, res }

  const whole = G.mode === 'noreserve' && !process.env.STRESS_NO_PROBE ? wholeBufferChild(r) : null
  writeStringPath(ctx, 'external', ITERS)
  writeStringPath(ctx, 'copy', Math.max(MIN_SIDE, Math.floor(ITERS / 5)))
  fullCommittedPath(ctx, Math.max(MIN_SIDE, Math.floor(ITERS / 10)))
  parseJsonPath(ctx, 'external', ITERS)
  parseJsonPath(ctx, 'copy', Math.max(MIN_SIDE, Math.floor(ITERS / 5)))
  await jsonFilesPath(ctx, 'external', ITERS)
  if (whole) checkWholeBuffer(await whole, res)
  if (!process.env.STRESS_NO_PROBE) probes(ctx)

  const settled = await L.collectUntil(() => rt.liveBlocks() === base)
  res.leaked = rt.liveBlocks() - base
  res.check(settled, `liveBlocks ${rt.liveBlocks()} after close + GC, baseline ${base}`)
}

function geometry(C) {
  const MAPPED = L.roundUp(C.BLOCK_SIZE, 1 << 16)
  const TAIL_START = MAPPED - (1 << 16)
  const META_U32 = C.RAW_METADATA_OFFSET >> 2
  return { MAPPED, TAIL_START, META_U32, PAGE: 4096, mode: 'strict' }
}

/** The memory mode of this process's pools. */
function memoryMode(rt) {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  const mode = pool.stats().memoryMode
  pool.close()
  return mode
}

/** VmRSS of this process in MB (Linux), else process.memoryUsage's. */
function vmRssMB() {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) / 1024
  } catch {
    return L.rssMB()
  }
}

/** Read the metadata record as seen by JS. */
function meta(raw, G, C) {
  const u32 = raw.u32
  return {
    dataOffset: u32[G.META_U32 + C.META_DATA_OFFSET],
    generation: u32[G.META_U32 + C.META_GENERATION],
    producer0: u32[G.META_U32 + C.META_PRODUCER0],
  }
}

const SCRIBBLES = ['data', 'meta', 'tail', 'all', 'all']
/**
 * A sparse pass writes one byte every SPARSE_STRIDE bytes of the buffer (noreserve). Each
 * write past the committed prefix faults in a page, 2 MiB where the kernel gives transparent
 * huge pages (which is what bounds this scenario's time: keep them rare).
 */
const SPARSE_STRIDE = 64 << 20
const SPARSE_CHANCE = 0.005

/**
 * What the hostile plugin does to `u8` (a whole block buffer): `kind` of SCRIBBLES.
 * `committed` is how far the data region is committed; in strict mode nothing past it is
 * written. In noreserve mode 'data' and 'all' also write random windows anywhere in the
 * data region, and sometimes a sparse pass over the whole buffer. Returns the bytes
 * overwritten.
 */
function scribble(u8, kind, committed, G, C, r) {
  let n = 0
  // JS holds a prefix of the block, as long as its data needs: scribbles stay inside it.
  const END = u8.length
  const DATA_END = Math.min(G.TAIL_START, END)
  if (kind === 'data' || kind === 'all') {
    // What JS can reach of the committed prefix: the buffer is as long as the data needs,
    // and a block can keep more committed than that (retention after a bigger use).
    const reach = Math.min(committed, END)
    if (reach > 0) crypto.randomFillSync(u8, 0, reach)
    n += reach
    if (G.mode === 'noreserve') {
      for (let k = r.chance(0.2) ? 2 : 1; k > 0; k--) {
        const start = r.int(0, DATA_END - 1)
        const len = Math.min(r.int(1, 16 << 10), DATA_END - start)
        crypto.randomFillSync(u8, start, len)
        n += len
      }
      if (r.chance(SPARSE_CHANCE)) {
        for (let p = r.int(0, SPARSE_STRIDE - 1); p < END; p += SPARSE_STRIDE) u8[p] = r.int(0, 255)
        n += Math.floor(END / SPARSE_STRIDE)
      }
    }
  }
  if ((kind === 'tail' || kind === 'all') && G.mode === 'noreserve') {
    // The last 64 KiB of the buffer JS holds (past the committed prefix: noreserve only).
    crypto.randomFillSync(u8, END - 65536, 65536)
    n += 65536
  }
  if (kind === 'meta') {
    r.fill(u8, C.RAW_METADATA_OFFSET, C.RAW_METADATA_OFFSET + C.RAW_METADATA_SIZE)
    n += C.RAW_METADATA_SIZE
  }
  return n
}

/** (a) pool.acquire() + writeString, scribble, release; both blocks of a pool of 2 reused. */
function writeStringPath({ rt, C, G, r, res }, transfer, iters) {
  const label = `writeString/${transfer}`
  const pool = new rt.FixedSizeAllocatorPool({ size: 2, transfer })
  let held = null // a block kept across iterations so both blocks cycle
  let previous = null // the last released block: { block, raw, generation, id }
  let bytes = 0
  for (let i = 0; i < iters; i++) {
    res.steps++
    const b = pool.acquire()
    const m0 = meta(b.raw, G, C)
    res.check(m0.generation === b.generation, () => `${label} #${i}: hand-off wrote generation ${m0.generation}, block says ${b.generation}`)
    res.check(m0.dataOffset === 0 && m0.producer0 === 0, () => `${label} #${i}: fresh hand-off metadata not reset: ${JSON.stringify(m0)}`)
    res.check(b.usedBytes === C.DATA_START, () => `${label} #${i}: usedBytes ${b.usedBytes} on a fresh checkout`)
    if (previous && previous.id === b.id) {
      res.check(previous.generation !== b.generation, `${label} #${i}: generation not bumped on reuse`)
      res.check(throwsStale(() => previous.raw.assertGeneration(previous.generation)), `${label} #${i}: stale view passed assertGeneration after reuse`)
    }
    if (previous) res.check(throwsStale(() => previous.block.writeString('x')), `${label} #${i}: released Block accepted a write`)

    // Produce: a few strings, the first one is the "root".
    const written = []
    const count = r.int(1, 5)
    for (let k = 0; k < count; k++) {
      const len = r.chance(SMALL ? 0 : 0.02) ? r.int(50_000, 300_000) : r.int(0, SMALL ? 500 : 3000)
      const s = L.randomText(r, len)
      const w = b.writeString(s)
      bytes += w.len
      written.push({ s, w })
      res.check(w.len === Buffer.byteLength(s), `${label} #${i}: written length ${w.len} != ${Buffer.byteLength(s)}`)
    }
    b.setDataOffset(written[0].w.ptr)
    for (const { s, w } of written) res.check(b.raw.str(w.ptr, w.len) === s, () => `${label} #${i}: string at ${w.ptr} reads back wrong`)
    res.check(b.raw.dataOffset === written[0].w.ptr, `${label} #${i}: dataOffset not written`)

    // The plugin scribbles.
    const used = b.usedBytes
    const kind = r.pick(SCRIBBLES)
    scribble(b.buffer, kind, L.roundUp(used, G.PAGE), G, C, r)
    res.faults++
    res.check(b.usedBytes === used, `${label} #${i}: usedBytes changed by a JS scribble (${used} -> ${b.usedBytes})`)
    // Rust must still write correct metadata at the next hand-off, and allocate past what
    // it handed out before (its cursor is not in the buffer).
    const again = b.handOff()
    res.check(again === b.raw, `${label} #${i}: handOff returned another RawBuffer`)
    const m1 = meta(b.raw, G, C)
    res.check(m1.generation === b.generation && m1.dataOffset === written[0].w.ptr, () => `${label} #${i}: after a ${kind} scribble the hand-off wrote ${JSON.stringify(m1)}, want generation ${b.generation} offset ${written[0].w.ptr}`)
    if (transfer === 'copy') {
      // The JS copy was scribbled; the hand-off copies the used range again.
      for (const { s, w } of written) res.check(b.raw.str(w.ptr, w.len) === s, () => `${label} #${i}: copy-mode hand-off did not restore ${w.ptr}`)
    }
    const after = L.randomText(r, r.int(1, 500))
    const wa = b.writeString(after)
    const end = written[written.length - 1].w.ptr + written[written.length - 1].w.len
    res.check(wa.ptr >= end, `${label} #${i}: allocation after scribble overlaps earlier data (${wa.ptr} < ${end})`)
    res.check(b.raw.str(wa.ptr, wa.len) === after, `${label} #${i}: string written after a scribble reads back wrong`)
    // Garbage the metadata once more; setDataOffset must rewrite the whole record.
    scribble(b.buffer, 'meta', 0, G, C, r)
    res.faults++
    b.setDataOffset(wa.ptr)
    const m2 = meta(b.raw, G, C)
    res.check(m2.generation === b.generation && m2.dataOffset === wa.ptr, () => `${label} #${i}: setDataOffset after meta scribble wrote ${JSON.stringify(m2)}`)
    // Spoof: make the record claim this generation again right before release, so a stale
    // check can only pass if Rust failed to rewrite it at the next hand-off.
    b.raw.u32[G.META_U32 + C.META_GENERATION] = b.generation

    const rec = { block: b, raw: b.raw, generation: b.generation, id: b.id }
    if (held === null && r.chance(0.3)) {
      held = rec
      continue
    }
    b.release()
    previous = rec
    if (held !== null && r.chance(0.5)) {
      held.block.release()
      previous = held
      held = null
    }
  }
  if (held) held.block.release()
  res.check(pool.stats().inUse === 0, `${label}: blocks still checked out at the end`)
  pool.close()
  res.figures[`${label}.bytesWritten`] = bytes
}

function throwsStale(fn) {
  try {
    fn()
    return false
  } catch (e) {
    return e && e.name === 'StaleBufferError'
  }
}

/** (a') A pool of 1, so stats().committedBytes is the block's own: scribble all of it. */
function fullCommittedPath({ rt, C, G, r, res }, iters) {
  const label = 'committed/external'
  const pool = new rt.FixedSizeAllocatorPool({ size: 1, transfer: 'external', retainBytes: 1 << 20, maxRetainBytes: 64 << 20 })
  let maxCommitted = 0
  for (let i = 0; i < iters; i++) {
    res.steps++
    const b = pool.acquire()
    const big = r.chance(SMALL ? 0 : 0.2)
    const n = big ? r.int(1, 24) << 20 : r.int(1, SMALL ? 5_000 : 100_000)
    const w = b.writeBytes(crypto.randomBytes(n))
    const probe = L.randomText(r, 100)
    const wp = b.writeString(probe)
    const committed = pool.stats().committedBytes
    maxCommitted = Math.max(maxCommitted, committed)
    res.check(committed >= L.roundUp(b.usedBytes, G.PAGE) && committed <= G.TAIL_START, `${label} #${i}: committedBytes ${committed} vs usedBytes ${b.usedBytes}`)
    // Every committed byte, and the tail, overwritten: a SIGSEGV here means the committed
    // figure over-reports what is accessible (strict mode).
    scribble(b.buffer, 'all', committed, G, C, r)
    res.faults++
    const next = L.randomText(r, 1000)
    const wn = b.writeString(next)
    res.check(wn.ptr >= wp.ptr + wp.len && b.raw.str(wn.ptr, wn.len) === next, `${label} #${i}: write after a full scribble reads back wrong`)
    b.handOff()
    res.check(b.raw.generation === b.generation, `${label} #${i}: generation not rewritten after a full scribble`)
    void w
    b.release()
  }
  pool.close()
  res.figures[`${label}.maxCommittedMB`] = +(maxCommitted / L.MB).toFixed(1)
}

/** (b) pool.parseJson: check against JSON.parse, scribble, release; documents after must be right. */
function parseJsonPath({ rt, C, G, r, res }, transfer, iters) {
  const label = `parseJson/${transfer}`
  const pool = new rt.FixedSizeAllocatorPool({ size: 2, transfer })
  let held = null
  const released = []
  let bytes = 0
  for (let i = 0; i < iters; i++) {
    res.steps++
    const text = r.chance(SMALL ? 0 : 0.03) ? bigJson(r) : L.randomJson(r, r.int(1, 5), r.int(2, 8))
    const expected = JSON.parse(text)
    bytes += text.length
    const doc = pool.parseJson(r.chance(0.3) ? Buffer.from(text) : text)
    const m = meta(doc.raw, G, C)
    res.check(m.generation === doc.generation && m.producer0 === C.JSON_FORMAT_VERSION, () => `${label} #${i}: hand-off metadata ${JSON.stringify(m)}`)
    const diff = L.jsonDiff(doc.toJS(), expected)
    res.check(diff === null, () => `${label} #${i}: toJS differs from JSON.parse: ${diff}; text ${text.slice(0, 200)}`)
    if (held) {
      // A document held across other blocks' scribbles is untouched.
      const d = L.jsonDiff(held.doc.toJS(), held.expected)
      res.check(d === null, () => `${label} #${i}: held document changed: ${d}`)
    }
    for (const old of released.splice(0)) {
      res.check(throwsStale(() => old.toJS()), `${label} #${i}: released document readable`)
    }

    // Metadata garbage while the document is held: its reads must refuse (stale check on
    // the generation field), and the next hand-off must restore the record.
    if (r.chance(0.3)) {
      const savedGen = doc.raw.u32[G.META_U32 + C.META_GENERATION]
      scribble(doc.buffer ?? doc.raw.u8, 'meta', 0, G, C, r)
      res.faults++
      if (doc.raw.u32[G.META_U32 + C.META_GENERATION] !== savedGen) {
        res.check(throwsStale(() => doc.toJS()), `${label} #${i}: document readable with a garbage generation`)
      }
      doc._block.handOff()
      const m2 = meta(doc.raw, G, C)
      res.check(m2.generation === doc.generation && m2.dataOffset === m.dataOffset && m2.producer0 === C.JSON_FORMAT_VERSION, () => `${label} #${i}: hand-off after meta scribble wrote ${JSON.stringify(m2)}`)
      const d2 = L.jsonDiff(doc.toJS(), expected)
      res.check(d2 === null, () => `${label} #${i}: document wrong after its metadata was restored: ${d2}`)
    }

    // The plugin scribbles the whole document (it is not read again afterwards).
    const used = doc._block.usedBytes
    scribble(doc.raw.u8, r.pick(SCRIBBLES), L.roundUp(used, G.PAGE), G, C, r)
    res.faults++
    if (held === null && r.chance(0.2)) {
      // Keep a *clean* document instead: parse another one to hold.
      doc.release()
      released.push(doc)
      const t2 = L.randomJson(r, 3, 5)
      held = { doc: pool.parseJson(t2), expected: JSON.parse(t2) }
      continue
    }
    doc.release()
    released.push(doc)
    if (held && r.chance(0.3)) {
      held.doc.release()
      released.push(held.doc)
      held = null
    }
  }
  if (held) held.doc.release()
  res.check(pool.stats().inUse === 0, `${label}: blocks still checked out at the end`)
  pool.close()
  res.figures[`${label}.bytesParsed`] = bytes
}

/** A larger document (a few MB) so commit, retention and decommit paths run too. */
function bigJson(r) {
  const items = []
  const n = r.int(2000, 20000)
  for (let i = 0; i < n; i++) items.push(`{"id":${i},"name":${JSON.stringify(L.randomText(r, r.int(0, 40)))},"v":[${r.float()},${r.int(-1e9, 1e9)},true,null]}`)
  return `{"items":[${items.join(',')}],"n":${n}}`
}

/** (b') pool.parseJsonFiles: the plugin checks, then scribbles (sometimes after an await). */
async function jsonFilesPath({ rt, C, G, r, res }, transfer, iters) {
  const label = `parseJsonFiles/${transfer}`
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rt-stress-hostile-'))
  try {
    const nFiles = Math.max(1, Math.min(250, iters))
    const files = []
    for (let i = 0; i < nFiles; i++) {
      const text = r.chance(SMALL ? 0 : 0.02) ? bigJson(r) : L.randomJson(r, r.int(1, 5), r.int(2, 8))
      const p = path.join(dir, `doc${i}.json`)
      fs.writeFileSync(p, text)
      files.push({ p, expected: JSON.parse(text) })
    }
    const byPath = new Map(files.map((f) => [f.p, f.expected]))
    const paths = []
    for (let i = 0; i < iters; i++) paths.push(files[r.int(0, files.length - 1)].p)
    const pool = new rt.FixedSizeAllocatorPool({ size: 2, transfer })
    // Documents whose plugin scribbled (then finished): released by the end of the run.
    const finished = []
    // Small documents share a block: a plugin scribbling over its block scribbles over its
    // neighbours too. Blocks (id:generation) scribbled so far: their other documents may
    // read as garbage or fail with a typed error; the others must read exactly.
    const scribbled = new Set()
    const typed = (e) => e instanceof rt.CorruptDocumentError || e instanceof rt.StaleBufferError
    let calls = 0
    let hit = 0
    const result = await pool.parseJsonFiles(
      paths,
      (doc, p) => {
        calls++
        res.steps++
        if (doc instanceof Error) {
          // Only a document opened from a block a neighbour's plugin scribbled over may fail.
          if (!typed(doc)) res.fail(`${label}: ${p}: ${doc.name}: ${doc.message}`)
          else hit++
          return
        }
        const key = `${doc.bufferId}:${doc.generation}`
        if (scribbled.has(key)) {
          // A neighbour scribbled over it: any value or a typed error, never a crash or a hang.
          hit++
          try {
            doc.toJS()
          } catch (e) {
            if (!typed(e) && !(e instanceof RangeError)) res.fail(`${label}: a scribbled neighbour threw ${e.name}: ${e.message}`)
          }
        } else {
          const m = meta(doc.raw, G, C)
          res.check(m.generation === doc.generation && m.producer0 === C.JSON_FORMAT_VERSION, () => `${label}: hand-off metadata ${JSON.stringify(m)}`)
          const diff = L.jsonDiff(doc.toJS(), byPath.get(p))
          res.check(diff === null, () => `${label}: ${path.basename(p)}: toJS differs from JSON.parse: ${diff}`)
        }
        const kind = r.pick(SCRIBBLES)
        const committed = L.roundUp(doc._block.usedBytes, G.PAGE)
        const attack = () => {
          scribbled.add(key)
          scribble(doc.raw.u8, kind, committed, G, C, r)
          res.faults++
          finished.push(doc)
        }
        if (r.chance(0.3)) {
          // An async plugin: holds its document across turns (the other block is being
          // parsed into by a Rust thread meanwhile), then scribbles.
          return L.tick().then(attack)
        }
        attack()
      },
      { threads: 2 },
    )
    // Every document was released when its plugin finished: all read as stale now.
    for (const old of finished) res.check(throwsStale(() => old.toJS()), `${label}: a finished plugin's document is still readable`)
    res.figures.scribbledNeighbours = hit
    res.check(calls === iters && result.files === iters, `${label}: ${calls} plugin calls, ${result.files} files, want ${iters}`)
    const untyped = result.errors.filter((e) => !typed(e.error))
    res.check(untyped.length === 0, () => `${label}: errors ${untyped.map((e) => e.error.message).join('; ')}`)
    res.check(pool.stats().inUse === 0, `${label}: blocks still checked out at the end`)
    pool.close()
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * (c) Noreserve: a plugin overwrites every byte of a 2 GiB buffer (its block once held
 * 1.1 GB, so the buffer JS keeps is the whole block), in a child process
 * (started before the paths, awaited after them). The block must work afterwards, and the
 * 2 GiB, all but what Rust committed counted nowhere, must go back to the OS at release
 * (the reset sweeps past the committed prefix) and stay gone after trim (VmRSS).
 */
function wholeBufferChild(r) {
  const value = String(r.int(1, 255))
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', __filename, '--probe', 'whole-buffer', value], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000)
    child.on('close', (status, signal) => {
      clearTimeout(timer)
      resolve({ status, signal, stdout, stderr })
    })
  })
}

function checkWholeBuffer(out, res) {
  res.steps++
  res.faults++
  const line = out.stdout.split('\n').find((l) => l.startsWith('{'))
  const rep = line ? JSON.parse(line) : null
  if (out.signal || out.status !== 0 || !rep) {
    if (out.signal) res.crashes++
    res.fail(`whole-buffer child: exit ${out.status}, signal ${out.signal}: ${out.stdout.trim().slice(-300)} ${out.stderr.trim().slice(-500)}`)
    return
  }
  res.figures.wholeBufferRssMB = rep.rssMB
  for (const p of rep.problems) res.fail(`whole-buffer child: ${p}`)
  const { before, filled, released, trimmed } = rep.rssMB
  res.check(filled >= before + 1024, () => `whole-buffer fill did not show in VmRSS: ${JSON.stringify(rep.rssMB)}`)
  res.check(released <= before + 128 && trimmed <= before + 128, () => `memory JS wrote past the committed prefix stayed resident after release/trim: ${JSON.stringify(rep.rssMB)}`)
}

/**
 * Documented hazards, in children: the committed tail is writable in every mode; past the
 * committed data region, a write lives in noreserve mode and is a SIGSEGV in strict mode
 * (by design; forced with RAW_TRANSFER_MEMORY_MODE=strict, so both are checked whatever
 * this machine's mode). The strict child also shows the runner's crash handling works.
 */
function probes({ G, res }) {
  const run = (what, env = {}) => spawnSync(process.execPath, [__filename, '--probe', what], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } })
  const tail = run('tail')
  res.check(tail.status === 0, `probe: reading/writing the committed tail failed: status ${tail.status} signal ${tail.signal} ${tail.stderr}`)
  const strict = run('past-committed', { RAW_TRANSFER_MEMORY_MODE: 'strict' })
  if (strict.signal === 'SIGSEGV' || strict.signal === 'SIGBUS') {
    const readOk = strict.stdout.includes('read ok: 0')
    res.check(readOk, `probe past-committed (strict): reading past the committed region did not give 0: ${strict.stdout.trim()}`)
    res.note(`probe (strict): first byte past the committed data region: reading it gives 0, writing it kills the process with ${strict.signal} (by design)`)
  } else {
    res.fail(`probe past-committed (strict): expected SIGSEGV, got exit ${strict.status}, signal ${strict.signal}: ${strict.stdout.trim().slice(-300)} ${strict.stderr.trim().slice(-300)}`)
  }
  res.figures['probe.pastCommittedSignal.strict'] = strict.signal
  if (G.mode === 'noreserve') {
    const past = run('past-committed')
    res.check(past.status === 0 && past.stdout.includes('no fault'), () => `probe past-committed (noreserve): writes past the committed region must not crash: exit ${past.status}, signal ${past.signal}: ${past.stdout.trim().slice(-300)} ${past.stderr.trim().slice(-300)}`)
    res.figures['probe.pastCommittedSignal.noreserve'] = past.signal
  }
  // Ordinary whole-buffer operations read every byte of the 2 GiB buffer, so they reach the
  // uncommitted pages too. Reported, not failed (with a PROT_NONE reservation they crash).
  for (const what of WHOLE_BUFFER_OPS) {
    const out = run(what)
    const outcome = out.signal ? `killed by ${out.signal}` : out.status === 0 ? `ok: ${out.stdout.trim().split('\n').pop()}` : `exit ${out.status}: ${out.stdout.trim().split('\n').pop()}`
    res.figures[`probe.${what}`] = outcome
    if (out.signal) res.note(`probe: ${what} on a block buffer: ${outcome}`)
  }
}

function probeChild(what) {
  const rt = L.loadRuntime()
  const C = rt.constants
  const G = geometry(C)
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  // JS holds a prefix of a block as long as its data needs: have the block once hold
  // 1.1 GB, so the buffer it keeps is the whole BUFFER_SIZE, then give the memory back.
  const grow = pool.acquire()
  grow.writeBytes(new Uint8Array(1.1e9))
  grow.release()
  pool.trim()
  const b = pool.acquire()
  b.writeString('probe')
  const u8 = b.buffer
  if (u8.length !== C.BUFFER_SIZE) throw new Error(`probe buffer ${u8.length}, want ${C.BUFFER_SIZE}`)
  if (what === 'tail') {
    for (let i = u8.length - 65536; i < u8.length; i += 4096) u8[i] = u8[i] ^ 0xff
    u8[u8.length - 1] = 1
    console.log('tail ok')
    process.exit(0)
  }
  if (what === 'whole-buffer') {
    const value = Number(process.argv[4])
    const problems = []
    const rssMB = { before: vmRssMB() }
    const w = b.writeString('before the fill')
    u8.fill(value)
    rssMB.filled = vmRssMB()
    for (const at of [0, w.ptr, u8.length - 65537, C.RAW_METADATA_OFFSET, u8.length - 1]) {
      if (u8[at] !== value) problems.push(`byte ${at} reads ${u8[at]} after the fill with ${value}`)
    }
    b.handOff() // rewrites the metadata record
    if (b.raw.generation !== b.generation) problems.push('generation not rewritten after a whole-buffer fill')
    const w2 = b.writeString('after the fill')
    if (w2.ptr < w.ptr + w.len || b.raw.str(w2.ptr, w2.len) !== 'after the fill') problems.push('allocation after a whole-buffer fill reads back wrong')
    b.release()
    rssMB.released = vmRssMB()
    const doc = pool.parseJson('{"a": [1, "two", {"three": 3}]}')
    if (JSON.stringify(doc.toJS()) !== '{"a":[1,"two",{"three":3}]}') problems.push(`document after a whole-buffer fill: ${JSON.stringify(doc.toJS())}`)
    doc.release()
    pool.trim()
    rssMB.trimmed = vmRssMB()
    for (const k of Object.keys(rssMB)) rssMB[k] = Math.round(rssMB[k])
    console.log(JSON.stringify({ rssMB, problems }))
    process.exit(0)
  }
  if (WHOLE_BUFFER_OPS.includes(what)) {
    const ab = b.raw.arrayBuffer
    try {
      if (what === 'structuredClone-transfer') structuredClone(ab, { transfer: [ab] })
      else if (what === 'postMessage') new MessageChannel().port1.postMessage(ab)
      else if (what === 'slice') b.buffer.slice()
      else if (what === 'indexOf') b.buffer.indexOf(0xff)
      console.log('completed')
    } catch (e) {
      console.log(`threw ${e.name}: ${e.message}`)
    }
    process.exit(0)
  }
  const { committedBytes: committed, memoryMode } = pool.stats()
  console.log(`${memoryMode}: committed ${committed}; reading byte ${committed}`)
  const v = u8[committed]
  console.log(`read ok: ${v}; writing it`)
  u8[committed] = 1 // SIGSEGV in strict mode
  // Noreserve: the rest of the data region too, and the pool still works.
  u8.fill(7, committed, committed + (16 << 20))
  u8[G.TAIL_START - 1] = 7
  b.release()
  const again = pool.acquire()
  const w = again.writeString('after')
  if (again.raw.str(w.ptr, w.len) !== 'after') throw new Error('block unusable after writes past the committed region')
  console.log('no fault')
  process.exit(0)
}
