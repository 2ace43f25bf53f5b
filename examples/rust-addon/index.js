'use strict'
// The example addon: its own .node (only CsvPool and CsvJob) and a small JS wrapper that
// reads the blocks with ./reader.js (raw-transfer-reader, pure JS). Native calls need no
// wrapper for typed errors: loading the reader registers its classes, and the addon throws
// instances of them (a StaleBufferError, a RawTransferError with code 'CsvSyntax', ...).
const path = require('node:path')
const { reader, readTable, fromFailure } = require('./reader')
const { BufferCache, runJob } = reader

const binding = require(path.join(__dirname, 'rust-addon.node'))

/** A pool with its own BufferCache: `parse()` returns rows' block, `release()` gives it back. */
class CsvPool {
  #native
  #cache
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
    return { id: sent.id, generation: sent.generation, raw: this.#cache.receive(sent.id, sent.buffer), firstHandOff: sent.buffer !== null }
  }
  /** Parse CSV text: `{ id, generation, raw, firstHandOff }`; read `raw` (readTable), then `release(id)`. */
  parse(text) {
    return this.#receive(this.#native.parse(text))
  }
  parseFile(file) {
    return this.#receive(this.#native.parseFile(file))
  }
  release(id) {
    this.#native.release(id)
  }
  /**
   * Parse `paths` on `threads` Rust threads; `plugin(rows, path, item)` per file (may return
   * a promise). Resolves to runJob's `{ items, bytes, errors }`.
   */
  parseFiles(paths, plugin, { threads = 2 } = {}) {
    const job = this.#native.startFiles(paths, threads)
    return runJob(job, {
      cache: this.#cache,
      release: (pairs) => this.#native.releaseMany(pairs),
      // A block holds several tables (the job packs small ones): each at its own root.
      open: (item, giveBack) => ({ value: readTable(this.#cache.receive(item.id, null), item.root), close: giveBack }),
      plugin: (rows, item) => plugin(rows, paths[item.index], item),
      fail: (failure, item) => fromFailure(failure, paths[item.index]),
    })
  }
  close() {
    this.#native.close()
    this.#cache.clear()
  }
}

module.exports = { CsvPool, binding, ...require('./reader') }
