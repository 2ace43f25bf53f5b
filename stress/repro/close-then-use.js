'use strict'
// Was a bug: after pool.close(), a block checked out before kept taking writes on the Rust
// side, but in copy mode the bytes never reached block.raw, and handOff() handed out a
// second buffer (external: a second external ArrayBuffer over the same block memory).
// Fixed: such a block stays readable from JS, and writes and hand-offs throw PoolClosedError.
// Exits 0 when the fixed behaviour holds.
const rt = require('../..')
let bad = 0
for (const transfer of ['external', 'copy']) {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1, transfer })
  const b = pool.acquire()
  const w = b.writeString('before close')
  pool.close()
  const readable = b.raw.str(w.ptr, w.len) === 'before close'
  const refuses = (fn) => {
    try {
      fn()
      return false
    } catch (e) {
      return e instanceof rt.PoolClosedError
    }
  }
  const ok = readable && refuses(() => b.writeString('after close')) && refuses(() => b.handOff())
  console.log(`${transfer}: ${ok ? 'ok' : 'BUG'} (readable after close: ${readable})`)
  if (!ok) bad++
  b.release()
}
process.exit(bad ? 1 : 0)
