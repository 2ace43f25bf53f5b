'use strict'
// Parallel plugins: runParallel hands chunks of inputs to K worker threads, each of which
// runs a "runner" module on them (its own native job and pool: Rust threads produce, the
// worker's JS runs the plugin on the blocks, zero-copy in each worker), and gathers the
// results. runJsonPlugins is runParallel with the built-in JSON runner
// (js/parallel-json-runner.js: parseJsonFiles in each worker).
//
// Why this shape:
// - Work goes to whichever worker is free: the main thread keeps the inputs and hands out
//   chunks on request, each about CHUNK_MS of work (few messages and jobs per file) and
//   smaller towards the end (guided self-scheduling: at most remaining / (4 * workers)),
//   so a slow plugin on one worker never
//   leaves the others idle for long. A worker asks for its next chunk when the one in hand
//   is half done, so it rarely waits for the main thread; near the end those early requests
//   wait until the worker is free, so no chunk sits queued behind a slow one.
// - One message per chunk each way: per-file messages would cost more than small files do.
// - Faults stay with their inputs. A plugin that throws or rejects is the runner's business
//   (an error record for that input). A worker that dies (process.exit() in a plugin, an
//   uncaught error in a callback, out of memory) loses its chunk in flight: the main thread
//   replaces the worker and retries that chunk's inputs one per chunk; an input that kills a
//   worker when alone is recorded (phase 'worker') and skipped. Every death either records
//   an input or splits a chunk, so the run always ends.
// - Blocks never cross threads: each worker's environment owns its pool, and its teardown
//   (the run terminates its workers at the end, on abort and on failure) frees them.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { Worker } = require('node:worker_threads')
const { InvalidArgumentError, PoolClosedError } = require('./errors')
const { asyncDispose, installAsyncDispose } = require('./symbols')
const { Run } = require('./parallel-run')
const { MAX_TIMEOUT_MS, show, integer, knownOptions, integerOption, stringArray } = require('./args')
const { reviveError, serializeError } = require('./parallel-wire')

const WORKER_FILE = path.join(__dirname, 'parallel-worker.js')
const JSON_RUNNER = path.join(__dirname, 'parallel-json-runner.js')
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
 * (js/parallel-run.js).
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
 * `minWorkers` (internal): a one-shot run starts no more workers than it has inputs.
 */
function createJsonPluginHost(options, minWorkers) {
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
  return new Host({
    what: 'JSON plugin host',
    runner: JSON_RUNNER,
    plugin: modulePath(options.plugin, 'plugin'),
    workers,
    runnerOptions,
    json: true,
  })
}

/** The generic host: any runner module (see runParallel). */
function createParallelHost(options, minWorkers) {
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
  return new Host({
    what: 'parallel host',
    runner: modulePath(runner, 'runner'),
    plugin: modulePath(plugin, 'plugin'),
    workers,
    runnerOptions,
    json: false,
  })
}

/** signal and onProgress belong to a run: `host.run(inputs, { signal, onProgress })`. */
function rejectRunOptions(options, what) {
  for (const k of ['signal', 'onProgress']) {
    if (options[k] !== undefined) throw new InvalidArgumentError(`${what}: ${k} is an option of host.run(inputs, { ${k} }), not of the host`)
  }
}

/**
 * Worker threads that run one runner and plugin, kept between runs. Runs are queued: one at
 * a time uses the workers. Idle workers do not keep the process alive (they are unref'd
 * between runs); close() ends them (and frees their pools).
 */
class Host {
  #closing = null
  #tail = Promise.resolve()

  constructor(o) {
    this.what = o.what
    this.runner = o.runner
    this.plugin = o.plugin
    this.workers = o.workers
    this.runnerOptions = o.runnerOptions
    this.json = o.json
    this.slots = new Set()
    this.current = null
  }

  get closed() {
    return this.#closing !== null
  }

