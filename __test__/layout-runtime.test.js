'use strict'
// The typed-layout runtime, raw-transfer-reader/layout, shared by every generated module:
// modules of two layouts in one process (the fixture's, __test__/layout/generated/, and the
// bench's AST, benches/js/layout/generated/; blocks written to target/layout-fixture/ by
// `cargo test --lib layout`) read their documents interleaved and nested without touching
// each other's state, and a module refuses a runtime of another version.
const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')
const { pathToFileURL } = require('node:url')
const reader = require('raw-transfer-reader')
const layout = require('raw-transfer-reader/layout')
const fixture = require('./layout/generated/fixture.js')
const ast = require('../benches/js/layout/generated/ast.js')

const { RawBuffer, RawTransferError, InvalidArgumentError, LayoutMismatchError, StaleBufferError } = reader
const DIR = path.join(__dirname, '..', 'target', 'layout-fixture')
const FIXTURE_JS = require.resolve('./layout/generated/fixture.js')

function fixtureFile(name) {
  const file = path.join(DIR, name)
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run \`cargo test --lib layout\` first (npm test does)`)
  return file
}

/** A block the Rust tests wrote, in a buffer of a power of two of at least 1 MiB. */
function load(name) {
  const bytes = fs.readFileSync(fixtureFile(name))
  let size = 1 << 20
  while (size < bytes.length) size *= 2
  const ab = new ArrayBuffer(size)
  new Uint8Array(ab).set(bytes)
  return new RawBuffer(ab)
}
const json = (name) => JSON.parse(fs.readFileSync(fixtureFile(name), 'utf8'))

test('layout.mjs names every export of layout.js, and the subpath is the package\'s own module', async () => {
  const esm = await import('raw-transfer-reader/layout')
  assert.deepStrictEqual(Object.keys(esm).filter((k) => k !== 'default').sort(), Object.keys(layout).sort())
  assert.strictEqual(esm.default, layout)
  assert.strictEqual(require.resolve('raw-transfer-reader/layout'), path.join(__dirname, '..', 'npm', 'reader', 'layout.js'))
  assert.strictEqual(layout.READER_VERSION, require('raw-transfer-reader/package.json').version)
  assert.strictEqual(layout.LayoutMismatchError, LayoutMismatchError)
})

test('a generated module holds no runtime: it requires raw-transfer-reader/layout', () => {
  for (const file of [FIXTURE_JS, require.resolve('../benches/js/layout/generated/ast.js')]) {
    const src = fs.readFileSync(file, 'utf8')
    assert.match(src, /^const \$layout = require\('raw-transfer-reader\/layout'\)$/m)
    for (const fn of ['function ptr(', 'function str(', 'class Doc', 'function f32exact(']) assert.ok(!src.includes(fn), `${file} defines ${fn}`)
  }
})

test('a module generated for another layout runtime version refuses to load, naming both versions', () => {
  const file = require.resolve('raw-transfer-reader/layout')
  const entry = require.cache[file]
  const real = entry.exports
  const original = require.cache[FIXTURE_JS]
  delete require.cache[FIXTURE_JS]
  try {
    for (const other of [real.LAYOUT_RUNTIME_VERSION + 1, undefined]) {
      entry.exports = { ...real, LAYOUT_RUNTIME_VERSION: other }
      assert.throws(
        () => require(FIXTURE_JS),
        (e) => {
          assert.ok(e instanceof layout.LayoutRuntimeMismatchError && e instanceof RawTransferError, String(e))
          assert.strictEqual(e.code, 'LayoutRuntimeMismatch')
          assert.match(e.message, new RegExp(`^fixture\\.js was generated for version ${real.LAYOUT_RUNTIME_VERSION} of the layout runtime, but raw-transfer-reader ${real.READER_VERSION} has version ${other}: .*regenerate`))
          return true
        },
      )
      assert.strictEqual(require.cache[FIXTURE_JS], undefined)
    }
  } finally {
    entry.exports = real
    delete require.cache[FIXTURE_JS]
  }
  try {
    // The right version loads (a fresh instance of the module, with state of its own).
    const again = require(FIXTURE_JS)
    assert.notStrictEqual(again, fixture)
    assert.deepStrictEqual(again.NODE_TYPES, fixture.NODE_TYPES)
    assert.throws(() => again.release(fixture.readProgram(load('fixture.bin'))), InvalidArgumentError)
  } finally {
    require.cache[FIXTURE_JS] = original
  }
  // The class is in the realm's registry (what native code throws for the code).
  assert.strictEqual(globalThis[Symbol.for('raw-transfer-reader.errors')].byCode.LayoutRuntimeMismatch, layout.LayoutRuntimeMismatchError)
  assert.strictEqual(require('raw-transfer-reader/errors').LayoutRuntimeMismatchError, layout.LayoutRuntimeMismatchError)
})

