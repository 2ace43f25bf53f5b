'use strict'
// Find the native addon for this platform: the optional platform package
// raw-transfer-<triple> (prebuilt), then ./raw-transfer.<triple>.node at the package root
// (built from source by `npm install`). RAW_TRANSFER_NATIVE=<path> overrides both.

const path = require('node:path')
const { triple } = require('./platform')

const ROOT = path.join(__dirname, '..', '..')

function loadBinding() {
  const t = triple()
  if (process.env.RAW_TRANSFER_NATIVE) {
    // An explicit override is used or fails: never silently replaced by another binary.
    const file = path.resolve(process.env.RAW_TRANSFER_NATIVE)
    try {
      return require(file)
    } catch (e) {
      throw new Error(`raw-transfer: RAW_TRANSFER_NATIVE=${file} could not be loaded: ${e.message.split('\n')[0]}`)
    }
  }
  const candidates = []
  candidates.push(`raw-transfer-${t}`, path.join(ROOT, `raw-transfer.${t}.node`))
  const errors = []
  for (const c of candidates) {
    try {
      return require(c)
    } catch (e) {
      errors.push(`  ${c}: ${e.message.split('\n')[0]}`)
    }
  }
  throw new Error(
    `raw-transfer: no native addon for ${t}. Tried:\n${errors.join('\n')}\n` +
      `Install the prebuilt platform package (npm install raw-transfer-${t}), or install Rust ` +
      '(rustup) and reinstall raw-transfer so its source build runs (pnpm 10: `pnpm approve-builds`; npm 11: `npm install-scripts approve raw-transfer`; ' +
      'installs with --ignore-scripts skip the build: run `npm rebuild raw-transfer`).',
  )
}

module.exports = { loadBinding }
