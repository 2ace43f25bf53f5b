'use strict'
// The generated reader of the typed-layout fixture (src/layout/tests/fixture.rs): a block that
// Rust built and serde_json's text of the same value (written to target/layout-fixture/ by
// `cargo test`, which `npm test` runs first), read through __test__/layout/generated/fixture.js.
const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')
const util = require('node:util')
const reader = require('raw-transfer-reader')
const gen = require('./layout/generated/fixture.js')

const { RawBuffer, CorruptDocumentError, StaleBufferError, InvalidArgumentError } = reader
const DIR = path.join(__dirname, '..', 'target', 'layout-fixture')
const MIB = 1 << 20

/** A file the Rust tests wrote to target/layout-fixture/. */
function fixtureFile(name) {
  const file = path.join(DIR, name)
  if (!fs.existsSync(file)) {
    throw new Error(`${file} is missing: run \`cargo test --lib layout\` first (npm test does)`)
  }
  return file
}

/** A block the Rust tests wrote, in a buffer of a power of two of at least 1 MiB (what RawBuffer takes). */
function load(name = 'fixture.bin') {
  const bytes = fs.readFileSync(fixtureFile(name))
  let size = MIB
  while (size < bytes.length) size *= 2
  const ab = new ArrayBuffer(size)
  new Uint8Array(ab).set(bytes)
  return { raw: new RawBuffer(ab), used: bytes.length, u8: new Uint8Array(ab), u32: new Uint32Array(ab) }
}
const expected = () => JSON.parse(fs.readFileSync(fixtureFile('fixture.json'), 'utf8'))
/** The fixture's module generated with max_depth 3: toJS() defers below 3 pointers. */
const depth3 = () => require(path.join(path.dirname(fixtureFile('depth3/fixture.js')), 'fixture.js'))

/**
 * Where `a` and `b` (plain JSON-like values) differ, or null; no recursion (the documents
 * compared nest 100 000 deep) and -0 !== 0, as deepStrictEqual.
 */
function difference(a, b) {
  const stack = [a, b, '$', 0]
  while (stack.length !== 0) {
    const depth = stack.pop()
    const key = stack.pop()
    const y = stack.pop()
    const x = stack.pop()
    const at = () => `${key} (${depth} deep)`
    if (typeof x !== 'object' || x === null || typeof y !== 'object' || y === null) {
      if (!Object.is(x, y)) return `${at()}: ${String(x)} !== ${String(y)}`
      continue
    }
    if (Array.isArray(x) !== Array.isArray(y) || Object.getPrototypeOf(x) !== Object.getPrototypeOf(y)) {
      return `${at()}: kinds differ`
    }
    const kx = Object.keys(x)
    const ky = Object.keys(y)
    let same = kx.length === ky.length
    for (let i = 0; same && i < kx.length; i++) same = kx[i] === ky[i]
    if (!same) return `${at()}: keys ${kx} !== ${ky}`
    for (let i = kx.length - 1; i >= 0; i--) stack.push(x[kx[i]], y[kx[i]], kx[i], depth + 1)
  }
  return null
}

test('toJS() is what serde_json wrote for the same value', () => {
  const { raw } = load()
  const root = gen.readProgram(raw)
  assert.deepStrictEqual(root.toJS(), expected())
  assert.deepStrictEqual(depth3().readProgram(raw).toJS(), expected())
  assert.deepStrictEqual(JSON.parse(JSON.stringify(root)), expected())
  assert.deepStrictEqual(gen.toJS(root.body.at(1)), expected().body[1])
})

test('the block carries the layout hash the reader was generated for', () => {
  assert.strictEqual(gen.LAYOUT_HASHES.Program, fs.readFileSync(path.join(DIR, 'fixture.hash'), 'utf8'))
})

