'use strict'
// What each host test file does, shared by the vitest (vitest/*.test.mjs) and ava
// (ava/*.test.js) files: acquire blocks, write, hand off, read, parse JSON, repeatedly, in
// whatever thread or process the runner put the file in. Every function throws (node:assert)
// on a wrong result and returns a small summary.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { isMainThread, threadId } = require('node:worker_threads')

const rt = require('raw-transfer')

/** Where this file runs: the host runner decides (a worker thread, or a child process). */
function where() {
  return { pid: process.pid, threadId, isMainThread, liveBlocks: rt.liveBlocks() }
}


const { sameJson, rng } = require('../json-helpers')
const { readAfterClose } = require('../cases')

const PIECES = ['a', 'Z', ' ', 'é', '中', '😀', '\\n', '\\"', '\\\\', '\\u00e9', '\\uD83D\\uDE00', '\\ud800', '__proto__']
const NUMBERS = ['0', '-0', '1', '-2.5e+3', '1e400', '5e-324', '0.1', '9007199254740993', '123456789012345678901234567890']

function genValue(r, depth) {
  const x = r()
  if (depth > 5 || x < 0.5) {
    const y = r()
    if (y < 0.4) return `"${Array.from({ length: Math.floor(r() * 8) }, () => PIECES[Math.floor(r() * PIECES.length)]).join('')}"`
    if (y < 0.8) return NUMBERS[Math.floor(r() * NUMBERS.length)]
    return ['true', 'false', 'null'][Math.floor(r() * 3)]
  }
  const n = Math.floor(r() * 6)
  if (x < 0.75) return `[${Array.from({ length: n }, () => genValue(r, depth + 1)).join(',')}]`
  const key = () => (r() < 0.3 ? '"__proto__"' : `"k${Math.floor(r() * 3)}"`)
  return `{${Array.from({ length: n }, () => `${key()}:${genValue(r, depth + 1)}`).join(',')}}`
}

/**
 * `rounds` checkouts of the blocks of one pool: write strings and a record, set the data
 * offset, hand off again, read everything back through the RawBuffer, release. Checks the
 * generation bumps and that the environment keeps one RawBuffer per block.
 */
function handoffRounds({ transfer = 'auto', rounds = 100, label = 'handoff', size = 2 } = {}) {
  const pool = new rt.FixedSizeAllocatorPool({ size, transfer })
  const seen = new Map() // block id -> [RawBuffer, last generation]
  const enc = new TextEncoder()
  try {
    for (let round = 0; round < rounds; round++) {
      const held = []
      for (let k = 0; k < size; k++) held.push(pool.acquire())
      for (const [k, block] of held.entries()) {
        const prev = seen.get(block.id)
        if (prev) {
          assert.equal(block.raw, prev[0], 'one RawBuffer per block per environment')
          assert.ok(block.generation > prev[1], 'generation grows on reuse')
        }
        seen.set(block.id, [block.raw, block.generation])
        const text = `${label} r${round} b${k} é😀 ${'x'.repeat(round % 40)}`
        const s = block.writeString(text)
        const bytes = enc.encode(`#${round}`)
        const b = block.writeBytes(bytes)
        block.setDataOffset(s.ptr)
        const raw = block.handOff()
        assert.equal(raw, block.raw)
        assert.equal(raw.dataOffset, s.ptr)
        assert.equal(raw.generation, block.generation)
        assert.equal(raw.str(raw.dataOffset, s.len), text)
        assert.deepEqual(raw.u8.subarray(b.ptr, b.ptr + b.len), bytes)
        assert.equal(block.buffer.byteLength, 1 << 20) // the prefix the data needs, 1 MiB at least
      }
      for (const block of held) block.release()
      assert.throws(() => held[0].writeString('stale'), rt.StaleBufferError)
    }
    const stats = pool.stats()
    assert.equal(stats.inUse, 0)
    assert.equal(stats.created, size)
    return { transferMode: pool.transferMode, rounds, blocks: seen.size, ...where() }
  } finally {
    pool.close()
  }
}

