'use strict'
// Each worker thread is its own JS environment with its own pools and buffers; the addon
// is loaded once per process, so liveBlocks() counts all of them.
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { Worker } = require('node:worker_threads')
const { rt, settleLiveBlocks, MODES, liveBlocksBaseline } = require('./helpers')

const workerFile = path.join(__dirname, 'fixtures', 'block-worker.js')

function runWorker(workerData) {
  const w = new Worker(workerFile, { workerData })
  const messages = []
  const done = new Promise((resolve, reject) => {
    w.on('message', (m) => messages.push(m))
    w.on('error', reject)
    w.on('exit', (code) => resolve(code))
  })
  return { w, messages, done }
}

for (const transfer of MODES) {
  test(`${transfer}: 4 workers acquire, read and exit; blocks return to baseline`, async () => {
    const start = await liveBlocksBaseline()
    const runs = [0, 1, 2, 3].map((i) => runWorker({ transfer, index: i, hold: false }))
    const codes = await Promise.all(runs.map((r) => r.done))
    assert.deepEqual(codes, [0, 0, 0, 0])
    for (const [i, r] of runs.entries()) {
      const result = r.messages.find((m) => m.type === 'result')
      assert.ok(result, `worker ${i} reported`)
      assert.equal(result.text, `worker ${i} round 9`)
      assert.equal(result.transferMode, transfer)
      assert.equal(result.bufferSize, rt.BUFFER_SIZE)
    }
    assert.equal(await settleLiveBlocks(start), start)
  })

  test(`${transfer}: workers terminated while holding blocks free them`, async () => {
    const start = await liveBlocksBaseline()
    const runs = [0, 1, 2, 3].map((i) => runWorker({ transfer, index: i, hold: true }))
    // Wait until each worker holds its blocks, then terminate it mid-flight.
    await Promise.all(
      runs.map(
        (r) =>
          new Promise((resolve) => {
            r.w.on('message', (m) => m.type === 'holding' && resolve())
          }),
      ),
    )
    assert.ok(rt.liveBlocks() >= start + 4)
    await Promise.all(runs.map((r) => r.w.terminate()))
    await Promise.all(runs.map((r) => r.done))
    assert.equal(await settleLiveBlocks(start), start)
  })
}
