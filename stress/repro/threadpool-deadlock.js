'use strict'
// Bug: 4 concurrent parseJsonFiles jobs whose async plugins use the libuv threadpool
// (fs.promises here) deadlock: each job's pending next() occupies one of the 4 threadpool
// threads (blocked in rx.recv()), the plugins' readFile calls queue behind them and never
// run, so no plugin settles, no block comes back, no parse thread proceeds.
// Expected: "done". Actual: no output, the process never ends (passes with UV_THREADPOOL_SIZE=8).
//   timeout 10 node stress/repro/threadpool-deadlock.js; echo $?   # 124
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const rt = require('../..')
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rt-repro-'))
const paths = [0, 1, 2, 3, 4, 5].map((i) => {
  const p = path.join(dir, `${i}.json`)
  fs.writeFileSync(p, `{"i":${i}}`)
  return p
})
Promise.all(
  [0, 1, 2, 3].map(async () => {
    const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
    await pool.parseJsonFiles(paths, async (doc, p) => {
      await fs.promises.readFile(p)
    })
    pool.close()
  }),
).then(() => {
  fs.rmSync(dir, { recursive: true })
  console.log('done')
})
