'use strict'
// What parseJsonFiles reports for files it cannot read, and which paths arguments it takes.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { rt, writeJsonFiles } = require('./helpers')

/** Run parseJsonFiles over `paths` on a new pool; `{ result, failed: Map(path -> error) }`. */
async function run(paths, options) {
  const pool = new rt.FixedSizeAllocatorPool({ size: 2 })
  const failed = new Map()
  try {
    const result = await pool.parseJsonFiles(paths, (doc, p) => {
      if (doc instanceof Error) failed.set(p, doc)
    }, options)
    return { result, failed }
  } finally {
    pool.close()
  }
}

test('read errors carry Node-style code, errno, syscall and path', async () => {
  const { dir, paths } = writeJsonFiles(1)
  const missing = path.join(dir, 'missing.json')
  const subdir = path.join(dir, 'sub')
  fs.mkdirSync(subdir)
  const { result, failed } = await run([paths[0], missing, subdir])
  assert.equal(result.files, 3)

  const enoent = failed.get(missing)
  assert.ok(enoent instanceof rt.RawTransferError)
  assert.equal(enoent.code, 'ENOENT')
  assert.equal(enoent.errno, -2)
  assert.equal(enoent.syscall, 'open')
  assert.equal(enoent.path, missing)
  assert.match(enoent.message, /missing\.json/)

  const eisdir = failed.get(subdir)
  assert.equal(eisdir.code, 'EISDIR')
  assert.equal(eisdir.errno, -21)
  assert.equal(eisdir.syscall, 'read')

  // Both are read errors in the result, as before.
  assert.deepEqual(result.errors.map((e) => e.phase), ['read', 'read'])
  fs.rmSync(dir, { recursive: true })
})

test('files whose size the kernel makes up (procfs, sysfs) are refused before they are read', { skip: process.platform !== 'linux' }, async () => {
  // /proc/self/pagemap says 0 bytes and reads gigabytes; sysfs files say 4096.
  const specials = ['/proc/self/pagemap', '/proc/self/status', '/sys/kernel/mm/transparent_hugepage/enabled'].filter((p) => fs.existsSync(p))
  const before = process.memoryUsage().rss
  const { failed } = await run(specials, { threads: 2 })
  assert.equal(failed.size, specials.length)
  for (const p of specials) {
    const e = failed.get(p)
    assert.equal(e.code, 'Io', p)
    assert.match(e.message, /procfs|sysfs/)
  }
  // Refused, not read: no gigabytes of page map came in.
  assert.ok(process.memoryUsage().rss - before < 256 * 2 ** 20)
})

test('paths must be a dense array of strings, each read once', async () => {
  const { dir, paths } = writeJsonFiles(2)
  const pool = new rt.FixedSizeAllocatorPool({ size: 2 })
  const plugin = () => {}
  // A hole is not a path.
  // eslint-disable-next-line no-sparse-arrays
  await assert.rejects(pool.parseJsonFiles([, paths[0]], plugin), rt.InvalidArgumentError)
  // A Proxy over an array: each element is read once, through the Proxy.
  let reads = 0
  const proxy = new Proxy([...paths], {
    get(target, key, receiver) {
      if (key === '0') reads++
      return Reflect.get(target, key, receiver)
    },
  })
  const r = await pool.parseJsonFiles(proxy, plugin)
  assert.equal(r.files, 2)
  assert.equal(reads, 1)
  // An index getter that answers a string first and a number after: the first answer is used.
  const fickle = [paths[0], paths[1]]
  let calls = 0
  Object.defineProperty(fickle, 1, { get: () => (calls++ === 0 ? paths[1] : 42), enumerable: true })
  const seen = []
  const r2 = await pool.parseJsonFiles(fickle, (doc, p) => seen.push(p))
  assert.equal(r2.errors.length, 0)
  assert.deepEqual(seen.sort(), [...paths].sort())
  // The other way round: a number at the first read is refused, whatever comes after.
  const fickle2 = [paths[0], paths[1]]
  let calls2 = 0
  Object.defineProperty(fickle2, 1, { get: () => (calls2++ === 0 ? 42 : paths[1]), enumerable: true })
  await assert.rejects(pool.parseJsonFiles(fickle2, plugin), rt.InvalidArgumentError)
  pool.close()
  fs.rmSync(dir, { recursive: true })
})

test('runJsonPlugins takes the same paths arrays: a hole is refused, a Proxy read once', async () => {
  const { dir, paths } = writeJsonFiles(2)
  const plugin = path.join(dir, 'plugin.js')
  fs.writeFileSync(plugin, 'module.exports = () => 1\n')
  try {
    // eslint-disable-next-line no-sparse-arrays
    await assert.rejects(rt.runJsonPlugins([, paths[0]], { plugin, workers: 1 }), rt.InvalidArgumentError)
    const r = await rt.runJsonPlugins(new Proxy([...paths], {}), { plugin, workers: 1 })
    assert.deepEqual(r.results, [1, 1])
  } finally {
    fs.rmSync(dir, { recursive: true })
  }
})
