// Types of the ESM entry of raw-transfer/reader (js/reader.mjs): those of raw-transfer-reader.
export * from 'raw-transfer-reader'
export { default } from 'raw-transfer-reader'
