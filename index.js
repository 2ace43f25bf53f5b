'use strict'
// require('raw-transfer'): this platform's native addon (js/native/binding.js) under the
// JS API. The code lives in js/ by concern: reader/ (pure-JS reading of blocks, also
// `raw-transfer/reader`), jobs/ (the producer-job driver), json/ (the lazy JSON view),
// native/ (the pool and its blocks), parallel/ (worker-thread plugin hosts), generated/
// (constants written by Rust).

const { loadBinding } = require('./js/native/binding')
const reader = require('./js/reader')
const { JsonDocument, JsonNode } = require('./js/json/document')
const { JsonSyntaxError } = require('./js/json/errors')
const { Block } = require('./js/native/block')
const { runParallel, runJsonPlugins, createJsonPluginHost, createParallelHost } = require('./js/parallel')

const binding = loadBinding()
const JsonPool = require('./js/native/pool')(binding)

/** Every layout constant Rust exports: the reader's (geometry, metadata, pool defaults) and the JSON layout. */
const constants = Object.freeze({ ...reader.constants, ...require('./js/generated/json-constants') })

module.exports = {
  JsonPool,
  /** The former name of JsonPool (the same class). */
  FixedSizeAllocatorPool: JsonPool,
  Block,
  JsonDocument,
  JsonNode,
  RawBuffer: reader.RawBuffer,
  BufferCache: reader.BufferCache,
  runJob: reader.runJob,
  runParallel,
  runJsonPlugins,
  createJsonPluginHost,
  createParallelHost,
  /** Blocks in this process (all threads) created and not yet freed. */
  liveBlocks: () => binding.liveBlocks(),
  /** Diagnostics: `[id, poolId, ownerCount]` of every live block (owner count 1: held by Rust alone). */
  liveBlockOwners: () => binding.liveBlockOwners(),
  constants,
  BLOCK_ALIGN: constants.BLOCK_ALIGN,
  BLOCK_SIZE: constants.BLOCK_SIZE,
  BUFFER_SIZE: constants.BUFFER_SIZE,
  ACTIVE_SIZE: constants.ACTIVE_SIZE,
  RAW_METADATA_SIZE: constants.RAW_METADATA_SIZE,
  RAW_METADATA_OFFSET: constants.RAW_METADATA_OFFSET,
  RawTransferError: reader.RawTransferError,
  PoolExhaustedError: reader.PoolExhaustedError,
  PoolClosedError: reader.PoolClosedError,
  StaleBufferError: reader.StaleBufferError,
  BlockFullError: reader.BlockFullError,
  ExternalBuffersForbiddenError: reader.ExternalBuffersForbiddenError,
  OutOfMemoryError: reader.OutOfMemoryError,
  InvalidArgumentError: reader.InvalidArgumentError,
  JobBusyError: reader.JobBusyError,
  CorruptDocumentError: reader.CorruptDocumentError,
  PluginTimeoutError: reader.PluginTimeoutError,
  JsonSyntaxError,
}
