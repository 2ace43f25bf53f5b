'use strict'
// require('raw-transfer/reader') (through package.json "exports", and by path for resolvers
// without it, such as TypeScript's node10): the raw-transfer-reader package.
module.exports = require('raw-transfer-reader')
