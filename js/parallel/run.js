'use strict'
// One run of a parallel host (index.js): hands chunks of its inputs to the host's
// worker threads as they ask, gathers their results and errors, replaces workers that die,
// and settles once every input has a result or an error (or on abort / a fatal error).

const errors = require('raw-transfer-reader/errors')
const { JsonSyntaxError } = require('../json/errors')
const { InvalidArgumentError, RawTransferError } = errors
const { reviveError, serializeError, notCloneable, decodeEntries } = require('./wire')

// Chunks: the first ones at most FIRST_CHUNK inputs (nothing is measured yet); then about
// CHUNK_MS of a worker's time each, from the run's mean time per input so far (small files:
// hundreds per chunk, so a chunk's job and messages cost little per file; slow plugins: one
// or a few), never more than MAX_CHUNK, and never more than guided self-scheduling allows.
const FIRST_CHUNK = 64
const CHUNK_MS = 20
const MAX_CHUNK = 1024
// A run done in this thread (options.js, chooseWorkers) takes chunks of at least this many inputs.
const IN_THREAD_CHUNK = 8192
// Progress callbacks at most this often (and once at the end).
const PROGRESS_MS = 50

/** The package's error classes by name, for rebuilding errors that come from workers. */
const CLASSES = {
  ...Object.fromEntries(Object.entries(errors).filter(([k, v]) => k.endsWith('Error') && typeof v === 'function')),
  JsonSyntaxError,
}

/** The rejection of an aborted run: `name` 'AbortError' (as fetch and Node's APIs), the reason as `cause`. */
function abortError(signal, result) {
  // Never throws: it runs in the signal's listener, where a throw would leave the run pending.
  let reason
  let why = ''
  try {
    reason = signal.reason
    if (reason !== undefined && typeof reason?.message === 'string') why = `: ${reason.message}`
  } catch {}
  const err = new Error(`the run was aborted${why}`, { cause: reason })
  err.name = 'AbortError'
  err.code = 'ABORT_ERR'
  err.result = result
  return err
}

/** The entry of an input whose part of a worker's message cannot be read (not expected: the worker checked it). */
const unreadable = (index, why) => ({ index, phase: 'plugin', error: serializeError(notCloneable('the result or error', why)) })

/** One run of a host: hands chunks of its inputs to the host's workers and gathers results. */
class Run {
  constructor(o) {
    Object.assign(this, o)
    // In this thread (this.inThread): one stand-in for a worker (host.js, LocalWorker).
    this.workers = o.inThread ? 1 : o.host.workers
    const n = o.inputs.length
    this.results = new Array(n).fill(undefined)
    this.errors = [] // { index, error, phase }
    this.settled = 0 // inputs with a result or an error
    this.files = 0
    this.bytes = 0
    this.restarts = 0
    // Inputs not handed out yet: `front` (given back by a dead worker, never started) first,
    // then `next..n-1`; `suspects` (inputs of a chunk a worker died on) go one per chunk.
    this.next = 0
    this.front = []
    this.suspects = []
    this.firstChunk = Math.max(1, Math.min(FIRST_CHUNK, Math.ceil(n / (this.workers * 8))))
    this.chunkIds = 0
    // Deaths without a chunk in flight: not the inputs' fault, so nothing shrinks; past a
    // limit the run gives up instead of replacing workers for ever.
    this.idleDeaths = 0
    this.lastProgress = 0
    this.state = 'running' // 'running' | 'done' | 'failed'
    this.t0 = performance.now()
  }

  start() {
    return new Promise((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
      const n = this.inputs.length
      // The signal is read and subscribed to before the run takes the host's workers (refs
      // them): a signal that throws then rejects the run and leaves the host idle, unref'd.
      if (this.signal !== undefined) {
        try {
          if (this.signal.aborted === true) {
            this.state = 'failed'
            reject(abortError(this.signal, this.result()))
            return
          }
          if (n === 0) {
            this.state = 'done'
            resolve(this.result())
            return
          }
          // Once the run has settled, a late call (the signal ignores `once`) finds it settled.
          this.onAbort = () => this.fail(abortError(this.signal, null))
          this.signal.addEventListener('abort', this.onAbort, { once: true })
        } catch (e) {
          this.state = 'failed'
          this.detach()
          reject(e)
          return
        }
        // addEventListener may have called back at once: the run already failed.
        if (this.state !== 'running') return
      } else if (n === 0) {
        this.state = 'done'
        resolve(this.result())
        return
      }
      this.t0 = performance.now()
      this.host.current = this
      this.host.hold(true)
      // Workers kept from an earlier run of the host already have chunks' worth of state:
      // the new run's chunks are theirs at once.
      for (const slot of this.host.slots) {
        slot.assigned = []
        slot.wantsMore = false
      }
      this.guard(() => this.dispatch())
    })
  }

