// parseJsonFiles: Rust threads parse files while the test runner's worker runs the plugin.
import { createRequire } from 'node:module'
import { expect, test } from 'vitest'

const w = createRequire(import.meta.url)('../workload.js')

for (let rep = 0; rep < 3; rep++) {
  test(`auto: 24 files + a broken one (repeat ${rep})`, async () => {
    expect((await w.filesRound({ transfer: 'auto', label: `vitest-c${rep}` })).files).toBe(24)
  })
  test(`copy: 24 files + a broken one (repeat ${rep})`, async () => {
    expect((await w.filesRound({ transfer: 'copy', label: `vitest-c-copy${rep}` })).transferMode).toBe('copy')
  })
}
test('hand-off between file rounds', () => {
  w.handoffRounds({ transfer: 'auto', rounds: 50, label: 'vitest-c-handoff' })
})
