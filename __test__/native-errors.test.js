'use strict'
// Native calls throw the reader's typed errors themselves, with no wrapper around the call:
// the reader registers its classes on globalThis (Symbol.for('raw-transfer-reader.errors'))
// and the Rust side (src/napi/throw.rs) makes its errors from them. In a worker too (its own
// globalThis); without a registry, a plain Error with `code`, `name` and the reader's brand.
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { Worker } = require('node:worker_threads')
const rt = require('..')
const errors = require('raw-transfer-reader/errors')
const { triple } = require('../js/native/platform')

const REGISTRY = Symbol.for('raw-transfer-reader.errors')
const ADDON = path.join(__dirname, '..', `raw-transfer.${triple()}.node`)

/** Every error a pool's native methods throw, called directly on `pool._native`; `rt` is the package as loaded where this runs. */
function nativeErrors(rt) {
  const caught = (fn) => {
    try {
      fn()
    } catch (e) {
      return e
    }
    throw new Error('did not throw')
  }
  const pool = new rt.JsonPool({ size: 1 })
  const n = pool._native
  // The per-document calls are plain Node-API functions (src/napi/fast.rs); the rest napi-rs methods.
  const fast = pool._fastCalls()
  const sent = fast.acquire()
  const held = { id: typeof sent === 'number' ? Math.floor(sent / 2 ** 32) : sent.id }
  const out = {
    exhausted: caught(() => fast.acquire()),
    stale: caught(() => n.release(held.id + 1)),
    range: caught(() => n.copyToBuffer(held.id, 0, 1 << 20)),
    construct: caught(() => new n.constructor(0, 'auto', 0, 0, 0)),
    transfer: caught(() => new n.constructor(1, 'sideways', 0, 0, 0)),
  }
  n.release(held.id)
  out.syntax = caught(() => fast.parseJson(Buffer.from('{"a": 1,}')))
  n.close()
  out.closed = caught(() => fast.acquire())
  return out
}

const EXPECTED = {
  exhausted: ['PoolExhaustedError', 'PoolExhausted'],
  stale: ['StaleBufferError', 'StaleBuffer'],
  range: ['InvalidArgumentError', 'InvalidArgument'],
  construct: ['InvalidArgumentError', 'InvalidArgument'],
  transfer: ['InvalidArgumentError', 'InvalidArgument'],
  syntax: ['JsonSyntaxError', 'JsonSyntax'],
  closed: ['PoolClosedError', 'PoolClosed'],
}

test('native methods called directly throw instances of the typed classes, with code', () => {
  const got = nativeErrors(rt)
  for (const [what, [cls, code]] of Object.entries(EXPECTED)) {
    const e = got[what]
    assert.equal(Object.getPrototypeOf(e), rt[cls].prototype, what)
    assert.ok(e instanceof rt.RawTransferError && e instanceof Error, what)
    assert.equal(e.name, cls, what)
    assert.equal(e.code, code, what)
    assert.doesNotMatch(e.message, /^[A-Za-z]+: /, `${what}: no "<Code>: " prefix`)
    assert.match(e.stack, new RegExp(`^${cls}: `), what)
    // The mapping of the older form is a no-op on them, and native() passes them through.
    assert.equal(errors.fromNative(e), e, what)
    assert.throws(() => errors.native(() => { throw e }), (x) => x === e)
  }
  assert.match(got.exhausted.message, /1 of 1 blocks are checked out/)
  assert.deepEqual([got.syntax.offset, got.syntax.line, got.syntax.column], [8, 1, 9])
  assert.match(got.syntax.message, / at line 1 column 9 \(byte 8\)$/)
  assert.equal(got.exhausted.offset, undefined)
})

test('through the JS API too (no wrapper left there): the same classes', () => {
  const pool = new rt.JsonPool({ size: 1 })
  const block = pool.acquire()
  assert.throws(() => pool.acquire(), rt.PoolExhaustedError)
  assert.throws(() => block.copyToBuffer(0, 1 << 20), (e) => e instanceof rt.InvalidArgumentError && e.code === 'InvalidArgument')
  block.release()
  assert.throws(() => pool.parseJson('[1,]'), (e) => e instanceof rt.JsonSyntaxError && e.offset === 3)
  assert.throws(() => new rt.JsonPool({ retainBytes: 2 ** 40 }), rt.InvalidArgumentError)
  pool.close()
})

test('in a worker thread (its own globalThis and registry): typed errors of its own realm', async () => {
  const worker = new Worker(
    `
    const { parentPort } = require('node:worker_threads')
    const rt = require(${JSON.stringify(path.join(__dirname, '..'))})
    const got = (${nativeErrors.toString()})(rt)
    const out = {}
    for (const [what, e] of Object.entries(got)) {
      out[what] = { proto: Object.getPrototypeOf(e).constructor.name, own: Object.getPrototypeOf(e) === rt[e.name]?.prototype, name: e.name, code: e.code, line: e.line }
    }
    parentPort.postMessage(out)
    `,
    { eval: true },
  )
  const [out] = await Promise.all([new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject))])
  await worker.terminate()
  for (const [what, [cls, code]] of Object.entries(EXPECTED)) {
    assert.deepEqual({ ...out[what], line: undefined }, { proto: cls, own: true, name: cls, code, line: undefined }, what)
  }
  assert.equal(out.syntax.line, 1)
})