test('lazy views: getters at the compiler offsets, enums as type + fields, lists, strings', () => {
  const { raw } = load()
  const p = gen.readProgram({ raw, offset: raw.dataOffset, generation: raw.generation })
  assert.ok(p instanceof gen.Program)
  assert.strictEqual(p.type, 'Program')
  assert.strictEqual(p.sourceName, 'fixture.src')
  assert.strictEqual(p.version, 3)
  assert.strictEqual(p.level, -2)
  assert.strictEqual(p.secret, undefined, 'skipped fields are not read')
  assert.deepStrictEqual([...p.tags], ['a', 'ü', ''])
  assert.deepStrictEqual([...p.small], [-1, 0, 127])
  assert.deepStrictEqual([...p.shorts], [-300, 300])
  assert.strictEqual(p.ratio, Math.fround(0.1))
  assert.strictEqual(p.big, 2 ** 40 + 7)
  assert.strictEqual(p.neg, -5_000_000_000)
  assert.strictEqual(p.maybeOp, 'Add')
  assert.strictEqual(p.noOp, null)
  assert.strictEqual(p.flag, true)
  assert.strictEqual(p.renamedByLayout, 9)
  // Field names JS treats specially are plain fields here.
  assert.strictEqual(Object.getOwnPropertyDescriptor(gen.Program.prototype, '__proto__').get.call(p), 5)
  assert.strictEqual(Object.getOwnPropertyDescriptor(gen.Program.prototype, 'constructor').get.call(p), 4)
  assert.strictEqual(Object.getOwnPropertyDescriptor(p.toJS(), '__proto__').value, 5)
  assert.strictEqual(Object.getPrototypeOf(p.toJS()), Object.prototype)
  assert.deepStrictEqual([...p.maybeList], [1, 2, 65535])
  assert.strictEqual(p.noExpr, null)
  assert.strictEqual(p.maybeExpr.type, 'Num')
  assert.strictEqual(p.maybeExpr.value, 2.5)

  const body = p.body
  assert.strictEqual(body.length, 5)
  assert.deepStrictEqual([...body].map((s) => s.type), ['Expr', 'Let', 'Let', 'Empty', 'Block'])
  assert.strictEqual(body.at(-1).type, 'Block')
  assert.strictEqual(body.at(5), undefined)
  // A newtype variant over a struct is that struct's view under the variant's name.
  const stmt = body.at(0)
  assert.ok(stmt instanceof gen.Stmt$Expr)
  assert.deepStrictEqual(stmt.span.toJS(), { start: 0, end: 10 })
  const call = stmt.expr
  assert.strictEqual(call.type, 'Call')
  assert.strictEqual(call[0].type, 'Ident')
  assert.strictEqual(call[0].value, 'print')
  const args = call[1]
  assert.strictEqual(args.length, 5)
  assert.ok(Number.isNaN(args.at(0).value))
  assert.strictEqual(args.at(1).value, 'héllo, wörld: a string longer than sixteen bytes')
  assert.strictEqual(args.at(2)[1], null)
  assert.strictEqual(args.at(3)[1], 'p')
  const init = body.at(1).init
  assert.strictEqual(init.type, 'Bin')
  assert.strictEqual(init.op, 'Mul')
  assert.strictEqual(init.left.value, 6)
  assert.strictEqual(init.right.right.value, 'y')
  assert.strictEqual(body.at(2).init, null)
  assert.strictEqual(body.at(4).body.length, 2)
  assert.deepStrictEqual([...p.adjacent].map((a) => a.type), ['A', 'B', 'C'])
  assert.strictEqual(p.adjacent.at(2).s, 'c')
  assert.strictEqual(p.untagged.at(1).value, -3)
  // An enum of boxed nodes only: the pointer checked once before the variant's view is made.
  const [at, decl] = p.decls
  assert.ok(at instanceof gen.Decl$At && decl instanceof gen.Decl$Stmt)
  assert.deepStrictEqual([at.type, at.start, at.end, decl.type, decl.expr.value], ['At', 5, 6, 'Stmt', 'd'])
  // `type` is a constant of the class (a data property of its prototype, not a getter).
  assert.deepStrictEqual(Object.getOwnPropertyDescriptor(gen.Decl$At.prototype, 'type'), {
    value: 'At',
    writable: false,
    enumerable: false,
    configurable: false,
  })
  assert.strictEqual(p.type, 'Program')
  assert.strictEqual(p.spans.at(0).type, 'Span')
})

