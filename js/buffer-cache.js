'use strict'
// Block id -> RawBuffer for one JS environment. Rust sends a block's buffer to an
// environment once; later hand-offs pass `null` and the cache supplies the buffer.

const { InvalidArgumentError, StaleBufferError } = require('./errors')
const { inspect } = require('./symbols')

module.exports = function makeBufferCache(RawBuffer) {
  class BufferCache {
    /** id -> RawBuffer; private, so util.inspect and structuredClone never reach the buffers. */
    #map = new Map()

    /**
     * Take a hand-off: `buffer` the first time this environment sees block `id`, `null`
     * afterwards. Returns the block's RawBuffer.
     */
    receive(id, buffer) {
      if (!Number.isInteger(id) || id <= 0)
        throw new InvalidArgumentError(`block id must be a positive integer, got ${id}`)
      const cached = this.#map.get(id)
      if (buffer === null || buffer === undefined) {
        if (cached === undefined) {
          throw new StaleBufferError(
            `block ${id} was handed off without its buffer, but this cache does not hold it ` +
              '(was the cache cleared or replaced while the pool was open?)',
          )
        }
        return cached
      }
      if (cached !== undefined) {
        // Rust only resends a buffer it believes this environment does not hold.
        throw new InvalidArgumentError(`block ${id} is already cached; a block buffer is sent once per environment`)
      }
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
  return BufferCache
}
