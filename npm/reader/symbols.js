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
  installAliases(proto, dispose, disposeSymbols)
}

/** `proto[key]` also under every other symbol of `symbols` (non-enumerable aliases). */
function installAliases(proto, key, symbols) {
  const fn = proto[key]
  if (typeof fn !== 'function') throw new TypeError(`the prototype has no [${String(key)}]() method`)
  for (const s of symbols) {
    if (s !== key) Object.defineProperty(proto, s, { value: fn, writable: true, configurable: true, enumerable: false })
  }
}

/** The same for `asyncDispose`: this realm's, and the registered keys transpilers and Node use. */
const asyncDisposeSymbols = [...new Set([asyncDispose, Symbol.for('Symbol.asyncDispose'), Symbol.for('nodejs.asyncDispose')])]

/** Make `proto[asyncDispose]` answer to every key of `asyncDisposeSymbols`, as installDispose does. */
function installAsyncDispose(proto) {
  installAliases(proto, asyncDispose, asyncDisposeSymbols)
}

module.exports = { dispose, asyncDispose, disposeSymbols, inspect, installDispose, installAsyncDispose }
