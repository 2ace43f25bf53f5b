// Types of `raw-transfer/reader` (js/reader.js): the pure-JS reader, no native code.
export {
  BLOCK_ALIGN,
  BLOCK_SIZE,
  BUFFER_SIZE,
  ACTIVE_SIZE,
  RAW_METADATA_SIZE,
  RAW_METADATA_OFFSET,
  constants,
  RawBuffer,
  BufferCache,
  runJob,
  JobItem,
  NativeBatch,
  NativeJob,
  RawTransferError,
  PoolExhaustedError,
  PoolClosedError,
  StaleBufferError,
  BlockFullError,
  ExternalBuffersForbiddenError,
  OutOfMemoryError,
  InvalidArgumentError,
  JobBusyError,
  CorruptDocumentError,
  PluginTimeoutError,
  JsonSyntaxError,
} from '../index'

/**
 * Decode `len` bytes of UTF-8 at `pos` of `u8` (`buf`: a Buffer over the same memory, or null).
 * @throws InvalidArgumentError unless `u8` is a Uint8Array, `pos` and `len` integers with the
 * range inside it, and `buf` null or over the same memory
 */
export function decodeUtf8(u8: Uint8Array, buf: Uint8Array | null, pos: number, len: number): string
/** Turn an error thrown by a native addon built on raw_transfer ("<Code>: …") into its typed class. */
export function fromNative(err: unknown): unknown
/** Call `fn`, rethrowing native errors as typed ones. */
export function native<T>(fn: () => T): T
