// Types of the ESM entry (js/index.mjs): those of the CommonJS entry, plus its default export.
import rt = require('../index.js')
export * from '../index.js'
export default rt
