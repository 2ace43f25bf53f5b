'use strict'
// What a JS write past the memory Rust committed does A plugin host must
// not die from one careless plugin: `u8.fill()`, `reverse()`, `sort()`,
// `crypto.getRandomValues`, `TextEncoder#encodeInto`, `Atomics`, a DataView or a view kept
// past `release()` all write wherever they are pointed. Where the OS lets blocks be mapped
// read/write without commit charge (`stats().memoryMode === 'noreserve'`: Linux with
// vm.overcommit_memory 0 or 1, macOS) such writes only fault in pages, which the block's
// next reset or `trim()` gives back. Under strict accounting (`'strict'`, forced here with
// RAW_TRANSFER_MEMORY_MODE=strict) they are a SIGSEGV, as the README says.
//
// Every hazard runs in a child process, so a crash fails one test instead of the run.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { rt } = require('./helpers')

const root = path.join(__dirname, '..')
const MB = 1 << 20

/** The memory mode of a pool in this process (its blocks are created lazily: none here). */
const DEFAULT_MODE = (() => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  const mode = pool.stats().memoryMode
  pool.close()
  return mode
})()
const NORESERVE = DEFAULT_MODE === 'noreserve'
const skipUnlessNoreserve = NORESERVE ? false : `blocks are '${DEFAULT_MODE}' here`

/**
 * Run `body` in a fresh node with a pool of one block, `b` acquired with a string written,
 * `u8` its buffer, `committed` the bytes Rust committed, `END` the buffer's length,
 * `rss()` the process's VmRSS in bytes (Linux). The block once held 300 MB, so the buffer
 * JS holds is 512 MiB long while only the retention floor (16 MiB) is committed: most of
 * what JS can reach is past the committed prefix. `env` is added to (or, with undefined
 * values, removed from) this process's environment.
 */
function child(body, env = {}) {
  const code = `
    const rt = require(${JSON.stringify(root)})
    const fs = require('node:fs')
    const rss = () => Number(/VmRSS:\\s+(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) * 1024
    const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
    const first = pool.acquire()
    first.writeBytes(new Uint8Array(300 * ${MB}))
    first.release()
    pool.trim()
    const b = pool.acquire() // the same block, and the 512 MiB buffer it was sent
    b.writeString('committed')
    const u8 = b.buffer
    const END = u8.length
    const committed = pool.stats().committedBytes
    if (END < committed + 400 * ${MB}) throw new Error('setup: buffer ' + END + ', committed ' + committed)
    console.log('mode ' + pool.stats().memoryMode)
    ${body}
  `
  const childEnv = { ...process.env, ...env }
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k]
  return spawnSync(process.execPath, ['--expose-gc', '-e', code], { encoding: 'utf8', timeout: 120_000, env: childEnv })
}

/** Assert the child lived (exit 0) and printed every line of `expected`. */
function assertLived(res, expected) {
  assert.equal(res.signal, null, `killed by ${res.signal}: ${res.stdout}${res.stderr}`)
  assert.equal(res.status, 0, `exit ${res.status}: ${res.stdout}${res.stderr}`)
  for (const line of expected) assert.ok(res.stdout.includes(line), `missing '${line}' in:\n${res.stdout}${res.stderr}`)
}

test('stats().memoryMode says how blocks are mapped, and follows RAW_TRANSFER_MEMORY_MODE', () => {
  assert.ok(['noreserve', 'strict'].includes(DEFAULT_MODE), DEFAULT_MODE)
  const forced = process.env.RAW_TRANSFER_MEMORY_MODE
  if (forced === 'strict' || forced === 'noreserve') assert.equal(DEFAULT_MODE, forced)
  else if (process.platform === 'linux') {
    const overcommit = fs.readFileSync('/proc/sys/vm/overcommit_memory', 'utf8').trim()
    if (overcommit === '2') assert.equal(DEFAULT_MODE, 'strict')
  }
  // A pool's blocks report it too, and the override reaches a child.
  for (const mode of ['strict', 'noreserve']) {
    if (mode === 'noreserve' && !NORESERVE) continue
    const res = child(`b.release(); console.log('after ' + pool.stats().memoryMode)`, { RAW_TRANSFER_MEMORY_MODE: mode })
    assertLived(res, [`mode ${mode}`, `after ${mode}`])
  }
})