test('an enum of boxes with a bad tag or pointer is a CorruptDocumentError', () => {
  const { raw, u8, u32 } = load()
  const decls = gen.readProgram(raw).decls
  const at = offsetOf(decls.at(0)) // the Span the first Decl points at
  const slot = pointerTo(u32, offsetOf(decls), 32, at) - 8 // the Decl: tag, then the pointer
  u8[slot] = 9
  assert.throws(() => decls.at(0), CorruptDocumentError)
  assert.throws(() => gen.readProgram(raw).toJS(), CorruptDocumentError)
  u8[slot] = 1
  u32[(slot + 8) >> 2] = raw.u8.length - 4 // the Span would end past the buffer
  assert.throws(() => decls.at(0), /points outside the buffer/)
  u32[(slot + 8) >> 2] = at + 2 // misaligned
  assert.throws(() => decls.at(0), CorruptDocumentError)
  u32[(slot + 8) >> 2] = at
  assert.strictEqual(decls.at(0).end, 6)
})

test('visit: handlers by node type, :exit, skipping children, only as deep as needed', () => {
  const { raw, u32 } = load()
  const p = gen.readProgram(raw)
  const seen = []
  gen.visit(p, {
    Let(node) {
      seen.push(`Let ${node.name}`)
    },
    'Let:exit'(node) {
      seen.push(`/Let ${node.name}`)
    },
    Bin(node) {
      seen.push(`Bin ${node.op}`)
    },
    Num(node) {
      seen.push(`Num ${node.value}`)
    },
  })
  assert.deepStrictEqual(seen, ['Num NaN', 'Let x', 'Bin Mul', 'Num 6', 'Bin Sub', 'Num -0.5', '/Let x', 'Let ', '/Let ', 'Num 2.5'])
  // Returning false skips the children.
  const bins = []
  gen.visit(p, { Bin: (n) => (bins.push(n.op), false) })
  assert.deepStrictEqual(bins, ['Mul'])
  // Unknown node types are refused.
  assert.throws(() => gen.visit(p, { Nope() {} }), InvalidArgumentError)
  assert.ok(gen.NODE_TYPES.includes('Call'))

  // A subtree that cannot reach a handled type is not read: break the call's argument list
  // (its pointer now points past the buffer); a visitor of Let statements never reads it,
  // one of Num expressions does and stops with CorruptDocumentError.
  const args = pointerTo(u32, offsetOf(p.body.at(0).expr), 40, offsetOf(p.body.at(0).expr[1]))
  u32[args >> 2] = 0xfffffff0
  let lets = 0
  gen.visit(p, { Let: () => lets++, Empty() {} })
  assert.strictEqual(lets, 2)
  assert.throws(() => gen.visit(p, { Num() {} }), CorruptDocumentError)
})

/** Where a view is: its inspect label says (`Expr$Call <byte 1234>`). */
function offsetOf(view) {
  return Number(/<byte (\d+)>/.exec(util.inspect(view))[1])
}

/** The byte offset of the pointer inside the `size` bytes at `at` whose target is `target`. */
function pointerTo(u32, at, size, target) {
  for (let i = at >> 2; i < (at + size) >> 2; i += 2) if (u32[i] === target && u32[i + 1] !== 0) return i << 2
  throw new Error(`no pointer to ${target} in [${at}, ${at + size})`)
}

test('a block of another layout is refused with LayoutMismatchError', () => {
  const { raw, u32 } = load()
  u32[2] ^= 1
  assert.throws(() => gen.readProgram(raw), (e) => e instanceof gen.LayoutMismatchError && e instanceof reader.LayoutMismatchError && e.code === 'LayoutMismatch')
  assert.throws(() => gen.readProgram(raw), reader.RawTransferError)
})

