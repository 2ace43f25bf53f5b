'use strict'
// Hand-off rounds in both modes. Jest evaluates this file and every module it requires
// (raw-transfer's JS included) in a vm context of its own, with the native addon loaded once
// per worker process by the real require: the package runs in a realm that is not the addon's.
const w = require('../workload')

test('raw-transfer resolves through the file: link and loads in the Jest sandbox', () => {
  const rt = require('raw-transfer')
  expect(rt).toBe(w.rt)
  expect(typeof rt.liveBlocks()).toBe('number')
})
for (let rep = 0; rep < 3; rep++) {
  test(`auto: 150 rounds (repeat ${rep})`, () => {
    expect(['external', 'copy']).toContain(w.handoffRounds({ transfer: 'auto', rounds: 150, label: `jest-a${rep}` }).transferMode)
  })
  test(`copy: 100 rounds (repeat ${rep})`, () => {
    expect(w.handoffRounds({ transfer: 'copy', rounds: 100, label: `jest-a-copy${rep}` }).transferMode).toBe('copy')
  })
}
