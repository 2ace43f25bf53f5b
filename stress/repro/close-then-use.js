'use strict'
// Bug: after pool.close(), a block checked out before keeps working on the Rust side, but
//  - copy mode: writeString() succeeds and returns { ptr, len }, yet the block's buffer does
//    not get the bytes (PoolEnv::close drained `handed`, so sync() finds no copy target);
//  - both modes: handOff() hands out a second buffer (external: a second external
//    ArrayBuffer over the same block memory, which the design says never happens; copy: a
//    fresh 2 GiB JS buffer), while block.raw still points at the first one.
// Expected: either the write is visible through block.raw and handOff() returns block.raw,
// or both throw PoolClosedError.
const rt = require('../..')
for (const transfer of ['external', 'copy']) {
  const pool = new rt.FixedSizeAllocatorPool({ size: 1, transfer })
  const b = pool.acquire()
  pool.close()
  const w = b.writeString('after close')
  const raw = b.handOff()
  console.log(`${transfer}: block.raw reads ${JSON.stringify(b.raw.str(w.ptr, w.len))}; handOff() returned ${raw === b.raw ? 'block.raw' : 'ANOTHER RawBuffer'}`)
  b.release()
}
