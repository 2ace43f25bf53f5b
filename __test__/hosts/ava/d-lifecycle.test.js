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
for (let rep = 0; rep < 3; rep++) {
  for (const transfer of ['auto', 'copy']) {
    test.serial(`${transfer}: pool churn (repeat ${rep})`, (t) => {
      t.is(w.poolChurn({ transfer, pools: 20 }).pools, 20)
    })
    test.serial(`${transfer}: a nested worker thread does its own hand-offs (repeat ${rep})`, async (t) => {
      const r = await w.nestedWorker({ transfer, rounds: 30 })
      t.false(r.isMainThread)
      t.is(r.rounds, 30)
    })
  }
}
