'use strict'
// A native job has one driver: a second take() while the first one's promise is pending,
// or a second runJob on a running job, is refused with JobBusyError, and the first goes on
// to the end (a second driver would take the first's items and leave its promise unsettled).
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const { rt, writeJsonFiles } = require('./helpers')
const { native } = require('../reader')

/** Files big enough that the first take() finds nothing ready and gets a promise. */
// (10 MB each: tens of ms to read and parse, even on a fast machine.)
const bigFiles = (n) => writeJsonFiles(n, (i) => ({ i, rows: Array.from({ length: 400000 }, (_, k) => ({ k, s: `row ${k}` })) }))

test('a second take() while one waits throws JobBusyError; the first still settles', async () => {
  const { dir, paths } = bigFiles(2)
  const pool = new rt.FixedSizeAllocatorPool({ size: 4 })
  const job = pool._native.startJsonFiles(paths, 1, 0)
  const first = job.take(null)
  assert.equal(first.records.length, 0, 'nothing is ready yet')
  assert.ok(first.wait instanceof Promise)
  assert.throws(() => native(() => job.take(null)), (e) => e instanceof rt.JobBusyError && e.code === 'JobBusy')
  await first.wait // settles: it was not replaced
  // Drive the rest to the end.
  let items = 0
  for (;;) {
    const batch = job.take(null)
    const r = batch.records // 6 numbers per item: index, id, generation, bytes, root, doc
    for (let i = 0; i < r.length; i += 6) if (r[i + 1] !== 0) pool._native.releaseMany(Uint32Array.of(r[i + 1], r[i + 5]))
    items += r.length / 6
    if (batch.done) break
    if (batch.wait) await batch.wait
  }
  assert.equal(items, 2)
  job.cancel()
  pool.close()
  fs.rmSync(dir, { recursive: true })
})

test('a second runJob on a running job rejects with JobBusyError; the first completes', async () => {
  const { dir, paths } = bigFiles(3)
  const pool = new rt.FixedSizeAllocatorPool({ size: 4 })
  const job = pool._native.startJsonFiles(paths, 1, 0)
  const cache = new rt.BufferCache((id) => pool._native.resend(id))
  const options = {
    cache,
    release: (ids) => pool._native.releaseMany(ids),
    open(item, giveBack) {
      cache.receive(item.id, null)
      return { value: item, close: giveBack }
    },
    plugin() {},
    fail: (f) => new Error(f.message),
  }
  const first = rt.runJob(job, options)
  await assert.rejects(rt.runJob(job, options), rt.JobBusyError)
  const r = await first
  assert.equal(r.items, 3)
  assert.deepEqual(r.errors, [])
  pool.close()
  fs.rmSync(dir, { recursive: true })
})
