'use strict'
// The plugin of vitest/e-parallel.test.mjs (runJsonPlugins runs it in worker threads of the
// test runner's worker): the document as a value, with the thread that read it.
const { threadId } = require('node:worker_threads')

module.exports = (doc, path) => ({ value: doc.toJS(), label: doc.root.get('label')?.value, threadId, path })
