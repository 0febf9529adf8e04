// Benchmark: a memlogd holding 1,000,000 lines of 100 bytes from 20 sources;
// logwrite writes them all to disk with rotation at 1 MiB. Target: >= 300,000 lines/s.
//
//   npm run bench:logwrite            (or: node dist/bench/logwrite.js [lines])
//
// Two figures: the library in this process (from connect to the last line
// written), and the real CLI as a subprocess (spawn to last line on disk, so it
// includes Node and oclif start-up).

import {spawn, type ChildProcess} from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {decodeCursor, runLogwrite} from '../src/logwrite/index.js'
import {sendLogFds} from '../src/client/fd-sender.js'
import {closeQuietly, socketPair} from '../src/native/index.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const BIN = path.join(ROOT, 'bin/run.js')
const TOTAL = Number(process.argv[2] ?? 1_000_000)
const SOURCES = 20
const LINE_BYTES = 100
const MAX_SIZE = 1024 * 1024
const MAX_FILES = 10

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

/** A mode-0 dump, counted: entries memlogd holds and the seq of the newest. */
function ringStats(querySock: string): Promise<{entries: number; lastSeq: number}> {
  return new Promise((resolve, reject) => {
    const c = net.createConnection(querySock)
    let entries = 0
    let tail = Buffer.alloc(0)
    c.on('connect', () => c.write(Buffer.from([0])))
    c.on('data', (d: Buffer) => {
      for (let i = d.indexOf(10); i !== -1; i = d.indexOf(10, i + 1)) entries++
      tail = Buffer.concat([tail, d]).subarray(-4096)
    })
    c.on('error', reject)
    c.on('close', () => {
      const lines = tail.toString().trimEnd().split('\n')
      const last = lines.length > 0 && lines[lines.length - 1] !== '' ? (JSON.parse(lines[lines.length - 1]) as {seq?: number}) : {}
      resolve({entries, lastSeq: last.seq ?? 0})
    })
  })
}

async function fill(logSock: string): Promise<void> {
  const perSource = TOTAL / SOURCES
  const ends: number[] = []
  for (let s = 0; s < SOURCES; s++) {
    const [mine, theirs] = socketPair()
    // A unix dgram socket from unixSocket('dgram') + connectUnix, retrying EAGAIN (a small receive queue).
    await sendLogFds(logSock, `bench-source-${String(s).padStart(2, '0')}`, [theirs], 10_000)
    closeQuietly(theirs)
    ends.push(mine)
  }
  // Round-robin in blocks so the ring interleaves sources as a real system would.
  const block = 1000
  for (let done = 0; done < perSource; done += block) {
    for (let s = 0; s < SOURCES; s++) {
      const lines: string[] = []
      for (let i = done; i < Math.min(done + block, perSource); i++) {
        const head = `s${s} line ${i} `
        lines.push(head + 'x'.repeat(LINE_BYTES - 1 - head.length) + '\n')
      }
      const buf = Buffer.from(lines.join(''))
      let off = 0
      while (off < buf.length) {
        try {
          off += fs.writeSync(ends[s], buf, off)
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error
          await sleep(1)
        }
      }
    }
  }
  for (const fd of ends) closeQuietly(fd)
}

