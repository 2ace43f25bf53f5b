'use strict'
// parse(): the generated lazy view and toJS() against serde_json of the same Rust value, the
// napi-rs objects, and hand-written expected trees; errors; the layout hash.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { AstPool, AstSyntaxError, ast, reader } = require('..')
const { generate } = require('./source')
const { walkProgram } = require('./walk')

const span = (start, end) => ({ start, end })
const ident = (name, start) => ({ type: 'Identifier', name, span: span(start, start + name.length) })

test('a small program reads as its hand-written AST', () => {
  const pool = new AstPool()
  const src = 'let a = -1 + 2 * f(x)[0].y;\nif (!a) return "s\\n"; else { g([true], (p) => p); }'
  const p = pool.parse(src)
  const call = { type: 'CallExpression', callee: ident('f', 17), arguments: [ident('x', 19)], span: span(17, 21) }
  const index = { type: 'MemberExpression', object: call, property: { type: 'NumericLiteral', value: 0, span: span(22, 23) }, computed: true, span: span(17, 24) }
  const member = { type: 'MemberExpression', object: index, property: ident('y', 25), computed: false, span: span(17, 26) }
  const expected = {
    body: [
      {
        type: 'VariableDeclaration',
        kind: 'let',
        id: { name: 'a', span: span(4, 5) },
        init: {
          type: 'BinaryExpression',
          operator: '+',
          left: { type: 'UnaryExpression', operator: '-', argument: { type: 'NumericLiteral', value: 1, span: span(9, 10) }, span: span(8, 10) },
          right: { type: 'BinaryExpression', operator: '*', left: { type: 'NumericLiteral', value: 2, span: span(13, 14) }, right: member, span: span(13, 26) },
          span: span(8, 26),
        },
        span: span(0, 27),
      },
      {
        type: 'IfStatement',
        test: { type: 'UnaryExpression', operator: '!', argument: ident('a', 33), span: span(32, 34) },
        consequent: { type: 'ReturnStatement', argument: { type: 'StringLiteral', value: 's\n', span: span(43, 48) }, span: span(36, 49) },
        alternate: {
          type: 'BlockStatement',
          body: [
            {
              type: 'ExpressionStatement',
              expression: {
                type: 'CallExpression',
                callee: ident('g', 57),
                arguments: [
                  { type: 'ArrayExpression', elements: [{ type: 'BooleanLiteral', value: true, span: span(60, 64) }], span: span(59, 65) },
                  { type: 'ArrowFunctionExpression', params: [{ name: 'p', span: span(68, 69) }], body: ident('p', 74), expression: true, span: span(67, 75) },
                ],
                span: span(57, 76),
              },
              span: span(57, 77),
            },
          ],
          span: span(55, 79),
        },
        span: span(28, 79),
      },
    ],
    span: span(0, src.length),
  }
  assert.deepEqual(p.toJS(), expected)
  assert.deepEqual(JSON.parse(pool.parseToJson(src)), expected)
  // The lazy view: enums as `type` plus the variant's fields, lists, strings, Options.
  assert.ok(p instanceof ast.Program)
  assert.equal(p.body.length, 2)
  const [decl, ifs] = p.body
  assert.equal(decl.kind, 'let')
  assert.equal(decl.id.name, 'a')
  assert.equal(decl.init.right.right.object.object.callee.name, 'f')
  assert.equal(decl.init.right.right.property.name, 'y')
  assert.equal(ifs.consequent.argument.value, 's\n')
  assert.equal(ifs.alternate.body.at(0).expression.arguments.at(1).body.value.name, 'p')
  assert.equal(p.body.at(-1).type, 'IfStatement')
  assert.equal(p.body.at(2), undefined)
  assert.deepEqual(ifs.span.toJS(), span(28, 79))
  pool.close()
})

test('generated sources: toJS() is what serde_json writes, and napi-rs objects are the same', () => {
  const pool = new AstPool()
  for (let seed = 1; seed <= 12; seed++) {
    const src = generate(2000 + seed * 500, seed)
    const p = pool.parse(src)
    const json = JSON.parse(pool.parseToJson(src))
    assert.deepEqual(p.toJS(), json)
    assert.deepEqual(JSON.parse(JSON.stringify(p)), json)
    assert.deepEqual(pool.parseToObjects(src), json)
    // The one walk reads the same from the lazy view and from the plain objects.
    assert.deepEqual(walkProgram(p), walkProgram(json))
    assert.deepEqual(ast.toJS(p.body.at(0)), json.body[0])
    pool.release(p)
  }
  assert.equal(pool.checkedOut, 0)
  pool.close()
})

