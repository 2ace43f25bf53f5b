'use strict'
// raw-transfer-reader (also raw-transfer/reader): it loads no native code and carries the
// generic constants only; its decodeUtf8 checks its range against the buffer (a read out of range is an
// InvalidArgumentError, not NULs, bytes counted from the end or a RangeError).
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const path = require('node:path')
const { rt } = require('./helpers')
const reader = require('../reader')

const root = path.join(__dirname, '..')

test('raw-transfer-reader loads no native addon', () => {
  const code = `
    const r = require(${JSON.stringify(require.resolve('raw-transfer-reader'))})
    const natives = Object.keys(require.cache).filter((f) => f.endsWith('.node'))
    const cache = new r.BufferCache()
    console.log(JSON.stringify({ natives, names: Object.keys(r).sort(), size: r.BUFFER_SIZE, hasCache: typeof cache.receive }))`
  const res = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' })
  assert.equal(res.status, 0, res.stderr)
  const out = JSON.parse(res.stdout)
  assert.deepEqual(out.natives, [])
  assert.equal(out.size, rt.BUFFER_SIZE)
  assert.equal(out.hasCache, 'function')
  for (const name of ['RawBuffer', 'BufferCache', 'runJob', 'fromNative', 'StaleBufferError', 'constants']) {
    assert.ok(out.names.includes(name), name)
  }
})

test("the package's constants equal the addon's constants(); the reader's are the generic ones", () => {
  const binding = require(path.join(root, `raw-transfer.${require('../js/native/platform').triple()}.node`))
  assert.deepEqual({ ...rt.constants }, { ...binding.constants() })
  const reader = require('raw-transfer-reader')
  assert.deepEqual({ ...reader.constants }, { ...require('raw-transfer-reader/constants') })
  assert.ok(Object.isFrozen(rt.constants) && Object.isFrozen(reader.constants))
  assert.deepEqual(Object.keys(reader.constants).filter((k) => k.startsWith('JSON_')), [])
})

test('decodeUtf8 decodes in-range bytes, through a Buffer or without one', () => {
  const text = 'héllo wörld 😀, and a longer ASCII tail past eight bytes'
  const ab = new ArrayBuffer(256)
  const u8 = new Uint8Array(ab)
  const n = Buffer.from(ab).write(text)
  for (const buf of [null, undefined, Buffer.from(ab), new Uint8Array(ab)]) {
    assert.equal(reader.decodeUtf8(u8, buf, 0, n), text)
    assert.equal(reader.decodeUtf8(u8, buf, 0, 3), 'hé')
    assert.equal(reader.decodeUtf8(u8, buf, 0, 0), '')
    assert.equal(reader.decodeUtf8(u8, buf, 256, 0), '', 'an empty read at the very end')
    assert.equal(reader.decodeUtf8(u8, buf, n - 4, 4), 'ytes')
  }
})

test('decodeUtf8 at every length around its JS path (0..20 bytes): ASCII, and a multi-byte or invalid byte at every place', () => {
  const ab = new ArrayBuffer(64)
  const u8 = new Uint8Array(ab)
  const buf = Buffer.from(ab)
  const decoder = new TextDecoder()
  for (let len = 0; len <= 20; len++) {
    for (let at = -1; at < len; at++) {
      for (const bad of [[0xc3, 0xa9], [0xff], [0x80], [0xe2, 0x82]]) {
        u8.fill(0)
        for (let k = 0; k < len; k++) u8[k + 3] = 0x21 + ((k * 7) % 90) // printable ASCII
        let n = len
        if (at >= 0) {
          u8.set(bad, at + 3)
          n = Math.max(len, at + bad.length)
        }
        const want = decoder.decode(u8.subarray(3, 3 + n))
        assert.equal(reader.decodeUtf8(u8, buf, 3, n), want, `len ${n}, bytes ${bad} at ${at}`)
        assert.equal(reader.decodeUtf8(u8, null, 3, n), want, `len ${n}, bytes ${bad} at ${at}, no Buffer`)
        if (at < 0) break
      }
    }
  }
})

test('decodeUtf8 refuses reads outside the buffer and arguments it cannot use', () => {
  const ab = new ArrayBuffer(64)
  const u8 = new Uint8Array(ab)
  Buffer.from(ab).write('abcdefghijklmnopqrstuvwxyz')
  const bad = [
    // [u8, buf, pos, len]
    [u8, null, -1, 2], // a negative start read from the end
    [u8, null, 60, 8], // past the end, short path (up to 8 bytes) read undefined as NULs
    [u8, null, 0, 65],
    [u8, Buffer.from(ab), 40, 30], // past the end through a Buffer
    [u8, null, 64, 1],
    [u8, null, 0, -1],
    [u8, null, 2 ** 53, 1],
    [u8, null, 0.5, 1],
    [u8, null, '0', 1],
    [u8, null, 0, NaN],
    [u8, null, 0, 10n],
    ['abc', null, 0, 1],
    [null, null, 0, 0],
    [new Uint16Array(ab), null, 0, 1],
    [u8, Buffer.from(new ArrayBuffer(64)), 0, 4], // another buffer's bytes would be read
    [u8, Buffer.from(ab, 1), 0, 4], // at another offset
    [u8, {}, 0, 4],
  ]
  for (const args of bad) {
    assert.throws(() => reader.decodeUtf8(...args), reader.InvalidArgumentError, `decodeUtf8(${args.slice(2).map(String).join(', ')})`)
  }
  // A view that starts inside the buffer: offsets are the view's.
  const view = new Uint8Array(ab, 8, 8)
  assert.equal(reader.decodeUtf8(view, null, 0, 8), 'ijklmnop')
  assert.throws(() => reader.decodeUtf8(view, null, 4, 5), reader.InvalidArgumentError)
})

