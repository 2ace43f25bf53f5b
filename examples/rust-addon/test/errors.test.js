'use strict'
// A second addon's native methods (CsvPool, from raw_transfer's public API and glue macros)
// throw the reader's typed errors with no wrapper around the call: in the main thread, in a
// worker, and, without the reader loaded, as plain Errors with the code.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { Worker } = require('node:worker_threads')

const ROOT = path.join(__dirname, '..')

/** The errors of direct calls on the native CsvPool class of `binding`. */
function csvErrors(binding) {
  const caught = (fn) => {
    try {
      fn()
    } catch (e) {
      return e
    }
    throw new Error('did not throw')
  }
  const pool = new binding.CsvPool(1, 'auto')
  const held = pool.parse('a,1')
  const out = {
    exhausted: caught(() => pool.parse('b,2')),
    stale: caught(() => pool.release(held.id + 1)),
    // A block id is an integer in 1..2^32-1, not taken modulo 2^32: `held.id + 2 ** 32`
    // must not release the block `held.id`.
    wrappedId: caught(() => pool.release(held.id + 2 ** 32)),
    fractionId: caught(() => pool.release(held.id + 0.5)),
    nanId: caught(() => pool.resend(NaN)),
    stringId: caught(() => pool.release(String(held.id))),
  }
  out.stillHeld = caught(() => pool.parse('c,3'))
  Object.assign(out, {
    construct: caught(() => new binding.CsvPool(0, 'auto')),
    transfer: caught(() => new binding.CsvPool(1, 'sideways')),
    panic: caught(() => pool.panicForTest('on purpose')),
  })
  pool.release(held.id)
  out.syntax = caught(() => pool.parse('a,1\nb,x'))
  out.io = caught(() => pool.parseFile(path.join(__dirname, 'no such file.csv')))
  pool.close()
  out.closed = caught(() => pool.parse('a,1'))
  return out
}

// [class, code]: 'RawTransferError' for codes without a class of their own.
const EXPECTED = {
  exhausted: ['PoolExhaustedError', 'PoolExhausted'],
  stale: ['StaleBufferError', 'StaleBuffer'],
  wrappedId: ['InvalidArgumentError', 'InvalidArgument'],
  fractionId: ['InvalidArgumentError', 'InvalidArgument'],
  nanId: ['InvalidArgumentError', 'InvalidArgument'],
  stringId: ['InvalidArgumentError', 'InvalidArgument'],
  stillHeld: ['PoolExhaustedError', 'PoolExhausted'],
  construct: ['InvalidArgumentError', 'InvalidArgument'],
  transfer: ['InvalidArgumentError', 'InvalidArgument'],
  panic: ['InternalError', 'Internal'],
  syntax: ['RawTransferError', 'CsvSyntax'],
  io: ['RawTransferError', 'Io'],
  closed: ['PoolClosedError', 'PoolClosed'],
}

test('direct calls on the native CsvPool throw the typed classes, with code', () => {
  const { binding, reader } = require('..')
  const got = csvErrors(binding)
  for (const [what, [cls, code]] of Object.entries(EXPECTED)) {
    const e = got[what]
    assert.ok(e instanceof reader[cls] && e instanceof reader.RawTransferError && e instanceof Error, what)
    assert.equal(Object.getPrototypeOf(e), reader[cls].prototype, what)
    assert.equal(e.code, code, what)
    assert.equal(reader.fromNative(e), e, what)
  }
  assert.match(got.panic.message, /caught panic\): on purpose/)
  assert.deepEqual([got.syntax.offset, got.syntax.line, got.syntax.column], [6, 2, 3])
  assert.equal(got.syntax.message, 'value is not a number at line 2 column 3 (byte 6)')
  // The pool survives the panic: the next call works.
  const pool = new binding.CsvPool(1)
  assert.throws(() => pool.panicForTest('again'), reader.InternalError)
  pool.release(pool.parse('a,1').id)
  pool.close()
})

test('the wrapper class has no wrapper around its calls left, and its errors are the same', () => {
  const { CsvPool, reader } = require('..')
  const pool = new CsvPool({ size: 1 })
  assert.throws(() => pool.release(12345), reader.StaleBufferError)
  assert.throws(() => pool.parse('x'), (e) => e instanceof reader.RawTransferError && e.code === 'CsvSyntax' && e.line === 1)
  assert.throws(() => new CsvPool({ size: 5000 }), reader.InvalidArgumentError)
  pool.close()
})

test('in a worker thread: typed errors of the worker realm', async () => {
  const worker = new Worker(
    `
    const { parentPort } = require('node:worker_threads')
    const path = require('node:path')
    const __dirname = ${JSON.stringify(__dirname)}
    const { binding, reader } = require(${JSON.stringify(ROOT)})
    const got = (${csvErrors.toString()})(binding)
    const out = {}
    for (const [what, e] of Object.entries(got)) {
      out[what] = { cls: Object.getPrototypeOf(e).constructor.name, own: Object.getPrototypeOf(e) === reader[Object.getPrototypeOf(e).constructor.name]?.prototype, code: e.code }
    }
    parentPort.postMessage(out)
    `,
    { eval: true },
  )
  const out = await new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject))
  await worker.terminate()
  for (const [what, [cls, code]] of Object.entries(EXPECTED)) {
    assert.deepEqual(out[what], { cls, own: true, code }, what)
  }
})

test('only the .node loaded (no reader): plain Errors with the code, name and position', () => {
  const script = `
    const addon = require(${JSON.stringify(path.join(ROOT, 'rust-addon.node'))})
    const path = require('node:path')
    const __dirname = ${JSON.stringify(__dirname)}
    const got = (${csvErrors.toString()})(addon)
    const out = { registry: globalThis[Symbol.for('raw-transfer-reader.errors')] !== undefined }
    for (const [what, e] of Object.entries(got)) {
      out[what] = { plain: Object.getPrototypeOf(e) === Error.prototype, code: e.code, name: e.name }
    }
    out.at = [got.syntax.offset, got.syntax.line, got.syntax.column]
    console.log(JSON.stringify(out))
  `
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: __dirname })
  assert.equal(r.status, 0, r.stderr)
  const out = JSON.parse(r.stdout)
  assert.equal(out.registry, false)
  for (const [what, [cls, code]] of Object.entries(EXPECTED)) {
    assert.deepEqual(out[what], { plain: true, code, name: cls }, what)
  }
  assert.deepEqual(out.at, [6, 2, 3])
})
