'use strict'
// util.inspect of a node previews strings and keys from a bounded prefix of their bytes,
// however long they are.
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const util = require('node:util')
const { spawnSync } = require('node:child_process')
const { rt } = require('./helpers')

/** Call `fn` while recording how many bytes (or units) each string decode of the package asks for. */
function decodedDuring(fn) {
  const sizes = []
  const TypedArrayProto = Object.getPrototypeOf(Uint8Array.prototype)
  const saved = [
    [Buffer.prototype, 'utf8Slice'],
    [Buffer.prototype, 'latin1Slice'],
    [TextDecoder.prototype, 'decode'],
    [TypedArrayProto, 'subarray'],
  ].map(([obj, name]) => [obj, name, obj[name]])
  for (const [obj, name, orig] of saved) {
    obj[name] = function (...args) {
      if (name === 'decode') sizes.push(args[0]?.byteLength ?? 0)
      else sizes.push((args[1] ?? this.length) - (args[0] ?? 0))
      return orig.apply(this, args)
    }
  }
  try {
    return { result: fn(), max: Math.max(0, ...sizes) }
  } finally {
    for (const [obj, name, orig] of saved) obj[name] = orig
  }
}

test('inspect of a long string or key decodes a bounded prefix and shows its first 40 characters', () => {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  try {
    const n = 5_000_000
    const cases = [
      // [JSON text of the string, its JS value's first 40 characters]
      [`"${'abcdefghij'.repeat(n / 10)}"`, 'abcdefghij'.repeat(4)],
      [`"${'é€😀x'.repeat(n / 4)}"`, 'é€😀x'.repeat(8)], // 2-, 3- and 4-byte UTF-8 (😀 is two units)
      [`"\\ud800${'ab'.repeat(n / 2)}"`, `\ud800${'ab'.repeat(20)}`.slice(0, 40)], // a lone surrogate: stored as UTF-16
      [`"${'\\n'.repeat(n)}"`, '\n'.repeat(40)], // escapes: decoded into the block, not in the source
    ]
    for (const [json, first40] of cases) {
      const doc = pool.parseJson(`{"s":${json}}`)
      const node = doc.root.get('s')
      const { result, max } = decodedDuring(() => util.inspect(node))
      const span = node.span
      assert.equal(result, `JsonNode <string ${JSON.stringify(`${first40}…`)}, span ${span.start}..${span.end}>`)
      assert.ok(max <= 4 * 41 + 3, `decoded ${max} bytes for a preview`)
      doc.release()
    }
    // A long key: the object's summary previews its first 24 characters.
    const doc = pool.parseJson(`{"${'k'.repeat(n)}": 1, "b": 2}`)
    const { result, max } = decodedDuring(() => util.inspect(doc.root))
    assert.equal(result, `JsonNode <object, 2 entries: "${'k'.repeat(24)}…", "b", span 0..${n + 15}>`)
    assert.ok(max <= 4 * 25 + 3, `decoded ${max} bytes for a preview`)
    doc.release()
    // Short strings are shown whole, multi-byte characters included.
    for (const s of ['', 'a', 'é', '😀', 'x'.repeat(40), 'é'.repeat(40), '😀'.repeat(20)]) {
      const d = pool.parseJson(JSON.stringify(s))
      assert.equal(util.inspect(d.root), `JsonNode <string ${JSON.stringify(s)}, span 0..${Buffer.byteLength(JSON.stringify(s))}>`)
      d.release()
    }
  } finally {
    pool.close()
  }
})

test('inspect of a string longer than V8 can hold as one string previews it', () => {
  // 540 M characters: past V8's limit (2^29 - 24), so a whole decode throws ERR_STRING_TOO_LONG.
  const script = `
    const rt = require(${JSON.stringify(path.join(__dirname, '..'))})
    const util = require('node:util')
    const n = 540_000_000
    const bytes = Buffer.alloc(n + 2, 'a')
    bytes[0] = bytes[n + 1] = 0x22
    const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
    const doc = pool.parseJson(bytes)
    const t0 = performance.now()
    const s = util.inspect(doc.root)
    console.log(JSON.stringify({ s, ms: performance.now() - t0 }))
  `
  const res = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 120_000 })
  assert.equal(res.status, 0, res.stderr.slice(-2000))
  const { s, ms } = JSON.parse(res.stdout)
  assert.equal(s, `JsonNode <string "${'a'.repeat(40)}…", span 0..540000002>`)
  console.log(`inspect of a 540 M-character string: ${ms.toFixed(2)} ms`)
})
