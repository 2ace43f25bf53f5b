'use strict'
// toJS() builds what JSON.parse builds, in about the heap JSON.parse uses: containers at
// their final size, integral numbers as small integers (not boxed doubles).
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { rt } = require('./helpers')

const root = path.join(__dirname, '..')

/** Run `code` in a fresh node (the package as `rt`, gc exposed); its stdout parsed as JSON. */
function child(code, nodeArgs = []) {
  const script = `const rt = require(${JSON.stringify(root)});\n${code}`
  const res = spawnSync(process.execPath, ['--expose-gc', ...nodeArgs, '-e', script], { encoding: 'utf8', timeout: 120_000 })
  assert.equal(res.signal, null, `killed by ${res.signal}: ${res.stderr.slice(-2000)}`)
  assert.equal(res.status, 0, res.stderr.slice(-2000))
  return JSON.parse(res.stdout)
}

test('toJS() of many small containers takes at most 1.2x the heap JSON.parse takes', () => {
  // Each shape measured in its own process: the heap the retained value adds, after GC.
  const shapes = ['[0]', '[1,2,3]', '{"a":0}', '{"a":0,"b":1.5,"c":"x","d":null,"e":[]}', '[1.5,-2.5]', '[["x"],[0.5]]', '0', '2.5', '-0']
  // [first elements, then the shape n times]: objects of index keys first must not make
  // later objects of named keys larger.
  const cases = [...shapes.map((shape) => ['', shape]), ['{"0":1,"1":2},'.repeat(20), '{"a":1,"b":2}']]
  for (const [first, shape] of cases) {
    const got = child(`
      const n = 200000
      const text = '[' + ${JSON.stringify(first)} + new Array(n).fill(${JSON.stringify(shape)}).join(',') + ']'
      const heap = () => { gc(); gc(); return process.memoryUsage().heapUsed }
      const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
      const doc = pool.parseJson(text)
      let h0 = heap()
      let keep = JSON.parse(text)
      const parsed = heap() - h0
      const expected = keep
      keep = null
      h0 = heap()
      keep = doc.toJS()
      const toJS = heap() - h0
      require('node:assert/strict').deepEqual(keep, expected)
      console.log(JSON.stringify({ parsed, toJS }))
    `)
    const ratio = got.toJS / got.parsed
    assert.ok(ratio <= 1.2, `${first}${shape}: toJS ${got.toJS} bytes, JSON.parse ${got.parsed} bytes (${ratio.toFixed(2)}x)`)
  }
})

test('toJS() of 3 M one-element arrays fits the heap where JSON.parse of them does', () => {
  // JSON.parse's value takes ~200 MB; arrays grown by push took 3x that and a V8 fatal
  // out-of-memory under this limit.
  const got = child(
    `
      const n = 3000000
      const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
      const doc = pool.parseJson('[' + new Array(n).fill('[0]').join(',') + ']')
      const v = doc.toJS()
      let ok = v.length === n
      for (let i = 0; i < n; i += 9973) ok = ok && v[i].length === 1 && v[i][0] === 0
      console.log(JSON.stringify({ length: v.length, ok }))
    `,
    ['--max-old-space-size=400'],
  )
  assert.deepEqual(got, { length: 3000000, ok: true })
})

test('toJS() values equal JSON.parse: numbers at the small-integer edges, objects of every size, deep nesting', () => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  try {
    const numbers = [0, -0, 1, -1, 2 ** 30 - 1, 2 ** 30, -(2 ** 30), -(2 ** 30) - 1, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 32, 2 ** 53, 0.5, -0.5, 5e-324, 1.7976931348623157e308]
    const texts = [
      `[${numbers.map((x) => (Object.is(x, -0) ? '-0' : String(x))).join(',')},1e400,-1e400]`,
      // objects of 0..12 entries (the sized constructors and past them), duplicates and __proto__
      JSON.stringify(Array.from({ length: 13 }, (_, n) => Object.fromEntries(Array.from({ length: n }, (_, k) => [`k${k}`, k % 3 ? k : [k]])))),
      '[{"a":1,"a":2},{"__proto__":1},{"x":1,"__proto__":{"y":2},"x":3},{"0":1,"1":2},{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"h":9}]',
      // deeper than the recursive builder goes: the iterative one, arrays and objects of several lengths
      `${'[{"a":[1,2],"b":'.repeat(600)}{}${'}]'.repeat(600)}`,
      `${'[1,'.repeat(1200)}[]${']'.repeat(1200)}`,
    ]
    for (const [i, text] of texts.entries()) {
      const doc = pool.parseJson(text)
      const v = doc.toJS()
      const expected = JSON.parse(text)
      if (i < 3) assert.deepStrictEqual(v, expected, text.slice(0, 80)) // (its recursion overflows on the deep ones)
      assert.equal(JSON.stringify(v), JSON.stringify(expected))
      // Plain objects: Object.prototype, `constructor` Object, no own extras.
      const objects = []
      ;(function visit(x, depth) {
        if (depth > 5000 || x === null || typeof x !== 'object') return
        if (!Array.isArray(x)) objects.push(x)
        for (const k of Object.keys(x)) visit(x[k], depth + 1)
      })(v, 0)
      for (const o of objects) {
        assert.equal(Object.getPrototypeOf(o), Object.prototype)
        assert.equal(o.constructor, Object)
      }
      doc.release()
    }
    const doc = pool.parseJson('[-0,{"n":-0}]')
    const v = doc.toJS()
    assert.ok(Object.is(v[0], -0) && Object.is(v[1].n, -0))
    assert.ok(Object.is(doc.root.at(0).value, -0))
    doc.release()
  } finally {
    pool.close()
  }
})

test('toJS() of objects whose first key is longer than the key cache keeps (256 bytes) equals JSON.parse', () => {
  // Sizing an object peeked at its first key by decoding it, which charged the key to the
  // call's budget (a call decodes at most its source's bytes), and a key too long to be
  // cached was decoded and charged again: '{"<257 x k>":1}' threw CorruptDocumentError.
  const pool = new rt.JsonPool({ size: 1 })
  try {
    const texts = [
      JSON.stringify({ ['k'.repeat(257)]: 1 }),
      JSON.stringify({ ['k'.repeat(300)]: 'v', b: 2 }),
      JSON.stringify([{ ['é'.repeat(200)]: 1 }, { [`\ud800${'x'.repeat(300)}`]: [{ ['1'.repeat(400)]: 0 }] }]),
      `[${'{"a":1},'.repeat(3)}${JSON.stringify({ ['z'.repeat(5000)]: 'z'.repeat(5000) })}]`,
    ]
    for (const text of texts) {
      const doc = pool.parseJson(text)
      const expected = JSON.parse(text)
      assert.deepStrictEqual(doc.toJS(), expected)
      assert.deepStrictEqual(doc.root.value, expected)
      assert.equal(JSON.stringify(doc), JSON.stringify(expected))
      doc.release()
    }
  } finally {
    pool.close()
  }
})
