'use strict'
// Deterministic sources of the example language (tests and bench.js): every statement and
// expression kind, strings with escapes and non-ASCII, nesting kept shallow.

const NAMES = ['a', 'b', 'foo', 'bar', 'value', 'items', 'x1', 'result', 'ctx', 'node', '_tmp', '$el', 'console', 'log']
const STRINGS = ["'hello'", '"world"', "'it\\'s'", '"tab\\tand\\nline"', "'héllo wörld'", '"→ arrow"', "''", '"a longer string literal than sixteen bytes"']
const BIN = ['||', '&&', '==', '!=', '<', '<=', '>', '>=', '+', '-', '*', '/', '%']

/** A source of about `bytes` bytes (at least one statement), the same for the same seed. */
function generate(bytes, seed = 1) {
  let s = seed >>> 0 || 1
  const rnd = (n) => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return (s >>> 0) % n
  }
  const id = () => NAMES[rnd(NAMES.length)]
  const list = (n, f) => Array.from({ length: n }, f).join(', ')
  const params = () => list(rnd(4), id)
  function expr(d) {
    switch (d <= 0 ? rnd(5) : rnd(16)) {
      case 0:
      case 1:
        return id()
      case 2:
        return rnd(4) === 0 ? `${rnd(1000)}.${rnd(100)}` : String(rnd(100000))
      case 3:
        return STRINGS[rnd(STRINGS.length)]
      case 4:
        return rnd(2) ? 'true' : 'false'
      case 5:
        return `[${list(rnd(4), () => expr(d - 1))}]`
      case 6:
        return `${['-', '+', '!'][rnd(3)]}${expr(d - 1)}`
      case 7:
      case 8:
      case 9:
        return `${expr(d - 1)} ${BIN[rnd(BIN.length)]} ${expr(d - 1)}`
      case 10:
        return `(${expr(d - 1)})`
      case 11:
      case 12:
        return `${id()}(${list(rnd(4), () => expr(d - 1))})`
      case 13:
        return rnd(2) ? `${id()}.${id()}.${id()}` : `${id()}[${expr(d - 1)}]`
      case 14:
        return `function ${rnd(2) ? id() : ''}(${params()}) { return ${expr(d - 1)}; }`
      default:
        return rnd(2) ? `(${params()}) => ${expr(d - 1)}` : `${id()} => { return ${expr(d - 1)}; }`
    }
  }
  function stmt(d) {
    switch (d <= 0 ? rnd(4) : rnd(10)) {
      case 0:
        return `let ${id()} = ${expr(3)};`
      case 1:
        return `const ${id()} = ${expr(3)};`
      case 2:
        return `${id()}.${id()}(${list(rnd(4), () => expr(2))});`
      case 3:
        return rnd(4) ? `return ${expr(2)};` : 'return;'
      case 4:
      case 5:
        return `if (${expr(2)}) ${stmt(d - 1)}${rnd(2) ? ` else ${stmt(d - 1)}` : ''}`
      case 6:
      case 7:
        return `function ${id()}(${params()}) {\n  ${Array.from({ length: 1 + rnd(4) }, () => stmt(d - 1)).join('\n  ')}\n}`
      case 8:
        return `{ ${stmt(d - 1)} ${stmt(d - 1)} }`
      default: {
        // As in JS, a statement that starts with `function` is a declaration.
        const e = expr(3)
        return `${e.startsWith('function') ? `(${e})` : e};`
      }
    }
  }
  const out = []
  let n = 0
  do {
    const t = rnd(8) === 0 ? `${stmt(2)} // a comment` : stmt(2)
    out.push(t)
    n += Buffer.byteLength(t) + 1
  } while (n < bytes)
  return out.join('\n')
}

module.exports = { generate }
