export * from './js/reader'
