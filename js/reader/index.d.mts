import reader = require('./js/reader.js')
export * from './js/reader.js'
export default reader
