// ESM: every CommonJS export is a named ESM export, for the package and for ./reader.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import * as ns from '../js/index.mjs'
import * as readerNs from '../js/reader/index.mjs'
import { FixedSizeAllocatorPool } from '../js/index.mjs'

const require = createRequire(import.meta.url)

test('index.mjs names every CommonJS export', () => {
  const cjs = require('../index.js')
  assert.deepEqual(Object.keys(ns).filter((k) => k !== 'default').sort(), Object.keys(cjs).sort())
  assert.equal(ns.default, cjs)
  const pool = new FixedSizeAllocatorPool({ size: 1 })
  const doc = pool.parseJson('{"a":[1,2]}')
  assert.equal(doc.root.get('a').at(1).value, 2)
  doc.release()
  pool.close()
})

test('reader.mjs names every export of the reader', () => {
  const cjs = require('../js/reader/index.js')
  assert.deepEqual(Object.keys(readerNs).filter((k) => k !== 'default').sort(), Object.keys(cjs).sort())
})
