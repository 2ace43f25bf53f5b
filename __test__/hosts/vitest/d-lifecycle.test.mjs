// Pools closed or left to the GC, buffers read after close, and a worker thread of our own
// inside the runner's worker (threads pool) or child process (forks pool).
import { createRequire } from 'node:module'
import { expect, test } from 'vitest'

const w = createRequire(import.meta.url)('../workload.js')

test('where this file runs', () => {
  const here = w.where()
  // threads pool: a worker thread; forks pool: the main thread of a child process.
  console.log(`d-lifecycle runs in pid ${here.pid} thread ${here.threadId} (main thread: ${here.isMainThread})`)
  expect(here.liveBlocks).toBeGreaterThanOrEqual(0)
})
test('realm: typed errors, using via Symbol.dispose or its fallback, JSON.stringify, iteration', () => {
  // Under --pool=vmThreads this file and the package's JS run in a vm context of the worker.
  expect(w.realmChecks().liveBlocks).toBeGreaterThanOrEqual(0)
})
for (const c of w.cases.lifecycle()) test(c.name, c.fn)
