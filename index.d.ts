// Types of `require('raw-transfer')` (checked by __test__/types: tsc --strict, nodenext and bundler).
//
// `[Symbol.dispose]` needs TypeScript 5.2+ with lib "esnext.disposable" (or "esnext", or
// @types/node 20+); the declaration below supplies the symbol for other libs. At run time the
// methods answer to Symbol.dispose and to Symbol.for('Symbol.dispose') (esbuild's `using`
// fallback), so `using` works in vm contexts and test sandboxes too.
declare global {
  interface SymbolConstructor {
    readonly dispose: unique symbol
    readonly asyncDispose: unique symbol
  }
}

export {
  ReaderConstants,
  BLOCK_ALIGN,
  BLOCK_SIZE,
  BUFFER_SIZE,
  ACTIVE_SIZE,
  RAW_METADATA_SIZE,
  RAW_METADATA_OFFSET,
  RawBuffer,
  BufferCache,
  RawTransferError,
  PoolExhaustedError,
  StaleBufferError,
  BlockFullError,
  ExternalBuffersForbiddenError,
  OutOfMemoryError,
  InvalidArgumentError,
  InternalError,
  JobBusyError,
  CorruptDocumentError,
  LayoutMismatchError,
  PluginTimeoutError,
  JobItem,
  NativeBatch,
  NativeJob,
  runJob,
} from 'raw-transfer-reader'
import { ReaderConstants, RawBuffer, BufferCache, RawTransferError } from 'raw-transfer-reader'
import * as reader from 'raw-transfer-reader'

/** The JSON document layout (node and document field offsets, type tags, flags), generated from the Rust definitions. */
export interface JsonLayoutConstants {
  readonly JSON_FORMAT_VERSION: number
  readonly JSON_NODE_SIZE: number
  readonly JSON_NODE_ALIGN: number
  readonly JSON_NODE_KIND: number
  readonly JSON_NODE_LEN: number
  readonly JSON_NODE_START: number
  readonly JSON_NODE_END: number
  readonly JSON_NODE_PAYLOAD: number
  readonly JSON_ENTRY_SIZE: number
  readonly JSON_ENTRY_KEY: number
  readonly JSON_ENTRY_VALUE: number
  readonly JSON_DOC_SIZE: number
  readonly JSON_DOC_SOURCE_PTR: number
  readonly JSON_DOC_SOURCE_LEN: number
  readonly JSON_DOC_NODE_COUNT: number
  readonly JSON_DOC_MAX_DEPTH: number
  readonly JSON_DOC_ENTRY_COUNT: number
  readonly JSON_DOC_FLAGS: number
  readonly JSON_DOC_ROOT: number
  readonly JSON_DOC_FLAG_ASCII: number
  readonly JSON_TYPE_MASK: number
  readonly JSON_TYPE_NULL: number
  readonly JSON_TYPE_FALSE: number
  readonly JSON_TYPE_TRUE: number
  readonly JSON_TYPE_NUMBER: number
  readonly JSON_TYPE_STRING: number
  readonly JSON_TYPE_ARRAY: number
  readonly JSON_TYPE_OBJECT: number
  readonly JSON_FLAG_ASCII: number
  readonly JSON_FLAG_UTF16: number
  readonly JSON_FLAG_IN_SOURCE: number
}
/** Every layout constant Rust exports (the reader's and the JSON layout's), frozen. */
export const constants: ReaderConstants & JsonLayoutConstants

/** Blocks in this process (all worker threads) created and not yet freed. */
export function liveBlocks(): number
/**
 * Diagnostics: `[id, poolId, ownerCount]` of every live block (all threads). An owner count
 * of 1 is the Rust allocator alone (a pool, or a Rust thread holding the block); more are
 * JS buffers over it. For finding what keeps a block alive.
 */
export function liveBlockOwners(): Array<[number, number, number]>

export type TransferOption = 'auto' | 'external' | 'copy'

/**
 * Options of `new JsonPool()`. An undefined field takes its default; any other
 * value must be of the stated type and range (integers are numbers, not strings or BigInts),
 * else the constructor throws InvalidArgumentError.
 */
