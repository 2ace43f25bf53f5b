// raw-transfer-reader from an ES module (a CommonJS package with an ESM entry): the default
// import is its module.exports, named imports work, and raw-transfer/reader is the same.
import reader, { BufferCache, RawBuffer, RawTransferError, constants } from 'raw-transfer-reader'
import viaMain, { RawBuffer as MainRawBuffer } from 'raw-transfer/reader'

const cache = new BufferCache()
const raw: RawBuffer = cache.receive(1, new ArrayBuffer(constants.MIN_BUFFER_SIZE))
const alsoRaw: MainRawBuffer = raw
export const sameDefault: typeof reader = viaMain
export const isError = (e: unknown): boolean => e instanceof RawTransferError
export const offset: number = alsoRaw.dataOffset + reader.constants.DATA_START

// raw-transfer-reader/layout from ESM: named and default imports.
import layout, { LAYOUT_RUNTIME_VERSION, LayoutRuntimeMismatchError } from 'raw-transfer-reader/layout'
export const runtimeVersion: number = LAYOUT_RUNTIME_VERSION
export const sameVersion: boolean = layout.LAYOUT_RUNTIME_VERSION === LAYOUT_RUNTIME_VERSION
export const skew = (e: unknown): boolean => e instanceof LayoutRuntimeMismatchError && e instanceof RawTransferError
