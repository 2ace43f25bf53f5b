'use strict'
// Cases the node:test suite, the runtime smoke test (runtimes/smoke.js: Node, Bun, Deno)
// and the test-runner hosts (hosts/) share. node:assert only, and `rt` passed in, so that
// each runs them on the package it loaded.

const assert = require('node:assert/strict')
const { sameJson } = require('./json-helpers')

// Strings across the reader's paths: the ASCII fast path (< 32 bytes), the decoder, and
// the boundaries between them; lone surrogates become U+FFFD on the way to UTF-8.
const STRINGS = [
  '',
  'a',
  'plain ascii',
  'x'.repeat(31),
  'x'.repeat(32),
  'x'.repeat(33),
  'x'.repeat(30) + 'é',
  'héllo, wörld ✓ 😀',
  '中文字符串',
  '\u0000nul\u0001',
  'x'.repeat(5000) + '😀',
  'lone \ud800 surrogate',
]

/** Documents where a parser or a reader easily differs from JSON.parse. */
const TRICKY_JSON = [
  'null',
  'true',
  'false',
  '0',
  '-0',
  '1e400',
  '-1e400',
  '5e-324',
  '1.7976931348623157e308',
  '123456789012345678901234567890',
  '0.1',
  ' \t\r\n 42 \n',
  '""',
  '"plain"',
  '"a long ascii string over twelve bytes"',
  '"\\"\\\\\\/\\b\\f\\n\\r\\t"',
  '"\\u0000\\u001f\\u00e9\\u4e2d"',
  '"\\uD83D\\uDE00 pair"',
  '"lone \\ud800"',
  '"\\udc00x"',
  '"\\ud800\\ud800"',
  '"é中😀 raw utf-8"',
  '[]',
  '{}',
  '[[[]]]',
  '{"a":{"b":{"c":[1,{"d":null}]}}}',
  '{"a":1,"b":2,"a":3}',
  '{"__proto__":{"x":1}}',
  '{"__proto__":1,"__proto__":2}',
  '{"constructor":"c","toString":1}',
  '{"":"empty key"}',
  '[1,"two",true,null,{"x":[]}]',
  '{"é":"accented key","中文":"cjk key","😀":"emoji key"}',
  '9007199254740993',
  '{"constructor":"c","toString":1,"hasOwnProperty":2}',
  '{"":"empty key","é":"accented","😀":"emoji"}',
  '[1,"two",true,null,{"x":[]},-0.5e-3,' + '"' + 'long '.repeat(40) + '"]',
  JSON.stringify({ list: Array.from({ length: 300 }, (_, i) => ({ i, s: `item ${i}`, f: i / 7 })) }),
  '['.repeat(2000) + ']'.repeat(2000),
]

/** `[text, offset, line, column]` of a syntax error. */
const BAD_JSON = [
  ['{"a":1,}', 7, 1, 8],
  ['[1,2', 4, 1, 5],
  ['', 0, 1, 1],
  ['[\n  "é", tru]', 13, 2, 11],
  ['"raw\ncontrol"', 4, 1, 5],
]

/** parseJson (string and UTF-8 bytes in turn) of every TRICKY_JSON: toJS, the lazy view and text() agree with JSON.parse. */
function checkTrickyJson(pool) {
  const enc = new TextEncoder()
  for (const [i, text] of TRICKY_JSON.entries()) {
    const expected = JSON.parse(text)
    const doc = pool.parseJson(i % 2 ? enc.encode(text) : text)
    try {
      assert.equal(sameJson(doc.toJS(), expected), null, text.slice(0, 80))
      assert.equal(sameJson(doc.root.value, expected), null, `lazy view: ${text.slice(0, 80)}`)
      assert.equal(doc.text(), text)
    } finally {
      doc.release()
    }
  }
}

/** RAW_TRANSFER_MODE=copy turns 'auto' into 'copy'; an explicit 'external' is kept (where the runtime allows it). */
function checkCopyModeForcedByEnv(rt, env, { externalAllowed = true } = {}) {
  const saved = env.RAW_TRANSFER_MODE
  env.RAW_TRANSFER_MODE = 'copy'
  try {
    const pool = new rt.JsonPool({ size: 1 })
    assert.equal(pool.transferMode, 'copy')
    pool.close()
    if (externalAllowed) {
      const explicit = new rt.JsonPool({ size: 1, transfer: 'external' })
      assert.equal(explicit.transferMode, 'external')
      explicit.close()
    }
  } finally {
    if (saved === undefined) delete env.RAW_TRANSFER_MODE
    else env.RAW_TRANSFER_MODE = saved
  }
}

/** A released block refuses every use (StaleBufferError), release is idempotent, and its old generation is stale once reused. */
function checkStaleAfterRelease(rt, pool) {
  const block = pool.acquire()
  const gen = block.generation
  block.release()
  assert.throws(() => block.writeString('x'), rt.StaleBufferError)
  assert.throws(() => block.writeBytes(new Uint8Array(1)), rt.StaleBufferError)
  assert.throws(() => block.setDataOffset(0), rt.StaleBufferError)
  assert.throws(() => block.usedBytes, rt.StaleBufferError)
  block.release() // idempotent
  const next = pool.acquire()
  assert.throws(() => block.raw.assertGeneration(gen), rt.StaleBufferError)
  next.raw.assertGeneration(next.generation)
  return next
}

/**
 * A pool closed while JS holds the RawBuffer of a block it wrote 'survives close' into and
 * released: `{ raw, w, mode }`, nothing else of the pool reachable. `readAfterClose(holder)`
 * is what the buffer then reads: external, the block stays mapped for JS but its memory
 * went back at close (it was released, its bytes were stale anyway): zeros; copy, JS holds
 * its own copy.
 */
function closedPoolHolder(rt, transfer) {
  const pool = new rt.JsonPool({ size: 2, transfer })
  const a = pool.acquire()
  const w = a.writeString('survives close')
  a.release()
  const raw = a.raw
  const mode = pool.transferMode
  pool.close()
  return { raw, w, mode }
}

function readAfterClose({ raw, w, mode, text = 'survives close' }) {
  const read = raw.str(w.ptr, w.len)
  assert.equal(read, mode === 'external' ? '\0'.repeat(w.len) : text)
  return read
}

module.exports = { STRINGS, TRICKY_JSON, BAD_JSON, checkTrickyJson, checkCopyModeForcedByEnv, checkStaleAfterRelease, closedPoolHolder, readAfterClose }