  /** Run `fn`; a bug or a callback error (onProgress threw) fails the run instead of escaping. */
  guard(fn) {
    try {
      fn()
    } catch (e) {
      this.fail(e)
    }
  }

  result() {
    const errs = this.errors.slice().sort((a, b) => a.index - b.index)
    return this.toResult({
      results: this.results,
      files: this.files,
      bytes: this.bytes,
      ms: performance.now() - this.t0,
      errors: errs,
      restarts: this.restarts,
      // 0: the run was done in this thread (see workersReason).
      workers: this.inThread ? 0 : this.workers,
      workersReason: this.workersReason,
    })
  }

  remaining() {
    return this.front.length + (this.inputs.length - this.next)
  }

  /** The next chunk to hand out, or null. */
  take() {
    if (this.suspects.length > 0) return { id: ++this.chunkIds, indices: [this.suspects.shift()], suspect: true }
    const left = this.remaining()
    if (left === 0) return null
    let cap = this.firstChunk
    if (this.inThread) {
      // This thread is the only "worker": nothing to balance, and each chunk is a job
      // (threads to start, a pipeline to fill), so chunks are big; still a few, for progress.
      cap = Math.max(IN_THREAD_CHUNK, Math.ceil(this.inputs.length / 4))
    } else if (this.settled > 0) {
      const msPerInput = ((performance.now() - this.t0) * this.workers) / this.settled
      cap = Math.min(MAX_CHUNK, Math.floor(CHUNK_MS / msPerInput))
    }
    const size = this.inThread ? Math.min(cap, left) : Math.max(1, Math.min(cap, Math.ceil(left / (this.workers * 4))))
    const indices = this.front.splice(0, size)
    while (indices.length < size && this.next < this.inputs.length) indices.push(this.next++)
    return { id: ++this.chunkIds, indices, suspect: false }
  }

  hasWork() {
    return this.suspects.length > 0 || this.remaining() > 0
  }

  /** Start workers while there is work for them, and hand chunks to those that can take one. */
  dispatch() {
    if (this.state !== 'running') return
    const host = this.host
    let live = 0
    for (const s of host.slots) if (!s.exited && this.mine(s)) live++
    while (live < this.workers && this.hasWork()) {
      host.spawn(this.inThread)
      live++
    }
    for (const slot of host.slots) {
      if (slot.exited || !this.mine(slot)) continue
      // This thread's stand-in, still loading, takes its first chunk at once (it runs it as
      // soon as it has loaded, with no round trip after its 'ready'), and no more until it is
      // ready. A worker thread waits for its 'ready': one whose plugin never finishes loading
      // would hold its chunk for ever, where the other workers can do the run without it.
      if (!slot.ready && (slot.assigned.length > 0 || !slot.local)) continue
      // A queued chunk only while plenty is left: near the end it would wait behind a slow
      // plugin while other workers idle.
      while (
        slot.assigned.length === 0 ||
        (slot.assigned.length === 1 && slot.wantsMore && this.remaining() > 2 * this.workers && this.suspects.length === 0)
      ) {
        const chunk = this.take()
        if (chunk === null) break
        if (slot.assigned.length === 1) slot.wantsMore = false
        slot.assigned.push(chunk)
        try {
          slot.worker.postMessage({ type: 'chunk', id: chunk.id, indices: chunk.indices, inputs: chunk.indices.map((i) => this.inputs[i]), suspect: chunk.suspect })
        } catch (e) {
          throw new InvalidArgumentError(`an input of this chunk cannot be sent to a worker (${e.message}): inputs must be cloneable`)
        }
      }
    }
  }

  /** Whether `slot` is of the kind this run uses (worker threads, or this thread's stand-in). */
  mine(slot) {
    return slot.local === this.inThread
  }

  onMessage(slot, m) {
    if (this.state === 'failed' || !this.mine(slot)) return
    if (m.type === 'ready') {
      this.dispatch()
    } else if (m.type === 'more') {
      slot.wantsMore = true
      this.dispatch()
    } else if (m.type === 'done') {
      const at = slot.assigned.findIndex((c) => c.id === m.id)
      if (at === -1) return
      const [chunk] = slot.assigned.splice(at, 1)
      const direct = m.direct
      if (Array.isArray(direct)) for (let k = 0; k < direct.length; k += 2) this.results[direct[k]] = direct[k + 1]
      for (const entry of decodeEntries(m, unreadable)) {
        if (entry.phase === undefined) this.results[entry.index] = entry.result
        else this.errors.push({ index: entry.index, phase: entry.phase, error: reviveError(entry.error, CLASSES) })
      }
      this.settled += chunk.indices.length
      this.files += m.files
      this.bytes += m.bytes
      this.idleDeaths = 0
      this.progress()
      if (this.settled === this.inputs.length) this.finish()
      else this.dispatch()
    } else if (m.type === 'uncaught') {
      // The worker's uncaught error, sent just before it exits: onExit names it as the cause.
      const [entry] = decodeEntries(m, unreadable)
      slot.error = reviveError(entry.error, CLASSES)
    } else if (m.type === 'fatal') {
      // The runner failed (or the runner or plugin could not be loaded): nothing would work.
      const [entry] = decodeEntries(m, unreadable)
      this.fail(reviveError(entry.error, CLASSES))
    }
  }