export interface PoolOptions {
  /** Maximum number of blocks (created lazily): an integer 1..4096. Default 4. */
  size?: number
  /**
   * 'external': zero-copy external ArrayBuffers (error if the runtime forbids them);
   * 'copy': a JS-allocated buffer per block, used ranges copied at each hand-off;
   * 'auto' (default): external where allowed, else copy. The env var
   * `RAW_TRANSFER_MODE=copy` turns 'auto' into 'copy'.
   */
  transfer?: TransferOption
  /** How long acquire() may block the JS thread waiting for a block: integer ms, 0..2^31-1. Default 0: fail at once. */
  acquireTimeoutMs?: number
  /**
   * Committed memory a block keeps across reuses: at least `retainBytes` (default 16 MiB), at
   * most `maxRetainBytes` (default 1 GiB), and in between what its last two documents needed,
   * at most twice the smaller of the two (one big document among small ones gives its memory
   * back at once). Larger values save page faults on large documents; `trim()` gives it all
   * back. Integers 0..ACTIVE_SIZE.
   */
  retainBytes?: number
  maxRetainBytes?: number
}

export interface PoolStats {
  size: number
  created: number
  available: number
  inUse: number
  /** Blocks checked out to this thread (handed off, not yet released). */
  checkedOut: number
  /** Committed bytes of every live block this pool created (including blocks only JS still holds). */
  committedBytes: number
  /** Resident bytes of those blocks (of their committed prefixes). */
  residentBytes: number
  /**
   * How the pool's blocks are mapped, i.e. what a JS write past what Rust committed does:
   * `'noreserve'` (the default where the OS allows it): the whole buffer is writable, a write
   * only faults in a page, given back at the block's next reset or `trim()`;
   * `'strict'` (under `vm.overcommit_memory=2`, or `RAW_TRANSFER_MEMORY_MODE=strict`): such
   * a write kills the process with SIGSEGV.
   */
  memoryMode: 'noreserve' | 'strict'
}

/**
 * A pool of fixed-size, 4 GiB-aligned arena blocks, bound to the JS environment (thread)
 * that created it: it checks blocks out (`acquire`) and parses JSON into them (`parseJson`,
 * `parseJsonFiles`).
 */
export class JsonPool {
  /** @throws InvalidArgumentError for options that are not an object (null, '3', 5n), an unknown option name (a typo: the message names the nearest one) or a field out of type or range */
  constructor(options?: PoolOptions)
  readonly size: number
  readonly transferMode: 'external' | 'copy'
  readonly closed: boolean
  /** The cache of buffers this pool has handed to this environment (id -> RawBuffer). */
  readonly cache: BufferCache
  stats(): PoolStats
  /**
   * Give the memory idle blocks keep for future documents back to the OS, and the scratch
   * this thread keeps for parsing (the parser's stacks, the 4 MiB buffer string input is
   * encoded into).
   */
  trim(): void
  /**
   * Check out a block, handed to JS at once.
   * @throws PoolExhaustedError when every block is checked out (after acquireTimeoutMs)
   * @throws PoolClosedError after close()
   */
  acquire(): Block
  /**
   * Parse JSON text (a string, or UTF-8 bytes) into a block of this pool, synchronously.
   * Accepts and rejects exactly what `JSON.parse` does.
   * @throws JsonSyntaxError (with offset, line, column), BlockFullError, PoolExhaustedError, PoolClosedError
   */
  parseJson(text: string | Uint8Array): JsonDocument
  /**
   * Rust threads read and parse `paths` in parallel into this pool's blocks; `plugin` runs on
   * this thread for each file, with the document, or with the error for a file that could
   * not be read (`code: 'Io'`) or parsed (JsonSyntaxError). The document's block returns to
   * the pool when the plugin returns, or when the promise it returns settles.
   * A plugin that throws or rejects is recorded in `errors` (with whatever it threw: not
   * necessarily an Error), and so is one whose promise is still pending after
   * `pluginTimeoutMs` (a PluginTimeoutError; its document is released); the run goes on.
   * @throws InvalidArgumentError (rejects) for bad arguments or options
   * @throws PoolClosedError (with `.result`: what was done before the close) if the pool is
   *   closed during the run
   */
  parseJsonFiles(
    paths: string[],
    plugin: (doc: JsonDocument | RawTransferError, path: string, index: number) => unknown,
    options?: JsonFilesOptions,
  ): Promise<JsonFilesResult>
  /** Rust lets go of its blocks and the package drops its cached references; blocks user code still references are freed by the GC. */
  close(): void
  [Symbol.dispose](): void
}
/** The former name of JsonPool: the same class. */
export const FixedSizeAllocatorPool: typeof JsonPool
export type FixedSizeAllocatorPool = JsonPool


