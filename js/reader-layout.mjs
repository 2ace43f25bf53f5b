// ESM entry of raw-transfer/reader/layout: raw-transfer-reader/layout's ESM entry.
export * from 'raw-transfer-reader/layout'
export { default } from 'raw-transfer-reader/layout'
