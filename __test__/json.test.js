'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { rt, MODES } = require('./helpers')
const { sameJson, rng, genValue } = require('./json-helpers')
const { checkTrickyJson } = require('./cases')

for (const transfer of MODES) {
  test(`${transfer}: toJS equals JSON.parse on hand-written cases`, () => {
    const pool = new rt.JsonPool({ size: 1, transfer })
    checkTrickyJson(pool)
    pool.close()
  })
}

test('toJS equals JSON.parse on 2000 generated documents (string and bytes input)', () => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  const r = rng(12345)
  const enc = new TextEncoder()
  for (let i = 0; i < 2000; i++) {
    const text = genValue(r, 0)
    const expected = JSON.parse(text)
    const input = i % 2 ? text : enc.encode(text)
    const doc = pool.parseJson(input)
    const diff = sameJson(doc.toJS(), expected)
    assert.equal(diff, null, `case ${i} ${text}: ${diff}`)
    // The lazy view agrees with the materialized one.
    assert.equal(sameJson(doc.root.value, expected), null)
    doc.release()
  }
  pool.close()
})

test('short strings of every width and UTF-8 length decode as JSON.parse does (values, keys, toJS)', () => {
  // Up to 16 bytes are decoded in JS (Reader.str): 1- to 4-byte sequences at every offset
  // around that bound, as values read alone, as keys, and materialized.
  const chars = ['a', 'é', '中', '😀', '\u0080', '\u07ff', '\u0800', '\uffff', '\u{10000}', '\u{10ffff}']
  const strings = ['']
  for (const c of chars) {
    for (let pad = 0; pad <= 18; pad++) strings.push('x'.repeat(pad) + c, c + 'y'.repeat(pad), 'x'.repeat(pad >> 1) + c + 'y'.repeat(pad - (pad >> 1)))
  }
  for (let n = 1; n <= 20; n++) strings.push('é'.repeat(n), '中'.repeat(n), '😀'.repeat(n), 'z'.repeat(n))
  const obj = Object.fromEntries(strings.map((str, i) => [str, i]))
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  try {
    const doc = pool.parseJson(JSON.stringify({ list: strings, obj }))
    const list = doc.root.get('list')
    for (let i = 0; i < strings.length; i++) assert.equal(list.at(i).value, strings[i], `element ${i}`)
    const keys = doc.root.get('obj').keys()
    assert.deepEqual(keys, Object.keys(obj))
    assert.equal(sameJson(doc.toJS(), { list: strings, obj }), null)
    doc.release()
  } finally {
    pool.close()
  }
})

test('deep nesting: 100 000 levels parse and materialize without stack overflow', () => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  const n = 100000
  for (const text of ['['.repeat(n) + ']'.repeat(n), '{"a":'.repeat(n) + '1' + '}'.repeat(n)]) {
    const doc = pool.parseJson(text)
    assert.equal(doc.maxDepth, n)
    const v = doc.toJS()
    let depth = 0
    for (let x = v; typeof x === 'object'; x = Array.isArray(x) ? x[0] : x.a) depth++
    assert.equal(depth, n)
    doc.release()
  }
  pool.close()
})

test('lazy view: get, at, keys, entries, spans, positions', () => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  const text = '{\n  "id": 7,\n  "tags": ["a", "bé", 3.5],\n  "id": "dup",\n  "nested": {"ok": true, "no": null}\n}'
  const doc = pool.parseJson(text)
  const root = doc.root
  assert.equal(root.type, 'object')
  assert.equal(root.length, 4)
  assert.deepEqual(root.keys(), ['id', 'tags', 'id', 'nested'])
  assert.equal(root.get('id').value, 'dup', 'last duplicate wins, as in JSON.parse')
  assert.equal(root.get('missing'), undefined)
  const tags = root.get('tags')
  assert.equal(tags.type, 'array')
  assert.equal(tags.length, 3)
  assert.equal(tags.at(1).value, 'bé')
  assert.equal(tags.at(-1).value, 3.5)
  assert.equal(tags.at(3), undefined)
  assert.equal(doc.text(tags.span), '["a", "bé", 3.5]')
  assert.equal(root.get('nested').get('ok').type, 'boolean')
  assert.equal(root.get('nested').get('no').type, 'null')
  const [, , firstIdKey] = root.entries()[0]
  assert.deepEqual(doc.position(firstIdKey.start), { line: 2, column: 3 })
  const [, , secondIdKey] = root.entries()[2]
  assert.deepEqual(doc.position(secondIdKey.start), { line: 4, column: 3 })
  assert.equal(doc.nodeCount, 10)
  assert.equal(doc.maxDepth, 2)
  doc.release()
  pool.close()
})

