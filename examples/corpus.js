'use strict'
// Deterministic JSON corpus for the demo: the same bytes on every run (seeded PRNG, text
// written by hand so that duplicate keys and "__proto__" keys survive).
//
//   const { generateCorpus } = require('./corpus')
//   const files = generateCorpus(dir, { totalBytes: 200e6, log: (msg) => ... })
//   // -> [{ path, kind, bytes }], written under dir/{api,config,geo,deep,invalid}/

const fs = require('node:fs')
const path = require('node:path')

/** sfc32: small, fast, good enough; seeded so every run writes the same bytes. */
function prng(seed) {
  let a = 0x9e3779b9
  let b = 0x243f6a88
  let c = 0xb7e15162
  let d = seed >>> 0
  const next = () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0
    const t = (a + b + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return (t >>> 0) / 4294967296
  }
  for (let i = 0; i < 15; i++) next()
  const r = {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    chance: (p) => next() < p,
    float: (lo, hi, digits) => (lo + next() * (hi - lo)).toFixed(digits),
  }
  return r
}

// JSON string *contents* (already escaped as they appear in the file).
const FIRST = ['Ana', 'José', 'Zoë', 'Łukasz', 'Søren', 'François', 'Ærin', 'Dmitrii', 'Дмитрий', 'Ελένη',
  '李雷', '山田太郎', 'محمد', 'Nguyễn Văn An', 'Chloé', 'Ren\\u00e9e', 'Bj\\u00f6rn', 'O\\u2019Brien', 'Kai', 'Priya']
const LAST = ['Smith', 'García', 'Müller', 'Kowalski', 'Øster', 'Ivanov', 'Παπαδόπουλος', '王', 'Sato', 'Haddad',
  'Tran', 'd\\u2019Arc', 'Nakamura', 'Fernández', 'Olsen']
const CITIES = ['Zürich', 'São Paulo', 'Kraków', 'Reykjavík', 'Москва', '東京', 'Montréal', 'Đà Nẵng', 'Cork', 'Lyon']
const TAGS = ['vip', 'beta', 'churn-risk', 'new', 'wholesale', 'emoji-\\ud83d\\ude00', 'caf\\u00e9', 'rocket-🚀', 'n/a']
const NOTES = [
  'Leave at the door\\nRing twice',
  'Customer said \\"fragile\\" twice',
  'Caf\\u00e9 order \\u2014 no sugar',
  'Tab\\tseparated\\tvalues',
  'Path C:\\\\orders\\\\2024',
  'Smile \\ud83d\\ude03 and wave \\ud83d\\udc4b',
  'Plain ASCII note with nothing special in it at all, just a longer sentence for realism.',
  'Ünïcödé everywhere: ñ, ß, ø, å, ç — and 漢字 too',
]
const STATUS = ['pending', 'paid', 'shipped', 'delivered', 'refunded', 'cancelled']
const SKUS = ['SKU-1001', 'SKU-2042', 'SKU-3300', 'SKU-4711', 'SKU-5150', 'SKU-6060']

/** A streaming JSON text writer: flushes to `fd` every ~1 MB. Values are JSON text. */
class Out {
  constructor(fd, pretty) {
    this.fd = fd
    this.pretty = pretty
    this.s = ''
    this.bytes = 0
    this.depth = 0
    this.first = true
    this.ind = ['']
  }
  nl() {
    if (!this.pretty) return
    let ind = this.ind[this.depth]
    if (ind === undefined) ind = this.ind[this.depth] = '  '.repeat(this.depth)
    this.s += '\n' + ind
  }
  sep() {
    if (!this.first) this.s += ','
    this.first = false
    this.nl()
  }
  open(c) {
    this.s += c
    this.depth++
    this.first = true
  }
  close(c) {
    this.depth--
    if (!this.first) this.nl()
    this.s += c
    this.first = false
    if (this.s.length > 1 << 20) this.flush()
  }
  key(k) {
    this.sep()
    this.s += this.pretty ? `"${k}": ` : `"${k}":`
  }
  kv(k, v) {
    this.key(k)
    this.s += v
  }
  item(v) {
    this.sep()
    this.s += v
  }
  /** Key then an opening bracket. */
  ko(k, c) {
    this.key(k)
    this.open(c)
  }
  io(c) {
    this.sep()
    this.open(c)
  }
  flush() {
    if (this.s.length === 0) return
    this.bytes += fs.writeSync(this.fd, this.s)
    this.s = ''
  }
  /** About how many bytes have been written (buffered text counted in UTF-16 units). */
  size() {
    return this.bytes + this.s.length
  }
}

