#!/usr/bin/env node
// The TypeScript consumer test: type-check src/ against this repo's index.d.ts and
// raw-transfer-reader's (npm/reader) with tsc --strict, as a user would (import
// 'raw-transfer', 'raw-transfer/reader', 'raw-transfer-reader'), under five configurations:
//
//   tsconfig.json          module nodenext (CommonJS .ts and an ES module .mts)
//   tsconfig.bundler.json  module esnext, moduleResolution bundler
//   tsconfig.es2020.json   lib es2020 without Symbol.dispose (index.d.ts must still compile)
//   tsconfig.node10.json   moduleResolution node10 (no "exports"): the reader files only
//   tsconfig.layout.json   a generated typed-layout reader (__test__/layout/consumer.ts)
//
// src/consumer.ts uses every public API; its `// @ts-expect-error` lines are misuses the
// types must reject (tsc fails on an unused one). Installs typescript into
// __test__/types/node_modules with npm when missing (--reinstall forces it), and links
// node_modules/raw-transfer to the repo root and node_modules/raw-transfer-reader to
// npm/reader, so each package resolves through its own package.json ("types", "exports").
// The root's index.d.ts finds raw-transfer-reader from the repo root, where `npm install`
// links it (the workspace). Nothing is emitted.
'use strict'

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const dir = __dirname
const root = path.join(dir, '..', '..')
const tsc = path.join(dir, 'node_modules', 'typescript', 'bin', 'tsc')
const CONFIGS = ['tsconfig.json', 'tsconfig.bundler.json', 'tsconfig.es2020.json', 'tsconfig.node10.json', 'tsconfig.layout.json']

function install() {
  console.log('installing typescript in __test__/types/ (npm) ...')
  // --no-package-lock: no lockfile in the repo (__test__/types/.gitignore).
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--ignore-scripts', '--loglevel=error'], {
    cwd: dir,
    stdio: 'inherit',
  })
  if (r.status !== 0 || !fs.existsSync(tsc)) {
    console.error(`npm install in ${dir} failed (exit ${r.status ?? r.error?.message})`)
    process.exit(1)
  }
}

/** node_modules/<name> -> `target` (npm install of the fixture does not make it: no dependency on it). */
function link(name, target) {
  const at = path.join(dir, 'node_modules', name)
  let ok = false
  try {
    ok = fs.realpathSync(at) === fs.realpathSync(target)
  } catch {}
  if (ok) return
  fs.rmSync(at, { recursive: true, force: true })
  fs.symlinkSync(path.relative(path.dirname(at), target), at, process.platform === 'win32' ? 'junction' : 'dir')
}

const t0 = Date.now()
if (process.argv.includes('--reinstall') || !fs.existsSync(tsc)) install()
link('raw-transfer', root)
link('raw-transfer-reader', path.join(root, 'npm', 'reader'))
if (!fs.existsSync(path.join(root, 'node_modules', 'raw-transfer-reader', 'package.json'))) {
  console.error('node_modules/raw-transfer-reader is missing at the repo root: run `npm install` there first (it links the npm/reader workspace)')
  process.exit(1)
}
const version = spawnSync(process.execPath, [tsc, '--version'], { encoding: 'utf8' }).stdout.trim()
let failed = 0
for (const config of CONFIGS) {
  const t = Date.now()
  const r = spawnSync(process.execPath, [tsc, '-p', config, '--pretty', 'false'], { cwd: dir, encoding: 'utf8' })
  const out = `${r.stdout}${r.stderr}`.trim()
  const ok = r.status === 0
  if (!ok) failed++
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${config} (${version}, ${((Date.now() - t) / 1000).toFixed(1)} s)`)
  if (out) console.log(out.replace(/^/gm, '     '))
}
console.log(`types: ${CONFIGS.length - failed} passed, ${failed} failed (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
process.exitCode = failed ? 1 : 0