export interface Written {
  /** Byte offset of the data in the block's buffer (the low 32 bits of the Rust pointer). */
  ptr: number
  /** Length in bytes. */
  len: number
}

/** A checked-out block. Made by `pool.acquire()` only. */
export class Block {
  private constructor()
  readonly id: number
  /** The block's generation at this checkout. */
  readonly generation: number
  /**
   * The block as bytes (zero-copy in 'external' mode): the prefix its data needs. After a
   * write past it the block is handed off again with a longer one: read `buffer` again.
   */
  readonly buffer: Uint8Array
  readonly raw: RawBuffer
  readonly released: boolean
  readonly usedBytes: number
  /** Copy bytes into the arena at an 8-byte-aligned offset (so typed arrays can read them). @throws BlockFullError */
  writeBytes(bytes: Uint8Array): Written
  /** Copy a string into the arena as UTF-8. @throws BlockFullError */
  writeString(str: string): Written
  /** Set RawTransferMetadata.data_offset. @throws InvalidArgumentError unless an integer 0..ACTIVE_SIZE within what was written */
  setDataOffset(ptr: number): void
  /**
   * A copy of `[ptr, ptr + len)` in a new Node Buffer (outlives the block).
   * @throws InvalidArgumentError unless integers with ptr + len inside what was written
   */
  copyToBuffer(ptr: number, len: number): Uint8Array
  /** Hand the block to JS again (writes the metadata; in copy mode copies the used bytes). Returns the cached RawBuffer. */
  handOff(): RawBuffer
  /** Return the block to the pool; later use throws StaleBufferError. Idempotent. */
  release(): void
  [Symbol.dispose](): void
}

export interface Span {
  /** Byte offset in the UTF-8 source where the value's JSON text starts. */
  start: number
  /** Byte offset just past its end. */
  end: number
}

export type JsonType = 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null'
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

/**
 * Options of `pool.parseJsonFiles()`. An undefined field takes its default; any other value
 * must be an integer in range, else the call rejects with InvalidArgumentError.
 */
export interface JsonFilesOptions {
  /** Rust threads reading and parsing files: 1..64. Default 2. */
  threads?: number
  /** Blocks the run may hold at once: 1..pool size; 0 (default): what other running jobs leave. */
  maxBlocks?: number
  /**
   * If set (integer ms, 1..2^31-1): a plugin promise still pending after this long is
   * recorded as a PluginTimeoutError for its file (phase 'plugin'), the file's document is
   * released (later reads of it throw StaleBufferError) and the run goes on; how the promise
   * settles later is ignored. Default: no limit. The timers do not keep the process alive.
   */
  pluginTimeoutMs?: number
}

/** One failure of a parseJsonFiles run: the file's path and its index in `paths`. */
export type JsonFileError =
  /** The file could not be read (`error.code === 'Io'`). */
  | { path: string; index: number; phase: 'read'; error: RawTransferError }
  /** The file could not be parsed: a JsonSyntaxError, or e.g. a BlockFullError. */
  | { path: string; index: number; phase: 'parse'; error: RawTransferError }
  /** The plugin threw or rejected (whatever it threw, which need not be an Error), or timed out (PluginTimeoutError). */
  | { path: string; index: number; phase: 'plugin'; error: unknown }

