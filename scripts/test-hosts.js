#!/usr/bin/env node
// `npm run test:hosts`: raw-transfer inside test runners that put test files in worker
// threads or child processes. The fixture project __test__/hosts/ (its own package.json,
// depending on this package through "file:../..", so the addon is this repo's built .node)
// has four test files per runner, each acquiring blocks, handing off, reading and parsing
// JSON repeatedly, all running at once:
//
//   vitest run --pool=threads                      4 files in 4 worker threads
//   vitest run --pool=threads --no-isolate ...     2 reused worker threads, 2 files each
//   vitest run --pool=forks                        4 files in 4 child processes
//   vitest run --pool=vmThreads                    4 files in 4 worker threads, each file's
//                                                  modules in a vm context (another realm)
//   ava (workerThreads: true, concurrency 4)       4 files in 4 worker threads
//   jest (testEnvironment node, 4 workers)         4 files in child processes, each file's
//                                                  modules in a vm context (another realm)
//
// With the threads pool, vitest's globalSetup (__test__/hosts/vitest/global-setup.mjs) also checks
// that liveBlocks() in the main process is back to its start once the workers are gone.
//
// Installs the fixture's dependencies (vitest 3 with Vite 7: Node 20.19+; ava 6; jest 30) with npm
// when they are missing (--reinstall forces it). Options:
//   --node=/path/to/node   run the runners with another Node (e.g. one from test:runtimes' cache)
//   --runtimes             also run them with every Node >= 20 that test:runtimes has cached
//   --repeat=N             run each host N times (default 1)
//   --verbose              stream the runners' output
'use strict'

