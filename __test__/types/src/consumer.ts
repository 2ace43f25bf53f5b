// A TypeScript user of every public API in index.d.ts, checked with tsc --strict (never run:
// __test__/types/run.js type-checks it with module nodenext and with module bundler). Lines
// marked @ts-expect-error are misuses the types must reject; tsc fails if one is accepted.
import * as rt from 'raw-transfer'
import type {
  Block,
  JsonArrayNode,
  JsonDocument,
  JsonFileError,
  JsonFilesResult,
  JsonNode,
  JsonObjectNode,
  JsonType,
  JsonValue,
  PoolOptions,
  PoolStats,
  RawBuffer,
  Span,
  TransferOption,
  Written,
} from 'raw-transfer'

// Constants and process-wide functions.
const geometry: number[] = [rt.BLOCK_ALIGN, rt.BLOCK_SIZE, rt.BUFFER_SIZE, rt.ACTIVE_SIZE, rt.RAW_METADATA_SIZE, rt.RAW_METADATA_OFFSET]
const layout: number = rt.constants.JSON_NODE_SIZE
const meta: number = rt.constants.META_PRODUCER0
// @ts-expect-error the layout is in `constants`, not at the top level
rt.JSON_NODE_SIZE
const live: number = rt.liveBlocks()
// @ts-expect-error constants are read-only
rt.constants.BLOCK_SIZE = 1

// The pool.
const transfer: TransferOption = 'auto'
const options: PoolOptions = { size: 2, transfer, acquireTimeoutMs: 0, retainBytes: 1 << 20, maxRetainBytes: 1 << 28 }
const pool: rt.JsonPool = new rt.JsonPool(options)
// FixedSizeAllocatorPool: the former name, the same class and type.
const alias: rt.FixedSizeAllocatorPool = new rt.FixedSizeAllocatorPool()
const same: rt.JsonPool = alias
// @ts-expect-error not a transfer mode
new rt.JsonPool({ transfer: 'zero' })
const mode: 'external' | 'copy' = pool.transferMode
const size: number = pool.size
const closed: boolean = pool.closed
const stats: PoolStats = pool.stats()
const statNumbers: number[] = [stats.size, stats.created, stats.available, stats.inUse, stats.committedBytes, stats.residentBytes]
const memoryMode: 'noreserve' | 'strict' = stats.memoryMode
pool.trim()

// A block.
const block: Block = pool.acquire()
const id: number = block.id
const gen: number = block.generation
const bytes: Uint8Array = block.buffer
const used: number = block.usedBytes
const isReleased: boolean = block.released
const w: Written = block.writeString('zero-copy')
const w2: Written = block.writeBytes(new Uint8Array(16))
block.setDataOffset(w2.ptr)
const copy: Uint8Array = block.copyToBuffer(w.ptr, w.len)
const again: RawBuffer = block.handOff()
// @ts-expect-error blocks come from pool.acquire()
new rt.Block()
// @ts-expect-error writeBytes takes bytes
block.writeBytes('text')

// Its RawBuffer.
const raw: RawBuffer = block.raw
const views: ArrayBufferView[] = [raw.u8, raw.u16, raw.u32, raw.i32, raw.f64]
const ab: ArrayBuffer = raw.arrayBuffer
const s: string = raw.str(raw.ptr(raw.dataOffset), w.len)
const rawGen: number = raw.generation
raw.assertGeneration(block.generation)
const raw2: RawBuffer = new rt.RawBuffer(raw.arrayBuffer)
new rt.RawBuffer(raw.u8)
// @ts-expect-error the views are read-only
raw.u8 = new Uint8Array(1)

// The buffer cache.
const cache = pool.cache
const cached: RawBuffer | undefined = cache.get(block.id)
const has: boolean = cache.has(block.id)
const cacheSize: number = cache.size
const other = new rt.BufferCache()
const received: RawBuffer = other.receive(block.id, raw.arrayBuffer)
other.receive(block.id, null)
other.clear()
block.release()
block[Symbol.dispose]()