export interface JsonFilesResult {
  files: number
  bytes: number
  ms: number
  errors: JsonFileError[]
}

/**
 * What every JsonNode has. A node is a lazy view: nothing is decoded until asked for, and
 * reads after the document's release() throw StaleBufferError. Arguments are not coerced:
 * a non-integer index or a non-string key throws InvalidArgumentError. A document whose
 * bytes JS overwrote gives wrong values or throws CorruptDocumentError, never an endless
 * walk. Child views are new objects on each call (`node.get('a') !== node.get('a')`);
 * `doc.root` is the same object each time.
 * `JSON.stringify(node)` gives its JSON (toJSON), util.inspect a one-line summary;
 * `Object.keys(node)` is `[]`; `structuredClone(node)` / `postMessage(node)` give `{}`, as
 * for any class instance whose state is private (send `node.value`).
 */
export interface JsonNodeBase {
  readonly type: JsonType
  /** Elements of an array or entries of an object (duplicates included); undefined otherwise. */
  readonly length: number | undefined
  readonly isContainer: boolean
  /** The value as JSON.parse would give it (containers: fully materialized). */
  readonly value: JsonValue
  readonly span: Span
  /** The value of `key` of an object (the last duplicate, as JSON.parse keeps); undefined otherwise. @throws InvalidArgumentError if `key` is not a string */
  get(key: string): JsonNode | undefined
  /**
   * Element `index` of an array, as `Array.prototype.at`: negative counts from the end, out
   * of range is undefined; undefined for other types.
   * @throws InvalidArgumentError if `index` is not an integer (0.5, NaN, '1', 1n)
   */
  at(index: number): JsonNode | undefined
  /** An object's keys (strings, source order, duplicates included); an array's indices (numbers); [] otherwise. */
  keys(): string[] | number[]
  /** `[key, value, keySpan]` per object entry, or `[index, value]` per array element; [] otherwise. */
  entries(): [string, JsonNode, Span][] | [number, JsonNode][]
  /** Array elements or object values; [] otherwise. */
  children(): JsonNode[]
  /**
   * Visit children without building arrays; return false to stop.
   * @throws StaleBufferError after a call of `fn` that released the document (the next entry is not read)
   */
  forEach(fn: (child: JsonNode, keyOrIndex: string | number, i: number) => unknown): void
  /** The span of the quoted key of entry `i` of an object; undefined out of range. @throws InvalidArgumentError if `i` is not an integer */
  keySpanAt(i: number): Span | undefined
  /** `JSON.stringify(node)`: the same as `node.value`. */
  toJSON(): JsonValue
}

/** An object node (`node.type === 'object'` narrows a JsonNode to it). */
export interface JsonObjectNode extends JsonNodeBase {
  readonly type: 'object'
  /** Entries, duplicates included. */
  readonly length: number
  readonly isContainer: true
  readonly value: { [key: string]: JsonValue }
  keys(): string[]
  entries(): [string, JsonNode, Span][]
  forEach(fn: (child: JsonNode, key: string, i: number) => unknown): void
  toJSON(): { [key: string]: JsonValue }
  /** `for (const [key, child] of node)`: entries in source order, duplicates included, like a Map's. */
  [Symbol.iterator](): IterableIterator<[string, JsonNode]>
}

/** An array node (`node.type === 'array'` narrows a JsonNode to it). */
export interface JsonArrayNode extends JsonNodeBase {
  readonly type: 'array'
  readonly length: number
  readonly isContainer: true
  readonly value: JsonValue[]
  keys(): number[]
  entries(): [number, JsonNode][]
  forEach(fn: (child: JsonNode, index: number, i: number) => unknown): void
  toJSON(): JsonValue[]
  /** `for (const child of node)`, `Array.from(node)`: the elements, as `at(i)` gives them. */
  [Symbol.iterator](): IterableIterator<JsonNode>
}

