#!/usr/bin/env node
// Build the native addon from source with the local cargo and put it where index.js
// looks: ./raw-transfer.<triple>.node. Used by `npm install` and `npm run build`.
'use strict'
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { triple } = require('../js/native/platform')

const root = path.join(__dirname, '..')
const debug = process.argv.includes('--debug')
const args = ['build', '--lib', '--features', 'addon']
if (!debug) args.push('--release')
const res = spawnSync('cargo', args, { cwd: root, stdio: 'inherit' })
if (res.error) {
  console.error(`raw-transfer: could not run cargo (${res.error.message}); install Rust (rustup) to build the addon`)
  process.exit(1)
}
if (res.status !== 0) process.exit(res.status ?? 1)

const targetDir = process.env.CARGO_TARGET_DIR || path.join(root, 'target')
const libName = { darwin: 'libraw_transfer.dylib', win32: 'raw_transfer.dll' }[process.platform] || 'libraw_transfer.so'
const built = path.join(targetDir, debug ? 'debug' : 'release', libName)
const dest = path.join(root, `raw-transfer.${triple()}.node`)
// Copy to a temp name and rename, so a process that has the old file loaded keeps it.
fs.copyFileSync(built, dest + '.tmp')
fs.renameSync(dest + '.tmp', dest)
console.error(`raw-transfer: built ${path.relative(root, dest)}`)
