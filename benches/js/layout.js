'use strict'
// Typed layouts: reading a 262 000-node expression AST (src/layout/tests/bench.rs, laid out as
// examples/ast-addon lays out its AST) in JS, against JSON.parse of serde_json's text of the
// same tree, each followed by the same walk of every node (type, children, leaf values):
//
//   JSON.parse + walk          the baseline
//   toJS() + walk              the generated eager conversion (benches/js/layout/generated/)
//   lazy walk (generated)      the generated view classes, every getter the walk needs
//   lazy walk (hand-written)   benches/js/layout/hand.js: the same layout, offsets typed in
//   visit, 1 handler type      the generated visitor counting CallExpressions (the JSON row
//                              of it walks the parsed tree for them)
//
// The block and JSON come from `cargo test --lib layout::tests::bench -- --ignored` (run here
// when target/layout-fixture/bench.bin is missing). Cases take turns in each round (the
// machine is shared and noisy); the table gives medians and the range of each ratio over the
// rounds. Options: --rounds N (default 9).
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { RawBuffer } = require('raw-transfer-reader')
const { fmtNs, table } = require('./util')

const ROOT = path.join(__dirname, '..', '..')
const DIR = path.join(ROOT, 'target', 'layout-fixture')

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? dflt : Number(process.argv[i + 1])
}

function input() {
  if (!fs.existsSync(path.join(DIR, 'bench.bin'))) {
    console.log('(writing target/layout-fixture/bench.bin: cargo test --lib layout::tests::bench -- --ignored)')
    const r = spawnSync('cargo', ['test', '--lib', 'layout::tests::bench::bench_block_for_js', '--', '--ignored', '--exact'], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    })
    if (r.status !== 0) throw new Error('cargo test failed: the layout bench needs its input block')
  }
  const bytes = fs.readFileSync(path.join(DIR, 'bench.bin'))
  let size = 1 << 20
  while (size < bytes.length) size *= 2
  const ab = new ArrayBuffer(size)
  new Uint8Array(ab).set(bytes)
  return { raw: new RawBuffer(ab), json: fs.readFileSync(path.join(DIR, 'bench.json'), 'utf8'), bytes: bytes.length }
}

// The walks, as source: each reader gets its own compiled copy, so one reader's node classes
// do not make the others' property accesses polymorphic.
const LAZY_WALK = `
  let nodes = 0, chars = 0, sum = 0
  function expr(e) {
    nodes++
    switch (e.type) {
      case 'Identifier': chars += e.name.length; break
      case 'NumericLiteral': sum += e.value; break
      case 'StringLiteral': chars += e.value.length; break
      case 'UnaryExpression': expr(e.argument); break
      case 'BinaryExpression': expr(e.left); expr(e.right); break
      case 'CallExpression': {
        expr(e.callee)
        const args = e.arguments
        for (let i = 0, n = args.length; i < n; i++) expr(args.at(i))
        break
      }
      case 'MemberExpression': expr(e.object); nodes++; chars += e.property.name.length; break
    }
  }
  return function walk(module) {
    nodes = chars = sum = 0
    const body = module.body
    for (let i = 0, n = body.length; i < n; i++) {
      const s = body.at(i)
      nodes++
      if (s.type === 'VariableDeclaration') {
        nodes++
        chars += s.id.name.length
        const init = s.init
        if (init !== null) expr(init)
      } else expr(s.expression)
    }
    return nodes + ':' + chars + ':' + sum
  }`
const PLAIN_WALK = `
  let nodes = 0, chars = 0, sum = 0
  function expr(e) {
    nodes++
    switch (e.type) {
      case 'Identifier': chars += e.name.length; break
      case 'NumericLiteral': sum += e.value; break
      case 'StringLiteral': chars += e.value.length; break
      case 'UnaryExpression': expr(e.argument); break
      case 'BinaryExpression': expr(e.left); expr(e.right); break
      case 'CallExpression': {
        expr(e.callee)
        const args = e.arguments
        for (let i = 0, n = args.length; i < n; i++) expr(args[i])
        break
      }
      case 'MemberExpression': expr(e.object); nodes++; chars += e.property.name.length; break
    }
  }
  return function walk(module) {
    nodes = chars = sum = 0
    const body = module.body
    for (let i = 0, n = body.length; i < n; i++) {
      const s = body[i]
      nodes++
      if (s.type === 'VariableDeclaration') {
        nodes++
        chars += s.id.name.length
        if (s.init !== null) expr(s.init)
      } else expr(s.expression)
    }
    return nodes + ':' + chars + ':' + sum
  }`
