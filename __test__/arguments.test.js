'use strict'
// Nothing a JS caller passes brings the process down: every public function takes its
// integers, strings and options checked (finite, integer, in range, no coercion) and throws
// InvalidArgumentError otherwise. (Hostile bytes in a block: corrupt-documents.test.js.)

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const { rt, writeJsonFiles } = require('./helpers')

const C = rt.constants

const BAD_INTEGERS = [0.5, -0.5, NaN, Infinity, -Infinity, '1', 1n, null, true, {}, Symbol('i')]

test('node and document readers take integers and strings only (InvalidArgumentError, no coercion)', () => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  try {
    const doc = pool.parseJson('{"a": [10, 20, 30, 40], "b": "xyz"}')
    const a = doc.root.get('a')
    const js = [10, 20, 30, 40]
    // Array.prototype.at semantics for every integer.
    for (let i = -6; i <= 6; i++) assert.equal(a.at(i)?.value, js.at(i), `at(${i})`)
    assert.equal(a.at(-0).value, 10)
    assert.equal(a.at(2 ** 53), undefined)
    assert.equal(a.at(-(2 ** 40)), undefined)
    for (const bad of [...BAD_INTEGERS, undefined]) {
      assert.throws(() => a.at(bad), rt.InvalidArgumentError, `at(${String(bad)})`)
      assert.throws(() => doc.root.keySpanAt(bad), rt.InvalidArgumentError, `keySpanAt(${String(bad)})`)
      assert.throws(() => doc.position(bad), rt.InvalidArgumentError, `position(${String(bad)})`)
      assert.throws(() => doc.text({ start: bad, end: 3 }), rt.InvalidArgumentError, `text start ${String(bad)}`)
      assert.throws(() => doc.text({ start: 0, end: bad }), rt.InvalidArgumentError, `text end ${String(bad)}`)
    }
    assert.throws(() => doc.root.get('b').at(0.5), rt.InvalidArgumentError, 'checked before the type')
    assert.deepEqual(doc.root.keySpanAt(1), { start: 24, end: 27 })
    assert.equal(doc.root.keySpanAt(-1), undefined)
    assert.equal(doc.root.keySpanAt(2), undefined)
    for (const bad of [null, 5, 'span', 5n]) assert.throws(() => doc.text(bad), rt.InvalidArgumentError)
    assert.equal(doc.text({ start: 1, end: 4 }), '"a"')
    for (const bad of [5, undefined, null, 5n, Symbol('k'), { toString: () => 'a' }]) {
      assert.throws(() => doc.root.get(bad), rt.InvalidArgumentError)
    }
    for (const bad of [undefined, null, 'fn', {}]) assert.throws(() => doc.root.forEach(bad), rt.InvalidArgumentError)
    assert.throws(() => doc.root.get('b').forEach(null), rt.InvalidArgumentError)
    doc.release()
  } finally {
    pool.close()
  }
})

test('Block and RawBuffer check their integers', () => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  const block = pool.acquire()
  try {
    const w = block.writeString('hello world')
    block.setDataOffset(w.ptr)
    for (const [ptr, len] of [
      [2 ** 32, 5],
      [0, 2 ** 32],
      [C.ACTIVE_SIZE, 1],
      [C.ACTIVE_SIZE - 1, 2],
      [0.5, 1],
      ['0', 1],
      [0, 1n],
      [-1, 1],
      [0, NaN],
    ]) {
      assert.throws(() => block.copyToBuffer(ptr, len), rt.InvalidArgumentError, `copyToBuffer(${String(ptr)}, ${String(len)})`)
    }
    assert.equal(Buffer.from(block.copyToBuffer(w.ptr, 5)).toString(), 'hello')
    for (const bad of [...BAD_INTEGERS, -1, 2 ** 32, C.ACTIVE_SIZE + 1]) assert.throws(() => block.setDataOffset(bad), rt.InvalidArgumentError)
    const raw = block.raw
    for (const bad of [...BAD_INTEGERS, 2, 2 ** 32, rt.BUFFER_SIZE, -8]) assert.throws(() => raw.ptr(bad), rt.InvalidArgumentError, `ptr(${String(bad)})`)
    assert.equal(raw.ptr(0), raw.u32[0])
    for (const bad of BAD_INTEGERS) {
      assert.throws(() => raw.str(bad, 2), rt.InvalidArgumentError)
      assert.throws(() => raw.str(w.ptr, bad), rt.InvalidArgumentError)
      assert.throws(() => raw.assertGeneration(bad), rt.InvalidArgumentError)
    }
    assert.equal(raw.str(w.ptr, 5), 'hello')
    raw.assertGeneration(block.generation)
  } finally {
    block.release()
    pool.close()
  }
})