test('a view kept past its block reuse throws StaleBufferError', () => {
  const { raw, u32 } = load()
  const p = gen.readProgram(raw)
  const body = p.body
  const stmt = body.at(1)
  u32[1] += 1 // the generation: the block was released and reused
  assert.throws(() => p.sourceName, StaleBufferError)
  assert.throws(() => body.length, StaleBufferError)
  assert.throws(() => stmt.name, StaleBufferError)
  assert.throws(() => p.toJS(), StaleBufferError)
  assert.throws(() => gen.visit(p, { Let() {} }), StaleBufferError)
  assert.throws(() => gen.readProgram({ raw, generation: u32[1] - 1 }), StaleBufferError)
})

test('a cycle written over the document ends in CorruptDocumentError', () => {
  const { raw, u32 } = load()
  const p = gen.readProgram(raw)
  // Point Bin(Sub)'s right operand at Bin(Mul), its ancestor.
  const mul = p.body.at(1).init
  const sub = mul.right
  u32[pointerTo(u32, offsetOf(sub), 40, offsetOf(sub.right)) >> 2] = offsetOf(mul)
  assert.throws(() => p.toJS(), CorruptDocumentError)
  assert.throws(() => gen.visit(p, { Num() {} }), CorruptDocumentError)
})

function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = seed
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Every getter of a view, to a depth (a lazy walk of a cyclic document would not end). */
function lazyWalk(x, depth) {
  if (depth === 0 || x === null || typeof x !== 'object') return
  if (typeof x[Symbol.iterator] === 'function' && typeof x.at === 'function') {
    let k = 0
    for (const e of x) {
      lazyWalk(e, depth - 1)
      if (++k > 64) break
    }
    return
  }
  let proto = Object.getPrototypeOf(x)
  for (const key of Object.getOwnPropertyNames(proto)) {
    const d = Object.getOwnPropertyDescriptor(proto, key)
    if (d.get) lazyWalk(x[key], depth - 1)
  }
}

test('hostile scribbles: typed errors or garbage values, never a crash, a hang or a foreign error', () => {
  const handlers = Object.fromEntries(gen.NODE_TYPES.map((t) => [t, () => {}]))
  const counts = { ok: 0, corrupt: 0 }
  for (let seed = 1; seed <= 400; seed++) {
    const { raw, u8, used } = load()
    const rnd = mulberry32(seed)
    const n = 1 + Math.floor(rnd() * 16)
    for (let k = 0; k < n; k++) {
      // Past the hand-off record (that one gives StaleBuffer/LayoutMismatch, tested above).
      const at = 16 + Math.floor(rnd() * (used - 16))
      const kind = rnd()
      if (kind < 0.3) u8[at] = Math.floor(rnd() * 256)
      else if (kind < 0.6) u8.fill(0xff, at, at + 4)
      else if (kind < 0.8) new DataView(u8.buffer).setUint32(at & ~3, Math.floor(rnd() * used) & ~7, true)
      else u8.fill(0, at, at + 8)
    }
    const t0 = Date.now()
    for (const step of [
      () => gen.readProgram(raw).toJS(),
      () => gen.visit(gen.readProgram(raw), handlers),
      () => lazyWalk(gen.readProgram(raw), 12),
    ]) {
      try {
        step()
        counts.ok++
      } catch (e) {
        if (!(e instanceof CorruptDocumentError)) throw new Error(`seed ${seed}: ${e.stack}`)
        counts.corrupt++
      }
    }
    assert.ok(Date.now() - t0 < 2000, `seed ${seed} took ${Date.now() - t0} ms`)
  }
  assert.ok(counts.corrupt > 0 && counts.ok > 0, JSON.stringify(counts))
})

