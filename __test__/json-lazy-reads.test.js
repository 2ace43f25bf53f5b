'use strict'
// Lazy reads of small documents (js/json/document.js, document-reader.js): the key cache
// shared by a thread's documents, and get(key)'s byte comparison of keys.
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { rt } = require('./helpers')

test('the key cache never gives one document the keys of another (same pointers, other blocks, a reused block)', () => {
  const pool = new rt.JsonPool({ size: 2 })
  // Same shapes, so the keys of both documents sit at the same offsets of their blocks.
  const a = pool.parseJson('{"aa":1,"bb":[{"cc":2}]}')
  const b = pool.parseJson('{"xx":1,"yy":[{"zz":2}]}')
  for (let round = 0; round < 3; round++) {
    assert.deepEqual(a.root.keys(), ['aa', 'bb'])
    assert.deepEqual(b.root.keys(), ['xx', 'yy'])
    assert.deepEqual(a.root.get('bb').at(0).keys(), ['cc'])
    assert.deepEqual(b.root.get('yy').at(0).keys(), ['zz'])
    assert.equal(b.root.get('aa'), undefined)
    assert.deepEqual(a.toJS(), { aa: 1, bb: [{ cc: 2 }] })
    assert.deepEqual(b.toJS(), { xx: 1, yy: [{ zz: 2 }] })
  }
  a.release()
  // The block of `a`, again: same offsets, another document.
  const c = pool.parseJson('{"pp":1,"qq":[{"rr":2}]}')
  assert.deepEqual(c.root.keys(), ['pp', 'qq'])
  assert.deepEqual(c.toJS(), { pp: 1, qq: [{ rr: 2 }] })
  assert.deepEqual(b.root.keys(), ['xx', 'yy'])
  b.release()
  c.release()
  pool.close()
})

/** Every key of `value` (own, `__proto__` included) and keys that are near misses of them. */
function probeKeys(value) {
  const keys = Reflect.ownKeys(value)
  const probes = new Set(keys)
  for (const k of keys) {
    probes.add(`${k}x`)
    probes.add(k.slice(0, -1))
    probes.add(k.slice(1))
    if (k.length > 0) probes.add(String.fromCharCode(k.charCodeAt(0) ^ 1) + k.slice(1))
    // Same length, other units: bytes that differ only past the first.
    if (k.length > 1) probes.add(k.slice(0, -1) + String.fromCharCode(k.charCodeAt(k.length - 1) ^ 1))
  }
  return [...probes]
}

/** Check get(k) against JSON.parse's value for every probe key of every object in `node`. */
function checkGets(node, value, where) {
  if (node.type === 'object') {
    for (const k of probeKeys(value)) {
      const child = node.get(k)
      const own = Object.prototype.hasOwnProperty.call(value, k)
      assert.equal(child !== undefined, own, `${where}: get(${JSON.stringify(k)})`)
      if (own) {
        assert.deepEqual(child.value, value[k], `${where}: get(${JSON.stringify(k)}).value`)
        checkGets(child, value[k], `${where}.${k}`)
      }
    }
  } else if (node.type === 'array') {
    for (let i = 0; i < node.length; i++) checkGets(node.at(i), value[i], `${where}[${i}]`)
  }
}

const LONG = 'k'.repeat(60) // longer than the parser's interning limit (48 bytes)
const HAND_WRITTEN = [
  '{"id":1,"id":2,"id":3}',
  '{"a":1,"b":2,"a":{"a":3,"a":4}}',
  '{"__proto__":1,"__proto__":{"x":2},"constructor":3,"toString":4,"hasOwnProperty":5}',
  '{"a\\u0062":1,"ab":2}',
  '{"ab":1,"a\\u0062":2}',
  '{"\\u0069\\u0064":7,"idx":8,"i":9,"":10,"":11}',
  '{"\\n":1,"\\"":2,"\\\\":3,"\\/":4,"\\u0000":5,"a\\u0000":6}',
  '{"é":1,"e\\u0301":2,"\\u00e9":3,"中文":4,"😀":5,"\\uD83D\\uDE00":6,"ab":7}',
  '{"\\ud800":1,"a\\udc00":2,"a\\u0000":3,"\\uDBFF\\uDFFF":4,"\\uDBFF":5}',
  '{"a\\u0000":1,"a\\udc00":2,"\\u0000\\u0000":3,"\\ud800":4}',
  `{"${LONG}":1,"${LONG}":2,"${LONG}a":3,"${LONG.slice(1)}é":4}`,
  `[{"${LONG}":1},{"${LONG}":2,"${LONG}":{"${LONG}":3}},{"${LONG}\\u0041":4}]`,
  '[{"id":1,"name":"a"},{"name":"b","id":2},{"id":3,"id":4},{"ID":5},{"ie":6},{}]',
]

