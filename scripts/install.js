#!/usr/bin/env node
// `npm install` hook. A consumer with a prebuilt binary (the optional platform package
// raw-transfer-<triple>, or a .node already next to index.js) gets no build at all. Without
// one, build from source with cargo (scripts/build.js), into a temporary target directory
// that is removed afterwards, so node_modules does not keep ~100 MB of build output.
// In a git checkout of this repo (developers) it always builds, incrementally, into ./target.
'use strict'
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { triple } = require('../js/native/platform')

const root = path.join(__dirname, '..')
const t = triple()
const checkout = fs.existsSync(path.join(root, '.git'))

function prebuilt() {
  try {
    require.resolve(`raw-transfer-${t}`, { paths: [root] })
    return `the platform package raw-transfer-${t}`
  } catch {}
  const local = path.join(root, `raw-transfer.${t}.node`)
  if (fs.existsSync(local)) return local
  return null
}

if (!checkout) {
  const found = prebuilt()
  if (found) {
    console.error(`raw-transfer: using ${found}; no build needed`)
    process.exit(0)
  }
}

const env = { ...process.env }
let tmpTarget = null
if (!checkout && !env.CARGO_TARGET_DIR) {
  tmpTarget = fs.mkdtempSync(path.join(os.tmpdir(), 'raw-transfer-build-'))
  env.CARGO_TARGET_DIR = tmpTarget
}
const res = spawnSync(process.execPath, [path.join(__dirname, 'build.js')], { cwd: root, stdio: 'inherit', env })
if (tmpTarget) fs.rmSync(tmpTarget, { recursive: true, force: true })
if (res.status !== 0) {
  console.error(
    [
      `raw-transfer: no prebuilt binary for ${t}, and building from source failed.`,
      `  - Install the prebuilt platform package: npm install raw-transfer-${t}`,
      '  - or install Rust (https://rustup.rs, stable 1.88+) and reinstall raw-transfer, so the source build can run.',
      '  pnpm 10 skips install scripts by default: allow this one with `pnpm approve-builds`' +
        ' (npm 11 asks for `npm install-scripts approve raw-transfer`).',
      '  npm/yarn with --ignore-scripts skip it too: run `npm rebuild raw-transfer` without that flag.',
    ].join('\n'),
  )
  process.exit(res.status ?? 1)
}
