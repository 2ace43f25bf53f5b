'use strict'
// Shared helpers of the stress scenarios: seeded randomness, a random JSON text generator,
// a strict JSON comparison, GC helpers, RSS sampling and the result protocol the runner
// (stress/run.js) reads.
//
// Each scenario is a plain Node script (runnable alone: `node --expose-gc stress/x.js`) that
// ends by printing one line `@@STRESS_RESULT <json>` and exiting 0 if it passed, 1 if not.

const path = require('node:path')

const ROOT = path.join(__dirname, '..')
const RESULT_TAG = '@@STRESS_RESULT '

function loadRuntime() {
  return require(ROOT)
}

// ---------------------------------------------------------------------------------------
// Seeds and randomness

/** The run's seed: STRESS_SEED if set (decimal or 0x hex), else a fresh one. */
function seedFromEnv(name = 'STRESS_SEED') {
  const v = process.env[name]
  if (v !== undefined && v !== '') {
    const n = Number(v)
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`${name} must be a 32-bit unsigned integer; got ${v}`)
    return n
  }
  return (Date.now() ^ (process.pid << 16) ^ Math.floor(Math.random() * 0x100000000)) >>> 0
}

/** sfc32: small, fast, good enough; reproducible from one 32-bit seed. */
function makeRng(seed) {
  let a = 0x9e3779b9
  let b = 0x243f6a88
  let c = 0xb7e15162
  let d = seed >>> 0
  const next = () => {
    a >>>= 0
    b >>>= 0
    c >>>= 0
    d >>>= 0
    let t = (a + b) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    d = (d + 1) | 0
    t = (t + d) | 0
    c = (c + t) | 0
    return (t >>> 0) / 4294967296
  }
  for (let i = 0; i < 12; i++) next()
  const r = {
    seed,
    float: next,
    /** Integer in [lo, hi]. */
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p) => next() < p,
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    /** Pick a key of `weights` ({ name: weight }) with probability proportional to its weight. */
    weighted(weights) {
      const entries = Object.entries(weights)
      let total = 0
      for (const [, w] of entries) total += w
      let x = next() * total
      for (const [k, w] of entries) {
        x -= w
        if (x < 0) return k
      }
      return entries[entries.length - 1][0]
    },
    /** A 32-bit seed for a sub-generator (a worker, a file). */
    fork: () => Math.floor(next() * 0x100000000) >>> 0,
    /** Fill `u8[from, to)` with pseudo-random bytes (reproducible, unlike crypto). */
    fill(u8, from, to) {
      let i = from
      for (; i + 4 <= to; i += 4) {
        const x = Math.floor(next() * 4294967296)
        u8[i] = x
        u8[i + 1] = x >>> 8
        u8[i + 2] = x >>> 16
        u8[i + 3] = x >>> 24
      }
      for (; i < to; i++) u8[i] = Math.floor(next() * 256)
    },
  }
  return r
}

// ---------------------------------------------------------------------------------------
// Random JSON text. Written as text (not JSON.stringify) so it can hold what JSON.parse
// accepts but stringify never writes: duplicate keys, odd whitespace, escapes of every
// kind, lone surrogates, exponents. The reference value is always JSON.parse(text).

const STRING_PIECES = [
  'a', 'b', 'key', 'Z', ' ', '0', 'é', 'ß', 'ü', '中文', '😀', '\u2028',
  '\\n', '\\"', '\\\\', '\\/', '\\t', '\\b', '\\f', '\\r', '\\u0041', '\\u00e9', '\\u0000', '\\u001f',
  '\\uD83D\\uDE00', '\\ud800', '\\udfff', '\\uDBFF', '\\uDC00x', '__proto__', 'constructor', 'toString',
]
const NUMBER_TEXTS = [
  '0', '-0', '1', '-1', '42', '3.14159', '-2.5e-3', '1e21', '1E+2', '123456789012345678901234567890',
  '0.1', '0.30000000000000004', '9007199254740993', '-9007199254740992', '5e-324', '1.7976931348623157e308',
  '2.2250738585072014e-308', '0.000001', '1e-7', '100000000000000000000',
]
const KEYS = ['id', 'name', 'value', 'a', 'b', 'items', 'x', 'type', 'children', '__proto__', 'é', 'k😀', '0', '1', '10', 'long_key_name_that_is_longer_than_sixteen_bytes']
const WS = ['', '', '', ' ', '\n', '\t', '\r\n', '  ']

