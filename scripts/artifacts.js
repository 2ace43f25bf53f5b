#!/usr/bin/env node
// `npm run artifacts`: put this machine's built binary into its platform package,
// npm/<triple>/raw-transfer.<triple>.node (what napi-rs's `napi artifacts` does for CI
// artifacts). A small script rather than @napi-rs/cli: the CLI needs Node >= 20.17 to run
// and pulls in a large dependency tree for one copy.
'use strict'
const fs = require('node:fs')
const path = require('node:path')
const { triple } = require('../js/native/platform')

const root = path.join(__dirname, '..')
const t = triple()
const src = path.join(root, `raw-transfer.${t}.node`)
const dir = path.join(root, 'npm', t)
if (!fs.existsSync(src)) {
  console.error(`raw-transfer: ${path.relative(root, src)} is missing: run npm run build first`)
  process.exit(1)
}
if (!fs.existsSync(path.join(dir, 'package.json'))) {
  console.error(`raw-transfer: no platform package manifest at npm/${t}/package.json`)
  process.exit(1)
}
const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'))
const main = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))
if (manifest.version !== main.version) {
  console.error(`raw-transfer: npm/${t} is version ${manifest.version}, the package ${main.version}`)
  process.exit(1)
}
fs.copyFileSync(src, path.join(dir, manifest.main))
console.error(`raw-transfer: copied the ${t} binary to npm/${t}/${manifest.main}`)
