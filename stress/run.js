#!/usr/bin/env node
'use strict'
// The stress runner (`npm run test:stress`): runs each scenario in its own child process,
// so a crash (SIGSEGV, abort) or a hang is caught and reported instead of ending the run,
// prints a summary table and exits non-zero on any failure.
//
//   node --expose-gc stress/run.js [scenario ...]
//
// Env: STRESS_SEED=<n> replays a run (one seed for every scenario; printed at the start),
//      STRESS_KNOWN_BUGS=skip leaves out the steps that trigger already-reported bugs,
//      STRESS_VALGRIND=1 also runs stress/valgrind.sh (slow: see that file),
//      RAW_TRANSFER_SYSCTL_TESTS=1 (as root) enables the vm.overcommit_memory=2 part,
//      STRESS_VERBOSE=1 prints failures as they happen.
// Every scenario is also runnable alone: node --expose-gc stress/<name>.js

const path = require('node:path')
const { spawn } = require('node:child_process')
const { RESULT_TAG, seedFromEnv } = require('./lib')

const SCENARIOS = [
  { name: 'hostile', file: 'hostile.js', timeoutMs: 120_000, what: 'hostile JS scribbles the whole buffer (default mode) and metadata' },
  { name: 'gc-orders', file: 'gc-orders.js', timeoutMs: 180_000, what: 'random acquire/release/GC/close/worker orders, exit with live buffers' },
  { name: 'load', file: 'load.js', timeoutMs: 120_000, what: '100k parseJsonFiles + 100k parseJson, RSS and liveBlocks' },
  { name: 'overcommit', file: 'overcommit.js', timeoutMs: 150_000, what: 'ulimit -v, ulimit -d, vm.overcommit_memory=2' },
  { name: 'exhaustion', file: 'exhaustion.js', timeoutMs: 120_000, what: 'ulimit -d on big reads and decodes, read-ahead held by one block, thread limit' },
  { name: 'plugin-values', file: 'plugin-values.js', timeoutMs: 120_000, what: 'every result/error a plugin can produce through the worker path: typed errors, no block copied' },
  { name: 'hosts', file: 'hosts.js', timeoutMs: 150_000, what: 'plugin hosts: runs with every fault, aborts, queued runs, close at any time' },
]

function runScenario(sc, seed) {
  return new Promise((resolve) => {
    const t0 = Date.now()
    const child = spawn(process.execPath, ['--expose-gc', path.join(__dirname, sc.file)], {
      env: { ...process.env, STRESS_SEED: String(seed) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => {
      stdout += d
      for (const line of String(d).split('\n')) if (line && !line.startsWith(RESULT_TAG)) process.stdout.write(`  ${line}\n`)
    })
    child.stderr.on('data', (d) => {
      stderr += d
      if (process.env.STRESS_VERBOSE) process.stderr.write(d)
    })
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, sc.timeoutMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_TAG))
      let result = null
      if (line) {
        try {
          result = JSON.parse(line.slice(RESULT_TAG.length))
        } catch {
          result = null
        }
      }
      resolve({ sc, code, signal, timedOut, result, stderr, ms: Date.now() - t0 })
    })
  })
}

function verdict(run) {
  const { result, code, signal, timedOut } = run
  if (timedOut) return result ? 'HANG (after report)' : 'HANG'
  if (!result) return signal ? `CRASH (${signal})` : `CRASH (exit ${code}, no report)`
  if (result.skipped) return 'SKIP'
  if (signal && signal !== 'SIGKILL') return `CRASH (${signal})`
  return result.ok && code === 0 ? 'PASS' : 'FAIL'
}

function table(rows) {
  const head = ['scenario', 'steps', 'faults injected', 'crashes', 'leaked blocks', 'time', 'result']
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)))
  const fmt = (cells) => cells.map((c, i) => (i >= 1 && i <= 5 ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join('  ')
  return [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n')
}

async function main() {
  if (typeof global.gc !== 'function') console.warn('note: run with node --expose-gc (scenarios get it anyway)')
  const wanted = process.argv.slice(2)
  const list = wanted.length ? SCENARIOS.filter((s) => wanted.includes(s.name)) : SCENARIOS
  if (wanted.length && list.length !== wanted.length) {
    console.error(`unknown scenario in ${wanted.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`)
    process.exit(2)
  }
  const seed = seedFromEnv()
  console.log(`raw-transfer stress: seed ${seed} (replay: STRESS_SEED=${seed} npm run test:stress)${process.env.STRESS_KNOWN_BUGS === 'skip' ? ', known-bug steps skipped' : ''}`)
  const t0 = Date.now()
  const runs = []
  for (const sc of list) {
    console.log(`\n== ${sc.name}: ${sc.what}`)
    const run = await runScenario(sc, seed)
    runs.push(run)
    console.log(`== ${sc.name}: ${verdict(run)} in ${(run.ms / 1000).toFixed(1)} s`)
  }
  if (process.env.STRESS_VALGRIND === '1') {
    console.log('\n== valgrind: stress/valgrind.sh')
    const t1 = Date.now()
    const code = await new Promise((resolve) => {
      const child = spawn('bash', [path.join(__dirname, 'valgrind.sh')], { stdio: 'inherit', env: process.env })
      child.on('close', (c, s) => resolve(s ? 128 : c))
    })
    runs.push({ sc: { name: 'valgrind' }, result: { steps: '-', faults: '-', crashes: 0, leaked: '-', ok: code === 0 }, code, signal: null, ms: Date.now() - t1, valgrind: true })
  }

  const rows = []
  let failed = 0
  for (const run of runs) {
    const v = run.valgrind ? (run.result.ok ? 'PASS' : 'FAIL') : verdict(run)
    if (v !== 'PASS' && v !== 'SKIP') failed++
    const r = run.result || {}
    const crashes = (r.crashes || 0) + (v.startsWith('CRASH') ? 1 : 0)
    rows.push([run.sc.name, r.steps ?? '-', r.faults ?? '-', crashes, r.leaked ?? '-', `${(run.ms / 1000).toFixed(1)} s`, v])
  }
  console.log('\n' + table(rows))
  for (const run of runs) {
    const r = run.result
    const problems = []
    if (r && r.failures && r.failures.length) problems.push(...r.failures)
    if (!r && !run.valgrind) problems.push(`no report; exit ${run.code}, signal ${run.signal}; stderr tail: ${run.stderr.trim().split('\n').slice(-5).join(' | ')}`)
    if (run.timedOut) problems.push(`killed after ${run.sc.timeoutMs / 1000} s`)
    if (problems.length) {
      console.log(`\n${run.sc.name} failures:`)
      for (const p of problems.slice(0, 20)) console.log(`  - ${p.length > 600 ? p.slice(0, 600) + '...' : p}`)
      if (problems.length > 20) console.log(`  ... ${problems.length - 20} more`)
    }
  }
  const total = (Date.now() - t0) / 1000
  console.log(`\n${runs.length - failed} passed, ${failed} failed (${total.toFixed(1)} s, seed ${seed})`)
  process.exit(failed ? 1 : 0)
}

main()
