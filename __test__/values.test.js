'use strict'
// Lazy nodes behave like values where JS expects it: JSON.stringify (toJSON), util.inspect
// summaries, iteration, no visible private state, structuredClone copying nothing, and
// keys() returning what index.d.ts says.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const util = require('node:util')
const { MessageChannel } = require('node:worker_threads')
const { rt } = require('./helpers')
const { rng, genValue } = require('./json-helpers')

const corpusDir = path.join(__dirname, '..', '..', 'shared', 'corpus')
const SAMPLES = [
  '{"a": [1, {"b": "é"}], "s": "hello", "n": null, "t": true, "f": false}',
  '[]',
  '{}',
  '"just a string with \\u00e9scapes \\ud83d\\ude00"',
  '-0',
  '1e400',
  '[1, -0, 1e400, 5e-324, 123456789012345678901234567890]',
  '{"__proto__": {"x": 1}, "constructor": 2, "k": 1, "k": 2}',
  '{"lone": "\\ud800", "nested": [[[[{"deep": [null]}]]]]}',
]

function withPool(fn) {
  const pool = new rt.FixedSizeAllocatorPool({ size: 2 })
  try {
    return fn(pool)
  } finally {
    pool.close()
  }
}

/** Every node of the document, depth first. */
function* nodes(node) {
  yield node
  for (const child of node.children()) yield* nodes(child)
}

test('JSON.stringify(doc) and JSON.stringify(node) equal JSON.stringify(JSON.parse(text))', () => {
  withPool((pool) => {
    const texts = [...SAMPLES]
    const r = rng(7)
    for (let i = 0; i < 200; i++) texts.push(genValue(r, 0))
    for (const text of texts) {
      const expected = JSON.parse(text)
      const doc = pool.parseJson(text)
      assert.equal(JSON.stringify(doc), JSON.stringify(expected), text)
      assert.equal(JSON.stringify(doc.root), JSON.stringify(expected), text)
      assert.equal(JSON.stringify({ doc, root: doc.root }), JSON.stringify({ doc: expected, root: expected }))
      // Every subtree: its JSON is the JSON.parse of its source span.
      for (const node of nodes(doc.root)) {
        assert.equal(JSON.stringify(node), JSON.stringify(JSON.parse(doc.text(node.span))), text)
      }
      assert.equal(JSON.stringify(doc, null, 2), JSON.stringify(expected, null, 2))
      doc.release()
      assert.throws(() => JSON.stringify(doc), rt.StaleBufferError)
    }
  })
})

test('JSON.stringify on the corpus files', (t) => {
  if (!fs.existsSync(corpusDir)) return t.skip(`no JSON corpus at ${corpusDir} (twitter.json, citm_catalog.json: see README.md, Testing)`)
  withPool((pool) => {
    for (const name of fs.readdirSync(corpusDir).filter((f) => f.endsWith('.json'))) {
      const text = fs.readFileSync(path.join(corpusDir, name), 'utf8')
      const expected = JSON.parse(text)
      const doc = pool.parseJson(text)
      assert.equal(JSON.stringify(doc), JSON.stringify(expected), name)
      const root = doc.root
      assert.equal(root.type, 'object')
      for (const [key, child] of root) assert.equal(JSON.stringify(child), JSON.stringify(expected[key]), `${name}: ${key}`)
      doc.release()
    }
  })
})

