// `using` declarations (TypeScript 5.2+, lib esnext.disposable): pools, blocks and documents
// are Disposable.
import * as rt from 'raw-transfer'

export function firstKey(text: string): string | undefined {
  using pool = new rt.FixedSizeAllocatorPool({ size: 1 })
  using doc = pool.parseJson(text)
  using block = pool.acquire()
  block.writeString('held until the end of the scope')
  const d: Disposable = doc
  const root = doc.root
  return root.type === 'object' ? root.keys()[0] : undefined
}
