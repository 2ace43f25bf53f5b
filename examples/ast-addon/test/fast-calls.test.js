'use strict'
// The example's fast calls, made with the crate's public `fast_call` and `fast_release`
// (what a third-party addon uses): `parse` hands off packed into one number when there is no
// buffer to send, arguments and errors are typed, `new` is refused, and the functions keep
// the native pool alive.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { AstPool, AstSyntaxError, binding, reader } = require('..')

const gc = global.gc ?? (() => {})

for (const transfer of ['external', 'copy']) {
  test(`${transfer}: parse returns the hand-off as a record or as id × 2^32 + generation; unpackSent reads both`, () => {
    const pool = new binding.AstPool(2, transfer)
    const fast = pool.fastCalls()
    const cache = new reader.BufferCache((id) => pool.resend(id))
    const seen = new Map()
    let numbers = 0
    for (let i = 0; i < 30; i++) {
      const sent = fast.parse(`let x${i} = ${i};`)
      if (typeof sent === 'number') {
        numbers++
        assert.ok(Number.isSafeInteger(sent) && sent > 2 ** 32)
      } else {
        assert.ok(sent.buffer instanceof ArrayBuffer)
      }
      const { id, generation, buffer } = reader.unpackSent(sent)
      if (typeof sent === 'number') assert.ok(seen.has(id), 'no buffer only for a block sent here before')
      if (seen.has(id)) assert.ok(generation > seen.get(id))
      seen.set(id, generation)
      const raw = cache.receive(id, buffer)
      raw.assertGeneration(generation)
      fast.release(id)
    }
    assert.ok(numbers >= 25, `most hand-offs are numbers (${numbers} of 30)`)
    assert.equal(pool.checkedOut, 0)
    pool.close()
  })
}

test('fast parse and release: typed errors for bad arguments, syntax errors, stale ids and `new`', () => {
  const pool = new binding.AstPool(1, 'auto')
  const fast = pool.fastCalls()
  assert.throws(() => fast.parse(), reader.InvalidArgumentError, 'no argument')
  for (const bad of [42, null, {}, Buffer.from('let a;')]) assert.throws(() => fast.parse(bad), reader.InvalidArgumentError)
  assert.throws(() => fast.parse('let = ;'), (e) => e instanceof AstSyntaxError && e.code === 'AstSyntax' && e.offset === 4)
  assert.equal(pool.checkedOut, 0, 'a failed parse gives its block back')
  const { id } = reader.unpackSent(fast.parse('f();'))
  assert.throws(() => fast.parse('g();'), reader.PoolExhaustedError, 'the one block is out')
  fast.release(id)
  assert.throws(() => fast.release(id), reader.StaleBufferError, 'released twice')
  for (const bad of [undefined, 'x', -1, 0.5, 2 ** 32]) assert.throws(() => fast.release(bad), reader.InvalidArgumentError)
  assert.throws(() => new fast.parse('f();'), reader.InvalidArgumentError, 'not a constructor')
  assert.equal(pool.checkedOut, 0)
  pool.close()
  assert.throws(() => fast.parse('f();'), reader.PoolClosedError)
})

test('the fast calls keep their native pool alive after the pool object is collected', async () => {
  let fast = (() => new binding.AstPool(1, 'auto').fastCalls())()
  for (let i = 0; i < 4; i++) {
    gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
  const { id } = reader.unpackSent(fast.parse('a.b(1);'))
  fast.release(id)
  fast = null
  gc()
})

test('AstPool (index.js) parses and releases through the fast calls', () => {
  const pool = new AstPool({ size: 1 })
  for (let i = 0; i < 5; i++) {
    const program = pool.parse(`let v = ${i} * 2;`)
    assert.equal(program.body.at(0).init.left.value, i)
    pool.release(program)
  }
  assert.throws(() => pool.release(12345), reader.StaleBufferError)
  assert.equal(pool.checkedOut, 0)
  pool.close()
})

test('the native class throws typed errors itself: its constructor and a non-string argument (converted before the method body)', () => {
  assert.throws(() => new binding.AstPool(0), (e) => e instanceof reader.InvalidArgumentError && e.code === 'InvalidArgument')
  assert.throws(() => new binding.AstPool(2, 'bogus'), (e) => e instanceof reader.InvalidArgumentError && e.code === 'InvalidArgument')
  const pool = new binding.AstPool(1)
  for (const bad of [5, null, undefined, {}]) {
    assert.throws(() => pool.parseToJson(bad), (e) => e instanceof reader.InvalidArgumentError && e.code === 'InvalidArgument')
    assert.throws(() => pool.parse(bad), (e) => e instanceof reader.InvalidArgumentError && e.code === 'InvalidArgument')
  }
  assert.throws(() => pool.parse('let = ;'), (e) => e instanceof AstSyntaxError && e.code === 'AstSyntax')
  pool.close()
})