const { spawn, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const root = path.join(__dirname, '..')
const hostsDir = path.join(root, '__test__', 'hosts')
const { flag, option } = require('./cli')
const VERBOSE = flag('verbose')
const REPEAT = Math.max(1, Number(option('repeat') ?? 1) | 0)
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g

const HOSTS = [
  { name: 'vitest threads', tool: 'vitest', argv: ['run', '--pool=threads'] },
  {
    name: 'vitest threads, no isolation',
    tool: 'vitest',
    argv: ['run', '--pool=threads', '--no-isolate', '--maxWorkers=2', '--minWorkers=2'],
  },
  { name: 'vitest forks', tool: 'vitest', argv: ['run', '--pool=forks'] },
  { name: 'vitest vmThreads', tool: 'vitest', argv: ['run', '--pool=vmThreads'] },
  { name: 'ava worker threads', tool: 'ava', argv: [] },
  { name: 'jest (node environment)', tool: 'jest', argv: ['--ci'] },
]

function binOf(pkg) {
  const pj = path.join(hostsDir, 'node_modules', pkg, 'package.json')
  if (!fs.existsSync(pj)) return null
  const { bin } = JSON.parse(fs.readFileSync(pj, 'utf8'))
  const rel = typeof bin === 'string' ? bin : bin?.[pkg]
  return rel ? path.join(hostsDir, 'node_modules', pkg, rel) : null
}

function installed() {
  const link = path.join(hostsDir, 'node_modules', 'raw-transfer')
  let linked = false
  try {
    linked = fs.realpathSync(link) === fs.realpathSync(root)
  } catch {}
  return linked && binOf('vitest') && binOf('ava') && binOf('jest')
}

function install() {
  console.log(`installing the fixture's dependencies in ${path.relative(root, hostsDir)}/ (npm) ...`)
  const t0 = Date.now()
  // --ignore-scripts: the file: link would otherwise run this package's own install script
  // (a cargo build); the runners need no install scripts. --no-package-lock: no lockfile
  // in the repo (__test__/hosts/.gitignore).
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--ignore-scripts', '--loglevel=error'], {
    cwd: hostsDir,
    stdio: 'inherit',
  })
  if (r.status !== 0 || !installed()) {
    console.error(`npm install in ${hostsDir} failed (exit ${r.status ?? r.error?.message})`)
    process.exit(1)
  }
  console.log(`installed in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
}

function run(cmd, argv, env) {
  return new Promise((resolve) => {
    const t0 = Date.now()
    let out = ''
    const child = spawn(cmd, argv, { cwd: hostsDir, env, stdio: ['ignore', 'pipe', 'pipe'] })
    const onData = (d) => {
      out += String(d).replace(ANSI, '')
      if (VERBOSE) process.stdout.write(d)
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    const timer = setTimeout(() => child.kill('SIGKILL'), 5 * 60_000)
    child.on('error', (e) => (out += `\n${e.message}\n`))
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, out, ms: Date.now() - t0 })
    })
  })
}

/** { files, passed, failed } from the runner's summary, or null. */
function parse(tool, out) {
  if (tool === 'vitest') {
    const files = /Test Files\s+(?:(\d+) failed \| )?(\d+) passed/.exec(out)
    const tests = /^\s*Tests\s+(?:(\d+) failed \| )?(?:(\d+) passed)?/m.exec(out)
    if (!tests) return null
    return {
      files: files ? Number(files[1] ?? 0) + Number(files[2]) : null,
      passed: Number(tests[2] ?? 0),
      failed: Number(tests[1] ?? 0),
    }
  }
  if (tool === 'jest') {
    const files = /^Test Suites:\s+(?:(\d+) failed, )?(?:(\d+) passed, )?(\d+) total/m.exec(out)
    const tests = /^Tests:\s+(?:(\d+) failed, )?(?:(\d+) passed, )?(\d+) total/m.exec(out)
    if (!tests) return null
    return { files: files ? Number(files[3]) : null, passed: Number(tests[2] ?? 0), failed: Number(tests[1] ?? 0) }
  }
  const passed = /(\d+) tests? passed/.exec(out)
  const failed = /(\d+) tests? failed/.exec(out)
  const known = /(\d+) known failure/.exec(out)
  if (!passed && !failed) return null
  return { files: null, passed: Number(passed?.[1] ?? 0), failed: Number(failed?.[1] ?? 0) + Number(known?.[1] ?? 0) }
}

function nodes() {
  const list = []
  const explicit = option('node')
  list.push(explicit ? path.resolve(explicit) : process.execPath)
  if (flag('runtimes')) {
    const cache = path.resolve(process.env.RAW_TRANSFER_RUNTIMES_DIR || path.join(os.homedir(), '.cache', 'raw-transfer-runtimes'))
    for (const major of [20, 22, 24, 26]) {
      const bin = path.join(cache, `node${major}`, 'node_modules', `node${major}`, 'bin', 'node')
      if (fs.existsSync(bin) && !list.includes(bin)) list.push(bin)
    }
    if (list.length === 1) console.log(`--runtimes: no cached Node in ${cache} (run npm run test:runtimes first)`)
  }
  return list
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)))
  return rows.map((r) => r.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd()).join('\n')
}

async function main() {
  const t0 = Date.now()
  try {
    require(root)
  } catch (e) {
    console.error(`raw-transfer does not load (${e.message.split('\n')[0]}); build it first: npm run build`)
    process.exit(1)
  }
  if (flag('reinstall') || !installed()) install()

  const rows = [['node', 'host', 'files', 'tests passed', 'failed', 'time', 'result']]
  let bad = 0
  let good = 0
  const fileCount = (dir, ext) => fs.readdirSync(path.join(hostsDir, dir)).filter((f) => f.endsWith(ext)).length
  const files = { vitest: fileCount('vitest', '.test.mjs'), ava: fileCount('ava', '.test.js'), jest: fileCount('jest', '.test.js') }
  const versions = new Set()
  for (const node of nodes()) {
    const v = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout?.trim() || '?'
    if (versions.has(v)) continue // the cached node20 may be this very version
    versions.add(v)
    const major = Number(/^v(\d+)/.exec(v)?.[1])
    if (!(major >= 20)) {
      rows.push([v, '(all)', '-', '-', '-', '-', 'SKIPPED: vitest 3, ava 6 and jest 30 need Node 20+'])
      continue
    }
    // The runners' own children inherit this PATH, so they use the same Node.
    const env = { ...process.env, NO_COLOR: '1', PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH}`, CI: '1' }
    delete env.FORCE_COLOR
    delete env.NODE_OPTIONS
    delete env.NODE_TEST_CONTEXT
    for (const host of HOSTS) {
      for (let rep = 0; rep < REPEAT; rep++) {
        const bin = binOf(host.tool)
        console.log(`\n== ${v} ${host.name}${REPEAT > 1 ? ` #${rep + 1}` : ''}: ${host.tool} ${host.argv.join(' ')}`)
        const r = await run(node, [bin, ...host.argv], env)
        const c = parse(host.tool, r.out)
        const ok = r.code === 0 && c && c.failed === 0 && c.passed > 0
        if (ok) good++
        if (!ok) {
          bad++
          // The failing run's output, for the report.
          console.log(r.out.trim().split('\n').slice(-60).join('\n'))
        } else if (!VERBOSE) {
          for (const l of r.out.split('\n')) if (/runs in pid|liveBlocks in the vitest|✓ vitest\/\S+ \(|Test Files|Tests\s|tests? passed|^PASS |Test Suites:|^Tests:/.test(l)) console.log(`  ${l.trim()}`)
        }
        rows.push([
          v,
          host.name + (REPEAT > 1 ? ` #${rep + 1}` : ''),
          c?.files ?? files[host.tool],
          c ? c.passed : '-',
          c ? c.failed : '-',
          `${(r.ms / 1000).toFixed(1)}s`,
          ok ? 'ok' : `FAIL (${r.signal ?? `exit ${r.code}`})`,
        ])
      }
    }
  }
  console.log(`\n${table(rows)}`)
  console.log(`\ntotal ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  // The plain closing line (host runs, not tests).
  console.log(`hosts: ${good} passed, ${bad} failed`)
  process.exitCode = bad ? 1 : 0
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