test('fromNative types every code a producer may use, lower-case included, and sets code on known classes', () => {
  const native = (message) => Object.assign(new Error(message), { code: 'GenericFailure' })
  const exhausted = reader.fromNative(native('PoolExhausted: every block is out'))
  assert.ok(exhausted instanceof reader.PoolExhaustedError)
  assert.equal(exhausted.code, 'PoolExhausted')
  assert.equal(exhausted.message, 'every block is out')
  const own = reader.fromNative(native('csvSyntax: 3:1:4: bad row'))
  assert.ok(own instanceof reader.RawTransferError)
  assert.equal(own.code, 'csvSyntax')
  assert.deepEqual([own.offset, own.line, own.column], [3, 1, 4])
  const busy = reader.fromNative(native('JobBusy: take() while one waits'))
  assert.ok(busy instanceof reader.JobBusyError)
  assert.equal(busy.code, 'JobBusy')
  // Not of the "<Code>: text" form: returned as it is.
  const plain = native('failed to convert value')
  assert.equal(reader.fromNative(plain), plain)
})

test('decodeUtf8 past the native decoders\' length: pieces cut at character starts decode as the whole does', () => {
  const { decodeInPieces } = require('raw-transfer-reader/raw-buffer')
  const text = 'ascii é → 😀 ' + 'ж'.repeat(7) + '\u{10FFFF}x'.repeat(5) + ' end'
  const bytes = Buffer.from(text)
  for (let piece = 1; piece <= 9; piece++) {
    assert.equal(decodeInPieces(bytes, bytes, 0, bytes.length, piece), text, `pieces of ${piece}`)
    assert.equal(decodeInPieces(bytes, null, 0, bytes.length, piece), text, `pieces of ${piece}, TextDecoder`)
  }
  // Bytes that are not UTF-8 still decode (to replacements), piece by piece, and end.
  const junk = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0xe2, 0x86, 0x41, 0xff, 0xf0, 0x9f])
  for (let piece = 1; piece <= 4; piece++) assert.equal(typeof decodeInPieces(junk, junk, 0, junk.length, piece), 'string')
})

test('unpackSent: a packed hand-off (id × 2^32 + generation) or a record, anything else refused', () => {
  const reader = require('raw-transfer-reader')
  assert.deepEqual(reader.unpackSent(7 * 2 ** 32 + 3), { id: 7, generation: 3, buffer: null })
  assert.deepEqual(reader.unpackSent(65535 * 2 ** 32 + (2 ** 32 - 1)), { id: 65535, generation: 2 ** 32 - 1, buffer: null })
  const record = { id: 2, generation: 9, buffer: new ArrayBuffer(8) }
  assert.deepEqual(reader.unpackSent(record), record)
  assert.deepEqual(reader.unpackSent({ id: 2, generation: 0, buffer: null }), { id: 2, generation: 0, buffer: null })
  const throwing = new Proxy({}, { get() { throw new RangeError('no') } })
  const getter = { get id() { throw new TypeError('no') }, generation: 1, buffer: null }
  for (const [k, bad] of [0, 5, -(2 ** 33), 2 ** 53, 1.5 * 2 ** 32 + 0.5, NaN, null, undefined, 'x', {}, { id: 1 },
    { id: 1.5, generation: 1, buffer: null }, { id: -1, generation: -1, buffer: null }, { id: 0, generation: 1, buffer: null },
    { id: 1, generation: 2 ** 32, buffer: null }, { id: 1, generation: 1, buffer: new Uint8Array(2) }, throwing, getter].entries()) {
    assert.throws(() => reader.unpackSent(bad), (e) => e instanceof reader.InvalidArgumentError && e.code === 'InvalidArgument', `case ${k}`)
  }
})

test('unpackSent gives small integers (Smis), as the record form from native code does: a double there deoptimizes the readers that store it', () => {
  const script = `
    const { unpackSent } = require(${JSON.stringify(require.resolve('raw-transfer-reader'))})
    const s = unpackSent(3 * 2 ** 32 + 12345)
    if (!%IsSmi(s.id) || !%IsSmi(s.generation)) throw new Error('not Smis: ' + JSON.stringify(s))
  `
  const r = spawnSync(process.execPath, ['--allow-natives-syntax', '-e', script], { encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
})