test('get(key) finds what JSON.parse keeps: duplicates, escapes, non-ASCII, lone surrogates, long keys, __proto__', () => {
  const pool = new rt.JsonPool({ size: 1 })
  for (const text of HAND_WRITTEN) {
    const doc = pool.parseJson(text)
    checkGets(doc.root, JSON.parse(text), text)
    doc.release()
  }
  // Keys that are not there, of every length class against one document.
  const doc = pool.parseJson('{"id":1,"é":2,"\\ud800":3}')
  for (const k of ['', 'i', 'd', 'di', 'iD', 'ID', 'ié', 'e', '\u00e8', '\ud801', '\udc00', 'id\u0000', '\u0000id', 'x'.repeat(100)]) {
    assert.equal(doc.root.get(k), undefined, JSON.stringify(k))
  }
  assert.equal(doc.root.get('id').value, 1)
  assert.equal(doc.root.get('é').value, 2)
  assert.equal(doc.root.get('\ud800').value, 3)
  doc.release()
  pool.close()
})

test('get(key) agrees with JSON.parse on 1000 generated documents', () => {
  const { rng, genValue } = require('./json-helpers')
  const pool = new rt.JsonPool({ size: 1 })
  const r = rng(777)
  for (let i = 0; i < 1000; i++) {
    const text = genValue(r, 0)
    const doc = pool.parseJson(text)
    checkGets(doc.root, JSON.parse(text), `case ${i} ${text}`)
    doc.release()
  }
  pool.close()
})

test('get(key) over keys JS overwrote: bounded reads, CorruptDocumentError or a wrong answer, never a hang', () => {
  const C = rt.constants
  const pool = new rt.JsonPool({ size: 1 })
  const text = `{"id":1,"é":2,"\\ud800":3,"${LONG}":4}`
  const keyNode = (doc, k) => doc.root.keySpanAt(k) && doc.raw.u32[((doc.raw.dataOffset + C.JSON_DOC_ROOT + C.JSON_NODE_PAYLOAD) >> 2)] + k * C.JSON_ENTRY_SIZE
  const field = (pos, f) => (pos + f) >> 2
  const writes = [
    // [entry, field, value]: a pointer past the block, with a length that matches the probe
    [0, C.JSON_NODE_PAYLOAD, C.ACTIVE_SIZE - 1],
    [2, C.JSON_NODE_PAYLOAD, C.ACTIVE_SIZE - 3],
    [0, C.JSON_NODE_LEN, 0xffffffff],
    [3, C.JSON_NODE_LEN, 0x7fffffff],
    [0, C.JSON_NODE_KIND, C.JSON_TYPE_STRING | C.JSON_FLAG_UTF16],
    [1, C.JSON_NODE_KIND, C.JSON_TYPE_STRING | C.JSON_FLAG_ASCII],
    [3, C.JSON_NODE_PAYLOAD, 0],
  ]
  let corrupt = 0
  for (const [entry, f, v] of writes) {
    for (const probe of ['id', 'é', '\ud800', LONG, 'xy', 'nope']) {
      const doc = pool.parseJson(text)
      const e = keyNode(doc, entry)
      doc.raw.u32[field(e, f)] = v
      try {
        const child = doc.root.get(probe)
        if (child !== undefined) child.type // a value node of this document
      } catch (err) {
        assert.ok(err instanceof rt.CorruptDocumentError, `${entry}/${f}/${v} ${probe}: ${err && err.stack}`)
        corrupt++
      }
      doc.release()
    }
  }
  assert.ok(corrupt > 0, 'pointers past the block were detected')
  // A length as large as the document: entries are bounded by the document's node count.
  const doc = pool.parseJson(text)
  const rootLen = field(doc.raw.dataOffset + C.JSON_DOC_ROOT, C.JSON_NODE_LEN)
  doc.raw.u32[rootLen] = 0xffffffff
  assert.throws(() => doc.root.get('id'), rt.CorruptDocumentError)
  doc.raw.u32[rootLen] = 4
  assert.equal(doc.root.get('id').value, 1)
  doc.release()
  pool.close()
})

