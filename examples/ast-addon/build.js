'use strict'
// `npm install` / `npm run build`: cargo build --release, then copy the library to
// ./ast-addon.node (atomically: a test running meanwhile never loads half a file).
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const res = spawnSync('cargo', ['build', '--release'], { cwd: __dirname, stdio: 'inherit' })
if (res.error) {
  console.error(`ast-addon: could not run cargo (${res.error.message}); install Rust (stable 1.88+)`)
  process.exit(1)
}
if (res.status !== 0) process.exit(res.status ?? 1)
const target = process.env.CARGO_TARGET_DIR ? path.resolve(process.env.CARGO_TARGET_DIR) : path.join(__dirname, 'target')
const lib = { darwin: 'libast_addon.dylib', win32: 'ast_addon.dll' }[process.platform] ?? 'libast_addon.so'
const tmp = path.join(__dirname, 'ast-addon.node.tmp')
fs.copyFileSync(path.join(target, 'release', lib), tmp)
fs.renameSync(tmp, path.join(__dirname, 'ast-addon.node'))
console.error('ast-addon: built ast-addon.node')
