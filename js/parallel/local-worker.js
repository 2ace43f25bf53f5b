'use strict'
// The host's stand-in for a worker thread when a run is done in this thread (host.js, with
// options.js's chooseWorkers: the work is too small for worker threads to pay for their start). It runs
// the same worker loop (worker-loop.js) over an in-thread port, with the same messages, so a
// run's chunks, results, errors and their serialization are exactly a worker's: a plugin's
// result that could not be sent from a worker is refused here too. What it does not give is
// isolation: the plugin runs in this thread, so what it does to the process (exit, a stray
// callback that throws) it does to this one.

const { EventEmitter } = require('node:events')
const { startLoop } = require('./worker-loop')

class LocalWorker extends EventEmitter {
  #onMessage
  #exited = false
  #keepAlive = null

  constructor(workerData) {
    super()
    // Messages go each way on a later turn, as a worker's do: neither side runs inside the other's call.
    const port = {
      postMessage: (m) => {
        setImmediate(() => {
          if (!this.#exited) this.emit('message', m)
        })
      },
    }
    this.#onMessage = startLoop(port, workerData, { isolated: false })
    // Made during a run, which holds it (as a new Worker is ref'd); the run's end unrefs it.
    this.ref()
  }

  postMessage(m) {
    if (this.#exited) return
    setImmediate(() => {
      if (!this.#exited) this.#onMessage(m)
    })
  }

  /**
   * Stop delivering messages, close the runner (its pool: a chunk in hand fails at once, its
   * results going nowhere) and report the exit (code 1, as a terminated worker's).
   */
  terminate() {
    this.unref()
    if (!this.#exited) {
      this.#exited = true
      this.#onMessage({ type: 'terminate' })
      setImmediate(() => this.emit('exit', 1))
    }
    return Promise.resolve(1)
  }

  // While a run uses it, this stand-in keeps the process alive as a worker thread does (a
  // plugin whose promise has not settled yet keeps nothing else pending: a run whose only
  // way to end is an unref'd AbortSignal.timeout would otherwise leave the process to exit
  // with the run's promise pending); idle, nothing.
  ref() {
    if (this.#keepAlive === null && !this.#exited) this.#keepAlive = setInterval(() => {}, 2 ** 30)
  }

  unref() {
    if (this.#keepAlive !== null) clearInterval(this.#keepAlive)
    this.#keepAlive = null
  }
}

module.exports = { LocalWorker }
