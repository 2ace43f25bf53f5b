// The package from an ES module under module nodenext: a CommonJS package, so its
// module.exports is the default import, and named imports work too.
import rt, { FixedSizeAllocatorPool, JsonDocument, StaleBufferError } from 'raw-transfer'

const pool: InstanceType<typeof FixedSizeAllocatorPool> = new rt.FixedSizeAllocatorPool({ size: 1 })
const doc: JsonDocument = pool.parseJson('[1, 2, 3]')
const root = doc.root
export const sum: number = root.type === 'array' ? Array.from(root, (n) => (n.type === 'number' ? n.value : 0)).reduce((a, b) => a + b, 0) : 0
doc.release()
export const stale = (e: unknown): boolean => e instanceof StaleBufferError
// @ts-expect-error not constructible
new JsonDocument()
pool.close()
