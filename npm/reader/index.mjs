// ESM entry of raw-transfer-reader: the CommonJS exports (index.js) as named exports, listed
// because Node's cjs-module-lexer does not see them. raw-transfer's __test__/esm.test.mjs checks the list.
import cjs from './index.js'
export const { constants, BLOCK_ALIGN, BLOCK_SIZE, BUFFER_SIZE, ACTIVE_SIZE, RAW_METADATA_SIZE, RAW_METADATA_OFFSET, RawBuffer, BufferCache, decodeUtf8, unpackSent, runJob, RawTransferError, PoolExhaustedError, PoolClosedError, StaleBufferError, BlockFullError, ExternalBuffersForbiddenError, OutOfMemoryError, InvalidArgumentError, InternalError, JobBusyError, CorruptDocumentError, LayoutMismatchError, PluginTimeoutError, fromNative, failureError, native } = cjs
export default cjs
