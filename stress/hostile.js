'use strict'
// Scenario 1, hostile JS: a "plugin" overwrites every committed byte JS can reach in its
// block with random data before giving the block back, 1000 times per path, over reused
// blocks (pools of 2). Later hand-offs and documents must still be correct: Rust keeps its
// cursor, bounds, generation and owner count outside the JS-visible buffer and never reads
// back what JS can write.
//
// What JS can touch without crashing, by design:
//   - the data region up to what the arena committed: [0, committed), always at least
//     [0, usedBytes rounded up to 4096);
//   - the block's last 64 KiB (committed at creation): the JS-visible part of it is
//     [TAIL_START, BUFFER_SIZE), which ends with RawTransferMetadata (last 16 bytes).
// Everything else in the 2 GiB buffer is not writable: *writing* there from JS is a SIGSEGV
// by design (the `probe` children below check it, which also exercises the runner's crash
// handling). Reading there gives zeros since blocks are reserved read-only (before that
// change, PROT_NONE: reads faulted too; the probes report which behaviour they see).
// Nothing here reads a document after scribbling its data: it would follow garbage offsets.
//
// Env: STRESS_SEED (replay), STRESS_HOSTILE_ITERS (default 1000 per path),
//      STRESS_HOSTILE_SMALL=1 (small documents and fewer side paths: for valgrind),
//      STRESS_NO_PROBE=1 (skip the expected-SIGSEGV probe children).

const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
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
  const base = rt.liveBlocks()
  const ctx = { rt, C, G, r, res }

  writeStringPath(ctx, 'external', ITERS)
  writeStringPath(ctx, 'copy', Math.max(MIN_SIDE, Math.floor(ITERS / 5)))
  fullCommittedPath(ctx, Math.max(MIN_SIDE, Math.floor(ITERS / 10)))
  parseJsonPath(ctx, 'external', ITERS)
  parseJsonPath(ctx, 'copy', Math.max(MIN_SIDE, Math.floor(ITERS / 5)))
  await jsonFilesPath(ctx, 'external', ITERS)
  if (!process.env.STRESS_NO_PROBE) probes(ctx)

  const settled = await L.collectUntil(() => rt.liveBlocks() === base)
  res.leaked = rt.liveBlocks() - base
  res.check(settled, `liveBlocks ${rt.liveBlocks()} after close + GC, baseline ${base}`)
}

function geometry(C) {
  const MAPPED = L.roundUp(C.BLOCK_SIZE, 1 << 16)
  const TAIL_START = MAPPED - (1 << 16)
  const META_U32 = C.RAW_METADATA_OFFSET >> 2
  return { MAPPED, TAIL_START, META_U32, PAGE: 4096 }
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
 * What the hostile plugin does to `u8` (a whole block buffer): `kind` of SCRIBBLES.
 * `committed` is how far the data region may be written. Returns the bytes overwritten.
 */
function scribble(u8, kind, committed, G, C, r) {
  let n = 0
  if (kind === 'data' || kind === 'all') {
    if (committed > 0) crypto.randomFillSync(u8, 0, committed)
    n += committed
  }
  if (kind === 'tail' || kind === 'all') {
    crypto.randomFillSync(u8, G.TAIL_START, C.BUFFER_SIZE - G.TAIL_START)
    n += C.BUFFER_SIZE - G.TAIL_START
  }
  if (kind === 'meta') {
    r.fill(u8, C.RAW_METADATA_OFFSET, C.BUFFER_SIZE)
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
    res.check(b.usedBytes === 0, () => `${label} #${i}: usedBytes ${b.usedBytes} on a fresh checkout`)
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
    // figure over-reports what is accessible.
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
    const kept = []
    let calls = 0
    const result = await pool.parseJsonFiles(
      paths,
      (doc, p) => {
        calls++
        res.steps++
        if (doc instanceof Error) {
          res.fail(`${label}: ${p}: ${doc.message}`)
          return
        }
        for (const old of kept.splice(0)) res.check(throwsStale(() => old.toJS()), `${label}: a finished plugin's document is still readable`)
        kept.push(doc)
        const m = meta(doc.raw, G, C)
        res.check(m.generation === doc.generation && m.producer0 === C.JSON_FORMAT_VERSION, () => `${label}: hand-off metadata ${JSON.stringify(m)}`)
        const diff = L.jsonDiff(doc.toJS(), byPath.get(p))
        res.check(diff === null, () => `${label}: ${path.basename(p)}: toJS differs from JSON.parse: ${diff}`)
        const kind = r.pick(SCRIBBLES)
        const committed = L.roundUp(doc._block.usedBytes, G.PAGE)
        if (r.chance(0.3)) {
          // An async plugin: holds its block across turns (the other block is being parsed
          // into by a Rust thread meanwhile), then scribbles.
          return L.tick().then(() => {
            scribble(doc.raw.u8, kind, committed, G, C, r)
            res.faults++
          })
        }
        scribble(doc.raw.u8, kind, committed, G, C, r)
        res.faults++
      },
      { threads: 2 },
    )
    res.check(calls === iters && result.files === iters, `${label}: ${calls} plugin calls, ${result.files} files, want ${iters}`)
    res.check(result.errors.length === 0, () => `${label}: errors ${result.errors.map((e) => e.error.message).join('; ')}`)
    res.check(pool.stats().inUse === 0, `${label}: blocks still checked out at the end`)
    pool.close()
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * Documented hazards, in children: the committed tail is accessible; one byte past the
 * committed data region is not (SIGSEGV, by design). Also shows the runner's crash
 * handling works: these children are expected to die.
 */
function probes({ res }) {
  const run = (what) => spawnSync(process.execPath, [__filename, '--probe', what], { encoding: 'utf8', timeout: 30_000 })
  const tail = run('tail')
  res.check(tail.status === 0, `probe: reading/writing the committed tail failed: status ${tail.status} signal ${tail.signal} ${tail.stderr}`)
  const past = run('past-committed')
  if (past.signal === 'SIGSEGV' || past.signal === 'SIGBUS') {
    const readOk = past.stdout.includes('read ok')
    res.note(`probe: first byte past the committed data region: ${readOk ? 'reading it gives 0, writing it' : 'reading it'} kills the process with ${past.signal} (by design)`)
  } else if (past.status !== 0) {
    res.fail(`probe past-committed: exit ${past.status}, signal ${past.signal}: ${past.stderr.trim().slice(-300)}`)
  } else {
    res.note(`probe: touching past the committed region did NOT crash (status ${past.status}, signal ${past.signal}): ${past.stdout.trim()}`)
  }
  res.figures['probe.pastCommittedSignal'] = past.signal
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
  const b = pool.acquire()
  b.writeString('probe')
  const u8 = b.buffer
  if (what === 'tail') {
    for (let i = G.TAIL_START; i < C.BUFFER_SIZE; i += 4096) u8[i] = u8[i] ^ 0xff
    u8[C.BUFFER_SIZE - 1] = 1
    console.log('tail ok')
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
  const committed = pool.stats().committedBytes
  console.log(`committed ${committed}; reading byte ${committed}`)
  const v = u8[committed]
  console.log(`read ok: ${v}; writing it`)
  u8[committed] = 1 // SIGSEGV expected
  console.log('no fault')
  process.exit(0)
}
