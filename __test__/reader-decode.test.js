'use strict'
// raw-transfer/reader's decodeUtf8 checks its range against the buffer: a read out of range
// is an InvalidArgumentError, not NULs, bytes counted from the end or a RangeError.
const test = require('node:test')
const assert = require('node:assert/strict')
const reader = require('../reader')

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
