'use strict'
// parseJsonFiles: Rust threads parse files while Jest's worker runs the plugin.
const w = require('../workload')

for (const c of w.cases.files('jest')) test(c.name, c.fn)
