'use strict'
// npm run bench: every JS benchmark, each reported as ratios within one run.
async function main() {
  console.log(`# raw-transfer JS benchmarks (node ${process.version}, ${new Date().toISOString().slice(0, 10)})`)
  await require('./handoff')()
  require('./strings')()
  await require('./json')()
  await require('./files')()
  require('./small-records')()
  require('./layout')()
  await require('./parallel')()
}
main().catch((e) => {
  console.error(e)
  process.exit(1)
})
