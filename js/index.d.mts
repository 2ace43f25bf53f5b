import rt = require('./index.js')
export * from './index.js'
export default rt
