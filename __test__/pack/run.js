#!/usr/bin/env node
// `npm run test:pack`: install the package the way a user does. `npm pack` the main package,
// the pure-JS reader (npm/reader, raw-transfer-reader, which the main package depends on)
// and this machine's platform package, then in fresh projects outside the repo:
//  (a) platform + reader + main tarballs with no cargo on PATH: no source build may run;
//  (b) reader + main tarballs with cargo: the install builds from source (deps cached in
//      target/pack-cargo so repeated runs are quick) and leaves no target/ behind;
//  (c) the reader tarball alone with no cargo on PATH: what a third-party addon's JS gets,
//      with a generated typed-layout module on its runtime (raw-transfer-reader/layout).
// The reader tarball stands in for the registry's raw-transfer-reader, as npm would fetch it.
// Each project then uses what it installed from CJS and ESM (named imports).
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
if (reader !== require('raw-transfer-reader') || rt.RawBuffer !== reader.RawBuffer) throw new Error('raw-transfer/reader is not the installed raw-transfer-reader')
if (require('raw-transfer/reader/layout') !== require('raw-transfer-reader/layout')) throw new Error('raw-transfer/reader/layout is not the installed raw-transfer-reader/layout')
console.log('cjs ok')
`
const USE_ESM = `
import { FixedSizeAllocatorPool } from 'raw-transfer'
import * as ns from 'raw-transfer'
import { BufferCache } from 'raw-transfer/reader'
import { BufferCache as ReaderCache } from 'raw-transfer-reader'
import { defineLayout } from 'raw-transfer/reader/layout'
import { defineLayout as readerDefineLayout } from 'raw-transfer-reader/layout'
if (defineLayout !== readerDefineLayout) throw new Error('raw-transfer/reader/layout is not the installed raw-transfer-reader/layout')
const pool = new FixedSizeAllocatorPool({ size: 1 })
const doc = pool.parseJson('[true]')
if (doc.toJS()[0] !== true || typeof ns.JsonSyntaxError !== 'function' || typeof BufferCache !== 'function' || BufferCache !== ReaderCache) throw new Error('bad')
doc.release()
pool.close()
console.log('esm ok')
`

// A third-party addon's JS with raw-transfer-reader alone: a cache, a RawBuffer over a 1 MiB
// block-shaped buffer, the constants, the error classes, and no native code loaded.
const READER_CHECKS = `
if (typeof BufferCache !== 'function' || typeof runJob !== 'function') throw new Error('no BufferCache or runJob')
const ab = new ArrayBuffer(1 << 20)
new Uint32Array(ab)[constants.META_DATA_OFFSET] = constants.DATA_START
new Uint32Array(ab)[constants.META_GENERATION] = 7
const cache = new BufferCache()
const raw = cache.receive(3, ab)
if (!(raw instanceof RawBuffer) || cache.get(3) !== raw || raw.u8.length !== 1 << 20) throw new Error('bad cache')
if (raw.dataOffset !== constants.DATA_START || raw.generation !== 7) throw new Error('bad metadata')
new Uint8Array(ab).set(new TextEncoder().encode('héllo'), 64)
if (raw.str(64, 6) !== 'héllo') throw new Error('bad str')
if (constants.MIN_BUFFER_SIZE !== 1 << 20 || BLOCK_ALIGN !== 2 ** 32 || constants.BUFFER_SIZE !== BUFFER_SIZE || !Object.isFrozen(constants)) throw new Error('bad constants')
let threw = null
try { cache.receive(4, new ArrayBuffer(1000)) } catch (e) { threw = e }
if (!(threw instanceof InvalidArgumentError) || !(threw instanceof RawTransferError)) throw new Error('no InvalidArgumentError')
const stale = fromNative(new Error('StaleBuffer: block 3 was released'))
if (!(stale instanceof StaleBufferError) || !(stale instanceof RawTransferError) || stale.code !== 'StaleBuffer') throw new Error('bad fromNative')
if (!(new PoolExhaustedError('x') instanceof RawTransferError)) throw new Error('bad classes')
`
const READER_NAMES = 'BufferCache, RawBuffer, runJob, fromNative, constants, BLOCK_ALIGN, BUFFER_SIZE, RawTransferError, StaleBufferError, InvalidArgumentError, PoolExhaustedError'
// A generated typed-layout module (the fixture's, copied into the project) on the installed
// reader: it requires raw-transfer-reader/layout, whose version it checks as it loads, and
// refuses a block of another layout.
const LAYOUT_CHECKS = `
if (LAYOUT_RUNTIME_VERSION !== 1 || typeof LayoutRuntimeMismatchError !== 'function') throw new Error('no layout runtime')
if (!(new LayoutRuntimeMismatchError('x') instanceof RawTransferError)) throw new Error('bad LayoutRuntimeMismatchError')
if (!fixture.NODE_TYPES.includes('Program')) throw new Error('the generated module did not load')
let mismatch = null
try { fixture.readProgram(new RawBuffer(new ArrayBuffer(1 << 20))) } catch (e) { mismatch = e }
if (mismatch?.code !== 'LayoutMismatch') throw new Error('a block of another layout was not refused: ' + mismatch)
`
const USE_READER_CJS = `
const { ${READER_NAMES} } = require('raw-transfer-reader')
${READER_CHECKS}
const { LAYOUT_RUNTIME_VERSION, LayoutRuntimeMismatchError } = require('raw-transfer-reader/layout')
const fixture = require('./fixture.js')
${LAYOUT_CHECKS}
if (Object.keys(require.cache).some((f) => f.endsWith('.node'))) throw new Error('a .node was loaded')
console.log('reader cjs ok')
`
const USE_READER_ESM = `
import { ${READER_NAMES} } from 'raw-transfer-reader'
import reader from 'raw-transfer-reader'
import { LAYOUT_RUNTIME_VERSION, LayoutRuntimeMismatchError } from 'raw-transfer-reader/layout'
import * as fixture from './fixture.mjs'
${READER_CHECKS}
${LAYOUT_CHECKS}
if (reader.RawBuffer !== RawBuffer) throw new Error('default export differs')
console.log('reader esm ok')
`

function project(name, tarballs, env, uses = { cjs: USE_CJS, esm: USE_ESM }, files = []) {
  const dir = path.join(work, name)
  fs.mkdirSync(dir)
  for (const f of files) fs.copyFileSync(f, path.join(dir, path.basename(f)))
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }))
  const inst = run('npm', ['install', '--no-audit', '--no-fund', ...tarballs], { cwd: dir, env })
  fs.writeFileSync(path.join(dir, 'use.cjs'), uses.cjs)
  fs.writeFileSync(path.join(dir, 'use.mjs'), uses.esm)
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
  const reader = pack(path.join(root, 'npm', 'reader'))
  const platform = pack(path.join(root, 'npm', t))
  const files = run('tar', ['-tzf', main]).out.split('\n')
  check('main tarball contents', () => {
    for (const f of ['package/LICENSE', 'package/js/index.mjs', 'package/reader.js', 'package/js/reader.mjs', 'package/benches/arena.rs', 'package/Cargo.toml']) {
      if (!files.includes(f)) throw new Error(`${f} missing from the tarball`)
    }
    if (files.some((f) => f.endsWith('.node'))) throw new Error('a .node binary is in the main tarball')
    if (files.some((f) => f.startsWith('package/npm/'))) throw new Error('npm/ (the reader or a platform package) is in the main tarball')
    const pkg = JSON.parse(run('tar', ['-xzOf', main, 'package/package.json']).out)
    if (pkg.dependencies?.['raw-transfer-reader'] !== pkg.version) throw new Error(`dependencies: ${JSON.stringify(pkg.dependencies)}`)
    return `${files.length} files`
  })
  check('reader tarball contents: pure JS, no install script', () => {
    const rfiles = run('tar', ['-tzf', reader]).out.split('\n')
    for (const f of ['package/LICENSE', 'package/README.md', 'package/index.js', 'package/index.mjs', 'package/index.d.ts', 'package/index.d.mts', 'package/layout.js', 'package/layout.mjs', 'package/layout.d.ts', 'package/layout.d.mts', 'package/generated/constants.js']) {
      if (!rfiles.includes(f)) throw new Error(`${f} missing from the reader tarball`)
    }
    const foreign = rfiles.filter((f) => !/\.(js|mjs|d\.ts|d\.mts|json|md)$|\/LICENSE$/.test(f))
    if (foreign.length) throw new Error(`not pure JS: ${foreign.join(', ')}`)
    if (rfiles.some((f) => /\.(node|rs)$|Cargo\.(toml|lock)$|build\.rs$/.test(f))) throw new Error('native code or Rust in the reader tarball')
    const pkg = JSON.parse(run('tar', ['-xzOf', reader, 'package/package.json']).out)
    const hooks = Object.keys(pkg.scripts ?? {}).filter((s) => /^(pre|post)?(install|prepare)$/.test(s))
    if (hooks.length || pkg.gypfile) throw new Error(`install scripts: ${hooks.join(', ') || 'gypfile'}`)
    const deps = Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies })
    if (deps.length) throw new Error(`dependencies: ${deps.join(', ')}`)
    return `${rfiles.length} files`
  })
  // The reader's typed entries are "." and "./layout" (the generated readers' runtime); its
  // other subpaths (constants, errors, args, ...) are modules for raw-transfer's own JS,
  // untyped by design.
  for (const [label, tarball, only] of [['main', main, []], ['reader', reader, ['--entrypoints', '.', './layout']]]) {
    check(`@arethetypeswrong/cli on the ${label} tarball`, () => {
      const res = spawnSync('npx', ['--yes', '@arethetypeswrong/cli', tarball, ...only, '--format', 'ascii'], { encoding: 'utf8' })
      if (res.status !== 0 || !/No problems found/.test(res.stdout)) throw new Error(`attw reported problems:\n${res.stdout}\n${res.stderr}`)
      return 'no problems found'
    })
  }
  check('prebuilt install, no cargo on PATH', () => {
    const env = { ...process.env, PATH: pathWithoutCargo() }
    if (spawnSync('sh', ['-c', 'command -v cargo'], { env }).status === 0) throw new Error('cargo is still on PATH')
    const p = project('prebuilt', [platform, reader, main], env)
    if (p.leftover) throw new Error('a source build ran (target/ in node_modules/raw-transfer)')
    return `${p.out}; install ${(p.installMs / 1000).toFixed(1)} s`
  })
  check('source-build install, cargo available', () => {
    const env = { ...process.env, CARGO_TARGET_DIR: path.join(root, 'target', 'pack-cargo') }
    const p = project('source', [reader, main], env)
    if (p.leftover) throw new Error('target/ left in node_modules/raw-transfer')
    if (!fs.existsSync(path.join(p.dir, 'node_modules', 'raw-transfer', `raw-transfer.${t}.node`))) throw new Error('no binary built')
    return `${p.out}; install ${(p.installMs / 1000).toFixed(1)} s`
  })
  check('reader alone, no cargo on PATH (a third-party addon\'s JS)', () => {
    const env = { ...process.env, PATH: pathWithoutCargo() }
    const generated = ['fixture.js', 'fixture.mjs'].map((f) => path.join(root, '__test__', 'layout', 'generated', f))
    const p = project('reader-only', [reader], env, { cjs: USE_READER_CJS, esm: USE_READER_ESM }, generated)
    const installed = fs.readdirSync(path.join(p.dir, 'node_modules')).filter((d) => !d.startsWith('.'))
    if (installed.join() !== 'raw-transfer-reader') throw new Error(`node_modules holds ${installed.join(', ')}`)
    return `${p.out}; install ${(p.installMs / 1000).toFixed(1)} s`
  })
} finally {
  fs.rmSync(work, { recursive: true, force: true })
}
console.log(failed === 0 ? 'test:pack: ok' : `test:pack: ${failed} failed`)
process.exit(failed === 0 ? 0 : 1)
