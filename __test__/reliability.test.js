'use strict'
// Native-side reliability (issue: nothing a JS caller does brings the process down; memory
// is bounded by what is in use): numbers that used to panic in Rust, parser scratch that
// grew without bound and was kept for the life of the thread, special files that hung a
// job, and jobs started from a plugin of another job on the same pool.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync, spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { rt } = require('./helpers')

const root = path.join(__dirname, '..')
const binding = () => require(path.join(root, `raw-transfer.${require('../js/native/platform').triple()}.node`))

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

test('timeouts too big for the clock are refused by the native pool, not a panic that aborts', () => {
  // Straight to the native class, past the JS runtime's own checks: the native layer must
  // hold on its own (other JS wrappers may call it).
  const { NativePool } = binding()
  for (const ms of [Number.MAX_VALUE, 1e22, 2 ** 31, Infinity, NaN, -1]) {
    assert.throws(
      () => new NativePool(1, 'auto', ms, 0, 1 << 20),
      (e) => /^InvalidArgument: acquireTimeoutMs/.test(e.message),
      String(ms),
    )
  }
  for (const size of [0, 0.5, 2 ** 32 + 1, -1, NaN, 5000]) {
    assert.throws(() => new NativePool(size, 'auto', 0, 0, 1 << 20), (e) => /^InvalidArgument: pool size/.test(e.message), String(size))
  }
  // The longest allowed timeout on an exhausted pool: a worker thread waits, the main
  // thread releases; no overflow on the way.
  const res = node(`
    const { Worker } = require('node:worker_threads')
    const { NativePool } = require(${JSON.stringify(path.join(root, `raw-transfer.${require('../js/native/platform').triple()}.node`))})
    const pool = new NativePool(1, 'auto', 2 ** 31 - 1, 0, 1 << 20)
    const a = pool.acquire()
    pool.release(a.id)
    const b = pool.acquire()
    pool.release(b.id)
    console.log('ok', a.id === b.id)`)
  assert.equal(res.status, 0, res.stderr)
  assert.match(res.stdout, /ok true/)
})

test('a big document on the JS thread: scratch is bounded and given back (RSS returns after release and trim)', () => {
  // 10 M numbers: the parser's node stack needed 240 MB of Rust heap and kept it for the
  // life of the thread.
  const res = node(`
    const rt = require(${JSON.stringify(root)})
    const rss = () => Number(require('node:fs').readFileSync('/proc/self/status', 'utf8').match(/VmRSS:\\s+(\\d+)/)[1]) * 1024
    const text = Buffer.from('[' + '0,'.repeat(10_000_000) + '0]')
    const pool = new rt.FixedSizeAllocatorPool({ size: 1, retainBytes: 0 })
    pool.parseJson('[1]').release()
    global.gc()
    const base = rss()
    const doc = pool.parseJson(text)
    const nodes = doc.nodeCount
    const peak = rss()
    doc.release()
    pool.trim()
    global.gc()
    console.log(JSON.stringify({ nodes, grew: peak - base, after: rss() - base }))`)
  assert.equal(res.status, 0, res.stderr)
  const out = JSON.parse(res.stdout)
  assert.equal(out.nodes, 10_000_002)
  assert.ok(out.grew > 200e6, `the document itself takes memory while held: ${out.grew}`)
  assert.ok(out.after < 64e6, `RSS after release + trim is ${(out.after / 1e6).toFixed(0)} MB above the baseline`)
})

test('a document whose nodes cannot fit in a block fails with BlockFullError, not an abort', () => {
  // 200 MB of '0,': 100 M nodes of 24 bytes (2.4 GB) cannot fit in a 2 GiB block. The
  // parser's scratch used to grow to 2.7 GB first (and abort under ulimit -v 6G); now it
  // stops at what the block could still take. Run under the same 6 GB address-space limit.
  const res = limited(6_000_000, `
    const rt = require(${JSON.stringify(root)})
    const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
    const text = Buffer.alloc(200_000_003, ',0')
    text[0] = 0x5b
    text[text.length - 1] = 0x5d
    try { pool.parseJson(text); console.log('parsed?') } catch (e) { console.log(e.name) }
    console.log(pool.stats().inUse)`)
  assert.equal(res.status, 0, res.stderr)
  assert.deepEqual(res.stdout.trim().split('\n'), ['BlockFullError', '0'])
})

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