test('two layouts in one process: documents of both read interleaved, each module with its own state', () => {
  const rawF = load('fixture.bin')
  const rawA = load('bench-small.bin')
  const wantF = json('fixture.json')
  const wantA = json('bench-small.json')
  const prog = fixture.readProgram(rawF)
  const mod = ast.readModule(rawA)

  // Node types are each layout's own (both have a 'Span', at other indices).
  assert.ok(fixture.NODE_TYPES.includes('Span') && ast.NODE_TYPES.includes('Span'))
  assert.notStrictEqual(fixture.NODE_TYPES.indexOf('Span'), ast.NODE_TYPES.indexOf('Span'))
  assert.ok(!ast.NODE_TYPES.includes('Program') && !fixture.NODE_TYPES.includes('CallExpression'))

  // Lazy reads and toJS, alternating between the documents.
  const n = Math.max(prog.body.length, mod.body.length)
  for (let i = 0; i < n; i++) {
    if (i < mod.body.length) assert.deepStrictEqual(mod.body.at(i).toJS(), wantA.body[i], `AST statement ${i}`)
    if (i < prog.body.length) assert.deepStrictEqual(JSON.parse(JSON.stringify(prog.body.at(i))), wantF.body[i], `fixture statement ${i}`)
  }
  assert.deepStrictEqual(JSON.parse(JSON.stringify(prog)), wantF)
  assert.deepStrictEqual(mod.toJS(), wantA)

  // Walks nest across layouts: each AST Span visited converts a fixture statement, and each
  // fixture node visited inside that conversion's visitor counts AST identifiers.
  const countA = (types) => {
    const counts = {}
    const stack = [wantA]
    while (stack.length) {
      const o = stack.pop()
      if (Array.isArray(o)) stack.push(...o)
      else if (typeof o === 'object' && o !== null) {
        if (types.includes(o.type)) counts[o.type] = (counts[o.type] ?? 0) + 1
        stack.push(...Object.values(o))
      }
    }
    return counts
  }
  const calls = countA(['CallExpression']).CallExpression
  let seenCalls = 0
  let converted = 0
  ast.visit(mod, {
    CallExpression(node) {
      seenCalls++
      const k = seenCalls % prog.body.length
      // A toJS of the other layout inside this visit, and a visit of it too.
      assert.deepStrictEqual(JSON.parse(JSON.stringify(prog.body.at(k).toJS())), wantF.body[k])
      let spans = 0
      fixture.visit(prog.body.at(k), { Span: () => void spans++ })
      assert.strictEqual(typeof spans, 'number')
      converted++
      // The outer walk goes on where it was: this node converts as serde wrote it.
      assert.strictEqual(node.toJS().type, 'CallExpression')
    },
  })
  assert.strictEqual(seenCalls, calls)
  assert.strictEqual(converted, calls)

  // One layout's functions refuse the other's views and blocks.
  assert.throws(() => fixture.visit(mod, {}), InvalidArgumentError)
  assert.throws(() => ast.toJS(prog), InvalidArgumentError)
  assert.throws(() => fixture.release(mod), InvalidArgumentError)
  assert.throws(() => fixture.visit(prog, { CallExpression() {} }), /no node type 'CallExpression'/)
  assert.throws(() => ast.readModule(rawF), LayoutMismatchError)
  assert.throws(() => fixture.readProgram(rawA), LayoutMismatchError)

  // Releasing one layout's document leaves the other's readable.
  ast.release(mod)
  assert.throws(() => mod.body, StaleBufferError)
  assert.deepStrictEqual(JSON.parse(JSON.stringify(prog)), wantF)
  fixture.release(prog)
  assert.throws(() => prog.body, StaleBufferError)
})

test('two modules of one layout (max_depth 500 and 3) convert nested documents alike', () => {
  const depth3 = require(path.join(path.dirname(fixtureFile('depth3/fixture.js')), 'fixture.js'))
  const raw = load('fixture.bin')
  const want = json('fixture.json')
  const a = fixture.readProgram(raw)
  const b = depth3.readProgram(raw)
  let inner = 0
  fixture.visit(a, {
    Call() {
      // depth3 defers below 3 pointers; its holes and depth are its document's, not this walk's.
      assert.deepStrictEqual(JSON.parse(JSON.stringify(b.toJS())), want)
      inner++
    },
  })
  assert.ok(inner > 0)
  assert.throws(() => depth3.release(a), InvalidArgumentError)
  assert.deepStrictEqual(JSON.parse(JSON.stringify(a.toJS())), want)
})

test('the ESM form of a generated module loads the same runtime', async () => {
  const esm = await import(pathToFileURL(path.join(__dirname, 'layout', 'generated', 'fixture.mjs')).href)
  assert.strictEqual(esm.readProgram, fixture.readProgram)
})
