'use strict'
// JsonPool over the native pool class of a binding: blocks checked out by id (the native
// side keeps which ids this environment holds), JSON parsed into them, files parsed on Rust
// threads with the plugin run here.

const { failureError, PoolClosedError, InvalidArgumentError, PluginTimeoutError } = require('raw-transfer-reader/errors')
const { MAX_TIMEOUT_MS, show, integer, knownOptions, integerOption, stringArray } = require('raw-transfer-reader/args')
const { isUint8Array } = require('raw-transfer-reader/raw-buffer')
const BufferCache = require('raw-transfer-reader/buffer-cache')
const { dispose, installDispose } = require('raw-transfer-reader/symbols')
const C = require('raw-transfer-reader/constants')
const { runJob } = require('raw-transfer-reader/run-job')
const { createDocument } = require('../json/document')
require('../json/errors') // maps 'JsonSyntax' errors to JsonSyntaxError
const { utf8Of, releaseScratch } = require('../json/input')
const { Block } = require('./block')

const TRANSFERS = ['auto', 'external', 'copy']
// The native pool's own limits (src/addon/pool.rs): checked here first, so that a wrong
// number is an InvalidArgumentError from JS whatever the native side would make of it.
const MAX_POOL_SIZE = 4096
// The option names each takes (index.d.ts: PoolOptions, JsonFilesOptions); others are typos.
const POOL_OPTIONS = ['size', 'transfer', 'acquireTimeoutMs', 'retainBytes', 'maxRetainBytes']
const JSON_FILES_OPTIONS = ['threads', 'maxBlocks', 'pluginTimeoutMs']

