'use strict'
// What the package and raw-transfer-reader export is what their .d.ts files declare: no
// untyped export, no JSON name at the top level or anywhere in the reader, and the typed
// constant interfaces list exactly the generated constants. raw-transfer/reader is
// raw-transfer-reader, which stands alone: it requires nothing outside itself, and this
// package reaches it by its name only (so an installed raw-transfer uses the installed reader).
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const rt = require('..')
const reader = require('raw-transfer-reader')

const root = path.join(__dirname, '..')
const readerDir = path.join(root, 'npm', 'reader')
const readerDts = fs.readFileSync(path.join(readerDir, 'index.d.ts'), 'utf8')
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

test('every export of raw-transfer and raw-transfer-reader is typed', () => {
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
  assert.ok(files.length > 10)
  for (const f of files) {
    const text = fs.readFileSync(path.join(root, 'js', f), 'utf8')
    for (const m of text.matchAll(/require\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const target = m[1].startsWith('.') ? path.resolve(path.dirname(path.join(root, 'js', f)), m[1]) : m[1]
      assert.ok(![root, path.join(root, 'index'), path.join(root, 'index.js'), 'raw-transfer'].includes(target), `js/${f} requires ${m[1]}`)
    }
  }
})

/** The .js and .mjs files under `dir`, recursively. */
function jsFiles(dir) {
  return fs.readdirSync(dir, { recursive: true }).filter((f) => /\.m?js$/.test(f)).map((f) => path.join(dir, f))
}

/** [file, specifier] of every require(), import and export-from in `files` (comment lines skipped). */
function requires(files) {
  const out = []
  for (const file of files) {
    const code = fs.readFileSync(file, 'utf8').split('\n').filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l)).join('\n')
    for (const m of code.matchAll(/(?:require\(\s*|^(?:import|export)\b[^'"\n]*)['"]([^'"]+)['"]/gm)) out.push([file, m[1]])
  }
  return out
}

test('raw-transfer/reader is raw-transfer-reader (npm/reader, linked by the workspace)', () => {
  assert.equal(require('../reader'), reader)
  assert.equal(require('raw-transfer/reader'), reader)
  assert.equal(fs.realpathSync(path.dirname(require.resolve('raw-transfer-reader'))), fs.realpathSync(readerDir))
})

test('raw-transfer-reader requires nothing outside itself: its own files and node: builtins', () => {
  const found = requires(jsFiles(readerDir))
  assert.ok(found.length > 10)
  for (const [file, id] of found) {
    if (id.startsWith('node:')) continue
    const target = path.resolve(path.dirname(file), id)
    assert.ok(id.startsWith('./') && target.startsWith(readerDir + path.sep), `${path.relative(root, file)} requires ${id}`)
  }
})

test('this package reaches the reader by its name, never by a path into npm/reader', () => {
  const found = requires([...jsFiles(path.join(root, 'js')), path.join(root, 'index.js'), path.join(root, 'reader.js')])
  assert.ok(found.some(([, id]) => id.startsWith('raw-transfer-reader')))
  for (const [file, id] of found) {
    const target = id.startsWith('.') ? path.resolve(path.dirname(file), id) : id
    assert.ok(!target.startsWith(path.join(root, 'npm')) && !id.includes('npm/'), `${path.relative(root, file)} requires ${id}`)
  }
})

test('raw-transfer/reader/layout is raw-transfer-reader/layout (CommonJS and ESM), so a generated module whose reader is raw-transfer/reader loads', async () => {
  const viaPackage = require('raw-transfer/reader/layout')
  const layout = require('raw-transfer-reader/layout')
  assert.equal(viaPackage, layout)
  assert.equal(typeof viaPackage.defineLayout, 'function')
  const esm = await import('raw-transfer/reader/layout')
  const esmLayout = await import('raw-transfer-reader/layout')
  assert.equal(esm.default, esmLayout.default)
  assert.deepEqual(Object.keys(esm).sort(), Object.keys(esmLayout).sort())
})
