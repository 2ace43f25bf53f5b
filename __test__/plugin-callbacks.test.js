'use strict'
// Plugins that return hostile thenables or promises that never settle, and callbacks that
// release the document they are reading.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { rt, writeJsonFiles } = require('./helpers')

test('parseJsonFiles: a hostile thenable from a plugin is that file\'s error, and its block goes back', async () => {
  const { dir, paths } = writeJsonFiles(6)
  const pool = new rt.FixedSizeAllocatorPool({ size: 2 })
  try {
    const thenGetter = new Error('then getter throws')
    const thenCall = new Error('then throws when called')
    const seen = []
    const result = await pool.parseJsonFiles(paths, (doc) => {
      const i = doc.root.get('i').value
      seen.push(i)
      if (i === 1) return { get then() { throw thenGetter } }
      if (i === 2) return { then() { throw thenCall } }
      if (i === 3) return { then: (resolve) => resolve({ then: (_, reject) => reject('nested') }) }
      if (i === 4) return Object.assign(() => {}, { then: (resolve) => resolve() }) // a callable thenable
    })
    assert.deepEqual(seen.sort(), [0, 1, 2, 3, 4, 5])
    assert.equal(result.files, 6)
    const byFile = Object.fromEntries(result.errors.map((e) => [path.basename(e.path), e]))
    assert.equal(byFile['f1.json'].error, thenGetter)
    assert.equal(byFile['f2.json'].error, thenCall)
    assert.equal(byFile['f3.json'].error, 'nested')
    assert.equal(result.errors.length, 3)
    assert.ok(result.errors.every((e) => e.phase === 'plugin'))
    assert.equal(pool.stats().inUse, 0, 'every block is back, without waiting for the GC')
  } finally {
    pool.close()
    fs.rmSync(dir, { recursive: true })
  }
})

test('parseJsonFiles: pluginTimeoutMs records a PluginTimeoutError, releases the block and finishes the run', { timeout: 10_000 }, async () => {
  const { dir, paths } = writeJsonFiles(4)
  // A pool of 1: the block the never-settling plugin holds is the one the others need.
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  // Something else keeps the process alive (a server would): the timers are unref'd.
  const keepAlive = setInterval(() => {}, 1000)
  let late = null
  try {
    let held = null
    const result = await pool.parseJsonFiles(
      paths,
      (doc) => {
        const i = doc.root.get('i').value
        if (i === 0) {
          held = doc
          return new Promise(() => {}) // never settles
        }
        if (i === 1) {
          // Settles (rejects) after its timeout: recorded once, as the timeout.
          return new Promise((resolve, reject) => {
            late = setTimeout(() => reject(new Error('too late')), 150)
          })
        }
      },
      { pluginTimeoutMs: 40 },
    )
    assert.equal(result.files, 4)
    assert.equal(result.errors.length, 2)
    for (const [k, e] of result.errors.entries()) {
      assert.equal(e.phase, 'plugin')
      assert.ok(e.error instanceof rt.PluginTimeoutError)
      assert.ok(e.error instanceof rt.RawTransferError)
      assert.equal(e.error.code, 'PluginTimeout')
      assert.equal(e.error.path, paths[k])
      assert.equal(e.path, paths[k])
      assert.match(e.error.message, /did not settle within 40 ms/)
    }
    assert.equal(pool.stats().inUse, 0)
    assert.equal(held.released, true)
    assert.throws(() => held.toJS(), rt.StaleBufferError)
    await new Promise((resolve) => setTimeout(resolve, 200)) // the late rejection is ignored
    assert.equal(result.errors.length, 2)
    // Without the option, a plugin that settles normally is unaffected.
    const normal = await pool.parseJsonFiles(paths, async (doc) => doc.toJS(), { pluginTimeoutMs: 5000 })
    assert.deepEqual(normal.errors, [])
  } finally {
    clearInterval(keepAlive)
    clearTimeout(late)
    pool.close()
    fs.rmSync(dir, { recursive: true })
  }
})

test('forEach stops with StaleBufferError when its callback released the document and the block was reused', () => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  try {
    for (const [text, next] of [
      ['{"a": 1, "b": 2, "c": 3}', '{"x": 9, "y": 8, "z": 7}'],
      ['[1, 2, 3]', '[9, 8, 7]'],
    ]) {
      const doc = pool.parseJson(text)
      const calls = []
      let other = null
      assert.throws(
        () =>
          doc.root.forEach((child, key) => {
            // Only the key: the first call releases, later ones would read the new document.
            calls.push(key)
            if (other === null) {
              doc.release()
              other = pool.parseJson(next) // the same block, now another document
            }
          }),
        rt.StaleBufferError,
      )
      assert.equal(calls.length, 1, `${text}: ${JSON.stringify(calls)}`)
      assert.equal(other.bufferId, doc.bufferId)
      other.release()
      // Returning false still stops without a check.
      const again = pool.parseJson(text)
      let n = 0
      again.root.forEach(() => {
        n++
        again.release()
        return false
      })
      assert.equal(n, 1)
    }
  } finally {
    pool.close()
  }
})
