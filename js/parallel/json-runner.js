'use strict'
// The runner of runJsonPlugins (a runParallel runner, see index.js): runs inside each
// worker thread. Its pool is the worker's own (its environment wraps each block once, for
// the pool's life); each chunk of paths is one parseJsonFiles job, whose Rust threads read
// and parse while this thread runs the plugin on the lazy documents.

// The pool class of this package (by relative path: a repo checkout and an installed
// tarball alike); a plugin that requires the package in this worker gets the same class.
const { JsonPool } = require('../native')

/**
 * A runner with its own pool. A worker thread has one (the module's exports below); a run
 * done in the calling thread (local-worker.js) makes its own, so that two such runs at once
 * never share a pool.
 */
function createRunner() {
  let pool = null
  return {
    /** Once, before any chunk: the pool (options were checked by runJsonPlugins). */
    init(options) {
      pool = new JsonPool({ size: options.poolSize, transfer: options.transfer })
    },
    run: (paths, plugin, options) => run(pool, paths, plugin, options),
    close() {
      if (pool !== null) pool.close()
      pool = null
    },
  }
}

/**
 * Run `plugin(doc, path)` on every file of `paths` (a chunk): one parseJsonFiles job. Resolves
 * to `{ results, errors, files, bytes }`: `results[i]` what the plugin returned (or its
 * promise resolved to) for `paths[i]`, `errors` `{ index, error, phase }` with phase 'read',
 * 'parse' or 'plugin', as parseJsonFiles reports them. The plugin is not called for files
 * that failed. (parseJsonFiles passes each file's index, so a path given twice is two
 * inputs.)
 */
async function run(pool, paths, plugin, options) {
  const results = new Array(paths.length).fill(undefined)
  const jobOptions = { threads: options.threads }
  if (options.maxBlocks !== undefined) jobOptions.maxBlocks = options.maxBlocks
  if (options.pluginTimeoutMs !== undefined) jobOptions.pluginTimeoutMs = options.pluginTimeoutMs
  const r = await pool.parseJsonFiles(
    paths,
    (doc, path, i) => {
      if (doc instanceof Error) return undefined // recorded in r.errors; no plugin call
      const value = plugin(doc, path)
      if (value !== null && (typeof value === 'object' || typeof value === 'function') && typeof value.then === 'function') {
        // The job keeps the document until this settles, and records a rejection.
        return Promise.resolve(value).then((v) => {
          results[i] = v
        })
      }
      results[i] = value
      return undefined
    },
    jobOptions,
  )
  const errors = r.errors.map(({ index, error, phase }) => {
    // A plugin timed out (its promise may still resolve later): the error wins.
    results[index] = undefined
    return { index, error, phase }
  })
  return { results, errors, files: r.files, bytes: r.bytes }
}

// A worker thread's runner: the module's own instance.
const { init, run: runChunk, close } = createRunner()
module.exports = { init, run: runChunk, close, createRunner }
