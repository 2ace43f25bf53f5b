'use strict'
// The generic driver of a native producer job (raw_transfer::napi::Job): take finished
// items in batches, run the plugin on each, return blocks to the pool in the next batch
// call, record errors. Used by parseJsonFiles and by any addon's own jobs.

const { fromNative, native } = require('./errors')

const STRIDE = 4 // numbers per item in a batch's records (Batch::STRIDE in Rust)

/**
 * Drive `job` (an object with `take(released: Uint32Array | null)` returning the native
 * batch, and `cancel()`) to the end.
 *
 * - `cache`: the BufferCache of the pool the job fills.
 * - `open(item, giveBack)`: make the plugin's value from a block (`item` = `{ index, id,
 *   generation, bytes }`; `cache.receive(item.id, null)` is its RawBuffer), e.g. a lazy
 *   document. Return `{ value, close }`, or `null` to skip the item after calling
 *   `giveBack()`: the driver calls `close()` when the plugin is done with the value
 *   (it returned, or its promise settled). `close()`, or the user releasing the value
 *   earlier, must call `giveBack()` exactly once: that returns the block.
 * - `plugin(value, item)`: runs for each produced item; may return a promise: the block goes
 *   back when it settles.
 * - `fail(error, item)`: for an item the producer failed on (`error` = `{ code, message,
 *   position }`, from Rust); return what to record as the error (e.g. a typed Error).
 * - `failuresToPlugin`: also call `plugin(thatError, item)` for failed items.
 * - `release(ids)`: return blocks at once (used when an async plugin settles while the
 *   driver waits for more).
 *
 * Resolves to `{ items, bytes, errors }`; `errors` lists `{ index, error, phase }` with
 * phase 'produce' or 'plugin'. A plugin that throws is recorded and the job goes on.
 */
async function runJob(job, { cache, open, plugin, fail, release, failuresToPlugin = false }) {
  let released = []
  const errors = []
  const pending = new Set()
  let items = 0
  let bytes = 0
  let waiting = false

  // While the driver waits for more, a block given back must go back at once: producer
  // threads may be waiting for it.
  const giveBackOf = (id) => () => {
    if (waiting) release(Uint32Array.of(id))
    else released.push(id)
  }

  // Run the plugin; `close` (if any) when it is done, whether it returned, threw or settled.
  const call = (value, item, close) => {
    let result
    try {
      result = plugin(value, item)
    } catch (e) {
      errors.push({ index: item.index, error: e, phase: 'plugin' })
      if (close !== null) close()
      return
    }
    if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
      const p = Promise.resolve(result)
        .catch((e) => {
          errors.push({ index: item.index, error: e, phase: 'plugin' })
        })
        .finally(() => {
          pending.delete(p)
          if (close !== null) close()
        })
      pending.add(p)
    } else if (close !== null) close()
  }

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
        const item = { index, id, generation: records[r + 2], bytes: records[r + 3] }
        items++
        bytes += item.bytes
        if (id === 0) {
          item.generation = 0
          const error = fail(failures[records[r + 2]], item)
          errors.push({ index, error, phase: 'produce' })
          if (failuresToPlugin) call(error, item, null)
          continue
        }
        const giveBack = giveBackOf(id)
        const opened = open(item, giveBack)
        if (opened === null) continue // skipped (e.g. the pool was closed): open gave it back
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
  } finally {
    job.cancel() // normally a no-op: every input is done; after an error, stop the threads
  }
  waiting = true
  if (released.length > 0) release(Uint32Array.from(released))
  released = []
  await Promise.all(pending)
  return { items, bytes, errors }
}

module.exports = { runJob, fromNative }