// Each hazard: what it does, and what it prints when it got through.
const HAZARDS = {
  'u8.fill(1) over 256 MiB past the committed prefix': `
    u8.fill(1, committed, committed + 256 * ${MB})
    console.log('filled ' + u8[committed] + u8[committed + 256 * ${MB} - 1])`,
  'reverse() of a subarray that crosses the committed end': `
    const s = u8.subarray(committed - 16, committed + 8 * ${MB})
    s[0] = 7
    s.reverse()
    console.log('reversed ' + s[s.length - 1])`,
  'sort() of a subarray that crosses the committed end': `
    const s = u8.subarray(committed - 4096, committed + ${MB})
    s[0] = 200
    s.sort()
    console.log('sorted ' + s[s.length - 1])`,
  'crypto.getRandomValues on the last 64 KiB of the buffer': `
    const s = u8.subarray(END - 65536)
    crypto.getRandomValues(s)
    console.log('random ' + (s.some((x) => x !== 0) ? 'ok' : 'zeros'))`,
  'TextEncoder#encodeInto far past the committed prefix': `
    const r = new TextEncoder().encodeInto('héllo'.repeat(1000), u8.subarray(400 * ${MB}))
    console.log('encoded ' + r.written)`,
  'Atomics on an Int32Array past the committed prefix': `
    const i32 = new Int32Array(u8.buffer, u8.byteOffset, u8.length >> 2)
    const at = (committed >> 2) + 12345
    Atomics.store(i32, at, 40)
    Atomics.add(i32, at, 2)
    console.log('atomics ' + Atomics.load(i32, at))`,
  'DataView writes at the last bytes of the buffer': `
    const dv = new DataView(u8.buffer, u8.byteOffset, u8.length)
    dv.setFloat64(END - 16, 1.5, true)
    dv.setUint8(END - 1, 0xab)
    console.log('dataview ' + dv.getFloat64(END - 16, true) + ' ' + dv.getUint8(END - 1))`,
  'a write through a view kept past release()': `
    const kept = b.buffer
    b.release()
    kept.fill(9, committed, committed + 64 * ${MB})
    kept[END - 1] = 9
    // The pool still works, and Rust's data is Rust's again.
    const doc = pool.parseJson('{"still": ["fine"]}')
    console.log('kept ' + kept[committed + 64 * ${MB} - 1] + ' ' + doc.root.get('still').at(0).value)`,
}
const EXPECTED = {
  'u8.fill(1) over 256 MiB past the committed prefix': 'filled 11',
  'reverse() of a subarray that crosses the committed end': 'reversed 7',
  'sort() of a subarray that crosses the committed end': 'sorted 200',
  'crypto.getRandomValues on the last 64 KiB of the buffer': 'random ok',
  'TextEncoder#encodeInto far past the committed prefix': 'encoded 6000',
  'Atomics on an Int32Array past the committed prefix': 'atomics 42',
  'DataView writes at the last bytes of the buffer': 'dataview 1.5 171',
  'a write through a view kept past release()': 'kept 9 fine',
}

for (const [name, body] of Object.entries(HAZARDS)) {
  test(`noreserve: ${name} does not crash`, { skip: skipUnlessNoreserve }, () => {
    assertLived(child(body), ['mode noreserve', EXPECTED[name]])
  })
}

test('noreserve: pages JS wrote past the committed prefix are given back on release and trim', { skip: skipUnlessNoreserve || process.platform !== 'linux' }, () => {
  const res = child(`
    const out = { before: rss() }
    u8.fill(1, committed, committed + 256 * ${MB})
    out.filled = rss()
    const kept = b.buffer
    b.release() // the reset gives back every page past what it retains
    out.released = rss()
    kept.fill(2, committed, committed + 128 * ${MB}) // a view kept past release()
    out.keptWrite = rss()
    pool.trim() // an idle block: back to its retention floor
    out.trimmed = rss()
    out.stats = pool.stats()
    console.log('rss ' + JSON.stringify(out))`)
  assertLived(res, ['mode noreserve', 'rss '])
  const rss = JSON.parse(res.stdout.split('rss ')[1])
  const mb = (n) => `${(n / MB).toFixed(0)} MB`
  const seen = `VmRSS before ${mb(rss.before)}, filled ${mb(rss.filled)}, released ${mb(rss.released)}, kept-view write ${mb(rss.keptWrite)}, trimmed ${mb(rss.trimmed)}`
  assert.ok(rss.filled >= rss.before + 200 * MB, seen)
  assert.ok(rss.released <= rss.before + 48 * MB, seen)
  assert.ok(rss.keptWrite >= rss.released + 100 * MB, seen)
  assert.ok(rss.trimmed <= rss.before + 48 * MB, seen)
  assert.ok(rss.stats.committedBytes <= 16 * MB && rss.stats.residentBytes <= 16 * MB, JSON.stringify(rss.stats))
})

test('strict (RAW_TRANSFER_MEMORY_MODE=strict): a write past the committed prefix is a SIGSEGV, as documented', { skip: process.platform === 'win32' }, () => {
  const env = { RAW_TRANSFER_MEMORY_MODE: 'strict' }
  const past = child(
    `
    console.log('read ok ' + u8[committed])
    u8[committed] = 1
    console.log('no fault')`,
    env,
  )
  assert.equal(past.signal, 'SIGSEGV', `status ${past.status} signal ${past.signal}: ${past.stdout}${past.stderr}`)
  assert.ok(past.stdout.includes('mode strict') && past.stdout.includes('read ok 0'), past.stdout)
  assert.ok(!past.stdout.includes('no fault'), past.stdout)
  // Reads anywhere, and writes to the committed prefix, are fine.
  const ok = child(
    `
    u8.fill(3, 16, committed)
    console.log('reads ' + u8[END - 1] + ' ' + u8.subarray(committed, END).indexOf(1) + ' first ' + u8[16])`,
    env,
  )
  assertLived(ok, ['mode strict', 'reads 0 -1 first 3'])
})
