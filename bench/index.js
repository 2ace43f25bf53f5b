'use strict'
// npm run bench: every JS benchmark, each reported as ratios within one run.
console.log(`# raw-transfer JS benchmarks (node ${process.version}, ${new Date().toISOString().slice(0, 10)})`)
require('./handoff')()
