// Types of the ESM entry of raw-transfer-reader (index.mjs): those of index.js, plus its default export.
import reader = require('./index.js')
export * from './index.js'
export default reader