/** The property cases (src/layout/tests/prop.rs): one block, a root each, serde_json's text each. */
function propCases() {
  const { raw, u32 } = load('prop.bin')
  const [head, ...lines] = fs.readFileSync(fixtureFile('prop.txt'), 'utf8').trimEnd().split('\n')
  const { seed, cases } = JSON.parse(head)
  assert.strictEqual(lines.length, cases)
  const docs = lines.map((line) => {
    const tab = line.indexOf('\t')
    return { root: Number(line.slice(0, tab)), json: line.slice(tab + 1) }
  })
  const replay = `reproduce: RAW_TRANSFER_PROP_SEED=${seed} cargo test --lib layout::tests::prop, then node --test __test__/layout.test.js`
  return { raw, u32, seed, docs, replay }
}

test('property: toJS() of random values of every field kind is what serde_json wrote for them', () => {
  const { raw, docs, seed, replay } = propCases()
  const handlers = {}
  let open = 0
  for (const t of gen.NODE_TYPES) {
    handlers[t] = () => void open++
    handlers[`${t}:exit`] = () => void open--
  }
  for (const [i, { root, json }] of docs.entries()) {
    const want = JSON.parse(json)
    for (const [m, name] of [
      [gen, 'max_depth 500'],
      [depth3(), 'max_depth 3'],
    ]) {
      const diff = difference(m.readProgram({ raw, root, generation: raw.generation }).toJS(), want)
      if (diff !== null) assert.fail(`case ${i} of seed ${seed} (root ${root}, ${name}): ${diff}\n${json}\n${replay}`)
    }
    gen.visit(gen.readProgram({ raw, root }), handlers)
    if (open !== 0) assert.fail(`case ${i} of seed ${seed}: enter and exit calls differ by ${open}\n${replay}`)
  }
})

test('f32s convert to the decimal serde_json (ryu) writes: powers of two, exact ties, subnormals, random bits', () => {
  const { raw } = load('floats.bin')
  const want = JSON.parse(fs.readFileSync(fixtureFile('floats.json'), 'utf8')).floats
  const got = gen.readProgram(raw).floats.toJS()
  assert.strictEqual(got.length, want.length)
  const f32 = new Float32Array(1)
  const u32 = new Uint32Array(f32.buffer)
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) {
      f32[0] = got[i]
      assert.fail(`f32 0x${u32[0].toString(16)}: toJS() gives ${got[i]}, serde_json ${want[i]}`)
    }
  }
})

test('many documents in one block: each read at its root, the layout checked against the block record', () => {
  const { raw, u32, docs } = propCases()
  const [a, b] = docs
  assert.notStrictEqual(a.root, b.root)
  // The block record names the first document (a job's block record does the same).
  assert.strictEqual(raw.dataOffset, a.root)
  assert.deepStrictEqual(gen.readProgram(raw).toJS(), JSON.parse(a.json))
  const one = gen.readProgram({ raw, root: a.root, generation: raw.generation })
  const two = gen.readProgram({ raw, root: b.root, generation: raw.generation })
  assert.deepStrictEqual(two.toJS(), JSON.parse(b.json))
  assert.deepStrictEqual(one.toJS(), JSON.parse(a.json))
  assert.deepStrictEqual(gen.readProgram({ raw, offset: b.root }).toJS(), JSON.parse(b.json))
  // A root that is no place for a Program: past the buffer, misaligned, not a number.
  for (const root of [raw.u8.length, b.root + 1, -8, 1.5, '16']) {
    assert.throws(() => gen.readProgram({ raw, root }), CorruptDocumentError, `root ${root}`)
  }
  // Another layout's block: refused at every root.
  u32[2] ^= 1
  for (const root of [a.root, b.root]) {
    assert.throws(() => gen.readProgram({ raw, root }), gen.LayoutMismatchError)
  }
  u32[2] ^= 1
  // release() of one document: its views (the root and any reached from it) are stale at
  // once, while its neighbour in the same block reads on; a view that is no root is refused.
  const gone = gen.readProgram({ raw, root: a.root, generation: raw.generation })
  const goneBody = gone.body
  gen.release(gone)
  assert.throws(() => gone.sourceName, StaleBufferError)
  assert.throws(() => goneBody.length, StaleBufferError)
  assert.throws(() => gone.toJS(), StaleBufferError)
  assert.throws(() => gen.visit(gone, { Program() {} }), StaleBufferError)
  assert.deepStrictEqual(two.toJS(), JSON.parse(b.json))
  assert.deepStrictEqual(one.toJS(), JSON.parse(a.json), 'another read of the same root is its own document')
  assert.throws(() => gen.release(two.body), InvalidArgumentError)
  gen.release(gone) // twice: nothing more
  // Every document of the block goes stale with it.
  u32[1] += 1
  assert.throws(() => one.sourceName, StaleBufferError)
  assert.throws(() => two.toJS(), StaleBufferError)
  assert.throws(() => gen.readProgram({ raw, root: b.root, generation: u32[1] - 1 }), StaleBufferError)
})

