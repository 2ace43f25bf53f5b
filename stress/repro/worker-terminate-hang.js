'use strict'
// Bug: worker.terminate() never resolves when the worker has a parseJsonFiles job waiting
// for a block its own plugins hold. Node's environment teardown (FreeEnvironment ->
// RunCleanup -> CleanupHandles) waits for in-flight threadpool work first; the job's
// next() is blocked in rx.recv(), the parse threads in pool.get(); the blocks would only be
// released by the napi finalizers, which run after CleanupHandles. Deadlock. (It can also
// pass when terminate lands while no next() is in flight: run it a few times.)
//   timeout 20 node stress/repro/worker-terminate-hang.js; echo $?   # 124 / "HANG"
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const rt = require('../..')
if (isMainThread) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rt-repro-'))
  ;(async () => {
    for (let round = 0; round < 5; round++) {
      const w = new Worker(__filename, { workerData: { dir } })
      await new Promise((resolve) => w.on('message', resolve))
      const t = setTimeout(() => {
        console.log(`round ${round}: HANG, worker.terminate() did not resolve in 5 s`)
        process.kill(process.pid, 'SIGKILL') // process.exit() would hang too (it joins the worker)
      }, 5000)
      await w.terminate()
      clearTimeout(t)
      console.log(`round ${round}: terminated`)
    }
    fs.rmSync(dir, { recursive: true })
  })()
} else {
  const paths = [0, 1, 2, 3, 4, 5].map((i) => {
    const p = path.join(workerData.dir, `${i}.json`)
    fs.writeFileSync(p, `{"i":${i}}`)
    return p
  })
  const pool = new rt.FixedSizeAllocatorPool({ size: 2 })
  let n = 0
  pool.parseJsonFiles(paths, () => {
    if (++n === 2) parentPort.postMessage('holding both blocks')
    return new Promise(() => {})
  })
}