/** A string, number, boolean or null node: no children, not iterable. */
export interface JsonScalarNode<T extends 'string' | 'number' | 'boolean' | 'null', V extends JsonValue> extends JsonNodeBase {
  readonly type: T
  readonly length: undefined
  readonly isContainer: false
  readonly value: V
  keys(): []
  entries(): []
  children(): []
  get(key: string): undefined
  at(index: number): undefined
  keySpanAt(i: number): undefined
  toJSON(): V
}
export type JsonStringNode = JsonScalarNode<'string', string>
export type JsonNumberNode = JsonScalarNode<'number', number>
export type JsonBooleanNode = JsonScalarNode<'boolean', boolean>
export type JsonNullNode = JsonScalarNode<'null', null>

/**
 * A lazy view of one JSON value in a block, discriminated by `type`. Nodes come from a
 * JsonDocument (`doc.root`, `get`, `at`, ...): `JsonNode` is exported for `instanceof`
 * only, and `new JsonNode()` throws InvalidArgumentError.
 */
export type JsonNode = JsonObjectNode | JsonArrayNode | JsonStringNode | JsonNumberNode | JsonBooleanNode | JsonNullNode
export const JsonNode: {
  readonly prototype: JsonNode
  [Symbol.hasInstance](value: unknown): value is JsonNode
}

/**
 * A parsed document; holds one block until release(). Reads after release throw
 * StaleBufferError. Made by `pool.parseJson()` and `pool.parseJsonFiles()` only: `new
 * JsonDocument()` throws InvalidArgumentError. `JSON.stringify(doc)` gives the document's
 * JSON (toJSON); `structuredClone(doc)` / `postMessage(doc)` give `{}` (send `doc.toJS()`).
 */
export class JsonDocument {
  private constructor()
  /** The root value (the same object each time). */
  readonly root: JsonNode
  readonly raw: RawBuffer
  readonly bufferId: number
  readonly generation: number
  /** Values in the document, root included, keys excluded. */
  readonly nodeCount: number
  /** Deepest container nesting (0 for a scalar). */
  readonly maxDepth: number
  readonly sourceLength: number
  readonly released: boolean
  /** Everything, deep-equal to JSON.parse(text) (including key order, -0 and "__proto__" keys). */
  toJS(): JsonValue
  /** `JSON.stringify(doc)`: the same as `doc.toJS()`. */
  toJSON(): JsonValue
  /** The source text of `span`, or all of it. @throws InvalidArgumentError unless start and end are integers, 0 <= start <= end <= sourceLength */
  text(span?: Span): string
  /** 1-based line and column (UTF-16 units) of a byte offset in the source. @throws InvalidArgumentError unless an integer 0..sourceLength */
  position(offset: number): { line: number; column: number }
  release(): void
  [Symbol.dispose](): void
}

/** When thrown by parseJsonFiles (the pool was closed during the run), `result` is what the run did until then. */
export class PoolClosedError extends reader.PoolClosedError {
  result?: JsonFilesResult
}
/** A JSON syntax error with the position of the offending byte; `code` is 'JsonSyntax'. */
export class JsonSyntaxError extends RawTransferError {
  /** Byte offset of the offending byte in the UTF-8 input. */
  readonly offset: number
  /** 1-based line. */
  readonly line: number
  /** 1-based column. */
  readonly column: number
  /** The file, for errors reported by parseJsonFiles. */
  readonly path?: string
}

// ---- Parallel plugins (runJsonPlugins, runParallel: js/parallel/) ----------------------

/** An AbortSignal (written structurally: consumers need not have the DOM or @types/node types). */
export interface AbortSignalLike {
  readonly aborted: boolean
  readonly reason?: unknown
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void
  removeEventListener(type: 'abort', listener: () => void): void
}

/** Options every parallel run takes. */
export interface ParallelOptions {
  /**
   * Worker threads (1..64). Default `Math.min(os.availableParallelism(), 8)`; never more
   * than there are inputs.
   */
  workers?: number
  /** Stops the run: workers are terminated and the promise rejects with an `AbortError` (with `.result`). */
  signal?: AbortSignalLike
  /** Called on the main thread as chunks complete (at most every ~50 ms, and once at the end). */
  onProgress?: (progress: { done: number; total: number }) => void
}

