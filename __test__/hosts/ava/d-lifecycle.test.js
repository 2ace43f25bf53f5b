'use strict'
// Pools closed or left to the GC, buffers read after close, and a worker thread of our own
// inside ava's worker thread.
const test = require('ava')
const w = require('../workload')

test.serial('where this file runs', (t) => {
  const here = w.where()
  t.log(`d-lifecycle runs in pid ${here.pid} thread ${here.threadId} (main thread: ${here.isMainThread})`)
  t.false(here.isMainThread, 'workerThreads: true puts test files in worker threads')
})
for (const c of w.cases.lifecycle()) {
  test.serial(c.name, async (t) => {
    await c.fn()
    t.pass()
  })
}
