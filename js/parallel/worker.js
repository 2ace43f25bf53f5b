'use strict'
// A worker thread of a parallel host: the worker loop (worker-loop.js) over this thread's
// parentPort.
const { parentPort, workerData } = require('node:worker_threads')
const { startLoop } = require('./worker-loop')

parentPort.on('message', startLoop(parentPort, workerData, { isolated: true }))
