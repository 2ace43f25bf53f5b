'use strict'
// cargo build --release, then copy the library to ./csv-addon.node.
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const res = spawnSync('cargo', ['build', '--release'], { cwd: __dirname, stdio: 'inherit' })
if (res.status !== 0) process.exit(res.status ?? 1)
const target = process.env.CARGO_TARGET_DIR || path.join(__dirname, 'target')
const lib = { darwin: 'libcsv_addon.dylib', win32: 'csv_addon.dll' }[process.platform] || 'libcsv_addon.so'
fs.copyFileSync(path.join(target, 'release', lib), path.join(__dirname, 'csv-addon.node.tmp'))
fs.renameSync(path.join(__dirname, 'csv-addon.node.tmp'), path.join(__dirname, 'csv-addon.node'))
