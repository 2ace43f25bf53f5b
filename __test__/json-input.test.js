'use strict'
// JSON given on the JS thread: string input keeps lone surrogates as JSON.parse does, and
// the parser's scratch for a big document is bounded and given back.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { rt, node } = require('./helpers')

const root = path.join(__dirname, '..')

test('string input keeps lone surrogates as JSON.parse does', () => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  const cases = [
    '{"k\ud800":"v"}',
    '["a\udc00b", "\ud83d\ude00", "\\\\\ud800", "x\udbff"]',
    '{"\udfff": {"\ud800\ud800": [1, "\ud800"]}}',
  ]
  for (const text of cases) {
    const doc = pool.parseJson(text)
    try {
      assert.deepEqual(doc.toJS(), JSON.parse(text), JSON.stringify(text))
      assert.equal(JSON.stringify(doc.toJS()), JSON.stringify(JSON.parse(text)))
    } finally {
      doc.release()
    }
  }
  // Where JSON.parse refuses a lone surrogate (outside a string, or after a backslash), so
  // does parseJson.
  for (const text of ['\ud800', '[1, \udc00]', '["\\\ud800"]']) {
    assert.throws(() => JSON.parse(text), SyntaxError)
    assert.throws(() => pool.parseJson(text), (e) => e.name === 'JsonSyntaxError', JSON.stringify(text))
  }
  // Every encode path: the kept 4 MiB buffer; a fresh one for texts of over 4 M units; a
  // fresh one for texts of fewer units whose UTF-8 does not fit in 4 MiB (3-byte
  // characters); each with a real U+FFFD, with and without lone surrogates; and the kept
  // buffer reused by a shorter text.
  const long = (n, unit) => `[${Array.from({ length: n }, (_, i) => `"s${i}${unit}\\ufffd\ufffd"`).join(',')}]`
  const wide = (unit) => `["${'中'.repeat(1500000)}${unit}", "\ufffd"]`
  const texts = [long(10, '\\ud800'), long(10, '\ud800'), long(10, ''), long(120000, '\udc01'), long(120000, ''), long(300000, '\udc01'), long(300000, '')]
  texts.push(wide('\ud800'), wide(''), '"\ufffd"')
  assert.ok(texts[5].length > 4 << 20 && wide('').length < 4 << 20 && Buffer.byteLength(wide('')) > 4 << 20)
  for (const text of texts) {
    const doc = pool.parseJson(text)
    try {
      assert.equal(JSON.stringify(doc.toJS()), JSON.stringify(JSON.parse(text)), `${text.length} units`)
    } finally {
      doc.release()
    }
  }
  pool.trim() // drops the kept buffer; the next string input makes a new one
  const again = pool.parseJson('["\ud800x"]')
  assert.equal(again.toJS()[0], '\ud800x')
  again.release()
  assert.equal(pool.stats().inUse, 0)
  pool.close()
})

test('a well-formed string gives the document (and the errors) its UTF-8 bytes give', () => {
  // Strings cross as UTF-16 and are transcoded in Rust (8 units at a time while ASCII);
  // bytes cross as they are. Every kind of character at every offset around those steps,
  // escapes, keys, and a string longer than 16 Mi units (written as UTF-8 by the runtime).
  const pool = new rt.JsonPool({ size: 2 })
  const same = (text) => {
    const a = pool.parseJson(text)
    const b = pool.parseJson(Buffer.from(text))
    try {
      assert.equal(a.sourceLength, Buffer.byteLength(text))
      assert.deepEqual(a.toJS(), b.toJS(), JSON.stringify(text).slice(0, 80))
      assert.equal(a.text(), b.text())
    } finally {
      a.release()
      b.release()
    }
  }
  const chars = ['a', '\\u00e9', 'é', 'ߟ', '中', '\ufffd', '😀', '\\ud83d\\ude00', '\\n', '\\"']
  for (const c of chars) {
    for (let at = 0; at < 20; at++) {
      same(`{"${'k'.repeat(at)}${c}": ["${'x'.repeat(at)}${c}${'y'.repeat(19 - at)}", ${at}]}`)
    }
  }
  same('{"café": [1.5, -0, 1e300, true, null, "naïve 東京 😀"], "": {}}')
  // Errors: the same class, offset, line and column.
  for (const text of ['{"é": [1,]}', '["東京"\n, 01]', '{"😀" 1}', '"abc', '[1]\n\n x']) {
    const fromString = catchError(() => pool.parseJson(text))
    const fromBytes = catchError(() => pool.parseJson(Buffer.from(text)))
    assert.equal(fromString.name, 'JsonSyntaxError', text)
    for (const k of ['message', 'offset', 'line', 'column']) assert.equal(fromString[k], fromBytes[k], `${k} of ${text}`)
  }
  // Over 16 Mi units: the runtime's UTF-8 writer, same result.
  const big = `["${'é'.repeat((16 << 20) + 5)}", 1]`
  const doc = pool.parseJson(big)
  try {
    const v = doc.toJS()
    assert.equal(v[0].length, (16 << 20) + 5)
    assert.equal(v[1], 1)
  } finally {
    doc.release()
  }
  // A lone surrogate (or, over 16 Mi units, a U+FFFD that may have been one) sends the
  // string as escaped UTF-8 bytes instead, which keeps it as JSON.parse does.
  for (const tail of ['\ud800', '\ufffd']) {
    const text = `["${'a'.repeat(16 << 20)}${tail}", "${tail}x"]`
    const d = pool.parseJson(text)
    try {
      const v = d.toJS()
      assert.equal(v[0].length, (16 << 20) + 1)
      assert.equal(v[0].charCodeAt(16 << 20), tail.charCodeAt(0))
      assert.equal(v[1], `${tail}x`)
    } finally {
      d.release()
    }
  }
  assert.equal(pool._fastCalls().parseJsonString('["\udc00"]'), null, 'no block taken for a lone surrogate')
  assert.equal(pool.stats().inUse, 0)
  // The native call takes strings only, with a typed error.
  const fast = pool._fastCalls()
  for (const v of [undefined, 1, Buffer.from('[]'), {}, null]) {
    assert.throws(() => fast.parseJsonString(v), (e) => e.name === 'InvalidArgumentError', String(v))
  }
  assert.equal(pool.stats().inUse, 0)
  pool.close()
})