test('walks do not recurse: a document 100 000 pointers deep (boxes, slices, vectors) converts and visits', () => {
  const { raw } = load('deep.bin')
  const want = JSON.parse(fs.readFileSync(fixtureFile('deep.json'), 'utf8'))
  assert.strictEqual(difference(gen.readProgram(raw).toJS(), want), null)
  // A part of the document converts on its own (its own walk, from depth 0).
  const inner = gen.readProgram(raw).body.at(1).body.at(0)
  assert.strictEqual(difference(inner.toJS(), want.body[1].body[0]), null)

  // visit(): enter and exit in document order, as a recursive walk would call them.
  const N = 100_000
  const seen = []
  gen.visit(gen.readProgram(raw), {
    Bin: (n) => seen.push(`Bin ${n.right.value}`),
    'Bin:exit': (n) => seen.push(`/Bin ${n.right.value}`),
    Num: (n) => seen.push(`Num ${n.value}`),
    Ident: (n) => seen.push(`Ident ${n.value}`),
    Block: (n) => seen.push(`Block ${n.span.start}`),
    'Block:exit': (n) => seen.push(`/Block ${n.span.start}`),
    Empty: () => seen.push('Empty'),
    Call: () => seen.push('Call'),
    'Call:exit': () => seen.push('/Call'),
    Nothing: () => seen.push('Nothing'),
  })
  const expect = []
  // body[0]: let sum = a0 + 1 + 2 + … + (N - 1)
  for (let i = N - 1; i >= 1; i--) expect.push(`Bin ${i}`)
  expect.push('Ident a0')
  for (let i = 1; i < N; i++) expect.push(`Num ${i}`, `/Bin ${i}`)
  // body[1]: N blocks, the outermost last built
  for (let i = N - 1; i >= 0; i--) expect.push(`Block ${i}`)
  expect.push('Empty')
  for (let i = 0; i < N; i++) expect.push(`/Block ${i}`)
  // maybeExpr: f(f(f(…())))
  for (let i = 0; i < N; i++) expect.push('Call', 'Ident f')
  expect.push('Nothing')
  for (let i = 0; i < N; i++) expect.push('/Call')
  assert.strictEqual(seen.length, expect.length)
  for (let i = 0; i < expect.length; i++) if (seen[i] !== expect[i]) assert.fail(`event ${i}: ${seen[i]} !== ${expect[i]}`)
})

test('the ESM module exports the same', async () => {
  const esm = await import('./layout/generated/fixture.mjs')
  assert.strictEqual(esm.readProgram, gen.readProgram)
  assert.strictEqual(esm.default, gen)
})

test('cjs: the CommonJS module as .cjs, for a package of "type": "module"', async () => {
  const dir = path.dirname(fixtureFile('cjs/fixture.cjs'))
  assert.strictEqual(JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).type, 'module')
  const cjs = require(path.join(dir, 'fixture.cjs'))
  const esm = await import(require('node:url').pathToFileURL(path.join(dir, 'fixture.mjs')).href)
  assert.strictEqual(esm.default, cjs)
  assert.strictEqual(esm.readProgram, cjs.readProgram)
  const { raw } = load()
  assert.deepStrictEqual(esm.readProgram(raw).toJS(), expected())
})
