'use strict'
// The JSON producer's own error, registered for the code 'JsonSyntax' with the reader: in
// this realm's registry, so the native parser throws it (with offset, line and column), and
// in fromNative's mapping of the older "JsonSyntax: <offset>:<line>:<column>: <text>".

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
