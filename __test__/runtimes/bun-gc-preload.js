'use strict'
// `bun test --preload` shim for the node:test suite: its helpers call the global gc() that
// `node --expose-gc` provides; `bun test` has no such flag, so map gc() to Bun.gc(true).
if (typeof globalThis.gc !== 'function' && typeof Bun !== 'undefined') {
  globalThis.gc = () => Bun.gc(true)
}
