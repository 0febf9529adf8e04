// Shared bits of the logwrite tests: a sink on a fresh directory with its messages captured.

import fs from 'node:fs'
import path from 'node:path'
import {FileSink, type FileSinkOptions, RateLimitedReporter} from '../../src/logwrite/index.js'
import {tempDir} from '../helpers/memlogd.js'

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
