// Type test of the generated fixture reader's .d.ts (run by __test__/types/run.js, config
// tsconfig.layout.json): uses every kind of view, toJS and visit.
import { RawBuffer } from 'raw-transfer-reader'
import {
  readProgram,
  visit,
  toJS,
  Program,
  ProgramJS,
  Stmt,
  StmtJS,
  ExprJS,
  LayoutMismatchError,
  LAYOUT_HASHES,
  NODE_TYPES,
  NodeType,
} from './generated/fixture.js'

declare const raw: RawBuffer
const p: Program = readProgram({ raw, root: 16, generation: 1 })
const q: Program = readProgram(raw)
const name: string = p.sourceName
const n: number = p.body.length
for (const s of p.body) {
  const t: 'Expr' | 'Let' | 'Empty' | 'Block' = s.type
  if (s.type === 'Let') {
    const init = s.init
    if (init !== null && init.type === 'Bin') {
      const op: 'Add' | 'Sub' | 'Mul' = init.op
      const right = init.right
      void right.type
      void op
    }
  } else if (s.type === 'Expr') {
    const start: number = s.span.start
    void start
  }
  void t
}
const first: Stmt | undefined = p.body.at(0)
const plain: ProgramJS = p.toJS()
const stmts: StmtJS[] = plain.body
const expr: ExprJS | null = plain.maybeExpr
const same: ProgramJS = toJS(p)
visit(p, {
  Let(node) {
    const s: string = node.name
    void s
  },
  'Bin:exit'(node) {
    void node.left
  },
  Num: (node) => {
    const v: number = node.value
    return v > 0
  },
})
// @ts-expect-error: no such node type
visit(p, { Nope() {} })
// @ts-expect-error: views are read-only
p.sourceName = 'x'
const h: string = LAYOUT_HASHES.Program
const types: readonly NodeType[] = NODE_TYPES
const e = new Error() as unknown
if (e instanceof LayoutMismatchError) {
  const code: 'LayoutMismatch' = e.code
  void code
}
void [name, n, first, stmts, expr, same, h, types, q]
