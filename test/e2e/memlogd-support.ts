// Shared pieces of the memlogd end-to-end tests: process probes (/proc),
// long-lived Python senders, a follower that records what it receives, and the
// "is the daemon still healthy" check every bad-input test ends with.

import assert from 'node:assert/strict'
import {spawn, type ChildProcess} from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import {SEND_FDS, type Entry, type RunningDaemon, dump, pySend, waitFor, waitForEntries} from '../helpers/memlogd.js'

/** Resident set size of a process in KiB (VmRSS). */
export function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!m) throw new Error(`no VmRSS for ${pid}`)
  return Number(m[1])
}

/** utime + stime of a process, in clock ticks. */
export function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name (which may hold spaces) start at state (field 3).
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(rest[11]) + Number(rest[12])
}

export function openFdCount(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length
}

/** The daemon's own entries whose message contains `needle`. */
export async function notesMatching(sock: string, needle: string): Promise<Entry[]> {
  return (await dump(sock)).filter((e) => e.source === 'memlogd' && e.msg.includes(needle))
}

export function msgsOf(entries: Entry[]): string[] {
  return entries.map((e) => e.msg)
}

/** Latin-1 string whose chars are exactly the UTF-8 bytes of s (what send_fds.py writes). */
export function utf8AsLatin1(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1')
}

/** A Python sender kept running (kinds hold, silent, stream): stdout collected, stdin open. */
export interface LivePy {
  proc: ChildProcess
  out(): string
  exited: Promise<number | null>
  /** Writes a line to its stdin (hold: close the write ends). */
  poke(): void
  /** Writes `line` and a newline to its stdin (stepwise: "send" or "close"). */
  say(line: string): void
  endInput(): void
  kill(): void
}

export function livePy(logSock: string, name: string, kind: string, arg?: string): LivePy {
  const p = spawn('python3', [SEND_FDS, logSock, Buffer.from(name).toString('hex'), kind, ...(arg === undefined ? [] : [arg])], {
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  p.stdout!.on('data', (d) => (out += d))
  p.stderr!.on('data', (d) => (err += d))
  p.stdin!.on('error', () => {})
  const timer = setTimeout(() => p.kill('SIGKILL'), 30_000)
  const exited = new Promise<number | null>((resolve) =>
    p.on('exit', (code) => {
      clearTimeout(timer)
      if (code !== 0 && err) process.stderr.write(`send_fds ${kind}: ${err}\n`)
      resolve(code)
    }),
  )
  return {
    proc: p,
    out: () => out,
    exited,
    poke: () => p.stdin!.write('go\n'),
    say: (line) => p.stdin!.write(`${line}\n`),
    endInput: () => p.stdin!.end(),
    kill: () => {
      if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL')
    },
  }
}

/** A raw query client that records every entry it receives. */
export interface Recorder {
  sock: net.Socket
  entries: Entry[]
  closed: Promise<void>
  isClosed(): boolean
}

export function record(path: string, request: Buffer | number[]): Promise<Recorder> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(path)
    const entries: Entry[] = []
    let rest = ''
    let isClosed = false
    const closed = new Promise<void>((r) => sock.on('close', () => {
      isClosed = true
      r()
    }))
    sock.setEncoding('utf8')
    sock.on('data', (d: string) => {
      rest += d
      let nl: number
      while ((nl = rest.indexOf('\n')) !== -1) {
        entries.push(JSON.parse(rest.slice(0, nl)) as Entry)
        rest = rest.slice(nl + 1)
      }
    })
    sock.once('error', reject)
    sock.once('connect', () => {
      sock.write(Buffer.from(request))
      resolve({sock, entries, closed, isClosed: () => isClosed})
    })
  })
}

/**
 * The check every bad-input test ends with: the daemon still runs, and a
 * well-behaved source sending now gets every one of its lines in, in order.
 */
export async function assertHealthy(d: RunningDaemon, tag: string): Promise<void> {
  assert.equal(d.proc.exitCode, null, `memlogd exited: ${d.stderr()}`)
  assert.equal(d.proc.signalCode, null)
  const name = `after-${tag}`
  const r = await pySend(d.logSock, name, 'pipe', undefined, ['one\ntwo\n', 'three\n'])
  assert.equal(r.code, 0, r.stderr)
  const got = await waitForEntries(d.querySock, (e) => e.source === name, 3, 10_000)
  assert.deepEqual(msgsOf(got), ['one', 'two', 'three'])
}

/**
 * A source writing "n 1" … "n N" concurrently with whatever a test does;
 * done() waits for it and checks that every line arrived, in order.
 */
export function concurrentSource(d: RunningDaemon, name: string, n: number): {done(): Promise<void>} {
  const py = livePy(d.logSock, name, 'stream', String(n))
  return {
    async done() {
      assert.equal(await py.exited, 0)
      const got = await waitForEntries(d.querySock, (e) => e.source === name, n, 15_000)
      assert.equal(got.length, n)
      for (let i = 0; i < n; i++) if (got[i].msg !== `n ${i + 1}`) assert.fail(`${name}: entry ${i} is ${JSON.stringify(got[i].msg)}, expected "n ${i + 1}"`)
    },
  }
}

/** Waits until the process has exited (it is not our child: polls /proc). */
export async function waitGone(pid: number, timeoutMs = 10_000): Promise<void> {
  await waitFor(() => !fs.existsSync(`/proc/${pid}`) || /State:\s+Z/.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8')), timeoutMs, `pid ${pid} to exit`)
}
