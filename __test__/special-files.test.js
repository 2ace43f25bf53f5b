'use strict'
// Inputs that are not regular files (FIFOs, /dev/stdin on a pipe, /dev/zero, procfs) or
// are too big: read errors, never hangs.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync, spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { rt } = require('./helpers')

const root = path.join(__dirname, '..')

test('FIFOs, /dev/stdin on a pipe and /dev/zero are read errors, not hangs', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rt-special-'))
  const fifo = path.join(dir, 'fifo')
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0)
  const good = path.join(dir, 'good.json')
  fs.writeFileSync(good, '{"ok":true}')
  // In a child whose stdin is a pipe nobody writes to.
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const rt = require(${JSON.stringify(root)})
       const pool = new rt.FixedSizeAllocatorPool({ size: 2 })
       pool.parseJsonFiles([${JSON.stringify(fifo)}, '/dev/stdin', '/dev/zero', ${JSON.stringify(good)}], (d) => d instanceof Error ? undefined : d.toJS())
         .then((r) => { console.log(JSON.stringify({ files: r.files, errors: r.errors.map((e) => [e.phase, e.error.code]) })); pool.close() })`,
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  )
  let out = ''
  let err = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (err += d))
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
  const code = await new Promise((resolve) => child.on('close', resolve))
  clearTimeout(timer)
  fs.rmSync(dir, { recursive: true })
  assert.equal(code, 0, `exit ${code} (killed after 20 s = hang): ${err}`)
  const r = JSON.parse(out)
  assert.equal(r.files, 4)
  // Refused as not regular files ('Io'), or by the OS (/dev/stdin is a socket under
  // spawn's 'pipe': ENXIO).
  assert.deepEqual(r.errors.map(([phase]) => phase), ['read', 'read', 'read'])
  for (const [, code] of r.errors) assert.match(code, /^(Io|E[A-Z]+)$/)
})

test('special and oversized inputs are errors, not hangs', async () => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 2 })
  const r = await pool.parseJsonFiles(['/dev/zero', os.tmpdir(), '/nonexistent/x.json'], () => {})
  assert.equal(r.files, 3)
  // Not a regular file ('Io', no OS error), a directory and a missing file (as Node names them).
  assert.deepEqual(r.errors.map((e) => e.error.code).sort(), ['EISDIR', 'ENOENT', 'Io'])
  assert.deepEqual(r.errors.map((e) => e.phase), ['read', 'read', 'read'])
  pool.close()
})