  /**
   * Run the plugin over `inputs` (paths for a JSON host). Resolves to `{ results, files,
   * bytes, ms, errors, restarts }`; after a run that failed or was aborted the host still
   * works (it starts new workers).
   */
  run(inputs, options) {
    let run
    try {
      if (this.#closing !== null) throw new PoolClosedError(`this ${this.what} is closed`)
      let own
      if (this.json) {
        own = stringArray(inputs, `${this.what}: run expects an array of paths`)
      } else if (!Array.isArray(inputs)) {
        throw new InvalidArgumentError(`${this.what}: run expects an array of inputs`)
      } else {
        own = inputs.slice()
      }
      options = knownOptions(options, RUN_OPTIONS, 'run')
      // Errors name their file, in the order of the inputs; a worker's death names it too.
      const json = this.json
        ? {
            toResult: (r) => ({ ...r, errors: r.errors.map(({ index, error, phase }) => ({ path: own[index], error, phase })) }),
            pathOf: (i) => own[i],
          }
        : null
      run = new Run({
        host: this,
        inputs: own,
        signal: signalOption(options.signal),
        onProgress: functionOption(options.onProgress, 'onProgress'),
        toResult: json?.toResult ?? ((r) => r),
        pathOf: json?.pathOf ?? null,
      })
    } catch (e) {
      return Promise.reject(e)
    }
    const result = this.#tail.then(() => run.start())
    this.#tail = result.catch(() => {})
    return result
  }

  /** End the workers once the queued runs are done. Resolves when every worker has exited (their blocks are freed). */
  close() {
    if (this.#closing === null) this.#closing = this.#tail.then(() => this.stopAll())
    return this.#closing
  }

  [asyncDispose]() {
    return this.close()
  }

  spawn() {
    const worker = new Worker(WORKER_FILE, {
      workerData: { runner: this.runner, plugin: this.plugin, options: this.runnerOptions },
    })
    let exited
    const slot = { worker, ready: false, assigned: [], wantsMore: false, error: null, exited: false, exit: new Promise((r) => (exited = r)) }
    this.slots.add(slot)
    worker.on('message', (m) => {
      if (m.type === 'ready') slot.ready = true
      if (m.type === 'closed') worker.terminate()
      const run = this.current
      if (run !== null) run.guard(() => run.onMessage(slot, m))
    })
    // An uncaught error in the worker: kept for the 'exit' that follows.
    worker.on('error', (e) => {
      slot.error = e
    })
    worker.on('exit', (code) => {
      slot.exited = true
      const run = this.current
      if (run !== null) run.guard(() => run.onExit(slot, code))
      this.slots.delete(slot)
      exited()
    })
    return slot
  }

  /** Live workers keep the process alive only while a run uses them. */
  hold(yes) {
    for (const s of this.slots) {
      if (s.exited) continue
      if (yes) s.worker.ref()
      else s.worker.unref()
    }
  }

  /** Terminate every worker; resolves once all have exited. */
  terminateAll() {
    const exits = []
    for (const s of this.slots) {
      if (s.exited) continue
      s.worker.terminate()
      exits.push(s.exit)
    }
    return Promise.all(exits)
  }

  /** Ask every worker to close its runner (its pool), terminate those that do not answer within a second. */
  stopAll() {
    const exits = []
    for (const s of this.slots) {
      if (s.exited) continue
      s.worker.ref()
      const timer = setTimeout(() => s.worker.terminate(), 1000)
      s.exit.then(() => clearTimeout(timer))
      try {
        s.worker.postMessage({ type: 'stop' })
      } catch {
        s.worker.terminate()
      }
      exits.push(s.exit)
    }
    return Promise.all(exits).then(() => undefined)
  }
}
installAsyncDispose(Host.prototype)


module.exports = { runParallel, runJsonPlugins, createJsonPluginHost: (o) => createJsonPluginHost(o), createParallelHost: (o) => createParallelHost(o), serializeError, reviveError }
