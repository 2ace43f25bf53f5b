'use strict'
// The JS runtime: wraps the native addon's low-level classes into the public API.

const errors = require('./errors')
const { native, PoolClosedError, StaleBufferError, InvalidArgumentError } = errors

module.exports = function runtime(binding) {
  const C = Object.freeze(binding.constants())
  const { RawBuffer } = require('./raw-buffer')(C)
  const BufferCache = require('./buffer-cache')(RawBuffer)
  const dispose = Symbol.dispose ?? Symbol.for('nodejs.dispose')

  const TRANSFERS = ['auto', 'external', 'copy']

  class FixedSizeAllocatorPool {
    /**
     * @param {{ size?: number, transfer?: 'auto'|'external'|'copy', acquireTimeoutMs?: number }} [options]
     */
    constructor(options = {}) {
      const { size = 4, acquireTimeoutMs = 0 } = options
      let transfer = options.transfer ?? 'auto'
      if (!TRANSFERS.includes(transfer)) {
        throw new InvalidArgumentError(`transfer must be one of ${TRANSFERS.join(', ')}; got ${transfer}`)
      }
      if (!Number.isInteger(size) || size < 1) throw new InvalidArgumentError(`size must be a positive integer; got ${size}`)
      // RAW_TRANSFER_MODE=copy forces the copy fallback wherever the caller left it to us.
      if (transfer === 'auto' && process.env.RAW_TRANSFER_MODE === 'copy') transfer = 'copy'
      this._native = native(() => new binding.NativePool(size, transfer, acquireTimeoutMs))
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

    _check() {
      if (this._closed) throw new PoolClosedError('the pool is closed')
    }

    /** Check out a block; it is handed to JS at once (`block.buffer`). */
    acquire() {
      this._check()
      const nb = native(() => this._native.acquire())
      return new Block(this, nb)
    }

    /** Receive the hand-off of native block `nb`: its RawBuffer, from the cache after the first time. */
    _receive(nb) {
      const buffer = native(() => nb.handOff())
      return this._cache.receive(nb.id, buffer)
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
      this.raw = pool._receive(nb)
      this.buffer = this.raw.u8
    }

    get released() {
      return this._native === null
    }

    _nb() {
      if (this._native === null) throw new StaleBufferError(`block ${this.id} (generation ${this.generation}) was released`)
      return this._native
    }

    /** Bytes allocated in the block's arena. */
    get usedBytes() {
      return this._nb().usedBytes
    }

    /** Copy `bytes` into the arena. Returns `{ ptr, len }`, ptr being the offset in `buffer`. */
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
      if (!Number.isInteger(ptr) || ptr < 0) throw new InvalidArgumentError(`data offset must be a non-negative integer; got ${ptr}`)
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

  return {
    ...C,
    liveBlocks: () => binding.liveBlocks(),
    FixedSizeAllocatorPool,
    Block,
    RawBuffer,
    BufferCache,
    constants: C,
    ...Object.fromEntries(Object.entries(errors).filter(([k]) => k.endsWith('Error'))),
  }
}
