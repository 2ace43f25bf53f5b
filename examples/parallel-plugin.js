'use strict'
// The demo's three plugins as one runJsonPlugins plugin module: each worker thread loads
// this file and calls it once per document, on the lazy view, zero-copy in that worker.
// Plugins there are per file (their findings are returned, structured-cloned to the main
// thread, and summed there). The key to search for comes from the environment, which
// worker threads inherit (a plugin module takes no options).
const { visitLazy, lazyPlugins } = require('./plugins')

const key = process.env.RAW_TRANSFER_DEMO_KEY || 'id'

module.exports = function demoPlugins(doc, path) {
  const plugins = lazyPlugins(key)
  const info = visitLazy(doc, path, plugins)
  const [dups, , search] = plugins.map((p) => p.result())
  return {
    objects: info.objects,
    keys: info.keys,
    maxDepth: info.maxDepth,
    duplicates: dups.count,
    keyCount: search.count,
  }
}
