'use strict'
// A full GC while no view of a generated module lives (as between documents) must not throw
// away the readers' optimized code. V8 holds the maps (hidden classes) that optimized code
// checks weakly, and a class's final map (after its constructor added #d and #p) too: with no
// instance alive, the GC frees it and deoptimizes every function that read such views
// ("weak objects"). The runtime keeps one view of each class alive (layout.js, keepMaps),
// which the generated module hands it when it loads.
//
// Checked in a child process with --allow-natives-syntax: a function reading views is
// optimized, every view is dropped, gc(), and the function is still optimized. The same
// run with keepMaps removed from the runtime before the module loads is the control: it must
// show the deoptimization (else this V8 does not have the problem, and the test says so).
const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')

const FIXTURE = path.join(__dirname, '..', 'target', 'layout-fixture', 'fixture.bin')

const CHILD = `
const fs = require('node:fs')
const layout = require('raw-transfer-reader/layout')
if (process.argv[1] === 'without') delete layout.keepMaps
const gen = require(${JSON.stringify(path.join(__dirname, 'layout', 'generated', 'fixture.js'))})
const { RawBuffer } = require('raw-transfer-reader')
const bytes = fs.readFileSync(${JSON.stringify(FIXTURE)})
let size = 1 << 20
while (size < bytes.length) size *= 2
const ab = new ArrayBuffer(size)
new Uint8Array(ab).set(bytes)
const raw = new RawBuffer(ab)

// Views of several classes (Program, the lists, the Decl and Stmt variants, Span), all garbage
// once it returns.
function read(raw) {
  const program = gen.readProgram(raw)
  let n = program.version + program.level + program.sourceName.length + program.tags.length
  const decls = program.decls
  for (let i = 0; i < decls.length; i++) n += decls.at(i).type.length
  const body = program.body
  for (let i = 0; i < body.length; i++) n += body.at(i).type.length
  return n
}
;%PrepareFunctionForOptimization(read)
for (let i = 0; i < 300; i++) read(raw)
;%OptimizeFunctionOnNextCall(read)
read(raw)
const before = %GetOptimizationStatus(read)
globalThis.gc()
globalThis.gc()
const after = %GetOptimizationStatus(read)
console.log(JSON.stringify({ before, after }))
`

// %GetOptimizationStatus bits (V8's OptimizationStatus): 16 = optimized, 128 = interpreted.
const OPTIMIZED = 16

function run(mode) {
  const res = spawnSync(process.execPath, ['--allow-natives-syntax', '--expose-gc', '-e', CHILD, mode], {
    cwd: __dirname,
    encoding: 'utf8',
    timeout: 120_000,
  })
  assert.strictEqual(res.status, 0, `child (${mode}) failed:\n${res.stderr}`)
  return JSON.parse(res.stdout.trim().split('\n').pop())
}

test('a full GC with no view alive keeps the optimized code that reads views', (t) => {
  // V8's natives syntax and its deoptimization: Node only (Bun is JavaScriptCore; Deno does
  // not take V8's flags this way).
  if (process.versions.bun !== undefined || typeof globalThis.Deno !== 'undefined') {
    t.skip('V8 optimization status is a Node-only check')
    return
  }
  if (!fs.existsSync(FIXTURE)) throw new Error(`${FIXTURE} is missing: run \`cargo test --lib layout\` first (npm test does)`)
  const control = run('without')
  if ((control.before & OPTIMIZED) === 0) {
    t.skip(`this node does not optimize on request (status ${control.before})`)
    return
  }
  const kept = run('with')
  assert.ok(kept.before & OPTIMIZED, `not optimized before the GC (status ${kept.before})`)
  assert.ok(
    kept.after & OPTIMIZED,
    `the GC deoptimized the reader (status ${kept.before} -> ${kept.after}); without keepMaps: ${control.before} -> ${control.after}`,
  )
  // The control: without the kept views the same GC deoptimizes it (what the test guards against).
  if (control.after & OPTIMIZED) t.diagnostic('this V8 keeps the code without keepMaps too: the control shows no deoptimization')
})
