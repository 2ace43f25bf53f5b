// Hand-off rounds in both modes, and the package imported the way a vitest user would.
import { createRequire } from 'node:module'
import { describe, expect, test } from 'vitest'
import rtViaVite from 'raw-transfer'

const w = createRequire(import.meta.url)('../workload.js')

describe('hand-off', () => {
  test('import from vitest resolves the same package (file: link, addon of the repo)', () => {
    expect(typeof rtViaVite.liveBlocks).toBe('function')
    expect(rtViaVite.BUFFER_SIZE).toBe(w.rt.BUFFER_SIZE)
    const pool = new rtViaVite.FixedSizeAllocatorPool({ size: 1 })
    const block = pool.acquire()
    const s = block.writeString('imported through vite')
    expect(block.raw.str(s.ptr, s.len)).toBe('imported through vite')
    block.release()
    pool.close()
  })
  for (let rep = 0; rep < 3; rep++) {
    test(`auto: 150 rounds (repeat ${rep})`, () => {
      const r = w.handoffRounds({ transfer: 'auto', rounds: 150, label: `vitest-a${rep}` })
      expect(['external', 'copy']).toContain(r.transferMode)
    })
    test(`copy: 100 rounds (repeat ${rep})`, () => {
      expect(w.handoffRounds({ transfer: 'copy', rounds: 100, label: `vitest-a-copy${rep}` }).transferMode).toBe('copy')
    })
  }
})
