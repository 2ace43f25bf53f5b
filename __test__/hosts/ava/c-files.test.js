'use strict'
// parseJsonFiles: Rust threads parse files while ava's worker thread runs the plugin.
const test = require('ava')
const w = require('../workload')

// Concurrent within the file (ava's default): several parseJsonFiles jobs at once.
for (const c of w.cases.files('ava')) {
  test(c.name, async (t) => {
    await c.fn()
    t.pass()
  })
}
