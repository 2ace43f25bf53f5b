'use strict'
// The demo's three plugins, each in two versions: over raw-transfer's lazy view of a
// document (JsonDocument / JsonNode), and over the plain objects JSON.parse returns.
//
// A plugin is { name, file(doc, path, info)?, object(...)?, result() }. `visitLazy` and
// `visitPlain` walk a document once, with an explicit stack (the corpus nests thousands
// of levels deep, past what recursion allows), and call every plugin's `object` hook for
// every object, then its `file` hook. Nothing is materialized: the lazy walk reads keys and
// spans from the block, and only the values a plugin asks for.

const SAMPLES = 5

/** Does this lazy node hold children? (Reads one u32 from the block.) */
const isContainer = (t) => t === 'object' || t === 'array'

/**
 * Walk every value of `doc` (a JsonDocument) in source order, calling
 * `plugin.object(entries, doc, path)` for every object, entries being
 * `[key, node, keySpan]` as JsonNode#entries() gives them (duplicates included).
 * Returns { objects, keys }.
 */
function visitLazy(doc, path, plugins) {
  const hooks = plugins.filter((p) => p.object)
  let objects = 0
  let keys = 0
  const stack = [doc.root]
  while (stack.length > 0) {
    const node = stack.pop()
    const type = node.type
    if (type === 'object') {
      const entries = node.entries()
      objects++
      keys += entries.length
      for (let h = 0; h < hooks.length; h++) hooks[h].object(entries, doc, path)
      for (let i = entries.length - 1; i >= 0; i--) {
        const child = entries[i][1]
        if (isContainer(child.type)) stack.push(child)
      }
    } else if (type === 'array') {
      // Index the elements one by one (no entries array needed).
      for (let i = node.length - 1; i >= 0; i--) {
        const child = node.at(i)
        if (isContainer(child.type)) stack.push(child)
      }
    }
  }
  const info = { objects, keys, maxDepth: doc.maxDepth }
  for (const p of plugins) if (p.file) p.file(doc, path, info)
  return info
}

/**
 * The same walk over a JSON.parse result: `plugin.object(obj, path)` for every object.
 * Also measures the nesting depth (0 for a scalar, 1 for [] or {}), as doc.maxDepth does.
 */
function visitPlain(value, path, plugins) {
  const hooks = plugins.filter((p) => p.object)
  let objects = 0
  let keys = 0
  let maxDepth = 0
  if (value !== null && typeof value === 'object') {
    const stack = [value]
    const depths = [1]
    while (stack.length > 0) {
      const v = stack.pop()
      const depth = depths.pop()
      if (depth > maxDepth) maxDepth = depth
      if (Array.isArray(v)) {
        for (let i = v.length - 1; i >= 0; i--) {
          const c = v[i]
          if (c !== null && typeof c === 'object') {
            stack.push(c)
            depths.push(depth + 1)
          }
        }
      } else {
        const ks = Object.keys(v)
        objects++
        keys += ks.length
        for (let h = 0; h < hooks.length; h++) hooks[h].object(v, path)
        for (let i = ks.length - 1; i >= 0; i--) {
          const c = v[ks[i]]
          if (c !== null && typeof c === 'object') {
            stack.push(c)
            depths.push(depth + 1)
          }
        }
      }
    }
  }
  const info = { objects, keys, maxDepth }
  for (const p of plugins) if (p.file) p.file(value, path, info)
  return info
}

/** A short, printable form of a sample value. */
function show(v) {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)
  if (Array.isArray(v)) return `<array of ${v.length}>`
  if (v !== null && typeof v === 'object') return `<object of ${Object.keys(v).length}>`
  return String(v)
}

// ---- (a) duplicate keys -----------------------------------------------------------

/** Lazy: every key seen twice in one object, with where both are (line:column). */
function duplicateKeys() {
  const found = []
  let objectsWithDuplicates = 0
  return {
    name: 'duplicate keys',
    object(entries, doc, path) {
      const n = entries.length
      if (n < 2) return
      let seen = null
      let hit = false
      for (let i = 0; i < n; i++) {
        const key = entries[i][0]
        // Small objects: compare pairwise; larger ones: a Map of key -> first index.
        let first = -1
        if (n <= 12) {
          for (let j = 0; j < i; j++) if (entries[j][0] === key) { first = j; break }
        } else {
          seen ??= new Map()
          const j = seen.get(key)
          if (j === undefined) seen.set(key, i)
          else first = j
        }
        if (first < 0) continue
        hit = true
        const at = doc.position(entries[i][2].start)
        const was = doc.position(entries[first][2].start)
        found.push({ path, key, line: at.line, column: at.column, firstLine: was.line, firstColumn: was.column, raw: doc.text(entries[i][2]) })
      }
      if (hit) objectsWithDuplicates++
    },
    result: () => ({ count: found.length, objects: objectsWithDuplicates, found }),
  }
}

/** Plain: JSON.parse keeps the last value of a repeated key, so there is nothing to see. */
function duplicateKeysPlain() {
  return { name: 'duplicate keys', result: () => ({ count: 0, objects: 0, found: [] }) }
}

// ---- (b) max depth ------------------------------------------------------------------

/** Both versions: depth per file (lazy: doc.maxDepth, read from the block; plain: walked). */
function maxDepth() {
  const perFile = new Map()
  let deepest = null
  return {
    name: 'max depth',
    file(_doc, path, info) {
      perFile.set(path, info.maxDepth)
      if (deepest === null || info.maxDepth > deepest.depth) deepest = { path, depth: info.maxDepth }
    },
    result: () => ({ perFile, deepest }),
  }
}

// ---- (c) key search -----------------------------------------------------------------

/** Lazy: occurrences of `key` in any object (duplicates counted), with a few sample values. */
function keySearch(key) {
  let count = 0
  const samples = []
  const types = {}
  return {
    name: `key search "${key}"`,
    object(entries, doc, path) {
      for (let i = 0; i < entries.length; i++) {
        if (entries[i][0] !== key) continue
        count++
        const node = entries[i][1]
        const t = node.type
        types[t] = (types[t] ?? 0) + 1
        if (samples.length < SAMPLES) {
          // Scalars are read as values; containers only described (no materializing).
          const v = isContainer(t) ? `<${t} of ${node.length}>` : show(node.value)
          const at = doc.position(entries[i][2].start)
          samples.push(`${v} (${path}:${at.line}:${at.column})`)
        }
      }
    },
    result: () => ({ key, count, types, samples }),
  }
}

function keySearchPlain(key) {
  let count = 0
  const samples = []
  const types = {}
  return {
    name: `key search "${key}"`,
    object(obj, path) {
      if (!Object.hasOwn(obj, key)) return
      count++
      const v = obj[key]
      const t = v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v
      types[t] = (types[t] ?? 0) + 1
      if (samples.length < SAMPLES) samples.push(`${show(v)} (${path})`)
    },
    result: () => ({ key, count, types, samples }),
  }
}

/** The three plugins over the lazy view, and over JSON.parse results. */
const lazyPlugins = (key) => [duplicateKeys(), maxDepth(), keySearch(key)]
const plainPlugins = (key) => [duplicateKeysPlain(), maxDepth(), keySearchPlain(key)]

module.exports = { visitLazy, visitPlain, lazyPlugins, plainPlugins, show }
