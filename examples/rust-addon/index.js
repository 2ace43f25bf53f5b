'use strict'
// The example addon's JS: its native CsvPool, read with raw-transfer/reader (pure JS: this
// package never loads raw-transfer's own .node).
const { BufferCache, fromNative, native, runJob, RawTransferError } = require('raw-transfer/reader')
const binding = require('./csv-addon.node')

const FORMAT = 0xc5f00001
const ROW_SIZE = 24

/** The rows of a table block as plain values (reads only what Rust wrote). */
function readRows(raw) {
  if (raw.u32[(raw.u32.length - 4) + 2] !== FORMAT) throw new RawTransferError('not a CSV table block')
  const table = raw.dataOffset
  const rows = raw.ptr(table)
  const len = raw.u32[(table + 8) >> 2]
  const out = new Array(len)
  for (let i = 0; i < len; i++) {
    const row = rows + i * ROW_SIZE
    out[i] = { name: raw.str(raw.ptr(row), raw.u32[(row + 8) >> 2]), value: raw.f64[(row + 16) >> 3] }
  }
  return out
}

class CsvPool {
  constructor({ size = 2, transfer = 'auto' } = {}) {
    this.native = native(() => new binding.CsvPool(size, transfer))
    this.cache = new BufferCache()
  }
  get transferMode() {
    return this.native.transferMode
  }
  /** Parse CSV text: `{ id, generation, raw, firstHandOff }`; call release(id) when done. */
  parse(text) {
    const sent = native(() => this.native.parse(text))
    return { id: sent.id, generation: sent.generation, raw: this.cache.receive(sent.id, sent.buffer), firstHandOff: sent.buffer !== null }
  }
  release(id) {
    native(() => this.native.release(id))
  }
  /** Parse files on Rust threads; `plugin(rows, path)` per file. */
  async parseFiles(paths, plugin, { threads = 2 } = {}) {
    const job = native(() => this.native.startFiles(paths, threads))
    return runJob(job, {
      cache: this.cache,
      release: (ids) => this.native.releaseMany(ids),
      open: (item, giveBack) => ({ value: readRows(this.cache.receive(item.id, null)), close: giveBack }),
      plugin: (rows, item) => plugin(rows, paths[item.index]),
      fail: (failure, item) => {
        const err = fromNative(new Error(`${failure.code}: ${paths[item.index]}: ${failure.message}`))
        err.code = failure.code
        return err
      },
    })
  }
  close() {
    this.native.close()
    this.cache.clear()
  }
}

module.exports = { CsvPool, readRows, binding }
