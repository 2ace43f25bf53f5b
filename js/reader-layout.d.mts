// Types of the ESM entry of raw-transfer/reader/layout (js/reader-layout.mjs): those of raw-transfer-reader/layout.
export * from 'raw-transfer-reader/layout'
export { default } from 'raw-transfer-reader/layout'
