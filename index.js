'use strict'
// Platform loader: find the native addon for this platform, then hand it to the JS runtime.
//
// Looks for ./raw-transfer.<triple>.node (built by `npm install` from source), then for the
// optional package raw-transfer-<triple>. RAW_TRANSFER_NATIVE=<path> overrides both.

const path = require('node:path')
const { triple } = require('./js/platform')

function loadBinding() {
  const t = triple()
  const candidates = []
  if (process.env.RAW_TRANSFER_NATIVE) candidates.push(path.resolve(process.env.RAW_TRANSFER_NATIVE))
  candidates.push(path.join(__dirname, `raw-transfer.${t}.node`), `raw-transfer-${t}`)
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
      'Build it from source with `npm run build` (needs cargo).',
  )
}

module.exports = require('./js/runtime')(loadBinding())