test('without a registry in the realm: a plain Error with code, name and the brand instanceof recognizes', (t) => {
  const registry = globalThis[REGISTRY]
  delete globalThis[REGISTRY]
  t.after(() => Object.defineProperty(globalThis, REGISTRY, { value: registry, configurable: true, writable: true }))
  const got = nativeErrors(rt)
  for (const [what, [cls, code]] of Object.entries(EXPECTED)) {
    const e = got[what]
    assert.equal(Object.getPrototypeOf(e), Error.prototype, what)
    assert.equal(e.code, code, what)
    assert.equal(e.name, cls, what)
    assert.ok(e instanceof rt[cls] && e instanceof rt.RawTransferError, what)
    assert.ok(!(e instanceof (cls === 'PoolClosedError' ? rt.StaleBufferError : rt.PoolClosedError)), what)
    assert.ok(errors.isRawTransferError(e), what)
    assert.equal(errors.fromNative(e), e, what)
    assert.doesNotMatch(e.message, /^[A-Za-z]+: /, what)
  }
  assert.deepEqual([got.syntax.offset, got.syntax.line, got.syntax.column], [8, 1, 9])
})

test('a process that loads only the .node (no reader anywhere): plain Errors with the code', () => {
  const script = `
    const addon = require(${JSON.stringify(ADDON)})
    const out = { registry: globalThis[Symbol.for('raw-transfer-reader.errors')] !== undefined }
    try { new addon.NativePool(0, 'auto', 0, 0, 0) } catch (e) {
      out.construct = { plain: Object.getPrototypeOf(e) === Error.prototype, code: e.code, name: e.name, message: e.message }
    }
    const pool = new addon.NativePool(1, 'auto', 0, 0, 0)
    try { pool.fastCalls().parseJson(Buffer.from('[1,]')) } catch (e) {
      out.syntax = { plain: Object.getPrototypeOf(e) === Error.prototype, code: e.code, name: e.name, at: [e.offset, e.line, e.column] }
    }
    console.log(JSON.stringify(out))
  `
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
  const out = JSON.parse(r.stdout)
  assert.deepEqual(out, {
    registry: false,
    construct: { plain: true, code: 'InvalidArgument', name: 'InvalidArgumentError', message: 'pool size must be an integer in 1..=4096, got 0' },
    syntax: { plain: true, code: 'JsonSyntax', name: 'JsonSyntaxError', at: [3, 1, 4] },
  })
})

test('the registry: one per realm, shared by copies of the reader, classes by code', () => {
  const registry = globalThis[REGISTRY]
  assert.equal(registry.version, 1)
  assert.equal(registry.base, errors.RawTransferError)
  assert.equal(registry.byCode.PoolExhausted, errors.PoolExhaustedError)
  assert.equal(registry.byCode.Internal, errors.InternalError)
  assert.equal(registry.byCode.JsonSyntax, rt.JsonSyntaxError)
  assert.equal(Object.getOwnPropertyDescriptor(globalThis, REGISTRY).enumerable, false)
  // A second copy of the reader module in this realm adds nothing and replaces nothing.
  const file = require.resolve('raw-transfer-reader/errors')
  const saved = require.cache[file]
  delete require.cache[file]
  try {
    const copy = require(file)
    assert.notEqual(copy.PoolExhaustedError, errors.PoolExhaustedError)
    assert.equal(globalThis[REGISTRY], registry)
    assert.equal(registry.byCode.PoolExhausted, errors.PoolExhaustedError)
  } finally {
    require.cache[file] = saved
  }
})

test('fromNative still maps the older form, including a code set by napi on a plain error', () => {
  const old = errors.fromNative(Object.assign(new Error('Io: f.json: no such file'), { code: 'GenericFailure' }))
  assert.ok(old instanceof errors.RawTransferError)
  assert.equal(old.code, 'Io')
  const coded = errors.fromNative(Object.assign(new Error('CsvSyntax: 3:1:4: bad'), { code: 'CsvSyntax' }))
  assert.ok(coded instanceof errors.RawTransferError)
  assert.deepEqual([coded.code, coded.offset, coded.line, coded.column], ['CsvSyntax', 3, 1, 4])
  const internal = errors.fromNative(new Error('Internal: raw-transfer bug (caught panic): x'))
  assert.ok(internal instanceof errors.InternalError)
  assert.equal(internal.code, 'Internal')
})
