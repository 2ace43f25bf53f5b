'use strict'
// Command-line flags shared by the test scripts: `--name` and `--name=value`.
const args = process.argv.slice(2)
const flag = (name) => args.includes(`--${name}`)
const option = (name) => {
  const a = args.find((x) => x.startsWith(`--${name}=`))
  return a === undefined ? undefined : a.slice(name.length + 3)
}
module.exports = { args, flag, option }
