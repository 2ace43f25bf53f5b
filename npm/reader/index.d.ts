// Types of `raw-transfer-reader` (index.js; also `raw-transfer/reader`): the pure-JS reader
// of blocks any addon built on the raw_transfer crate sends; no native code, nothing of a
// producer's format.

/** The constants of a block and its hand-off record, generated from the Rust definitions. */
export interface ReaderConstants {
  readonly BLOCK_ALIGN: number
  readonly BLOCK_SIZE: number
  readonly BUFFER_SIZE: number
  readonly ACTIVE_SIZE: number
  readonly RAW_METADATA_SIZE: number
  /** 0: the hand-off record is a block's first bytes, in every buffer sent. */
  readonly RAW_METADATA_OFFSET: number
  /** Where a block's data starts (just past the hand-off record). */
  readonly DATA_START: number
  /** The shortest buffer a hand-off sends (1 MiB); buffers are powers of two from it, or BUFFER_SIZE. */
  readonly MIN_BUFFER_SIZE: number
  /** A pool's default `retainBytes` (16 MiB). */
  readonly DEFAULT_RETAINED_BYTES: number
  /** A pool's default `maxRetainBytes` (1 GiB). */
  readonly DEFAULT_MAX_RETAINED_BYTES: number
  /** u32 index, in RawTransferMetadata, of data_offset. */
  readonly META_DATA_OFFSET: number
  /** u32 index of the generation. */
  readonly META_GENERATION: number
  /** u32 index of the first producer-defined field (a producer's format tag). */
  readonly META_PRODUCER0: number
  /** u32 index of the second producer-defined field (its layout version). */
  readonly META_PRODUCER1: number
}
/** Every constant above, frozen. */
export const constants: ReaderConstants

/** Alignment of every block base: 4 GiB. */
export const BLOCK_ALIGN: number
/** Bytes owned by one block (2 GiB - 16). */
export const BLOCK_SIZE: number
/** The longest buffer of a block JS can be sent (a hand-off sends the prefix the data needs). */
export const BUFFER_SIZE: number
/** Length of the arena's data region (BUFFER_SIZE - DATA_START). */
export const ACTIVE_SIZE: number
/** Size of RawTransferMetadata, the first bytes of every buffer (16). */
export const RAW_METADATA_SIZE: number
/** Offset of RawTransferMetadata in the buffer (= ACTIVE_SIZE). */
export const RAW_METADATA_OFFSET: number

/**
 * A reader over a block buffer received from Rust. Its views are private state (getters):
 * `Object.keys(raw)` is `[]`, util.inspect prints a one-line summary, and
 * `structuredClone(raw)` / `postMessage(raw)` give `{}`: nothing of the 2 GiB block is
 * copied (send `block.copyToBuffer(ptr, len)` or plain values).
 */
export class RawBuffer {
  /**
   * @throws InvalidArgumentError if `buffer` is not a block buffer a pool sends: a prefix of
   * the block of a power of two of at least 1 MiB, or BUFFER_SIZE bytes (a Uint8Array over
   * all of one is accepted).
   */
  constructor(buffer: ArrayBuffer | Uint8Array)
  readonly arrayBuffer: ArrayBuffer
  readonly u8: Uint8Array
  readonly u16: Uint16Array
  readonly u32: Uint32Array
  readonly i32: Int32Array
  readonly f64: Float64Array
  /** Low 32 bits of the 8-byte pointer at byte `pos` (8-aligned): an offset in this buffer. @throws InvalidArgumentError unless `pos` is a multiple of 4 inside the buffer */
  ptr(pos: number): number
  /** The UTF-8 string of `len` bytes at offset `ptr`. @throws InvalidArgumentError unless integers inside the buffer */
  str(ptr: number, len: number): string
  /** RawTransferMetadata.data_offset. */
  readonly dataOffset: number
  /** RawTransferMetadata.generation. */
  readonly generation: number
  /** @throws StaleBufferError if the block has been reused since `generation`. */
  assertGeneration(generation: number): void
}

/** Block id -> RawBuffer for one JS environment. */
export class BufferCache {
  /**
   * `resend(id)`: the block's buffer again, from the pool that handed it (a native pool's
   * `resend`, which `pool_methods!` adds). With it, a cache that lost a buffer (cleared, or a
   * copy-mode buffer transferred away) asks for it instead of throwing StaleBufferError.
   * @throws InvalidArgumentError if `resend` is neither a function nor undefined
   */
  constructor(resend?: (id: number) => ArrayBuffer | Uint8Array)
  /**
   * Take a hand-off: the buffer the first time this environment sees block `id` (or when the
   * pool sends a new one, which replaces the cached one), null afterwards.
   * @throws StaleBufferError for null when the cache holds no live buffer for `id` and has no `resend`
   */
  receive(id: number, buffer: ArrayBuffer | Uint8Array | null): RawBuffer
  get(id: number): RawBuffer | undefined
  has(id: number): boolean
  readonly size: number
  clear(): void
}

/**
 * Base of every error this package throws. `instanceof` works across realms (Jest, vitest
 * vmThreads, `vm` contexts): an error made by another copy of this package is recognized
 * by its brand and class name.
 */
