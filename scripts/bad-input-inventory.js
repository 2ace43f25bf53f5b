#!/usr/bin/env node
// Prints the README's bad-input inventory: every bad input we know of, and the error the user gets.
'use strict'
const rt = require('..')
const rows = []
const tryIt = (what, fn) => {
  try { fn(); rows.push([what, '(no error)', '']) } catch (e) { rows.push([what, e.constructor.name, e.message.replace(/\|/g, '\\|').replace(/\n/g, ' ')]) }
}
const p = new rt.FixedSizeAllocatorPool({ size: 1 })
tryIt('pool size 0', () => new rt.FixedSizeAllocatorPool({ size: 0 }))
tryIt("transfer: 'zero'", () => new rt.FixedSizeAllocatorPool({ transfer: 'zero' }))
tryIt('acquireTimeoutMs: -1', () => new rt.FixedSizeAllocatorPool({ acquireTimeoutMs: -1 }))
tryIt('retainBytes: 2**40', () => new rt.FixedSizeAllocatorPool({ retainBytes: 2 ** 40 }))
const b = p.acquire()
tryIt('acquire() on an exhausted pool (timeout 0)', () => p.acquire())
const p2 = new rt.FixedSizeAllocatorPool({ size: 1, acquireTimeoutMs: 50 }); const b2 = p2.acquire()
tryIt('acquire() on an exhausted pool (acquireTimeoutMs: 50)', () => p2.acquire())
tryIt('writeBytes of ACTIVE_SIZE + 1 bytes', () => b.writeBytes(new Uint8Array(rt.ACTIVE_SIZE + 1)))
tryIt('writeBytes(string)', () => b.writeBytes('abc'))
tryIt('writeString(42)', () => b.writeString(42))
tryIt('setDataOffset past the written bytes', () => b.setDataOffset(1 << 20))
tryIt('setDataOffset(-1)', () => b.setDataOffset(-1))
tryIt('copyToBuffer past the written bytes', () => b.copyToBuffer(0, 1 << 20))
b.release()
tryIt('writeString after release()', () => b.writeString('x'))
tryIt('new RawBuffer(foreign Uint8Array)', () => new rt.RawBuffer(new Uint8Array(100)))
tryIt('new RawBuffer(subarray of a block buffer)', () => { const x = p.acquire(); try { new rt.RawBuffer(x.buffer.subarray(8)) } finally { x.release() } })
const c = new rt.BufferCache()
tryIt('BufferCache.receive(id, null) for an unknown id', () => c.receive(5, null))
tryIt('BufferCache.receive(0, …)', () => c.receive(0, null))
tryIt("raw.str(ptr, len) outside the buffer", () => { const x = p.acquire(); try { x.raw.str(rt.BUFFER_SIZE - 2, 10) } finally { x.release() } })
tryIt('view kept across reuse: raw.assertGeneration(old)', () => { const x = p.acquire(); const g = x.generation; x.release(); const y = p.acquire(); try { y.raw.assertGeneration(g) } finally { y.release() } })
tryIt("parseJson('{\"a\":1,}')", () => p.parseJson('{"a":1,}'))
tryIt("parseJson('')", () => p.parseJson(''))
tryIt("parseJson('[1,2')", () => p.parseJson('[1,2'))
tryIt("parseJson('\\ufeff{}') (BOM)", () => p.parseJson('\ufeff{}'))
tryIt('parseJson(invalid UTF-8 bytes)', () => p.parseJson(Uint8Array.from([0x22, 0xff, 0x22])))
tryIt("parseJson('\"\\x\"')", () => p.parseJson('"\\x"'))
tryIt('parseJson(42)', () => p.parseJson(42))
tryIt('document used after release()', () => { const d = p.parseJson('[1]'); d.release(); d.toJS() })
tryIt('doc.text(span outside the source)', () => { const d = p.parseJson('[1]'); try { d.text({ start: 0, end: 99 }) } finally { d.release() } })
tryIt('pool options null', () => new rt.FixedSizeAllocatorPool(null))
tryIt('acquireTimeoutMs: 1e22', () => new rt.FixedSizeAllocatorPool({ acquireTimeoutMs: 1e22 }))
tryIt("node.at(0.5), at(NaN), at('1')", () => { const d = p.parseJson('[1]'); try { d.root.at(0.5) } finally { d.release() } })
tryIt('node.get(5)', () => { const d = p.parseJson('{}'); try { d.root.get(5) } finally { d.release() } })
tryIt('copyToBuffer(2**32, 5)', () => { const x = p.acquire(); try { x.copyToBuffer(2 ** 32, 5) } finally { x.release() } })
tryIt('toJS() of a document whose nodes JS made a cycle', () => {
  const d = p.parseJson('[[1]]')
  try {
    const u32 = d.raw.u32
    const base = u32[(d.raw.dataOffset + rt.constants.JSON_DOC_ROOT + rt.constants.JSON_NODE_PAYLOAD) >> 2]
    u32[(base + rt.constants.JSON_NODE_PAYLOAD) >> 2] = base
    d.toJS()
  } finally {
    d.release()
  }
})
tryIt('parseJson on a closed pool', () => { p.close(); p.parseJson('1') })
tryIt('acquire() on a closed pool', () => p.acquire())
console.log('| input | error class | message |\n|---|---|---|')
for (const r of rows) console.log(`| ${r[0]} | ${r[1]} | ${r[2]} |`)
b2.release(); p2.close()
