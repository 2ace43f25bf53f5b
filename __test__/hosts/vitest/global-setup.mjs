// Runs in vitest's main process. With the threads pool every test file runs in a worker
// thread of this process, and liveBlocks() counts the blocks of all of them: once the
// workers are gone (their environments torn down), it must be back to where it started.
import { createRequire } from 'node:module'

const rt = createRequire(import.meta.url)('raw-transfer')

export default function setup(project) {
  const start = rt.liveBlocks()
  // vmThreads runs each file in a vm context of long-lived workers: those workers (the
  // environments that own the blocks) are still alive at globalSetup teardown, and blocks of
  // pools the files left to the GC are freed at the workers' next GC or exit. Only report.
  const pool = project?.config?.pool
  const strict = pool !== 'vmThreads' && pool !== 'vmForks'
  return async function teardown() {
    const first = rt.liveBlocks()
    // The pool's workers may still be shutting down: give them a moment.
    const until = Date.now() + 10_000
    while (rt.liveBlocks() !== start && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
    const end = rt.liveBlocks()
    console.log(`raw-transfer liveBlocks in the vitest main process: ${start} at start, ${end} at teardown (${first} when it began)`)
    if (end !== start && !strict) {
      console.log(`raw-transfer: ${end - start} blocks still held by the live ${pool} workers (not checked for this pool)`)
      return
    }
    if (end !== start) throw new Error(`raw-transfer: ${end - start} blocks of the test workers were never freed`)
  }
}
