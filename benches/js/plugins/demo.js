'use strict'
// benches/js/parallel.js's second workload, the one the demo runs: its three plugins
// (examples/plugins.js: duplicate keys, nesting depth, a key search) over every object of
// a document, through the lazy view; `plain` is the same over a JSON.parse result. Both
// return the same per-file summary (not the key count: the lazy view keeps duplicate keys,
// JSON.parse keeps one of each).
const { visitLazy, visitPlain, lazyPlugins, plainPlugins } = require('../../../examples/plugins')

function summary(info, plugins) {
  return { objects: info.objects, found: plugins[2].result().count }
}

module.exports = function demoLazy(doc, path) {
  const plugins = lazyPlugins('id')
  return summary(visitLazy(doc, path, plugins), plugins)
}

module.exports.plain = function demoPlain(value, path) {
  const plugins = plainPlugins('id')
  return summary(visitPlain(value, path, plugins), plugins)
}
