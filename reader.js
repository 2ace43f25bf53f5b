'use strict'
// raw-transfer/reader for resolvers without package.json "exports" (TypeScript node10).
module.exports = require('./js/reader')
