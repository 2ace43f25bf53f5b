'use strict'
// Scenario 5, hosts: plugin hosts (createJsonPluginHost) kept and thrown away in random
// orders. Each step picks one of: a run (its files drawn from good, malformed and missing
// ones, and ones whose plugin throws, rejects, hangs past pluginTimeoutMs, ends its worker
// with process.exit, or spins), a run aborted at a random point, two runs started at once
// (queued), close() while a run is queued, a run after close (must reject), a new host.
// Every run must resolve to a result with one entry (result or error) per file, with the
// right error phase for each file, or reject as aborted/closed; no run may hang. At the end
// every host is closed and liveBlocks() must be back at its baseline with no GC.
//
// Env: STRESS_SEED, STRESS_HOSTS_STEPS (default 60).

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const L = require('./lib')

L.runScenario('hosts', main)

// The plugin: what each file asks for (`fault`), else its id and thread.
const PLUGIN = `
const { threadId } = require('node:worker_threads')
module.exports = async (doc) => {
  const fault = doc.root.get('fault')?.value
  const id = doc.root.get('id')?.value
  if (fault === 'throw') throw new RangeError('thrown ' + id)
  if (fault === 'reject') return Promise.reject(new TypeError('rejected ' + id))
  if (fault === 'hang') return new Promise(() => {})
  if (fault === 'exit') process.exit(7)
  if (fault === 'spin') for (const until = performance.now() + 5; performance.now() < until; ) {}
  return { id, threadId, n: doc.nodeCount }
}
`

/** The phase a file of kind `k` must end with (null: a result). */
const PHASE = { ok: null, spin: null, bad: 'parse', missing: 'read', throw: 'plugin', reject: 'plugin', hang: 'plugin', exit: 'worker' }

