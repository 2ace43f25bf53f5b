'use strict'
// parseJson + toJS against JSON.parse on generated documents, both modes, repeatedly.
const test = require('ava')
const w = require('../workload')

for (let rep = 0; rep < 3; rep++) {
  test.serial(`auto: 400 generated documents (seed ${rep + 1})`, (t) => {
    t.is(w.jsonRounds({ transfer: 'auto', count: 400, seed: rep + 1 }).count, 400)
  })
  test.serial(`copy: 200 generated documents (seed ${rep + 100})`, (t) => {
    t.is(w.jsonRounds({ transfer: 'copy', count: 200, seed: rep + 100 }).transferMode, 'copy')
  })
}
