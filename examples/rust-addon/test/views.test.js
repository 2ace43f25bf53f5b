'use strict'
// The reader generated from src/lib.rs's Table (generated/csv.js): lazy views, toJS(),
// visit(), the layout hash the block carries, and views kept past their block's release.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { CsvPool, binding, csv: layout, readTable, reader } = require('..')
const { csv, expected } = require('./helpers')

const { RAW_METADATA_OFFSET, META_PRODUCER0 } = reader.constants

test('lazy views: rows read on demand, as the Rust types lay them out', () => {
  const pool = new CsvPool({ size: 1 })
  const t = pool.parse(csv(7, 3))
  const { rows } = t.table
  assert.equal(t.table.type, 'Table')
  assert.equal(rows.length, 7)
  const want = expected(7, 3)
  assert.deepEqual([rows.at(0).name, rows.at(0).value, rows.at(0).line], [want[0].name, want[0].value, 1])
  assert.equal(rows.at(-1).name, want[6].name, 'at() counts from the end for a negative index')
  assert.equal(rows.at(7), undefined)
  assert.deepEqual([...rows].map((r) => r.line), [1, 2, 3, 4, 5, 6, 7])
  assert.deepEqual(layout.toJS(t.table), { rows: want })
  assert.deepEqual(JSON.parse(JSON.stringify(t.table)), { rows: want })
  pool.release(t.id)
  pool.close()
})

test('visit: the generated visitor calls a handler per Row', () => {
  const pool = new CsvPool({ size: 1 })
  const t = pool.parse(csv(12, 5))
  let sum = 0
  const order = []
  layout.visit(t.table, {
    Table: () => order.push('Table'),
    Row(row) {
      sum += row.value
    },
    'Table:exit': () => order.push('Table:exit'),
  })
  assert.equal(sum, expected(12, 5).reduce((s, r) => s + r.value, 0))
  assert.deepEqual(order, ['Table', 'Table:exit'])
  pool.release(t.id)
  pool.close()
})

test("the block carries the Table's layout hash; a block of another is refused", () => {
  const native = new binding.CsvPool(1)
  assert.equal(native.layoutHash, layout.LAYOUT_HASHES.Table)
  native.close()
  const pool = new CsvPool({ size: 1 })
  const t = pool.parse('a,1')
  const at = (RAW_METADATA_OFFSET >> 2) + META_PRODUCER0
  const saved = t.raw.u32[at]
  t.raw.u32[at] ^= 1 // as if another version of the Rust types had written it
  assert.throws(() => readTable(t.raw), (e) => e instanceof reader.LayoutMismatchError && e.code === 'LayoutMismatch')
  t.raw.u32[at] = saved
  assert.deepEqual(readTable(t.raw).rows.toJS(), [{ name: 'a', value: 1, line: 1 }])
  pool.release(t.id)
  pool.close()
})

for (const transfer of ['external', 'copy']) {
  test(`${transfer}: a view kept past its block's release and reuse throws StaleBufferError`, () => {
    const pool = new CsvPool({ size: 1, transfer })
    const t = pool.parse('a,1\nb,2')
    const kept = t.table
    const row = kept.rows.at(1)
    pool.release(t.id)
    const u = pool.parse('c,3') // the same block, handed off again
    assert.equal(u.id, t.id)
    assert.throws(() => kept.rows, reader.StaleBufferError)
    assert.throws(() => row.name, reader.StaleBufferError)
    assert.throws(() => readTable({ raw: t.raw, generation: t.generation }), reader.StaleBufferError)
    assert.deepEqual(u.table.rows.toJS(), [{ name: 'c', value: 3, line: 1 }])
    pool.release(u.id)
    pool.close()
  })
}