test('a job started from a plugin of another job on the same pool: runs on what is left, or fails at once', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rt-nested-'))
  const paths = Array.from({ length: 6 }, (_, i) => {
    const p = path.join(dir, `n${i}.json`)
    fs.writeFileSync(p, JSON.stringify({ i }))
    return p
  })
  try {
    // Pool of 1: the outer job holds the only block; the nested one cannot run.
    const one = new rt.FixedSizeAllocatorPool({ size: 1 })
    const outer1 = await one.parseJsonFiles(paths.slice(0, 2), async () => {
      await assert.rejects(one.parseJsonFiles(paths, () => {}), (e) => e.name === 'PoolExhaustedError' && /running jobs hold/.test(e.message))
    })
    assert.deepEqual(outer1.errors, [])
    // Once the outer job is done, the pool takes jobs again.
    assert.equal((await one.parseJsonFiles(paths, () => {})).files, 6)
    one.close()
    // Bigger pools: the outer job leaves blocks by default; nested jobs run on them while
    // there are some, and the ones started when running jobs hold every block fail at once.
    for (const size of [2, 3, 4]) {
      const pool = new rt.FixedSizeAllocatorPool({ size })
      let seen = 0
      let ran = 0
      let refused = 0
      const outer = await pool.parseJsonFiles(paths.slice(0, 3), async (doc) => {
        try {
          const inner = await pool.parseJsonFiles(paths, (d, p) => {
            assert.equal(d.root.get('i').value, paths.indexOf(p))
            seen++
          })
          assert.equal(inner.files, 6)
          ran++
        } catch (e) {
          assert.equal(e.name, 'PoolExhaustedError')
          refused++
        }
        doc.root.get('i').value
      })
      assert.deepEqual(outer.errors, [])
      assert.equal(ran + refused, 3)
      assert.ok(ran >= 1, `size ${size}: no nested job ran`)
      assert.equal(seen, 6 * ran)
      if (size === 2) assert.equal(ran, 3, 'one plugin at a time: each nested job finds the block left')
      assert.equal(pool.stats().inUse, 0)
      pool.close()
    }
    // An explicit maxBlocks that the running jobs cannot leave fails at once too.
    const pool = new rt.FixedSizeAllocatorPool({ size: 4 })
    await pool.parseJsonFiles(paths.slice(0, 1), async () => {
      await assert.rejects(pool.parseJsonFiles(paths, () => {}, { maxBlocks: 4 }), (e) => e.name === 'PoolExhaustedError')
    })
    pool.close()
  } finally {
    fs.rmSync(dir, { recursive: true })
  }
})

test('pools created and closed in one synchronous loop stop at the mapping limit with an error that names it', () => {
  // The real limit (vm.max_map_count, 65 530) takes ~8 000 unfinalized blocks and ~40 s to
  // reach; RAW_TRANSFER_MAX_MAP_COUNT lowers it so the same path runs in a second.
  const res = spawnSync(
    process.execPath,
    [
      '--expose-gc',
      '-e',
      `const rt = require(${JSON.stringify(root)})
       let i = 0
       try {
         for (; i < 10_000; i++) { const p = new rt.FixedSizeAllocatorPool({ size: 1 }); p.acquire().writeString('x'); p.close() }
         console.log('no limit')
       } catch (e) { console.log(JSON.stringify({ i, name: e.name, message: e.message })) }
       // After the loop lets the GC finalize the closed pools' buffers, blocks come again.
       setTimeout(() => { global.gc(); setTimeout(() => {
         const p = new rt.FixedSizeAllocatorPool({ size: 1 }); p.acquire().release(); p.close(); console.log('again ok')
       }, 200) }, 50)`,
    ],
    { encoding: 'utf8', timeout: 60_000, env: { ...process.env, RAW_TRANSFER_MAX_MAP_COUNT: '2000' }, execArgv: [] },
  )
  assert.equal(res.status, 0, res.stderr)
  const [first, second] = res.stdout.trim().split('\n')
  const out = JSON.parse(first)
  assert.equal(out.name, 'OutOfMemoryError')
  assert.match(out.message, /vm\.max_map_count/)
  assert.ok(out.i >= 200 && out.i <= 250, `refused after ${out.i} blocks`)
  assert.equal(second, 'again ok')
})

test('string input keeps lone surrogates as JSON.parse does', () => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  const cases = [
    '{"k\ud800":"v"}',
    '["a\udc00b", "\ud83d\ude00", "\\\\\ud800", "x\udbff"]',
    '{"\udfff": {"\ud800\ud800": [1, "\ud800"]}}',
  ]
  for (const text of cases) {
    const doc = pool.parseJson(text)
    try {
      assert.deepEqual(doc.toJS(), JSON.parse(text), JSON.stringify(text))
      assert.equal(JSON.stringify(doc.toJS()), JSON.stringify(JSON.parse(text)))
    } finally {
      doc.release()
    }
  }
  // Where JSON.parse refuses a lone surrogate (outside a string, or after a backslash), so
  // does parseJson.
  for (const text of ['\ud800', '[1, \udc00]', '["\\\ud800"]']) {
    assert.throws(() => JSON.parse(text), SyntaxError)
    assert.throws(() => pool.parseJson(text), (e) => e.name === 'JsonSyntaxError', JSON.stringify(text))
  }
  // Every encode path: the kept 4 MiB buffer; a fresh one for texts of over 4 M units; a
  // fresh one for texts of fewer units whose UTF-8 does not fit in 4 MiB (3-byte
  // characters); each with a real U+FFFD, with and without lone surrogates; and the kept
  // buffer reused by a shorter text.
  const long = (n, unit) => `[${Array.from({ length: n }, (_, i) => `"s${i}${unit}\\ufffd\ufffd"`).join(',')}]`
  const wide = (unit) => `["${'中'.repeat(1500000)}${unit}", "\ufffd"]`
  const texts = [long(10, '\\ud800'), long(10, '\ud800'), long(10, ''), long(120000, '\udc01'), long(120000, ''), long(300000, '\udc01'), long(300000, '')]
  texts.push(wide('\ud800'), wide(''), '"\ufffd"')
  assert.ok(texts[5].length > 4 << 20 && wide('').length < 4 << 20 && Buffer.byteLength(wide('')) > 4 << 20)
  for (const text of texts) {
    const doc = pool.parseJson(text)
    try {
      assert.equal(JSON.stringify(doc.toJS()), JSON.stringify(JSON.parse(text)), `${text.length} units`)
    } finally {
      doc.release()
    }
  }
  pool.trim() // drops the kept buffer; the next string input makes a new one
  const again = pool.parseJson('["\ud800x"]')
  assert.equal(again.toJS()[0], '\ud800x')
  again.release()
  assert.equal(pool.stats().inUse, 0)
  pool.close()
})
