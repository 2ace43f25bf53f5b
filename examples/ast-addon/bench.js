'use strict'
// npm run bench [-- sizes in MB, default 1 10]: the AST example's typed layout against the
// usual ways of getting a Rust AST into JS, end to end from the source string (each case
// includes the Rust parse) with the same JS work. Cases run in interleaved rounds (a GC
// before each); the table gives the median time, its range, and the median of the per-round
// ratios to the JSON path (so a slow round of the machine moves both sides).
//
//   json          serde_json string + JSON.parse, then the work
//   lazy          the generated lazy view (parse(); read through getters), then release()
//   toJS          the generated toJS(), then the work on the plain objects
//   visitor       the generated visit() with one handler (CallExpression)
//   napi          napi-rs objects built in Rust (Env::to_js_value: a property set per field)
//   hand          a hand-written lazy reader of the same layout (below; offsets typed by hand,
//                 no bounds, tag or generation checks): the floor the generated view is held to
//
// The work: "walk" reads every node (walk.js: type, names, values, operators, children);
// "visitor" counts CallExpressions (the JSON side walks to find them); "field" reads `type`
// of each top-level statement.

const fs = require('node:fs')
const path = require('node:path')
const { AstPool, ast } = require('.')
const { generate } = require('./test/source')

/**
 * A fresh instance of test/walk.js (its own functions, so its own type feedback): a plugin
 * sees one kind of node object, and one walk shared by the JSON objects, the views and the
 * napi-rs objects would be megamorphic for all of them.
 */
const WALK_SOURCE = fs.readFileSync(path.join(__dirname, 'test', 'walk.js'), 'utf8')
function freshWalk() {
  const m = { exports: {} }
  new Function('module', 'exports', 'require', WALK_SOURCE)(m, m.exports, require)
  return m.exports.walkProgram
}
const walkProgram = freshWalk()

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0)
const MB = 1 << 20
const gc = global.gc ?? (() => {})

