// Shared bits of the logwrite tests: a sink on a fresh directory with its messages captured.

import {spawn, type ChildProcess} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {sendLogFds} from '../../src/client/fd-sender.js'
import {FileSink, type FileSinkOptions, RateLimitedReporter} from '../../src/logwrite/index.js'
import {closeQuietly, socketPair} from '../../src/native/index.js'
import {BIN, tempDir} from '../helpers/memlogd.js'

export type Cleanup = () => Promise<unknown> | void

/** Sends lines under `source` through a socketpair, as a service would. */
export async function pushLines(logSock: string, source: string, lines: string[]): Promise<void> {
  const [mine, theirs] = socketPair()
  try {
    await sendLogFds(logSock, source, [theirs])
  } finally {
    closeQuietly(theirs)
  }
  const text = Buffer.from(lines.map((l) => l + '\n').join(''))
  for (let off = 0; off < text.length; ) off += fs.writeSync(mine, text, off)
  closeQuietly(mine)
}

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface RunningLogwrite {
  proc: ChildProcess
  stderr(): string
  exited: Promise<Exit>
  /** Sends `signal` (default SIGTERM), SIGKILL after 8 s, and resolves with how it ended. */
  stop(signal?: NodeJS.Signals): Promise<Exit>
}

/** `diagkit logwrite ARGS` as a real process; registers a SIGKILL cleanup. */
export function startLogwrite(args: string[], cleanups: Cleanup[], opts: {cwd?: string} = {}): RunningLogwrite {
  const proc = spawn(process.execPath, [BIN, 'logwrite', ...args], {stdio: ['ignore', 'ignore', 'pipe'], cwd: opts.cwd})
  let err = ''
  proc.stderr!.on('data', (d) => (err += d))
  const exited = new Promise<Exit>((resolve) => proc.once('exit', (code, signal) => resolve({code, signal})))
  const r: RunningLogwrite = {
    proc,
    stderr: () => err,
    exited,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal)
      const timer = setTimeout(() => proc.kill('SIGKILL'), 8000)
      const out = await exited
      clearTimeout(timer)
      return out
    },
  }
  cleanups.push(() => r.stop('SIGKILL'))
  return r
}

/** A new empty directory under the system temp dir. */
export function freshDir(prefix = 'dk-lw-'): string {
  return tempDir(prefix)
}

export interface TestSink {
  sink: FileSink
  messages: string[]
  reporter: RateLimitedReporter
}

export function makeSink(dir: string, opts: Partial<FileSinkOptions> & {maxSize: number; maxFiles: number}, now?: () => number): TestSink {
  const messages: string[] = []
  const reporter = new RateLimitedReporter({write: (l) => messages.push(l), pid: 4242, now, timers: false})
  const sink = new FileSink({dir, reporter, now, ...opts})
  return {sink, messages, reporter}
}

/** Names in dir that are not dot-files, sorted. */
export function listLogs(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => !n.startsWith('.')).sort()
}

export function read(dir: string, name: string): string {
  return fs.readFileSync(path.join(dir, name), 'utf8')
}

/** A line of exactly `bytes` bytes (with its newline) carrying the number i. */
export function line(i: number, bytes: number): string {
  const head = `line ${String(i).padStart(3, '0')} `
  return head + '.'.repeat(bytes - 1 - head.length) + '\n'
}
