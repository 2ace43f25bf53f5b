'use strict'
// The worker side of runParallel (index.js): load the runner and the plugin, then run
// the chunks of inputs the main thread hands out, one after the other, and post each
// chunk's results and errors back in one message. `startLoop` runs it over a port: a
// worker thread's parentPort (worker.js), or the in-thread port of a run that decided
// worker threads would cost more than they give (local-worker.js).
//
// Messages, main -> worker: { type: 'chunk', id, indices, inputs, suspect } (the first may
// come before the worker is ready: it runs once loaded), { type: 'stop' }.
// Worker -> main: { type: 'ready' } once loaded; { type: 'more' } when the chunk in hand is
// half done (so the next one is here when it ends: the request costs no idle time);
// { type: 'done', id, files, bytes, direct, ...entries } (`direct`: null from a worker thread;
// in this thread, `[index, result, ...]` of the primitive results) where entries (wire.js
// encodeEntries) hold `{ index, result }` and `{ index, phase, error }` serialized here, so
// that nothing a plugin made is cloned by postMessage (a block's buffer would be copied
// whole); { type: 'fatal', id, ...entries } with one `{ index: -1, error }` when the runner
// itself fails, { type: 'uncaught', ...entries } likewise before the worker exits on an
// uncaught error; { type: 'closed' } after 'stop'. A chunk's indices are the inputs' indices
// in the whole run.

const { pathToFileURL } = require('node:url')
const { serializeError, notCloneable, lazyValue, lazyRefused, encodeEntries, safeString } = require('./wire')

/** A function export of a module loaded with import(): named, or on the CommonJS default (module.exports). */
function exported(mod, name) {
  if (name === 'default') {
    if (typeof mod.default === 'function') return mod.default
    // module.exports = { default: fn } (TypeScript's and Babel's CommonJS output)
    if (mod.default !== null && typeof mod.default === 'object' && typeof mod.default.default === 'function') return mod.default.default
    return null
  }
  if (typeof mod[name] === 'function') return mod[name]
  if (mod.default !== null && typeof mod.default === 'object' && typeof mod.default[name] === 'function') return mod.default[name]
  return null
}

/** Is a timer of user code pending? (Our own waits are not: they are only set when this says yes.) */
function timersPending() {
  return typeof process.getActiveResourcesInfo === 'function' && process.getActiveResourcesInfo().includes('Timeout')
}
const timerTurn = () => new Promise((resolve) => setTimeout(resolve, 0))

/** The entry that replaces one that cannot be sent: plain values only. */
function unsendable(entry, why) {
  if (entry.phase === undefined) return { index: entry.index, phase: 'plugin', error: serializeError(notCloneable("the plugin's result", why)) }
  // serializeError checked the values it kept: only a getter that returned something else
  // the second time gets here.
  return { index: entry.index, phase: entry.phase, error: serializeError(notCloneable('the error', why)) }
}

/** A short description of a value for a message: never a huge string (String() of a block view would be one). */
function describe(v) {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return safeString(v)
  try {
    return Object.prototype.toString.call(v)
  } catch {
    return typeof v
  }
}

const numberOr = (v, dflt) => (typeof v === 'number' && Number.isFinite(v) ? v : dflt)

/**
 * Run the worker side over `parentPort` (`postMessage(m, transfer)`): load `runner` and
 * `plugin`, then take chunks. Returns the handler of the messages the main thread sends.
 * `isolated`: this is a worker thread of its own (an uncaught error ends it, reported).
 */
