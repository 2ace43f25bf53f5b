// Types of raw-transfer/reader/layout (reader/layout.js): those of raw-transfer-reader/layout.
export * from 'raw-transfer-reader/layout'
