'use strict'
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
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

/**
 * liveBlocks() once the garbage of earlier tests is collected: GC and finalizers until the
 * count holds still for three rounds. A test that compares its end with its start needs
 * this: a block an earlier test left to the GC may otherwise be counted at the start and
 * freed during the test.
 */
async function liveBlocksBaseline() {
  let last = -1
  let still = 0
  for (let i = 0; i < 50 && still < 3; i++) {
    await collectUntil(() => false, 1)
    const n = rt.liveBlocks()
    still = n === last ? still + 1 : 0
    last = n
  }
  return rt.liveBlocks()
}

/** Wait until liveBlocks() equals `n`; returns the final count. */
async function settleLiveBlocks(n) {
  await collectUntil(() => rt.liveBlocks() === n)
  return rt.liveBlocks()
}

/** `n` JSON files in a new temporary directory, file `i` holding `content(i)`: `{ dir, paths }`. */
function writeJsonFiles(n, content = (i) => ({ i })) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rt-test-'))
  const paths = Array.from({ length: n }, (_, i) => {
    const p = path.join(dir, `f${i}.json`)
    fs.writeFileSync(p, JSON.stringify(content(i)))
    return p
  })
  return { dir, paths }
}

/** Run `code` in a fresh node (with gc exposed); returns { status, signal, stdout, stderr }. */
function node(code, options = {}) {
  return spawnSync(process.execPath, ['--expose-gc', '-e', code], { encoding: 'utf8', timeout: 60_000, ...options })
}

/** `node(code)` with `ulimit -v kb` (address space, KiB). */
function limited(kb, code) {
  return spawnSync('bash', ['-c', `ulimit -v ${kb} && exec "$0" --expose-gc -e "$1"`, process.execPath, code], {
    encoding: 'utf8',
    timeout: 60_000,
  })
}

const MODES = ['external', 'copy']

module.exports = { rt, tick, collectUntil, settleLiveBlocks, liveBlocksBaseline, writeJsonFiles, node, limited, MODES }