// JSON documents.
const doc: JsonDocument = pool.parseJson('{"a": [1, {"b": "é"}], "n": null}')
pool.parseJson(new Uint8Array([0x5b, 0x5d])).release() // '[]' as UTF-8 bytes
// @ts-expect-error documents come from pool.parseJson() / parseJsonFiles()
new rt.JsonDocument()
// @ts-expect-error not even with a block
new rt.JsonDocument(pool.acquire())
// @ts-expect-error JsonNode is not constructible either
new rt.JsonNode()
const docNumbers: number[] = [doc.bufferId, doc.generation, doc.nodeCount, doc.maxDepth, doc.sourceLength]
const docRaw: RawBuffer = doc.raw
const all: JsonValue = doc.toJS()
const json: string = JSON.stringify(doc)
const asJson: JsonValue = doc.toJSON()
const text: string = doc.text() + doc.text({ start: 0, end: 1 })
const pos: { line: number; column: number } = doc.position(0)

// Nodes, narrowed by type.
const root: JsonNode = doc.root
const type: JsonType = root.type
const span: Span = root.span
const value: JsonValue = root.value
const isContainer: boolean = root.isContainer
const maybeLength: number | undefined = root.length
// @ts-expect-error keys() of a node of unknown type may be indices
const wrongKeys: string[] = root.keys()
const someKeys: string[] | number[] = root.keys()
if (root.type === 'object') {
  const o: JsonObjectNode = root
  const keys: string[] = o.keys()
  const n: number = o.length
  const entries: [string, JsonNode, Span][] = o.entries()
  const v: { [key: string]: JsonValue } = o.value
  for (const [key, child] of o) {
    const k: string = key
    const c: JsonNode = child
  }
  o.forEach((child, key, i) => {
    const k: string = key
    return key !== 'stop'
  })
  const keySpan: Span | undefined = o.keySpanAt(0)
  const a = o.get('a')
  if (a !== undefined && a.type === 'array') {
    const arr: JsonArrayNode = a
    const indices: number[] = arr.keys()
    // @ts-expect-error an array's keys() are numbers
    const notStrings: string[] = arr.keys()
    const elements: JsonNode[] = Array.from(arr)
    for (const el of arr) {
      const e: JsonNode = el
    }
    const pairs: [number, JsonNode][] = arr.entries()
    arr.forEach((child, index) => {
      const k: number = index
    })
    const first: JsonNode | undefined = arr.at(0)
    const last: JsonNode | undefined = arr.at(-1)
    const v: JsonValue[] = arr.toJSON()
  }
  const nul = o.get('n')
  if (nul?.type === 'null') {
    const v: null = nul.value
    const none: [] = nul.keys()
    const len: undefined = nul.length
  }
}
// @ts-expect-error a node of unknown type may be a scalar: not iterable
for (const x of root) void x
root.forEach((child: JsonNode, keyOrIndex: string | number, i: number) => undefined)
const kids: JsonNode[] = root.children()
const nodeJson: JsonValue = root.toJSON()
const isNode: boolean = root instanceof rt.JsonNode
doc.release()
doc[Symbol.dispose]()
const docReleased: boolean = doc.released

