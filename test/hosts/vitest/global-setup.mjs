// Runs in vitest's main process. With the threads pool every test file runs in a worker
// thread of this process, and liveBlocks() counts the blocks of all of them: once the
// workers are gone (their environments torn down), it must be back to where it started.
import { createRequire } from 'node:module'

const rt = createRequire(import.meta.url)('raw-transfer')

export default function setup({ provide }) {
  const start = rt.liveBlocks()
  return async function teardown() {
    const first = rt.liveBlocks()
    // The pool's workers may still be shutting down: give them a moment.
    const until = Date.now() + 10_000
    while (rt.liveBlocks() !== start && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
    const end = rt.liveBlocks()
    console.log(`raw-transfer liveBlocks in the vitest main process: ${start} at start, ${end} at teardown (${first} when it began)`)
    if (end !== start) throw new Error(`raw-transfer: ${end - start} blocks of the test workers were never freed`)
  }
}