test('util.inspect is a short summary, never the buffer', () => {
  withPool((pool) => {
    const big = JSON.stringify({ items: Array.from({ length: 5000 }, (_, i) => ({ i, name: `item ${i}`.repeat(5) })) })
    for (const text of [...SAMPLES, big]) {
      const doc = pool.parseJson(text)
      const values = [doc, doc.root, ...doc.root.children().slice(0, 20), doc.raw, pool.cache, { nested: { doc, root: doc.root } }]
      for (const v of values) {
        for (const opts of [{}, { depth: Infinity, showHidden: true }, { colors: true }]) {
          const s = util.inspect(v, opts)
          assert.ok(s.length < 300, `inspect too long (${s.length}): ${s.slice(0, 400)}`)
          assert.doesNotMatch(s, /Uint8Array|Uint32Array|ArrayBuffer|Float64Array|Buffer \[|notCloneable|#/, s)
        }
      }
      assert.match(util.inspect(doc), /^JsonDocument <block \d+, generation \d+, \d+ bytes, \d+ nodes, root \w+>$/)
      assert.match(util.inspect(doc.raw), /^RawBuffer <\d+ bytes, generation \d+, dataOffset \d+>$/)
      assert.match(util.inspect(doc.root), /^JsonNode <\w+.*, span \d+\.\.\d+>$/)
      doc.release()
      assert.match(util.inspect(doc), /^JsonDocument <released, block \d+>$/)
    }
    const doc = pool.parseJson('{"a": [1, 2, 3], "s": "' + 'x'.repeat(1000) + '", "n": -0}')
    assert.equal(util.inspect(doc.root), 'JsonNode <object, 3 entries: "a", "s", "n", span 0..1034>')
    assert.equal(util.inspect(doc.root.get('a')), 'JsonNode <array, length 3, span 6..15>')
    assert.equal(util.inspect(doc.root.get('n')), 'JsonNode <number -0, span 1031..1033>')
    assert.match(util.inspect(doc.root.get('s')), /^JsonNode <string "x{40}…", span 22..1024>$/)
    const node = doc.root.get('a')
    doc.release()
    assert.equal(util.inspect(node), 'JsonNode <released>')
    assert.equal(`${util.format('%o', node)}`.length < 300, true)
  })
})

test('for…of and Array.from: array elements are nodes (as at(i)), object entries are [key, node]', () => {
  withPool((pool) => {
    const doc = pool.parseJson('{"a": [10, "x", {"b": null}, [true]], "k": 1, "k": 2, "__proto__": 3}')
    const root = doc.root
    const a = root.get('a')
    const elements = Array.from(a)
    assert.equal(elements.length, 4)
    assert.ok(elements.every((e) => e instanceof rt.JsonNode))
    assert.deepEqual(elements.map((e) => e.value), [10, 'x', { b: null }, [true]])
    assert.deepEqual(elements.map((e) => e.span), a.children().map((c) => c.span))
    for (let i = 0; i < a.length; i++) assert.deepEqual(elements[i].span, a.at(i).span)
    assert.deepEqual([...a].map((e) => e.type), ['number', 'string', 'object', 'array'])
    const entries = [...root]
    assert.deepEqual(entries.map(([k]) => k), ['a', 'k', 'k', '__proto__'])
    assert.deepEqual(entries.map(([, v]) => v.value).slice(1), [1, 2, 3])
    assert.deepEqual(new Map(root).get('k').value, 2) // the last duplicate, as JSON.parse
    assert.deepEqual(Object.fromEntries(Array.from(root, ([k, v]) => [k, v.value])), JSON.parse(doc.text()))
    assert.deepEqual(Array.from(root.get('a').at(2)).map(([k, v]) => [k, v.value]), [['b', null]])
    assert.deepEqual([...pool.parseJson('[]').root], [])
    for (const scalar of [root.get('k'), a.at(1), a.at(2).get('b'), a.at(3).at(0)]) {
      assert.throws(() => [...scalar], { name: 'TypeError', message: /is not iterable/ })
      assert.equal(scalar.length, undefined)
    }
    // Stale iteration throws rather than yielding garbage.
    const it = a[Symbol.iterator]()
    it.next()
    doc.release()
    assert.throws(() => it.next(), rt.StaleBufferError)
  })
})

test('Object.keys, spread and for…in show nothing private', () => {
  withPool((pool) => {
    const doc = pool.parseJson('{"a": [1]}')
    const block = pool.acquire()
    for (const v of [doc, doc.root, doc.root.get('a'), doc.raw, block.raw]) {
      assert.deepEqual(Object.keys(v), [])
      assert.deepEqual({ ...v }, {})
      for (const k in v) assert.fail(`for…in shows ${k}`)
      assert.deepEqual(Object.getOwnPropertySymbols(v), [])
      const names = Object.getOwnPropertyNames(v)
      assert.deepEqual(names, [], `own properties: ${names}`)
      // The marker that says what to send instead sits on the prototype.
      assert.equal(typeof v.notCloneable, 'symbol')
    }
    assert.deepEqual(Object.keys(pool.cache), [])
    // The public accessors still work.
    assert.equal(doc.raw.u8.byteLength, 1 << 20)
    assert.equal(doc.raw.arrayBuffer.byteLength, 1 << 20)
    assert.equal(typeof doc.bufferId, 'number')
    assert.equal(doc.root, doc.root, 'root is cached')
    block.release()
    doc.release()
  })
})

test('structuredClone and postMessage of nodes, documents, Blocks and RawBuffers give {} at once, never the buffer', async () => {
  await withPool(async (pool) => {
    const doc = pool.parseJson(JSON.stringify({ a: Array.from({ length: 1000 }, (_, i) => i) }))
    const block = pool.acquire()
    const { port1, port2 } = new MessageChannel()
    try {
      const cases = [
        [doc, {}],
        [doc.root, {}],
        [doc.root.get('a').at(3), {}],
        [doc.raw, {}],
        [block, {}],
        [block.raw, {}],
        [{ wrapped: [doc.root] }, { wrapped: [{}] }],
      ]
      for (const [v, expected] of cases) {
        const t0 = performance.now()
        // Their state is #private, as with any such class instance: nothing of it is copied.
        assert.deepEqual(structuredClone(v), expected)
        const got = new Promise((resolve) => port2.once('message', resolve))
        port1.postMessage(v)
        assert.deepEqual(await got, expected)
        // Far below the time a 2 GiB copy takes (assert the behaviour, log the time).
        const ms = performance.now() - t0
        assert.ok(ms < 1000, `${ms} ms`)
      }
      // What to send instead works.
      assert.deepEqual(structuredClone(doc.root.value), doc.toJS())
      assert.deepEqual(structuredClone(doc.toJS()), JSON.parse(doc.text()))
      assert.deepEqual(JSON.parse(JSON.stringify(doc.root)), doc.toJS())
      const got = new Promise((resolve) => port2.once('message', resolve))
      port1.postMessage(doc.root.get('a').toJSON())
      assert.equal((await got).length, 1000)
    } finally {
      port1.close()
      block.release()
      doc.release()
    }
  })
})

test('keys() and entries() at run time match index.d.ts', () => {
  withPool((pool) => {
    const doc = pool.parseJson('{"o": {"x": 1, "y": 2}, "a": ["p", "q", "r"], "s": "str", "n": 0, "b": true, "z": null}')
    const root = doc.root
    const o = root.get('o')
    assert.deepEqual(o.keys(), ['x', 'y']) // JsonObjectNode.keys(): string[]
    assert.ok(o.keys().every((k) => typeof k === 'string'))
    assert.ok(o.entries().every(([k, v, span]) => typeof k === 'string' && v instanceof rt.JsonNode && typeof span.start === 'number'))
    const a = root.get('a')
    assert.deepEqual(a.keys(), [0, 1, 2]) // JsonArrayNode.keys(): number[]
    assert.ok(a.entries().every(([k, v, more]) => typeof k === 'number' && v instanceof rt.JsonNode && more === undefined))
    assert.equal(a.length, 3)
    assert.equal(o.length, 2)
    for (const key of ['s', 'n', 'b', 'z']) {
      const scalar = root.get(key)
      assert.deepEqual(scalar.keys(), []) // JsonScalarNode.keys(): []
      assert.deepEqual(scalar.entries(), [])
      assert.deepEqual(scalar.children(), [])
      assert.equal(scalar.get('x'), undefined)
      assert.equal(scalar.at(0), undefined)
      assert.equal(scalar.keySpanAt(0), undefined)
      assert.equal(scalar.isContainer, false)
      assert.deepEqual(scalar.toJSON(), scalar.value)
    }
    assert.deepEqual(
      ['o', 'a', 's', 'n', 'b', 'z'].map((k) => root.get(k).type),
      ['object', 'array', 'string', 'number', 'boolean', 'null'],
    )
    doc.release()
  })
})

test('JsonDocument and JsonNode are not constructible by user code', () => {
  assert.throws(() => new rt.JsonDocument(), {
    name: 'InvalidArgumentError',
    message: 'JsonDocument objects come from pool.parseJson() or parseJsonFiles()',
  })
  assert.throws(() => new rt.JsonDocument({}), rt.InvalidArgumentError)
  assert.throws(() => new rt.JsonDocument(Symbol('token')), rt.InvalidArgumentError)
  assert.throws(() => new rt.JsonNode(), { name: 'InvalidArgumentError', message: /JsonNode objects come from a JsonDocument/ })
  withPool((pool) => {
    const doc = pool.parseJson('[1]')
    assert.ok(doc instanceof rt.JsonDocument)
    assert.ok(doc.root instanceof rt.JsonNode)
    doc.release()
  })
})

test('using: documents, blocks and pools answer to Symbol.dispose and the esbuild fallback', () => {
  const fallback = Symbol.for('Symbol.dispose')
  withPool((pool) => {
    const doc = pool.parseJson('[1]')
    assert.equal(typeof doc[Symbol.dispose], 'function')
    assert.equal(typeof doc[fallback], 'function')
    doc[fallback]()
    assert.equal(doc.released, true)
  })
})