test("toJS()'s cache of short strings: no name outlives its walk, nested walks keep their own", () => {
  // The parser stores each name of up to 8 bytes once and points every occurrence at it;
  // toJS() decodes each such name once per call. A document parsed into the same block
  // afterwards puts other names at the same offsets: toJS() must read them anew.
  const pool = new AstPool({ size: 1 })
  const names = (prog) => prog.body.map((s) => s.expression.name)
  const a = pool.parse('foo; foo; ab; foo; ab;')
  assert.deepEqual(names(a.toJS()), ['foo', 'foo', 'ab', 'foo', 'ab'])
  pool.release(a)
  const b = pool.parse('bar; bar; cd; bar; cd;')
  assert.deepEqual(names(b.toJS()), ['bar', 'bar', 'cd', 'bar', 'cd'])
  // Nested walks: inside a visit of this document, a toJS() of one of its nodes and a toJS()
  // of another document (whose names sit at the same offsets of another block).
  const pool2 = new AstPool({ size: 1 })
  const c = pool2.parse('xy; xy; zz;')
  const seen = []
  ast.visit(b, {
    Identifier: (node) => {
      seen.push(node.name, ast.toJS(node).name, names(c.toJS()).join(','))
    },
  })
  assert.deepEqual(seen.slice(0, 3), ['bar', 'bar', 'xy,xy,zz'])
  assert.deepEqual(seen.slice(6, 9), ['cd', 'cd', 'xy,xy,zz'])
  assert.deepEqual(names(b.toJS()), ['bar', 'bar', 'cd', 'bar', 'cd'])
  // Names longer than 8 bytes (not shared) read as before.
  pool2.release(c)
  const d = pool2.parse('x; longerName; longerName; x;')
  assert.deepEqual(names(d.toJS()), ['x', 'longerName', 'longerName', 'x'])
  pool.release(b)
  pool2.release(d)
  pool.close()
  pool2.close()
})

test('a chain of binary operators as deep as its length: parse() takes it, the recursive baselines refuse it past 4096 levels (also in a worker)', async () => {
  // `a + a + ... + a` nests each operator's left operand one level deeper, so the parser's
  // nesting limit does not bound it; serde_json and napi-rs's to_js_value recurse per level
  // and overflowed the native stack past about 20 000 levels in a worker (a SIGSEGV).
  const chain = (n, op) => `a${`${op}a`.repeat(n)};`
  const { Worker } = require('node:worker_threads')
  const probe = `
    const { parentPort, workerData } = require('node:worker_threads')
    const { AstPool } = require(${JSON.stringify(require.resolve('..'))})
    const pool = new AstPool({ size: 1 })
    const out = []
    for (const [n, op] of workerData) {
      const src = 'a' + (op + 'a').repeat(n) + ';'
      for (const f of ['parseToJson', 'parseToObjects']) {
        try {
          const r = pool[f](src)
          out.push(typeof r === 'string' ? JSON.parse(r).body.length : r.body.length)
        } catch (e) {
          out.push(e.name + ' ' + e.code)
        }
      }
    }
    parentPort.postMessage(out)`
  const cases = [[4094, '+'], [4095, '||'], [50000, '*'], [200000, '&&']]
  const expected = [1, 1, ...Array(6).fill('InvalidArgumentError InvalidArgument')]
  const pool = new AstPool({ size: 1 })
  const got = []
  for (const [n, op] of cases) {
    for (const f of ['parseToJson', 'parseToObjects']) {
      try {
        const r = pool[f](chain(n, op))
        got.push(typeof r === 'string' ? JSON.parse(r).body.length : r.body.length)
      } catch (e) {
        got.push(`${e.name} ${e.code}`)
        assert.match(e.message, /levels deep: parseToJson and parseToObjects convert at most 4096/)
      }
    }
  }
  assert.deepEqual(got, expected)
  // parse() and the generated reader take the deepest: the visitor walks it without recursion.
  const p = pool.parse(chain(200000, '+'))
  let binaries = 0
  pool.visit(p, { BinaryExpression: () => void binaries++ })
  assert.equal(binaries, 200000)
  pool.release(p)
  pool.close()
  const inWorker = await new Promise((resolve, reject) => {
    const w = new Worker(probe, { eval: true, workerData: cases })
    w.once('message', resolve)
    w.once('error', reject)
    w.once('exit', (code) => code !== 0 && reject(new Error(`the worker exited with ${code}`)))
  })
  assert.deepEqual(inWorker, expected)
})

