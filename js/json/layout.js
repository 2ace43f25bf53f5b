'use strict'
// The JSON document layout as the JS side reads it: node and document field positions
// (u32 indices), type tags and flags, from the constants Rust generates
// (js/generated/json-constants.js). Shared by the lazy view and its reader.

const C = { ...require('raw-transfer-reader/constants'), ...require('../generated/json-constants') }

const J = (name) => {
  const v = C[`JSON_${name}`]
  if (v === undefined) throw new Error(`raw-transfer: layout constant JSON_${name} missing from the addon`)
  return v
}
const NODE_SIZE = J('NODE_SIZE')
const ENTRY_SIZE = J('ENTRY_SIZE')
const ENTRY_VALUE = J('ENTRY_VALUE')
// u32 indices of Node fields relative to the node's index (node offset >> 2).
const KIND = J('NODE_KIND') >> 2
const LEN = J('NODE_LEN') >> 2
const START = J('NODE_START') >> 2
const END = J('NODE_END') >> 2
const PAYLOAD = J('NODE_PAYLOAD') >> 2
const DOC_SOURCE_PTR = J('DOC_SOURCE_PTR') >> 2
const DOC_SOURCE_LEN = J('DOC_SOURCE_LEN') >> 2
const DOC_NODE_COUNT = J('DOC_NODE_COUNT') >> 2
const DOC_MAX_DEPTH = J('DOC_MAX_DEPTH') >> 2
const DOC_ROOT = J('DOC_ROOT')
const DOC_SIZE = J('DOC_SIZE')
const DOC_FLAGS = J('DOC_FLAGS') >> 2
const DOC_FLAG_ASCII = J('DOC_FLAG_ASCII')
const TYPE_MASK = J('TYPE_MASK')
const T_NULL = J('TYPE_NULL')
const T_FALSE = J('TYPE_FALSE')
const T_TRUE = J('TYPE_TRUE')
const T_NUMBER = J('TYPE_NUMBER')
const T_STRING = J('TYPE_STRING')
const T_ARRAY = J('TYPE_ARRAY')
const T_OBJECT = J('TYPE_OBJECT')
const FLAG_ASCII = J('FLAG_ASCII')
const FLAG_UTF16 = J('FLAG_UTF16')
const FLAG_IN_SOURCE = J('FLAG_IN_SOURCE')
const FORMAT_VERSION = J('FORMAT_VERSION')
const META_GEN = (C.RAW_METADATA_OFFSET >> 2) + C.META_GENERATION
const META_PRODUCER0 = (C.RAW_METADATA_OFFSET >> 2) + C.META_PRODUCER0
const TYPE_NAMES = []
TYPE_NAMES[T_NULL] = 'null'
TYPE_NAMES[T_FALSE] = 'boolean'
TYPE_NAMES[T_TRUE] = 'boolean'
TYPE_NAMES[T_NUMBER] = 'number'
TYPE_NAMES[T_STRING] = 'string'
TYPE_NAMES[T_ARRAY] = 'array'
TYPE_NAMES[T_OBJECT] = 'object'
// Recursion is fastest; past this depth toJS switches to an explicit stack.
// Nodes and strings live in the block's data region; nothing valid points past it.
const ACTIVE_SIZE = C.ACTIVE_SIZE
module.exports = { NODE_SIZE, ENTRY_SIZE, ENTRY_VALUE, KIND, LEN, START, END, PAYLOAD, DOC_SOURCE_PTR, DOC_SOURCE_LEN, DOC_NODE_COUNT, DOC_MAX_DEPTH, DOC_ROOT, DOC_SIZE, DOC_FLAGS, DOC_FLAG_ASCII, TYPE_MASK, T_NULL, T_FALSE, T_TRUE, T_NUMBER, T_STRING, T_ARRAY, T_OBJECT, FLAG_ASCII, FLAG_UTF16, FLAG_IN_SOURCE, FORMAT_VERSION, META_GEN, META_PRODUCER0, TYPE_NAMES, ACTIVE_SIZE }
