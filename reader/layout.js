'use strict'
// require('raw-transfer/reader/layout') (through package.json "exports", and by path for
// resolvers without it, such as TypeScript's node10): raw-transfer-reader/layout, the typed
// layouts' runtime, so that a generated module whose reader is 'raw-transfer/reader'
// (JsOptions::reader) finds it.
module.exports = require('raw-transfer-reader/layout')
