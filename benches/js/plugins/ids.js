'use strict'
// benches/js/files.js's plugin: read `id` of every record of a small document (an array of
// records), as a linter or extractor reads one field of everything.
module.exports = function ids(doc) {
  const list = doc.root
  let sum = 0
  for (let k = 0, n = list.length; k < n; k++) sum += list.at(k).get('id').value
  return sum
}
