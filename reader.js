'use strict'
// Only for resolvers without package.json "exports" (TypeScript's node10): raw-transfer/reader.
module.exports = require('./js/reader')
