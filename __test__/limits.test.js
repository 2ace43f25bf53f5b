'use strict'
// Numbers past what the native side can take, documents too big for a block and pools past
// the mapping limit are errors that name the limit, never a panic or an abort.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const path = require('node:path')
const { rt, node, limited } = require('./helpers')

const root = path.join(__dirname, '..')

const binding = () => require(path.join(root, `raw-transfer.${require('../js/native/platform').triple()}.node`))

test('timeouts too big for the clock are refused by the native pool, not a panic that aborts', () => {
  // Straight to the native class, past the JS runtime's own checks: the native layer must
  // hold on its own (other JS wrappers may call it).
  const { NativePool } = binding()
  for (const ms of [Number.MAX_VALUE, 1e22, 2 ** 31, Infinity, NaN, -1]) {
    assert.throws(
      () => new NativePool(1, 'auto', ms, 0, 1 << 20),
      (e) => e instanceof rt.InvalidArgumentError && e.code === 'InvalidArgument' && /^acquireTimeoutMs/.test(e.message),
      String(ms),
    )
  }
  for (const size of [0, 0.5, 2 ** 32 + 1, -1, NaN, 5000]) {
    assert.throws(() => new NativePool(size, 'auto', 0, 0, 1 << 20), (e) => e instanceof rt.InvalidArgumentError && /^pool size/.test(e.message), String(size))
  }
  // The longest allowed timeout on an exhausted pool: a worker thread waits, the main
  // thread releases; no overflow on the way.
  const res = node(`
    const { Worker } = require('node:worker_threads')
    const { NativePool } = require(${JSON.stringify(path.join(root, `raw-transfer.${require('../js/native/platform').triple()}.node`))})
    const pool = new NativePool(1, 'auto', 2 ** 31 - 1, 0, 1 << 20)
    const fast = pool.fastCalls()
    const idOf = (sent) => (typeof sent === 'number' ? Math.floor(sent / 2 ** 32) : sent.id)
    const a = idOf(fast.acquire())
    fast.release(a)
    const b = idOf(fast.acquire())
    fast.release(b)
    console.log('ok', a === b)`)
  assert.equal(res.status, 0, res.stderr)
  assert.match(res.stdout, /ok true/)
})

test('a document whose nodes cannot fit in a block fails with BlockFullError, not an abort', () => {
  // 200 MB of '0,': 100 M nodes of 24 bytes (2.4 GB) cannot fit in a 2 GiB block. The
  // parser's scratch must stop at what the block could still take, not grow past it: run
  // under a 6 GB address-space limit.
  const res = limited(6_000_000, `
    const rt = require(${JSON.stringify(root)})
    const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
    const text = Buffer.alloc(200_000_003, ',0')
    text[0] = 0x5b
    text[text.length - 1] = 0x5d
    try { pool.parseJson(text); console.log('parsed?') } catch (e) { console.log(e.name) }
    console.log(pool.stats().inUse)`)
  assert.equal(res.status, 0, res.stderr)
  assert.deepEqual(res.stdout.trim().split('\n'), ['BlockFullError', '0'])
})

test('pools created and closed in one synchronous loop stop at the mapping limit with an error that names it', () => {
  // The real limit (vm.max_map_count, 65 530) takes ~8 000 unfinalized blocks and ~40 s to
  // reach; RAW_TRANSFER_MAX_MAP_COUNT lowers it so the same path runs in a second.
  const res = spawnSync(
    process.execPath,
    [
      '--expose-gc',
      '-e',
      `const rt = require(${JSON.stringify(root)})
       let i = 0
       try {
         for (; i < 10_000; i++) { const p = new rt.FixedSizeAllocatorPool({ size: 1 }); p.acquire().writeString('x'); p.close() }
         console.log('no limit')
       } catch (e) { console.log(JSON.stringify({ i, name: e.name, message: e.message })) }
       // After the loop lets the GC finalize the closed pools' buffers, blocks come again.
       setTimeout(() => { global.gc(); setTimeout(() => {
         const p = new rt.FixedSizeAllocatorPool({ size: 1 }); p.acquire().release(); p.close(); console.log('again ok')
       }, 200) }, 50)`,
    ],
    { encoding: 'utf8', timeout: 60_000, env: { ...process.env, RAW_TRANSFER_MAX_MAP_COUNT: '2000' }, execArgv: [] },
  )
  assert.equal(res.status, 0, res.stderr)
  const [first, second] = res.stdout.trim().split('\n')
  const out = JSON.parse(first)
  assert.equal(out.name, 'OutOfMemoryError')
  assert.match(out.message, /vm\.max_map_count/)
  assert.ok(out.i >= 200 && out.i <= 250, `refused after ${out.i} blocks`)
  assert.equal(second, 'again ok')
})
