'use strict'
// Block geometry, hand-off record fields, pool defaults: generated from the Rust definitions (src/js_constants.rs); do not edit.
// Regenerate with RAW_TRANSFER_WRITE_CONSTANTS=1 cargo test js_constants
module.exports = Object.freeze({
  BLOCK_ALIGN: 4294967296,
  BLOCK_SIZE: 2147483632,
  BUFFER_SIZE: 2147483600,
  ACTIVE_SIZE: 2147483584,
  RAW_METADATA_SIZE: 16,
  RAW_METADATA_OFFSET: 0,
  DATA_START: 16,
  MIN_BUFFER_SIZE: 1048576,
  DEFAULT_RETAINED_BYTES: 16777216,
  DEFAULT_MAX_RETAINED_BYTES: 1073741824,
  META_DATA_OFFSET: 0,
  META_GENERATION: 1,
  META_PRODUCER0: 2,
  META_PRODUCER1: 3,
})
