'use strict'
// What crosses the worker boundary of runParallel, both ways. Structured clone keeps an
// Error's message and stack but not its class, `code`, `offset`, `path`, ...: errors
// travel as plain records and are rebuilt on the main thread with the package's classes.
// A plugin result that holds a view of a block would be cloned whole (2 GiB): results are
// checked for that before they are posted.

const { BUFFER_SIZE } = require('./constants')

/** Error classes a record may name besides the package's own (the realm's builtins). */
const BUILTIN_ERRORS = ['Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError']

/** Own fields of an error that are not copied as props (they are rebuilt, or are the record itself). */
const SKIP = new Set(['name', 'message', 'stack', 'cause', '__proto__'])

const isPrimitive = (v) => v === null || (typeof v !== 'object' && typeof v !== 'function' && typeof v !== 'symbol')

/** A string for anything, never throwing (a hostile toString included). */
function safeString(v) {
  try {
    return String(v)
  } catch {
    return Object.prototype.toString.call(v)
  }
}

/**
 * A record of whatever was thrown: `{ error: true, name, message, stack, props, cause }` for
 * an error-like value (an object with a string message, from any realm), with its own
 * primitive fields in `props` (code, offset, line, column, path, ...); `{ error: false,
 * value }` for anything else (the value if it can be cloned, else its string form). Never
 * throws: a getter that throws only loses that field.
 */
function serializeError(e, depth = 0) {
  let message
  try {
    message = e !== null && typeof e === 'object' ? e.message : undefined
  } catch {}
  if (typeof message !== 'string') {
    try {
      return { error: false, value: structuredClone(e) }
    } catch {
      return { error: false, value: safeString(e) }
    }
  }
  const rec = { error: true, name: 'Error', message, stack: undefined, props: {}, cause: undefined }
  const read = (k) => {
    try {
      return e[k]
    } catch {
      return undefined
    }
  }
  const name = read('name')
  if (typeof name === 'string') rec.name = name
  const stack = read('stack')
  if (typeof stack === 'string') rec.stack = stack
  let keys = []
  try {
    keys = Object.keys(e)
  } catch {}
  // `code` is often an own field, but some errors (Node's) define it on the prototype.
  if (!keys.includes('code')) keys.push('code')
  for (const k of keys) {
    if (SKIP.has(k)) continue
    const v = read(k)
    if (v !== undefined && isPrimitive(v)) rec.props[k] = v
  }
  const cause = read('cause')
  if (cause !== undefined && depth < 3) rec.cause = serializeError(cause, depth + 1)
  return rec
}

/** Set an own data property (no setter, no prototype change, even for odd keys). */
function define(obj, key, value, enumerable = true) {
  Object.defineProperty(obj, key, { value, writable: true, configurable: true, enumerable })
}

/**
 * The value a `serializeError` record stands for, rebuilt in this realm: an error of the
 * class its name gives, looked up in `classes` (the package's error classes, by name) and
 * then in this realm's builtin errors, else a plain Error carrying that name. JsonSyntaxError
 * gets its offset, line and column back; every prop (code, path, ...) is set again, and the
 * stack is the worker's (it names the frames that threw).
 */
function reviveError(rec, classes) {
  if (rec === null || typeof rec !== 'object' || rec.error !== true) return rec?.value
  const { name, message, props } = rec
  let err
  const Own = Object.hasOwn(classes, name) ? classes[name] : null
  if (Own !== null && name === 'JsonSyntaxError') {
    err = new Own(message, { offset: props.offset, line: props.line, column: props.column, path: props.path })
  } else if (Own !== null) {
    err = new Own(message)
  } else if (BUILTIN_ERRORS.includes(name)) {
    err = new globalThis[name](message)
  } else {
    err = new Error(message)
    define(err, 'name', name, false)
  }
  for (const k of Object.keys(props)) define(err, k, props[k])
  if (rec.cause !== undefined) define(err, 'cause', reviveError(rec.cause, classes), false)
  if (rec.stack !== undefined) define(err, 'stack', rec.stack, false)
  return err
}

let types = null
const isAnyArrayBuffer = (v) => {
  if (types === null) types = require('node:util').types
  return types.isAnyArrayBuffer(v)
}

/**
 * Where in `value` a block buffer or a view over one is ('result', 'result.a[3]'), or null.
 * Cloning one copies the whole 2 GiB block (in copy mode too), which could take the process
 * down; a plugin must return copies (`slice()`) or plain values. Looks at up to `budget`
 * values (arrays, plain objects, Maps and Sets), so a huge result costs a bounded scan.
 */
function blockViewIn(value, budget = 10000) {
  const seen = new Set()
  const stack = [[value, 'result']]
  while (stack.length > 0 && budget-- > 0) {
    const [v, where] = stack.pop()
    if (v === null || typeof v !== 'object' || seen.has(v)) continue
    seen.add(v)
    if (ArrayBuffer.isView(v)) {
      if (v.buffer.byteLength === BUFFER_SIZE) return where
      continue
    }
    if (isAnyArrayBuffer(v)) {
      if (v.byteLength === BUFFER_SIZE) return where
      continue
    }
    if (Array.isArray(v)) {
      for (let i = Math.min(v.length, budget) - 1; i >= 0; i--) stack.push([v[i], `${where}[${i}]`])
    } else if (v instanceof Map) {
      for (const [k, x] of v) stack.push([x, `${where}.get(${safeString(k)})`], [k, `${where} (a key)`])
    } else if (v instanceof Set) {
      for (const x of v) stack.push([x, `${where} (an element)`])
    } else {
      let keys
      try {
        keys = Object.keys(v)
      } catch {
        continue
      }
      for (const k of keys) {
        let x
        try {
          x = v[k]
        } catch {
          continue
        }
        stack.push([x, `${where}.${k}`])
      }
    }
  }
  return null
}

module.exports = { serializeError, reviveError, blockViewIn, safeString }
