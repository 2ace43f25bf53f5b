// Types of index.js. The AST's own types (views, their toJS() shapes, the visitor) are
// generated: ./generated/ast.d.ts.
import type { RawBuffer, RawTransferError } from 'raw-transfer-reader'
import type * as ast from './generated/ast'

export { ast }

/** A syntax error in a source: where (`offset` in bytes, 1-based `line` and `column`). */
export declare class AstSyntaxError extends RawTransferError {
  readonly code: 'AstSyntax'
  readonly offset: number
  readonly line: number
  readonly column: number
}

/** Handlers of a walk, as the generated `visit` takes them. */
export type Handlers = Parameters<typeof ast.visit>[1]
/** A plugin: handlers, `{ create(context) }` returning handlers, or an array of these. */
export type Plugin = Handlers | { create(context: { path?: string; index?: number; program: ast.Program }): Handlers }
export type Plugins = Plugin | Plugin[]

export interface JobResult {
  items: number
  bytes: number
  errors: { index: number; error: Error; phase: 'produce' | 'plugin' }[]
}

export declare class AstPool {
  constructor(options?: { size?: number; transfer?: 'auto' | 'external' | 'copy' })
  readonly transferMode: 'external' | 'copy'
  readonly layoutHash: string
  readonly checkedOut: number
  /** The hand-off record of `source`'s AST; release it with `release(id)`. */
  parseRaw(source: string): { id: number; generation: number; raw: RawBuffer }
  /** `source`'s Program, a lazy view into its block. */
  parse(source: string): ast.Program
  /** Give a Program's block (or a block id) back; its views throw StaleBufferError after. */
  release(program: ast.Program | number): void
  parseToJson(source: string): string
  parseToObjects(source: string): ast.ProgramJS
  parseFiles(
    paths: string[],
    fn: (program: ast.Program, path: string, item: { index: number; id: number; root: number }) => unknown,
    options?: { threads?: number },
  ): Promise<JobResult>
  visit(target: ast.Program | ast.View, plugins: Plugins): void
  visit(target: string[], plugins: Plugins, options?: { threads?: number }): Promise<{ files: number; bytes: number; errors: JobResult['errors'] }>
  close(): void
}
