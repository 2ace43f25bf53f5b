'use strict'
// The JS runtime: wraps the native addon's low-level classes into the public API.

const errors = require('./errors')
const { native, PoolClosedError, StaleBufferError, InvalidArgumentError } = errors

module.exports = function runtime(binding) {
  const C = Object.freeze(binding.constants())
  const { RawBuffer, decodeUtf8 } = require('./raw-buffer')(C)
  const { JsonDocument, JsonNode } = require('./json')(C, decodeUtf8)
  const BufferCache = require('./buffer-cache')(RawBuffer)
  const dispose = Symbol.dispose ?? Symbol.for('nodejs.dispose')

  const TRANSFERS = ['auto', 'external', 'copy']

  class FixedSizeAllocatorPool {
    /**
     * @param {{ size?: number, transfer?: 'auto'|'external'|'copy', acquireTimeoutMs?: number }} [options]
     */
    constructor(options = {}) {
      const { size = 4, acquireTimeoutMs = 0, retainBytes = C.DEFAULT_RETAINED_BYTES, maxRetainBytes = C.DEFAULT_MAX_RETAINED_BYTES } = options
      let transfer = options.transfer ?? 'auto'
      if (!TRANSFERS.includes(transfer)) {
        throw new InvalidArgumentError(`transfer must be one of ${TRANSFERS.join(', ')}; got ${transfer}`)
      }
      if (!Number.isInteger(size) || size < 1)
        throw new InvalidArgumentError(`size must be a positive integer; got ${size}`)
      // RAW_TRANSFER_MODE=copy forces the copy fallback wherever the caller left it to us.
      if (transfer === 'auto' && process.env.RAW_TRANSFER_MODE === 'copy') transfer = 'copy'
      this._native = native(() => new binding.NativePool(size, transfer, acquireTimeoutMs, retainBytes, maxRetainBytes))
      this._cache = new BufferCache()
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
    }

    _check() {
      if (this._closed) throw new PoolClosedError('the pool is closed')
    }

    /** Check out a block; it is handed to JS at once (`block.buffer`). */
    acquire() {
      this._check()
      const nb = native(() => this._native.acquire())
      return new Block(this, nb)
    }

    /**
     * Parse JSON text (a string, or UTF-8 bytes) into a block. The document holds the
     * block until `release()`.
     */
    parseJson(text) {
      this._check()
      if (typeof text !== 'string' && !(text instanceof Uint8Array)) {
        throw new InvalidArgumentError('parseJson expects a string or a Uint8Array of UTF-8')
      }
      const nb = native(() => this._native.parseJson(text))
      return new JsonDocument(new Block(this, nb))
    }

    /**
     * Rust threads read and parse `paths` in parallel into this pool's blocks; `plugin(doc,
     * path)` runs on this thread for each. A block returns to the pool when the plugin
     * returns, or when the promise it returns settles. A file that fails calls
     * `plugin(error, path)` with a JsonSyntaxError / RawTransferError (code 'Io' for read
     * errors), and the run goes on. A plugin that throws or rejects is recorded the same way.
     * Resolves to `{ files, bytes, ms, errors }`.
     */
    async parseJsonFiles(paths, plugin, options = {}) {
      this._check()
      if (!Array.isArray(paths) || paths.some((p) => typeof p !== 'string')) {
        throw new InvalidArgumentError('parseJsonFiles expects an array of paths')
      }
      if (typeof plugin !== 'function') throw new InvalidArgumentError('parseJsonFiles expects a plugin function')
      const threads = options.threads ?? 2
      const t0 = performance.now()
      const job = native(() => this._native.startJsonFiles(paths, threads))
      const errors = []
      const pending = new Set()
      let files = 0
      let bytes = 0
      const record = (path, error, phase) => errors.push({ path, error, phase })
      const callPlugin = (arg, path, done) => {
        let result
        try {
          result = plugin(arg, path)
        } catch (e) {
          record(path, e, 'plugin')
          done()
          return
        }
        if (result && typeof result.then === 'function') {
          const p = Promise.resolve(result)
            .catch((e) => record(path, e, 'plugin'))
            .finally(() => {
              pending.delete(p)
              done()
            })
          pending.add(p)
        } else done()
      }
      try {
        await this._drainJob(job, paths, callPlugin, record, (n, b) => {
          files += n
          bytes += b
        })
      } finally {
        job.cancel() // normally a no-op: every thread is done; after an error, stop them
      }
      await Promise.all(pending)
      const result = { files, bytes, ms: performance.now() - t0, errors }
      if (this._closed && files < paths.length) {
        const err = new PoolClosedError(
          `the pool was closed during parseJsonFiles: ${files} of ${paths.length} files were processed`,
        )
        err.result = result
        throw err
      }
      return result
    }

    /** Pull every finished file of `job` and run the plugin on it. */
    async _drainJob(job, paths, callPlugin, record, count) {
      for (;;) {
        const item = await job.next()
        if (item === null) break
        if (item.pending) continue
        const path = paths[item.index]
        count(1, item.bytes)
        if (item.errorCode != null) {
          const err = fileError(item, path)
          record(path, err, err.code === 'Io' ? 'read' : 'parse')
          callPlugin(err, path, () => {})
          continue
        }
        if (this._closed) {
          item.discard()
          continue
        }
        const doc = new JsonDocument(
          new Block(
            this,
            native(() => this._native.adopt(item)),
          ),
        )
        callPlugin(doc, path, () => doc.release())
      }
    }

    /** Receive the hand-off of native block `nb`: its RawBuffer, from the cache after the first time. */
    _receive(nb) {
      const buffer = native(() => nb.handOff())
      const raw = this._cache.receive(nb.id, buffer)
      if (raw.arrayBuffer.byteLength === 0) {
        // Some runtimes (Deno) let an external buffer be transferred with postMessage,
        // which detaches it here.
        throw new StaleBufferError(
          `block ${nb.id}'s buffer was detached (transferred with postMessage?); block buffers cannot be ` +
            'transferred or cloned: send copies (block.copyToBuffer) or plain values instead',
        )
      }
      return raw
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

  /** A checked-out block. Returned to the pool by release() (or `using`). */
  class Block {
    constructor(pool, nb) {
      this._pool = pool
      this._native = nb
      this.id = nb.id
      this.generation = nb.generation
      try {
        this.raw = pool._receive(nb)
      } catch (e) {
        nb.release() // a failed hand-off must not keep the block checked out
        throw e
      }
      this.buffer = this.raw.u8
    }

    get released() {
      return this._native === null
    }

    _nb() {
      if (this._native === null)
        throw new StaleBufferError(`block ${this.id} (generation ${this.generation}) was released`)
      return this._native
    }

    /** Bytes allocated in the block's arena. */
    get usedBytes() {
      return this._nb().usedBytes
    }

    /** Copy `bytes` into the arena, 8-byte aligned. Returns `{ ptr, len }`, ptr being the offset in `buffer`. */
    writeBytes(bytes) {
      if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('writeBytes expects a Uint8Array')
      const nb = this._nb()
      return native(() => nb.writeBytes(bytes))
    }

    /** Copy `str` into the arena as UTF-8. Returns `{ ptr, len }` (len in bytes). */
    writeString(str) {
      if (typeof str !== 'string') throw new InvalidArgumentError('writeString expects a string')
      const nb = this._nb()
      return native(() => nb.writeString(str))
    }

    /** Set RawTransferMetadata.data_offset (must be within what was written). */
    setDataOffset(ptr) {
      if (!Number.isInteger(ptr) || ptr < 0)
        throw new InvalidArgumentError(`data offset must be a non-negative integer; got ${ptr}`)
      const nb = this._nb()
      native(() => nb.setDataOffset(ptr))
    }

    /** A copy of `[ptr, ptr + len)` in a new Node Buffer (outlives the block). */
    copyToBuffer(ptr, len) {
      const nb = this._nb()
      return native(() => nb.copyToBuffer(ptr, len))
    }

    /** Re-run the hand-off (what a producer does each time it passes the block to JS). */
    handOff() {
      const nb = this._nb()
      return this._pool._receive(nb)
    }

    /** Return the block to the pool. Later use of this Block throws StaleBufferError. */
    release() {
      if (this._native === null) return
      const nb = this._native
      this._native = null
      nb.release()
    }

    [dispose]() {
      this.release()
    }
  }

  function fileError(item, path) {
    const message = item.errorMessage
    let err
    if (item.errorCode === 'JsonSyntax') {
      const [offset, line, column] = item.errorPosition
      err = new errors.JsonSyntaxError(`${path}: ${message} at line ${line} column ${column} (byte ${offset})`, {
        offset,
        line,
        column,
        path,
      })
    } else {
      err = errors.fromNative(new Error(`${item.errorCode}: ${path}: ${message}`))
      if (!(err instanceof errors.RawTransferError)) err = new errors.RawTransferError(`${path}: ${message}`)
      err.path = path
    }
    err.code = item.errorCode
    return err
  }

  return {
    ...C,
    JsonDocument,
    JsonNode,
    liveBlocks: () => binding.liveBlocks(),
    FixedSizeAllocatorPool,
    Block,
    RawBuffer,
    BufferCache,
    constants: C,
    ...Object.fromEntries(Object.entries(errors).filter(([k]) => k.endsWith('Error'))),
  }
}
