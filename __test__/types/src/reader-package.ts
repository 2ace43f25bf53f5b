// A third-party addon's JS with `raw-transfer-reader` alone (CommonJS under nodenext, and
// node10 through the package's "types"), and `raw-transfer/reader` being the same package.
import * as reader from 'raw-transfer-reader'
import * as viaMain from 'raw-transfer/reader'
import type { JobItem, NativeJob, ReaderConstants } from 'raw-transfer-reader'
// The runtime of generated typed-layout modules: its version and errors are for users too.
import * as layout from 'raw-transfer-reader/layout'

const same: typeof reader = viaMain
const back: typeof viaMain = reader
const c: ReaderConstants = reader.constants
const geometry: number[] = [reader.BLOCK_ALIGN, reader.BUFFER_SIZE, c.DATA_START, c.MIN_BUFFER_SIZE, c.META_PRODUCER0]
const cache: reader.BufferCache = new viaMain.BufferCache((id: number) => new ArrayBuffer(id))
const raw: reader.RawBuffer = new reader.RawBuffer(new ArrayBuffer(c.MIN_BUFFER_SIZE))
const words: Uint32Array = raw.u32
const name: string = raw.str(raw.ptr(raw.dataOffset), 4)
raw.assertGeneration(raw.generation)
const failure = reader.fromNative(new Error('StaleBuffer: gone'))
const stale: boolean = failure instanceof reader.StaleBufferError && failure instanceof viaMain.RawTransferError
const runtimeVersion: number = layout.LAYOUT_RUNTIME_VERSION
const readerVersion: string = layout.READER_VERSION
const skew = new layout.LayoutRuntimeMismatchError('generated for another runtime')
const skewCode: 'LayoutRuntimeMismatch' = skew.code
const skewIsError: reader.RawTransferError = skew
const mismatchClass: typeof reader.LayoutMismatchError = layout.LayoutMismatchError
const own = layout.defineLayout({ nodeTypes: ['Program'], reach: [[0]] })
const nodeTypes: readonly string[] = own.NODE_TYPES
const doc: layout.Doc = layout.open(raw, 'readProgram', 0, 0, 8, 8)
const text: string = layout.str(doc, doc.root)
// @ts-expect-error a Doc comes from open(), not from a RawBuffer
layout.str(raw, 0)
// @ts-expect-error the JSON layout is not the reader's
reader.constants.JSON_NODE_SIZE
// @ts-expect-error the JSON producer lives in raw-transfer
reader.JsonPool
// @ts-expect-error a RawBuffer takes a buffer
new reader.RawBuffer()

export function drive(job: NativeJob): Promise<{ items: number }> {
  return reader.runJob<JobItem>(job, {
    cache,
    open: (item) => ({ value: item, close() {} }),
    plugin: () => undefined,
    fail: (f) => new reader.CorruptDocumentError(f.message),
    release() {},
  })
}
export { same, back, geometry, words, name, stale }
