'use strict'
// Parallel plugins: runParallel hands chunks of inputs to worker threads, each running a
// runner module on them (its own native job and pool: zero-copy in each worker), and gathers
// the results; runJsonPlugins is runParallel with the JSON runner (json-runner.js).
//
// Chunks go to whichever worker asks (run.js sizes them so a slow plugin never leaves the
// others idle), one message per chunk each way. A plugin's fault stays with its input; a
// worker that dies is replaced and its chunk retried one input at a time, so an input that
// kills a worker alone is recorded and every run ends.

const { knownOptions } = require('raw-transfer-reader/args')
const { Host } = require('./host')
const { JSON_HOST_OPTIONS, PARALLEL_HOST_OPTIONS, jsonHostConfig, parallelHostConfig } = require('./options')

/**
 * Run `plugin` (an absolute module path) over `inputs` in `workers` worker threads, each
 * running the `runner` module's `run(inputs, plugin, options)` on the chunks it is given.
 * A host made for this run alone: its workers have ended when the promise settles.
 * See the README ("Parallel plugins") and index.d.ts.
 */
function runParallel(inputs, options) {
  const run = {}
  return once(() => createParallelHost(hostOptionsOf(options, 'runParallel', PARALLEL_HOST_OPTIONS, true, run), Math.max(1, inputsLength(inputs))), inputs, run)
}

/**
 * `plugin(doc, path)` over the JSON files `paths` in `workers` worker threads, each with its
 * own pool and a parseJsonFiles job per chunk (`threads` Rust threads in all).
 */
function runJsonPlugins(paths, options) {
  const run = {}
  return once(() => createJsonPluginHost(hostOptionsOf(options, 'runJsonPlugins', JSON_HOST_OPTIONS, false, run), Math.max(1, inputsLength(paths))), paths, run)
}

const inputsLength = (inputs) => (Array.isArray(inputs) ? inputs.length : 0)

/**
 * The options, read once and checked against `names` (see knownOptions), without the
 * per-run ones: the host takes the rest, and the per-run ones go into `run`, which once()
 * hands to host.run() after making the host.
 */
function hostOptionsOf(options, what, names, open, run) {
  const { signal, onProgress, ...rest } = knownOptions(options, names, what, open)
  run.signal = signal
  run.onProgress = onProgress
  return rest
}

/** One run on a host of its own, closed (every worker ended) before the promise settles. */
async function once(makeHost, inputs, options) {
  const host = makeHost()
  let outcome
  try {
    // The host took the rest of `options`; run() reads its signal and onProgress.
    outcome = { ok: true, value: await host.run(inputs, options) }
  } catch (e) {
    outcome = { ok: false, value: e }
  }
  await host.close()
  if (!outcome.ok) throw outcome.value
  return outcome.value
}

/**
 * A host that runs `plugin(doc, path)` over JSON files in worker threads and keeps them
 * between runs: each worker's package, plugin, compiled code and pool are made once.
 */
function createJsonPluginHost(options, minWorkers) {
  return new Host(jsonHostConfig(options, minWorkers))
}

/** The generic host: any runner module (see runParallel). */
function createParallelHost(options, minWorkers) {
  return new Host(parallelHostConfig(options, minWorkers))
}

// The public forms take the options alone (minWorkers is for one-shot runs).
module.exports = { runParallel, runJsonPlugins, createJsonPluginHost: (o) => createJsonPluginHost(o), createParallelHost: (o) => createParallelHost(o) }
