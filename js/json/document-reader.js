'use strict'
// The reader behind the lazy view (document.js): one per document, holding its typed arrays
// and bounds, decoding strings and keys, and materializing values (toJS, node.value).

const { CorruptDocumentError } = require('raw-transfer-reader/errors')
const { asciiString } = require('raw-transfer-reader/raw-buffer')

module.exports = function makeReader(L, decodeUtf8) {
  const { NODE_SIZE, ENTRY_SIZE, ENTRY_VALUE, KIND, LEN, END, PAYLOAD, TYPE_MASK, T_FALSE, T_TRUE, T_NUMBER, T_STRING, T_ARRAY, T_OBJECT, FLAG_ASCII, FLAG_UTF16, FLAG_IN_SOURCE } = L
  const RECURSION_LIMIT = 1000
  const fromCharCode = String.fromCharCode
  // Reader.str modes (see there), and the latin1 window: sources up to WINDOW bytes are
  // decoded whole, longer ones WINDOW bytes at a time.
  const ONE = 0
  const KEY = 1
  const BULK_KEY = 2
  const BULK = 3
  const NEVER = 4
  const WINDOW = 1 << 20
  // The key cache (Reader.key), one for all documents of this thread: KEY_SLOTS slots (a
  // power of two), each the owner Reader's id, the key's payload pointer and its string.
  // Shared, because a cache per document cost more to allocate (6 KB) than a small
  // document's reads. Keys longer than KEY_CACHED bytes are not kept, so the strings it
  // keeps alive after their documents are gone stay small.
  const KEY_SLOTS = 512
  const KEY_CACHED = 256
  const keyOwners = new Int32Array(KEY_SLOTS)
  const keyPtrs = new Int32Array(KEY_SLOTS)
  const keyStrs = new Array(KEY_SLOTS).fill('')
  // Reader ids start at 1 (0 marks an empty slot); see nextReaderId.
  let lastReaderId = 0
  // Strings of up to SMALL bytes (so at most SMALL UTF-16 units) are decoded in JS (`small`):
  // a native slice costs more than the decode at that size.
  const SMALL = 16
  // V8 makes a substring of 13 or more characters a slice that keeps its whole parent alive
  // (SlicedString::kMinLength). A string that long (a value, or a key the key cache keeps)
  // is not cut from the latin1 window, which can be a whole source of up to 1 MiB: as a
  // slice it would keep that window alive after its document is gone (see `str`).
  const SLICED_MIN = 13
  // small()'s UTF-16 units: a packed array of small integers, which V8 reads fastest. One
  // spare: corrupt bytes can end in a four-byte lead, two units for the last byte.
  const units = new Array(SMALL + 1).fill(0)

  // toJS builds every container at its final size, as JSON.parse does: an array grown by
  // push keeps spare capacity (17 slots for one element), and `{}` has four in-object
  // slots whatever it holds, which took 2-3x JSON.parse's heap. Arrays are made with
  // `new Array(len)`. Objects of up to 8 entries come from a constructor per entry
  // count: V8's slack tracking shrinks each one's instances to the fields its first few
  // objects used (so those must be objects of named keys: see objectFor), i.e. to exactly
  // that count. Their prototype is Object.prototype, and each is named Object so that heap
  // snapshots and V8's constructor-name lookups say Object.
  const sizedObject = () => {
    const ctor = function Object() {}
    ctor.prototype = Object.prototype
    return ctor
  }
  const [O1, O2, O3, O4, O5, O6, O7, O8] = Array.from({ length: 8 }, sizedObject)
  /** An empty plain object with room for `len` properties (one `new` site per size: V8 inlines each). */
  function newObject(len) {
    switch (len) {
      case 1:
        return new O1()
      case 2:
        return new O2()
      case 3:
        return new O3()
      case 4:
        return new O4()
      case 5:
        return new O5()
      case 6:
        return new O6()
      case 7:
        return new O7()
      case 8:
        return new O8()
      default:
        return {}
    }
  }

  /**
   * Per-document reader state: typed arrays of the block, the document's facts read once
   * when it was created (JS can overwrite any byte of the block, so nothing that bounds a
   * walk is read again), and windows of the source decoded as latin1 (bytes == chars), so
   * escape-free ASCII strings are `substring`s of them.
   *
   * Hostile bytes: every walk is bounded by the document's own size. A container may not
   * claim more children than the document has nodes, nor point outside the block; one
   * public call (a toJS, an entries(), ...) may not materialize more nodes than the
   * document has (`nodes`) nor decode more string bytes than its source holds (`chars`),
   * which is what an honest document needs at most. Past that the document is corrupt
   * (CorruptDocumentError): a cycle written by JS ends there instead of in a V8 fatal
   * out-of-memory, and a length written by JS cannot make us decode gigabytes.
   */

  class Reader {
    constructor(raw, sourcePtr, sourceLen, nodeCount, ascii) {
      this.raw = raw
      this.u8 = raw.u8
      // Every pointer is checked against the buffer JS holds (a prefix of the block).
      this.end = raw.u8.length
      this.u16 = raw.u16
      this.u32 = raw.u32
      this.f64 = raw.f64
      this.buf = raw.nodeBuffer
      this.sourcePtr = sourcePtr
      this.sourceLen = sourceLen
      this.nodeCount = nodeCount
      // Budgets of the current public call (reset by the document at each one).
      this.nodes = nodeCount
      this.chars = sourceLen
      // latin1Slice of an ASCII source is a memcpy (~10 GB/s); with other bytes it is
      // several times slower than decoding the strings one by one, so only then is it used.
      // Small sources are decoded whole on first use, also for lazy key reads; larger ones
      // a window at a time, and only while materializing (reads in source order): a lazy
      // get() on a 300 MB document decodes its keys, not 300 MB (nor fails past V8's
      // 512 MiB string limit).
      this.minWindowMode = !ascii || this.buf === null ? NEVER : sourceLen <= WINDOW ? KEY : BULK_KEY
      this.win = ''
      this.winStart = 0
      this.winLen = 0
      // Where the value being materialized ends in the block: a window stops there, so the
      // `.value` of a small subtree of a big source decodes about that subtree.
      this.spanEnd = sourcePtr + sourceLen
      this.id = nextReaderId()
    }

    /** Throw the error for a document whose bytes were overwritten. */
    corrupt(what) {
      throw new CorruptDocumentError(
        `JSON document is corrupt (its block was written to from JS?): ${what}; ` +
          `the document has ${this.nodeCount} nodes and ${this.sourceLen} source bytes`,
      )
    }

    /**
     * Take `len` children of the container at byte `pos` (payload `base`, children of
     * `size` bytes) from this call's node budget, after checking they are inside the block.
     */
    claim(pos, len, base, size) {
      if (len > this.nodes || (len !== 0 && ((base & 7) !== 0 || base + len * size > this.end))) {
        this.corrupt(`the container at ${pos} has ${len} children at ${base}`)
      }
      this.nodes -= len
    }

    /** The checked number of children of the container whose u32 index is `i` (lazy reads). */
    count(i, size) {
      const len = this.u32[i + LEN]
      const base = this.u32[i + PAYLOAD]
      if (len > this.nodeCount || (len !== 0 && ((base & 7) !== 0 || base + len * size > this.end))) {
        this.corrupt(`the container at ${i << 2} has ${len} children at ${base}`)
      }
      return len
    }

    /**
     * The string held by the string node at byte offset `pos`. Strategy by benchmark
     * (benches/js/strings.js, Node 20): up to 8 ASCII bytes, one fromCharCode call; ASCII text
     * of 9..12 bytes in the source, a substring of a latin1 window of the source (`mode`: ONE, a
     * value read on its own, never; KEY, a key, when the source is small; BULK_KEY and
     * BULK, a key or a value while materializing, where the decode pays off); other
     * strings of up to SMALL bytes, decoded in JS (2-2.5x faster than a native slice, whose
     * call dominates at that size); longer ASCII, latin1Slice; anything else, utf8Slice
     * (TextDecoder without Buffer).
     */
    str(pos, mode) {
      const i = pos >> 2
      const u32 = this.u32
      const kind = u32[i + KIND]
      const len = u32[i + LEN]
      const ptr = u32[i + PAYLOAD]
      if ((kind & FLAG_ASCII) !== 0 && len <= 8) return asciiString(this.u8, ptr, len)
      // No honest string is longer than the source (escapes only shrink), and the strings
      // of one call add up to at most the source.
      if (len > this.chars || ptr + ((kind & FLAG_UTF16) !== 0 ? 2 * len : len) > this.end) {
        this.corrupt(`the string at ${pos} has ${len} units at ${ptr}`)
      }
      this.chars -= len
      if ((kind & FLAG_ASCII) !== 0) {
        // A substring of the window only below V8's smallest sliced string (13 units): a
        // longer one would be a slice that keeps the whole window (up to WINDOW bytes of
        // decoded source) alive as long as the string is, after the document is gone.
        if (mode >= this.minWindowMode && len < SLICED_MIN && (kind & FLAG_IN_SOURCE) !== 0) {
          const at = ptr - this.winStart
          if (at >= 0 && at + len <= this.winLen) return this.win.substring(at, at + len)
          return this.slide(ptr, len, mode)
        }
        if (len <= SMALL) return small(this.u8, ptr, len)
        if (this.buf !== null) return this.buf.latin1Slice(ptr, ptr + len)
      }
      if ((kind & FLAG_UTF16) !== 0) return utf16(this.u16, ptr >> 1, len)
      if (len <= SMALL) return small(this.u8, ptr, len)
      return decodeUtf8(this.u8, this.buf, ptr, len)
    }

    /**
     * The first `max` UTF-16 units of the string node at `pos` (fewer only if the string is
     * shorter), decoding at most 4 * `max` + 3 of its bytes: util.inspect's preview of a
     * string of any length, with no budget spent.
     */
    strPrefix(pos, max) {
      const i = pos >> 2
      const kind = this.u32[i + KIND]
      const len = this.u32[i + LEN]
      const ptr = this.u32[i + PAYLOAD]
      const utf16Units = (kind & FLAG_UTF16) !== 0
      if (len > this.sourceLen || ptr + (utf16Units ? 2 * len : len) > this.end) {
        this.corrupt(`the string at ${pos} has ${len} units at ${ptr}`)
      }
      if (utf16Units) return utf16(this.u16, ptr >> 1, Math.min(len, max))
      let n = Math.min(len, 4 * max + 3)
      // Cut before a code point, not inside one: every code point takes 1 to 4 bytes, so the
      // bytes kept still hold at least `max` units when the string has more.
      if (n < len) while (n > 0 && (this.u8[ptr + n] & 0xc0) === 0x80) n--
      return decodeUtf8(this.u8, this.buf, ptr, n)
    }

    /**
     * `str` of an ASCII string in the source outside the current window: decode the whole
     * source if it is small, else the WINDOW bytes from `ptr` (materializing goes forward
     * through the source). Values are met in source order, so one behind the window starts
     * a new window there (a second toJS, a subtree before the last one); a key behind it
     * (pointing at its first occurrence) is decoded alone rather than moving the window
     * back and forth.
     */
    slide(ptr, len, mode) {
      const start = this.sourcePtr
      const end = start + this.sourceLen
      const small = this.sourceLen <= WINDOW
      if (ptr < start || ptr + len > end || (!small && (mode < BULK_KEY || (mode === BULK_KEY && ptr < this.winStart)))) {
        return this.buf.latin1Slice(ptr, ptr + len)
      }
      const from = small ? start : ptr
      const to = small ? end : Math.min(end, from + WINDOW, Math.max(this.spanEnd, ptr + len))
      this.win = this.buf.latin1Slice(from, to)
      this.winStart = from
      this.winLen = to - from
      return this.win.substring(ptr - from, ptr - from + len)
    }

    /**
     * An object key. Rust points every occurrence of a key at its first occurrence, so a
     * cache by pointer decodes each key about once per document, and V8 gets the same
     * string for every store. The cache is direct-mapped (a slot per pointer hash, the
     * newest key wins) and shared by the thread's documents, each slot tagged with its
     * reader's id: a Map of pointers costs more than most key decodes, since pointers
     * past 2^30 are heap numbers to V8. Its size is fixed, so it holds at most KEY_SLOTS
     * strings, each of at most KEY_CACHED bytes.
     */
    key(pos, mode) {
      const ptr = this.u32[(pos >> 2) + PAYLOAD] | 0 // below 2^31: unchanged
      const slot = (ptr ^ (ptr >>> 9)) & (KEY_SLOTS - 1)
      if (keyPtrs[slot] === ptr && keyOwners[slot] === this.id) return keyStrs[slot]
      const key = this.str(pos, mode)
      if (this.u32[(pos >> 2) + LEN] <= KEY_CACHED) {
        keyOwners[slot] = this.id
        keyPtrs[slot] = ptr
        keyStrs[slot] = key
      }
      return key
    }

    /**
     * The byte offset of the last entry whose key is `key` in the object whose u32 index is
     * `i`, or -1. An ASCII `key` is compared with the entries' stored bytes (UTF-16 units
     * for keys with lone surrogates), after their lengths, so no key is decoded: most
     * entries differ in length, and the rest in their first bytes. Other keys are compared
     * decoded (the key cache). Reads of an entry's bytes are bounded as `str`'s are.
     */
    find(i, key) {
      const u32 = this.u32
      const len = this.count(i, ENTRY_SIZE)
      const base = u32[i + PAYLOAD]
      const n = key.length
      if (!isAscii(key, n)) return this.findDecoded(base, len, key)
      const u8 = this.u8
      for (let e = base + (len - 1) * ENTRY_SIZE; e >= base; e -= ENTRY_SIZE) {
        const j = e >> 2
        if (u32[j + LEN] !== n) continue
        const kind = u32[j + KIND]
        const ptr = u32[j + PAYLOAD]
        let c = 0
        if ((kind & FLAG_UTF16) === 0) {
          if (ptr + n > this.end) this.corrupt(`the string at ${e} has ${n} units at ${ptr}`)
          while (c < n && u8[ptr + c] === key.charCodeAt(c)) c++
        } else {
          if (ptr + 2 * n > this.end) this.corrupt(`the string at ${e} has ${n} units at ${ptr}`)
          const u16 = this.u16
          const at = ptr >> 1
          while (c < n && u16[at + c] === key.charCodeAt(c)) c++
        }
        if (c === n) return e
      }
      return -1
    }

    /** `find` for a key that is not ASCII: the entries' keys decoded, through the key cache. */
    findDecoded(base, len, key) {
      for (let e = base + (len - 1) * ENTRY_SIZE; e >= base; e -= ENTRY_SIZE) {
        if (this.key(e, KEY) === key) return e
      }
      return -1
    }

    /** The JS value of the node at `pos`, fully materialized. */
    value(pos) {
      const t = this.u32[(pos >> 2) + KIND] & TYPE_MASK
      if (t === T_STRING) return this.str(pos, ONE)
      if (t === T_NUMBER) return number(this.f64, pos)
      if (t === T_OBJECT || t === T_ARRAY) {
        this.spanEnd = this.sourcePtr + this.u32[(pos >> 2) + END]
        return this.build(pos, 0)
      }
      if (t === T_TRUE) return true
      if (t === T_FALSE) return false
      return null
    }

    build(pos, depth) {
      if (depth > RECURSION_LIMIT) return this.buildIterative(pos)
      const u32 = this.u32
      const i = pos >> 2
      const t = u32[i + KIND] & TYPE_MASK
      const len = u32[i + LEN]
      let p = u32[i + PAYLOAD]
      if (t === T_ARRAY) {
        this.claim(pos, len, p, NODE_SIZE)
        if (len > 0 && (u32[(p >> 2) + KIND] & TYPE_MASK) === T_NUMBER) {
          // Arrays starting with a number are made and filled at sites of their own: V8
          // gives an array the most general elements kind its allocation site has made and
          // its store site has stored, so arrays of strings or objects would turn arrays of
          // doubles into arrays of boxed numbers (JSON.parse keeps them unboxed).
          const nums = new Array(len)
          for (let k = 0; k < len; k++, p += NODE_SIZE) nums[k] = this.child(p, depth)
          return nums
        }
        const arr = new Array(len)
        for (let k = 0; k < len; k++, p += NODE_SIZE) arr[k] = this.child(p, depth)
        return arr
      }
      this.claim(pos, len, p, ENTRY_SIZE)
      const obj = this.objectFor(len, p)
      for (let k = 0; k < len; k++, p += ENTRY_SIZE) {
        const key = this.key(p, BULK_KEY)
        const v = this.child(p + ENTRY_VALUE, depth)
        if (key === '__proto__') defineOwn(obj, key, v)
        else obj[key] = v
      }
      return obj
    }

    /**
     * An empty object for the `len` entries at `base` (claimed), sized for them unless its
     * first key may be an array index: those live in the elements, and objects without
     * fields among a sized constructor's first would shrink all its later ones.
     */
    objectFor(len, base) {
      if (len === 0 || len > 8) return {}
      // The first key's first unit, read without decoding the key: a decode here is charged
      // to the call's budget, and a key too long for the key cache (over KEY_CACHED bytes)
      // would be decoded and charged again by the caller, so that a valid document failed
      // as corrupt. (Bytes past the buffer read as undefined: a sized object, then the
      // caller's own checks.)
      const i = base >> 2
      const ptr = this.u32[i + PAYLOAD]
      const c = this.u32[i + LEN] === 0 ? 0 : (this.u32[i + KIND] & FLAG_UTF16) !== 0 ? this.u16[ptr >> 1] : this.u8[ptr]
      return c >= 0x30 && c <= 0x39 ? {} : newObject(len)
    }

    child(pos, depth) {
      const u32 = this.u32
      const t = u32[(pos >> 2) + KIND] & TYPE_MASK
      switch (t) {
        case T_STRING:
          return this.str(pos, BULK)
        case T_NUMBER:
          return number(this.f64, pos)
        case T_OBJECT:
        case T_ARRAY:
          return this.build(pos, depth + 1)
        case T_TRUE:
          return true
        case T_FALSE:
          return false
        default:
          return null
      }
    }

    /** toJS with an explicit stack, for documents nested deeper than the JS stack allows. */
    buildIterative(rootPos) {
      const u32 = this.u32
      // Frames: [container value, is array, length, payload, next child index]; a
      // container's length is claimed from the node budget once, when it is entered, and
      // before its value is made at that length.
      const enter = (pos) => {
        const i = pos >> 2
        const isArray = (u32[i + KIND] & TYPE_MASK) === T_ARRAY
        const len = u32[i + LEN]
        const base = u32[i + PAYLOAD]
        this.claim(pos, len, base, isArray ? NODE_SIZE : ENTRY_SIZE)
        return [isArray ? new Array(len) : this.objectFor(len, base), isArray, len, base, 0]
      }
      const stack = [enter(rootPos)]
      const root = stack[0][0]
      while (stack.length > 0) {
        const frame = stack[stack.length - 1]
        const [target, isArray, len, base, k] = frame
        if (k >= len) {
          stack.pop()
          continue
        }
        frame[4] = k + 1
        const childPos = isArray ? base + k * NODE_SIZE : base + k * ENTRY_SIZE + ENTRY_VALUE
        const ct = u32[(childPos >> 2) + KIND] & TYPE_MASK
        const frameOfChild = ct === T_ARRAY || ct === T_OBJECT ? enter(childPos) : null
        const v = frameOfChild !== null ? frameOfChild[0] : this.child(childPos, 0)
        if (isArray) target[k] = v
        else {
          const key = this.key(base + k * ENTRY_SIZE, BULK_KEY)
          if (key === '__proto__') defineOwn(target, key, v)
          else target[key] = v
        }
        if (frameOfChild !== null) stack.push(frameOfChild)
      }
      return root
    }
  }

  /** Whether the first `n` units of `s` are all below 0x80. */
  function isAscii(s, n) {
    for (let c = 0; c < n; c++) if (s.charCodeAt(c) >= 0x80) return false
    return true
  }

  /**
   * A new Reader's id for the key cache. Ids wrap after 2^31 - 1 readers; the cache is
   * emptied then, so that no slot of an old reader can pass for one of a new reader.
   */
  function nextReaderId() {
    if (lastReaderId === 0x7fffffff) {
      keyOwners.fill(0)
      keyStrs.fill('')
      lastReaderId = 0
    }
    return ++lastReaderId
  }

  /**
   * The string of the `len` (0..SMALL) bytes of UTF-8 at `p`. Each step writes one unit per
   * one to three bytes, or two per four, so valid UTF-8 gives at most `len` units; bytes
   * that are not (a block written to from JS) give garbage, and at most one unit more.
   */
  function small(u8, p, len) {
    const t = units
    let n = 0
    for (let i = p, end = p + len; i < end; n++) {
      const c = u8[i]
      if (c < 0x80) {
        t[n] = c
        i++
      } else if (c < 0xe0) {
        t[n] = ((c & 0x1f) << 6) | (u8[i + 1] & 0x3f)
        i += 2
      } else if (c < 0xf0) {
        t[n] = ((c & 0x0f) << 12) | ((u8[i + 1] & 0x3f) << 6) | (u8[i + 2] & 0x3f)
        i += 3
      } else {
        const cp = ((c & 0x07) << 18) | ((u8[i + 1] & 0x3f) << 12) | ((u8[i + 2] & 0x3f) << 6) | (u8[i + 3] & 0x3f)
        t[n++] = 0xd7c0 + (cp >> 10) // high surrogate of cp: 0xd800 + ((cp - 0x10000) >> 10)
        t[n] = 0xdc00 | (cp & 0x3ff)
        i += 4
      }
    }
    return fromUnits(t, n)
  }

  /** One fromCharCode call over the first `n` (0..SMALL) units of `t`: a flat string (more: the first SMALL). */
  function fromUnits(t, n) {
    switch (n) {
      case 0:
        return ''
      case 1:
        return fromCharCode(t[0])
      case 2:
        return fromCharCode(t[0], t[1])
      case 3:
        return fromCharCode(t[0], t[1], t[2])
      case 4:
        return fromCharCode(t[0], t[1], t[2], t[3])
      case 5:
        return fromCharCode(t[0], t[1], t[2], t[3], t[4])
      case 6:
        return fromCharCode(t[0], t[1], t[2], t[3], t[4], t[5])
      case 7:
        return fromCharCode(t[0], t[1], t[2], t[3], t[4], t[5], t[6])
      case 8:
        return fromCharCode(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7])
      case 9:
        return fromCharCode(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8])
      case 10:
        return fromCharCode(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9])
      case 11:
        return fromCharCode(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9], t[10])
      case 12:
        return fromCharCode(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9], t[10], t[11])
      case 13:
        return fromCharCode(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9], t[10], t[11], t[12])
      case 14:
        return fromCharCode(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9], t[10], t[11], t[12], t[13])
      case 15:
        return fromCharCode(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9], t[10], t[11], t[12], t[13], t[14])
      default:
        return fromCharCode(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9], t[10], t[11], t[12], t[13], t[14], t[15])
    }
  }

  /**
   * The number node at byte `pos`. Integral values come back as small integers, as
   * JSON.parse gives them: a double read from the Float64Array would be stored as a boxed
   * heap number (16 bytes more each) in the arrays and objects of toJS. -0 stays a double.
   */
  function number(f64, pos) {
    const d = f64[(pos + 16) >> 3]
    const i = d | 0
    return i === d && (i !== 0 || 1 / d > 0) ? i : d
  }

  function defineOwn(obj, key, value) {
    Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true })
  }

  function utf16(u16, at, len) {
    let s = ''
    for (let k = 0; k < len; k += 4096)
      s += fromCharCode.apply(null, u16.subarray(at + k, at + Math.min(len, k + 4096)))
    return s
  }


  return { Reader, ONE, KEY }
}
