'use strict'
// What a plugin's worker sends to the main thread (js/parallel/wire.js): results and thrown
// values are cloned as postMessage would, except that nothing reaching a block (a view of
// one, or its ArrayBuffer) is ever sent, whatever the path to it: it becomes that file's
// DataCloneError, and the block is never copied (cloning one copies 2 GiB).
//
//   node --expose-gc --test __test__/parallel-results.test.js
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { writeJsonFiles } = require('./helpers')
const { blockBuffers } = require('raw-transfer-reader/raw-buffer')
const { encode, decode, serializeError } = require('../js/parallel/wire')

const BLOCK_VALUES = path.join(__dirname, 'fixtures', 'parallel-block-values.js')
const ROOT = path.join(__dirname, '..')
const dirs = []
test.after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })))

// The plugin's cases (see the fixture) and what each file must end with.
const REFUSED_RESULTS = ['after-many', 'error-cause', 'getter', 'getter-late', 'buffer', 'map-key']
const REFUSED_THROWS = ['thrown', 'thrown-buffer']
const CASES = ['ok', 'typed-copy', ...REFUSED_RESULTS, ...REFUSED_THROWS, 'thrown-cause', 'uncaught-buffer', 'ok']

/**
 * Run the fixture over one file per case in a child (a copied block would take seconds and
 * gigabytes, and must not take the test runner with it); returns what each file ended with
 * and the child's peak RSS.
 */
function runCases(transfer) {
  const { dir, paths } = writeJsonFiles(CASES.length, (i) => ({ id: i, case: CASES[i] }))
  dirs.push(dir)
  const script = `
    const fs = require('node:fs')
    const rt = require(${JSON.stringify(ROOT)})
    rt.runJsonPlugins(${JSON.stringify(paths)}, { plugin: ${JSON.stringify(BLOCK_VALUES)}, workers: 2, transfer: ${JSON.stringify(transfer)} }).then((r) => {
      const ends = r.results.map((result, i) => {
        const e = r.errors.find((x) => x.path === ${JSON.stringify(paths)}[i])
        if (e === undefined) return { result: result === undefined ? null : { id: result.id, bytes: result.bytes?.constructor.name, length: result.bytes?.length, shared: result.shared?.[0]?.length } }
        const cause = e.error?.cause
        const inner = cause?.cause
        return { phase: e.phase, name: e.error?.name, message: e.error?.message, cause: cause && { name: cause.name, message: cause.message, cause: inner && { name: inner.name, message: inner.message } } }
      })
      const hwmMB = Number(/VmHWM:\\s+(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) / 1024
      console.log(JSON.stringify({ ends, hwmMB, live: rt.liveBlocks() }))
    })`
  const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 })
  assert.equal(out.status, 0, `the child ended with ${out.signal ?? out.status} (a block copied?): ${out.stderr}`)
  return JSON.parse(out.stdout)
}

for (const transfer of ['external', 'copy']) {
  test(`${transfer} mode: results and thrown values reaching a block are DataCloneErrors, and no block is copied`, () => {
    const { ends, hwmMB, live } = runCases(transfer)
    for (const [i, c] of CASES.entries()) {
      const end = ends[i]
      if (c === 'ok') {
        assert.deepEqual(end, { result: { id: i } }, c)
      } else if (c === 'typed-copy') {
        assert.deepEqual(end, { result: { id: i, bytes: 'Uint8Array', length: 8, shared: 2 } }, 'copies of block bytes are plain values')
      } else if (c === 'uncaught-buffer') {
        // Thrown from a timer: the worker ends (as before), and its error reaches this thread
        // through the same serializer, the part that held a block replaced.
        assert.equal(end.phase, 'worker')
        assert.equal(end.name, 'RawTransferError')
        assert.equal(end.cause?.message, `uncaught ${i}`)
        assert.equal(end.cause.cause?.name, 'DataCloneError')
        assert.match(end.cause.cause.message, /thrown value cannot be sent .*2 GiB block/)
      } else if (c === 'thrown-cause') {
        // The error itself goes; its cause, which holds a view, is replaced by why it could not.
        assert.equal(end.phase, 'plugin')
        assert.equal(end.message, `thrown ${i}`)
        assert.equal(end.cause?.name, 'DataCloneError')
        assert.match(end.cause.message, /thrown value cannot be sent .*2 GiB block/)
      } else {
        assert.equal(end.phase, 'plugin', c)
        assert.equal(end.name, 'DataCloneError', `${c}: ${end.message}`)
        const what = REFUSED_THROWS.includes(c) ? 'the thrown value' : "the plugin's result"
        assert.match(end.message, new RegExp(`^${what} cannot be sent to the main thread: it holds .*2 GiB block`), c)
      }
    }
    // One copied block is 2 GiB, twice over (the worker's clone, then the main thread's).
    assert.ok(hwmMB < 1024, `peak RSS ${hwmMB.toFixed(0)} MB`)
    assert.equal(live, 0, 'every worker ended, its blocks freed')
  })
}

// The serializer itself, with a small ArrayBuffer registered as a block: every path to it is
// refused, and everything else clones as structuredClone does.
const fakeBlock = new ArrayBuffer(64)
blockBuffers.set.add(fakeBlock)
blockBuffers.refs.push(new WeakRef(fakeBlock))

const isRefused = (e) => /it holds .*2 GiB block/.test(e.message)

