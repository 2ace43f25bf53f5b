// runJsonPlugins started from inside the runner's worker thread (threads, vmThreads), or its
// child process (forks): the run's own worker threads load the package from its path, parse
// on their Rust threads, and end with the run, their blocks freed (global-setup.mjs checks
// the process is back to its start).
import { createRequire } from 'node:module'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'

const require = createRequire(import.meta.url)
const w = require('../workload.js')
const rt = w.rt
const plugin = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'parallel-plugin.js')

for (const transfer of ['auto', 'copy']) {
  test(`${transfer}: runJsonPlugins in 2 workers over 40 files + a broken one`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rt-hosts-parallel-'))
    try {
      const paths = []
      for (let i = 0; i < 40; i++) {
        const p = path.join(dir, `f${i}.json`)
        fs.writeFileSync(p, JSON.stringify({ i, label: `vitest ${transfer}`, name: `é ${i}`, items: Array.from({ length: i * 5 }, (_, k) => ({ k })) }))
        paths.push(p)
      }
      const bad = path.join(dir, 'bad.json')
      fs.writeFileSync(bad, '{"a": [1,}')
      paths.splice(20, 0, bad)
      let progress = null
      const r = await rt.runJsonPlugins(paths, { plugin, workers: 2, threads: 2, transfer, onProgress: (p) => (progress = p) })
      expect(progress).toEqual({ done: 41, total: 41 })
      expect(r.errors.length).toBe(1)
      expect(r.errors[0].path).toBe(bad)
      expect(r.errors[0].phase).toBe('parse')
      // Rebuilt with this realm's copy of the package's classes (vmThreads: a vm context).
      expect(r.errors[0].error instanceof rt.JsonSyntaxError).toBe(true)
      expect(r.errors[0].error.offset).toBe(9)
      const threads = new Set()
      for (const [i, p] of paths.entries()) {
        if (p === bad) {
          expect(r.results[i]).toBe(undefined)
          continue
        }
        expect(r.results[i].value).toEqual(JSON.parse(fs.readFileSync(p, 'utf8')))
        expect(r.results[i].path).toBe(p)
        threads.add(r.results[i].threadId)
      }
      expect(threads.has(w.where().threadId)).toBe(false) // not this thread: the run's workers
      // liveBlocks() counts the whole process, where other test files run at once: whether
      // the run's workers freed their blocks is checked by vitest/global-setup.mjs, once every
      // file is done (threads and forks pools).
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
}

test('a kept plugin host (createJsonPluginHost): two runs on the same workers, then close()', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rt-hosts-host-'))
  const host = rt.createJsonPluginHost({ plugin, workers: 2, threads: 2 })
  try {
    const paths = Array.from({ length: 12 }, (_, i) => {
      const p = path.join(dir, `h${i}.json`)
      fs.writeFileSync(p, JSON.stringify({ i, list: Array.from({ length: i }, (_, k) => k) }))
      return p
    })
    const first = await host.run(paths)
    const second = await host.run(paths.slice(3))
    expect(first.errors).toEqual([])
    expect(second.errors).toEqual([])
    expect(first.results.map((r) => r.value.i)).toEqual(paths.map((_, i) => i))
    expect(second.results.map((r) => r.value.i)).toEqual(paths.slice(3).map((_, i) => i + 3))
    // Both runs used the host's two kept workers: no more than two threads in all (one
    // worker may have done all of a short run while the other was still starting).
    const threads = new Set([...first.results, ...second.results].map((x) => x.threadId))
    expect(threads.size).toBeLessThanOrEqual(2)
  } finally {
    await host.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
  expect(host.closed).toBe(true)
})
