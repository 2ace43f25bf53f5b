'use strict'
// Hand-off rounds in both modes. Jest evaluates this file and every module it requires
// (raw-transfer's JS included) in a vm context of its own, with the native addon loaded once
// per worker process by the real require: the package runs in a realm that is not the addon's.
const w = require('../workload')

test('raw-transfer resolves through the file: link and loads in the Jest sandbox', () => {
  const rt = require('raw-transfer')
  expect(rt).toBe(w.rt)
  expect(typeof rt.liveBlocks()).toBe('number')
})
for (const c of w.cases.handoff('jest')) test(c.name, c.fn)
