'use strict'
// The errors of a file job (parseJsonFiles): each names its file, as Node's fs errors do.

const util = require('node:util')
const errors = require('raw-transfer-reader/errors')

/**
 * The typed error for a file a job failed on (`{ code, message, position, errno?, syscall? }`
 * from Rust): a positioned one's class (JsonSyntaxError) with offset, line and column; a
 * read error with Node's fs error fields.
 */
function fileError(failure, path) {
  const { code, message, position } = failure
  let err
  if (position !== null) {
    err = errors.positionedError(code, `${path}: ${message}`, position)
    err.path = path
  } else {
    err = errors.fromNative(new Error(`${code}: ${path}: ${message}`))
    if (!(err instanceof errors.RawTransferError)) err = new errors.RawTransferError(`${path}: ${message}`)
    err.path = path
  }
  err.code = code
  if (typeof failure.errno === 'number') {
    // As Node's fs errors: code 'ENOENT', errno -2, syscall 'open', path.
    err.code = systemErrorName(failure.errno) ?? code
    err.errno = -failure.errno
    err.syscall = failure.syscall
  }
  return err
}

function systemErrorName(errno) {
  try {
    return util.getSystemErrorName(-errno)
  } catch {
    return undefined
  }
}

module.exports = { fileError }
