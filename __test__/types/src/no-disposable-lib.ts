// index.d.ts must also compile for a project whose lib has no Symbol.dispose
// (tsconfig.es2020.json: lib es2020, no @types/node, no skipLibCheck).
import * as rt from 'raw-transfer'

const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
export const mode: 'external' | 'copy' = pool.transferMode
pool[Symbol.dispose]()