function startLoop(parentPort, { runner: runnerPath, plugin: pluginPath, options }, { isolated }) {
  let run
  let close = null
  let plugin
  const queue = []
  // Chunks may come before the runner and plugin are loaded: they wait in `queue`.
  let loaded = false
  let running = false
  let stopping = false

  async function runChunk(chunk) {
    const { id, indices, inputs, suspect } = chunk
    // Ask for the next chunk once this one is half done (counted in plugin calls), so the
    // main thread's answer arrives while this chunk still runs; only if nothing is queued.
    // In this thread the answer costs no worker's time (it is queued on a later turn while
    // this chunk runs), so the request goes at once and the plugin is called as it is.
    let counted = plugin
    if (!isolated) {
      if (queue.length === 0 && !stopping) parentPort.postMessage({ type: 'more' })
    } else {
      const half = Math.ceil(inputs.length / 2)
      let calls = 0
      let asked = false
      counted = function (...args) {
        if (!asked && ++calls >= half) {
          asked = true
          if (queue.length === 0 && !stopping) parentPort.postMessage({ type: 'more' })
        }
        return plugin.apply(this, args)
      }
    }
    let out
    try {
      out = await run(inputs, counted, options)
      if (out === null || typeof out !== 'object' || !Array.isArray(out.results) || !Array.isArray(out.errors)) {
        throw new TypeError(`the runner ${runnerPath} must resolve to { results: Array, errors: Array }; got ${describe(out)}`)
      }
    } catch (e) {
      postFatal(id, e)
      return
    }
    // A callback the plugin left behind (a setTimeout that throws) should fail this chunk,
    // whose files the main thread then retries one by one to find the culprit, rather than
    // whichever chunk runs when it fires: when user timers are pending, let one timer turn
    // pass first (two for a suspect, which runs alone for exactly that reason). In this
    // thread there is no worker to lose, and the process's own timers would always count.
    if (isolated && timersPending()) {
      await timerTurn()
      if (suspect) await timerTurn()
    }
    const entries = []
    const failed = new Set()
    for (const e of out.errors) {
      const local = e?.index
      if (!Number.isInteger(local) || local < 0 || local >= indices.length) continue
      failed.add(local)
      entries.push({ index: indices[local], phase: typeof e.phase === 'string' ? e.phase : 'plugin', error: serializeError(e.error) })
    }
    // In this thread, a primitive result (a number, a string, ...) is what a clone of it would
    // be: it goes as it is, `[index, result, ...]`, and only the others are serialized.
    const direct = isolated ? null : []
    for (let i = 0; i < indices.length; i++) {
      const result = out.results[i]
      if (result === undefined || failed.has(i)) continue
      if (direct !== null && (result === null || (typeof result !== 'object' && typeof result !== 'function' && typeof result !== 'symbol'))) {
        direct.push(indices[i], result)
        continue
      }
      const lazy = lazyValue(result)
      if (lazy !== null) entries.push({ index: indices[i], phase: 'plugin', error: serializeError(notCloneable("the plugin's result", lazyRefused(lazy))) })
      else entries.push({ index: indices[i], result })
    }
    // What cannot be sent (a JsonNode, a function, a view of a block) becomes that input's
    // plugin error; the rest goes.
    const { body, transfer } = encodeEntries(entries, unsendable)
    parentPort.postMessage({ type: 'done', id, files: numberOr(out.files, inputs.length), bytes: numberOr(out.bytes, 0), direct, ...body }, transfer)
  }

  function postFatal(id, e) {
    const { body, transfer } = encodeEntries([{ index: -1, phase: 'fatal', error: serializeError(e) }], unsendable)
    parentPort.postMessage({ type: 'fatal', id, ...body }, transfer)
  }

  async function pump() {
    if (running || !loaded) return
    running = true
    while (queue.length > 0 && !stopping) await runChunk(queue.shift())
    running = false
    if (stopping) finish()
  }

  /** Close the runner (its pool) if it is loaded; a close that fails changes nothing. */
  async function closeRunner() {
    try {
      if (close !== null) await close(options)
    } catch {}
  }

  let finished = false
  async function finish() {
    if (finished) return
    finished = true
    await closeRunner()
    parentPort.postMessage({ type: 'closed' })
  }

  // In a worker thread, an error a plugin's callback throws (or a rejection nobody handles)
  // ends the worker, as it would anyway, but it is sent through the same serializer first:
  // Node would serialize it itself for the worker's 'error' event, copying whatever block it
  // reaches. In this thread it is the process's, as any callback's.
  if (isolated) {
    process.on('uncaughtException', (e) => {
      // A plugin that handles its own uncaught errors keeps its worker, as it would without this.
      if (process.listenerCount('uncaughtException') > 1) return
      try {
        const { body, transfer } = encodeEntries([{ index: -1, phase: 'uncaught', error: serializeError(e) }], unsendable)
        parentPort.postMessage({ type: 'uncaught', ...body }, transfer)
      } finally {
        process.exit(1)
      }
    })
  }

  const onMessage = (m) => {
    if (m.type === 'chunk') {
      queue.push(m)
      pump()
    } else if (m.type === 'stop') {
      stopping = true
      if (!running) finish()
    } else if (m.type === 'terminate') {
      // In this thread there is no worker to end: close the runner now (its pool: a chunk
      // in hand fails at once instead of running on), as a worker's end would.
      stopping = true
      queue.length = 0
      finish()
    }
  }

  async function main() {
    let runnerModule = await import(pathToFileURL(runnerPath).href)
    // A runner that can make instances of itself gets one of its own: in a worker thread the
    // module is this loop's alone, but a run in the calling thread shares it with others.
    const create = exported(runnerModule, 'createRunner')
    if (create !== null) runnerModule = await create()
    run = exported(runnerModule, 'run')
    if (run === null) throw new TypeError(`the runner module ${runnerPath} does not export a function run(inputs, plugin, options)`)
    close = exported(runnerModule, 'close')
    const init = exported(runnerModule, 'init')
    const pluginModule = await import(pathToFileURL(pluginPath).href)
    plugin = exported(pluginModule, 'default')
    if (plugin === null) {
      throw new TypeError(`the plugin module ${pluginPath} does not export a function (export default, or module.exports = fn)`)
    }
    if (init !== null) await init(options)
    // Stopped (or, in this thread, terminated) while loading: what init made is closed now,
    // since the close that finish() ran came before it.
    if (finished) return closeRunner()
    loaded = true
    parentPort.postMessage({ type: 'ready' })
    pump()
  }

  main().catch((e) => {
    // Loading failed: the main thread rejects the run with this error (nothing would work).
    postFatal(null, e)
  })
  return onMessage
}

module.exports = { startLoop }
