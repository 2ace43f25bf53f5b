// ESM: every CommonJS export is a named ESM export, for the package, for raw-transfer-reader
// and for raw-transfer/reader (which is raw-transfer-reader).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import * as ns from '../js/index.mjs'
import * as readerNs from 'raw-transfer-reader'
import * as mainReaderNs from 'raw-transfer/reader'
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

test("raw-transfer-reader's index.mjs names every export of the reader", () => {
  const cjs = require('raw-transfer-reader')
  assert.deepEqual(Object.keys(readerNs).filter((k) => k !== 'default').sort(), Object.keys(cjs).sort())
  assert.equal(readerNs.default, cjs)
})

test('raw-transfer/reader from ESM is raw-transfer-reader: the same names and the same objects', () => {
  assert.deepEqual(Object.keys(mainReaderNs).sort(), Object.keys(readerNs).sort())
  for (const k of Object.keys(readerNs)) assert.equal(mainReaderNs[k], readerNs[k], k)
  assert.equal(require('raw-transfer/reader'), require('raw-transfer-reader'))
})
