'use strict'
// benches/js/parallel.js's selective plugin: read a few fields of every record (what most
// linters and extractors do), leaving the rest of the document unread. `plain`: the same
// over a JSON.parse result.

function selectLazy(doc) {
  const s = { nodes: 0, objects: 0, keys: 0, strings: 0, chars: 0, sum: 0 }
  const data = doc.root.get('data')
  for (let i = 0, n = data.length; i < n; i++) {
    const rec = data.at(i)
    s.nodes++
    s.sum += rec.get('id').value + rec.get('orders').length
    s.chars += rec.get('address').get('city').value.length
  }
  return s
}

function selectPlain(value) {
  const s = { nodes: 0, objects: 0, keys: 0, strings: 0, chars: 0, sum: 0 }
  for (const rec of value.data) {
    s.nodes++
    s.sum += rec.id + rec.orders.length
    s.chars += rec.address.city.length
  }
  return s
}

module.exports = selectLazy
module.exports.plain = selectPlain
