// Types of raw-transfer/reader (reader.js): those of the raw-transfer-reader package.
export * from 'raw-transfer-reader'
