'use strict'
// Worker threads that run one runner module and plugin, kept between runs. Blocks never
// cross threads: each worker's environment owns its pool, and ending the worker frees it.

const path = require('node:path')
const { Worker } = require('node:worker_threads')
const { InvalidArgumentError, PoolClosedError } = require('raw-transfer-reader/errors')
const { asyncDispose, installAsyncDispose } = require('raw-transfer-reader/symbols')
const { knownOptions, stringArray } = require('raw-transfer-reader/args')
const { RUN_OPTIONS, signalOption, functionOption, chooseWorkers } = require('./options')
const { Run } = require('./run')
const { LocalWorker } = require('./local-worker')

const WORKER_FILE = path.join(__dirname, 'worker.js')

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
    // Made with no `workers` option: each run chooses worker threads or this thread (options.js).
    this.chooseWorkers = o.chooseWorkers === true
    this.localRunnerOptions = o.localRunnerOptions ?? o.runnerOptions
    // Worker threads, and this thread's stand-ins (LocalWorker, `local`): a run uses one kind.
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
      const chosen = this.chooseWorkers ? chooseWorkers(own, this.workers) : { inThread: false, reason: null }
      run = new Run({
        host: this,
        inThread: chosen.inThread,
        workersReason: chosen.reason,
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

  /** A worker thread, or (`local`) this thread's stand-in for one. */
  spawn(local) {
    const workerData = { runner: this.runner, plugin: this.plugin, options: local ? this.localRunnerOptions : this.runnerOptions }
    const worker = local ? new LocalWorker(workerData) : new Worker(WORKER_FILE, { workerData })
    let exited
    const slot = { worker, local, ready: false, assigned: [], wantsMore: false, error: null, exited: false, exit: new Promise((r) => (exited = r)) }
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

module.exports = { Host }
