'use strict'
// Copy mode (forced, or by RAW_TRANSFER_MODE=copy), worker threads, and the threaded file job.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { Worker } = require('node:worker_threads')
const { AstPool, AstSyntaxError, reader } = require('..')
const { generate } = require('./source')
const { walkProgram } = require('./walk')

test('copy mode: forced by the transfer option or by RAW_TRANSFER_MODE=copy, reads the same', () => {
  const saved = process.env.RAW_TRANSFER_MODE
  process.env.RAW_TRANSFER_MODE = 'copy'
  try {
    const byEnv = new AstPool()
    assert.equal(byEnv.transferMode, 'copy')
    byEnv.close()
    assert.equal(new AstPool({ transfer: 'external' }).transferMode, 'external')
  } finally {
    if (saved === undefined) delete process.env.RAW_TRANSFER_MODE
    else process.env.RAW_TRANSFER_MODE = saved
  }
  const copy = new AstPool({ transfer: 'copy' })
  const external = new AstPool({ transfer: 'external' })
  assert.equal(copy.transferMode, 'copy')
  for (let seed = 1; seed <= 5; seed++) {
    const src = generate(20_000, seed)
    const a = copy.parse(src)
    const b = external.parse(src)
    assert.deepEqual(a.toJS(), b.toJS())
    assert.deepEqual(walkProgram(a), walkProgram(b))
    copy.release(a)
    external.release(b)
  }
  copy.close()
  external.close()
})

const worker = `
  const { parentPort, workerData } = require('node:worker_threads')
  const { AstPool } = require(${JSON.stringify(path.join(__dirname, '..'))})
  const { generate } = require(${JSON.stringify(path.join(__dirname, 'source'))})
  const { walkProgram } = require(${JSON.stringify(path.join(__dirname, 'walk'))})
  const pool = new AstPool({ size: 2, transfer: workerData.transfer })
  const out = []
  for (let seed = 1; seed <= 20; seed++) {
    const p = pool.parse(generate(5000, seed))
    let calls = 0
    pool.visit(p, { CallExpression: () => calls++ })
    out.push({ walk: walkProgram(p), calls })
    pool.release(p)
  }
  if (workerData.leave) pool.parse('left.out;') // the worker's teardown returns it
  else pool.close()
  parentPort.postMessage({ out, mode: pool.transferMode })`

for (const transfer of ['external', 'copy']) {
  test(`${transfer}: worker threads, each with its own pool`, async () => {
    const run = (leave) =>
      new Promise((resolve, reject) => {
        const w = new Worker(worker, { eval: true, workerData: { transfer, leave } })
        w.once('message', (m) => w.terminate().then(() => resolve(m)))
        w.once('error', reject)
      })
    const results = await Promise.all([run(false), run(true)])
    const pool = new AstPool()
    const expected = []
    for (let seed = 1; seed <= 20; seed++) {
      const p = pool.parse(generate(5000, seed))
      let calls = 0
      pool.visit(p, { CallExpression: () => calls++ })
      expected.push({ walk: walkProgram(p), calls })
      pool.release(p)
    }
    pool.close()
    for (const r of results) {
      assert.equal(r.mode, transfer)
      assert.deepEqual(r.out, expected)
    }
  })
}

test('startFiles: files parsed on Rust threads, several per block, visited as they come', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ast-addon-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const paths = []
  for (let i = 0; i < 40; i++) {
    const file = path.join(dir, `f${i}.src`)
    fs.writeFileSync(file, generate(500 + i * 300, i + 1))
    paths.push(file)
  }
  fs.writeFileSync(path.join(dir, 'bad.src'), 'let ok = 1;\nlet = 2;')
  paths.push(path.join(dir, 'bad.src'), path.join(dir, 'missing.src'))

  for (const transfer of ['external', 'copy']) {
    const pool = new AstPool({ size: 3, transfer })
    // The same counts as a parse on the JS thread.
    const expected = paths.slice(0, 40).map((file) => {
      const p = pool.parse(fs.readFileSync(file, 'utf8'))
      const w = walkProgram(p)
      pool.release(p)
      return w
    })
    const walks = new Array(paths.length)
    const blocks = new Map()
    const r = await pool.parseFiles(
      paths,
      async (program, file, item) => {
        if (!blocks.has(item.id)) blocks.set(item.id, new Set())
        blocks.get(item.id).add(item.root)
        await new Promise((res) => setImmediate(res))
        walks[item.index] = walkProgram(program)
      },
      { threads: 2 },
    )
    assert.deepEqual(walks.slice(0, 40), expected)
    assert.ok([...blocks.values()].some((roots) => roots.size > 1), 'a job packs several files into one block')
    assert.equal(r.errors.length, 2)
    const [bad, missing] = r.errors.sort((a, b) => a.index - b.index)
    assert.equal(bad.index, 40)
    assert.ok(bad.error instanceof AstSyntaxError)
    assert.deepEqual([bad.error.line, bad.error.column, bad.error.offset], [2, 5, 16])
    assert.equal(missing.index, 41)
    assert.equal(missing.error.code, 'ENOENT') // Node's fs fields, from reader.failureError

    // visit(paths, plugin): the plugin's create(context) per file.
    const calls = new Array(40).fill(0)
    const v = await pool.visit(paths.slice(0, 40), { create: (ctx) => ({ CallExpression: () => calls[ctx.index]++ }) }, { threads: 2 })
    assert.equal(v.files, 40)
    assert.deepEqual(v.errors, [])
    assert.ok(calls.every((n, i) => n === countCalls(paths[i], pool)))
    assert.equal(pool.checkedOut, 0)
    pool.close()
  }
})

function countCalls(file, pool) {
  const p = pool.parse(fs.readFileSync(file, 'utf8'))
  let n = 0
  pool.visit(p, { CallExpression: () => n++ })
  pool.release(p)
  return n
}