const q = (s) => `"${s}"`

function user(o, r, id) {
  o.io('{')
  o.kv('id', String(id))
  o.kv('uuid', q(`${(id * 2654435761 >>> 0).toString(16).padStart(8, '0')}-${r.int(4096, 65535).toString(16)}-4a1b-9c2d-${r.int(1e11, 9e11).toString(16)}`))
  o.kv('name', q(`${r.pick(FIRST)} ${r.pick(LAST)}`))
  o.kv('email', q(`user${id}@example.com`))
  o.kv('active', r.chance(0.8) ? 'true' : 'false')
  o.kv('score', r.float(0, 100, 2))
  o.ko('tags', '[')
  for (let k = r.int(0, 4); k > 0; k--) o.item(q(r.pick(TAGS)))
  o.close(']')
  o.ko('address', '{')
  o.kv('street', q(`${r.int(1, 999)} ${r.pick(LAST)}stra\\u00dfe`))
  o.kv('city', q(r.pick(CITIES)))
  o.ko('geo', '{')
  o.kv('lat', r.float(-90, 90, 6))
  o.kv('lng', r.float(-180, 180, 6))
  o.close('}')
  o.close('}')
  o.ko('orders', '[')
  for (let k = r.int(0, 3); k > 0; k--) order(o, r, id * 100 + k, false)
  o.close(']')
  o.kv('bio', r.chance(0.3) ? 'null' : q(r.pick(NOTES)))
  o.close('}')
}

function order(o, r, id, withCustomer) {
  o.io('{')
  o.kv('id', String(id))
  o.kv('status', q(r.pick(STATUS)))
  o.kv('created', q(`2024-${String(r.int(1, 12)).padStart(2, '0')}-${String(r.int(1, 28)).padStart(2, '0')}T12:${String(r.int(0, 59)).padStart(2, '0')}:00Z`))
  if (withCustomer) {
    o.ko('customer', '{')
    o.kv('id', String(r.int(1, 1e6)))
    o.kv('name', q(`${r.pick(FIRST)} ${r.pick(LAST)}`))
    o.close('}')
  }
  o.ko('lines', '[')
  for (let k = r.int(1, 4); k > 0; k--) {
    o.io('{')
    o.kv('sku', q(r.pick(SKUS)))
    o.kv('qty', String(r.int(1, 9)))
    o.kv('price', r.float(0.5, 500, 2))
    o.close('}')
  }
  o.close(']')
  o.kv('total', r.float(1, 2000, 2))
  o.kv('note', r.chance(0.5) ? 'null' : q(r.pick(NOTES)))
  if (r.chance(0.0003)) o.kv('status', q('disputed')) // a rare duplicate, often in minified files
  o.close('}')
}

function apiFile(o, r, target, seq) {
  const orders = seq % 2 === 1
  o.open('{')
  o.kv('page', String(seq))
  o.kv('per_page', String(r.int(50, 500)))
  o.kv('generated_at', q('2024-06-01T00:00:00Z'))
  o.ko('data', '[')
  let id = seq * 100000
  while (o.size() < target) {
    for (let k = 0; k < 64; k++) orders ? order(o, r, ++id, true) : user(o, r, ++id)
  }
  o.close(']')
  o.ko('meta', '{')
  o.kv('next', q(`https://api.example.com/v1/${orders ? 'orders' : 'users'}?page=${seq + 1}&sort=id`))
  o.kv('request_id', q(`req-${seq}`))
  o.close('}')
  o.close('}')
}

