// parseJson + toJS against JSON.parse on generated documents, both modes, repeatedly.
import { createRequire } from 'node:module'
import { expect, test } from 'vitest'

const w = createRequire(import.meta.url)('../workload.js')

for (let rep = 0; rep < 3; rep++) {
  test(`auto: 400 generated documents (seed ${rep + 1})`, () => {
    expect(w.jsonRounds({ transfer: 'auto', count: 400, seed: rep + 1 }).count).toBe(400)
  })
  test(`copy: 200 generated documents (seed ${rep + 100})`, () => {
    expect(w.jsonRounds({ transfer: 'copy', count: 200, seed: rep + 100 }).transferMode).toBe('copy')
  })
}