test('pool options are checked in JS before the native pool is made', () => {
  // A fake binding records what reaches native code: nothing, for a bad option.
  const made = []
  const FakePool = require('../js/native/pool')({
    NativePool: class {
      constructor(...args) {
        made.push(args)
      }
      fastCalls() {
        return {}
      }
    },
    liveBlocks: () => 0,
  })
  const bad = [Number.MAX_VALUE, 1e22, Infinity, -Infinity, NaN, -1, 0.5, '3', 5n, null, true, 2 ** 53]
  for (const name of ['size', 'acquireTimeoutMs', 'retainBytes', 'maxRetainBytes']) {
    for (const v of bad) {
      assert.throws(() => new FakePool({ [name]: v }), rt.InvalidArgumentError, `${name}: ${String(v)}`)
      assert.throws(() => new rt.FixedSizeAllocatorPool({ [name]: v }), rt.InvalidArgumentError, `${name}: ${String(v)}`)
    }
  }
  for (const [name, v] of [['size', 0], ['size', 4097], ['acquireTimeoutMs', 2 ** 31], ['retainBytes', C.ACTIVE_SIZE + 1], ['maxRetainBytes', 2 ** 40]]) {
    assert.throws(() => new FakePool({ [name]: v }), rt.InvalidArgumentError, `${name}: ${v}`)
  }
  for (const v of [5, null, 'external', 'zero']) {
    if (v === 'external') continue
    assert.throws(() => new FakePool({ transfer: v }), rt.InvalidArgumentError, `transfer: ${v}`)
  }
  for (const options of ['3', 5n, null, 5, [], true, Symbol('o')]) {
    assert.throws(() => new FakePool(options), rt.InvalidArgumentError, String(options))
    assert.throws(() => new rt.FixedSizeAllocatorPool(options), rt.InvalidArgumentError, String(options))
  }
  assert.deepEqual(made, [], 'no bad option reached the native pool')
  // undefined (the argument or a field) means the defaults; limits are accepted.
  new FakePool()
  new FakePool({ size: undefined, transfer: 'copy', acquireTimeoutMs: 2 ** 31 - 1, retainBytes: 0, maxRetainBytes: C.ACTIVE_SIZE })
  new FakePool({ size: 4096 })
  const auto = process.env.RAW_TRANSFER_MODE === 'copy' ? 'copy' : 'auto'
  assert.deepEqual(made, [
    [4, auto, 0, C.DEFAULT_RETAINED_BYTES, C.DEFAULT_MAX_RETAINED_BYTES],
    [4, 'copy', 2 ** 31 - 1, 0, C.ACTIVE_SIZE],
    [4096, auto, 0, C.DEFAULT_RETAINED_BYTES, C.DEFAULT_MAX_RETAINED_BYTES],
  ])
})

test('parseJsonFiles options are checked (InvalidArgumentError), undefined gives the defaults', async () => {
  const { dir, paths } = writeJsonFiles(2)
  const pool = new rt.FixedSizeAllocatorPool({ size: 2 })
  try {
    for (const options of ['3', 5n, null, 5, [], true]) {
      await assert.rejects(pool.parseJsonFiles(paths, () => {}, options), rt.InvalidArgumentError, String(options))
    }
    const bad = {
      threads: [0, 65, 1.5, '2', 2n, null, NaN, Infinity],
      maxBlocks: [-1, 3, 0.5, '1', 1n, null],
      pluginTimeoutMs: [0, -1, 1.5, '5', 5n, null, Infinity, NaN, 2 ** 31, Number.MAX_VALUE],
    }
    for (const [name, values] of Object.entries(bad)) {
      for (const v of values) {
        await assert.rejects(pool.parseJsonFiles(paths, () => {}, { [name]: v }), rt.InvalidArgumentError, `${name}: ${String(v)}`)
      }
    }
    assert.equal(pool.stats().inUse, 0)
    const ok = await pool.parseJsonFiles(paths, () => {}, { threads: undefined, maxBlocks: 2, pluginTimeoutMs: undefined })
    assert.equal(ok.files, 2)
    assert.equal((await pool.parseJsonFiles(paths, () => {})).files, 2)
  } finally {
    pool.close()
    fs.rmSync(dir, { recursive: true })
  }
})
