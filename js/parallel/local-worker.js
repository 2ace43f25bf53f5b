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
    if (!this.#exited) {
      this.#exited = true
      this.#onMessage({ type: 'terminate' })
      setImmediate(() => this.emit('exit', 1))
    }
    return Promise.resolve(1)
  }

  // Nothing of this stand-in keeps the process alive on its own.
  ref() {}
  unref() {}
}

module.exports = { LocalWorker }
