// Types of `require('raw-transfer')`.

/** Alignment of every block base: 4 GiB. */
export const BLOCK_ALIGN: number
/** Bytes owned by one block (2 GiB - 16). */
export const BLOCK_SIZE: number
/** Length of the ArrayBuffer JS sees over a block. */
export const BUFFER_SIZE: number
/** Length of the arena's data region (BUFFER_SIZE - RAW_METADATA_SIZE). */
export const ACTIVE_SIZE: number
/** Size of RawTransferMetadata, the last bytes of the buffer (16). */
export const RAW_METADATA_SIZE: number
/** Offset of RawTransferMetadata in the buffer (= ACTIVE_SIZE). */
export const RAW_METADATA_OFFSET: number
/** Every layout constant exported by Rust (geometry, metadata fields, JSON node layout). */
export const constants: Readonly<Record<string, number>>

/** Blocks in this process (all worker threads) created and not yet freed. */
export function liveBlocks(): number

export type TransferOption = 'auto' | 'external' | 'copy'

export interface PoolOptions {
  /** Maximum number of blocks (created lazily). Default 4. */
  size?: number
  /**
   * 'external': zero-copy external ArrayBuffers (error if the runtime forbids them);
   * 'copy': a JS-allocated buffer per block, used ranges copied at each hand-off;
   * 'auto' (default): external where allowed, else copy. The env var
   * `RAW_TRANSFER_MODE=copy` turns 'auto' into 'copy'.
   */
  transfer?: TransferOption
  /** How long acquire() may block the JS thread waiting for a block. Default 0: fail at once. */
  acquireTimeoutMs?: number
  /**
   * Committed memory a block keeps across reuses: at least `retainBytes` (default 16 MiB), at
   * most `maxRetainBytes` (default 256 MiB), and in between what recent documents needed
   * (halving at each reuse). Larger values save page faults on large documents; `trim()`
   * gives it all back.
   */
  retainBytes?: number
  maxRetainBytes?: number
}

export interface PoolStats {
  size: number
  created: number
  available: number
  inUse: number
  /** Committed bytes of every live block this pool created (including blocks only JS still holds). */
  committedBytes: number
  /** Resident bytes of those blocks. */
  residentBytes: number
}

/** A pool of fixed-size, 4 GiB-aligned arena blocks, bound to the JS environment (thread) that created it. */
export class FixedSizeAllocatorPool {
  constructor(options?: PoolOptions)
  readonly size: number
  readonly transferMode: 'external' | 'copy'
  readonly closed: boolean
  /** The cache of buffers this pool has handed to this environment (id -> RawBuffer). */
  readonly cache: BufferCache
  stats(): PoolStats
  /** Give the memory idle blocks keep for future documents back to the OS. */
  trim(): void
  /**
   * Check out a block, handed to JS at once.
   * @throws PoolExhaustedError when every block is checked out (after acquireTimeoutMs)
   * @throws PoolClosedError after close()
   */
  acquire(): Block
  /** Rust lets go of its blocks and the package drops its cached references; blocks user code still references are freed by the GC. */
  close(): void
  [Symbol.dispose](): void
}

export interface Written {
  /** Byte offset of the data in the block's buffer (the low 32 bits of the Rust pointer). */
  ptr: number
  /** Length in bytes. */
  len: number
}

/** A checked-out block. */
export class Block {
  readonly id: number
  /** The block's generation at this checkout. */
  readonly generation: number
  /** The whole block as bytes (zero-copy in 'external' mode). */
  readonly buffer: Uint8Array
  readonly raw: RawBuffer
  readonly released: boolean
  readonly usedBytes: number
  /** Copy bytes into the arena. @throws BlockFullError */
  writeBytes(bytes: Uint8Array): Written
  /** Copy a string into the arena as UTF-8. @throws BlockFullError */
  writeString(str: string): Written
  /** Set RawTransferMetadata.data_offset. */
  setDataOffset(ptr: number): void
  /** A copy of `[ptr, ptr + len)` in a new Node Buffer (outlives the block). */
  copyToBuffer(ptr: number, len: number): Uint8Array
  /** Hand the block to JS again (writes the metadata; in copy mode copies the used bytes). Returns the cached RawBuffer. */
  handOff(): RawBuffer
  /** Return the block to the pool; later use throws StaleBufferError. Idempotent. */
  release(): void
  [Symbol.dispose](): void
}

/** A reader over a block buffer received from Rust. */
export class RawBuffer {
  /** @throws InvalidArgumentError if `buffer` is not a whole block buffer (BUFFER_SIZE bytes). */
  constructor(buffer: ArrayBuffer | Uint8Array)
  readonly arrayBuffer: ArrayBuffer
  readonly u8: Uint8Array
  readonly u16: Uint16Array
  readonly u32: Uint32Array
  readonly i32: Int32Array
  readonly f64: Float64Array
  /** Low 32 bits of the 8-byte pointer at byte `pos` (8-aligned): an offset in this buffer. */
  ptr(pos: number): number
  /** The UTF-8 string of `len` bytes at offset `ptr`. */
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
  /** Take a hand-off: the buffer the first time this environment sees block `id`, null afterwards. */
  receive(id: number, buffer: ArrayBuffer | Uint8Array | null): RawBuffer
  get(id: number): RawBuffer | undefined
  has(id: number): boolean
  readonly size: number
  clear(): void
}

export class RawTransferError extends Error {}
export class PoolExhaustedError extends RawTransferError {}
export class PoolClosedError extends RawTransferError {}
export class StaleBufferError extends RawTransferError {}
export class BlockFullError extends RawTransferError {}
export class ExternalBuffersForbiddenError extends RawTransferError {}
export class OutOfMemoryError extends RawTransferError {}
export class InvalidArgumentError extends RawTransferError {}
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
