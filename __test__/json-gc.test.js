'use strict'
// A full GC while no JsonDocument, JsonNode or Reader of a document lives (as between
// documents) must not throw away the optimized code that reads them: js/json/document.js
// keeps one of each alive, as V8 holds their maps only weakly (see layout-gc.test.js for the
// generated readers). Checked in a child process with --allow-natives-syntax: a function
// reading a document is optimized, the document is released and dropped, gc(), and the
// function is still optimized.
const test = require('node:test')
const assert = require('node:assert')
const path = require('node:path')
const { spawnSync } = require('node:child_process')

const CHILD = `
const { JsonPool } = require(${JSON.stringify(path.join(__dirname, '..'))})
const pool = new JsonPool({ size: 2 })
const text = JSON.stringify([{ a: 1, b: 'x', c: [true, null, 2.5] }, { a: 2, b: 'y', c: [] }])

function read(doc) {
  let n = 0
  const root = doc.root
  for (let i = 0; i < root.length; i++) {
    const o = root.at(i)
    n += o.get('a').value + o.get('b').value.length + o.get('c').length + o.type.length
  }
  return n
}
let doc = pool.parseJson(text)
;%PrepareFunctionForOptimization(read)
for (let i = 0; i < 300; i++) read(doc)
;%OptimizeFunctionOnNextCall(read)
read(doc)
const before = %GetOptimizationStatus(read)
doc.release()
doc = null
globalThis.gc()
globalThis.gc()
const after = %GetOptimizationStatus(read)
pool.close()
console.log(JSON.stringify({ before, after }))
`

// %GetOptimizationStatus bits (V8's OptimizationStatus): 16 = optimized.
const OPTIMIZED = 16

test('a full GC with no JSON document alive keeps the optimized code that reads documents', (t) => {
  // V8's natives syntax and its deoptimization: Node only (Bun is JavaScriptCore; Deno does
  // not take V8's flags this way).
  if (process.versions.bun !== undefined || typeof globalThis.Deno !== 'undefined') {
    t.skip('V8 optimization status is a Node-only check')
    return
  }
  const res = spawnSync(process.execPath, ['--allow-natives-syntax', '--expose-gc', '-e', CHILD], { encoding: 'utf8', timeout: 120_000 })
  assert.strictEqual(res.status, 0, res.stderr)
  const { before, after } = JSON.parse(res.stdout.trim().split('\n').pop())
  if ((before & OPTIMIZED) === 0) {
    t.skip(`this node does not optimize on request (status ${before})`)
    return
  }
  assert.ok(after & OPTIMIZED, `the GC deoptimized the reader (status ${before} -> ${after})`)
})
