'use strict'
// What the package and raw-transfer/reader export is what their .d.ts files declare: no
// untyped export, no JSON name at the top level or anywhere in the reader, and the typed
// constant interfaces list exactly the generated constants.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const rt = require('..')
const reader = require('../js/reader')

const root = path.join(__dirname, '..')
const readerDts = fs.readFileSync(path.join(root, 'js/reader/index.d.ts'), 'utf8')
const mainDts = fs.readFileSync(path.join(root, 'index.d.ts'), 'utf8')

/** Names a .d.ts exports: its `export const|function|class|...` declarations and `export { ... } from` lists. */
function declared(dts) {
  const names = new Set()
  for (const m of dts.matchAll(/^export (?:declare )?(?:const|function|class|interface|type) (\w+)/gm)) names.add(m[1])
  for (const m of dts.matchAll(/^export \{([^}]*)\} from/gm)) {
    for (const n of m[1].split(',')) if (n.trim()) names.add(n.trim())
  }
  return names
}

/** The fields of `interface name` in a .d.ts. */
function fields(dts, name) {
  const body = new RegExp(`interface ${name} \\{([^}]*)\\}`).exec(dts)[1]
  return [...body.matchAll(/readonly (\w+):/g)].map((m) => m[1])
}

test('every export of raw-transfer and raw-transfer/reader is typed', () => {
  const typedReader = declared(readerDts)
  const typedMain = declared(mainDts)
  assert.deepEqual(Object.keys(reader).filter((k) => !typedReader.has(k)), [])
  assert.deepEqual(Object.keys(rt).filter((k) => !typedMain.has(k)), [])
})

test('JSON names: none at the top level, none in the reader', () => {
  assert.deepEqual(Object.keys(rt).filter((k) => k.startsWith('JSON_')), [])
  assert.deepEqual(Object.keys(reader).filter((k) => /^JSON|Json/.test(k)), [])
  assert.deepEqual(Object.keys(reader.constants).filter((k) => k.startsWith('JSON_')), [])
})

test('the typed constants are the generated ones', () => {
  assert.deepEqual(fields(readerDts, 'ReaderConstants').sort(), Object.keys(reader.constants).sort())
  assert.deepEqual([...fields(readerDts, 'ReaderConstants'), ...fields(mainDts, 'JsonLayoutConstants')].sort(), Object.keys(rt.constants).sort())
})

test('FixedSizeAllocatorPool is the former name of JsonPool: the same class', () => {
  assert.equal(rt.FixedSizeAllocatorPool, rt.JsonPool)
  assert.equal(rt.RawBuffer, reader.RawBuffer)
  assert.equal(rt.StaleBufferError, reader.StaleBufferError)
})

test('no module under js/ requires the package entry (the entry assembles js/, not the reverse)', () => {
  const files = fs.readdirSync(path.join(root, 'js'), { recursive: true }).filter((f) => f.endsWith('.js'))
  assert.ok(files.length > 20)
  for (const f of files) {
    const text = fs.readFileSync(path.join(root, 'js', f), 'utf8')
    for (const m of text.matchAll(/require\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const target = m[1].startsWith('.') ? path.resolve(path.dirname(path.join(root, 'js', f)), m[1]) : m[1]
      assert.ok(![root, path.join(root, 'index'), path.join(root, 'index.js'), 'raw-transfer'].includes(target), `js/${f} requires ${m[1]}`)
    }
  }
})
