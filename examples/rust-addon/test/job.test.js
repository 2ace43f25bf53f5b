'use strict'
// The threaded job: startFiles over 200 temp files on 2 Rust threads, driven by runJob from
// raw-transfer-reader; every file's rows checked; a missing file is an ENOENT error and a
// malformed one a 'CsvSyntax' error with its position, and the job goes on.
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { CsvPool, reader } = require('..')
const { csv, expected } = require('./helpers')

let dir
const paths = []
const N = 200
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rust-addon-job-'))
  for (let i = 0; i < N; i++) {
    const p = path.join(dir, `f${i}.csv`)
    fs.writeFileSync(p, csv(1 + (i % 40), i))
    paths.push(p)
  }
})
after(() => fs.rmSync(dir, { recursive: true, force: true }))

for (const transfer of ['external', 'copy']) {
  for (const poolSize of [2, 4]) {
    test(`${transfer}, pool of ${poolSize}: ${N} files on 2 threads, a missing and a malformed one`, async () => {
      const missing = path.join(dir, 'missing.csv')
      const bad = path.join(dir, 'bad.csv')
      fs.writeFileSync(bad, 'a,1\nb,2\nc,three\n')
      const inputs = [...paths.slice(0, 50), missing, ...paths.slice(50, 120), bad, ...paths.slice(120)]
      const pool = new CsvPool({ size: poolSize, transfer })
      const seen = new Set()
      const r = await pool.parseFiles(
        inputs,
        async (rows, p, item) => {
          const i = paths.indexOf(p)
          assert.ok(i >= 0, `no rows for ${p}`)
          assert.equal(rows.length, 1 + (i % 40))
          assert.deepEqual(rows.toJS(), expected(1 + (i % 40), i))
          assert.equal(item.bytes, fs.statSync(p).size)
          assert.ok(!seen.has(i))
          seen.add(i)
          if (i % 17 === 0) await new Promise((res) => setTimeout(res, 1)) // async plugins hold their block
        },
        { threads: 2 },
      )
      assert.equal(seen.size, N, 'every file produced and checked')
      assert.equal(r.items, N + 2)
      assert.equal(r.errors.length, 2)
      const byIndex = new Map(r.errors.map((e) => [inputs[e.index], e]))
      const io = byIndex.get(missing)
      assert.equal(io.phase, 'produce')
      assert.ok(io.error instanceof reader.RawTransferError)
      // As Node's fs errors: the OS error's name, errno and syscall (reader.failureError).
      assert.equal(io.error.code, 'ENOENT')
      assert.equal(io.error.syscall, 'open')
      assert.match(io.error.message, /missing\.csv/)
      const syn = byIndex.get(bad)
      assert.equal(syn.error.code, 'CsvSyntax')
      assert.deepEqual([syn.error.offset, syn.error.line, syn.error.column], [10, 3, 3])
      const s = pool.stats()
      assert.equal(s.checkedOut, 0, 'every block given back')
      assert.equal(s.inUse, 0)
      assert.ok(s.created <= poolSize)
      pool.close()
    })
  }
}

test('a plugin that throws is recorded; the job still finishes', async () => {
  const pool = new CsvPool({ size: 3 })
  const r = await pool.parseFiles(paths.slice(0, 30), (rows, p) => {
    if (p.endsWith('f7.csv')) throw new Error('plugin failed')
  })
  assert.equal(r.items, 30)
  assert.deepEqual(r.errors.map((e) => [e.index, e.phase, e.error.message]), [[7, 'plugin', 'plugin failed']])
  assert.equal(pool.stats().checkedOut, 0)
  pool.close()
})

test('startFiles validates its arguments; a closed pool refuses', () => {
  const pool = new CsvPool({ size: 2 })
  assert.throws(() => pool.parseFiles(paths, () => {}, { threads: 0 }), reader.InvalidArgumentError)
  pool.close()
  assert.throws(() => pool.parseFiles(paths, () => {}), reader.PoolClosedError)
})