test('every path to a block is refused: depth, many elements, Map/Set, causes, getters, class instances, cycles', () => {
  const view = new Uint8Array(fakeBlock, 8, 4)
  const reach = [view, new DataView(fakeBlock), new Float64Array(fakeBlock), fakeBlock]
  class Holder {
    constructor(x) {
      this.x = x
    }
  }
  const placements = {
    itself: (x) => x,
    deep: (x) => ({ a: [[[{ b: [x] }]]] }),
    'after 20 000 elements': (x) => [...new Array(20000).fill(1), x],
    'a Map key': (x) => new Map([[x, 1]]),
    'a Map value': (x) => new Map([['k', x]]),
    'in a Set': (x) => new Set([1, x]),
    "an Error's cause": (x) => new Error('e', { cause: { x } }),
    'a getter': (x) => ({
      get g() {
        return x
      },
    }),
    'a class instance': (x) => new Holder(x),
    'a cycle': (x) => {
      const o = { self: null, x }
      o.self = o
      return o
    },
    'a sparse array': (x) => {
      const a = []
      a[1e6] = x
      return a
    },
  }
  for (const [where, place] of Object.entries(placements)) {
    for (const x of reach) {
      assert.throws(() => encode(place(x)), isRefused, `${where}: ${Object.prototype.toString.call(x)}`)
    }
  }
})

test('what is not a block clones as structuredClone does (shared buffers, cycles, Maps, errors, SharedArrayBuffers)', () => {
  const ab = new ArrayBuffer(16)
  const u8 = new Uint8Array(ab, 2, 4)
  u8.set([1, 2, 3, 4])
  const sab = new SharedArrayBuffer(8)
  const cyclic = { name: 'c' }
  cyclic.self = cyclic
  const value = {
    u8,
    f64: new Float64Array(ab, 8, 1),
    dv: new DataView(ab, 1, 3),
    ab,
    big: new BigInt64Array([1n, -2n]),
    buffer: Buffer.from('hi'),
    map: new Map([[{ k: 1 }, new Set([1, 'x'])]]),
    date: new Date(0),
    re: /a+/gi,
    err: new RangeError('r', { cause: 'c' }),
    cyclic,
    text: 'é😀'.repeat(1000),
    n: [1.5, -0, NaN, 2n ** 70n, null, undefined, true],
    sab: new Int32Array(sab),
  }
  const shared = []
  const got = decode(encode(value, shared), shared)
  const want = structuredClone(value)
  for (const k of Object.keys(want)) {
    if (k === 'err') continue
    assert.deepEqual(got[k], want[k], k)
  }
  assert.equal(got.err.name, 'RangeError')
  assert.equal(got.err.cause, 'c')
  assert.equal(got.u8.buffer, got.ab, 'views share their cloned buffer')
  assert.equal(got.f64.buffer, got.ab)
  assert.equal(got.dv.buffer, got.ab)
  assert.equal(got.cyclic.self, got.cyclic)
  assert.equal(got.sab.buffer, sab, 'a SharedArrayBuffer is shared, not copied')
  // The bytes a block's reference is written as, by chance in a string and in a typed array.
  const lookalike = { s: 't\xff\xff\xff\xff\x0f', bytes: new Uint8Array([0x74, 0xff, 0xff, 0xff, 0xff, 0x0f]) }
  assert.deepEqual(decode(encode(lookalike)), lookalike)
  const aggregate = decode(encode(new AggregateError([new Uint8Array(fakeBlock)], 'agg')))
  assert.equal(aggregate.message, 'agg', "AggregateError.errors is not cloned (structured clone's rule), so its block is not reached")
})

test('values that cannot be cloned: the serializer says so; thrown ones become records that can be sent', () => {
  const notCloneable = [() => 1, Symbol('s'), new Proxy({}, {}), { f() {} }, new WeakMap()]
  for (const v of notCloneable) assert.throws(() => encode(v), (e) => !isRefused(e))
  assert.deepEqual(serializeError(() => 1), { error: false, value: '() => 1' })
  assert.deepEqual(serializeError(Symbol('s')), { error: false, value: 'Symbol(s)' })
  for (const v of [new Proxy({}, {}), { f() {} }, new Uint8Array(fakeBlock), { ab: fakeBlock }]) {
    const rec = serializeError(v)
    assert.equal(rec.error, true)
    assert.equal(rec.name, 'DataCloneError')
    assert.match(rec.message, /^the thrown value cannot be sent to the main thread/)
    assert.doesNotThrow(() => encode(rec), 'the record itself can be sent')
  }
  // A cause that reaches a block, behind a getter that throws once.
  let reads = 0
  const err = new Error('outer')
  Object.defineProperty(err, 'cause', {
    get() {
      if (reads++ === 0) throw new Error('not yet')
      return [new Uint8Array(fakeBlock)]
    },
  })
  const first = serializeError(err)
  assert.equal(first.cause, undefined, 'a getter that throws only loses that field')
  const second = serializeError(err)
  assert.equal(second.cause.name, 'DataCloneError')
  assert.ok(isRefused(second.cause), second.cause.message)
  // A thrown cyclic object and a huge string go as they are.
  const cyc = { a: 1 }
  cyc.self = cyc
  const rec = decode(encode(serializeError(cyc)))
  assert.equal(rec.value.self, rec.value)
  const huge = 'x'.repeat(64 << 20)
  assert.equal(decode(encode(serializeError(huge))).value.length, huge.length)
})
