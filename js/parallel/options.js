'use strict'
// The options of the parallel entry points, read once and checked: a wrong one is an
// InvalidArgumentError naming it, before any worker starts.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { InvalidArgumentError } = require('raw-transfer-reader/errors')
const { MAX_TIMEOUT_MS, show, integer, knownOptions, integerOption } = require('raw-transfer-reader/args')

const JSON_RUNNER = path.join(__dirname, 'json-runner.js')
const TRANSFERS = ['auto', 'external', 'copy']
// The option names each entry point takes (index.d.ts); any other is refused as a typo,
// except by runParallel and createParallelHost, which hand the others to their runner.
const RUN_OPTIONS = ['signal', 'onProgress']
const JSON_HOST_OPTIONS = ['plugin', 'workers', 'threads', 'poolSize', 'transfer', 'pluginTimeoutMs', 'maxBlocks', ...RUN_OPTIONS]
const PARALLEL_HOST_OPTIONS = ['runner', 'plugin', 'workers', ...RUN_OPTIONS]
const MAX_WORKERS = 64
const MAX_POOL_SIZE = 4096
function defaultWorkers() {
  const n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length
  return Math.max(1, Math.min(n, 8))
}

/** An absolute path to an existing file (a module the workers will import). */
function modulePath(v, what) {
  if (typeof v !== 'string' || !path.isAbsolute(v)) {
    throw new InvalidArgumentError(`${what} must be the absolute path of a module; got ${show(v)}`)
  }
  let st
  try {
    st = fs.statSync(v)
  } catch (e) {
    throw new InvalidArgumentError(`${what} ${v} cannot be read: ${e.code ?? e.message}`)
  }
  if (!st.isFile()) throw new InvalidArgumentError(`${what} ${v} is not a file`)
  return v
}

/**
 * An AbortSignal, or an object with its whole shape (a polyfill's, another realm's): a run
 * subscribes to it and unsubscribes when it settles, so both methods must be there. How
 * they then behave (throwing, calling back at once or twice) cannot leave a run unsettled
 * (run.js).
 */
function signalOption(signal) {
  if (signal === undefined) return undefined
  let ok = false
  try {
    ok =
      signal !== null &&
      typeof signal === 'object' &&
      typeof signal.aborted === 'boolean' &&
      typeof signal.addEventListener === 'function' &&
      typeof signal.removeEventListener === 'function'
  } catch {}
  if (!ok) throw new InvalidArgumentError(`signal must be an AbortSignal (aborted, addEventListener, removeEventListener); got ${show(signal)}`)
  return signal
}

function functionOption(v, what) {
  if (v !== undefined && typeof v !== 'function') throw new InvalidArgumentError(`${what} must be a function; got ${show(v)}`)
  return v
}

// A run of a JSON host made with no `workers` option is done in this thread when its files
// hold fewer bytes than `inThreadBytes(workers)`. The model (README, "When workers help"):
// one thread takes T = bytes x MS_PER_MB; `workers` workers take START_MS + T / gain, the
// gain being at most the cores (a share of each lost to the Rust threads and the shared
// caches: WORKER_SHARE); so workers pay once T > START_MS x gain / (gain - 1). Measured on 2
// cores (benches/js/parallel.js, 2026-12-04/05): starting two workers and their cold code
// costs 250-300 ms of a run; one thread walking every value takes 4.4 ms per MB; a kept host
// reaches 1.5-1.66x. That puts the bound at about 180 MB on 2 cores (a one-shot run with 2
// workers was 0.71x one thread on 71 MB, 1.03-1.14x on 174-201 MB), 100 MB on 4, 80 MB on 8.
// A lighter plugin costs less per MB, so workers pay off later still: the bound errs toward
// workers. One core: never (a worker thread only adds its start).
const START_MS = 300
const MS_PER_MB = 4.4
const WORKER_SHARE = 0.8
function inThreadBytes(workers) {
  const gain = WORKER_SHARE * workers
  if (gain <= 1) return Infinity
  return Math.round(((START_MS * gain) / (gain - 1) / MS_PER_MB) * 2 ** 20)
}
// Files whose size is looked at to estimate a run's bytes (spread over the list): a few ms at most.
// Of a longer list, a first quarter of them decides when its estimate is far from the bound
// (FAR times under or over it); only a run near the bound stats them all.
const SIZE_SAMPLES = 64
const FIRST_SAMPLES = 16
const FAR = 4
const GOLDEN = 0.6180339887498949

/**
 * The total size of `paths` estimated from `samples` files spread over the list: one in
 * each of `samples` equal stretches, at a position that moves from stretch to stretch (the
 * fractional part of j times the golden ratio), so that no regular pattern of sizes (every
 * 16th file small, say) lines up with the samples.
 */
function estimateBytes(paths, samples) {
  const n = paths.length
  let bytes = 0
  for (let j = 0; j < samples; j++) {
    try {
      const p = paths[Math.floor(((j + ((j * GOLDEN) % 1)) * n) / samples)]
      if (typeof p === 'string') {
        const st = fs.statSync(p)
        if (st.isFile()) bytes += st.size // a directory's size is not work: it fails at once
      }
    } catch {} // a file that cannot be read is the run's error to report, not ours
  }
  return (bytes / samples) * n
}

/**
 * `{ inThread, reason }` for a run over `paths` whose host was left to choose `workers`: in
 * this thread when the files are small in all (their total size estimated from a sample).
 */
