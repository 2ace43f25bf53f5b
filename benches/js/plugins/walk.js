'use strict'
// benches/js/parallel.js's plugin: visit every value of a document through the lazy view
// (doc.root, entries() of objects, at(i) of arrays, .value of every scalar) and return a
// small summary. `plain` is the same walk over a JSON.parse result, for the comparison.

function walkLazy(doc) {
  const s = { nodes: 0, objects: 0, keys: 0, strings: 0, chars: 0, sum: 0 }
  const stack = [doc.root] // explicit stack: documents may nest deeper than recursion allows
  while (stack.length > 0) {
    const node = stack.pop()
    s.nodes++
    switch (node.type) {
      case 'object': {
        const entries = node.entries()
        s.objects++
        s.keys += entries.length
        for (let i = entries.length - 1; i >= 0; i--) stack.push(entries[i][1])
        break
      }
      case 'array':
        for (let i = node.length - 1; i >= 0; i--) stack.push(node.at(i))
        break
      case 'string':
        s.strings++
        s.chars += node.value.length
        break
      case 'number':
        s.sum += node.value
        break
      default:
        node.value // booleans and null: read too
    }
  }
  return s
}

function walkPlain(value) {
  const s = { nodes: 0, objects: 0, keys: 0, strings: 0, chars: 0, sum: 0 }
  const stack = [value]
  while (stack.length > 0) {
    const v = stack.pop()
    s.nodes++
    if (v === null || typeof v === 'boolean') continue
    if (typeof v === 'string') {
      s.strings++
      s.chars += v.length
    } else if (typeof v === 'number') {
      s.sum += v
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push(v[i])
    } else {
      const keys = Object.keys(v)
      s.objects++
      s.keys += keys.length
      for (let i = keys.length - 1; i >= 0; i--) stack.push(v[keys[i]])
    }
  }
  return s
}

module.exports = walkLazy
module.exports.plain = walkPlain