function configFile(o, r, target, seq) {
  // Deliberate duplicate keys: a repeated key at the end of an object, and one spelled
  // with an escape ("na\u006De" is "name"), which only a byte-level check would miss.
  o.open('{')
  o.kv('name', q(`service-${seq}`))
  o.kv('version', q(`1.${seq}.0`))
  if (seq % 3 === 0) o.kv('na\\u006De', q(`service-${seq}-override`))
  if (seq % 4 === 0) {
    o.ko('__proto__', '{')
    o.kv('isAdmin', 'true')
    o.close('}')
  }
  let s = 0
  while (o.size() < target) {
    o.ko(`section_${s++}`, '{')
    o.kv('enabled', r.chance(0.5) ? 'true' : 'false')
    o.kv('host', q(`${r.pick(['db', 'cache', 'api', 'queue'])}.internal`))
    o.kv('port', String(r.int(1024, 65535)))
    o.kv('timeout_ms', String(r.int(100, 30000)))
    o.ko('retry', '{')
    o.kv('attempts', String(r.int(1, 9)))
    o.kv('backoff', r.float(1, 3, 2))
    o.close('}')
    o.ko('labels', '{')
    for (let k = r.int(1, 5); k > 0; k--) o.kv(`label_${k}`, q(r.pick(TAGS)))
    o.close('}')
    if (r.chance(0.05)) o.kv('host', q('override.internal')) // duplicate
    if (r.chance(0.03)) o.kv('timeout_ms', '0') // duplicate
    if (r.chance(0.02)) {
      o.ko('__proto__', '{')
      o.kv('polluted', 'true')
      o.close('}')
    }
    o.close('}')
  }
  if (seq % 5 === 0) o.kv('version', q(`2.${seq}.0`)) // duplicate at the top level
  o.close('}')
}

/** A JSON array of n [lng, lat] pairs: a random walk. */
function ring(r, n) {
  let lng = Number(r.float(-170, 170, 6))
  let lat = Number(r.float(-80, 80, 6))
  let s = '['
  for (let k = 0; k < n; k++) {
    lng += (r.next() - 0.5) * 0.01
    lat += (r.next() - 0.5) * 0.01
    s += (k ? ',[' : '[') + lng.toFixed(6) + ',' + lat.toFixed(6) + ']'
  }
  return s + ']'
}

function geoFile(o, r, target, seq) {
  o.open('{')
  o.kv('type', q('FeatureCollection'))
  o.kv('name', q(`region-${seq}`))
  o.ko('features', '[')
  let id = 0
  while (o.size() < target) {
    o.io('{')
    o.kv('type', q('Feature'))
    o.kv('id', String(++id))
    o.ko('properties', '{')
    o.kv('name', q(`${r.pick(CITIES)} district ${id}`))
    o.kv('population', String(r.int(100, 2e6)))
    o.kv('area_km2', r.float(0.1, 900, 3))
    o.close('}')
    o.ko('geometry', '{')
    if (r.chance(0.7)) {
      o.kv('type', q('Polygon'))
      o.ko('coordinates', '[')
      for (let k = r.int(1, 3); k > 0; k--) o.item(ring(r, r.int(50, 2000)))
      o.close(']')
    } else {
      o.kv('type', q('LineString'))
      o.kv('coordinates', ring(r, r.int(50, 2000)))
    }
    o.close('}')
    o.close('}')
  }
  o.close(']')
  o.close('}')
}

