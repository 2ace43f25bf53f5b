'use strict'
// Argument checks shared by the public JS API. Every public function checks what it is
// given and throws InvalidArgumentError: nothing is coerced (0.5 -> 0, '3' -> 3, null -> 0)
// into a read of the wrong place, and nothing out of range reaches native code, where a
// number too big for its Rust type would panic and abort the process.

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
      if (v === null) return 'null'
      try {
        return Array.isArray(v) ? 'an array' : 'an object'
      } catch {
        return 'a revoked Proxy' // IsArray throws for one
      }
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
  let array = false
  try {
    array = Array.isArray(options) // throws for a revoked Proxy
  } catch (e) {
    throw new InvalidArgumentError(`${what} options must be an object or undefined; got a revoked Proxy`, { cause: e })
  }
  if (options === null || typeof options !== 'object' || array) {
    throw new InvalidArgumentError(`${what} options must be an object or undefined; got ${show(options)}`)
  }
  return options
}

/**
 * The options of a public function, read once and checked: undefined gives the defaults;
 * anything but a non-array object, or an own enumerable string key not in `names` (a
 * typo: the error names the nearest known option), throws InvalidArgumentError. Returns a
 * null-prototype object holding `options[name]` for each of `names` (inherited ones
 * included), each read once, so a getter that changes its answer cannot make a checked
 * value differ from the one used. With `open`, other own enumerable keys are kept instead of
 * refused (runParallel hands them to its runner). Whatever reading throws (a Proxy trap, a
 * getter) becomes an InvalidArgumentError with that error as its `cause`. Symbol keys are
 * ignored.
 */
function knownOptions(options, names, what, open = false) {
  options = optionsObject(options, what)
  const out = Object.create(null)
  try {
    for (const key of Object.keys(options)) {
      if (names.includes(key)) continue
      if (!open) throw new InvalidArgumentError(`${what}: unknown option ${show(key)}; ${suggestion(key, names)}`)
      out[key] = options[key]
    }
    for (const name of names) out[name] = options[name]
  } catch (e) {
    if (e instanceof InvalidArgumentError) throw e
    throw new InvalidArgumentError(`${what}: its options could not be read (${errorText(e)})`, { cause: e })
  }
  return out
}

/** "did you mean 'x'?" for the known name nearest to `key` when it is near enough, and the known names. */
function suggestion(key, names) {
  let best = null
  let bestDistance = Infinity
  // A long key is no typo of a short option name (and its distance would cost time).
  if (key.length <= 64) {
    for (const name of names) {
      const d = editDistance(key.toLowerCase(), name.toLowerCase())
      if (d < bestDistance) {
        best = name
        bestDistance = d
      }
    }
  }
  const known = `the options are ${names.join(', ')}`
  return best !== null && bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? `did you mean '${best}'? (${known})` : known
}

/** Levenshtein distance, with a swap of two adjacent characters counted as one edit. */
function editDistance(a, b) {
  let prev2 = null
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
      if (prev2 !== null && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1)
      row.push(d)
    }
    prev2 = prev
    prev = row
  }
  return prev[b.length]
}

/** A thrown value's message, whatever was thrown (reading it must not throw again). */
function errorText(e) {
  try {
    return e instanceof Error ? `${e.name}: ${e.message}` : show(e)
  } catch {
    return 'an error'
  }
}

/**
 * A dense copy of `list`, an array of strings, each element read once: a sparse array, a
 * Proxy or an index getter that changes its answer cannot show validation one value and
 * native code another.
 */
function stringArray(list, what) {
  if (!Array.isArray(list)) throw new InvalidArgumentError(`${what}; got ${show(list)}`)
  const n = list.length
  const out = new Array(n)
  for (let i = 0; i < n; i++) {
    const v = list[i]
    if (typeof v !== 'string') throw new InvalidArgumentError(`${what}: element ${i} is ${show(v)}, not a string`)
    out[i] = v
  }
  return out
}

/** Option `name` of `options`: `dflt` when undefined, else an integer in `min..max`. */
function integerOption(options, name, dflt, min, max) {
  const v = options[name]
  return v === undefined ? dflt : integer(v, name, min, max)
}

module.exports = { MAX_TIMEOUT_MS, show, integer, optionsObject, knownOptions, integerOption, stringArray }