// parseJsonFiles.
async function files(paths: string[]): Promise<void> {
  const result: JsonFilesResult = await pool.parseJsonFiles(
    paths,
    async (d, path: string) => {
      if (d instanceof rt.RawTransferError) {
        const code: string | undefined = d.code
        return
      }
      const v: JsonValue = d.toJS()
    },
    { threads: 2, maxBlocks: 1, pluginTimeoutMs: 30_000 },
  )
  // @ts-expect-error pluginTimeoutMs is a number of milliseconds
  await pool.parseJsonFiles(paths, () => {}, { pluginTimeoutMs: '5' })
  const counts: number[] = [result.files, result.bytes, result.ms]
  for (const e of result.errors) {
    const f: JsonFileError = e
    const phase: 'read' | 'parse' | 'plugin' = e.phase
    if (e.phase === 'plugin') {
      // @ts-expect-error a plugin may throw anything: not necessarily an Error
      const m: string = e.error.message
      const thrown: unknown = e.error
    } else {
      const m: string = e.error.message
      const p: string | undefined = e.error.path
    }
  }
  try {
    await pool.parseJsonFiles(paths, () => {})
  } catch (err) {
    if (err instanceof rt.PoolClosedError && err.result) {
      const partial: JsonFilesResult = err.result
    }
  }
}

// Errors.
function classify(err: unknown): string {
  if (err instanceof rt.JsonSyntaxError) {
    const where: number[] = [err.offset, err.line, err.column]
    const path: string | undefined = err.path
    // @ts-expect-error positions are read-only
    err.offset = 0
    return 'syntax'
  }
  if (err instanceof rt.PoolExhaustedError) return 'exhausted'
  if (err instanceof rt.StaleBufferError) return 'stale'
  if (err instanceof rt.BlockFullError) return 'full'
  if (err instanceof rt.ExternalBuffersForbiddenError) return 'forbidden'
  if (err instanceof rt.OutOfMemoryError) return 'oom'
  if (err instanceof rt.InvalidArgumentError) return 'argument'
  if (err instanceof rt.CorruptDocumentError) return err.code // 'CorruptDocument'
  if (err instanceof rt.PluginTimeoutError) {
    const code: 'PluginTimeout' = err.code
    return code
  }
  if (err instanceof rt.PoolClosedError) return 'closed'
  if (err instanceof rt.RawTransferError) return err.code ?? err.name
  return 'other'
}
const base: Error = new rt.RawTransferError('x')

pool.close()
pool[Symbol.dispose]()

// Parallel plugins: one-shot runs and kept hosts.
interface Summary {
  nodes: number
}
async function parallel(paths: string[], signal: rt.AbortSignalLike) {
  const once = await rt.runJsonPlugins<Summary>(paths, { plugin: '/abs/plugin.js', workers: 2, threads: 2, onProgress: (p) => p.done / p.total })
  const first: Summary | undefined = once.results[0]
  const host = rt.createJsonPluginHost<Summary>({ plugin: '/abs/plugin.js', workers: 2, poolSize: 4, pluginTimeoutMs: 1000 })
  const workers: number = host.workers
  const closed: boolean = host.closed
  const r = await host.run(paths, { signal, onProgress: ({ done, total }) => done <= total })
  const nodes: number | undefined = r.results[0]?.nodes
  const failed: Array<[string, rt.ParallelPhase]> = r.errors.map((e) => [e.path, e.phase])
  // @ts-expect-error signal belongs to run(), not to the host
  rt.createJsonPluginHost({ plugin: '/abs/plugin.js', signal })
  // @ts-expect-error a JSON host runs paths
  await host.run([1, 2])
  await host.close()
  const generic = rt.createParallelHost<number>({ runner: '/abs/runner.js', plugin: '/abs/plugin.js', workers: 1, factor: 2 })
  const g = await generic.run([{ n: 1 }])
  const square: number | undefined = g.results[0]
  await generic[Symbol.asyncDispose]()
  return { first, workers, closed, nodes, failed, square, files: r.files + g.files }
}

export { geometry, layout, live, mode, size, closed, statNumbers, memoryMode, id, gen, bytes, used, isReleased, copy, again, views, ab, s, rawGen, raw2 }
export { cached, has, cacheSize, received, docNumbers, docRaw, all, json, asJson, text, pos, type, span, value, isContainer }
export { maybeLength, wrongKeys, someKeys, kids, nodeJson, isNode, docReleased, files, classify, base, parallel }
