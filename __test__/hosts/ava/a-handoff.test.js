'use strict'
// Hand-off rounds in both modes (ava runs each file in a worker thread: workerThreads: true).
const test = require('ava')
const w = require('../workload')

test('raw-transfer resolves through the file: link to the repo', (t) => {
  const rt = require('raw-transfer')
  t.is(rt, w.rt)
  t.is(typeof rt.liveBlocks(), 'number')
})
for (const c of w.cases.handoff('ava')) {
  test.serial(c.name, async (t) => {
    await c.fn()
    t.pass()
  })
}
