'use strict'
// A block checked out of a pool, handed to JS: its bytes (`raw`, `buffer`), the arena
// writes a producer in JS can do, and release. The pool passes itself in; Block calls its
// `_native` (the native pool), `_handOff` and `_release`.

const { StaleBufferError, InvalidArgumentError } = require('raw-transfer-reader/errors')
const { integer } = require('raw-transfer-reader/args')
const { isUint8Array } = require('raw-transfer-reader/raw-buffer')
const { dispose, inspect, installDispose } = require('raw-transfer-reader/symbols')
const { ACTIVE_SIZE } = require('raw-transfer-reader/constants')

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
    return n.usedBytes(this.id)
  }

  /**
   * Copy `bytes` into the arena, 8-byte aligned. Returns `{ ptr, len }`, ptr being the
   * offset in `buffer`. When the block grows past the buffer JS holds, a longer one is
   * handed off: read `raw`/`buffer` again after writing (an earlier RawBuffer stays short).
   */
  writeBytes(bytes) {
    if (!isUint8Array(bytes)) throw new InvalidArgumentError('writeBytes expects a Uint8Array')
    const n = this.#native()
    return this.#reach(n.writeBytes(this.id, bytes))
  }

  /** Copy `str` into the arena as UTF-8. Returns `{ ptr, len }` (len in bytes); see writeBytes. */
  writeString(str) {
    if (typeof str !== 'string') throw new InvalidArgumentError('writeString expects a string')
    const n = this.#native()
    return this.#reach(n.writeString(this.id, str))
  }

  /** After a write: if it ends past the buffer JS holds, hand the block off again (a longer buffer). */
  #reach(written) {
    if (written.ptr + written.len > this.#raw.u8.length) this.handOff()
    return written
  }

  /** Set RawTransferMetadata.data_offset (must be within what was written). */
  setDataOffset(ptr) {
    integer(ptr, 'data offset', 0, ACTIVE_SIZE)
    const n = this.#native()
    n.setDataOffset(this.id, ptr)
  }

  /** A copy of `[ptr, ptr + len)` in a new Node Buffer (outlives the block). */
  copyToBuffer(ptr, len) {
    integer(ptr, 'ptr', 0, ACTIVE_SIZE)
    integer(len, 'len', 0, ACTIVE_SIZE - ptr)
    const n = this.#native()
    return n.copyToBuffer(this.id, ptr, len)
  }

  /** Re-run the hand-off (what a producer does each time it passes the block to JS). Returns the block's RawBuffer, which `raw` then is. */
  handOff() {
    this.#native() // throws StaleBufferError once released
    this.#raw = this.#pool._handOff(this.id)
    return this.#raw
  }

  /** Return the block to the pool. Later use of this Block throws StaleBufferError. */
  release() {
    if (this.#released) return
    this.#released = true
    if (this.#giveBack !== null) this.#giveBack()
    else this.#pool._release(this.id)
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

module.exports = { Block }
