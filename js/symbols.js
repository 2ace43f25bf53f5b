'use strict'
// The well-known symbols this package keys methods by, chosen so they work in every realm
// (Node's main context, `vm` contexts, Jest's and vitest's vmThreads module sandboxes) and
// with the `using` helpers transpilers emit. No `require('util')`: `Symbol.for` registry
// entries are shared by every context of the isolate.

/**
 * `Symbol.dispose` where the runtime has it, else `Symbol.for('Symbol.dispose')`: the
 * fallback esbuild's `__using` helper (and core-js-free polyfills copying it) looks up.
 * Node 18.18+/20 define `Symbol.dispose` as `Symbol.for('nodejs.dispose')`, but only in the
 * main context: a `vm` context of Node 20 has no `Symbol.dispose` at all.
 */
const dispose = typeof Symbol.dispose === 'symbol' ? Symbol.dispose : Symbol.for('Symbol.dispose')
const asyncDispose = typeof Symbol.asyncDispose === 'symbol' ? Symbol.asyncDispose : Symbol.for('Symbol.asyncDispose')

/**
 * Every key a disposer may be looked up by: this realm's `Symbol.dispose`, esbuild's
 * fallback, and Node 18/20's registered `nodejs.dispose` (what `Symbol.dispose` is in their
 * main context, so code in a vm context can polyfill `Symbol.dispose` from the main one).
 */
const disposeSymbols = [...new Set([dispose, Symbol.for('Symbol.dispose'), Symbol.for('nodejs.dispose')])]

/** `util.inspect.custom`, without loading util (the registry key Node documents). */
const inspect = Symbol.for('nodejs.util.inspect.custom')

/**
 * Make `proto[dispose]` answer to every key of `disposeSymbols` (non-enumerable aliases of
 * the same function). Call once per class: `installDispose(Block.prototype)`.
 */
function installDispose(proto) {
  const fn = proto[dispose]
  if (typeof fn !== 'function') throw new TypeError('installDispose: the prototype has no [dispose]() method')
  for (const s of disposeSymbols) {
    if (s !== dispose) Object.defineProperty(proto, s, { value: fn, writable: true, configurable: true, enumerable: false })
  }
}

module.exports = { dispose, asyncDispose, disposeSymbols, inspect, installDispose }
