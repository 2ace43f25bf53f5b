'use strict'
// JSON text given as a JS string reaches Rust as UTF-8, which cannot carry a lone surrogate
// (napi turns one into U+FFFD). JSON.parse keeps them: '"\ud800"' as a JS string parses to
// a one-unit string. So a string that is not well-formed UTF-16 has each lone surrogate
// rewritten as the escape `\uXXXX` before it crosses: inside a string literal the escape
// means exactly that unit (the parser stores such strings as UTF-16); anywhere else both
// forms are a syntax error, as JSON.parse says. The cost is paid only by such strings
// (isWellFormed is a native scan).
//
// What differs from the text as given: spans and byte offsets count the escape's 6 bytes,
// and doc.text() shows the escape.

const { OutOfMemoryError } = require('raw-transfer-reader/errors')
const { MAX_STRING_UNITS } = require('raw-transfer-reader/raw-buffer')

const LONE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

const isWellFormed =
  typeof String.prototype.isWellFormed === 'function'
    ? (s) => s.isWellFormed()
    : (s) => {
        LONE.lastIndex = 0
        return !LONE.test(s)
      }

// Pieces of at most this many units are escaped at a time: one replace() with a callback
// over the whole string collects every match first, and V8 dies (a fatal error, not a
// throw) past about 2^26 of them.
const ESCAPE_PIECE = 1 << 20
const isHigh = (u) => u >= 0xd800 && u <= 0xdbff
const isLow = (u) => u >= 0xdc00 && u <= 0xdfff

/**
 * `text`, with lone surrogates written as `\uXXXX` escapes (unchanged if there are none),
 * `piece` units at a time (a piece never ends between the two units of a pair).
 */
function escapeLoneSurrogates(text, piece = ESCAPE_PIECE) {
  if (isWellFormed(text)) return text
  let out = ''
  for (let start = 0; start < text.length; ) {
    let end = Math.min(text.length, start + piece)
    if (end < text.length && isHigh(text.charCodeAt(end - 1)) && isLow(text.charCodeAt(end))) end++
    const from = start
    out += text.slice(start, end).replace(LONE, (unit, at) => {
      // After an odd run of backslashes the unit is itself being escaped (`\` + unit, an
      // invalid escape): leave it, so the parse fails as JSON.parse's does. The run may
      // start in an earlier piece.
      let slashes = 0
      for (let k = from + at - 1; k >= 0 && text.charCodeAt(k) === 0x5c; k--) slashes++
      if (slashes % 2 === 1) return unit
      return `\\u${unit.charCodeAt(0).toString(16)}`
    })
    start = end
  }
  return out
}

// UTF-8 of U+FFFD, which an encoder writes for a lone surrogate.
const REPLACEMENT = [0xef, 0xbf, 0xbd]
const BufferCtor = typeof Buffer === 'function' ? Buffer : undefined
const encoder = new TextEncoder()

/** Whether `bytes` holds EF BF BD (a U+FFFD). */
function hasReplacement(bytes) {
  // Buffer#indexOf searches for a sequence natively; only buffers made here reach it.
  if (REPLACEMENT_BYTES !== null && BufferCtor.isBuffer(bytes)) return bytes.indexOf(REPLACEMENT_BYTES) !== -1
  for (let i = bytes.indexOf(0xef); i !== -1; i = bytes.indexOf(0xef, i + 1)) {
    if (bytes[i + 1] === REPLACEMENT[1] && bytes[i + 2] === REPLACEMENT[2]) return true
  }
  return false
}
const REPLACEMENT_BYTES = BufferCtor !== undefined ? BufferCtor.from(REPLACEMENT) : null

// Strings whose UTF-8 fits in SCRATCH_BYTES are encoded into one buffer kept for the next
// call: a fresh buffer per call would add its size to V8's external memory each time and
// bring on full GCs of the caller's heap (and cost twice the encode: citm_catalog.json,
// 1.7 MB, took 2.1 ms through Buffer.from and 1.0 ms through encodeInto).
const SCRATCH_BYTES = 4 << 20
let scratch = null

/**
 * The UTF-8 bytes of JSON text given as a string, lone surrogates written as escapes (see
 * above), valid until the next call. One native encode (TextEncoder.encodeInto into the
 * kept buffer, or Buffer.from for long strings): faster than napi's string conversion,
 * which measures the UTF-8 length in a pass of its own. A lone surrogate comes out as
 * U+FFFD, so a string that is not ASCII is checked for them (a scan of its own) only when
 * the bytes hold a U+FFFD: a real one, or a surrogate to escape.
 */
function utf8Of(text) {
  const bytes = encode(text)
  // As many bytes as units: every unit was ASCII (any other takes 2 or more bytes, a lone
  // surrogate 3), so there is nothing to look for.
  if (bytes.length === text.length || !hasReplacement(bytes)) return bytes
  let escaped
  try {
    escaped = escapeLoneSurrogates(text)
  } catch (e) {
    // Each escape is 6 units for 1: a string near the longest the engine allows can
    // have no escaped form.
    if (e instanceof RangeError) {
      throw new OutOfMemoryError(`a string of ${text.length} units with lone surrogates is too long to escape them (the longest string is ${MAX_STRING_UNITS} units)`)
    }
    throw e
  }
  return escaped === text ? bytes : encode(escaped)
}

function encode(text) {
  // A unit takes 1 to 3 bytes: up to SCRATCH_BYTES units may fit (JSON is mostly ASCII);
  // encodeInto says whether all of it did, and stops at a whole character if not.
  if (text.length <= SCRATCH_BYTES) {
    if (scratch === null) scratch = BufferCtor !== undefined ? BufferCtor.allocUnsafeSlow(SCRATCH_BYTES) : new Uint8Array(SCRATCH_BYTES)
    const { read, written } = encoder.encodeInto(text, scratch)
    if (read === text.length) return scratch.subarray(0, written)
  }
  return BufferCtor !== undefined ? BufferCtor.from(text, 'utf8') : encoder.encode(text)
}

/** Drop the kept encode buffer (pool.trim()). */
function releaseScratch() {
  scratch = null
}

module.exports = { utf8Of, releaseScratch, escapeLoneSurrogates }
