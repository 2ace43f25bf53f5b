// Only for resolvers without package.json "exports" (TypeScript's node10): raw-transfer/reader.
export * from './js/reader'