const PLAIN_CALLS = `
  let calls = 0
  function expr(e) {
    switch (e.type) {
      case 'UnaryExpression': expr(e.argument); break
      case 'BinaryExpression': expr(e.left); expr(e.right); break
      case 'CallExpression': {
        calls++
        expr(e.callee)
        const args = e.arguments
        for (let i = 0, n = args.length; i < n; i++) expr(args[i])
        break
      }
      case 'MemberExpression': expr(e.object); break
    }
  }
  return function count(module) {
    calls = 0
    for (const s of module.body) {
      if (s.type === 'VariableDeclaration') {
        if (s.init !== null) expr(s.init)
      } else expr(s.expression)
    }
    return calls
  }`
const compile = (src) => new Function(src)()

/** A fresh copy of the generated module (its own feedback, as the walks). */
function generated() {
  const file = require.resolve('./layout/generated/ast.js')
  delete require.cache[file]
  return require(file)
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  return s[s.length >> 1]
}

function main() {
  const rounds = arg('rounds', 9)
  const { raw, json, bytes } = input()
  const gen = generated()
  const genLazy = generated()
  const genVisit = generated()
  const hand = require('./layout/hand.js')
  const walkJson = compile(PLAIN_WALK)
  const walkToJS = compile(PLAIN_WALK)
  const walkGen = compile(LAZY_WALK)
  const walkHand = compile(LAZY_WALK)
  const callsJson = compile(PLAIN_CALLS)
  const cases = {
    json: () => walkJson(JSON.parse(json)),
    toJS: () => walkToJS(gen.readModule(raw).toJS()),
    lazy: () => walkGen(genLazy.readModule(raw)),
    hand: () => walkHand(hand.readModule(raw)),
    visitJson: () => callsJson(JSON.parse(json)),
    visit: () => {
      let calls = 0
      genVisit.visit(genVisit.readModule(raw), { CallExpression: () => void calls++ })
      return calls
    },
  }
  // Every reader reads the same tree.
  const want = cases.json()
  for (const k of ['toJS', 'lazy', 'hand']) {
    const got = cases[k]()
    if (got !== want) throw new Error(`layout bench: ${k} read ${got}, JSON.parse ${want}`)
  }
  if (cases.visit() !== cases.visitJson()) throw new Error('layout bench: visit counted another number of calls')
  const nodes = Number(want.split(':')[0])
  const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]))
  for (let r = 0; r < rounds + 2; r++) {
    for (const [k, fn] of Object.entries(cases)) {
      globalThis.gc?.()
      const t0 = process.hrtime.bigint()
      fn()
      const ns = Number(process.hrtime.bigint() - t0)
      if (r >= 2) times[k].push(ns) // two rounds of warm-up
    }
  }
  const ratio = (a, b) => {
    const rs = times[a].map((t, i) => times[b][i] / t)
    const s = [...rs].sort((x, y) => x - y)
    return `${s[0].toFixed(2)}–${s[s.length - 1].toFixed(2)}x (median ${median(rs).toFixed(2)}x)`
  }
  const row = (name, k, base) => [name, fmtNs(median(times[k])), base === null ? '1.00x' : ratio(k, base)]
  table(
    `Typed layouts: ${nodes} nodes (${(bytes / 1e6).toFixed(1)} MB block, ${(json.length / 1e6).toFixed(1)} MB JSON), walk of every node; ${rounds} rounds`,
    ['case', 'median', 'speed vs JSON.parse + walk'],
    [
      row('JSON.parse + walk', 'json', null),
      row('generated toJS() + walk', 'toJS', 'json'),
      row('generated lazy walk', 'lazy', 'json'),
      row('hand-written lazy walk', 'hand', 'json'),
    ],
  )
  table(
    'Typed layouts: generated lazy walk against the hand-written reader of the same layout',
    ['case', 'median', 'speed vs hand-written'],
    [row('hand-written lazy walk', 'hand', null), row('generated lazy walk', 'lazy', 'hand')],
  )
  table(
    'Typed layouts: count CallExpressions (visit with one handler type)',
    ['case', 'median', 'speed vs JSON.parse + walk'],
    [row('JSON.parse + walk', 'visitJson', null), row('generated visit()', 'visit', 'visitJson')],
  )
}

module.exports = main
if (require.main === module) main()