test('syntax errors carry the offending byte, line and column', () => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  const bad = [
    ['{"a":1,}', 7, 1, 8],
    ['[1,2', 4, 1, 5],
    ['', 0, 1, 1],
    ['01', 1, 1, 2],
    ['"\\x"', 2, 1, 3],
    ['[\n  "é", tru]', 13, 2, 11],
    ['{"a" 1}', 5, 1, 6],
    ['\ufeff{}', 0, 1, 1],
    ['[1] 2', 4, 1, 5],
    ['"unterminated', 13, 1, 14],
    ['"raw\ncontrol"', 4, 1, 5],
  ]
  for (const [text, offset, line, column] of bad) {
    assert.throws(() => JSON.parse(text), SyntaxError, `JSON.parse accepts ${JSON.stringify(text)}`)
    assert.throws(
      () => pool.parseJson(text),
      (e) => {
        assert.ok(e instanceof rt.JsonSyntaxError, `${JSON.stringify(text)}: ${e}`)
        assert.deepEqual([e.offset, e.line, e.column], [offset, line, column], `${JSON.stringify(text)}: ${e.message}`)
        return true
      },
    )
  }
  // Invalid UTF-8 bytes are rejected at their offset.
  assert.throws(
    () => pool.parseJson(Uint8Array.from([0x22, 0x61, 0xff, 0x22])),
    (e) => e.offset === 2,
  )
  // A failed parse does not hold a block.
  assert.equal(pool.stats().inUse, 0)
  pool.close()
})

test('a released document is stale', () => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  const doc = pool.parseJson('{"a":[1,2,3]}')
  const node = doc.root.get('a')
  doc.release()
  assert.throws(() => doc.root, rt.StaleBufferError)
  assert.throws(() => node.at(0), rt.StaleBufferError)
  assert.throws(() => doc.toJS(), rt.StaleBufferError)
  const next = pool.parseJson('[9]')
  assert.equal(next.bufferId, doc.bufferId)
  assert.throws(() => node.value, rt.StaleBufferError)
  assert.deepEqual(next.toJS(), [9])
  next.release()
  pool.close()
})

const corpusDir = path.join(__dirname, '..', '..', 'shared', 'corpus')
test('real-world corpus equals JSON.parse', (t) => {
  if (!fs.existsSync(corpusDir)) return t.skip(`no JSON corpus at ${corpusDir} (twitter.json, citm_catalog.json: see README.md, Testing)`)
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  for (const name of fs.readdirSync(corpusDir).filter((f) => f.endsWith('.json'))) {
    const bytes = fs.readFileSync(path.join(corpusDir, name))
    const doc = pool.parseJson(bytes)
    assert.equal(sameJson(doc.toJS(), JSON.parse(bytes.toString('utf8'))), null, name)
    doc.release()
  }
  pool.close()
})

test('position() agrees with a UTF-16 count, in any call order, on long lines', () => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  const text = '{"é😀":1,' + Array.from({ length: 300 }, (_, i) => `"k${i}":"v😀${i}"`).join(',') + ',\n"x":\n[1,\n"中"]}'
  const doc = pool.parseJson(text)
  const bytes = Buffer.from(text)
  const expected = (offset) => {
    const before = bytes.subarray(0, offset).toString('utf8')
    const lines = before.split('\n')
    return { line: lines.length, column: lines[lines.length - 1].length + 1 }
  }
  const offsets = []
  doc.root.forEach((child, key, i) => {
    offsets.push(doc.root.keySpanAt(i).start, child.span.start, child.span.end - 1)
  })
  for (const o of offsets) assert.deepEqual(doc.position(o), expected(o), `offset ${o}`)
  for (const o of offsets.slice().reverse()) assert.deepEqual(doc.position(o), expected(o), `offset ${o} (reverse)`)
  assert.throws(() => doc.position(-1), rt.InvalidArgumentError)
  doc.release()
  pool.close()
})

test('forEach visits children without materializing, and stops on false', () => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  const doc = pool.parseJson('{"a":[10,20,30],"b":{"c":true},"a":"dup"}')
  const seen = []
  doc.root.forEach((child, key) => seen.push([key, child.type, child.isContainer]))
  assert.deepEqual(seen, [
    ['a', 'array', true],
    ['b', 'object', true],
    ['a', 'string', false],
  ])
  const items = []
  doc.root.get('b').forEach(() => {}) // object with one entry
  doc.root.entries()[0][1].forEach((child, index) => {
    items.push([index, child.value])
    return index < 1
  })
  assert.deepEqual(items, [
    [0, 10],
    [1, 20],
  ])
  assert.equal(doc.root.keySpanAt(5), undefined)
  assert.equal(doc.text(doc.root.keySpanAt(1)), '"b"')
  doc.release()
  pool.close()
})
