// ESM entry of raw-transfer/reader: the raw-transfer-reader package, whose exports it is.
export * from 'raw-transfer-reader'
export { default } from 'raw-transfer-reader'
