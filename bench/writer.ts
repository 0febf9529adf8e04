// Benchmark writer process: hands one end of a socketpair to memlogd, waits
// for "go" on stdin, writes `lines` lines of `lineBytes` bytes (newline
// included) in 64 KiB writes, closes and exits.
import fs from 'node:fs'
import {sendLogFds} from '../src/client/fd-sender.js'
import {closeQuietly, socketPair} from '../src/native/index.js'

const [socketPath, name, linesArg, lineBytesArg] = process.argv.slice(2)
const lines = Number(linesArg)
const lineBytes = Number(lineBytesArg)

const [mine, theirs] = socketPair()
await sendLogFds(socketPath, name, [theirs])
closeQuietly(theirs)

const perBlock = Math.floor(65536 / lineBytes)
const block = Buffer.alloc(perBlock * lineBytes, 0x78)
for (let i = 0; i < perBlock; i++) {
  block.write(`${name} line ${String(i).padStart(6, '0')} `, i * lineBytes, 'latin1')
  block[(i + 1) * lineBytes - 1] = 10
}

process.stdout.write('ready\n')
process.stdin.once('data', () => {
  let left = lines
  while (left > 0) {
    const n = Math.min(left, perBlock)
    const part = block.subarray(0, n * lineBytes)
    let off = 0
    while (off < part.length) off += fs.writeSync(mine, part, off)
    left -= n
  }
  closeQuietly(mine)
  process.exit(0)
})
