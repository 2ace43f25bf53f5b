'use strict'
// Hazard found with the PROT_NONE reservation (before commit 0fcb99c): the 2 GiB block
// buffer faulted past the committed prefix, so any whole-buffer read killed the process with
// SIGSEGV: slice(), indexOf(), hashing, structuredClone / postMessage (Node copies
// untransferable external buffers). With the read-only reservation these complete (reading
// zeros; slice/clone allocate 2 GiB). Usage: node stress/repro/whole-buffer-read.js
// slice|indexOf|clone|post
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