function chooseWorkers(paths, workers) {
  if (!Array.isArray(paths) || paths.length === 0) return { inThread: false, reason: null }
  const n = paths.length
  const bound = inThreadBytes(workers)
  // Up to SIZE_SAMPLES files: every one (a single huge file among them counts).
  if (n <= SIZE_SAMPLES) return chosen(n, estimateBytes(paths, n), workers, bound)
  const first = estimateBytes(paths, FIRST_SAMPLES)
  const far = first * FAR < bound || first > bound * FAR
  return chosen(n, far ? first : estimateBytes(paths, SIZE_SAMPLES), workers, bound)
}

/** chooseWorkers's answer for `n` files of `estimate` bytes in all. */
function chosen(n, estimate, workers, bound) {
  const mb = (x) => `${(x / 2 ** 20).toFixed(1)} MB`
  if (estimate < bound) {
    const why = Number.isFinite(bound)
      ? `are less work than starting ${workers} worker threads costs (under ${mb(bound)} for ${workers} workers)`
      : 'would gain nothing from a single worker thread'
    return {
      inThread: true,
      reason: `ran in this thread: ${n} files of about ${mb(estimate)} in all ${why}; pass a workers option to use worker threads anyway`,
    }
  }
  return { inThread: false, reason: `${workers} worker threads: ${n} files of about ${mb(estimate)} in all` }
}

/**
 * The Host settings of a JSON plugin host from createJsonPluginHost's options.
 * `minWorkers`: a one-shot run starts no more workers than it has inputs. With no `workers`
 * option, each run chooses between worker threads and this thread (chooseWorkers).
 */
function jsonHostConfig(options, minWorkers) {
  options = knownOptions(options, JSON_HOST_OPTIONS, 'createJsonPluginHost')
  if (options.plugin === undefined) throw new InvalidArgumentError('a JSON plugin host needs options.plugin: the absolute path of the plugin module')
  const workers = Math.min(integerOption(options, 'workers', defaultWorkers(), 1, MAX_WORKERS), minWorkers ?? MAX_WORKERS)
  const threads = integerOption(options, 'threads', 2, 1, 64)
  const poolSize = integerOption(options, 'poolSize', 4, 1, MAX_POOL_SIZE)
  const transfer = options.transfer === undefined ? 'auto' : options.transfer
  if (!TRANSFERS.includes(transfer)) throw new InvalidArgumentError(`transfer must be one of ${TRANSFERS.join(', ')}; got ${show(transfer)}`)
  const pluginTimeoutMs = options.pluginTimeoutMs
  if (pluginTimeoutMs !== undefined) integer(pluginTimeoutMs, 'pluginTimeoutMs', 1, MAX_TIMEOUT_MS)
  const maxBlocks = options.maxBlocks
  if (maxBlocks !== undefined) integer(maxBlocks, 'maxBlocks', 0, poolSize)
  rejectRunOptions(options, 'createJsonPluginHost')
  const runnerOptions = {
    // Rust threads per worker: the total split evenly, at least one each.
    threads: Math.max(1, Math.round(threads / workers)),
    poolSize,
    transfer,
  }
  if (pluginTimeoutMs !== undefined) runnerOptions.pluginTimeoutMs = pluginTimeoutMs
  if (maxBlocks !== undefined) runnerOptions.maxBlocks = maxBlocks
  return {
    what: 'JSON plugin host',
    runner: JSON_RUNNER,
    plugin: modulePath(options.plugin, 'plugin'),
    workers,
    runnerOptions,
    json: true,
    chooseWorkers: options.workers === undefined,
    // A run in this thread is one "worker": it gets every Rust thread.
    localRunnerOptions: { ...runnerOptions, threads },
  }
}

/** The Host settings of a generic host (any runner module, see runParallel). */
function parallelHostConfig(options, minWorkers) {
  options = knownOptions(options, PARALLEL_HOST_OPTIONS, 'createParallelHost', true)
  rejectRunOptions(options, 'createParallelHost')
  const { runner, plugin, workers: _w, ...runnerOptions } = options
  const workers = Math.min(integerOption(options, 'workers', defaultWorkers(), 1, MAX_WORKERS), minWorkers ?? MAX_WORKERS)
  // Drop undefined options: the runner sees only what was set.
  for (const k of Object.keys(runnerOptions)) if (runnerOptions[k] === undefined) delete runnerOptions[k]
  try {
    structuredClone(runnerOptions)
  } catch (e) {
    throw new InvalidArgumentError(`the runner's options must be cloneable to the workers (${e.message})`)
  }
  return {
    what: 'parallel host',
    runner: modulePath(runner, 'runner'),
    plugin: modulePath(plugin, 'plugin'),
    workers,
    runnerOptions,
    json: false,
  }
}

/** signal and onProgress belong to a run: `host.run(inputs, { signal, onProgress })`. */
function rejectRunOptions(options, what) {
  for (const k of ['signal', 'onProgress']) {
    if (options[k] !== undefined) throw new InvalidArgumentError(`${what}: ${k} is an option of host.run(inputs, { ${k} }), not of the host`)
  }
}

module.exports = {
  chooseWorkers,
  RUN_OPTIONS,
  JSON_HOST_OPTIONS,
  PARALLEL_HOST_OPTIONS,
  signalOption,
  functionOption,
  jsonHostConfig,
  parallelHostConfig,
}