function countLines(dir: string): {lines: number; files: number; biggest: number} {
  let lines = 0
  let biggest = 0
  const names = fs.readdirSync(dir).filter((n) => !n.startsWith('.'))
  for (const n of names) {
    const data = fs.readFileSync(path.join(dir, n))
    biggest = Math.max(biggest, data.length)
    for (let i = data.indexOf(10); i !== -1; i = data.indexOf(10, i + 1)) lines++
  }
  return {lines, files: names.length, biggest}
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dk-bench-lw-'))
  const logSock = path.join(dir, 'l.sock')
  const querySock = path.join(dir, 'q.sock')
  let daemon: ChildProcess | undefined
  let cliProc: ChildProcess | undefined
  try {
    daemon = spawn(process.execPath, [BIN, 'memlogd', '--socket-log', logSock, '--socket-query', querySock, '--max-lines', '1000000', '--max-bytes', '400000000', '--no-console'], {stdio: 'ignore'})
    await waitFor(() => fs.existsSync(logSock) && fs.existsSync(querySock), 15_000, 'memlogd sockets')
    const base = (await ringStats(querySock)).entries
    const t0 = Date.now()
    await fill(logSock)
    const fillDeadline = Date.now() + 300_000
    let ring: {entries: number; lastSeq: number}
    for (;;) {
      if (Date.now() > fillDeadline) throw new Error('memlogd did not take every line in 300 s')
      ring = await ringStats(querySock)
      if (ring.entries >= Math.min(base + TOTAL, 1_000_000)) break
      await sleep(200)
    }
    const ringEntries = ring.entries
    const lastSeq = ring.lastSeq
    console.log(`memlogd filled: ${TOTAL} lines from ${SOURCES} sources in ${Date.now() - t0} ms (ring holds ${ringEntries} entries)`)

    // 1. The library, in process.
    const libDir = path.join(dir, 'lib-logs')
    const abort = new AbortController()
    const start = process.hrtime.bigint()
    let stopAt = 0n
    const messages: string[] = []
    const poll = setInterval(() => {
      const st = fs.existsSync(path.join(libDir, '.logwrite-cursor')) ? decodeCursor(fs.readFileSync(path.join(libDir, '.logwrite-cursor'), 'utf8').trim()) : undefined
      if (st && st.seq >= lastSeq) {
        stopAt = process.hrtime.bigint()
        abort.abort()
      }
    }, 5)
    const result = await runLogwrite({socketPath: querySock, logDir: libDir, maxLogSize: MAX_SIZE, maxLogFiles: MAX_FILES, compress: false, maxOpenFiles: 64, signal: abort.signal, writeMessage: (l) => messages.push(l)})
    clearInterval(poll)
    const libSecs = Number(stopAt - start) / 1e9
    const libCount = countLines(libDir)
    console.log(`library: ${result.sink.linesWritten} lines written (${libCount.lines} on disk in ${libCount.files} files, largest ${libCount.biggest} bytes, ${result.sink.rotations} rotations) in ${libSecs.toFixed(3)} s = ${Math.round(result.sink.linesWritten / libSecs)} lines/s`)
    if (messages.length > 0) console.log(`library messages: ${messages.join('').trim()}`)

    // 2. The CLI as a subprocess.
    const cliDir = path.join(dir, 'cli-logs')
    const cliStart = process.hrtime.bigint()
    cliProc = spawn(process.execPath, [BIN, 'logwrite', '--socket', querySock, '--log-dir', cliDir, '--max-log-size', String(MAX_SIZE), '--max-log-files', String(MAX_FILES)], {stdio: ['ignore', 'ignore', 'inherit']})
    const state = path.join(cliDir, '.logwrite-cursor')
    await waitFor(() => {
      if (!fs.existsSync(state)) return false
      const c = decodeCursor(fs.readFileSync(state, 'utf8').trim())
      return c !== undefined && c.seq >= lastSeq
    }, 300_000, 'the CLI to write every line')
    const cliSecs = Number(process.hrtime.bigint() - cliStart) / 1e9
    const exited = new Promise<number | null>((r) => cliProc!.once('exit', (code) => r(code)))
    cliProc.kill('SIGTERM')
    const code = await exited
    const cliCount = countLines(cliDir)
    console.log(`cli: ${cliCount.lines} lines on disk in ${cliCount.files} files in ${cliSecs.toFixed(3)} s including start-up = ${Math.round(cliCount.lines / cliSecs)} lines/s; exit code after SIGTERM ${code}`)
    const ok = libCount.lines === ringEntries && cliCount.lines === ringEntries && libCount.biggest <= MAX_SIZE
    const rate = result.sink.linesWritten / libSecs
    console.log(`${ok ? 'complete' : 'INCOMPLETE'}; target 300000 lines/s: ${rate >= 300_000 ? 'met' : 'NOT met'} (machine shared: figures are noisy)`)
    if (!ok) process.exitCode = 1
  } finally {
    if (cliProc && cliProc.exitCode === null) cliProc.kill('SIGKILL')
    if (daemon && daemon.exitCode === null) {
      const gone = new Promise((r) => daemon!.once('exit', r))
      daemon.kill('SIGTERM')
      await gone
    }
    fs.rmSync(dir, {recursive: true, force: true})
  }
}

await main()
