// A user of `raw-transfer/reader` (a third-party addon's JS): every export is typed, and the
// reader has nothing of the JSON producer.
import * as reader from 'raw-transfer/reader'
import type { JobItem, NativeJob, ReaderConstants } from 'raw-transfer/reader'

const c: ReaderConstants = reader.constants
const offsets: number[] = [c.RAW_METADATA_OFFSET, c.META_DATA_OFFSET, c.META_GENERATION, c.META_PRODUCER0, c.META_PRODUCER1]
const geometry: number[] = [reader.BLOCK_ALIGN, reader.BLOCK_SIZE, reader.BUFFER_SIZE, reader.ACTIVE_SIZE, reader.RAW_METADATA_SIZE]
// @ts-expect-error the JSON layout is not the reader's
reader.constants.JSON_NODE_SIZE
// @ts-expect-error JsonSyntaxError lives with the JSON producer (raw-transfer)
reader.JsonSyntaxError

const cache = new reader.BufferCache()
const raw: reader.RawBuffer | undefined = cache.get(1)
const text: string = reader.decodeUtf8(new Uint8Array(4), null, 0, 4)
const sent: reader.SentRecord = reader.unpackSent(5 * 2 ** 32 + 1)
const again: { id: number; generation: number; buffer: ArrayBuffer | null } = reader.unpackSent(sent)
const n: number = reader.native(() => 1)
const e = reader.fromNative(new Error('CsvSyntax: 4:1:5: bad row'))
if (e instanceof reader.RawTransferError) {
  const where: Array<number | undefined> = [e.offset, e.line, e.column]
  const code: string | undefined = e.code
}
const errors = [
  reader.PoolExhaustedError,
  reader.PoolClosedError,
  reader.StaleBufferError,
  reader.BlockFullError,
  reader.ExternalBuffersForbiddenError,
  reader.OutOfMemoryError,
  reader.InvalidArgumentError,
  reader.InternalError,
  reader.JobBusyError,
  reader.CorruptDocumentError,
  reader.PluginTimeoutError,
]

export async function drive(job: NativeJob): Promise<number> {
  const r = await reader.runJob<JobItem>(job, {
    cache,
    open: (item) => ({ value: item, close() {} }),
    plugin: (item) => item.index,
    fail: (failure) => new reader.RawTransferError(failure.message),
    release() {},
  })
  return r.items
}
export { offsets, geometry, raw, text, n, errors }

// The typed layouts' runtime through raw-transfer (what a generated module with
// `reader: "raw-transfer/reader"` imports): the same declarations as raw-transfer-reader/layout.
import * as viaPackage from 'raw-transfer/reader/layout'
import * as layoutRuntime from 'raw-transfer-reader/layout'
const version: number = viaPackage.LAYOUT_RUNTIME_VERSION
const sameRuntime: typeof layoutRuntime.defineLayout = viaPackage.defineLayout
export { version, sameRuntime }