function jsonString(r, maxPieces) {
  const n = r.int(0, maxPieces)
  let s = '"'
  for (let i = 0; i < n; i++) {
    if (r.chance(0.5)) {
      const len = r.int(1, 12)
      for (let k = 0; k < len; k++) s += String.fromCharCode(r.int(0x20, 0x7e)).replace(/["\\]/, 'q')
    } else s += r.pick(STRING_PIECES)
  }
  return s + '"'
}

function jsonNumber(r) {
  if (r.chance(0.5)) return r.pick(NUMBER_TEXTS)
  if (r.chance(0.5)) return String(r.int(-1e6, 1e6))
  return String((r.float() - 0.5) * 10 ** r.int(-20, 20))
}

/** Random JSON text: `depth` levels at most, about `width` children per container. */
function randomJson(r, depth = 4, width = 6) {
  const ws = () => r.pick(WS)
  const value = (d) => {
    const kind = d <= 0 ? r.int(0, 3) : r.int(0, 6)
    switch (kind) {
      case 0:
        return r.pick(['null', 'true', 'false'])
      case 1:
        return jsonNumber(r)
      case 2:
      case 3:
        return jsonString(r, 6)
      case 4:
      case 5: {
        const n = r.int(0, width)
        const items = []
        for (let i = 0; i < n; i++) items.push(ws() + value(d - 1) + ws())
        return '[' + items.join(',') + (n === 0 ? ws() : '') + ']'
      }
      default: {
        const n = r.int(0, width)
        const items = []
        for (let i = 0; i < n; i++) {
          const key = r.chance(0.7) ? JSON.stringify(r.pick(KEYS)) : jsonString(r, 3)
          items.push(ws() + key + ws() + ':' + ws() + value(d - 1) + ws())
        }
        return '{' + items.join(',') + (n === 0 ? ws() : '') + '}'
      }
    }
  }
  // Mostly containers at the root, as real documents are.
  const root = r.chance(0.9) ? (r.chance(0.7) ? '{' : '[') : ''
  if (root === '') return ws() + value(depth) + ws()
  let text = value(depth + 1)
  while (text[0] !== root) text = value(depth + 1)
  return ws() + text + ws()
}

/** null if `a` and `b` are the same JSON value (key order, -0, own __proto__ included), else where they differ. */
const jsonDiff = require('../__test__/json-helpers').sameJson

/** A random JS string of about `len` UTF-16 units (astral characters, lone surrogates excluded). */
function randomText(r, len) {
  let s = ''
  while (s.length < len) {
    const k = r.int(0, 9)
    if (k < 6) s += String.fromCharCode(r.int(0x20, 0x7e))
    else if (k < 8) s += String.fromCharCode(r.int(0xa0, 0x7ff))
    else if (k < 9) s += String.fromCharCode(r.int(0x800, 0xd7ff))
    else s += String.fromCodePoint(r.int(0x10000, 0x1ffff))
  }
  return s
}

// ---------------------------------------------------------------------------------------
// GC, memory

const tick = () => new Promise((resolve) => setImmediate(resolve))
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function gcCycle() {
  if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc')
  global.gc()
  await tick()
}

/** GC until `done()` (finalizers run on a later turn in Node) or give up; returns done(). */
async function collectUntil(done, rounds = 60) {
  for (let i = 0; i < rounds; i++) {
    if (done()) return true
    await gcCycle()
    await sleep(2)
  }
  return done()
}

const MB = 1 << 20
const rssMB = () => process.memoryUsage.rss() / MB

/** Round up to a multiple of `to` (a power of two or not). */
const roundUp = (n, to) => Math.ceil(n / to) * to

// ---------------------------------------------------------------------------------------
// Results

/**
 * The tally of one scenario. `check(cond, message)` records a failure without stopping;
 * `finish()` prints the result line and sets the exit code.
 */
function makeResult(scenario, extra = {}) {
  const res = { scenario, steps: 0, faults: 0, crashes: 0, leaked: 0, ok: true, skipped: null, failures: [], notes: [], figures: {}, ...extra }
  const t0 = Date.now()
  res.fail = (message) => {
    res.ok = false
    if (res.failures.length < 50) res.failures.push(String(message))
    else if (res.failures.length === 50) res.failures.push('(further failures not listed)')
    if (process.env.STRESS_VERBOSE) console.error(`[${scenario}] FAIL ${message}`)
  }
  res.check = (cond, message) => {
    if (!cond) res.fail(typeof message === 'function' ? message() : message)
    return !!cond
  }
  res.note = (message) => {
    res.notes.push(String(message))
    console.log(`[${scenario}] ${message}`)
  }
  res.finish = () => {
    const out = { ...res, ms: Date.now() - t0 }
    for (const k of ['fail', 'check', 'note', 'finish']) delete out[k]
    if (res.skipped) out.ok = true
    process.stdout.write(`${RESULT_TAG}${JSON.stringify(out)}\n`)
    process.exitCode = out.ok ? 0 : 1
    return out
  }
  return res
}

/** Run `main(res)`; an uncaught exception is a failure, not a crash. */
function runScenario(name, main, extra) {
  const res = makeResult(name, extra)
  Promise.resolve()
    .then(() => main(res))
    .catch((e) => res.fail(`uncaught: ${e && e.stack ? e.stack : e}`))
    .then(() => res.finish())
  return res
}

module.exports = {
  ROOT,
  RESULT_TAG,
  loadRuntime,
  seedFromEnv,
  makeRng,
  randomJson,
  randomText,
  jsonDiff,
  tick,
  sleep,
  gcCycle,
  collectUntil,
  rssMB,
  roundUp,
  MB,
  makeResult,
  runScenario,
}
