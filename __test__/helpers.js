'use strict'
const rt = require('..')

const tick = () => new Promise((resolve) => setImmediate(resolve))

/** Run GC and let finalizers run (Node runs them on a later turn) until `done()` or give up. */
async function collectUntil(done, rounds = 50) {
  for (let i = 0; i < rounds; i++) {
    if (done()) return true
    if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc')
    global.gc()
    await tick()
    await new Promise((r) => setTimeout(r, 2))
  }
  return done()
}

/** Wait until liveBlocks() equals `n`; returns the final count. */
async function settleLiveBlocks(n) {
  await collectUntil(() => rt.liveBlocks() === n)
  return rt.liveBlocks()
}

const MODES = ['external', 'copy']

module.exports = { rt, tick, collectUntil, settleLiveBlocks, MODES }
