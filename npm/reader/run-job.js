'use strict'
// The generic driver of a native producer job (raw_transfer::napi::Job): take finished
// items in batches, run the plugin on each, return blocks to the pool in the next batch
// call, record errors. Used by parseJsonFiles and by any addon's own jobs.

const { fromNative, native, InvalidArgumentError, JobBusyError, PluginTimeoutError } = require('./errors')
const { MAX_TIMEOUT_MS, integer, knownOptions } = require('./args')

const STRIDE = 6 // numbers per item in a batch's records (Batch::STRIDE in Rust)
const RUN_JOB_OPTIONS = ['cache', 'open', 'plugin', 'fail', 'release', 'failuresToPlugin', 'pluginTimeoutMs', 'timeoutError']

/** Jobs a runJob is driving: a second driver would take the first's items and promise. */
const driven = new WeakSet()

/**
 * Drive `job` (an object with `take(released: Uint32Array | null)` returning the native
 * batch, and `cancel()`) to the end. A job packs small results into one block, so an item
 * is a document in a block: `[id, doc]` names it when it is released, and the block
 * returns to the pool with its last document.
 *
 * - `cache`: the BufferCache of the pool the job fills.
 * - `open(item, giveBack)`: make the plugin's value from a document (`item` = `{ index,
 *   id, generation, bytes, root, doc }`; `cache.receive(item.id, null)` is its block's
 *   RawBuffer, `root` the offset of its root there), e.g. a lazy document. Return
 *   `{ value, close }`, or `null` to skip the item after calling `giveBack()`: the driver
 *   calls `close()` when the plugin is done with the value (it returned, or its promise
 *   settled). `close()`, or the user releasing the value earlier, must call `giveBack()`:
 *   that releases the document (later calls do nothing). If `open` throws, the document is
 *   given back and the error recorded (phase 'produce').
 * - `plugin(value, item)`: runs for each produced item; may return a promise (any
 *   thenable): the block goes back when it settles.
 * - `fail(error, item)`: for an item the producer failed on (`error` = `{ code, message,
 *   position }`, from Rust); return what to record as the error (e.g. a typed Error).
 * - `failuresToPlugin`: also call `plugin(thatError, item)` for failed items.
 * - `release(pairs)`: release documents at once, `[id, doc, …]` (the pool's
 *   `releaseMany`; used when an async plugin settles while the driver waits for more).
 * - `pluginTimeoutMs`: if set (an integer, 1..2^31-1), a plugin promise still pending after
 *   that long is recorded as `timeoutError(item, ms)` (default: a PluginTimeoutError), its
 *   value is closed (the block goes back) and the job goes on; how it settles later is
 *   ignored. A timer is cleared when its promise settles; while it runs it keeps the
 *   process alive, so a run with a plugin that never settles still finishes.
 *
 * Resolves to `{ items, bytes, errors }`; `errors` lists `{ index, error, phase }` with
 * phase 'produce' or 'plugin'. Whatever the plugin does (throws, returns a thenable whose
 * `then` throws or never settles) is recorded for its item, and the job goes on.
 */
async function runJob(job, options) {
  if (job === null || typeof job !== 'object' || typeof job.take !== 'function' || typeof job.cancel !== 'function') {
    throw new InvalidArgumentError('runJob expects a native job: an object with take() and cancel()')
  }
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('runJob expects an options object')
  const checked = knownOptions(options, RUN_JOB_OPTIONS, 'runJob')
  const { cache, open, plugin, fail, release, failuresToPlugin = false, pluginTimeoutMs, timeoutError = defaultTimeoutError } = checked
  for (const [name, fn] of [['open', open], ['plugin', plugin], ['fail', fail], ['release', release], ['timeoutError', timeoutError]]) {
    if (typeof fn !== 'function') throw new InvalidArgumentError(`runJob: options.${name} must be a function`)
  }
  let isCache = false
  try {
    isCache = cache !== null && typeof cache === 'object' && typeof cache.receive === 'function'
  } catch {} // a Proxy whose get trap throws is no BufferCache either
  if (!isCache) throw new InvalidArgumentError('runJob: options.cache must be a BufferCache')
  if (pluginTimeoutMs !== undefined) integer(pluginTimeoutMs, 'pluginTimeoutMs', 1, MAX_TIMEOUT_MS)
  if (driven.has(job)) throw new JobBusyError('runJob: this job is already being run; a job has one driver')
  driven.add(job)
  try {
    return await drive(job, { cache, open, plugin, fail, release, failuresToPlugin, pluginTimeoutMs, timeoutError })
  } finally {
    driven.delete(job)
  }
}

