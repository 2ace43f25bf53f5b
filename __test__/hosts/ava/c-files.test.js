'use strict'
// parseJsonFiles: Rust threads parse files while ava's worker thread runs the plugin.
const test = require('ava')
const w = require('../workload')

for (let rep = 0; rep < 3; rep++) {
  // Concurrent within the file (ava's default): several parseJsonFiles jobs at once.
  test(`auto: 24 files + a broken one (repeat ${rep})`, async (t) => {
    t.is((await w.filesRound({ transfer: 'auto', label: `ava-c${rep}` })).files, 24)
  })
  test(`copy: 24 files + a broken one (repeat ${rep})`, async (t) => {
    t.is((await w.filesRound({ transfer: 'copy', label: `ava-c-copy${rep}` })).transferMode, 'copy')
  })
}
