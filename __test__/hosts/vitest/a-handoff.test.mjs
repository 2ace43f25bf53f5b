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
  for (const c of w.cases.handoff('vitest')) test(c.name, c.fn)
})