/** The JsonPool class over `binding.NativePool` (a binding, or a test's fake of one). */
module.exports = function makeJsonPool(binding) {
  class JsonPool {
    /**
     * @param {{ size?: number, transfer?: 'auto'|'external'|'copy', acquireTimeoutMs?: number,
     *   retainBytes?: number, maxRetainBytes?: number }} [options] undefined fields take their defaults
     */
    constructor(options) {
      options = knownOptions(options, POOL_OPTIONS, 'JsonPool')
      const size = integerOption(options, 'size', 4, 1, MAX_POOL_SIZE)
      const acquireTimeoutMs = integerOption(options, 'acquireTimeoutMs', 0, 0, MAX_TIMEOUT_MS)
      const retainBytes = integerOption(options, 'retainBytes', C.DEFAULT_RETAINED_BYTES, 0, C.ACTIVE_SIZE)
      const maxRetainBytes = integerOption(options, 'maxRetainBytes', C.DEFAULT_MAX_RETAINED_BYTES, 0, C.ACTIVE_SIZE)
      let transfer = options.transfer === undefined ? 'auto' : options.transfer
      if (!TRANSFERS.includes(transfer)) {
        throw new InvalidArgumentError(`transfer must be one of ${TRANSFERS.join(', ')}; got ${show(transfer)}`)
      }
      // RAW_TRANSFER_MODE=copy forces the copy fallback wherever the caller left it to us.
      if (transfer === 'auto' && process.env.RAW_TRANSFER_MODE === 'copy') transfer = 'copy'
      this._native = new binding.NativePool(size, transfer, acquireTimeoutMs, retainBytes, maxRetainBytes)
      this._cache = new BufferCache((id) => this._native.resend(id))
      // The native pool's hot calls as plain Node-API functions (`parseJson`, `acquire`,
      // `handOff`, `release`): a napi-rs method costs more per call than parsing a small document.
      this._fast = this._native.fastCalls()
      this._closed = false
    }

    get size() {
      return this._native.size
    }
    /** 'external' (zero-copy) or 'copy' (fallback). */
    get transferMode() {
      return this._native.transferMode
    }
    get closed() {
      return this._closed
    }
    /** The cache of buffers this pool has handed to this environment. */
    get cache() {
      return this._cache
    }

    stats() {
      return this._native.stats()
    }

    /** Give the memory idle blocks keep for future documents back to the OS. */
    trim() {
      this._check()
      this._native.trim()
      releaseScratch()
    }

    _check() {
      if (this._closed) throw new PoolClosedError('the pool is closed')
    }

    /** Check out a block; it is handed to JS at once (`block.buffer`). */
    acquire() {
      this._check()
      return this._block(this._fast.acquire())
    }

    /**
     * Turn a hand-off into a Block (releasing it if that fails): a record `{ id, generation,
     * buffer }`, or the number a fast call returns for a hand-off with no buffer,
     * `id × 2^32 + generation`.
     */
    _block(sent) {
      let id, generation, buffer
      if (typeof sent === 'number') {
        generation = sent >>> 0 // the low 32 bits
        id = (sent / 4294967296) >>> 0 // a small integer, as the object form gives
        buffer = null
      } else {
        ;({ id, generation, buffer } = sent)
      }
      let raw
      try {
        // A buffer JS detached (a runtime that lets an external buffer be transferred) is
        // resent by the cache, or refused by the native side with a StaleBufferError.
        raw = this._cache.receive(id, buffer)
      } catch (e) {
        this._release(id) // a failed hand-off must not keep the block checked out
        throw e
      }
      return new Block(this, id, generation, raw)
    }

    /** The native pool's fast calls (tests reach them). */
    _fastCalls() {
      return this._fast
    }

    /** Hand checked-out block `id` off again (Block.handOff): its RawBuffer. */
    _handOff(id) {
      const sent = this._fast.handOff(id)
      return this._cache.receive(id, typeof sent === 'number' ? null : sent.buffer)
    }

    /** Give block `id` back (Block.release). */
    _release(id) {
      this._fast.release(id)
    }

    /**
     * Parse JSON text (a string, or UTF-8 bytes) into a block. The document holds the
     * block until `release()`.
     */
    parseJson(text) {
      this._check()
      if (typeof text !== 'string' && !isUint8Array(text)) {
        throw new InvalidArgumentError('parseJson expects a string or a Uint8Array of UTF-8')
      }
      if (typeof text === 'string') {
        // Rust copies the string out as UTF-16 and transcodes it (several times faster than
        // TextEncoder), then skips the UTF-8 check. A string with lone surrogates would lose
        // them that way: the call says so with null (it took no block), and the string goes
        // as UTF-8 bytes with them written as escapes (js/json/input.js).
        const sent = this._fast.parseJsonString(text)
        if (sent !== null) return createDocument(this._block(sent))
        return createDocument(this._block(this._fast.parseJson(utf8Of(text))))
      }
      return createDocument(this._block(this._fast.parseJson(text)))
    }

    /**
     * Rust threads read and parse `paths` in parallel into this pool's blocks; `plugin(doc,
     * path, index)` runs on this thread for each (`index` its position in `paths`, which
     * tells apart a path given twice). A block returns to the pool when the plugin
     * returns, or when the promise it returns settles. A file that fails calls
     * `plugin(error, path)` with a JsonSyntaxError / RawTransferError (code 'Io' for read
     * errors), and the run goes on. A plugin that throws or rejects is recorded the same way,
     * and so is one whose promise has not settled after `pluginTimeoutMs` (PluginTimeoutError:
     * its block is released). Resolves to `{ files, bytes, ms, errors }`.
     */
    async parseJsonFiles(paths, plugin, options) {
      this._check()
      paths = stringArray(paths, 'parseJsonFiles expects an array of paths')
      if (typeof plugin !== 'function') throw new InvalidArgumentError('parseJsonFiles expects a plugin function')
      options = knownOptions(options, JSON_FILES_OPTIONS, 'parseJsonFiles')
      const threads = integerOption(options, 'threads', 2, 1, 64)
      // 0: the job's default (what other running jobs leave of the pool).
      const maxBlocks = integerOption(options, 'maxBlocks', 0, 0, this.size)
      const pluginTimeoutMs = options.pluginTimeoutMs
      if (pluginTimeoutMs !== undefined) integer(pluginTimeoutMs, 'pluginTimeoutMs', 1, MAX_TIMEOUT_MS)
      const t0 = performance.now()
      // The paths cross as one string (one conversion, where an array costs a few native
      // calls per path); the array when a path holds a NUL, which would split it, or when
      // together they are longer than the longest string.
      let joined = null
      if (paths.length > 0) {
        try {
          joined = paths.join('\0')
        } catch (e) {
          if (!(e instanceof RangeError)) throw e
        }
      }
      const job =
        (joined !== null ? this._native.startJsonFilesJoined(joined, paths.length, threads, maxBlocks) : null) ??
        this._native.startJsonFiles(paths, threads, maxBlocks)
      const pool = this
      const { items, bytes, errors } = await runJob(job, {
        cache: this._cache,
        release: (ids) => this._native.releaseMany(ids),
        open(item, giveBack) {
          if (pool._closed) {
            giveBack() // closed mid-run: the block only goes back
            return null
          }
          // One document of the block (a job packs small ones together): its own root and release.
          const block = new Block(pool, item.id, item.generation, pool._cache.receive(item.id, null), giveBack)
          const doc = createDocument(block, item.root)
          return { value: doc, close: () => doc.release() }
        },
        plugin: (doc, item) => plugin(doc, paths[item.index], item.index),
        // Named after its file, with Node's fs error fields for a read error.
        fail: (failure, item) => failureError(failure, paths[item.index]),
        failuresToPlugin: true,
        pluginTimeoutMs,
        timeoutError(item, ms) {
          const path = paths[item.index]
          const err = new PluginTimeoutError(
            `${path}: the plugin's promise did not settle within ${ms} ms (pluginTimeoutMs); ` +
              'its document was released and the run went on',
          )
          err.path = path
          return err
        },
      })
      const result = {
        files: items,
        bytes,
        ms: performance.now() - t0,
        errors: errors.map(({ index, error, phase }) => ({
          path: paths[index],
          index,
          error,
          phase: phase === 'plugin' ? 'plugin' : error.code === 'Io' || error.syscall !== undefined ? 'read' : 'parse',
        })),
      }
      if (this._closed && items < paths.length) {
        const err = new PoolClosedError(
          `the pool was closed during parseJsonFiles: ${items} of ${paths.length} files were processed`,
        )
        err.result = result
        throw err
      }
      return result
    }

    /** Rust lets go of its blocks and this package drops its references; blocks user code still references are freed by the GC. */
    close() {
      if (this._closed) return
      this._closed = true
      this._native.close()
      this._cache.clear()
    }

    [dispose]() {
      this.close()
    }
  }

  installDispose(JsonPool.prototype)
  return JsonPool
}