const catchError = (fn) => {
  try {
    fn()
  } catch (e) {
    return e
  }
  assert.fail('no error')
}

test('a string too long to escape its lone surrogates is an OutOfMemoryError, not a RangeError', () => {
  // Near the longest string, the escaped form (6 units for each lone surrogate) cannot be
  // made: a typed error, where JSON.parse (which needs no escaping) would parse it.
  const res = node(`const rt = require(${JSON.stringify(root)})
    const MAX = require('node:buffer').constants.MAX_STRING_LENGTH
    const text = '"' + 'a'.repeat(MAX - 3) + '\\ud800"'
    const pool = new rt.JsonPool()
    try { pool.parseJson(text); console.log('parsed') } catch (e) { console.log(e.name, e.code, pool.stats().inUse) }`)
  assert.equal(res.status, 0, res.stderr)
  assert.equal(res.stdout.trim(), 'OutOfMemoryError OutOfMemory 0')
})

test('lone surrogates are escaped piece by piece, as a replace() over the whole string escapes them', () => {
  // One replace() over the whole string dies (a V8 fatal error) past about 2^26 matches,
  // so the escape goes in pieces: a piece never ends between the units of a pair, and a
  // run of backslashes before a surrogate may begin in an earlier piece.
  const { escapeLoneSurrogates } = require('../js/json/input')
  const units = ['a', '\\', '\ud800', '\udc00', '\ud83d', '\ude00', '"', 'é']
  let seed = 7
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff)
  for (let t = 0; t < 20_000; t++) {
    let text = ''
    for (let n = rnd() % 30, i = 0; i < n; i++) text += units[rnd() % units.length]
    const whole = escapeLoneSurrogates(text, Infinity)
    for (const piece of [1, 2, 3, 5, 8]) assert.equal(escapeLoneSurrogates(text, piece), whole, `${JSON.stringify(text)} in pieces of ${piece}`)
  }
  assert.equal(escapeLoneSurrogates('"\ud800\ud800\udc00\\\udc00"', 1), '"\\ud800\ud800\udc00\\\udc00"')
  // Pieces stay small whatever the text (a run of high surrogates included): each replace()
  // sees at most one unit more than a piece.
  const seen = []
  const replace = String.prototype.replace
  String.prototype.replace = function (...args) {
    seen.push(this.length)
    return replace.apply(this, args)
  }
  try {
    escapeLoneSurrogates(`"${'\ud800'.repeat(1000)}\ud83d\ude00${'\udc00'.repeat(1000)}"`, 4)
  } finally {
    String.prototype.replace = replace
  }
  assert.ok(seen.length > 400 && Math.max(...seen) <= 5, `${seen.length} pieces, longest ${Math.max(...seen)}`)
})

test('a big document on the JS thread: scratch is bounded and given back (RSS returns after release and trim)', () => {
  // 10 M numbers: the parser's node stack needed 240 MB of Rust heap and kept it for the
  // life of the thread.
  const res = node(`
    const rt = require(${JSON.stringify(root)})
    const rss = () => Number(require('node:fs').readFileSync('/proc/self/status', 'utf8').match(/VmRSS:\\s+(\\d+)/)[1]) * 1024
    const text = Buffer.from('[' + '0,'.repeat(10_000_000) + '0]')
    const pool = new rt.FixedSizeAllocatorPool({ size: 1, retainBytes: 0 })
    pool.parseJson('[1]').release()
    global.gc()
    const base = rss()
    const doc = pool.parseJson(text)
    const nodes = doc.nodeCount
    const peak = rss()
    doc.release()
    pool.trim()
    global.gc()
    console.log(JSON.stringify({ nodes, grew: peak - base, after: rss() - base }))`)
  assert.equal(res.status, 0, res.stderr)
  const out = JSON.parse(res.stdout)
  assert.equal(out.nodes, 10_000_002)
  assert.ok(out.grew > 200e6, `the document itself takes memory while held: ${out.grew}`)
  assert.ok(out.after < 64e6, `RSS after release + trim is ${(out.after / 1e6).toFixed(0)} MB above the baseline`)
})
