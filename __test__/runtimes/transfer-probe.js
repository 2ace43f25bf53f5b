'use strict'
// What a runtime does with a block buffer handed to postMessage or structuredClone. Run in a
// process of its own, since the answer can be a crash:
//
//   <runtime> __test__/runtimes/transfer-probe.js <transfer|clone> [auto|copy]
//
//   transfer: port.postMessage(buffer, [buffer]) over a MessageChannel
//   clone:    structuredClone(buffer) (copies all BUFFER_SIZE bytes: in external mode that
//             reads the block's uncommitted pages)
//
// Prints `PROBE {"outcome": ...}`. Outcomes: 'refused' (throws, block intact), 'detached'
// (the buffer moved to the receiver), 'copied', or no line at all when the process died
// (scripts/test-runtimes.js reports the signal). The package documents block buffers as
// not transferable; this records what each runtime actually does.

const { MessageChannel } = require('node:worker_threads')
const proc = require('node:process')
const rt = require('../..')

const [scenario = 'transfer', transfer = 'auto'] = proc.argv.slice(2).filter((a) => !a.startsWith('-'))
const pool = new rt.FixedSizeAllocatorPool({ size: 1, transfer })
const block = pool.acquire()
const w = block.writeString('probe text')
const ab = block.raw.arrayBuffer
const result = { scenario, transferMode: pool.transferMode }

function afterwards() {
  // Is the block still usable by the package after the attempt?
  try {
    const again = block.handOff()
    const s = block.writeString('after')
    result.after = `handOff ok, byteLength ${again.arrayBuffer.byteLength}, str ${JSON.stringify(again.str(s.ptr, s.len))}`
  } catch (e) {
    result.after = `${e.name}: ${e.message.split('\n')[0]}`
  }
}

function done() {
  console.log(`PROBE ${JSON.stringify(result)}`)
  proc.exit(0)
}

if (scenario === 'clone') {
  try {
    const copy = structuredClone(ab)
    result.outcome = 'copied'
    result.detail = `clone byteLength ${copy.byteLength}`
  } catch (e) {
    result.outcome = 'refused'
    result.detail = `${e.name}: ${e.message}`
  }
  afterwards()
  done()
} else {
  const { port1, port2 } = new MessageChannel()
  let received = null
  port2.on('message', (m) => {
    received = m
  })
  try {
    port1.postMessage(ab, [ab])
    result.outcome = ab.byteLength === 0 ? 'detached' : 'copied'
    result.detail = `sender byteLength after post: ${ab.byteLength}`
  } catch (e) {
    result.outcome = 'refused'
    result.detail = `${e.name}: ${e.message}`
    if (ab.byteLength !== block.raw.u8.length || block.raw.str(w.ptr, w.len) !== 'probe text') result.outcome = 'refused, but the block changed'
  }
  afterwards()
  // Give a posted message time to arrive, then report what the receiver got.
  setTimeout(() => {
    if (received) result.received = `receiver got byteLength ${received.byteLength}`
    port1.close()
    port2.close()
    done()
  }, result.outcome === 'refused' ? 0 : 300)
}