export class RawTransferError extends Error {
  /** The native error code ('Io', a producer's own, ...) where there is one. */
  code?: string
  /** For errors of a file job: the file. */
  path?: string
  /** For a producer's error at a position of its input ("<Code>: <offset>:<line>:<column>: <text>"): its byte offset. */
  offset?: number
  /** 1-based line of that position. */
  line?: number
  /** 1-based column of that position. */
  column?: number
}
export class PoolExhaustedError extends RawTransferError {}
export class PoolClosedError extends RawTransferError {
  /** When thrown by a run the close interrupted: what the run did until then. */
  result?: unknown
}
export class StaleBufferError extends RawTransferError {}
export class BlockFullError extends RawTransferError {}
export class ExternalBuffersForbiddenError extends RawTransferError {}
export class OutOfMemoryError extends RawTransferError {}
export class InvalidArgumentError extends RawTransferError {}
/** A bug in native code (a panic the addon caught: that one call fails) or an unexpected Node-API failure; `code` is 'Internal'. */
export class InternalError extends RawTransferError {
  code: 'Internal'
}
/** A job driven twice at once (a second `take()` or `runJob` while one waits); `code` is 'JobBusy'. */
export class JobBusyError extends RawTransferError {
  code: 'JobBusy'
}
/**
 * A document whose nodes JS overwrote points outside the block, claims more nodes or
 * string bytes than the document has, or forms a cycle: readers stop with this error.
 */
export class CorruptDocumentError extends RawTransferError {
  code: 'CorruptDocument'
}
/**
 * A block holds another layout than the generated reader (raw_transfer::layout::write_js)
 * was made for: another producer, or another version of the Rust types.
 */
export class LayoutMismatchError extends RawTransferError {
  code: 'LayoutMismatch'
}
/** A plugin's promise did not settle within `pluginTimeoutMs` (runJob and the jobs built on it); its block was released. */
export class PluginTimeoutError extends RawTransferError {
  code: 'PluginTimeout'
}
/** An item of a native producer job (raw_transfer::napi::Job), as the driver sees it. */
export interface JobItem {
  /** Index of the input. */
  index: number
  /** Block id (0 if the producer failed on this input). */
  id: number
  generation: number
  /** Size the producer reported for the input. */
  bytes: number
  /** Offset of the item's root in its block (the producer's `data_offset`). */
  root: number
  /** The item's number in its block (a block holds several): `[id, doc]` releases it. */
  doc: number
}

/** What a native job's `take()` returns (raw_transfer::napi::Batch). */
export interface NativeBatch {
  done: boolean
  wait: Promise<void> | null
  /** 6 numbers per item: index, id (0: failed), generation (failed: index in `errors`), bytes, root, doc. */
  records: Float64Array
  buffers: Array<number | ArrayBuffer>
  /** `errno` (positive) and `syscall` for OS errors of an input (a file that cannot be read). */
  errors: Array<{ code: string; message: string; position: [number, number, number] | null; errno?: number; syscall?: string }>
}

export interface NativeJob {
  /** Release `[id, doc, …]` pairs, then take every finished item. */
  take(released: Uint32Array | null): NativeBatch
  cancel(): void
}

/**
 * Drive a native producer job to the end: batches of finished items, the plugin on each,
 * blocks returned in the next batch call, errors recorded. See run-job.js.
 */
export function runJob<V>(
  job: NativeJob,
  options: {
    cache: BufferCache
    open(item: JobItem, giveBack: () => void): { value: V; close(): void } | null
    plugin(value: V, item: JobItem): unknown
    fail(failure: NativeBatch['errors'][number], item: JobItem): unknown
    /** Release documents at once: `[id, doc, id, doc, …]` (a pool's `releaseMany`). */
    release(pairs: Uint32Array): void
    failuresToPlugin?: boolean
    /** A plugin promise pending this long (integer ms, 1..2^31-1) is recorded as `timeoutError(item, ms)` and its value closed. */
    pluginTimeoutMs?: number
    /** The error recorded for a timed-out item. Default: a PluginTimeoutError. */
    timeoutError?(item: JobItem, ms: number): unknown
  },
): Promise<{ items: number; bytes: number; errors: Array<{ index: number; error: unknown; phase: 'produce' | 'plugin' }> }>

/**
 * Decode `len` bytes of UTF-8 at `pos` of `u8` (`buf`: a Buffer over the same memory, or null).
 * @throws InvalidArgumentError unless `u8` is a Uint8Array, `pos` and `len` integers with the
 * range inside it, and `buf` null or over the same memory
 */
export function decodeUtf8(u8: Uint8Array, buf: Uint8Array | null, pos: number, len: number): string
/** A block handed to JS: its id, the generation it was handed at, and its buffer (`null`: the one sent before). */
export interface SentRecord {
  id: number
  generation: number
  buffer: ArrayBuffer | null
}
/**
 * A hand-off as an addon's fast call returns it (raw_transfer's `FastValue::Sent`): the
 * number `id × 2^32 + generation` when the block's buffer was not sent again, else the record.
 * @throws InvalidArgumentError for anything else
 */
export function unpackSent(sent: number | SentRecord): SentRecord
/**
 * Turn an error thrown by a native addon built on raw_transfer ("<Code>: …") into its typed
 * class; "<Code>: <offset>:<line>:<column>: …" of another code gives a RawTransferError with
 * `code`, `offset`, `line` and `column`. Anything else is returned as it is.
 */
export function fromNative(err: unknown): unknown
/**
 * The typed error of an input a native job failed on (one of a batch's `errors`, what runJob
 * hands to `fail`): the class registered for its code (positioned ones with offset, line and
 * column), `code` set; `what` (a path, a name) starts the message and becomes `path`; an OS
 * error gets Node's fs fields (`code` 'ENOENT', `errno` -2, `syscall`).
 */
export function failureError(failure: NativeBatch['errors'][number], what?: string): RawTransferError & { path?: string; errno?: number; syscall?: string; offset?: number; line?: number; column?: number }
/** Call `fn`, rethrowing native errors as typed ones. */
export function native<T>(fn: () => T): T
