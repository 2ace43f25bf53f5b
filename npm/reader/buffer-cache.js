'use strict'
// Block id -> RawBuffer for one JS environment. Rust sends a block's buffer to an
// environment once; later hand-offs pass `null` and the cache supplies the buffer.

const { InvalidArgumentError, StaleBufferError } = require('./errors')
const { inspect } = require('./symbols')
const { RawBuffer } = require('./raw-buffer')

class BufferCache {
  /** id -> RawBuffer; private, so util.inspect and structuredClone never reach the buffers. */
  #map = new Map()
  #resend

  /**
   * `resend(id)`: the block's buffer again, from the pool that handed it (a native pool's
   * `resend`). With it, a cache that lost a buffer (cleared, or a copy-mode buffer
   * transferred away) asks for it instead of failing every later hand-off of that block.
   */
  constructor(resend) {
    if (resend !== undefined && typeof resend !== 'function') {
      throw new InvalidArgumentError('BufferCache: resend must be a function or undefined')
    }
    this.#resend = resend ?? null
  }

  /**
   * Take a hand-off: `buffer` the first time this environment sees block `id` (or when the
   * pool sends a new one), `null` afterwards. Returns the block's RawBuffer.
   */
  receive(id, buffer) {
    if (!Number.isInteger(id) || id <= 0)
      throw new InvalidArgumentError(`block id must be a positive integer, got ${id}`)
    if (buffer === null || buffer === undefined) {
      const cached = this.#map.get(id)
      if (cached !== undefined && cached.arrayBuffer.byteLength !== 0) return cached
      if (this.#resend === null) {
        throw new StaleBufferError(
          cached === undefined
            ? `block ${id} was handed off without its buffer, but this cache does not hold it ` +
                '(was the cache cleared or replaced while the pool was open?)'
            : `block ${id}'s cached buffer was detached (transferred with postMessage?)`,
        )
      }
      buffer = this.#resend(id)
    }
    // A buffer for a cached id replaces it: the pool sends one again only when the one
    // sent before is gone (detached, or this cache was cleared).
    const raw = buffer instanceof RawBuffer ? buffer : new RawBuffer(buffer)
    this.#map.set(id, raw)
    return raw
  }

  get(id) {
    return this.#map.get(id)
  }
  has(id) {
    return this.#map.has(id)
  }
  get size() {
    return this.#map.size
  }
  /** Drop every reference (the GC then frees blocks Rust no longer owns). */
  clear() {
    this.#map.clear()
  }

  /** console.log / util.inspect: the ids held, never the buffers. */
  [inspect]() {
    const ids = [...this.#map.keys()]
    return `BufferCache <${ids.length} ${ids.length === 1 ? 'block' : 'blocks'}${ids.length ? `: ${ids.slice(0, 8).join(', ')}${ids.length > 8 ? ', …' : ''}` : ''}>`
  }
}
module.exports = BufferCache