export interface JsonPluginsOptions extends ParallelOptions {
  /**
   * Absolute path of the plugin module (CommonJS or ESM): its default export (or
   * `module.exports`) is `(doc, path) => result`, sync or async, run in each worker on the
   * lazy document. It is not called for files that could not be read or parsed.
   */
  plugin: string
  /** Rust threads in all, split across the workers (each gets max(1, round(threads / workers))). Default 2. */
  threads?: number
  /** Blocks of each worker's pool. Default 4. */
  poolSize?: number
  /** Transfer mode of each worker's pool. Default 'auto'. */
  transfer?: TransferOption
  /** Passed to each worker's parseJsonFiles: a plugin promise pending that long is recorded as a PluginTimeoutError. */
  pluginTimeoutMs?: number
  /** Passed to each worker's parseJsonFiles (blocks one chunk's job may hold; 0 or unset: its default). */
  maxBlocks?: number
}

/** One failure of a parallel run. */
export type ParallelPhase = 'read' | 'parse' | 'plugin' | 'worker'

export interface JsonPluginError {
  path: string
  /**
   * 'read' / 'parse': as parseJsonFiles reports them (RawTransferError with code 'Io',
   * JsonSyntaxError, ...); 'plugin': what the plugin threw or rejected with (an Error rebuilt
   * on the main thread with its class, message, code and fields and the worker's stack; a
   * non-Error as it was), a PluginTimeoutError, or a DataCloneError for a result that cannot
   * be sent; 'worker': the file's plugin ended its worker thread (process.exit(), an uncaught
   * error) when run alone: a RawTransferError with code 'WorkerExited' (`cause`: the uncaught error).
   */
  phase: ParallelPhase
  error: unknown
}

export interface JsonPluginsResult<R = unknown> {
  /** `results[i]`: the (structured-cloned) plugin result for `paths[i]`; undefined for a failed file. */
  results: Array<R | undefined>
  files: number
  bytes: number
  ms: number
  /** In the order of the paths. */
  errors: JsonPluginError[]
  /** Workers replaced after they died. */
  restarts: number
  /**
   * Worker threads the run used; 0: it ran in the calling thread (no `workers` option was
   * given, and the files were too small in all for workers to pay for their start).
   */
  workers: number
  /** Why that many, when the run chose (no `workers` option given to runJsonPlugins or the host); null otherwise. */
  workersReason: string | null
}

/** The error a parallel run rejects with when its signal aborts it. */
export interface ParallelAbortError<T> extends Error {
  name: 'AbortError'
  code: 'ABORT_ERR'
  /** What was done until then. */
  result: T
}

/**
 * Run a plugin module over JSON files in `workers` worker threads: each worker has its own
 * pool and runs a parseJsonFiles job per chunk of files it is handed (Rust threads read and
 * parse, the worker's JS runs the plugin on the lazy document, zero-copy). Chunks go to
 * whichever worker is free. A worker that dies is replaced; a file that kills its worker
 * when run alone is recorded (phase 'worker'). Every worker has ended (and its blocks are
 * freed) when the promise settles. With no `workers` option, files too few bytes in all for
 * workers to pay for their start (an estimate from the CPUs: about 180 MB on 2, 100 MB on 4,
 * 80 MB on 8, any size on 1) are run in the calling thread instead (same results and errors,
 * no isolation): the result's `workers` is then 0 and `workersReason` says why.
 * @throws InvalidArgumentError (as a rejection) for a bad argument
 * @throws ParallelAbortError when `signal` aborts the run
 */
export function runJsonPlugins<R = unknown>(paths: string[], options: JsonPluginsOptions): Promise<JsonPluginsResult<R>>

export interface ParallelRunOptions extends ParallelOptions {
  /**
   * Absolute path of the runner module, loaded in each worker. It exports
   * `run(inputs, plugin, options)`: process a chunk of inputs (its own native job and
   * `runJob`), resolving to `{ results, errors }` with `results[i]` for `inputs[i]` and
   * errors `{ index, error, phase }` (index in the chunk). Optional: `init(options)` (once,
   * before the first chunk; a failure rejects the run) and `close(options)` (at the end).
   */
  runner: string
  /** Absolute path of the plugin module: its default export is handed to `run` as `plugin`. */
  plugin: string
  /** Anything else is passed, structured-cloned, to the runner as `options`. */
  [runnerOption: string]: unknown
}

