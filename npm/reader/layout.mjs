// ESM entry of raw-transfer-reader/layout: the CommonJS exports (layout.js) as named exports,
// listed because Node's cjs-module-lexer does not see them. raw-transfer's
// __test__/layout-runtime.test.js checks the list.
import cjs from './layout.js'
export const { LAYOUT_RUNTIME_VERSION, READER_VERSION, LayoutRuntimeMismatchError, LayoutMismatchError, defineLayout, open, live, corrupt, badTag, ptr, enter, span, charge, str, u64, i64, f64js, f32js, defer, run, runWalk, ListIterator, inspect, keepMaps } = cjs
export default cjs