test('syntax errors are AstSyntaxError with a position; nesting is bounded', () => {
  const pool = new AstPool({ size: 1 })
  assert.throws(() => pool.parse('let x = 1;\nfoo(;'), (e) => {
    assert.ok(e instanceof AstSyntaxError && e instanceof reader.RawTransferError)
    assert.equal(e.code, 'AstSyntax')
    assert.deepEqual([e.offset, e.line, e.column], [15, 2, 5])
    assert.match(e.message, /expected an expression, found ';'/)
    return true
  })
  assert.throws(() => pool.parse(`${'['.repeat(5000)}${']'.repeat(5000)};`), /nested more than 256 deep/)
  assert.throws(() => pool.parse('"unterminated'), AstSyntaxError)
  assert.throws(() => pool.parseToJson('1 +;'), AstSyntaxError)
  // A failed parse gives the block back: the pool of one block still parses.
  const p = pool.parse('ok;')
  assert.throws(() => pool.parse('x;'), reader.PoolExhaustedError)
  pool.release(p)
  pool.close()
})

test('the blocks carry the layout hash the reader was generated for', () => {
  const pool = new AstPool()
  assert.equal(pool.layoutHash, ast.LAYOUT_HASHES.Program)
  const { id, raw, generation } = pool.parseRaw('x;')
  const meta = (reader.RAW_METADATA_OFFSET >> 2) + reader.constants.META_PRODUCER0
  assert.equal(raw.u32[meta], parseInt(ast.LAYOUT_HASHES.Program.slice(8), 16))
  assert.equal(ast.readProgram({ raw, generation }).body.length, 1)
  // Another layout (or another version of these types) is refused.
  raw.u32[meta] ^= 1
  assert.throws(() => ast.readProgram({ raw, generation }), (e) => e instanceof ast.LayoutMismatchError && e.code === 'LayoutMismatch')
  raw.u32[meta] ^= 1
  pool.release(id)
  pool.close()
})

test('the source string: UTF-8 offsets, lone surrogates replaced, a non-string refused', () => {
  const pool = new AstPool()
  // Spans are byte offsets into the UTF-8 text: 'é' and '→' take 2 and 3 bytes.
  const src = "let s = 'é→';\nf(s);"
  const p = pool.parse(src)
  const decl = p.body.at(0)
  assert.equal(decl.init.value, 'é→')
  assert.deepEqual(decl.init.span.toJS(), span(8, 15))
  assert.deepEqual(p.span.toJS(), span(0, Buffer.byteLength(src)))
  assert.deepEqual(JSON.parse(pool.parseToJson(src)), p.toJS())
  pool.release(p)
  // A lone surrogate becomes U+FFFD (3 bytes), as any UTF-8 conversion of the string does.
  const lone = pool.parse("let t = 'a\ud800b';")
  assert.equal(lone.body.at(0).init.value, 'a\ufffdb')
  assert.deepEqual(lone.body.at(0).init.span.toJS(), span(8, 15))
  pool.release(lone)
  // Big and non-ASCII: the conversion's buffer is sized from the UTF-16 length.
  const big = `let u = '${'ж'.repeat(300000)}';`
  const b = pool.parse(big)
  assert.equal(b.body.at(0).init.value.length, 300000)
  assert.equal(b.span.toJS().end, Buffer.byteLength(big))
  pool.release(b)
  // Past 16 Mi UTF-16 units the runtime writes the UTF-8 itself (no UTF-16 copy beside it):
  // the same result, lone surrogates replaced the same way.
  const stmt = "let t = 'é\ud800→\udc00😀';\n"
  for (const n of [1, Math.ceil((16 << 20) / stmt.length) + 1]) {
    const text = stmt.repeat(n)
    const q = pool.parse(text)
    assert.equal(q.body.length, n)
    assert.equal(q.body.at(n - 1).init.value, 'é\ufffd→\ufffd😀')
    assert.equal(q.span.toJS().end, Buffer.byteLength(text))
    pool.release(q)
  }
  for (const bad of [undefined, null, 42, {}, Buffer.from('let a;')]) {
    assert.throws(() => pool.parse(bad), reader.InvalidArgumentError, String(bad))
    assert.throws(() => pool.parseToJson(bad), reader.InvalidArgumentError, String(bad))
  }
  assert.equal(pool.checkedOut, 0)
  pool.close()
})
