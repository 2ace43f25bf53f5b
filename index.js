'use strict'
// require('raw-transfer'): this platform's native addon (js/native/binding.js) under the
// JS API. The code lives in js/ by concern: reader/ (pure-JS reading of blocks, also
// `raw-transfer/reader`), jobs/ (the producer-job driver), json/ (the lazy JSON view),
// native/ (the pool and its blocks), parallel/ (worker-thread plugin hosts), generated/
// (constants written by Rust).

const { binding, JsonPool } = require('./js/native')
const reader = require('raw-transfer-reader')
const { JsonDocument, JsonNode } = require('./js/json/document')
const { JsonSyntaxError } = require('./js/json/errors')
const { Block } = require('./js/native/block')
const { runParallel, runJsonPlugins, createJsonPluginHost, createParallelHost } = require('./js/parallel')

/** Every layout constant Rust exports: the reader's (geometry, metadata, pool defaults) and the JSON layout. */
const constants = Object.freeze({ ...reader.constants, ...require('./js/generated/json-constants') })

// The reader's classes, errors, geometry and runJob; not its helpers for other addons' JS.
const { decodeUtf8, unpackSent, fromNative, failureError, native, constants: _, ...fromReader } = reader

module.exports = {
  JsonPool,
  /** The former name of JsonPool (the same class). */
  FixedSizeAllocatorPool: JsonPool,
  Block,
  JsonDocument,
  JsonNode,
  JsonSyntaxError,
  runParallel,
  runJsonPlugins,
  createJsonPluginHost,
  createParallelHost,
  /** Blocks in this process (all threads) created and not yet freed. */
  liveBlocks: () => binding.liveBlocks(),
  /** Diagnostics: `[id, poolId, ownerCount]` of every live block (owner count 1: held by Rust alone). */
  liveBlockOwners: () => binding.liveBlockOwners(),
  constants,
  ...fromReader,
}
