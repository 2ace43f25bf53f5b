import { defineConfig } from 'vitest/config'

// `--pool=threads` or `--pool=forks` on the command line (scripts/test-hosts.js runs both).
export default defineConfig({
  test: {
    include: ['vitest/*.test.mjs'],
    // Checks that the worker threads' blocks are all freed by the end (threads pool).
    globalSetup: ['vitest/global-setup.mjs'],
    // Four files at once, each in its own worker thread / child process.
    maxWorkers: 4,
    // minWorkers below maxWorkers lets tinypool end idle workers mid-run, which with
    // --no-isolate fails the run ("Terminating worker thread", any test files, vitest 3.2).
    minWorkers: 4,
    fileParallelism: true,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
})
