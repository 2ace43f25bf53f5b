'use strict'
// parseJsonFiles: Rust threads parse files while Jest's worker runs the plugin.
const w = require('../workload')

for (let rep = 0; rep < 3; rep++) {
  test(`auto: 24 files + a broken one (repeat ${rep})`, async () => {
    expect((await w.filesRound({ transfer: 'auto', label: `jest-c${rep}` })).files).toBe(24)
  })
  test(`copy: 24 files + a broken one (repeat ${rep})`, async () => {
    expect((await w.filesRound({ transfer: 'copy', label: `jest-c-copy${rep}` })).transferMode).toBe('copy')
  })
}
test('hand-off between file rounds', () => {
  w.handoffRounds({ transfer: 'auto', rounds: 50, label: 'jest-c-handoff' })
})
