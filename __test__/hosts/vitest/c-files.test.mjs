// parseJsonFiles: Rust threads parse files while the test runner's worker runs the plugin.
import { createRequire } from 'node:module'
import { expect, test } from 'vitest'

const w = createRequire(import.meta.url)('../workload.js')

for (const c of w.cases.files('vitest')) test(c.name, c.fn)
