'use strict'
// The napi-rs platform triple of this process, e.g. 'linux-x64-gnu'.

function isMusl() {
  if (process.platform !== 'linux') return false
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