  progress() {
    if (this.onProgress === undefined) return
    const now = performance.now()
    if (this.settled !== this.inputs.length && now - this.lastProgress < PROGRESS_MS) return
    this.lastProgress = now
    const r = this.onProgress({ done: this.settled, total: this.inputs.length })
    // An async callback that rejects fails the run, as one that throws does (a rejection
    // nobody handles would end the process).
    if (r !== null && typeof r === 'object' && typeof r.then === 'function') {
      Promise.resolve(r).then(undefined, (e) => this.fail(e))
    }
  }

  /** A worker exited during this run (the host forgets it right after). */
  onExit(slot, code) {
    if (this.state !== 'running' || !this.mine(slot)) return
    if (!slot.ready) {
      // It died loading the runner or the plugin: a replacement would too.
      const err = slot.error ?? new RawTransferError(`a worker exited (code ${code}) before it was ready`)
      this.fail(err)
      return
    }
    this.restarts++
    const [inFlight, ...queued] = slot.assigned
    slot.assigned = []
    // Chunks it had not started go back, first in line; nothing is wrong with them.
    for (const c of queued.reverse()) {
      if (c.suspect) this.suspects.unshift(...c.indices)
      else this.front.unshift(...c.indices)
    }
    if (inFlight === undefined) {
      if (++this.idleDeaths > 2 * this.workers + 2) {
        const err = new RawTransferError(`workers keep exiting while idle (${this.idleDeaths} in a row, last: code ${code}); the run gave up`, { cause: slot.error ?? undefined })
        err.code = 'WorkerExited'
        this.fail(err)
        return
      }
    } else if (inFlight.indices.length === 1) {
      // Alone in its chunk: this input kills its worker. Recorded, and skipped.
      const index = inFlight.indices[0]
      const cause = slot.error
      const err = new RawTransferError(
        `${this.pathOf !== null ? this.pathOf(index) : `input ${index}`}: the worker thread running the plugin on it exited (code ${code})` +
          `${cause ? ` after an uncaught ${cause.name ?? 'error'}: ${cause.message}` : ''}; it was replaced and the run went on`,
        cause ? { cause } : undefined,
      )
      err.code = 'WorkerExited'
      if (this.pathOf !== null) err.path = this.pathOf(index)
      this.errors.push({ index, phase: 'worker', error: err })
      this.settled++
      this.progress()
    } else {
      // Which input did it? Each goes again, alone.
      this.suspects.push(...inFlight.indices)
    }
    if (this.settled === this.inputs.length) this.finish()
    else this.dispatch()
  }

  /** Every input settled: resolve; the workers stay with the host for its next run. */
  finish() {
    if (this.state !== 'running') return
    this.state = 'done'
    this.detach()
    this.release()
    let result
    try {
      result = this.result()
    } catch (e) {
      this.reject(e)
      return
    }
    this.resolve(result)
  }

  /**
   * End the run with `err` (abort, a fatal error, a broken callback): terminate every worker
   * (their environments free their blocks), and reject once all have exited. The host starts
   * new workers for its next run.
   */
  fail(err) {
    // Once every input is in, a late abort or error changes nothing.
    if (this.state !== 'running') return
    this.state = 'failed'
    // What was done until now, on the error (an AbortError is made with result null).
    try {
      if (err !== null && typeof err === 'object' && (err.result === null || err.result === undefined)) err.result = this.result()
    } catch {}
    this.detach()
    // Not the host's current run yet (its signal called back from addEventListener): the
    // host's workers are not this run's to end.
    let ending = Promise.resolve()
    try {
      if (this.host.current === this) ending = this.host.terminateAll()
    } catch {}
    ending.then(() => {
      this.release()
      this.reject(err)
    })
  }

  /** Give the host back: idle, its workers unref'd (they must not keep the process alive). */
  release() {
    if (this.host.current !== this) return
    this.host.current = null
    this.host.hold(false)
  }

  /** Unsubscribe from the signal; a removeEventListener that throws changes nothing. */
  detach() {
    const onAbort = this.onAbort
    this.onAbort = undefined
    if (onAbort === undefined) return
    try {
      this.signal.removeEventListener('abort', onAbort)
    } catch {}
  }
}

module.exports = { Run, abortError }
