'use strict'
// The JS runtime: wraps the native addon's pool class into the public API. Blocks are
// named by id; the native side keeps which ids this environment holds.

const util = require('node:util')
const errors = require('./errors')
const { native, PoolClosedError, StaleBufferError, InvalidArgumentError, PluginTimeoutError } = errors
const { runJob } = require('./job')
const { runParallel, runJsonPlugins, createJsonPluginHost, createParallelHost } = require('./parallel')
const { utf8Of, releaseScratch } = require('./input')
const { MAX_TIMEOUT_MS, show, integer, knownOptions, integerOption, stringArray } = require('./args')
const C = require('./constants')

module.exports = function runtime(binding) {
  const { RawBuffer, decodeUtf8, isUint8Array } = require('./raw-buffer')(C)
  const { JsonDocument, JsonNode, createDocument } = require('./json')(C, decodeUtf8)
  const BufferCache = require('./buffer-cache')(RawBuffer)
  // Symbol.dispose where it exists, else the fallback TypeScript's and esbuild's `using`
  // helpers look up; installDispose adds the other keys (vm contexts have none on Node 20).
  const { dispose, inspect, installDispose } = require('./symbols')

  const TRANSFERS = ['auto', 'external', 'copy']
  // The native pool's own limits (src/addon/pool.rs): checked here first, so that a wrong
  // number is an InvalidArgumentError from JS whatever the native side would make of it.
  const MAX_POOL_SIZE = 4096
  // The option names each takes (index.d.ts: PoolOptions, JsonFilesOptions); others are typos.
  const POOL_OPTIONS = ['size', 'transfer', 'acquireTimeoutMs', 'retainBytes', 'maxRetainBytes']
  const JSON_FILES_OPTIONS = ['threads', 'maxBlocks', 'pluginTimeoutMs']

  class FixedSizeAllocatorPool {
    /**
     * @param {{ size?: number, transfer?: 'auto'|'external'|'copy', acquireTimeoutMs?: number,
     *   retainBytes?: number, maxRetainBytes?: number }} [options] undefined fields take their defaults
     */
    constructor(options) {
      options = knownOptions(options, POOL_OPTIONS, 'FixedSizeAllocatorPool')
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
      this._native = native(() => new binding.NativePool(size, transfer, acquireTimeoutMs, retainBytes, maxRetainBytes))
      this._cache = new BufferCache((id) => native(() => this._native.resend(id)))
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
      return this._block(native(() => this._native.acquire()))
    }

    /** Turn a hand-off record `{ id, generation, buffer }` into a Block (releasing it if that fails). */
    _block(sent) {
      let raw
      try {
        raw = this._receive(sent)
      } catch (e) {
        this._native.release(sent.id) // a failed hand-off must not keep the block checked out
        throw e
      }
      return new Block(this, sent.id, sent.generation, raw)
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
      // A string with lone surrogates would lose them on the way to UTF-8 (see js/input.js).
      const input = typeof text === 'string' ? utf8Of(text) : text
      return createDocument(this._block(native(() => this._native.parseJson(input))))
    }

    /**
     * Rust threads read and parse `paths` in parallel into this pool's blocks; `plugin(doc,
     * path)` runs on this thread for each. A block returns to the pool when the plugin
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
      const job = native(() => this._native.startJsonFiles(paths, threads, maxBlocks))
      const pool = this
      const { items, bytes, errors } = await runJob(job, {
        cache: this._cache,
        release: (ids) => this._native.releaseMany(ids),
        open(item, giveBack) {
          if (pool._closed) {
            giveBack() // closed mid-run: the block only goes back
            return null
          }
          const block = new Block(pool, item.id, item.generation, pool._cache.receive(item.id, null), giveBack)
          const doc = createDocument(block)
          return { value: doc, close: () => doc.release() }
        },
        plugin: (doc, item) => plugin(doc, paths[item.index]),
        fail: (failure, item) => fileError(failure, paths[item.index]),
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

    /** Receive a hand-off record: the block's RawBuffer, from the cache after the first time. */
    _receive(sent) {
      const raw = this._cache.receive(sent.id, sent.buffer)
      if (raw.arrayBuffer.byteLength === 0) {
        // Some runtimes (Deno) let an external buffer be transferred with postMessage,
        // which detaches it here.
        throw new StaleBufferError(
          `block ${sent.id}'s buffer was detached (transferred with postMessage?); block buffers cannot be ` +
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

  const BLOCK_NOT_CLONEABLE = Symbol('raw-transfer: a Block cannot be cloned or posted; send block.copyToBuffer(ptr, len)')

  /** A checked-out block. Returned to the pool by release() (or `using`). */
  class Block {
    // Private (and read through prototype getters): a clone never reaches the 2 GiB buffer,
    // and a Block is cheap to make (one per file in parseJsonFiles).
    #pool
    #id
    #generation
    #raw
    #giveBack
    #released = false
    constructor(pool, id, generation, raw, giveBack) {
      this.#pool = pool
      this.#id = id
      this.#generation = generation
      this.#raw = raw
      this.#giveBack = giveBack ?? null
    }

    get id() {
      return this.#id
    }
    get generation() {
      return this.#generation
    }
    /** The block's RawBuffer. */
    get raw() {
      return this.#raw
    }
    /** The block's bytes (`raw.u8`). */
    get buffer() {
      return this.#raw.u8
    }

    get released() {
      return this.#released
    }

    #native() {
      if (this.#released) throw new StaleBufferError(`block ${this.id} (generation ${this.generation}) was released`)
      return this.#pool._native
    }

    /** Bytes allocated in the block's arena. */
    get usedBytes() {
      const n = this.#native()
      return native(() => n.usedBytes(this.id))
    }

    /** Copy `bytes` into the arena, 8-byte aligned. Returns `{ ptr, len }`, ptr being the offset in `buffer`. */
    writeBytes(bytes) {
      if (!isUint8Array(bytes)) throw new InvalidArgumentError('writeBytes expects a Uint8Array')
      const n = this.#native()
      return native(() => n.writeBytes(this.id, bytes))
    }

    /** Copy `str` into the arena as UTF-8. Returns `{ ptr, len }` (len in bytes). */
    writeString(str) {
      if (typeof str !== 'string') throw new InvalidArgumentError('writeString expects a string')
      const n = this.#native()
      return native(() => n.writeString(this.id, str))
    }

    /** Set RawTransferMetadata.data_offset (must be within what was written). */
    setDataOffset(ptr) {
      integer(ptr, 'data offset', 0, C.ACTIVE_SIZE)
      const n = this.#native()
      native(() => n.setDataOffset(this.id, ptr))
    }

    /** A copy of `[ptr, ptr + len)` in a new Node Buffer (outlives the block). */
    copyToBuffer(ptr, len) {
      integer(ptr, 'ptr', 0, C.ACTIVE_SIZE)
      integer(len, 'len', 0, C.ACTIVE_SIZE - ptr)
      const n = this.#native()
      return native(() => n.copyToBuffer(this.id, ptr, len))
    }

    /** Re-run the hand-off (what a producer does each time it passes the block to JS). */
    handOff() {
      const n = this.#native()
      return this.#pool._receive(native(() => n.handOff(this.id)))
    }

    /** Return the block to the pool. Later use of this Block throws StaleBufferError. */
    release() {
      if (this.#released) return
      this.#released = true
      if (this.#giveBack !== null) this.#giveBack()
      else native(() => this.#pool._native.release(this.id))
    }

    [dispose]() {
      this.release()
    }

    [inspect]() {
      return `Block <id ${this.id}, generation ${this.generation}${this.#released ? ', released' : ''}>`
    }
  }
  installDispose(Block.prototype)
  // No own enumerable property (its state is #private): a clone of a Block is `{}`, never
  // its buffer; the parallel hosts refuse one as a plugin's result.
  Object.defineProperty(Block.prototype, 'notCloneable', { value: BLOCK_NOT_CLONEABLE })
  installDispose(FixedSizeAllocatorPool.prototype)

  /** The typed error for a file the producer failed on (`{ code, message, position }` from Rust). */
  function fileError(failure, path) {
    const { code, message, position } = failure
    let err
    if (code === 'JsonSyntax' && position !== null) {
      const [offset, line, column] = position
      err = new errors.JsonSyntaxError(`${path}: ${message} at line ${line} column ${column} (byte ${offset})`, {
        offset,
        line,
        column,
        path,
      })
    } else {
      err = errors.fromNative(new Error(`${code}: ${path}: ${message}`))
      if (!(err instanceof errors.RawTransferError)) err = new errors.RawTransferError(`${path}: ${message}`)
      err.path = path
    }
    err.code = code
    if (typeof failure.errno === 'number') {
      // As Node's fs errors: code 'ENOENT', errno -2, syscall 'open', path.
      err.code = systemErrorName(failure.errno) ?? code
      err.errno = -failure.errno
      err.syscall = failure.syscall
    }
    return err
  }

  function systemErrorName(errno) {
    try {
      return util.getSystemErrorName(-errno)
    } catch {
      return undefined
    }
  }

  return {
    ...C,
    JsonDocument,
    JsonNode,
    liveBlocks: () => binding.liveBlocks(),
    /** Diagnostics: `[id, poolId, ownerCount]` of every live block (owner count 1: held by Rust alone). */
    liveBlockOwners: () => binding.liveBlockOwners(),
    FixedSizeAllocatorPool,
    Block,
    runJob,
    runParallel,
    runJsonPlugins,
    createJsonPluginHost,
    createParallelHost,
    RawBuffer,
    BufferCache,
    constants: C,
    ...Object.fromEntries(Object.entries(errors).filter(([k]) => k.endsWith('Error'))),
  }
}
