// ESM entry of raw-transfer: the CommonJS exports (../index.js) as named exports, listed
// because Node's cjs-module-lexer does not see them. __test__/esm.test.mjs checks the list.
import cjs from '../index.js'
export const { JsonPool, FixedSizeAllocatorPool, Block, JsonDocument, JsonNode, JsonSyntaxError, runParallel, runJsonPlugins, createJsonPluginHost, createParallelHost, liveBlocks, liveBlockOwners, constants, BLOCK_ALIGN, BLOCK_SIZE, BUFFER_SIZE, ACTIVE_SIZE, RAW_METADATA_SIZE, RAW_METADATA_OFFSET, RawBuffer, BufferCache, runJob, RawTransferError, PoolExhaustedError, PoolClosedError, StaleBufferError, BlockFullError, ExternalBuffersForbiddenError, OutOfMemoryError, InvalidArgumentError, InternalError, JobBusyError, CorruptDocumentError, LayoutMismatchError, PluginTimeoutError } = cjs
export default cjs