// --- a hand-written lazy reader of the same layout --------------------------------------
// What an author would write without the generator: node classes over module-level typed
// arrays, offsets from the Rust layout (checked below against the generated reader's toJS
// of the same document, so a wrong one fails the bench).
let U8, U32, F64, BUF
const ascii = (q, n) => {
  let s = ''
  for (let k = q; k < q + n; k++) {
    const c = U8[k]
    if (c >= 0x80) return BUF.utf8Slice(q, q + n)
    s += String.fromCharCode(c)
  }
  return s
}
const hstr = (p) => {
  const q = U32[p >> 2]
  const n = U32[(p >> 2) + 2]
  return n <= 16 ? ascii(q, n) : BUF.utf8Slice(q, q + n)
}
const box = (p) => U32[p >> 2] // the low 32 bits of the pointer at p
class HList {
  constructor(p, n, read, size) {
    this.p = p
    this.n = n
    this.read = read
    this.size = size
  }
  get length() {
    return this.n
  }
  at(i) {
    return i < this.n ? this.read(this.p + i * this.size) : undefined
  }
}
const list = (p, read, size) => new HList(U32[p >> 2], U32[(p >> 2) + 2], read, size)
class HIdent {
  constructor(p) {
    this.p = p
  }
  get type() {
    return 'Identifier'
  }
  get name() {
    return hstr(this.p)
  }
}
const hident = (p) => new HIdent(p)
class HBlock {
  constructor(p) {
    this.p = p
  }
  get type() {
    return 'BlockStatement'
  }
  get body() {
    return list(this.p, hstmt, 16)
  }
}
const hstmt = (p) => {
  const q = box(p + 8)
  switch (U8[p]) {
    case 0: return new HVar(q)
    case 1: return new HFnDecl(q)
    case 2: return new HReturn(q)
    case 3: return new HIf(q)
    case 4: return new HBlock(q)
    default: return new HExprStmt(q)
  }
}
class HVar {
  constructor(p) { this.p = p }
  get type() { return 'VariableDeclaration' }
  get kind() { return U8[this.p] === 0 ? 'let' : 'const' }
  get id() { return new HIdent(this.p + 8) }
  get init() { return U8[this.p + 32] === 11 ? null : hexpr(this.p + 32) }
}
class HFnDecl {
  constructor(p) { this.p = p }
  get type() { return 'FunctionDeclaration' }
  get id() { return new HIdent(this.p) }
  get params() { return list(this.p + 24, hident, 24) }
  get body() { return new HBlock(this.p + 40) }
}
class HReturn {
  constructor(p) { this.p = p }
  get type() { return 'ReturnStatement' }
  get argument() { return U8[this.p] === 11 ? null : hexpr(this.p) }
}
class HIf {
  constructor(p) { this.p = p }
  get type() { return 'IfStatement' }
  get test() { return hexpr(this.p) }
  get consequent() { return hstmt(this.p + 16) }
  get alternate() { return U8[this.p + 32] === 6 ? null : hstmt(this.p + 32) }
}
class HExprStmt {
  constructor(p) { this.p = p }
  get type() { return 'ExpressionStatement' }
  get expression() { return hexpr(this.p) }
}
const UNARY = ['-', '+', '!']
const BINARY = ['||', '&&', '==', '!=', '<', '<=', '>', '>=', '+', '-', '*', '/', '%']
const hexpr = (p) => {
  const q = box(p + 8)
  switch (U8[p]) {
    case 0: return new HIdent(q)
    case 1: return new HNum(q)
    case 2: return new HStr(q)
    case 3: return new HBool(q)
    case 4: return new HArray(q)
    case 5: return new HUnary(q)
    case 6: return new HBinary(q)
    case 7: return new HCall(q)
    case 8: return new HMember(q)
    case 9: return new HFnExpr(q)
    default: return new HArrow(q)
  }
}
class HNum {
  constructor(p) { this.p = p }
  get type() { return 'NumericLiteral' }
  get value() { return F64[this.p >> 3] }
}
class HStr {
  constructor(p) { this.p = p }
  get type() { return 'StringLiteral' }
  get value() { return hstr(this.p) }
}
class HBool {
  constructor(p) { this.p = p }
  get type() { return 'BooleanLiteral' }
  get value() { return U8[this.p] !== 0 }
}
class HArray {
  constructor(p) { this.p = p }
  get type() { return 'ArrayExpression' }
  get elements() { return list(this.p, hexpr, 16) }
}
class HUnary {
  constructor(p) { this.p = p }
  get type() { return 'UnaryExpression' }
  get operator() { return UNARY[U8[this.p]] }
  get argument() { return hexpr(this.p + 8) }
}
class HBinary {
  constructor(p) { this.p = p }
  get type() { return 'BinaryExpression' }
  get operator() { return BINARY[U8[this.p]] }
  get left() { return hexpr(this.p + 8) }
  get right() { return hexpr(this.p + 24) }
}
class HCall {
  constructor(p) { this.p = p }
  get type() { return 'CallExpression' }
  get callee() { return hexpr(this.p) }
  get arguments() { return list(this.p + 16, hexpr, 16) }
}
class HMember {
  constructor(p) { this.p = p }
  get type() { return 'MemberExpression' }
  get object() { return hexpr(this.p) }
  get property() { return hexpr(this.p + 16) }
  get computed() { return U8[this.p + 32] !== 0 }
}
class HFnExpr {
  constructor(p) { this.p = p }
  get type() { return 'FunctionExpression' }
  get id() { return U32[(this.p >> 2) + 1] === 0 && U32[this.p >> 2] === 0 ? null : new HIdent(box(this.p)) }
  get params() { return list(this.p + 8, hident, 24) }
  get body() { return new HBlock(this.p + 24) }
}
class HArrow {
  constructor(p) { this.p = p }
  get type() { return 'ArrowFunctionExpression' }
  get params() { return list(this.p, hident, 24) }
  get body() { return U8[this.p + 16] === 0 ? new HBlock(box(this.p + 24)) : hexpr(this.p + 24) }
  get expression() { return U8[this.p + 40] !== 0 }
}
class HProgram {
  constructor(p) { this.p = p }
  get type() { return 'Program' }
  get body() { return list(this.p, hstmt, 16) }
}
function handRead(raw) {
  U8 = raw.u8
  U32 = raw.u32
  F64 = raw.f64
  BUF = raw.nodeBuffer
  return new HProgram(raw.dataOffset)
}

// --- cases --------------------------------------------------------------------------------

const pool = new AstPool({ size: 2 })

const walks = { json: freshWalk(), lazy: freshWalk(), toJS: freshWalk(), napi: freshWalk(), hand: freshWalk() }

/** `type` of each top-level statement; a fresh function per case, as freshWalk. */
const fieldOfEach = () =>
  new Function('program', 'const body = program.body; let n = 0; for (let i = 0, len = body.length; i < len; i++) n += body.at(i).type.length; return n')
const fields = { json: fieldOfEach(), lazy: fieldOfEach() }

