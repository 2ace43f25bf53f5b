'use strict'
// Two worker threads, each its own JS environment with its own CsvPool (an EnvPool belongs
// to one environment), in both transfer modes; one worker is terminated with blocks out.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { Worker } = require('node:worker_threads')

const code = `
  const { parentPort, workerData } = require('node:worker_threads')
  const assert = require('node:assert/strict')
  const { CsvPool } = require(${JSON.stringify(path.join(__dirname, '..'))})
  const { csv, expected } = require(${JSON.stringify(path.join(__dirname, 'helpers'))})
  const pool = new CsvPool({ size: 2, transfer: workerData.transfer })
  assert.equal(pool.transferMode, workerData.transfer)
  const ids = new Set()
  let rows = 0
  for (let k = 0; k < 3000; k++) {
    const seed = workerData.seed * 100000 + k
    const t = pool.parse(csv(1 + (k % 6), seed))
    assert.equal(t.firstHandOff, !ids.has(t.id))
    ids.add(t.id)
    const got = t.table.rows.toJS()
    assert.deepEqual(got, expected(1 + (k % 6), seed))
    rows += got.length
    pool.release(t.id)
  }
  if (workerData.leave) {
    pool.parse(csv(3, 1)) // left out: the worker's teardown must return it
    parentPort.postMessage({ rows, ids: [...ids] })
    setInterval(() => {}, 1000) // stay alive until terminated
  } else {
    pool.close()
    parentPort.postMessage({ rows, ids: [...ids] })
  }`

function run(workerData) {
  return new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData })
    const exited = new Promise((res) => w.once('exit', res))
    w.once('message', (m) => resolve({ ...m, worker: w, exited }))
    w.once('error', reject)
    w.once('exit', (c) => reject(new Error(`worker exited with ${c} before reporting`)))
  })
}

for (const transfer of ['external', 'copy']) {
  test(`${transfer}: two workers, each with its own pool`, async () => {
    const results = await Promise.all([run({ transfer, seed: 1 }), run({ transfer, seed: 2 })])
    const rows = 3000 + 3000 // per worker: sum of 1 + (k % 6) over k < 3000
    for (const r of results) assert.equal(r.rows, (rows / 2) * 3.5)
    const [a, b] = results.map((r) => new Set(r.ids))
    for (const id of a) assert.ok(!b.has(id), 'block ids are unique in the process')
    assert.deepEqual(await Promise.all(results.map((r) => r.exited)), [0, 0])
  })

  test(`${transfer}: a worker terminated with a block checked out`, async () => {
    const r = await run({ transfer, seed: 3, leave: true })
    assert.equal(r.rows, 3000 * 3.5)
    const code = await r.worker.terminate()
    assert.equal(code, 1)
    // And the main thread's own pool still works afterwards.
    const { CsvPool } = require('..')
    const pool = new CsvPool({ transfer })
    const t = pool.parse('after,1')
    assert.deepEqual(t.table.rows.toJS(), [{ name: 'after', value: 1, line: 1 }])
    pool.close()
  })
}
