'use strict'
// Argument checks shared by the public JS API. Every public function checks what it is
// given and throws InvalidArgumentError: nothing is coerced (0.5 -> 0, '3' -> 3, null -> 0)
// into a read of the wrong place, and nothing out of range reaches native code, where a
// number too big for its Rust type used to panic and abort the process.

const { InvalidArgumentError } = require('./errors')

/** The longest timer (ms) setTimeout honours: longer ones fire at once (Node, browsers). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1

/** A short rendering of any value for an error message (BigInt, Symbol and objects included). */
function show(v) {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)
    case 'bigint':
      return `${v}n`
    case 'symbol':
      return v.toString()
    case 'function':
      return 'a function'
    case 'object':
      return v === null ? 'null' : Array.isArray(v) ? 'an array' : 'an object'
    default:
      return Object.is(v, -0) ? '-0' : String(v)
  }
}

/** `v` if it is an integer (a number, not a string or BigInt) in `min..max`; else InvalidArgumentError. */
function integer(v, what, min, max) {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new InvalidArgumentError(`${what} must be an integer in ${min}..${max}; got ${show(v)}`)
  }
  return v
}

/** `options` of a public function: undefined gives `{}` (the defaults); anything but a plain object throws. */
function optionsObject(options, what) {
  if (options === undefined) return {}
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidArgumentError(`${what} options must be an object or undefined; got ${show(options)}`)
  }
  return options
}

/** Option `name` of `options`: `dflt` when undefined, else an integer in `min..max`. */
function integerOption(options, name, dflt, min, max) {
  const v = options[name]
  return v === undefined ? dflt : integer(v, name, min, max)
}

module.exports = { MAX_TIMEOUT_MS, show, integer, optionsObject, integerOption }
