'use strict'
// benches/js/parallel.js's no-op plugin: measures what the worker path itself costs per file.
module.exports = () => undefined
