#!/usr/bin/env node
// `npm run test:pack`: install the package the way a user does. `npm pack` the main package
// and this machine's platform package, then in fresh projects outside the repo:
//  (a) platform tarball + main tarball with no cargo on PATH: no source build may run;
//  (b) the main tarball alone with cargo: the install builds from source (deps cached in
//      target/pack-cargo so repeated runs are quick) and leaves no target/ behind.
// Each project then uses the package from CJS and ESM (named imports).
'use strict'
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { triple } = require('../../js/native/platform')

const root = path.join(__dirname, '..', '..')
const t = triple()
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rt-pack-'))
let failed = 0

function run(cmd, args, opts = {}) {
  const t0 = performance.now()
  const res = spawnSync(cmd, args, { encoding: 'utf8', ...opts })
  const ms = performance.now() - t0
  if (res.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${res.status}):\n${res.stdout}\n${res.stderr}`)
  }
  return { out: res.stdout.trim(), ms }
}

function pack(dir) {
  const { out } = run('npm', ['pack', '--silent', '--pack-destination', work], { cwd: dir })
  return path.join(work, out.split('\n').pop())
}

const USE_CJS = `
const rt = require('raw-transfer')
const pool = new rt.FixedSizeAllocatorPool({ size: 2 })
const doc = pool.parseJson('{"a":[1,2]}')
if (doc.root.get('a').at(1).value !== 2 || JSON.stringify(doc) !== '{"a":[1,2]}') throw new Error('wrong value')
doc.release()
pool.close()
const reader = require('raw-transfer/reader')
if (typeof reader.BufferCache !== 'function') throw new Error('no reader')
console.log('cjs ok')
`
const USE_ESM = `
import { FixedSizeAllocatorPool } from 'raw-transfer'
import * as ns from 'raw-transfer'
import { BufferCache } from 'raw-transfer/reader'
const pool = new FixedSizeAllocatorPool({ size: 1 })
const doc = pool.parseJson('[true]')
if (doc.toJS()[0] !== true || typeof ns.JsonSyntaxError !== 'function' || typeof BufferCache !== 'function') throw new Error('bad')
doc.release()
pool.close()
console.log('esm ok')
`

function project(name, tarballs, env) {
  const dir = path.join(work, name)
  fs.mkdirSync(dir)
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }))
  const inst = run('npm', ['install', '--no-audit', '--no-fund', ...tarballs], { cwd: dir, env })
  fs.writeFileSync(path.join(dir, 'use.cjs'), USE_CJS)
  fs.writeFileSync(path.join(dir, 'use.mjs'), USE_ESM)
  const cjs = run(process.execPath, ['use.cjs'], { cwd: dir, env })
  const esm = run(process.execPath, ['use.mjs'], { cwd: dir, env })
  const leftover = fs.existsSync(path.join(dir, 'node_modules', 'raw-transfer', 'target'))
  return { dir, installMs: inst.ms, out: `${cjs.out}, ${esm.out}`, leftover }
}

function check(label, fn) {
  try {
    console.log(`ok   ${label}: ${fn()}`)
  } catch (e) {
    failed++
    console.log(`FAIL ${label}: ${e.message}`)
  }
}

// The PATH without the directories that hold cargo (node and npm must stay reachable).
function pathWithoutCargo() {
  return process.env.PATH.split(path.delimiter)
    .filter((d) => d && !fs.existsSync(path.join(d, 'cargo')))
    .join(path.delimiter)
}

try {
  run(process.execPath, [path.join(root, 'scripts', 'artifacts.js')])
  const main = pack(root)
  const platform = pack(path.join(root, 'npm', t))
  const files = run('tar', ['-tzf', main]).out.split('\n')
  check('main tarball contents', () => {
    for (const f of ['package/LICENSE', 'package/js/index.mjs', 'package/js/reader/index.js', 'package/benches/arena.rs', 'package/Cargo.toml']) {
      if (!files.includes(f)) throw new Error(`${f} missing from the tarball`)
    }
    if (files.some((f) => f.endsWith('.node'))) throw new Error('a .node binary is in the main tarball')
    return `${files.length} files`
  })
  check('@arethetypeswrong/cli on the main tarball', () => {
    const res = spawnSync('npx', ['--yes', '@arethetypeswrong/cli', main, '--format', 'ascii'], { encoding: 'utf8' })
    if (res.status !== 0 || !/No problems found/.test(res.stdout)) throw new Error(`attw reported problems:\n${res.stdout}\n${res.stderr}`)
    return 'no problems found'
  })
  check('prebuilt install, no cargo on PATH', () => {
    const env = { ...process.env, PATH: pathWithoutCargo() }
    if (spawnSync('sh', ['-c', 'command -v cargo'], { env }).status === 0) throw new Error('cargo is still on PATH')
    const p = project('prebuilt', [platform, main], env)
    if (p.leftover) throw new Error('a source build ran (target/ in node_modules/raw-transfer)')
    return `${p.out}; install ${(p.installMs / 1000).toFixed(1)} s`
  })
  check('source-build install, cargo available', () => {
    const env = { ...process.env, CARGO_TARGET_DIR: path.join(root, 'target', 'pack-cargo') }
    const p = project('source', [main], env)
    if (p.leftover) throw new Error('target/ left in node_modules/raw-transfer')
    if (!fs.existsSync(path.join(p.dir, 'node_modules', 'raw-transfer', `raw-transfer.${t}.node`))) throw new Error('no binary built')
    return `${p.out}; install ${(p.installMs / 1000).toFixed(1)} s`
  })
} finally {
  fs.rmSync(work, { recursive: true, force: true })
}
console.log(failed === 0 ? 'test:pack: ok' : `test:pack: ${failed} failed`)
process.exit(failed === 0 ? 0 : 1)
