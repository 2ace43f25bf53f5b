'use strict'
// Hazard (by design today, but easy to hit): the 2 GiB block buffer is PROT_NONE past the
// committed prefix, so any whole-buffer read kills the process with SIGSEGV: slice(),
// indexOf(), hashing, structuredClone / postMessage (Node copies untransferable external
// buffers). Usage: node stress/repro/whole-buffer-read.js slice|indexOf|clone|post
const rt = require('../..')
const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
const b = pool.acquire()
b.writeString('hello')
const op = process.argv[2] || 'clone'
console.log(`${op} on a block buffer...`)
if (op === 'slice') b.buffer.slice()
else if (op === 'indexOf') b.buffer.indexOf(0xff)
else if (op === 'clone') structuredClone(b.raw.arrayBuffer, { transfer: [b.raw.arrayBuffer] })
else if (op === 'post') new MessageChannel().port1.postMessage(b.raw.arrayBuffer)
console.log('survived')