async function main(res) {
  const rt = L.loadRuntime()
  const seed = L.seedFromEnv()
  const STEPS = Number(process.env.STRESS_HOSTS_STEPS || 60)
  const r = L.makeRng(seed)
  res.note(`seed ${seed}; ${STEPS} steps`)
  await L.collectUntil(() => false, 3)
  const base = rt.liveBlocks()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rt-stress-hosts-'))
  const counts = {}
  const count = (k) => (counts[k] = (counts[k] || 0) + 1)
  try {
    const plugin = path.join(dir, 'plugin.js')
    fs.writeFileSync(plugin, PLUGIN)
    // A pool of files of every kind.
    const files = { ok: [], spin: [], bad: [], missing: [], throw: [], reject: [], hang: [], exit: [] }
    let id = 0
    const add = (kind, n) => {
      for (let i = 0; i < n; i++, id++) {
        const p = path.join(dir, `${kind}-${id}.json`)
        if (kind === 'missing') {
          files[kind].push({ path: p, kind, id })
          continue
        }
        const text = kind === 'bad' ? `{"id": ${id}, "doc": [1, 2,` : JSON.stringify({ id, fault: kind === 'ok' ? null : kind, doc: JSON.parse(L.randomJson(r, 3, 5)) })
        fs.writeFileSync(p, text)
        files[kind].push({ path: p, kind, id })
      }
    }
    add('ok', 200)
    add('spin', 20)
    for (const k of ['bad', 'missing', 'throw', 'reject', 'hang', 'exit']) add(k, 6)
    const pickFiles = () => {
      const n = r.int(1, 40)
      const out = []
      for (let i = 0; i < n; i++) {
        const kind = r.chance(0.75) ? 'ok' : r.pick(Object.keys(files))
        out.push(r.pick(files[kind]))
      }
      return out
    }
    const makeHost = () => {
      count('host')
      return rt.createJsonPluginHost({ plugin, workers: r.int(1, 3), threads: r.int(1, 3), poolSize: r.int(1, 4), pluginTimeoutMs: 300, transfer: r.pick(['auto', 'copy']) })
    }
    /** Check a run's result against its files. */
    const checkResult = (label, picked, out) => {
      if (!res.check(out && Array.isArray(out.results) && out.results.length === picked.length, `${label}: results for ${picked.length} files, got ${out?.results?.length}`)) return
      const errorsByIndex = new Map()
      for (const e of out.errors) {
        const i = picked.findIndex((f, k) => f.path === e.path && !errorsByIndex.has(k))
        errorsByIndex.set(i, e)
      }
      for (const [i, f] of picked.entries()) {
        const want = PHASE[f.kind]
        const e = errorsByIndex.get(i)
        if (want === null) {
          res.check(e === undefined && out.results[i]?.id === f.id, () => `${label}: ${path.basename(f.path)} should have a result (${e ? `${e.phase}: ${e.error?.message}` : JSON.stringify(out.results[i])})`)
        } else {
          res.check(e !== undefined && e.phase === want && out.results[i] === undefined, () => `${label}: ${path.basename(f.path)} should fail in phase ${want}, got ${e ? e.phase : 'a result'}`)
        }
      }
    }
    /** A run, bounded: no run may take longer than this. */
    const bounded = (p, label) => {
      let timer
      const limit = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${label} did not settle within 60 s`)), 60_000)
      })
      return Promise.race([p, limit]).finally(() => clearTimeout(timer))
    }

    let host = makeHost()
    const closing = []
    for (let step = 0; step < STEPS; step++) {
      res.steps++
      const what = r.pick(['run', 'run', 'run', 'abort', 'twoAtOnce', 'closeQueued', 'afterClose', 'newHost'])
      count(what)
      if (what === 'run') {
        const picked = pickFiles()
        checkResult(`step ${step} run`, picked, await bounded(host.run(picked.map((f) => f.path)), `step ${step} run`))
      } else if (what === 'abort') {
        const picked = pickFiles()
        const ac = new AbortController()
        const after = r.int(0, 30)
        setTimeout(() => ac.abort(new Error('stress abort')), after)
        try {
          const out = await bounded(host.run(picked.map((f) => f.path), { signal: ac.signal }), `step ${step} abort`)
          checkResult(`step ${step} run (finished before its abort)`, picked, out)
        } catch (e) {
          res.check(e?.name === 'AbortError' && Array.isArray(e.result?.results), () => `step ${step}: aborted run rejected with ${e?.stack ?? e}`)
        }
      } else if (what === 'twoAtOnce') {
        const a = pickFiles()
        const b = pickFiles()
        const [ra, rb] = await bounded(Promise.all([host.run(a.map((f) => f.path)), host.run(b.map((f) => f.path))]), `step ${step} two runs`)
        checkResult(`step ${step} first of two`, a, ra)
        checkResult(`step ${step} second of two`, b, rb)
      } else if (what === 'closeQueued') {
        const picked = pickFiles()
        const running = host.run(picked.map((f) => f.path))
        const closed = host.close()
        checkResult(`step ${step} run queued before close`, picked, await bounded(running, `step ${step} queued run`))
        await bounded(closed, `step ${step} close`)
        host = makeHost()
      } else if (what === 'afterClose') {
        const old = host
        closing.push(old.close())
        host = makeHost()
        try {
          await old.run([files.ok[0].path])
          res.fail(`step ${step}: run after close resolved`)
        } catch (e) {
          res.check(e instanceof rt.PoolClosedError, () => `step ${step}: run after close rejected with ${e}`)
        }
      } else {
        // Throw the host away without waiting (its close runs in the background).
        closing.push(host.close())
        host = makeHost()
      }
    }
    await bounded(host.close(), 'final close')
    await bounded(Promise.all(closing), 'background closes')
    // Every worker has exited: their blocks are freed, no GC needed.
    res.leaked = rt.liveBlocks() - base
    res.check(
      res.leaked === 0,
      () => `liveBlocks ${rt.liveBlocks()} after every host closed, baseline ${base}; live [id, poolId, owners]: ${JSON.stringify(rt.liveBlockOwners())}`,
    )
    res.faults = (counts.abort || 0) + (counts.closeQueued || 0) + (counts.afterClose || 0) + (counts.newHost || 0)
    res.note(`steps: ${JSON.stringify(counts)}`)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
