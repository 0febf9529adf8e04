// memlogd ingestion benchmark (issue: 4 writers x 250,000 lines of 100 bytes,
// one follower attached). Prints lines/s, lines lost and the daemon's peak RSS.
//
//   npm run bench -- [--writers 4] [--lines 250000] [--line-bytes 100] [--console]
//
// Targets: >= 500,000 lines/s aggregate, 0 lost when the ring holds them all,
// peak RSS < 1.5 x ring bytes + 80 MB.

import {spawn, type ChildProcess} from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const {values} = parseArgs({
  options: {
    writers: {type: 'string', default: '4'},
    lines: {type: 'string', default: '250000'},
    'line-bytes': {type: 'string', default: '100'},
    console: {type: 'boolean', default: false},
  },
})
const writers = Number(values.writers)
const lines = Number(values.lines)
const lineBytes = Number(values['line-bytes'])
const total = writers * lines

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dk-bench-'))
const logSock = path.join(dir, 'log.sock')
const querySock = path.join(dir, 'q.sock')

function waitFor(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (cond()) resolve()
      else if (Date.now() > deadline) reject(new Error(`timed out: ${what}`))
      else setTimeout(tick, 5)
    }
    tick()
  })
}

function vm(pid: number, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) * 1024 : 0
}

const daemonArgs = [path.join(root, 'bin/run.js'), 'memlogd', '--socket-log', logSock, '--socket-query', querySock,
  '--max-lines', String(total + 1000), '--max-bytes', '1GiB', ...(values.console ? [] : ['--no-console'])]
const daemon = spawn(process.execPath, daemonArgs, {stdio: ['ignore', values.console ? fs.openSync('/dev/null', 'w') : 'ignore', 'inherit']})
await waitFor(() => fs.existsSync(logSock) && fs.existsSync(querySock), 'memlogd sockets')
const baseRss = vm(daemon.pid!, 'VmRSS')

// One follower (mode 1) counts every line it receives.
let received = 0
let daemonNotes = 0
const follower = net.createConnection(querySock)
await new Promise((r) => follower.once('connect', r))
follower.write(Buffer.from([1]))
let tail = ''
follower.on('data', (chunk: Buffer) => {
  let i = -1
  while ((i = chunk.indexOf(10, i + 1)) !== -1) received++
  // Daemon notes (e.g. "lost N") are rare: look for them without parsing everything.
  const s = tail + chunk.toString('latin1', 0, Math.min(chunk.length, 1 << 20))
  daemonNotes += s.split('"source":"memlogd"').length - 1
  tail = ''
})

const procs: ChildProcess[] = []
const ready: Promise<void>[] = []
for (let w = 0; w < writers; w++) {
  const p = spawn(process.execPath, [path.join(root, 'dist/bench/writer.js'), logSock, `w${w}`, String(lines), String(lineBytes)], {stdio: ['pipe', 'pipe', 'inherit']})
  procs.push(p)
  ready.push(new Promise((resolve) => p.stdout!.once('data', () => resolve())))
}
await Promise.all(ready)
// Give the daemon a moment to adopt all fds before the clock starts.
await new Promise((r) => setTimeout(r, 200))

const t0 = process.hrtime.bigint()
for (const p of procs) p.stdin!.write('go\n')
await waitFor(() => received - daemonNotes >= total, `follower to receive ${total} lines (has ${received})`, 120_000).catch((error) => {
  console.error(String(error))
})
const t1 = process.hrtime.bigint()
await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode === null ? p.once('exit', r) : r(null)))))

// Ring content: dump and count.
const dumpBytes = await new Promise<Buffer>((resolve, reject) => {
  const c = net.createConnection(querySock)
  const chunks: Buffer[] = []
  c.on('connect', () => c.write(Buffer.from([0])))
  c.on('data', (d) => chunks.push(d))
  c.on('end', () => resolve(Buffer.concat(chunks)))
  c.on('error', reject)
})
let dumped = 0
for (let i = -1; (i = dumpBytes.indexOf(10, i + 1)) !== -1; ) dumped++
const peakRss = vm(daemon.pid!, 'VmHWM')
follower.destroy()
daemon.kill('SIGTERM')
await new Promise((r) => daemon.once('exit', r))
fs.rmSync(dir, {recursive: true, force: true})

const seconds = Number(t1 - t0) / 1e9
const serviceLines = received - daemonNotes
const ringBytes = dumpBytes.length
const rssLimit = 1.5 * ringBytes + 80 * 1024 * 1024
const mb = (n: number) => (n / 1024 / 1024).toFixed(1) + ' MB'
const rate = total / seconds
console.log(`memlogd benchmark: ${writers} writers x ${lines} lines of ${lineBytes} bytes, 1 follower, console echo ${values.console ? 'on (to /dev/null)' : 'off'}`)
console.log(`  lines/s (aggregate):   ${Math.round(rate).toLocaleString('en')}   [target >= 500,000]`)
console.log(`  elapsed:               ${seconds.toFixed(3)} s`)
console.log(`  follower received:     ${serviceLines} of ${total}; lines lost: ${total - serviceLines}; daemon notes: ${daemonNotes}`)
console.log(`  ring after run:        ${dumped} entries, ${mb(ringBytes)}`)
console.log(`  daemon RSS:            start ${mb(baseRss)}, peak ${mb(peakRss)}   [limit 1.5 x ring + 80 MB = ${mb(rssLimit)}]`)
const ok = rate >= 500_000 && serviceLines === total && peakRss < rssLimit
console.log(`  result:                ${ok ? 'PASS' : 'FAIL'}`)
process.exitCode = ok ? 0 : 1
