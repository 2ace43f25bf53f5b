'use strict'
// Bug: process.exit() hangs while a parseJsonFiles job waits for a block.
// JsonFilesJob.next() runs NextFile::compute on a libuv threadpool thread, which blocks in
// rx.recv() until a parse thread sends; the parse threads block in pool.get() until a block
// comes back; the only block is held by a plugin. process.exit() joins the threadpool
// (uv_library_shutdown), so it never returns. Expected: exit 0 at once. Actual: hangs.
//   timeout 10 node stress/repro/exit-hang.js; echo $?   # 124
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const rt = require('../..')
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rt-repro-'))
const paths = [0, 1, 2].map((i) => {
  const p = path.join(dir, `${i}.json`)
  fs.writeFileSync(p, `{"i":${i}}`)
  return p
})
const pool = new rt.FixedSizeAllocatorPool({ size: 1 })
pool.parseJsonFiles(paths, () => new Promise(() => {})) // an async plugin still working
setTimeout(() => {
  fs.rmSync(dir, { recursive: true })
  console.log('process.exit(0) ...')
  process.exit(0)
}, 200)
