'use strict'
// Hand-off rounds in both modes (ava runs each file in a worker thread: workerThreads: true).
const test = require('ava')
const w = require('../workload')

test('raw-transfer resolves through the file: link to the repo', (t) => {
  const rt = require('raw-transfer')
  t.is(rt, w.rt)
  t.is(typeof rt.liveBlocks(), 'number')
})
for (let rep = 0; rep < 3; rep++) {
  test.serial(`auto: 150 rounds (repeat ${rep})`, (t) => {
    t.true(['external', 'copy'].includes(w.handoffRounds({ transfer: 'auto', rounds: 150, label: `ava-a${rep}` }).transferMode))
  })
  test.serial(`copy: 100 rounds (repeat ${rep})`, (t) => {
    t.is(w.handoffRounds({ transfer: 'copy', rounds: 100, label: `ava-a-copy${rep}` }).transferMode, 'copy')
  })
}