test('the key cache keeps no source of a released document alive (keys of 13+ characters are not slices of it)', () => {
  // V8 makes a substring of 13 or more characters a slice that keeps its parent alive. Keys
  // cut from the latin1 window (a whole source of up to 1 MiB) kept each window alive from
  // the thread's key cache, after the document was released and dropped: 100 documents of
  // 0.9 MB, each with its long key at its own offset (so its own cache slot), held ~88 MB of
  // heap. (Lazy reads only: toJS() stores the keys as property names, and V8 then turns a
  // slice into a reference to its internalized copy.) Measured in a child process.
  const child = `
const { JsonPool } = require(${JSON.stringify(path.join(__dirname, '..'))})
const pool = new JsonPool({ size: 2 })
const heap = () => { globalThis.gc(); globalThis.gc(); return process.memoryUsage().heapUsed }
const before = heap()
for (let i = 0; i < 100; i++) {
  const doc = pool.parseJson('{"pad' + '_'.repeat(i * 3) + '":0,"a_key_of_twenty_chars":1,"filler":"' + 'f'.repeat(900000) + '"}')
  for (const k of doc.root.keys()) if (k.length > 1000) throw new Error('no such key')
  doc.release()
}
pool.close()
console.log(JSON.stringify({ grown: heap() - before }))
`
  const res = spawnSync(process.execPath, ['--expose-gc', '-e', child], { encoding: 'utf8', timeout: 120_000 })
  assert.equal(res.status, 0, res.stderr)
  const { grown } = JSON.parse(res.stdout.trim().split('\n').pop())
  assert.ok(grown < 16 * 2 ** 20, `the heap grew by ${(grown / 2 ** 20).toFixed(1)} MiB after the documents were released and dropped`)
})

test('strings toJS() returns keep no source window alive after their document is gone (values of 13+ characters are not slices)', () => {
  // A plugin that keeps one 40-character id from toJS() of each of many documents must hold
  // about those ids, not each document's decoded source: before, a value of 13..64 ASCII
  // characters was cut from the latin1 window of its source, a slice keeping the whole
  // window alive (2 000 documents of 100 KB kept 195 MB of heap for 80 KB of ids).
  const child = `
const { JsonPool } = require(${JSON.stringify(path.join(__dirname, '..'))})
const pool = new JsonPool({ size: 2 })
const heap = () => { globalThis.gc(); globalThis.gc(); return process.memoryUsage().heapUsed }
const before = heap()
const kept = []
for (let i = 0; i < 500; i++) {
  const doc = pool.parseJson(JSON.stringify({ id: 'an-id-of-forty-characters-' + String(i).padStart(14, '0'), filler: 'f'.repeat(100000) }))
  kept.push(doc.toJS().id)
  doc.release()
}
pool.close()
if (kept.length !== 500 || kept[7] !== 'an-id-of-forty-characters-00000000000007') throw new Error('wrong ids')
console.log(JSON.stringify({ grown: heap() - before }))
`
  const res = spawnSync(process.execPath, ['--expose-gc', '-e', child], { encoding: 'utf8', timeout: 120_000 })
  assert.equal(res.status, 0, res.stderr)
  const { grown } = JSON.parse(res.stdout.trim().split('\n').pop())
  assert.ok(grown < 8 * 2 ** 20, `the heap grew by ${(grown / 2 ** 20).toFixed(1)} MiB for 500 ids of 40 characters`)
})
