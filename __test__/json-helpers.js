'use strict'
// Order-, -0- and prototype-sensitive comparison of two JSON.parse-like values, and a
// seeded generator of random JSON text (with escapes, unicode and lone surrogates).

function sameJson(a, b, path = '$') {
  if (typeof a !== typeof b) return `${path}: type ${typeof a} vs ${typeof b}`
  if (a === null || b === null) return a === b ? null : `${path}: ${a} vs ${b}`
  if (typeof a === 'number') return Object.is(a, b) ? null : `${path}: ${a} vs ${b}`
  if (typeof a !== 'object') return a === b ? null : `${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`
  if (Array.isArray(a) !== Array.isArray(b)) return `${path}: array vs object`
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return `${path}: prototypes differ`
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  if (ka.length !== kb.length) return `${path}: ${ka.length} vs ${kb.length} keys`
  for (let i = 0; i < ka.length; i++) {
    if (ka[i] !== kb[i]) return `${path}: key #${i} ${ka[i]} vs ${kb[i]}`
    const d = sameJson(a[ka[i]], b[kb[i]], `${path}.${ka[i]}`)
    if (d) return d
  }
  return null
}

function rng(seed) {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return (s >>> 0) / 2 ** 32
  }
}

const PIECES = [
  'a',
  'Z',
  ' ',
  'é',
  'ß',
  '中',
  '😀',
  '\\n',
  '\\"',
  '\\\\',
  '\\/',
  '\\t',
  '\\u00e9',
  '\\u0000',
  '\\uD83D\\uDE00',
  '\\ud800',
  '\\udc00',
  '\\uDBFF',
  'x\\u0041y',
  '__proto__',
  'constructor',
]
const NUMBERS = [
  '0',
  '-0',
  '1',
  '-1',
  '0.5',
  '1e10',
  '1E-7',
  '-2.5e+3',
  '123456789012345678901234567890',
  '1e400',
  '-1e400',
  '5e-324',
  '1.7976931348623157e308',
  '0.1',
  '3.141592653589793',
  '9007199254740993',
]

function genString(r) {
  let s = ''
  const n = Math.floor(r() * 8)
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(r() * PIECES.length)]
  return `"${s}"`
}

function genValue(r, depth) {
  const x = r()
  if (depth > 6 || x < 0.5) {
    const y = r()
    if (y < 0.35) return genString(r)
    if (y < 0.7) return NUMBERS[Math.floor(r() * NUMBERS.length)]
    return ['true', 'false', 'null'][Math.floor(r() * 3)]
  }
  const n = Math.floor(r() * 6)
  const ws = () => [' ', '', '\n', '\t', '\r\n'][Math.floor(r() * 5)]
  const items = []
  if (x < 0.75) {
    for (let i = 0; i < n; i++) items.push(ws() + genValue(r, depth + 1) + ws())
    return `[${items.join(',')}]`
  }
  for (let i = 0; i < n; i++) {
    // Small key alphabet so duplicate keys are common.
    const key = r() < 0.3 ? '"__proto__"' : r() < 0.6 ? `"k${Math.floor(r() * 3)}"` : genString(r)
    items.push(`${ws()}${key}${ws()}:${ws()}${genValue(r, depth + 1)}`)
  }
  return `{${items.join(',')}}`
}

module.exports = { sameJson, rng, genValue }
