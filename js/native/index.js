'use strict'
// This platform's native addon, loaded once per thread, and the JsonPool class over it:
// what the package entry and the parallel JSON runner (inside each worker) both use.

const { loadBinding } = require('./binding')

const binding = loadBinding()
const JsonPool = require('./pool')(binding)

module.exports = { binding, JsonPool }
