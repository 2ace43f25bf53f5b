'use strict'
// Pools closed or left to the GC, a worker thread of our own, and what the Jest sandbox
// (another realm) does to typed errors, `using` and values.
const fs = require('node:fs')
const path = require('node:path')
const w = require('../workload')

test('where this file runs', () => {
  const here = w.where()
  console.log(`d-lifecycle runs in pid ${here.pid} thread ${here.threadId} (main thread: ${here.isMainThread})`)
  expect(here.liveBlocks).toBeGreaterThanOrEqual(0)
})
test('realm: typed errors, using via Symbol.dispose or its fallback, JSON.stringify, iteration', () => {
  w.realmChecks()
})
test('realm: a Buffer from fs (made outside the sandbox) parses', () => {
  const rt = w.rt
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  try {
    const bytes = fs.readFileSync(path.join(__dirname, '..', 'package.json'))
    const doc = pool.parseJson(bytes)
    expect(doc.toJS().name).toBe('raw-transfer-hosts')
    doc.release()
  } finally {
    pool.close()
  }
})
for (const c of w.cases.lifecycle()) test(c.name, c.fn)
