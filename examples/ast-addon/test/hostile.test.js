'use strict'
// Documents written over from JS: typed errors or garbage values, never a crash, a read
// outside the buffer or an endless walk; views kept past release are stale.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { AstPool, ast, reader } = require('..')
const { generate } = require('./source')
const { walkProgram } = require('./walk')

const { CorruptDocumentError, StaleBufferError } = reader
const ALL = Object.fromEntries(ast.NODE_TYPES.flatMap((t) => [[t, () => {}], [`${t}:exit`, () => {}]]))

function xorshift(seed) {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return s >>> 0
  }
}

/** Run `fn`: fine if it returns or throws CorruptDocumentError; anything else fails. */
function typedOrGarbage(fn, what) {
  try {
    fn()
    return 'ok'
  } catch (e) {
    if (e instanceof CorruptDocumentError) return 'corrupt'
    assert.fail(`${what}: ${e?.constructor?.name}: ${e?.message}`)
  }
}

for (const transfer of ['external', 'copy']) {
  test(`${transfer}: scribbles over a document`, { timeout: 120_000 }, () => {
    const pool = new AstPool({ size: 1, transfer })
    const src = generate(8000, 11)
    const outcomes = { ok: 0, corrupt: 0 }
    for (let seed = 1; seed <= 300; seed++) {
      const rnd = xorshift(seed)
      const { id, raw, generation } = pool.parseRaw(src)
      const u32 = raw.u32
      const end = (raw.dataOffset + 32) >> 2 // the Program is the last allocation
      // Pointer words of the document: retargeting them makes cycles and shared subtrees.
      const ptrs = []
      for (let i = 0; i + 1 < end; i += 2) if (u32[i + 1] !== 0 && u32[i] < raw.dataOffset + 32) ptrs.push(i)
      for (let k = 1 + (rnd() % 8); k > 0; k--) {
        const i = rnd() % end
        switch (rnd() % 4) {
          case 0: // a random word
            u32[i] = rnd()
            break
          case 1: // a random byte (tags, bools, operators)
            raw.u8[(i << 2) + (rnd() % 4)] = rnd() & 0xff
            break
          case 2: // a pointer at another node's target (a cycle, or a shared subtree)
            if (ptrs.length > 1) u32[ptrs[rnd() % ptrs.length]] = u32[ptrs[rnd() % ptrs.length]]
            break
          default: // a length
            u32[i] = rnd() % 2 ? rnd() % 64 : 0xffffffff
        }
      }
      let program
      if (typedOrGarbage(() => (program = ast.readProgram({ raw, generation })), 'readProgram') === 'ok') {
        // toJS() and visit() bound their work by the buffer's size and a depth limit.
        outcomes[typedOrGarbage(() => program.toJS(), `seed ${seed}: toJS`)]++
        typedOrGarbage(() => ast.visit(program, ALL), `seed ${seed}: visit`)
        // A walk of the lazy view has no such bound: with a cycle written in, JS's own stack
        // overflow ends it (a RangeError, from the walk's own recursion).
        try {
          walkProgram(program)
        } catch (e) {
          if (!(e instanceof CorruptDocumentError || (e instanceof RangeError && /call stack/.test(e.message)))) throw e
        }
      }
      pool.release(id)
    }
    assert.ok(outcomes.corrupt > 0 && outcomes.ok > 0, JSON.stringify(outcomes))
    // The pool is fine: a fresh parse reads right.
    const p = pool.parse('x;')
    assert.deepEqual(p.toJS().body[0].expression.name, 'x')
    pool.release(p)
    pool.close()
  })
}

test('views kept past release() throw StaleBufferError, before and after the block is reused', () => {
  const pool = new AstPool({ size: 1 })
  const p = pool.parse('let a = [1, "s"]; f(a);')
  const decl = p.body.at(0)
  const list = decl.init.elements
  const iter = p.body[Symbol.iterator]()
  pool.release(p)
  for (const read of [() => p.body, () => decl.id, () => list.length, () => list.at(0), () => p.toJS(), () => ast.visit(p, ALL), () => iter.next()]) {
    assert.throws(read, StaleBufferError)
  }
  const q = pool.parse('b;')
  assert.throws(() => decl.init, StaleBufferError)
  assert.equal(q.body.at(0).expression.name, 'b')
  assert.throws(() => pool.release(p), reader.InvalidArgumentError)
  pool.release(q)
  pool.close()
})
