// Types of `raw-transfer-reader/layout` (layout.js): the runtime of the typed-layout readers
// raw_transfer::layout::write_js generates. A generated module is its user; what a program
// of yours needs from here is LAYOUT_RUNTIME_VERSION and the errors. The functions take a
// document (`Doc`, made by `open`) and byte positions in its buffer, check what they read
// against the buffer, and throw CorruptDocumentError, StaleBufferError or LayoutMismatchError.

import { RawBuffer, RawTransferError, LayoutMismatchError } from './index.js'

/**
 * The version of the contract between generated modules and this runtime. A generated module
 * checks it when it loads and throws LayoutRuntimeMismatchError for another; it never changes
 * meaning, nor does that error class.
 */
export const LAYOUT_RUNTIME_VERSION: number
/** This package's version (raw-transfer-reader), for messages. */
export const READER_VERSION: string

/**
 * A generated module was made for another version of this runtime than the installed
 * raw-transfer-reader has: install the reader that goes with the raw_transfer crate that
 * generated it, or regenerate it.
 */
export class LayoutRuntimeMismatchError extends RawTransferError {
  code: 'LayoutRuntimeMismatch'
}
/** The block holds another layout (another producer, or another version of the Rust types). */
export { LayoutMismatchError }

/** One document: a block's views, the generation it was handed at, the state of a walk over it. */
export interface Doc {
  readonly raw: RawBuffer
  readonly gen: number
  readonly root: number
  released: boolean
  readonly end: number
}

/** A layout's visitor, as `visit` compiled it (opaque). */
export interface CompiledVisitor {
  readonly stack: unknown[]
}

/** What `defineLayout` makes for one generated module: its own state. */
export interface LayoutDefinition {
  readonly NODE_TYPES: readonly string[]
  /** The key of a view's walk entry: views of another layout lack it. */
  readonly WALK: unique symbol
  rootView<V extends object>(d: Doc, view: V): V
  release(root: object): void
  visit(root: object, handlers: object): void
  toJS<J>(view: { toJS(): J }): J
}

/**
 * One layout's state: `nodeTypes` the visitor's node types, `reach[t]` the node types
 * (indices) type `t` can lead to.
 */
export function defineLayout(spec: { nodeTypes: readonly string[]; reach: readonly (readonly number[])[] }): LayoutDefinition

/**
 * The Doc of a hand-off (a RawBuffer, or `{ raw, offset?, root?, generation? }`), checked:
 * the block carries the layout hash `hi:lo`; a root of `size` bytes aligned to `align` fits.
 */
export function open(
  handOff: RawBuffer | { raw: RawBuffer; offset?: number; root?: number; generation?: number },
  what: string,
  lo: number,
  hi: number,
  size: number,
  align: number,
): Doc
/** Throws StaleBufferError once the document was released, or its block reused. */
export function live(d: Doc): void
export function corrupt(d: Doc, what: string, p: number): never
export function badTag(d: Doc, what: string, p: number, tag: number): never
/** The target of the pointer at `p`, checked: non-null, inside the buffer, aligned (`mask`). */
export function ptr(d: Doc, p: number, size: number, mask: number): number
/** `ptr`, charged to the walk in progress. */
export function enter(d: Doc, p: number, size: number, mask: number): number
/** Where the elements of the slice or vector at `p` start, checked. */
export function span(d: Doc, p: number, size: number, mask: number, isSlice: boolean): number
/** Charge `n` elements of `size` bytes to the walk in progress. */
export function charge(d: Doc, n: number, size: number): void
/** The string at `p` (pointer, length), checked. */
export function str(d: Doc, p: number): string
export function u64(d: Doc, p: number): number
export function i64(d: Doc, p: number): number
/** An f64 as serde_json writes it: non-finite as null. */
export function f64js(x: number): number | null
/** An f32 as serde_json writes it: the shortest decimal that reads back as the same f32. */
export function f32js(x: number): number | null
/** `fn(d, p, n)` later (toJS below the module's MAX_DEPTH); its value goes where the returned placeholder is. */
export function defer(d: Doc, fn: (d: Doc, p: number, n: number) => unknown, p: number, n: number): object
/** Run a toJS walk of `fn` from `p` with a fresh budget. */
export function run<T>(fn: (d: Doc, p: number, n?: number) => T, d: Doc, p: number, n?: number): T
/** Run a visit walk of `fn` from `p`. */
export function runWalk(fn: (d: Doc, p: number, v: CompiledVisitor, n?: number) => void, d: Doc, p: number, v: CompiledVisitor, n?: number): void
/** Iterator over a list view: `read(d, p)` of each element, `size` bytes apart. */
export class ListIterator<T> implements IterableIterator<T> {
  constructor(d: Doc, p: number, n: number, size: number, read: (d: Doc, p: number) => T)
  next(): IteratorResult<T, undefined>
  [Symbol.iterator](): IterableIterator<T>
}
/** `Symbol.for('nodejs.util.inspect.custom')`. */
export const inspect: unique symbol
/**
 * Keep `make(doc)` (one view of each of a generated module's view classes, over a Doc of no
 * document) alive as long as this runtime, so that a full GC while no real view lives does
 * not free the classes' maps and deoptimize the code that reads them. A generated module
 * calls it once when it loads.
 */
export function keepMaps(make: (d: Doc) => readonly object[]): void
