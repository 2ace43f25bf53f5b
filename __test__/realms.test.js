'use strict'
// The package in another realm, the way Jest and vitest's vmThreads pool run it: its JS
// modules evaluated inside a `vm` context (their own Error, Symbol, Object), the native
// addon loaded once by the real require (its errors are made in the main realm, of the
// classes the main realm's reader registered). `instanceof` the typed classes must work in
// both directions (a brand, not the realm's Error), and `using`
// must work through the fallback symbol, since a Node 20 vm context has no Symbol.dispose.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const vm = require('node:vm')
const Module = require('node:module')

const root = path.join(__dirname, '..')
const outer = require('..')
const errorsJs = require('raw-transfer-reader/errors')
const { JsonSyntaxError } = require('../js/json/errors') // registers the 'JsonSyntax' code with errorsJs

/** A context and a CommonJS loader that evaluates .js files in it (native and builtin modules: the real require). */
function sandbox() {
  const context = vm.createContext({
    console,
    process,
    Buffer,
    TextDecoder,
    TextEncoder,
    performance,
    setTimeout,
    clearTimeout,
    setImmediate,
    queueMicrotask,
    structuredClone,
  })
  const cache = new Map()
  const load = (file) => {
    if (cache.has(file)) return cache.get(file).exports
    const module = { exports: {}, filename: file }
    cache.set(file, module)
    const fn = vm.compileFunction(fs.readFileSync(file, 'utf8'), ['exports', 'require', 'module', '__filename', '__dirname'], {
      parsingContext: context,
      filename: file,
    })
    fn.call(module.exports, module.exports, makeRequire(path.dirname(file)), module, file, path.dirname(file))
    return module.exports
  }
  const makeRequire = (dir) => (id) => {
    if (Module.isBuiltin(id)) return require(id)
    const real = Module.createRequire(path.join(dir, 'x.js'))
    const file = real.resolve(id)
    return file.endsWith('.js') ? load(file) : real(file) // the .node addon: once per process, as in Jest
  }
  const inner = makeRequire(root)(root)
  context.rt = inner
  context.outer = outer
  const run = (code) => vm.runInContext(code, context)
  return { inner, context, run }
}

test('the sandbox is another realm: its Error is not ours, and it has no Symbol.dispose on Node 20', () => {
  const { inner, run } = sandbox()
  assert.notEqual(inner.RawTransferError, outer.RawTransferError)
  assert.equal(run('new rt.InvalidArgumentError("x") instanceof Error'), true)
  assert.equal(new inner.InvalidArgumentError('x') instanceof Error, false, 'not our Error: a different realm')
  if (Number(process.versions.node.split('.')[0]) <= 20) assert.equal(run('typeof Symbol.dispose'), 'undefined')
})

test('native errors (made in the main realm) map to the sandbox classes by code', () => {
  const { inner, run } = sandbox()
  const r = run(`
    const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
    const held = pool.acquire()
    const out = {}
    try { pool.acquire() } catch (e) { out.exhausted = e }
    held.release()
    try { pool.parseJson('{"a": 1,}') } catch (e) { out.syntax = e }
    const doc = pool.parseJson('[1]'); doc.release()
    try { doc.toJS() } catch (e) { out.stale = e }
    try { new rt.FixedSizeAllocatorPool({ size: 0 }) } catch (e) { out.argument = e }
    pool.close();
    try { pool.acquire() } catch (e) { out.closed = e }
    out.inRealm = {
      // Not the sandbox's Error: a native error is made in the realm the addon was loaded in.
      exhausted: out.exhausted instanceof rt.PoolExhaustedError && out.exhausted instanceof rt.RawTransferError && !(out.exhausted instanceof Error),
      syntax: out.syntax instanceof rt.JsonSyntaxError && out.syntax.offset === 8,
      stale: out.stale instanceof rt.StaleBufferError,
      argument: out.argument instanceof rt.InvalidArgumentError,
      closed: out.closed instanceof rt.PoolClosedError,
    }
    out
  `)
  assert.deepEqual({ ...r.inRealm }, { exhausted: true, syntax: true, stale: true, argument: true, closed: true })
  assert.equal(r.exhausted.name, 'PoolExhaustedError')
  assert.match(r.exhausted.message, /allocator pool exhausted/)
  assert.equal(r.syntax.name, 'JsonSyntaxError')
  // And from the main realm: instanceof our classes works on the sandbox's errors (brand + name).
  assert.ok(r.exhausted instanceof outer.PoolExhaustedError)
  assert.ok(r.exhausted instanceof outer.RawTransferError)
  assert.ok(!(r.exhausted instanceof outer.PoolClosedError))
  assert.ok(r.syntax instanceof outer.JsonSyntaxError)
  assert.ok(r.stale instanceof outer.StaleBufferError)
  assert.ok(r.closed instanceof outer.PoolClosedError)
  // ... and the other way round.
  assert.ok(new outer.BlockFullError('x') instanceof inner.BlockFullError)
  assert.ok(!(new outer.BlockFullError('x') instanceof inner.OutOfMemoryError))
  assert.ok(!(new Error('x') instanceof inner.RawTransferError))
  assert.ok(!({ message: 'x' } instanceof inner.RawTransferError))
})

