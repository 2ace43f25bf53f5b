'use strict'
// The errors of a file job (parseJsonFiles): each names its file, as Node's fs errors do.

const { failureError } = require('raw-transfer-reader/errors')

/**
 * The typed error for a file a job failed on (`{ code, message, position, errno?, syscall? }`
 * from Rust): a positioned one's class (JsonSyntaxError) with offset, line and column; a
 * read error with Node's fs error fields; `path` set.
 */
const fileError = (failure, path) => failureError(failure, path)

module.exports = { fileError }
