'use strict'
// The JSON producer's own error, registered with the reader's mapping of native errors so
// that "JsonSyntax: <offset>:<line>:<column>: <text>" becomes one.

const { RawTransferError, registerPositionedError } = require('raw-transfer-reader/errors')

/** A JSON syntax error with the position of the offending byte. */
class JsonSyntaxError extends RawTransferError {
  constructor(message, { offset, line, column, path } = {}) {
    super(message)
    this.offset = offset
    this.line = line
    this.column = column
    if (path !== undefined) this.path = path
  }
}
registerPositionedError('JsonSyntax', JsonSyntaxError)

module.exports = { JsonSyntaxError }