test('fromNative maps errors of any realm by their message code', () => {
  const foreign = (msg) => vm.runInNewContext(`new Error(${JSON.stringify(msg)})`)
  assert.equal(foreign('x') instanceof Error, false)
  const cases = [
    ['PoolClosed: the pool is closed', errorsJs.PoolClosedError],
    ['PoolExhausted: none left', errorsJs.PoolExhaustedError],
    ['BlockFull: full', errorsJs.BlockFullError],
    ['StaleBuffer: stale', errorsJs.StaleBufferError],
    ['ExternalForbidden: no', errorsJs.ExternalBuffersForbiddenError],
    ['OutOfMemory: no', errorsJs.OutOfMemoryError],
    ['InvalidArgument: bad', errorsJs.InvalidArgumentError],
  ]
  for (const [msg, Cls] of cases) {
    const e = errorsJs.fromNative(foreign(msg))
    assert.ok(e instanceof Cls, msg)
    assert.equal(e.name, Cls.name)
    assert.equal(e.message, msg.slice(msg.indexOf(': ') + 2))
  }
  const syntax = errorsJs.fromNative(foreign('JsonSyntax: 7:1:8: unexpected }'))
  assert.ok(syntax instanceof JsonSyntaxError)
  assert.deepEqual([syntax.offset, syntax.line, syntax.column], [7, 1, 8])
  const io = errorsJs.fromNative(foreign('Io: f.json: no such file'))
  assert.ok(io instanceof errorsJs.RawTransferError)
  assert.equal(io.code, 'Io')
  // Not errors, or not ours: returned as they are.
  for (const v of [null, undefined, 42, 'PoolClosed: x', { nomessage: true }]) assert.equal(errorsJs.fromNative(v), v)
  const plain = foreign('something else')
  assert.equal(errorsJs.fromNative(plain), plain)
  // Already typed (in another realm): kept.
  const { inner } = sandbox()
  const typed = new inner.PoolClosedError('x')
  assert.equal(errorsJs.fromNative(typed), typed)
})

test('using in the sandbox: documents dispose through the esbuild fallback symbol', () => {
  const { run } = sandbox()
  // What esbuild's __using helper looks up: Symbol.dispose, else Symbol.for('Symbol.dispose').
  const r = run(`
    const key = Symbol.dispose ?? Symbol.for('Symbol.dispose')
    const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
    const doc = pool.parseJson('{"a": 1}')
    const hasIt = typeof doc[key] === 'function'
    doc[key]()
    const again = pool.parseJson('[2]') // the block came back
    const v = again.toJS()
    again[key]()
    const released = doc.released && again.released
    pool.close();
    ({ hasIt, released, v })
  `)
  assert.deepEqual({ ...r, v: [...r.v] }, { hasIt: true, released: true, v: [2] })
})

// Block and the pool answer to the fallback symbol (raw-transfer-reader's symbols.js installDispose).
const runtimeHasFallback =
  typeof outer.Block.prototype[Symbol.for('Symbol.dispose')] === 'function' &&
  typeof outer.FixedSizeAllocatorPool.prototype[Symbol.for('Symbol.dispose')] === 'function'
test(
  'using in the sandbox: blocks and pools dispose through the fallback symbol',
  { todo: runtimeHasFallback ? false : 'key Block and pool disposers by raw-transfer-reader/symbols' },
  () => {
    const { run } = sandbox()
    const r = run(`
      const key = Symbol.dispose ?? Symbol.for('Symbol.dispose')
      const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
      const block = pool.acquire()
      block[key]()
      const blockReleased = block.released
      pool[key]();
      ({ blockReleased, poolClosed: pool.closed })
    `)
    assert.deepEqual({ ...r }, { blockReleased: true, poolClosed: true })
  },
)

test('values in the sandbox: JSON.stringify, iteration and structuredClone behave as in the main realm', () => {
  const { run } = sandbox()
  const r = run(`
    const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
    const doc = pool.parseJson('{"a": [1, 2], "b": "x"}')
    const out = {
      json: JSON.stringify(doc),
      keys: [...doc.root].map(([k]) => k).join(),
      elements: Array.from(doc.root.get('a'), (n) => n.value).join(),
    }
    out.clone = JSON.stringify(structuredClone(doc.root))
    doc.release()
    pool.close();
    out
  `)
  assert.deepEqual({ ...r }, { json: '{"a":[1,2],"b":"x"}', keys: 'a,b', elements: '1,2', clone: '{}' })
})
