'use strict'
// The example addon: its own .node (only CsvPool and CsvJob), the reader generated from
// src/lib.rs's Table (./generated/csv.js: lazy views, toJS(), visit(), types) and a small
// wrapper, on raw-transfer-reader only (pure JS). Native calls need no wrapper for typed
// errors: loading the reader registers its classes, and the addon throws instances of them
// (a StaleBufferError, a RawTransferError with code 'CsvSyntax', ...).
const path = require('node:path')
const reader = require('raw-transfer-reader')
const csv = require('./generated/csv.js')

const { BufferCache, runJob } = reader
const { readTable } = csv

const binding = require(path.join(__dirname, 'rust-addon.node'))

/** A job failure (`{ code, message, position }` from Rust) as a typed error, named after `what`. */
const fromFailure = (failure, what) => reader.failureError(failure, what)

/** A pool with its own BufferCache: `parse()` returns a block's Table, `release(id)` gives it back. */
class CsvPool {
  #native
  #cache
  /** Block id -> the Table parse() read from it: release(id) marks its views stale. */
  #tables = new Map()
  constructor({ size = 2, transfer = 'auto', cache } = {}) {
    const pool = new binding.CsvPool(size, transfer)
    this.#native = pool
    // The pool sends a block's buffer once; `resend` gets it again for a cache that lost it.
    this.#cache = cache ?? new BufferCache((id) => pool.resend(id))
  }
  get native() {
    return this.#native
  }
  get cache() {
    return this.#cache
  }
  get transferMode() {
    return this.#native.transferMode
  }
  stats() {
    return this.#native.stats()
  }
  #receive(sent) {
    const raw = this.#cache.receive(sent.id, sent.buffer)
    let table
    try {
      table = readTable({ raw, generation: sent.generation }) // checks the layout hash
    } catch (e) {
      this.#native.release(sent.id)
      throw e
    }
    this.#tables.set(sent.id, table)
    return { id: sent.id, generation: sent.generation, raw, firstHandOff: sent.buffer !== null, table }
  }
  /**
   * Parse CSV text: `{ id, generation, raw, firstHandOff, table }` (`table`: a lazy view of
   * the block; `table.rows.toJS()` for plain objects); read it, then `release(id)`.
   */
  parse(text) {
    return this.#receive(this.#native.parse(text))
  }
  parseFile(file) {
    return this.#receive(this.#native.parseFile(file))
  }
  /** Give block `id` back; the Table read from it (and every view of it) is stale from now on. */
  release(id) {
    this.#native.release(id)
    const table = this.#tables.get(id)
    if (table !== undefined) {
      this.#tables.delete(id)
      csv.release(table)
    }
  }
  /**
   * Parse `paths` on `threads` Rust threads; `plugin(rows, path, item)` per file (`rows`: a
   * lazy list of Row views; may return a promise). Resolves to runJob's `{ items, bytes, errors }`.
   */
  parseFiles(paths, plugin, { threads = 2 } = {}) {
    const job = this.#native.startFiles(paths, threads)
    return runJob(job, {
      cache: this.#cache,
      release: (pairs) => this.#native.releaseMany(pairs),
      // A block holds several tables (the job packs small ones): each at its own root.
      open: (item, giveBack) => {
        const raw = this.#cache.receive(item.id, null)
        const table = readTable({ raw, root: item.root, generation: item.generation })
        // The rows go stale with their document, not only once the whole block goes back.
        return { value: table.rows, close: () => (csv.release(table), giveBack()) }
      },
      plugin: (rows, item) => plugin(rows, paths[item.index], item),
      fail: (failure, item) => fromFailure(failure, paths[item.index]),
    })
  }
  close() {
    this.#native.close()
    this.#cache.clear()
  }
}

module.exports = { CsvPool, binding, reader, csv, readTable, fromFailure }
