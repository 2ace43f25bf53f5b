'use strict'
// The plugin API over the generated visitor: handler order, :exit, skipping children,
// walking only as deep as the handlers need, several plugins in one walk.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const util = require('node:util')
const { AstPool, ast, reader } = require('..')
const { generate } = require('./source')

test('enter and exit in document order; Identifier covers expressions, declarations and params', () => {
  const pool = new AstPool()
  const p = pool.parse('let x = f(a, g(b));\nfunction h(y) { return -y; }')
  const seen = []
  pool.visit(p, {
    CallExpression: (n) => seen.push(`call ${n.callee.name}`),
    'CallExpression:exit': (n) => seen.push(`/call ${n.callee.name}`),
    Identifier: (n) => seen.push(n.name),
    UnaryExpression: (n) => seen.push(n.operator),
    'FunctionDeclaration:exit': (n) => seen.push(`/function ${n.id.name}`),
  })
  assert.deepEqual(seen, ['x', 'call f', 'f', 'a', 'call g', 'g', 'b', '/call g', '/call f', 'h', 'y', '-', 'y', '/function h'])

  // A handler returning false skips the node's children (its :exit still runs).
  const outside = []
  pool.visit(p, { CallExpression: () => false, Identifier: (n) => outside.push(n.name), 'CallExpression:exit': () => outside.push('/call') })
  assert.deepEqual(outside, ['x', '/call', 'h', 'y', 'y'])

  // Any node is a root of a walk; unknown node types are refused.
  const names = []
  pool.visit(p.body.at(1), { Identifier: (n) => names.push(n.name) })
  assert.deepEqual(names, ['h', 'y', 'y'])
  assert.throws(() => pool.visit(p, { Nope() {} }), reader.InvalidArgumentError)
  assert.ok(ast.NODE_TYPES.includes('ArrowFunctionExpression'))
  pool.release(p)
  pool.close()
})

test('plugins: several in one walk, create(context), the counts match a full toJS() walk', () => {
  const pool = new AstPool()
  const src = generate(50_000, 3)
  const p = pool.parse(src)
  const calls = []
  const counter = {
    create(context) {
      assert.equal(context.program, p)
      return { CallExpression: () => calls.push(1) }
    },
  }
  let strings = 0
  let skipped = 0
  pool.visit(p, [counter, { StringLiteral: () => strings++ }, { CallExpression: () => (skipped++, false) }])
  // Count the same on the plain objects.
  const count = (o, type) => {
    if (Array.isArray(o)) return o.reduce((n, x) => n + count(x, type), 0)
    if (o === null || typeof o !== 'object') return 0
    return (o.type === type ? 1 : 0) + Object.values(o).reduce((n, x) => n + count(x, type), 0)
  }
  const js = p.toJS()
  assert.equal(calls.length, count(js, 'CallExpression'))
  assert.equal(skipped, calls.length, 'a false from one plugin does not skip what another needs')
  assert.equal(strings, count(js, 'StringLiteral'))
  pool.release(p)
  pool.close()
})

/** Where a view is: its inspect label says (`Statement$FunctionDeclaration <byte 1234>`). */
const offsetOf = (view) => Number(/<byte (\d+)>/.exec(util.inspect(view))[1])

/** The byte offset of the pointer among `[at, at + size)` whose target is `target`. */
function pointerTo(u32, at, size, target) {
  for (let i = at >> 2; i < (at + size) >> 2; i += 2) if (u32[i] === target && u32[i + 1] !== 0) return i << 2
  throw new Error(`no pointer to ${target} in [${at}, ${at + size})`)
}

test('a subtree that holds no handled node type is not read', () => {
  const pool = new AstPool()
  const { id, raw, generation } = pool.parseRaw('function f(a, b) { g(a); }')
  const p = ast.readProgram({ raw, generation })
  // Point the function's parameter list past the buffer: a walk of calls never reads it
  // (a list of Identifiers holds no CallExpression), a walk of Identifiers does and stops.
  const fn = p.body.at(0)
  const params = pointerTo(raw.u32, offsetOf(fn), 64, offsetOf(fn.params))
  raw.u32[params >> 2] = 0xfffffff0
  let calls = 0
  pool.visit(p, { CallExpression: () => calls++ })
  assert.equal(calls, 1)
  assert.throws(() => pool.visit(p, { Identifier() {} }), reader.CorruptDocumentError)
  assert.throws(() => fn.params, reader.CorruptDocumentError)
  pool.release(id)
  pool.close()
})
