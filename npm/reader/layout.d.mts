// Types of the ESM entry of raw-transfer-reader/layout (layout.mjs): those of layout.js, plus its default export.
import layout = require('./layout.js')
export * from './layout.js'
export default layout