/** What a runner module's `run` resolves to. */
export interface ParallelChunkResult {
  results: unknown[]
  errors: Array<{ index: number; error: unknown; phase: string }>
  /** Inputs processed (default: the chunk's length). */
  files?: number
  /** Summed into the run's `bytes`. */
  bytes?: number
}

export interface ParallelResult<R = unknown> {
  results: Array<R | undefined>
  files: number
  bytes: number
  ms: number
  /** In the order of the inputs; phase: the runner's own, or 'worker'. */
  errors: Array<{ index: number; error: unknown; phase: string }>
  restarts: number
  /** Worker threads the run used. */
  workers: number
  /** Always null: runParallel uses the workers it is given (or the default). */
  workersReason: string | null
}

/**
 * The generic form of runJsonPlugins for any producer: hand chunks of `inputs`
 * (structured-cloneable) to `workers` worker threads, each running the `runner` module on
 * them with the `plugin` module's function. A runner that throws rejects the run.
 */
export function runParallel<R = unknown>(inputs: unknown[], options: ParallelRunOptions): Promise<ParallelResult<R>>

/** Options of one run on a host. */
export interface HostRunOptions {
  /** Stops the run: its workers are terminated (the host starts new ones for its next run) and the promise rejects with an `AbortError` (with `.result`). */
  signal?: AbortSignalLike
  /** Called on the main thread as chunks complete (at most every ~50 ms, and once at the end). */
  onProgress?: (progress: { done: number; total: number }) => void
}

/**
 * Worker threads kept between runs: each loads the package, the runner and the plugin, makes
 * its pool and compiles its code once, so a run pays none of that (runJsonPlugins and
 * runParallel start and end a host of their own for each call). Runs are queued: one at a
 * time uses the workers. Idle workers do not keep the process alive.
 */
export interface PluginHost<Inputs, Result> {
  /** Worker threads the host runs (started on the first run, replaced if they die). */
  readonly workers: number
  /** True once close() was called. */
  readonly closed: boolean
  /**
   * Run the plugin over `inputs`. A run that fails or is aborted terminates the workers; the
   * host starts new ones for its next run.
   * @throws PoolClosedError (as a rejection) after close()
   * @throws InvalidArgumentError (as a rejection) for a bad argument
   * @throws ParallelAbortError when `signal` aborts the run
   */
  run(inputs: Inputs, options?: HostRunOptions): Promise<Result>
  /** End the workers once the queued runs are done; resolves when every worker has exited (their pools freed). */
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

/** runJsonPlugins' options without the per-run ones (signal, onProgress: see HostRunOptions). */
export type JsonPluginHostOptions = Omit<JsonPluginsOptions, 'signal' | 'onProgress'>

/**
 * A host for runJsonPlugins' work that keeps its workers between runs:
 * `const host = createJsonPluginHost({ plugin, workers: 4 }); await host.run(paths); ...; await host.close()`.
 * With no `workers` option, each run of files too few bytes in all for workers to pay for
 * their start (as for runJsonPlugins) is done in the calling thread (result `workers` 0,
 * `workersReason` says why); workers start for the first run that needs them.
 * @throws InvalidArgumentError for a bad option
 */
export function createJsonPluginHost<R = unknown>(options: JsonPluginHostOptions): PluginHost<string[], JsonPluginsResult<R>>

/** runParallel's options without the per-run ones. */
export type ParallelHostOptions = Omit<ParallelRunOptions, 'signal' | 'onProgress'>

/**
 * The generic host (any runner module, see runParallel), kept between runs.
 * @throws InvalidArgumentError for a bad option
 */
export function createParallelHost<R = unknown>(options: ParallelHostOptions): PluginHost<unknown[], ParallelResult<R>>