function deepFile(o, r, target, seq, depth) {
  // A chain `depth` containers deep (alternating objects and arrays), with siblings along
  // the way so that the tree has some width too.
  const closers = []
  o.open('{')
  closers.push('}')
  o.kv('id', String(seq))
  o.kv('kind', q('tree'))
  const per = Math.max(1, Math.floor(target / (depth / 10) / 16))
  for (let d = 1; d < depth; d++) {
    const obj = d % 2 === 0
    if (closers[closers.length - 1] === '}') {
      if (d % 10 === 0) for (let k = 0; k < per; k++) o.kv(`leaf_${k}`, String(d * 1000 + k))
      o.ko(d % 7 === 0 ? 'id' : 'child', obj ? '{' : '[')
    } else {
      if (d % 10 === 0) for (let k = 0; k < per; k++) o.item(r.float(0, 1, 4))
      o.io(obj ? '{' : '[')
    }
    closers.push(obj ? '}' : ']')
  }
  while (closers.length > 0) o.close(closers.pop())
}

function invalidFiles(dir, r) {
  const out = []
  const write = (name, text) => {
    const p = path.join(dir, name)
    fs.writeFileSync(p, text)
    out.push({ path: p, kind: 'invalid', bytes: Buffer.byteLength(text) })
  }
  // The error is on a line with non-ASCII text before it: columns count UTF-16 units.
  write('trailing-comma.json', '{\n  "名前": "山田",\n  "labels": ["é", "ü", "🚀",],\n  "timeout_ms": 500\n}\n')
  // An API response cut off mid-way (as a failed download would leave it).
  const tmp = path.join(dir, 'truncated.tmp')
  const fd = fs.openSync(tmp, 'w')
  const o = new Out(fd, true)
  apiFile(o, r, 64 * 1024, 0)
  o.flush()
  fs.closeSync(fd)
  const full = fs.readFileSync(tmp)
  fs.unlinkSync(tmp)
  const cut = full.indexOf('"email": "user', Math.floor(full.length * 0.6)) + 14
  write('truncated.json', full.subarray(0, cut))
  write('bad-escape.json', '{"path": "C:\\temp\\x41", "ok": true}\n')
  return out
}

/**
 * Write the corpus under `dir` (about `totalBytes`). Returns [{ path, kind, bytes }].
 * Deterministic: same options, same bytes.
 */
function generateCorpus(dir, { totalBytes = 200e6, seed = 20240601, log = () => {} } = {}) {
  const r = prng(seed)
  const plan = [
    // kind, share of the bytes, file count, (r, i) -> target size
    ['api', 0.42, 160],
    ['geo', 0.45, 60],
    ['config', 0.03, 80],
    ['deep', 0.1, 30],
  ]
  const files = []
  let written = 0
  for (const [kind, share, count] of plan) {
    fs.mkdirSync(path.join(dir, kind), { recursive: true })
    const avg = (totalBytes * share) / count
    for (let i = 0; i < count; i++) {
      // Sizes vary from a fifth to ~1.8x the average; geo gets one big file.
      let target = Math.round(avg * (0.2 + 1.6 * r.next()))
      if (kind === 'geo' && i === 0) target = Math.round(avg * 8)
      const name = `${kind}-${String(i).padStart(3, '0')}.json`
      const p = path.join(dir, kind, name)
      const fd = fs.openSync(p, 'w')
      const o = new Out(fd, kind === 'config' || (kind === 'api' && i % 4 === 0))
      if (kind === 'api') apiFile(o, r, target, i)
      else if (kind === 'geo') geoFile(o, r, target, i)
      else if (kind === 'config') configFile(o, r, target, i)
      else deepFile(o, r, target, i, i === 0 ? 4000 : r.int(100, 3000))
      o.s += '\n'
      o.flush()
      fs.closeSync(fd)
      files.push({ path: p, kind, bytes: o.bytes })
      written += o.bytes
      if (files.length % 50 === 0) log(`generated ${files.length} files, ${(written / 1e6).toFixed(0)} MB`)
    }
  }
  fs.mkdirSync(path.join(dir, 'invalid'), { recursive: true })
  files.push(...invalidFiles(path.join(dir, 'invalid'), r))
  return files
}

module.exports = { generateCorpus, prng }