/** Parse `count` generated documents (strings and bytes) and compare with JSON.parse. */
function jsonRounds({ transfer = 'auto', count = 300, seed = 1 } = {}) {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1, transfer })
  const r = rng(seed)
  const enc = new TextEncoder()
  try {
    for (let i = 0; i < count; i++) {
      const text = genValue(r, 0)
      const expected = JSON.parse(text)
      const doc = pool.parseJson(i % 2 ? text : enc.encode(text))
      const diff = sameJson(doc.toJS(), expected)
      assert.equal(diff, null, `${text}: ${diff}`)
      assert.equal(sameJson(doc.root.value, expected), null)
      doc.release()
      assert.throws(() => doc.toJS(), rt.StaleBufferError)
    }
    assert.throws(() => pool.parseJson('{"a":1,}'), (e) => e instanceof rt.JsonSyntaxError && e.offset === 7)
    return { transferMode: pool.transferMode, count, ...where() }
  } finally {
    pool.close()
  }
}

/** parseJsonFiles: Rust threads read and parse files, the plugin runs on this thread. */
async function filesRound({ transfer = 'auto', files = 24, label = 'files' } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `rt-hosts-${label}-`))
  const pool = new rt.FixedSizeAllocatorPool({ size: 2, transfer })
  try {
    const paths = []
    for (let i = 0; i < files; i++) {
      const p = path.join(dir, `f${i}.json`)
      fs.writeFileSync(p, JSON.stringify({ i, label, name: `é ${i}`, items: Array.from({ length: i * 10 }, (_, k) => ({ k })) }))
      paths.push(p)
    }
    const bad = path.join(dir, 'bad.json')
    fs.writeFileSync(bad, '[1,')
    const got = new Map()
    const result = await pool.parseJsonFiles(
      [...paths, bad],
      async (doc, p) => {
        if (doc instanceof Error) return
        const v = doc.toJS()
        got.set(p, v)
        if (v.i % 3 === 0) await new Promise((resolve) => setTimeout(resolve, 1))
        assert.equal(doc.root.get('label').value, label)
      },
      { threads: 2 },
    )
    assert.equal(result.files, files + 1)
    assert.equal(result.errors.length, 1)
    assert.ok(result.errors[0].error instanceof rt.JsonSyntaxError)
    assert.equal(got.size, files)
    for (const p of paths) assert.equal(sameJson(got.get(p), JSON.parse(fs.readFileSync(p, 'utf8'))), null, p)
    assert.equal(pool.stats().inUse, 0)
    return { transferMode: pool.transferMode, files, ...where() }
  } finally {
    pool.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** Pools created and closed (or just dropped) in a loop, blocks held across a close. */
function poolChurn({ transfer = 'auto', pools = 20 } = {}) {
  const kept = []
  for (let i = 0; i < pools; i++) {
    const pool = new rt.FixedSizeAllocatorPool({ size: 2, transfer })
    const a = pool.acquire()
    const w = a.writeString(`pool ${i}`)
    const doc = pool.parseJson(`{"pool": ${i}}`)
    assert.equal(doc.toJS().pool, i)
    doc.release()
    a.release()
    if (i % 4 === 0) kept.push({ raw: a.raw, w, mode: pool.transferMode, text: `pool ${i}` }) // read after close below
    if (i % 2 === 0) pool.close() // others are left to the GC / environment teardown
    assert.throws(() => a.usedBytes, rt.StaleBufferError)
  }
  for (const held of kept) readAfterClose(held)
  return { pools, ...where() }
}

/**
 * What a test runner's sandbox (Jest's vm context, vitest's vmThreads) must not break: typed
 * errors from the addon (made in another realm) map to the classes this copy of the package
 * exports; documents, blocks and pools dispose through `Symbol.dispose` or the fallback
 * esbuild's `using` helper looks up; nodes stringify, iterate and clone to {}.
 */
function realmChecks() {
  const key = typeof Symbol.dispose === 'symbol' ? Symbol.dispose : Symbol.for('Symbol.dispose')
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  try {
    const held = pool.acquire()
    assert.throws(() => pool.acquire(), (e) => e instanceof rt.PoolExhaustedError && e instanceof rt.RawTransferError && e.name === 'PoolExhaustedError')
    held[key]()
    assert.equal(held.released, true)
    assert.throws(() => pool.parseJson('{"a":1,}'), (e) => e instanceof rt.JsonSyntaxError && e.offset === 7 && e.line === 1)
    assert.throws(() => new rt.FixedSizeAllocatorPool({ size: 0 }), rt.InvalidArgumentError)
    const doc = pool.parseJson('{"a": [1, 2], "b": "é"}')
    assert.equal(JSON.stringify(doc), '{"a":[1,2],"b":"é"}')
    assert.deepEqual([...doc.root].map(([k]) => k), ['a', 'b'])
    assert.deepEqual(Array.from(doc.root.get('a'), (n) => n.value), [1, 2])
    // Its state is #private: nothing is copied. (The clone is of the addon's realm: compare its keys.)
    assert.deepEqual(Object.keys(structuredClone(doc.root)), [])
    doc[key]()
    assert.throws(() => doc.toJS(), rt.StaleBufferError)
    assert.equal(pool.parseJson('[]').released, false) // the block came back
  } finally {
    pool[key]()
  }
  assert.equal(pool.closed, true)
  assert.throws(() => pool.acquire(), rt.PoolClosedError)
  return { key: String(key), ...where() }
}

/** A worker thread of this worker (or process) doing handoffRounds; resolves its result. */
function nestedWorker({ transfer = 'auto', rounds = 20 } = {}) {
  const { Worker } = require('node:worker_threads')
  return new Promise((resolve, reject) => {
    const w = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads')
       const w = require(workerData.workload)
       parentPort.postMessage(w.handoffRounds({ transfer: workerData.transfer, rounds: workerData.rounds, label: 'nested' }))`,
      { eval: true, workerData: { workload: __filename, transfer, rounds } },
    )
    let result
    w.on('message', (m) => (result = m))
    w.on('error', reject)
    w.on('exit', (code) => (code === 0 && result ? resolve(result) : reject(new Error(`nested worker exited ${code}`))))
  })
}

/** `make(rep)`'s cases for rep 0, 1, 2. */
const repeated = (make) => [0, 1, 2].flatMap(make)

/**
 * The repeated cases of the test files, `{ name, fn }` with node:assert inside, so that
 * every runner registers the same ones (`runner` labels their files).
 */
const cases = {
  handoff: (runner) =>
    repeated((rep) => [
      {
        name: `auto: 150 rounds (repeat ${rep})`,
        fn: () => assert.ok(['external', 'copy'].includes(handoffRounds({ transfer: 'auto', rounds: 150, label: `${runner}-a${rep}` }).transferMode)),
      },
      {
        name: `copy: 100 rounds (repeat ${rep})`,
        fn: () => assert.equal(handoffRounds({ transfer: 'copy', rounds: 100, label: `${runner}-a-copy${rep}` }).transferMode, 'copy'),
      },
    ]),
  files: (runner) => [
    ...repeated((rep) => [
      { name: `auto: 24 files + a broken one (repeat ${rep})`, fn: async () => assert.equal((await filesRound({ transfer: 'auto', label: `${runner}-c${rep}` })).files, 24) },
      {
        name: `copy: 24 files + a broken one (repeat ${rep})`,
        fn: async () => assert.equal((await filesRound({ transfer: 'copy', label: `${runner}-c-copy${rep}` })).transferMode, 'copy'),
      },
    ]),
    { name: 'hand-off between file rounds', fn: () => void handoffRounds({ transfer: 'auto', rounds: 50, label: `${runner}-c-handoff` }) },
  ],
  lifecycle: () =>
    repeated((rep) =>
      ['auto', 'copy'].flatMap((transfer) => [
        { name: `${transfer}: pool churn (repeat ${rep})`, fn: () => assert.equal(poolChurn({ transfer, pools: 20 }).pools, 20) },
        {
          name: `${transfer}: a nested worker thread does its own hand-offs (repeat ${rep})`,
          fn: async () => {
            const r = await nestedWorker({ transfer, rounds: 30 })
            assert.equal(r.isMainThread, false)
            assert.equal(r.rounds, 30)
          },
        },
      ]),
    ),
}

module.exports = { rt, where, handoffRounds, jsonRounds, filesRound, poolChurn, nestedWorker, realmChecks, cases }
