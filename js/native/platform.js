'use strict'
// The napi-rs platform triple of this process, e.g. 'linux-x64-gnu'.

function isMusl() {
  if (process.platform !== 'linux') return false
  // ldd is a shell script naming its libc on glibc and musl systems alike: reading it takes
  // ~0.1 ms, where process.report.getReport() (the fallback) takes several.
  try {
    const ldd = require('node:fs').readFileSync('/usr/bin/ldd', 'latin1')
    if (ldd.includes('musl')) return true
    if (ldd.includes('GNU C Library') || ldd.includes('glibc')) return false
  } catch {}
  try {
    const header = process.report.getReport().header
    return !header.glibcVersionRuntime
  } catch {
    return false
  }
}

function triple() {
  const { platform, arch } = process
  if (platform === 'linux') return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

module.exports = { triple }
