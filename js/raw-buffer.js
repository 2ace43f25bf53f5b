'use strict'
// The JS reader over a block's buffer: cached typed-array views, pointer and string
// readers, and the RawTransferMetadata fields. Layout constants come from Rust.

const { InvalidArgumentError, StaleBufferError } = require('./errors')

module.exports = function makeRawBuffer(C) {
  const { BUFFER_SIZE, RAW_METADATA_OFFSET, META_DATA_OFFSET, META_GENERATION } = C
  const META_U32 = RAW_METADATA_OFFSET >> 2

  // `Buffer#utf8Slice` / `latin1Slice` are undocumented but present in every Node, Bun and
  // Deno we test; fall back to TextDecoder where they are missing.
  const BufferCtor = typeof Buffer === 'function' ? Buffer : undefined
  const hasUtf8Slice = !!(BufferCtor && typeof BufferCtor.prototype.utf8Slice === 'function')
  const decoder = new TextDecoder('utf-8')
  const fromCharCode = String.fromCharCode

  /**
   * Decode `len` bytes of UTF-8 at `pos` of `u8`. Up to 8 ASCII bytes, a fromCharCode loop;
   * past that the loop falls behind the native decoders (bench/strings.js: 24 bytes take 10x
   * longer than latin1Slice/utf8Slice).
   */
  function decodeUtf8(u8, buf, pos, len) {
    if (len <= 8) {
      let s = ''
      const end = pos + len
      for (let i = pos; i < end; i++) {
        const c = u8[i]
        if (c >= 0x80) return slowDecode(u8, buf, pos, len)
        s += fromCharCode(c)
      }
      return s
    }
    return slowDecode(u8, buf, pos, len)
  }

  function slowDecode(u8, buf, pos, len) {
    if (buf !== null) return buf.utf8Slice(pos, pos + len)
    return decoder.decode(u8.subarray(pos, pos + len))
  }

  function toArrayBuffer(bufferLike, what) {
    let ab = bufferLike
    let problem = null
    if (ArrayBuffer.isView(bufferLike)) {
      ab = bufferLike.buffer
      if (bufferLike.byteOffset !== 0 || bufferLike.byteLength !== BUFFER_SIZE) {
        problem = `a view of ${bufferLike.byteLength} bytes at offset ${bufferLike.byteOffset}`
      }
    }
    if (problem === null) {
      if (!(ab instanceof ArrayBuffer)) problem = `a ${ab === null ? 'null' : typeof ab}`
      else if (ab.byteLength === 0) problem = 'a detached or empty ArrayBuffer'
      else if (ab.byteLength !== BUFFER_SIZE) problem = `an ArrayBuffer of ${ab.byteLength} bytes`
    }
    if (problem !== null) {
      throw new InvalidArgumentError(
        `${what} expects a whole block buffer from raw-transfer (an ArrayBuffer of ${BUFFER_SIZE} bytes, ` +
          `or a Uint8Array over all of it); got ${problem}`,
      )
    }
    return ab
  }

  class RawBuffer {
    /** @param {ArrayBuffer | Uint8Array} buffer a block buffer received from Rust */
    constructor(buffer) {
      const ab = toArrayBuffer(buffer, 'RawBuffer')
      this.arrayBuffer = ab
      this.u8 = new Uint8Array(ab)
      this.u32 = new Uint32Array(ab)
      this._i32 = null
      this._f64 = null
      this._u16 = null
      this._buf = undefined
    }

    get i32() {
      return this._i32 ?? (this._i32 = new Int32Array(this.arrayBuffer))
    }
    get f64() {
      return this._f64 ?? (this._f64 = new Float64Array(this.arrayBuffer))
    }
    get u16() {
      return this._u16 ?? (this._u16 = new Uint16Array(this.arrayBuffer))
    }
    /** A Node `Buffer` view over the block (no copy), or null outside Node-compatible runtimes. */
    get nodeBuffer() {
      if (this._buf === undefined) this._buf = hasUtf8Slice ? BufferCtor.from(this.arrayBuffer) : null
      return this._buf
    }

    /** Low 32 bits of the 8-byte pointer stored at byte `pos` (8-aligned): an offset into this buffer. */
    ptr(pos) {
      return this.u32[pos >> 2]
    }

    /** The UTF-8 string of `len` bytes at offset `ptr`. */
    str(ptr, len) {
      if (ptr + len > BUFFER_SIZE || ptr < 0 || len < 0) {
        throw new InvalidArgumentError(`string range [${ptr}, ${ptr + len}) is outside the buffer`)
      }
      return decodeUtf8(this.u8, this.nodeBuffer, ptr, len)
    }

    /** `RawTransferMetadata.data_offset`: where the producer's root structure starts. */
    get dataOffset() {
      return this.u32[META_U32 + META_DATA_OFFSET]
    }

    /** `RawTransferMetadata.generation`: bumped each time the block is reused. */
    get generation() {
      return this.u32[META_U32 + META_GENERATION]
    }

    /** Throw StaleBufferError if the block has been reused since `generation`. */
    assertGeneration(generation) {
      const now = this.u32[META_U32 + META_GENERATION]
      if (now !== generation) {
        throw new StaleBufferError(
          `this view is of generation ${generation} of its block, which now holds generation ${now}: ` +
            'the block was released and reused; do not keep views past release()',
        )
      }
    }
  }

  return { RawBuffer, toArrayBuffer, decodeUtf8 }
}