/** runJob's loop, once the job and the options (defaults applied) are checked. */
async function drive(job, { cache, open, plugin, fail, release, failuresToPlugin, pluginTimeoutMs, timeoutError }) {
  let released = []
  const errors = []
  const pending = new Set()
  let items = 0
  let bytes = 0
  let waiting = false

  // While the driver waits for more, a document given back must go back at once:
  // producer threads may be waiting for its block. Once per document: a close() after a
  // timeout, or a failed open() that already gave it back, does not release it twice.
  const giveBackOf = (id, doc) => {
    let given = false
    return () => {
      if (given) return
      given = true
      if (waiting) release(Uint32Array.of(id, doc))
      else released.push(id, doc)
    }
  }

  const recordPlugin = (item, error) => {
    errors.push({ index: item.index, error, phase: 'plugin' })
  }
  // `close` may run from a timer: it must not throw there (an uncaught exception).
  const closeItem = (item, close) => {
    if (close === null) return
    try {
      close()
    } catch (e) {
      recordPlugin(item, e)
    }
  }

  // Run the plugin; `close` (if any) when it is done, whether it returned, threw or settled.
  const call = (value, item, close) => {
    let result
    let then
    try {
      result = plugin(value, item)
      // Reading `then` runs user code too (a getter may throw): inside the try, so that is
      // this item's plugin error, not the job's.
      if (result !== null && (typeof result === 'object' || typeof result === 'function')) then = result.then
    } catch (e) {
      recordPlugin(item, e)
      closeItem(item, close)
      return
    }
    if (typeof then === 'function') settle(result, then, item, close)
    else closeItem(item, close)
  }

  // Wait for a thenable plugin result (at most pluginTimeoutMs), then close its item.
  const settle = (thenable, then, item, close) => {
    let done = false
    let timer = null
    let resolve
    const p = new Promise((r) => {
      resolve = r
    })
    const finish = (failed, error) => {
      if (done) return
      done = true
      if (timer !== null) clearTimeout(timer)
      if (failed) recordPlugin(item, error)
      pending.delete(p)
      closeItem(item, close)
      resolve()
    }
    pending.add(p)
    // `then` was read once; calling it inside a Promise executor turns a throw into a
    // rejection, and resolving through that promise follows nested thenables as `await`.
    new Promise((res, rej) => then.call(thenable, res, rej)).then(
      () => finish(false),
      (e) => finish(true, e),
    )
    if (pluginTimeoutMs !== undefined) {
      timer = setTimeout(() => {
        let error
        try {
          error = timeoutError(item, pluginTimeoutMs)
        } catch (e) {
          error = e
        }
        finish(true, error)
      }, pluginTimeoutMs)
    }
  }

  let finished = false
  try {
    for (;;) {
      const arg = released.length > 0 ? Uint32Array.from(released) : null
      released = []
      const batch = native(() => job.take(arg))
      const { records, buffers, errors: failures } = batch
      for (let i = 0; i < buffers.length; i += 2) cache.receive(buffers[i], buffers[i + 1])
      for (let r = 0; r < records.length; r += STRIDE) {
        const index = records[r]
        const id = records[r + 1]
        const item = { index, id, generation: records[r + 2], bytes: records[r + 3], root: records[r + 4], doc: records[r + 5] }
        items++
        bytes += item.bytes
        if (id === 0) {
          item.generation = 0
          const error = fail(failures[records[r + 2]], item)
          errors.push({ index, error, phase: 'produce' })
          if (failuresToPlugin) call(error, item, null)
          continue
        }
        const giveBack = giveBackOf(id, item.doc)
        let opened
        try {
          opened = open(item, giveBack)
        } catch (e) {
          giveBack() // e.g. a corrupt document: its block goes back, the job goes on
          errors.push({ index, error: e, phase: 'produce' })
          if (failuresToPlugin) call(e, item, null)
          continue
        }
        if (opened === null) {
          // Skipped (e.g. the pool was closed): open gave it back, and it was not processed.
          items--
          bytes -= item.bytes
          continue
        }
        call(opened.value, item, opened.close)
      }
      if (batch.done) break
      if (batch.wait !== null) {
        // Nothing ready: blocks released from now on go back at once, so threads waiting
        // for a block are not stuck behind us.
        if (released.length > 0) {
          release(Uint32Array.from(released))
          released = []
        }
        waiting = true
        await batch.wait
        waiting = false
      }
    }
    finished = true
  } finally {
    if (!finished) job.cancel() // after an error: stop the threads
  }
  waiting = true
  if (released.length > 0) release(Uint32Array.from(released))
  released = []
  await Promise.all(pending)
  // Only now, with every block back, does the job give up the blocks it reserved in the
  // pool: a job started by a plugin still holding one must not count on them.
  job.cancel()
  return { items, bytes, errors }
}

function defaultTimeoutError(item, ms) {
  return new PluginTimeoutError(`the plugin's promise for input ${item.index} did not settle within ${ms} ms; its block was released`)
}

module.exports = { runJob }