/** Each case: name, work, and what it returns (checked equal across a work's cases). */
const cases = {
  walk: {
    json: (src) => walks.json(JSON.parse(pool.parseToJson(src))),
    lazy: (src) => {
      const p = pool.parse(src)
      const r = walks.lazy(p)
      pool.release(p)
      return r
    },
    toJS: (src) => {
      const p = pool.parse(src)
      const r = walks.toJS(p.toJS())
      pool.release(p)
      return r
    },
    napi: (src) => walks.napi(pool.parseToObjects(src)),
    hand: (src) => {
      const { id, raw } = pool.parseRaw(src)
      const r = walks.hand(handRead(raw))
      pool.release(id)
      return r
    },
  },
  visitor: {
    json: (src) => walks.json(JSON.parse(pool.parseToJson(src))).calls,
    visitor: (src) => {
      const p = pool.parse(src)
      let calls = 0
      ast.visit(p, { CallExpression: () => calls++ })
      pool.release(p)
      return calls
    },
  },
  field: {
    json: (src) => fields.json(JSON.parse(pool.parseToJson(src))),
    lazy: (src) => {
      const p = pool.parse(src)
      const r = fields.lazy(p)
      pool.release(p)
      return r
    },
  },
  parts: {
    'Rust parse + hand-off only': (src) => pool.release(pool.parse(src)),
    'parseToJson only': (src) => pool.parseToJson(src).length,
  },
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const ms = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1))

function time(fn, src) {
  gc()
  const t = process.hrtime.bigint()
  const r = fn(src)
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, r }
}

function run(mb) {
  const src = generate(mb * MB, 42)
  const rounds = mb >= 10 ? 5 : 15
  // Check first: every case of a work computes the same, and the hand reader's offsets are right.
  const p = pool.parse(src)
  const expect = walkProgram(p)
  pool.release(p)
  for (const [work, byName] of Object.entries(cases)) {
    if (work === 'parts') continue
    const results = Object.entries(byName).map(([name, fn]) => [name, JSON.stringify(fn(src))])
    for (const [name, r] of results) {
      if (r !== results[0][1]) throw new Error(`${work}: ${name} computed ${r}, ${results[0][0]} ${results[0][1]}`)
    }
  }
  const times = {}
  for (let round = 0; round < rounds; round++) {
    const all = Object.entries(cases).flatMap(([work, byName]) => Object.entries(byName).map(([name, fn]) => [`${work}/${name}`, fn]))
    // Interleaved, the order rotating each round.
    for (let k = 0; k < all.length; k++) {
      const [key, fn] = all[(k + round) % all.length]
      ;(times[key] ??= []).push(time(fn, src).ms)
    }
  }
  const ratio = (key, base) => {
    const r = times[key].map((t, i) => times[base][i] / t)
    const best = Math.min(...times[base]) / Math.min(...times[key])
    return `${median(r).toFixed(1)}× (${Math.min(...r).toFixed(1)}–${Math.max(...r).toFixed(1)}) | ${best.toFixed(1)}×`
  }
  const row = (label, key, base, goal) => {
    const t = times[key]
    console.log(`| ${label} | ${ms(median(t))} ms (${ms(Math.min(...t))}–${ms(Math.max(...t))}) | ${base ? ratio(key, base) : '| '} | ${goal} |`)
  }
  const nodes = expect.nodes
  console.log(`\n### ${mb} MB of source (${(src.length / MB).toFixed(2)} MB, ${nodes} nodes, ${expect.calls} calls, ${rounds} rounds, ${pool.transferMode} transfer)\n`)
  console.log('| case (end to end, from the source string) | median (min–max) | JSON path ÷ this: median of per-round ratios (range) | best ÷ best | goal |')
  console.log('|---|---|---|---|---|')
  row('serde_json string + `JSON.parse`, walk every node', 'walk/json', null, 'baseline')
  row('(a) generated lazy view, walk every node', 'walk/lazy', 'walk/json', '≥ 5×')
  row('(b) generated `toJS()`, the same walk', 'walk/toJS', 'walk/json', '≥ 5×')
  row('(c) generated `visit()`, one handler (CallExpression)', 'visitor/visitor', 'visitor/json', '≥ 10×')
  row('(c) JSON path doing the same (walk to find the calls)', 'visitor/json', null, '')
  row('(d) generated lazy view, `type` of each top-level statement', 'field/lazy', 'field/json', '≥ 25×')
  row('(d) JSON path doing the same', 'field/json', null, '')
  row('(e) napi-rs objects (`Env::to_js_value`), walk every node', 'walk/napi', 'walk/json', 'report')
  row('(f) hand-written lazy reader, walk every node', 'walk/hand', 'walk/json', '')
  const lazyVsHand = times['walk/hand'].map((t, i) => t / times['walk/lazy'][i])
  console.log(
    `| (f) hand-written ÷ generated lazy walk | | ${median(lazyVsHand).toFixed(2)}× (${Math.min(...lazyVsHand).toFixed(2)}–${Math.max(...lazyVsHand).toFixed(2)}) | ${(Math.min(...times['walk/hand']) / Math.min(...times['walk/lazy'])).toFixed(2)}× | ≥ 1× (no slower) |`,
  )
  row('Rust parse + hand-off only (no JS work)', 'parts/Rust parse + hand-off only', null, '')
  row('`parseToJson` only (parse + serde_json, the string to JS)', 'parts/parseToJson only', null, '')
}

for (const mb of sizes.length ? sizes : [1, 10]) run(mb)
pool.close()
