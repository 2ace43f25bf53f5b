'use strict'
// The AST example's JS side: its own .node (AstPool, AstJob), the generated reader of its
// layout (./generated/ast.js: lazy views, toJS(), visit(), types), and a plugin API over the
// generated visitor. Depends on raw-transfer-reader only (pure JS).
const path = require('node:path')
const reader = require('raw-transfer-reader')
const { registerPositionedError } = require('raw-transfer-reader/errors')
const ast = require('./generated/ast.js')

const { BufferCache, RawTransferError, InvalidArgumentError, runJob, native, unpackSent } = reader

const binding = require(path.join(__dirname, 'ast-addon.node'))


/** A syntax error in a source: `offset`, `line`, `column` (1-based) say where. */
class AstSyntaxError extends RawTransferError {
  constructor(message, { offset, line, column, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause })
    this.code = 'AstSyntax'
    this.offset = offset
    this.line = line
    this.column = column
  }
}
AstSyntaxError.prototype.name = 'AstSyntaxError'
registerPositionedError('AstSyntax', AstSyntaxError)

/** A job failure (`{ code, message, position }` from Rust) as a typed error, named after `what`. */
const fromFailure = (failure, what) => reader.failureError(failure, what)

/**
 * The handlers of one walk from `plugins`: a handlers object (`{ CallExpression(node) {},
 * 'CallExpression:exit'(node) {} }`), a plugin `{ create(context) }` returning one, or an
 * array of these (their handlers run in order; a node's children are skipped only if every
 * handler of it returned false).
 */
function handlersOf(plugins, context) {
  const list = (Array.isArray(plugins) ? plugins : [plugins]).map((p) => {
    if (p !== null && typeof p === 'object' && typeof p.create === 'function') return p.create(context)
    return p
  })
  for (const h of list) {
    if (h === null || typeof h !== 'object') {
      throw new InvalidArgumentError('visit expects handlers objects or plugins { create(context) } (or an array of them)')
    }
  }
  if (list.length === 1) return list[0]
  const byKey = new Map()
  for (const h of list) {
    for (const key of Object.keys(h)) {
      if (h[key] === undefined) continue
      if (!byKey.has(key)) byKey.set(key, [])
      byKey.get(key).push(h[key])
    }
  }
  const merged = {}
  for (const [key, fns] of byKey) {
    merged[key] =
      fns.length === 1
        ? fns[0]
        : function (node) {
            let skip = true
            for (const fn of fns) if (fn.call(this, node) !== false) skip = false
            return skip ? false : undefined
          }
  }
  return merged
}

/**
 * A pool of blocks for ASTs. `parse(source)` gives the root Program as a lazy view (the
 * generated reader); read it, then `release(program)`: a view read after that throws
 * StaleBufferError. `visit(program | paths, plugins)` walks with the generated visitor.
 */
class AstPool {
  #native
  #fast
  #cache
  /** Program view -> its block `{ id, raw }` (parse() hands a block per source). */
  #blocks = new WeakMap()

  constructor({ size = 2, transfer = 'auto' } = {}) {
    // RAW_TRANSFER_MODE=copy forces the copy fallback wherever the caller left it to us.
    if (transfer === 'auto' && process.env.RAW_TRANSFER_MODE === 'copy') transfer = 'copy'
    const pool = native(() => new binding.AstPool(size, transfer))
    this.#native = pool
    // parse and release as plain Node-API functions: a seventh of a #[napi] method's cost per call.
    this.#fast = pool.fastCalls()
    // The pool sends a block's buffer once; `resend` gets it again for a cache that lost it.
    this.#cache = new BufferCache((id) => native(() => pool.resend(id)))
  }

  get native() {
    return this.#native
  }
  get transferMode() {
    return this.#native.transferMode
  }
  /** The layout hash the blocks carry, as `LAYOUT_HASHES.Program` of the generated reader. */
  get layoutHash() {
    return this.#native.layoutHash
  }
  get checkedOut() {
    return this.#native.checkedOut
  }

  /** The hand-off record of `source`'s AST: `{ id, generation, raw }` (raw: the block's RawBuffer). */
  parseRaw(source) {
    const { id, generation, buffer } = unpackSent(this.#fast.parse(source))
    return { id, generation, raw: this.#cache.receive(id, buffer) }
  }

  /** Parse `source`: its Program, a lazy view into the block. */
  parse(source) {
    const { id, raw, generation } = this.parseRaw(source)
    let program
    try {
      program = ast.readProgram({ raw, generation })
    } catch (e) {
      this.#fast.release(id)
      throw e
    }
    this.#blocks.set(program, { id, raw })
    return program
  }

  /** Give the block of a Program from parse() (or a block id from parseRaw()) back to the pool. */
  release(program) {
    if (typeof program === 'number') return this.#fast.release(program)
    const block = this.#blocks.get(program)
    if (block === undefined) throw new InvalidArgumentError('release expects a Program that parse() returned (or a block id)')
    this.#blocks.delete(program)
    // Its views throw StaleBufferError from now on (the generated reader's release()).
    ast.release(program)
    this.#fast.release(block.id)
  }

  /** The same AST as JSON text (serde_json): the baseline of bench.js. */
  parseToJson(source) {
    return native(() => this.#native.parseToJson(source))
  }

  /** The same AST as plain objects built by napi-rs in Rust (`Env::to_js_value`). */
  parseToObjects(source) {
    return native(() => this.#native.parseToObjects(source))
  }

  /**
   * Parse `paths` on `threads` Rust threads; `fn(program, path, item)` for each file (may
   * return a promise; the file's document is released when it settles). Resolves to
   * `{ items, bytes, errors }` (errors: `[{ index, error, phase }]`).
   */
  parseFiles(paths, fn, { threads = 2 } = {}) {
    const job = native(() => this.#native.startFiles(paths, threads))
    return runJob(job, {
      cache: this.#cache,
      release: (pairs) => this.#native.releaseMany(pairs),
      // A job packs several small results into one block: each item's Program is at its own root.
      open: (item, giveBack) => {
        const raw = this.#cache.receive(item.id, null)
        const program = ast.readProgram({ raw, root: item.root, generation: item.generation })
        // Its views go stale with the document, not only once its whole block goes back.
        return { value: program, close: () => (ast.release(program), giveBack()) }
      },
      plugin: (program, item) => fn(program, paths[item.index], item),
      fail: (failure, item) => fromFailure(failure, paths[item.index]),
    })
  }

  /**
   * Walk with the generated visitor. `target`: a Program (or any node) of this pool; returns
   * when done. Or an array of paths: parsed on `options.threads` Rust threads, each walked
   * as it is ready; resolves to `{ files, bytes, errors }`. `plugins`: see handlersOf;
   * a plugin's `create(context)` gets `{ path, index, program }` (path and index for files).
   */
  visit(target, plugins, options = {}) {
    if (Array.isArray(target)) {
      return this.parseFiles(
        target,
        (program, path, item) => {
          ast.visit(program, handlersOf(plugins, { path, index: item.index, program }))
        },
        options,
      ).then(({ items, bytes, errors }) => ({ files: items, bytes, errors }))
    }
    ast.visit(target, handlersOf(plugins, { path: undefined, index: undefined, program: target }))
  }

  close() {
    this.#native.close()
    this.#cache.clear()
  }
}

module.exports = { AstPool, AstSyntaxError, binding, ast, reader, handlersOf, fromFailure }
