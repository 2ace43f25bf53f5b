'use strict'
// Worker of __test__/runtimes/smoke.js. workerData: { transfer, index, mode }
//   mode 'work':     20 rounds of acquire / write / read / parseJson, post the result, close, exit
//   mode 'no-close': one round, post the result, exit without closing the pool
//   mode 'hold':     check out two blocks, post 'holding', stay alive until terminated
const { parentPort, workerData } = require('node:worker_threads')
const rt = require('../..')

const { transfer, index, mode } = workerData
try {
  const pool = new rt.FixedSizeAllocatorPool({ size: 2, transfer })
  let text
  let json
  for (let round = 0; round < (mode === 'work' ? 20 : 1); round++) {
    const block = pool.acquire()
    const w = block.writeString(`worker ${index} round ${round} é`)
    block.setDataOffset(w.ptr)
    text = block.raw.str(block.raw.dataOffset, w.len)
    block.release()
    const doc = pool.parseJson(JSON.stringify({ worker: index, round, s: 'é😀' }))
    json = doc.toJS()
    doc.release()
  }
  parentPort.postMessage({ type: 'result', text, json, transferMode: pool.transferMode })
  if (mode === 'hold') {
    const held = [pool.acquire(), pool.acquire()]
    held.forEach((b, i) => b.writeString(`held ${i}`))
    globalThis.held = held
    parentPort.postMessage({ type: 'holding' })
    setInterval(() => {}, 1000) // stay alive until terminated
  } else if (mode === 'work') {
    pool.close()
  }
} catch (e) {
  parentPort.postMessage({ type: 'result', error: String(e && e.stack) })
}
